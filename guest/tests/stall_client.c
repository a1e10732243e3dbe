/*
 * stall_client (uses "stall"): checks that a txipc server stuck waiting inside a request
 * is rolled back with its state intact (tests/stall_server.c).  Prints
 * "stall_client: ok" (exit 0) or "stall_client: FAIL ..." (exit 1).  Built with -DSPIN
 * (stall_client_spin) it makes the call that is never answered (label 4) instead.
 */
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap ep;

static int call(uint64_t label, uint64_t w0, long want_status, long want_sum)
{
	rw_msg m = { label, { w0, 0, 0, 0 }, 0 };
	long r = rw_call(ep, &m);

	printf("stall_client: label %lu -> %s", (unsigned long)label, rw_strerror(r));
	if (r == 0)
		printf(", sum %ld", (long)m.w[0]);
	printf("\n");
	if (r != want_status || (r == 0 && (long)m.w[0] != want_sum)) {
		printf("stall_client: FAIL label %lu: want %s, sum %ld\n", (unsigned long)label,
		       rw_strerror(want_status), want_sum);
		return 1;
	}
	return 0;
}

int main(void)
{
	RW_ASSERT(rw_cap_get("stall", &ep) == 0);
#ifdef SPIN
	return call(1, 5, 0, 5) || call(4, 0, 0, 0);
#endif
	if (call(1, 5, 0, 5) || call(2, 0, RW_ERECOVERED, 0) || call(1, 1, 0, 6) ||
	    call(3, 0, RW_ERECOVERED, 0) || call(1, 1, 0, 7))
		return 1;
	printf("stall_client: ok\n");
	return 0;
}
