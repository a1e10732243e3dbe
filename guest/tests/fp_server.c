/*
 * fp_server (serves "fp"): a server whose state between requests is a floating-point running
 * sum kept in a register across its receive loop, never in memory (on AArch64 an FP/SIMD
 * register: GCC -O2 keeps it in d1, the syscalls being inline svc; on RISC-V an f register
 * when built with FLOAT=hard, else a soft-float double in an integer register).
 * Under txipc a request that faults after changing the sum must leave it as it was: the
 * rollback restores the FP/SIMD registers as well as the general ones.
 *   label 1: sum += w0 (an integer, as a double); if w1, then store to the address in w2
 *            (the client passes 0: the request faults after the sum changed)
 *   label 2: reply w0 = the sum's bits
 */
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <rewind/rewind.h>

#ifdef __aarch64__
/* The value must be in an FP/SIMD register at this point (not only in a later one). */
#define IN_FP_REGISTER(x) __asm__ volatile("" : "+w"(x))
#elif defined(__riscv_flen) && __riscv_flen >= 64
/* Built for the FPU (the SDK's FLOAT=hard): an f register, fs0 between requests. */
#define IN_FP_REGISTER(x) __asm__ volatile("" : "+f"(x))
#define HARD_FLOAT_RISCV  1
#else
#define IN_FP_REGISTER(x) __asm__ volatile("" : "+r"(x))
#endif

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge = 0;
#ifdef HARD_FLOAT_RISCV
	/* GCC would keep it in an integer register between the requests (fmv.x.d). */
	register double sum __asm__("fs0") = 0.0;
#else
	double sum = 0.0;
#endif
	long r = rw_cap_get("fp", &ep);

	if (r < 0) {
		printf("fp_server: no endpoint: %s\n", rw_strerror(r));
		return 1;
	}
	r = rw_recv(ep, &m, &badge);
	for (;;) {
#ifdef HARD_FLOAT_RISCV
		IN_FP_REGISTER(sum);
#endif
		if (r < 0) {
			r = rw_recv(ep, &m, &badge);
			continue;
		}
		uint64_t bits = 0;
		if (m.label == 1) {
			sum += (double)(long)m.w[0];
			IN_FP_REGISTER(sum);
			if (m.w[1]) /* fault after the sum changed */
				*(volatile long *)(uintptr_t)m.w[2] = 1;
		} else if (m.label == 2) {
			double now = sum;
			memcpy(&bits, &now, sizeof bits);
		}
		m.label = 0;
		m.w[0] = bits;
		m.w[1] = m.w[2] = m.w[3] = 0;
		m.len = 0;
		r = rw_reply_recv(ep, &m, &badge);
	}
}
