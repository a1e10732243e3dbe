/*
 * fpenv_server (serves "fpenv"): a txipc server whose requests change the FP control and status
 * state (AArch64 fpcr and fpsr; RISC-V fcsr in a FLOAT=hard build): label 1 sets the rounding mode
 * to w0 (0 nearest, 1 upward, 2 downward, 3 toward zero), raises inexact and, if w1, then faults
 * (a store to address 0); label 2 answers whether inexact was raised since the last label 2 (w2),
 * then 1.0 / w0 rounded in the current mode (its bits, w0) and the mode (w1), and clears the flags.
 * A rollback and a history replay must leave the mode and the flags of the last committed request.
 * (An outside buddy allocator's probe, session 53, helper Z.)
 */
#include <stdint.h>
#include <string.h>
#include <fenv.h>
#include <rewind/rewind.h>

#if defined(FE_UPWARD) && defined(FE_DOWNWARD) && defined(FE_TOWARDZERO) && defined(FE_INEXACT)
static const int modes[4] = { FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO };
#else /* (a soft-float RISC-V build has no FP environment: the client checks nothing there) */
#define FE_INEXACT 0
static const int modes[4] = { FE_TONEAREST, FE_TONEAREST, FE_TONEAREST, FE_TONEAREST };
#endif

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge;
	RW_ASSERT(rw_cap_get("fpenv", &ep) == 0);
	long r = rw_recv(ep, &m, &badge);
	for (;;) {
		if (r < 0) {
			r = rw_recv(ep, &m, &badge);
			continue;
		}
		uint64_t w0 = 0, w1 = 0, w2 = 0;
		if (m.label == 1) {
			fesetround(modes[m.w[0] & 3]);
			volatile double x = 1.0, y = 3.0;
			volatile double z = x / y; /* raises inexact */
			(void)z;
			if (m.w[1])
				*(volatile long *)(uintptr_t)m.w[2] = 1;
		} else if (m.label == 2) {
			w2 = fetestexcept(FE_INEXACT) ? 1 : 0;
			volatile double x = 1.0, y = (double)m.w[0];
			double z = x / y;
			memcpy(&w0, &z, sizeof w0);
			int mode = fegetround();
			for (int i = 0; i < 4; i++)
				if (modes[i] == mode)
					w1 = (uint64_t)i;
			feclearexcept(FE_ALL_EXCEPT);
		}
		m.label = 0;
		m.w[0] = w0;
		m.w[1] = w1;
		m.w[2] = w2;
		m.w[3] = 0;
		m.len = 0;
		r = rw_reply_recv(ep, &m, &badge);
	}
}
