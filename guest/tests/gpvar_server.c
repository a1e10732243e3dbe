/*
 * gpvar_server - a txipc server whose globals are read and written through gp, as the linker's
 * relaxation makes a program's small globals (RISC-V; on AArch64 plain accesses). A bit of gp
 * flipped inside a request (or in the work after its plain REPLY) makes those accesses reach
 * another global, without a trap: TxIpcFixedRegisterTest checks that no reply computed so leaves
 * and no such work commits (an outside job queue, seed 1600256).
 *
 * ADD (label 1: w0 = x) adds x to the total and counts it, answering the total (w0) and the
 * count (w1); GET (label 2) answers the total, the count and the steps (w2): one step after
 * each request committed before it, run between its plain REPLY and the next receive. QUIT
 * (label 3) answers 0 and the server exits after its reply (t_gpvar_quit: a server that means to
 * stop, whose exit the kernel lets go when the request's run again makes it too).
 */
#include <rewind/rewind.h>

long gv_total, gv_count, gv_steps;

#ifdef __riscv
extern char __global_pointer$[];
#endif

/* &v, reached from gp as relaxed code reaches it (gp read here, at each access). */
static long *gprel(long *v)
{
#ifdef __riscv
	long off = (char *)v - __global_pointer$, *p;
	__asm__ volatile("add %0, gp, %1" : "=r"(p) : "r"(off));
	return p;
#else
	return v;
#endif
}

static long handle(rw_msg *m)
{
	if (m->label == 1) {
		*gprel(&gv_total) += (long)m->w[0];
		*gprel(&gv_count) += 1;
		m->w[0] = (uint64_t)*gprel(&gv_total);
		m->w[1] = (uint64_t)*gprel(&gv_count);
		m->w[2] = 0;
		return 0;
	}
	if (m->label == 2) {
		m->w[0] = (uint64_t)*gprel(&gv_total);
		m->w[1] = (uint64_t)*gprel(&gv_count);
		m->w[2] = (uint64_t)*gprel(&gv_steps);
		return 0;
	}
	m->w[0] = m->w[1] = m->w[2] = 0;
	return m->label == 3 ? 0 : RW_ENOSYS;
}

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge;

	RW_ASSERT(rw_cap_get("gpvar", &ep) == 0);
	for (;;) {
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
		int quit = m.label == 3;
		m.label = (uint64_t)handle(&m);
		m.w[3] = 0;
		m.len = 0;
		RW_ASSERT(rw_reply(&m) == 0);
		*gprel(&gv_steps) += 1; /* the work after the reply */
		if (quit)
			rw_exit(0);
	}
}
