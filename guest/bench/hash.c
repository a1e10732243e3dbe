/* hash: an open-addressing hash table (linear probing, 64-bit keys, FNV-1a of
 * their bytes) with inserts, hits, misses and deletions (backward shift). */
#include "bench.h"

#define CAP    65536 /* slots, a power of two */
#define KEYS   40000
#define ROUNDS 6

static uint64_t keys[CAP];
static uint32_t vals[CAP];
static uint8_t used[CAP];

static uint64_t fnv1a(uint64_t k)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < 8; i++) {
		h ^= (k >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int insert(uint64_t k, uint32_t v)
{
	for (uint64_t i = fnv1a(k) & (CAP - 1);; i = (i + 1) & (CAP - 1)) {
		if (!used[i]) {
			used[i] = 1;
			keys[i] = k;
			vals[i] = v;
			return 1;
		}
		if (keys[i] == k) {
			vals[i] = v;
			return 0;
		}
	}
}

static long find(uint64_t k)
{
	for (uint64_t i = fnv1a(k) & (CAP - 1); used[i]; i = (i + 1) & (CAP - 1)) {
		if (keys[i] == k)
			return (long)i;
	}
	return -1;
}

static void erase(uint64_t k)
{
	long at = find(k);
	if (at < 0)
		return;
	uint64_t hole = (uint64_t)at;
	used[hole] = 0;
	/* shift later members of the cluster back over the hole */
	for (uint64_t i = (hole + 1) & (CAP - 1); used[i]; i = (i + 1) & (CAP - 1)) {
		uint64_t home = fnv1a(keys[i]) & (CAP - 1);
		/* can the entry at i move to hole? only if home is not in (hole, i] cyclically */
		if (((i - home) & (CAP - 1)) >= ((i - hole) & (CAP - 1))) {
			keys[hole] = keys[i];
			vals[hole] = vals[i];
			used[hole] = 1;
			used[i] = 0;
			hole = i;
		}
	}
}

static uint64_t kernel(void)
{
	uint64_t sum = 0;

	for (int r = 0; r < ROUNDS; r++) {
		uint64_t seed = 0x4a5417 + r, s2;
		long inserted = 0, hits = 0, misses = 0;
		for (long i = 0; i < CAP; i++)
			used[i] = 0;
		for (long i = 0; i < KEYS; i++)
			inserted += insert(bench_rand(&seed) & 0xfffffff, (uint32_t)i);
		s2 = 0x4a5417 + r;
		for (long i = 0; i < KEYS; i++) { /* every key again: hits */
			long at = find(bench_rand(&s2) & 0xfffffff);
			if (at >= 0) {
				hits++;
				sum = bench_mix(sum, vals[at]);
			}
		}
		for (long i = 0; i < KEYS; i++) /* other keys: mostly misses */
			misses += find((bench_rand(&seed) & 0xfffffff) | 0x10000000) < 0;
		s2 = 0x4a5417 + r;
		for (long i = 0; i < KEYS / 2; i++) /* delete half, then look all up */
			erase(bench_rand(&s2) & 0xfffffff);
		s2 = 0x4a5417 + r;
		long left = 0;
		for (long i = 0; i < KEYS; i++)
			left += find(bench_rand(&s2) & 0xfffffff) >= 0;
		sum = bench_mix(sum,
		                (uint64_t)inserted << 40 | (uint64_t)hits << 20 | (uint64_t)misses);
		sum = bench_mix(sum, (uint64_t)left);
	}
	return sum;
}

BENCH_MAIN("hash", kernel, 0xb8e8302ca693972f)
