/* compress: an LZ77 compressor (hash of 3 bytes -> last position, greedy matches
 * up to 258 bytes within 64 KiB, literal runs) and its decompressor, round trip
 * over 96 KiB of text-like data; the output must equal the input. */
#include <string.h>
#include "bench.h"

#define IN     98304
#define HBITS  13
#define ROUNDS 64

static uint8_t in[IN], out[IN + IN / 64 + 16], back[IN];
static int32_t head[1 << HBITS];

/* Format: token byte t; t < 128: t + 1 literals follow; else match of length
 * (t - 128) + 3 (<= 130) at a 16-bit distance that follows (little-endian). */
static long compress(const uint8_t *src, long n, uint8_t *dst)
{
	long o = 0, lit = 0, litpos = -1;

	for (long i = 0; i < (1 << HBITS); i++)
		head[i] = -1;
	for (long i = 0; i < n;) {
		long best = 0, dist = 0;
		if (i + 3 <= n) {
			uint32_t h =
			        ((uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2]) *
			                2654435761u >>
			        (32 - HBITS);
			long cand = head[h];
			head[h] = (int32_t)i;
			if (cand >= 0 && i - cand <= 65535) {
				long len = 0, max = n - i < 130 ? n - i : 130;
				while (len < max && src[cand + len] == src[i + len])
					len++;
				if (len >= 3) {
					best = len;
					dist = i - cand;
				}
			}
		}
		if (best) {
			dst[o++] = (uint8_t)(128 + best - 3);
			dst[o++] = (uint8_t)dist;
			dst[o++] = (uint8_t)(dist >> 8);
			lit = 0;
			i += best;
		} else {
			if (lit == 0 || lit == 128) {
				litpos = o++;
				lit = 0;
			}
			dst[litpos] = (uint8_t)lit;
			dst[o++] = src[i++];
			lit++;
		}
	}
	return o;
}

static long decompress(const uint8_t *src, long n, uint8_t *dst)
{
	long o = 0;
	for (long i = 0; i < n;) {
		uint8_t t = src[i++];
		if (t < 128) {
			for (int k = 0; k <= t; k++)
				dst[o++] = src[i++];
		} else {
			long len = t - 128 + 3, dist = src[i] | (long)src[i + 1] << 8;
			i += 2;
			for (long k = 0; k < len; k++, o++)
				dst[o] = dst[o - dist];
		}
	}
	return o;
}

static uint64_t kernel(void)
{
	static const char *const words[] = {
		"the ",      "rewind ",  "machine ", "restarts ", "its ",    "drivers ",
		"and ",      "servers ", "when ",    "they ",     "fault, ", "replaying ",
		"requests ", "exactly ", "once. ",   "\n",
	};
	uint64_t seed = 0xc0ffee, sum = 0;
	long n = 0;

	while (n < IN) {
		uint64_t r = bench_rand(&seed);
		if ((r & 15) == 0) { /* noise */
			in[n++] = (uint8_t)(r >> 8);
			continue;
		}
		const char *w = words[(r >> 4) % 16];
		for (long k = 0; w[k] && n < IN; k++)
			in[n++] = (uint8_t)w[k];
	}
	for (int r = 0; r < ROUNDS; r++) {
		long c = compress(in, IN, out);
		long d = decompress(out, c, back);
		if (d != IN || memcmp(in, back, IN) != 0)
			return 0;
		sum = bench_mix(sum, (uint64_t)c);
		for (long i = 0; i < c; i += 61)
			sum = bench_mix(sum, out[i]);
	}
	return sum;
}

BENCH_MAIN("compress", kernel, 0xf362348bdaf15114)
