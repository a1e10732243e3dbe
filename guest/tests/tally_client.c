/*
 * tally_client (uses "tally") - asks tally_server for 3 increments, each answer checked (1, 2,
 * 3); ERECOVERED is sent again (at most 4 times).  Prints "tally_client: ok", or
 * "tally_client: FAIL ..." (EINDOUBT included) and exits 1.  Built again as tally_client_a
 * and tally_client_b (TALLY 1 and 2: asking "tally_a"/"tally_b") for t_tally_two.
 */
#include <stdio.h>
#include <rewind/rewind.h>

#if TALLY == 1
#define NAME     "tally_client_a"
#define TALLY_EP "tally_a"
#elif TALLY == 2
#define NAME     "tally_client_b"
#define TALLY_EP "tally_b"
#else
#define NAME     "tally_client"
#define TALLY_EP "tally"
#endif

int main(void)
{
	rw_cap ep;
	if (rw_cap_get(TALLY_EP, &ep) != 0) {
		printf(NAME ": FAIL no " TALLY_EP "\n");
		return 1;
	}
	for (uint64_t i = 1; i <= 3; i++) {
		long r;
		rw_msg m;
		RW_RETRY_RECOVERED(r, (m = (rw_msg){ 1, { 0, 0, 0, 0 }, 0 }, rw_rpc(ep, &m)), 4);
		if (r != 0 || m.w[0] != i) {
			printf(NAME ": FAIL increment %lu: %s, value %lu\n", (unsigned long)i,
			       rw_strerror(r), (unsigned long)(r == 0 ? m.w[0] : 0));
			return 1;
		}
	}
	printf(NAME ": ok\n");
	return 0;
}
