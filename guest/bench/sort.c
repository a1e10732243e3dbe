/* sort: quicksort (median of three, insertion sort below 16) of 64K 32-bit keys, 6 times. */
#include "bench.h"

#define N      65536
#define ROUNDS 6

static uint32_t a[N];

static void insertion(uint32_t *v, long n)
{
	for (long i = 1; i < n; i++) {
		uint32_t x = v[i];
		long j = i - 1;
		while (j >= 0 && v[j] > x) {
			v[j + 1] = v[j];
			j--;
		}
		v[j + 1] = x;
	}
}

static void quicksort(uint32_t *v, long n)
{
	while (n > 16) {
		uint32_t p0 = v[0], p1 = v[n / 2], p2 = v[n - 1];
		uint32_t p = p0 < p1 ? (p1 < p2 ? p1 : (p0 < p2 ? p2 : p0))
		                     : (p0 < p2 ? p0 : (p1 < p2 ? p2 : p1));
		long i = 0, j = n - 1;
		for (;;) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i >= j)
				break;
			uint32_t t = v[i];
			v[i] = v[j];
			v[j] = t;
			i++;
			j--;
		}
		/* recurse into the smaller part, loop on the larger */
		if (j + 1 < n - j - 1) {
			quicksort(v, j + 1);
			v += j + 1;
			n -= j + 1;
		} else {
			quicksort(v + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion(v, n);
}

static uint64_t kernel(void)
{
	uint64_t seed = 0x5eed50f7, sum = 0;

	for (int r = 0; r < ROUNDS; r++) {
		for (long i = 0; i < N; i++)
			a[i] = (uint32_t)(bench_rand(&seed) >> 32) % (r & 1 ? 1000u : 0xffffffffu);
		quicksort(a, N);
		for (long i = 1; i < N; i++) {
			if (a[i - 1] > a[i])
				return 0; /* not sorted */
		}
		for (long i = 0; i < N; i += 97)
			sum = bench_mix(sum, a[i]);
	}
	return sum;
}

BENCH_MAIN("sort", kernel, 0x15d2c8c578e2ba1c)
