/* bigmem: a working set of 8 MiB (2048 pages, far more than a 256-entry TLB
 * covers) touched at random: each step loads a word whose index depends on
 * the last one, adds to it, and loads another word elsewhere. */
#include "bench.h"

#define WORDS (1u << 20) /* 8 MiB of 64-bit words: a power of two */
#define STEPS 300000

static uint64_t big[WORDS];

static uint64_t kernel(void)
{
	uint64_t seed = 0xb16e, sum = 0, i = 0;
	for (long k = 0; k < STEPS; k++) {
		uint64_t r = bench_rand(&seed);
		i = (r ^ big[i]) & (WORDS - 1);
		big[i] += r;
		sum ^= big[(i * 2654435761u) & (WORDS - 1)];
	}
	return sum;
}

BENCH_MAIN("bigmem", kernel, 0xef22c5439d1d74af)
