/*
 * tty_oracle - checks every byte through a tty driver (endpoint "tty") whose
 * UART loops its output back (manifest: [device.uart0] loopback = true).
 *
 * Each byte the driver transmits also lands in the UART's receive FIFO, so
 * what a WRITE sent can be read back with READ.  The oracle writes numbered
 * lines ("A00042 <payload>\n", the payload drawn from the line number) and
 * reads back exactly the bytes the driver must have sent for them (after the
 * session's CRLF translation), comparing byte for byte: a byte lost, sent
 * twice, out of order or changed, on either side, fails it.  A READ that
 * answers more than is owed (bytes nobody wrote, a line sent twice) fails it.
 * The READ sizes cycle through 1..4096, and some WRITEs carry several lines
 * (up to TTY_CHUNK bytes), so reads cut lines anywhere.
 *
 * Sessions: before OPEN, WRITE and READ must be refused with TTY_ENOTOPEN
 * (and the refused WRITE must send nothing); the session is reopened with
 * the other mode half-way (reopening replaces the mode), closed (WRITE and
 * READ refused again), and opened once more.  ORACLE_ID ('A' or 'B') names
 * the client; 'A' starts in CRLF mode and leaves its session open at its
 * end, 'B' starts raw, so B runs with two sessions in the driver.
 *
 * It never reads when nothing is owed (the input of a campaign never ends,
 * so such a READ would block for good).  Ends with one console line,
 *   "tty_oracle A: ok lines=N bytes=B"   exit 0, or
 *   "tty_oracle A: FAIL <what>"          exit 1 (the first problem; it stops there).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <rewind/tty.h>

#ifndef ORACLE_ID
#define ORACLE_ID 'A'
#endif
#ifndef NLINES
#define NLINES 240
#endif

static rw_cap cap;
static char id = ORACLE_ID;
static unsigned long lines, bytes, reads;
static uint64_t mode;                     /* the session's mode */
static char out[TTY_CHUNK];               /* what one WRITE carries */
static unsigned char want[2 * TTY_CHUNK]; /* what it must send (translated) */
static unsigned char got[TTY_CHUNK];

/* READ sizes, in turn: small and large, so that reads cut lines anywhere. */
static const size_t sizes[] = { 4096, 1, 7, 64, 3, 200, 4096, 13, 1000, 2 };

static int fail(const char *fmt, ...)
{
	va_list ap;

	printf("tty_oracle %c: FAIL ", id);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (after %lu lines, %lu bytes)\n", lines, bytes);
	return -1;
}

/* Line n's bytes into p (with its "\n"); returns its length. */
static size_t make_line(char *p, unsigned long n)
{
	uint32_t x = (uint32_t)n * 2654435761u ^ (uint32_t)id;
	int len = snprintf(p, 16, "%c%05lu ", id, n);
	size_t plen = (x >> 7) % 180;

	for (size_t j = 0; j < plen; j++) {
		x = x * 1103515245u + 12345u;
		p[len++] = (char)(' ' + (x >> 16) % 95); /* printable, never '\n' */
	}
	p[len++] = '\n';
	return (size_t)len;
}

/* Writes len bytes of out in one WRITE and reads back what it must send. */
static int write_check(size_t len, unsigned long first)
{
	size_t w = 0;

	for (size_t i = 0; i < len; i++) {
		if ((mode & TTY_CRLF) && out[i] == '\n')
			want[w++] = '\r';
		want[w++] = (unsigned char)out[i];
	}
	long r = tty_write(cap, out, len);
	if (r != (long)len)
		return fail("write of line %ld (%ld bytes) answered %ld", (long)first, (long)len,
		            r);
	size_t have = 0;
	while (have < w) {
		size_t max = sizes[reads++ % (sizeof sizes / sizeof sizes[0])];
		long n = tty_read(cap, got, max);
		if (n < 0)
			return fail("read at line %ld answered %ld (max %ld)", (long)first, n,
			            (long)max);
		if (n == 0)
			return fail(
			        "read at line %ld: end of input with %ld of %ld bytes read back",
			        (long)first, (long)have, (long)w);
		if ((size_t)n > w - have)
			return fail("read at line %ld: %ld bytes, %ld more than were sent (sent "
			            "twice?)",
			            (long)first, n, (long)(n - (long)(w - have)));
		for (long i = 0; i < n; i++) {
			if (got[i] != want[have + i])
				return fail("line %ld: byte %ld read back as 0x%02lx", (long)first,
				            (long)(have + i), (long)got[i]);
		}
		have += (size_t)n;
	}
	bytes += w;
	return 0;
}

/* Lines first..last-1, batch lines per WRITE (as many as fit in one). */
static int lines_check(unsigned long first, unsigned long last, unsigned batch)
{
	unsigned long n = first;

	while (n < last) {
		size_t len = 0;
		unsigned long start = n;
		for (unsigned k = 0; k < batch && n < last; k++) {
			char line[200];
			size_t l = make_line(line, n);
			if (len + l > sizeof out)
				break;
			memcpy(out + len, line, l);
			len += l;
			n++;
		}
		if (write_check(len, start) < 0)
			return -1;
		lines += n - start;
	}
	return 0;
}

static int refused(const char *when)
{
	long r = tty_write(cap, "x\n", 2);
	if (r != TTY_ENOTOPEN)
		return fail("WRITE %s answered %ld, not ENOTOPEN", when, r);
	r = tty_read(cap, got, 16);
	if (r != TTY_ENOTOPEN)
		return fail("READ %s answered %ld, not ENOTOPEN", when, r);
	return 0;
}

static int open_mode(uint64_t m)
{
	long r = tty_open(cap, m);
	if (r < 0)
		return fail("OPEN mode %ld answered %ld", (long)m, r);
	mode = m;
	return 0;
}

static int run(void)
{
	const unsigned long q = NLINES / 4;
	uint64_t first = id == 'A' ? TTY_CRLF : 0;

	if (refused("before OPEN") < 0 || open_mode(first) < 0)
		return -1;
	if (lines_check(1, q + 1, 1) < 0)
		return -1;
	if (lines_check(q + 1, 2 * q + 1, 7) < 0) /* several lines per WRITE */
		return -1;
	if (open_mode(first ^ TTY_CRLF) < 0) /* reopening replaces the mode */
		return -1;
	if (lines_check(2 * q + 1, 3 * q + 1, 1) < 0)
		return -1;
	/* One WRITE of exactly TTY_CHUNK bytes, "\n" every 50. */
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = i % 50 == 49 ? '\n' : (char)('a' + i % 26);
	if (write_check(sizeof out, 3 * q + 1) < 0)
		return -1;
	if (tty_close(cap) < 0)
		return fail("CLOSE answered an error");
	if (refused("after CLOSE") < 0 || open_mode(first) < 0)
		return -1;
	if (lines_check(3 * q + 1, NLINES + 1, 3) < 0)
		return -1;
	if (id != 'A' && tty_close(cap) < 0)
		return fail("the last CLOSE answered an error");
	return 0;
}

int main(void)
{
	long r = rw_cap_get("tty", &cap);

	if (r < 0) {
		printf("tty_oracle %c: FAIL lookup \"tty\": %s\n", id, rw_strerror(r));
		return 1;
	}
	if (run() < 0)
		return 1;
	printf("tty_oracle %c: ok lines=%lu bytes=%lu\n", id, lines, bytes);
	return 0;
}
