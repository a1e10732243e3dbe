/* cycle_b (serves "b", calls "a"): three times, calls a, then serves one call from c (which a's
 * call reached).  Prints "cycle_b: ok" (t_cycle). */
#include <stdio.h>
#include <rewind/rewind.h>
int main(void)
{
	rw_cap ep, a;
	rw_msg m;
	uint64_t badge;
	RW_ASSERT(rw_cap_get("b", &ep) == 0);
	RW_ASSERT(rw_cap_get("a", &a) == 0);
	for (int i = 0; i < 3; i++) {
		m = (rw_msg){ 1, { 0, 0, 0, 0 }, 0 };
		long r = rw_call(a, &m);
		printf("cycle_b: call a -> %s, n %lu\n", rw_strerror(r), (unsigned long)m.w[0]);
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
		m = (rw_msg){ 0, { 1, 0, 0, 0 }, 0 };
		RW_ASSERT(rw_reply(&m) == 0);
	}
	printf("cycle_b: ok\n");
	return 0;
}
