/* wakeback_client (uses "wk", "wk_note"): five SETs, a signal while the server is idle, then
 * GETs until one shows the signal handled, which must be once (w1 = 0x40, w2 = 1), whatever faults the server's
 * work after that wake met and recovered from.  Prints "wakeback: ok" (t_wakeback). */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap wk, note;
	RW_ASSERT(rw_cap_get("wk", &wk) == 0);
	RW_ASSERT(rw_cap_get("wk_note", &note) == 0);
	for (uint64_t v = 1; v <= 5; v++) {
		rw_msg m = { 1, { v, 0, 0, 0 }, 0 };
		long r = rw_call(wk, &m);
		if (r != 0 || m.label != 0) {
			printf("wakeback: FAIL set %llu: %s\n", (unsigned long long)v,
			       rw_strerror(r));
			return 1;
		}
	}
	rw_sleep_ns(2000000);
	RW_ASSERT(rw_notify(note, 0x40) == 0);
	/* A request wins over pending bits: ask until the wake's work (its rollbacks, the replay,
	 * its runs again) has counted it, for two seconds at most. */
	rw_msg m;
	long r;
	for (int tries = 0; tries < 200; tries++) {
		rw_sleep_ns(10000000);
		m = (rw_msg){ 2, { 0, 0, 0, 0 }, 0 };
		r = rw_call(wk, &m);
		if (r != 0 || m.w[2] != 0)
			break;
	}
	if (r != 0 || m.label != 0 || m.w[0] != 5 || m.w[1] != 0x40 || m.w[2] != 1) {
		printf("wakeback: FAIL get: %s value %llu events 0x%llx wakes %llu\n",
		       rw_strerror(r), (unsigned long long)m.w[0], (unsigned long long)m.w[1],
		       (unsigned long long)m.w[2]);
		return 1;
	}
	printf("wakeback: ok\n");
	return 0;
}
