/*
 * The counters a RISC-V program may read (booted by kernel CounterTest):
 * rdcycle, rdinstret and rdtime go forward, and rdtime counts the kernel's
 * clock at 10 MHz (QEMU virt's timebase; the kernel completes the read, as
 * the engine has no timer behind the CSR), in every read-only encoding.
 * Prints "counters: ok" and exits 0, or names the check that failed (exit 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <rewind/rewind.h>

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond)) {                                                    \
			printf("counters: FAIL %s (line %d)\n", #cond, __LINE__); \
			return 1;                                                 \
		}                                                                 \
	} while (0)

static volatile uint64_t sink;

static void spin(void)
{
	for (int i = 0; i < 200000; i++)
		sink += (uint64_t)i;
}

int main(void)
{
	uint64_t c0, c1, i0, i1, t0, t1, t2, t3, t4, t5;
	uint64_t n0 = (uint64_t)rw_clock_ns();
	__asm__ volatile("rdtime %0" : "=r"(t0));
	__asm__ volatile("rdcycle %0" : "=r"(c0));
	__asm__ volatile("rdinstret %0" : "=r"(i0));
	spin();
	__asm__ volatile("rdinstret %0" : "=r"(i1));
	__asm__ volatile("rdcycle %0" : "=r"(c1));
	__asm__ volatile("rdtime %0" : "=r"(t1));
	/* the other read-only encodings, into registers of both kinds */
	__asm__ volatile("csrrc %0, time, zero" : "=r"(t2));
	__asm__ volatile("csrrsi %0, time, 0" : "=r"(t3));
	__asm__ volatile("csrrci %0, time, 0" : "=r"(t4));
	register uint64_t s7 __asm__("s7");
	__asm__ volatile("csrr s7, time" : "=r"(s7));
	t5 = s7;
	__asm__ volatile("csrr zero, time"); /* read into x0: no effect */
	uint64_t n1 = (uint64_t)rw_clock_ns();
	printf("counters: cycle %llu..%llu instret %llu..%llu time %llu..%llu clock %llu..%llu "
	       "ns\n",
	       (unsigned long long)c0, (unsigned long long)c1, (unsigned long long)i0,
	       (unsigned long long)i1, (unsigned long long)t0, (unsigned long long)t5,
	       (unsigned long long)n0, (unsigned long long)n1);
	CHECK(c1 > c0);
	CHECK(i1 > i0);
	CHECK(t1 > t0);
	CHECK(t0 <= t1 && t1 <= t2 && t2 <= t3 && t3 <= t4 && t4 <= t5);
	/* 10 MHz from the kernel's clock: each reading lies between the CLOCK calls around it */
	CHECK(t0 * 100 + 100 > n0);
	CHECK(t5 * 100 <= n1);
	printf("counters: ok\n");
	return 0;
}
