/*
 * rotor_server (serves "rotor"): a server with its own receive loop and its
 * handler inlined into it, which rotates a table pointer every 64 requests.
 * The pointer lives in a callee-saved register across requests and changes
 * legitimately: the kernel's kept-register check (which is sound only for
 * the SDK's rw_serve loop) must never take it for corruption.
 * Reply to w0 = v: w0 = the table entry v & 63 after adding v to it.
 */
#include <stdio.h>
#include <rewind/rewind.h>

#define ROTATE_EVERY 64

static long tables[4][64];

static __attribute__((noinline)) long work(long *table, long v)
{
	table[v & 63] += v;
	return table[v & 63];
}

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge = 0;
	unsigned long n = 0;
	long *table = tables[0];
	long r = rw_cap_get("rotor", &ep);

	if (r < 0) {
		printf("rotor: no endpoint: %s\n", rw_strerror(r));
		return 1;
	}
	r = rw_recv(ep, &m, &badge);
	for (;;) {
		if (r < 0) {
			r = rw_recv(ep, &m, &badge);
			continue;
		}
		if (++n % ROTATE_EVERY == 0)
			table = tables[(n / ROTATE_EVERY) % 4];
		long v = (long)m.w[0];
		m.w[0] = m.w[1] = m.w[2] = m.w[3] = 0;
		m.len = 0;
		m.label = 0;
#ifdef ROTOR_REFUSE
		if (v % 5 == 0)
			m.label = RW_EINVAL;
		else
#endif
			m.w[0] = (uint64_t)work(table, v);
		r = rw_reply_recv(ep, &m, &badge);
	}
}
