/* wakecall_client (uses "wc", "wc_note"): five SETs; a signal 0x01 while the server is idle,
 * GETs until its wake is counted; then a signal 0x40 and GETs until that wake is counted too,
 * which must be once each (events 0x41, 2 wakes, 2 echo calls), whatever faults the server's
 * work after the second wake met and recovered from.  Prints "wakecall: ok" (t_wakecall). */
#include <stdio.h>
#include <rewind/rewind.h>

static long get(rw_cap wc, rw_msg *m, uint64_t wakes)
{
	long r = 0;

	for (int tries = 0; tries < 200; tries++) {
		rw_sleep_ns(10000000);
		*m = (rw_msg){ 2, { 0, 0, 0, 0 }, 0 };
		r = rw_call(wc, m);
		if (r != 0 || m->w[2] >= wakes)
			break;
	}
	return r;
}

int main(void)
{
	rw_cap wc, note;
	rw_msg m;
	RW_ASSERT(rw_cap_get("wc", &wc) == 0);
	RW_ASSERT(rw_cap_get("wc_note", &note) == 0);
	for (uint64_t v = 1; v <= 5; v++) {
		m = (rw_msg){ 1, { v, 0, 0, 0 }, 0 };
		long r = rw_call(wc, &m);
		if (r != 0 || m.label != 0) {
			printf("wakecall: FAIL set %llu: %s\n", (unsigned long long)v,
			       rw_strerror(r));
			return 1;
		}
	}
	rw_sleep_ns(2000000);
	RW_ASSERT(rw_notify(note, 0x01) == 0);
	long r = get(wc, &m, 1);
	if (r == 0 && m.label == 0 && m.w[2] == 1) {
		RW_ASSERT(rw_notify(note, 0x40) == 0);
		r = get(wc, &m, 2);
	}
	if (r != 0 || m.label != 0 || m.w[0] != 5 || m.w[1] != 0x41 || m.w[2] != 2 || m.w[3] != 2) {
		printf("wakecall: FAIL get: %s value %llu events 0x%llx wakes %llu echoed %llu\n",
		       rw_strerror(r), (unsigned long long)m.w[0], (unsigned long long)m.w[1],
		       (unsigned long long)m.w[2], (unsigned long long)m.w[3]);
		return 1;
	}
	printf("wakecall: ok\n");
	return 0;
}
