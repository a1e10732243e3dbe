/*
 * tty_writer - writes numbered lines through the tty driver (endpoint "tty").
 *
 * Opens a TTY_CRLF session and writes NLINES lines, one tty_write each:
 *   "line NNN of 300 " + FILL filler bytes + "\n"    (61 bytes before CRLF)
 * where filler byte j of line n is 'a' + (n + j) % 26.  The UART therefore
 * sees each line ending in "\r\n".  Then writes
 * "tty_writer: done lines=300 errors=E\n" through the tty and prints the same
 * line on the console; exit 0 iff E == 0.
 *
 * Errors do not stop the run: each is counted and printed on the console; on
 * RW_EDEAD the app refreshes its capability and carries on (it does not
 * reopen its session, like a naive client).
 */
#include <stdio.h>
#include <string.h>
#include <rewind/tty.h>

#define PROG      "tty_writer"
#define NLINES    300
#define FILL      44 /* "line NNN of 300 " is 16 bytes: 60 in all */
#define MAX_SHOWN 20

static rw_cap cap;
static unsigned long errors;

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

int main(void)
{
	char line[128], what[32];
	long r = rw_cap_get("tty", &cap);

	if (r < 0) {
		printf("%s: done lines=0 errors=1 (lookup \"tty\": %s)\n", PROG, rw_strerror(r));
		return 1;
	}
	if ((r = tty_open(cap, TTY_CRLF)) < 0)
		call_failed("open", r);

	for (int n = 1; n <= NLINES; n++) {
		int len = snprintf(line, sizeof line, "line %03d of %d ", n, NLINES);
		for (int j = 0; j < FILL; j++)
			line[len++] = (char)('a' + (n + j) % 26);
		line[len++] = '\n';
		r = tty_write(cap, line, (size_t)len);
		if (r != len) {
			snprintf(what, sizeof what, "write line %d", n);
			call_failed(what, r < 0 ? r : RW_EINVAL);
		}
	}

	int len =
	        snprintf(line, sizeof line, "%s: done lines=%d errors=%lu\n", PROG, NLINES, errors);
	if ((r = tty_write(cap, line, (size_t)len)) != len)
		call_failed("write summary", r < 0 ? r : RW_EINVAL);
	if ((r = tty_close(cap)) < 0)
		call_failed("close", r);
	if (errors > MAX_SHOWN)
		printf("%s: %lu more errors not shown\n", PROG, errors - MAX_SHOWN);
	printf("%s: done lines=%d errors=%lu\n", PROG, NLINES, errors);
	return errors ? 1 : 0;
}
