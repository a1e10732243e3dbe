/* cycle_a (serves "a", calls "c"; txipc in t_cycle): answers each request with a plain REPLY
 * (a count), then calls c.  Its reply must reach its client before that call: c calls the
 * client back (t_cycle). */
#include <stdio.h>
#include <rewind/rewind.h>
static long n;
int main(void)
{
	rw_cap ep, c;
	rw_msg m;
	uint64_t badge;
	RW_ASSERT(rw_cap_get("a", &ep) == 0);
	RW_ASSERT(rw_cap_get("c", &c) == 0);
	for (;;) {
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
		n++;
		m = (rw_msg){ 0, { n, 0, 0, 0 }, 0 };
		RW_ASSERT(rw_reply(&m) == 0);
		rw_msg e = { 5, { n, 0, 0, 0 }, 0 };
		long r = rw_call(c, &e);
		printf("cycle_a: call c -> %ld\n", r);
	}
}
