/*
 * constreg_server - a txipc server with its own loop that keeps a label it compares in a
 * register for the whole loop, as an optimising compiler keeps a loop's constants (aftercall's
 * loop kept CHECK's label 2 in s6). ADD (label 1: w0 = amount) adds to the total and answers it;
 * SUM (label 2, the register's) answers the total (w0) and the number of ADDs (w1); anything
 * else is refused ENOSYS.
 *
 * A fault that spoils the register after a request committed (a bit flipped in the work after
 * its reply) has every later SUM refused from the same registers in both runs that verify =
 * "refusals" makes: TxIpcVerifyTest flips it (CONST_REG) and the kernel replays the kept history
 * from before the register changed, after which SUM is answered.
 */
#include <rewind/rewind.h>

#if defined(__riscv)
#define CONST_REG "s5"
#else
#define CONST_REG "x25"
#endif

static uint64_t total, adds;

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge;

	RW_ASSERT(rw_cap_get("constreg", &ep) == 0);
	register uint64_t sum_label __asm__(CONST_REG) = 2;
	for (;;) {
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
		__asm__ volatile("" : "+r"(sum_label)); /* (kept in CONST_REG across the loop) */
		if (m.label == 1) {
			total += m.w[0];
			adds++;
			m.label = 0;
			m.w[0] = total;
		} else if (m.label == sum_label) {
			m.label = 0;
			m.w[0] = total;
			m.w[1] = adds;
		} else {
			m.label = (uint64_t)RW_ENOSYS;
		}
		m.len = 0;
		RW_ASSERT(rw_reply(&m) == 0);
	}
}
