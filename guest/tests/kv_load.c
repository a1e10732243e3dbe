/*
 * kv_load (uses "kv") - keeps kv busy: puts key "load" once, then gets it
 * back until the system is stopped (ends_with), each answer checked; prints
 * "kv_load: FAIL ..." and exits 1 on a wrong one.  Beside vput_server in
 * t_callee_busy, so that kv is inside one of its requests when vput faults
 * (TxIpcCalleeTest: the check of kv's answers waits for kv's next receive).
 */
#include <stdio.h>
#include <string.h>
#include <rewind/kv.h>

int main(void)
{
	rw_cap kv;
	char buf[16];
	size_t len = 0;
	long r;

	if ((r = kv_connect("kv", &kv)) < 0 || (r = kv_put(kv, "load", "busy", 4)) < 0) {
		printf("kv_load: FAIL %s\n", rw_strerror(r));
		return 1;
	}
	for (unsigned long i = 0;; i++) {
		r = kv_get(kv, "load", buf, sizeof buf, &len);
		if (r == RW_ERECOVERED)
			continue;
		if (r < 0 || len != 4 || memcmp(buf, "busy", 4) != 0) {
			printf("kv_load: FAIL get %lu: %s\n", i,
			       r < 0 ? rw_strerror(r) : "wrong value");
			return 1;
		}
	}
}
