/*
 * The side-by-side benchmark programs (guest/bench/NAME.c): the same C source
 * is built for Rewind (with rewind_plat.c and the SDK) and for QEMU's virt
 * board (qemu-system-riscv64 with qemu/start.S, qemu/plat.c and qemu/link.ld;
 * qemu-system-aarch64 with the same three files of qemu/aarch64/).  Each program times only its kernel with bench_ns(), checks
 * its result against a checksum fixed in its source, and prints one line:
 *
 *   bench: NAME ns=ELAPSED checksum=0xHEX ok
 *
 * or "... FAIL expected=0xHEX" and exits 1.  `rewind bench qemu` parses it.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>

/* Nanoseconds from a monotonic clock (Rewind: CLOCK; QEMU virt: mtime, 10 MHz,
 * on RISC-V; the generic timer's virtual count on AArch64). */
uint64_t bench_ns(void);

/* Print the result line; returns main's exit status. */
static inline int bench_report(const char *name, uint64_t ns, uint64_t sum, uint64_t expected)
{
	if (sum != expected) {
		printf("bench: %s ns=%llu checksum=0x%016llx FAIL expected=0x%016llx\n", name,
		       (unsigned long long)ns, (unsigned long long)sum,
		       (unsigned long long)expected);
		return 1;
	}
	printf("bench: %s ns=%llu checksum=0x%016llx ok\n", name, (unsigned long long)ns,
	       (unsigned long long)sum);
	return 0;
}

/* Deterministic pseudo-random numbers (xorshift64*). */
static inline uint64_t bench_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Mix a value into a running checksum. */
static inline uint64_t bench_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
	return h;
}

/* Runs the timed kernel: t0, kernel, t1, report. */
#define BENCH_MAIN(name, kernel, expected)                         \
	int main(void)                                             \
	{                                                          \
		uint64_t t0 = bench_ns();                          \
		uint64_t sum = kernel();                           \
		uint64_t t1 = bench_ns();                          \
		return bench_report(name, t1 - t0, sum, expected); \
	}

#endif
