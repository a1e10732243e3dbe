/* replycall_client (uses "wc"): three SETs, then KICKs of wakecall_server, which answers each
 * with a plain REPLY and then calls echo; the second KICK (0xdead) makes it fail after that
 * call.  The failure belongs to that KICK's transaction: its answer must not be a success, the
 * kick it counted is undone, and the server keeps its state (no restart): the next KICK
 * answers 2 and cell 0 still holds 3.  Prints "replycall: ok" (t_replycall). */
#include <stdio.h>
#include <rewind/rewind.h>

static long kick(rw_cap wc, uint64_t w, rw_msg *m)
{
	*m = (rw_msg){ 3, { w, 0, 0, 0 }, 0 };
	long r = rw_call(wc, m);
	return r < 0 ? r : (long)m->label;
}

int main(void)
{
	rw_cap wc;
	rw_msg m;
	RW_ASSERT(rw_cap_get("wc", &wc) == 0);
	for (uint64_t v = 1; v <= 3; v++) {
		m = (rw_msg){ 1, { v, 0, 0, 0 }, 0 };
		if (rw_call(wc, &m) != 0 || m.label != 0) {
			printf("replycall: FAIL set %llu\n", (unsigned long long)v);
			return 1;
		}
	}
	long r = kick(wc, 1, &m);
	if (r != 0 || m.w[0] != 1) {
		printf("replycall: FAIL first kick: %s, kicks %llu\n", rw_strerror(r),
		       (unsigned long long)m.w[0]);
		return 1;
	}
	r = kick(wc, 0xdead, &m);
	if (r == 0) {
		printf("replycall: FAIL the kick that failed after its REPLY answered a success "
		       "(kicks "
		       "%llu)\n",
		       (unsigned long long)m.w[0]);
		return 1;
	}
	long r2 = kick(wc, 2, &m);
	if (r2 != 0 || m.w[0] != 2) {
		printf("replycall: FAIL kick after the failed one: %s, kicks %llu (the failed kick "
		       "answered %s)\n",
		       rw_strerror(r2), (unsigned long long)m.w[0], rw_strerror(r));
		return 1;
	}
	m = (rw_msg){ 2, { 0, 0, 0, 0 }, 0 };
	if (rw_call(wc, &m) != 0 || m.label != 0 || m.w[0] != 3) {
		printf("replycall: FAIL get: value %llu\n", (unsigned long long)m.w[0]);
		return 1;
	}
	printf("replycall: ok (the failed kick answered %s)\n", rw_strerror(r));
	return 0;
}
