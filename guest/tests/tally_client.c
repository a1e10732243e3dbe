/*
 * tally_client (uses "tally") - asks tally_server for 3 increments, each answer checked (1, 2,
 * 3); ERECOVERED is sent again (at most 4 times).  Prints "tally_client: ok", or
 * "tally_client: FAIL ..." (EINDOUBT included) and exits 1.
 */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap ep;
	if (rw_cap_get("tally", &ep) != 0) {
		printf("tally_client: FAIL no tally\n");
		return 1;
	}
	for (uint64_t i = 1; i <= 3; i++) {
		long r;
		rw_msg m;
		RW_RETRY_RECOVERED(r, (m = (rw_msg){ 1, { 0, 0, 0, 0 }, 0 }, rw_rpc(ep, &m)), 4);
		if (r != 0 || m.w[0] != i) {
			printf("tally_client: FAIL increment %lu: %s, value %lu\n",
			       (unsigned long)i, rw_strerror(r),
			       (unsigned long)(r == 0 ? m.w[0] : 0));
			return 1;
		}
	}
	printf("tally_client: ok\n");
	return 0;
}
