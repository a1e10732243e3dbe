/*
 * vput_client (uses "vput") - eight PUTs through vput_server, each answered
 * with its value's length: "vput_client: put <n>: <length or error>", then
 * "vput_client: ok" if every one was answered (RW_EINDOUBT had kv's wrong
 * answer not been mended, TxIpcCalleeTest).
 */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap c;
	long r;
	int bad = 0;

	if ((r = rw_cap_get("vput", &c)) < 0) {
		printf("vput_client: no capability: %s\n", rw_strerror(r));
		return 1;
	}
	for (uint64_t n = 1; n <= 8; n++) {
		rw_msg m = { 0 };

		m.label = 1;
		m.w[0] = n;
		r = rw_call(c, &m);
		if (r == 0)
			r = (long)m.label;
		if (r < 0) {
			printf("vput_client: put %llu: %s\n", (unsigned long long)n,
			       rw_strerror(r));
			bad++;
		} else {
			printf("vput_client: put %llu: %llu\n", (unsigned long long)n,
			       (unsigned long long)m.w[0]);
		}
	}
	if (bad) {
		printf("vput_client: %d failed\n", bad);
		return 1;
	}
	printf("vput_client: ok\n");
	return 0;
}
