/*
 * tty_echo - reads the tty (endpoint "tty") until end of input and echoes it.
 *
 * Opens a TTY_CRLF session, reads until tty_read returns 0 (end of input),
 * and writes every received line back as "echo: <line>\n" (one tty_write per
 * line; a line longer than LINE_MAX bytes is echoed in LINE_MAX pieces, each
 * its own "echo:" line; an unterminated last line is echoed with a "\n"
 * added).  Counts: bytes = every byte received; lines = lines echoed (so an
 * unterminated last line counts); fnv = FNV-1a (32 bit) over all bytes.
 * Ends with, on the console,
 *   "tty_echo: eof bytes=B lines=L fnv=XXXXXXXX errors=E"
 * exit 0 iff E == 0.
 *
 * Errors are counted and printed; on RW_EDEAD the app refreshes its
 * capability and carries on (without reopening, like a naive client).
 * After MAX_FAILS failed reads in a row it gives up instead of spinning.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/tty.h>

#define PROG      "tty_echo"
#define READ_MAX  4096
#define LINE_MAX  1024
#define PREFIX    "echo: "
#define MAX_FAILS 20
#define MAX_SHOWN 20

static rw_cap cap;
static unsigned long errors;
static char line[sizeof PREFIX - 1 + LINE_MAX + 1]; /* "echo: " line "\n" */
static size_t linelen;                              /* bytes of the line so far */
static unsigned long lines;

static void call_failed(const char *what, long r)
{
	errors++;
	if (errors <= MAX_SHOWN)
		printf("%s: error: %s: %ld (%s)\n", PROG, what, r, tty_strerror(r));
	if (r == RW_EDEAD) {
		uint64_t gen = 0;
		if (rw_cap_refresh(cap, &gen) == 0)
			printf("%s: driver restarted (generation %lu)\n", PROG, (unsigned long)gen);
	}
}

/* Echoes the line collected so far (adding "\n" if it has none). */
static void echo_line(void)
{
	char *p = line + sizeof PREFIX - 1;
	size_t len = linelen;

	if (len == 0 || p[len - 1] != '\n')
		p[len++] = '\n';
	len += sizeof PREFIX - 1;
	long r = tty_write(cap, line, len);
	if (r != (long)len)
		call_failed("write", r < 0 ? r : RW_EINVAL);
	lines++;
	linelen = 0;
}

int main(void)
{
	static char in[READ_MAX];
	unsigned long bytes = 0;
	uint32_t fnv = 2166136261u;
	int fails = 0;
	long r = rw_cap_get("tty", &cap);

	if (r < 0) {
		printf("%s: FAIL lookup \"tty\": %s\n", PROG, rw_strerror(r));
		return 1;
	}
	memcpy(line, PREFIX, sizeof PREFIX - 1);
	if ((r = tty_open(cap, TTY_CRLF)) < 0)
		call_failed("open", r);

	for (;;) {
		long n = tty_read(cap, in, sizeof in);
		if (n < 0) {
			call_failed("read", n);
			if (++fails >= MAX_FAILS) {
				printf("%s: %d failed reads in a row, giving up\n", PROG, fails);
				break;
			}
			continue;
		}
		fails = 0;
		if (n == 0)
			break; /* end of input */
		for (long i = 0; i < n; i++) {
			char c = in[i];
			fnv = (fnv ^ (uint8_t)c) * 16777619u;
			line[sizeof PREFIX - 1 + linelen++] = c;
			if (c == '\n' || linelen == LINE_MAX)
				echo_line();
		}
		bytes += (unsigned long)n;
	}
	if (linelen)
		echo_line(); /* unterminated last line */
	if ((r = tty_close(cap)) < 0)
		call_failed("close", r);
	if (errors > MAX_SHOWN)
		printf("%s: %lu more errors not shown\n", PROG, errors - MAX_SHOWN);
	printf("%s: eof bytes=%lu lines=%lu fnv=%08lx errors=%lu\n", PROG, bytes, lines,
	       (unsigned long)fnv, errors);
	return errors ? 1 : 0;
}
