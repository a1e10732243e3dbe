/*
 * hang_client (uses "hang"): checks that a txipc request that never answers while using
 * next to no CPU (tests/hang_server.c: a loop of nested calls, a sleep, a wait) ends within
 * the order of the server's deadline_ms (200 in t_hang.toml; 30 s at most, for a loaded host or a slow engine) with the server's state intact.
 * Prints "hang_client: label L -> STATUS[, sum S] (N ms)" per call, then "hang_client: ok"
 * (exit 0) or "hang_client: FAIL ..." (exit 1).
 */
#include <stdio.h>
#include <rewind/rewind.h>

#define LIMIT_MS \
	30000 /* 150 times the deadline: a host loaded 5 to a core took 5 s, the 2.0.1 engine under a loaded test run 6.8 s */

static rw_cap ep;

static int call(uint64_t label, uint64_t w0, long want_status, long want_sum)
{
	rw_msg m = { label, { w0, 0, 0, 0 }, 0 };
	uint64_t t0 = rw_clock_ns();
	long r = rw_call(ep, &m);
	uint64_t ms = (rw_clock_ns() - t0) / 1000000;

	printf("hang_client: label %lu -> %s", (unsigned long)label, rw_strerror(r));
	if (r == 0)
		printf(", sum %ld", (long)m.w[0]);
	printf(" (%lu ms)\n", (unsigned long)ms);
	if (r != want_status || (r == 0 && (long)m.w[0] != want_sum) || ms > LIMIT_MS) {
		printf("hang_client: FAIL label %lu: want %s, sum %ld, within %d ms\n",
		       (unsigned long)label, rw_strerror(want_status), want_sum, LIMIT_MS);
		return 1;
	}
	return 0;
}

int main(void)
{
	RW_ASSERT(rw_cap_get("hang", &ep) == 0);
	/* Label 2's nested calls reached the echo server: its outcome is in doubt (EINDOUBT). */
	if (call(1, 5, 0, 5) || call(2, 0, RW_EINDOUBT, 0) || call(1, 1, 0, 6) ||
	    call(3, 0, RW_ERECOVERED, 0) || call(1, 1, 0, 7) || call(4, 0, RW_ERECOVERED, 0) ||
	    call(1, 1, 0, 8))
		return 1;
	printf("hang_client: ok\n");
	return 0;
}
