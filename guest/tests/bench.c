/*
 * CPU benchmarks, built twice: -DBENCH_STORE selects store_loop.
 *
 * compute_loop / store_loop make no system calls and use neither gp nor tp
 * (this file is compiled with -mno-relax), so the host benchmark can also
 * call them by symbol on a bare emulator: they need only pc, sp, ra and a0,
 * plus the data segment for store_loop.
 */
#include <stdio.h>
#include <stdint.h>
#include <rewind/rewind.h>

#ifdef BENCH_STORE
#define N 20000000ULL /* ~85 ns a store on Unicorn 2.0.1: ~1.8 s */
#else
#define N 200000000ULL /* a few hundred ms */
#endif

/* Integer arithmetic only: xorshift64 plus a multiply-add, all in registers. */
__attribute__((noinline)) uint64_t compute_loop(uint64_t n)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL, acc = 1;

	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc = acc * 6364136223846793005ULL + x;
	}
	return acc ^ x;
}

#define STORE_WORDS (64 * 1024 / 8) /* 64 KiB */
static volatile uint64_t store_area[STORE_WORDS];

/* n 64-bit stores cycling over a 64 KiB static array. */
__attribute__((noinline)) uint64_t store_loop(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		store_area[i & (STORE_WORDS - 1)] = i;
	return n ? store_area[(n - 1) & (STORE_WORDS - 1)] : 0;
}

int main(void)
{
	uint64_t t0 = rw_clock_ns();
#ifdef BENCH_STORE
	uint64_t r = store_loop(N);
	const char *name = "store";
#else
	uint64_t r = compute_loop(N);
	const char *name = "compute";
#endif
	uint64_t ns = rw_clock_ns() - t0;

	printf("bench: %s n=%lu ns=%lu result=%lu\n", name, (unsigned long)N, (unsigned long)ns,
	       (unsigned long)r);
	return 0;
}
