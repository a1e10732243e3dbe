/* strsearch: Boyer-Moore-Horspool search for 8 patterns in 128 KiB of text from
 * a 6-letter alphabet, cross-checked against a naive search on a prefix. */
#include <string.h>
#include "bench.h"

#define TEXT 131072
#define NPAT 8

static char text[TEXT + 1];

static long horspool(const char *t, long n, const char *p, long m)
{
	long skip[256], count = 0;

	for (int c = 0; c < 256; c++)
		skip[c] = m;
	for (long i = 0; i < m - 1; i++)
		skip[(unsigned char)p[i]] = m - 1 - i;
	for (long i = 0; i + m <= n;) {
		long j = m - 1;
		while (j >= 0 && t[i + j] == p[j])
			j--;
		if (j < 0)
			count++;
		i += skip[(unsigned char)t[i + m - 1]];
	}
	return count;
}

static long naive(const char *t, long n, const char *p, long m)
{
	long count = 0;
	for (long i = 0; i + m <= n; i++) {
		long j = 0;
		while (j < m && t[i + j] == p[j])
			j++;
		count += j == m;
	}
	return count;
}

static uint64_t kernel(void)
{
	static const char *const pats[NPAT] = {
		"abc", "fedcba", "aaaa", "cafebabe", "bead", "decade", "facade", "abcdefabcdef",
	};
	uint64_t seed = 0x57a12c4, sum = 0;

	for (long i = 0; i < TEXT; i++) {
		uint64_t r = bench_rand(&seed);
		/* now and then a planted word, else a random letter */
		if ((r & 255) == 0 && i + 12 < TEXT) {
			const char *w = pats[(r >> 8) % NPAT];
			long len = (long)strlen(w);
			for (long k = 0; k < len; k++)
				text[i + k] = w[k];
			i += len - 1;
		} else {
			text[i] = (char)('a' + (r >> 32) % 6);
		}
	}
	text[TEXT] = 0;
	for (int round = 0; round < 24; round++) {
		for (int k = 0; k < NPAT; k++) {
			long m = (long)strlen(pats[k]);
			long c = horspool(text, TEXT, pats[k], m);
			if (round == 0 &&
			    horspool(text, 8192, pats[k], m) != naive(text, 8192, pats[k], m))
				return 0;
			sum = bench_mix(sum, (uint64_t)c);
		}
	}
	return sum;
}

BENCH_MAIN("strsearch", kernel, 0xed456cf35c078083)
