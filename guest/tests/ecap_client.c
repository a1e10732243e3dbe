/*
 * ecap_client (uses "ecap") - 40 requests to ecap_server, one after another: each must be
 * answered "no backend" (w0 = 1) with the server's count (w1 = 1, 2, ...: never restarted).
 * Prints "ecap_client: ok", or "ecap_client: FAIL ..." (exit 1).
 */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap ep;
	if (rw_cap_get("ecap", &ep) != 0) {
		printf("ecap_client: FAIL no ecap\n");
		return 1;
	}
	for (uint64_t i = 1; i <= 40; i++) {
		rw_msg m = { 1, { 0, 0, 0, 0 }, 0 };
		long r = rw_rpc(ep, &m);
		if (r != 0 || m.w[0] != 1 || m.w[1] != i) {
			printf("ecap_client: FAIL request %lu: %s, w0 %lu, w1 %lu\n",
			       (unsigned long)i, rw_strerror(r), (unsigned long)m.w[0],
			       (unsigned long)m.w[1]);
			return 1;
		}
	}
	printf("ecap_client: ok\n");
	return 0;
}
