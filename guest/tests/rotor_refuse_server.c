/*
 * rotor_refuse_server (serves "rotor"): rotor_server's own receive loop with its handler
 * inlined, rotating a table pointer every 64 requests, and refusing (RW_EINVAL, one of the
 * refusals) every request whose value is a multiple of 5. A refusal right after the pointer
 * rotated is the program's own answer: no kernel heuristic on the loop's registers may take
 * it for corruption.
 * Reply to w0 = v: RW_EINVAL if v % 5 == 0, else w0 = the table entry v & 63 after adding v.
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
		if (v % 5 == 0) {
			m.label = RW_EINVAL;
		} else {
			m.label = 0;
			m.w[0] = (uint64_t)work(table, v);
		}
		r = rw_reply_recv(ep, &m, &badge);
	}
}
