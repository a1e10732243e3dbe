/*
 * twocall_client - 40 requests to twocall_server, each answer checked (the i-th is i), ERECOVERED
 * retried (at most 4 tries). Prints "twocall_client: ok requests=40"; any other answer, EINDOUBT
 * among them, is a failure.
 */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap srv;
	RW_ASSERT(rw_cap_get("twocall", &srv) == 0);
	for (uint64_t i = 1; i <= 40; i++) {
		rw_msg m;
		long r;
		RW_RETRY_RECOVERED(r, (m = (rw_msg){ 1, { 0, 0, 0, 0 }, 0 }, rw_rpc(srv, &m)), 4);
		if (r != 0 || m.w[0] != i) {
			printf("twocall_client: FAIL request %lu: status %ld, answer %lu\n",
			       (unsigned long)i, r, (unsigned long)m.w[0]);
			return 1;
		}
	}
	printf("twocall_client: ok requests=40\n");
	return 0;
}
