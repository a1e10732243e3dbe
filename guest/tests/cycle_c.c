/* cycle_c (serves "c", calls "b"): answers each request after calling b (t_cycle). */
#include <stdio.h>
#include <rewind/rewind.h>
int main(void)
{
	rw_cap ep, b;
	rw_msg m;
	uint64_t badge;
	RW_ASSERT(rw_cap_get("c", &ep) == 0);
	RW_ASSERT(rw_cap_get("b", &b) == 0);
	for (;;) {
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
		rw_msg e = { 6, { m.w[0], 0, 0, 0 }, 0 };
		long r = rw_call(b, &e);
		m = (rw_msg){ 0, { (uint64_t)r, 0, 0, 0 }, 0 };
		RW_ASSERT(rw_reply(&m) == 0);
	}
}
