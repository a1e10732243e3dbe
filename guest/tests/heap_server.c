/*
 * heap_server (serves "heap"): grows its heap on request, so that heap growth
 * is exercised under the server's recovery policy (none, restart, txipc).
 *
 *   label 1, w[0] = n: sbrk(n); write a pattern derived from the address into
 *                      the first byte of every 64 bytes of the new memory.  Reply label 0 and w[0] = the bytes of
 *                      heap grown so far, or label RW_ENOMEM (the break is
 *                      unchanged).
 *   label 2:           check the pattern everywhere grown so far (and that
 *                      the bytes half-way between are zero); reply label 0 and w[0] =
 *                      the number of bad bytes.
 *
 * The server allocates nothing else (no printf, no malloc), so the bytes it is
 * granted are exactly its heap limit when it reaches RW_ENOMEM.
 */
#include <rewind/rewind.h>

static uintptr_t start; /* the break at the first request */
static uintptr_t brk;   /* the current break */

static unsigned char pattern(uintptr_t a)
{
	return (unsigned char)((a >> 12) ^ (a * 7));
}

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)badge;
	(void)ctx;
	if (start == 0)
		start = brk = (uintptr_t)rw_sbrk(0);
	if (m->label == 1) {
		long prev = rw_sbrk((long)m->w[0]);
		if (prev < 0) {
			m->label = (uint64_t)prev;
			return;
		}
		if ((uintptr_t)prev != brk) {
			m->label = (uint64_t)RW_EINVAL;
			return;
		}
		for (uintptr_t a = brk; a < brk + m->w[0]; a++)
			if (a % 64 == 0)
				*(volatile unsigned char *)a = pattern(a);
		brk += m->w[0];
		m->label = 0;
		m->w[0] = brk - start;
	} else if (m->label == 2) {
		uint64_t bad = 0;
		for (uintptr_t a = start; a < brk; a += 32)
			if (*(volatile unsigned char *)a != (a % 64 == 0 ? pattern(a) : 0))
				bad++;
		m->label = 0;
		m->w[0] = bad;
	} else {
		m->label = (uint64_t)RW_EINVAL;
	}
	m->len = 0;
}

int main(void)
{
	rw_cap ep;

	if (rw_cap_get("heap", &ep) < 0)
		return 1;
	rw_serve(ep, handle, NULL);
}
