/* Small workloads of the kinds outside programs run: SHA-256, an FFT in
 * double, parsing with sscanf/strtok, qsort/bsearch, a jump-table
 * interpreter, struct copies, function pointers, Ackermann. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "isa.h"

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256(const uint8_t *msg, size_t len, uint8_t out[32])
{
	static const uint32_t k[64] = {
		0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
		0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
		0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
		0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
		0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
		0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
		0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
		0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
		0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
		0xc67178f2
	};
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		          0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	size_t total = ((len + 9 + 63) / 64) * 64;
	for (size_t off = 0; off < total; off += 64) {
		uint8_t blk[64];
		for (int i = 0; i < 64; i++) {
			size_t p = off + (size_t)i;
			blk[i] = p < len ? msg[p] : p == len ? 0x80 : 0;
		}
		if (off + 64 == total)
			for (int i = 0; i < 8; i++)
				blk[63 - i] = (uint8_t)((uint64_t)len * 8 >> (8 * i));
		uint32_t w[64];
		for (int i = 0; i < 16; i++)
			w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
			       (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
		for (int i = 16; i < 64; i++)
			w[i] = w[i - 16] +
			       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
			       w[i - 7] +
			       (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6],
		         hh = h[7];
		for (int i = 0; i < 64; i++) {
			uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
			              ((e & f) ^ (~e & g)) + k[i] + w[i];
			uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
			              ((a & b) ^ (a & c) ^ (b & c));
			hh = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g,
		        h[7] += hh;
	}
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static void fft(double *re, double *im, int n)
{
	for (int i = 1, j = 0; i < n; i++) {
		int bit = n >> 1;
		for (; j & bit; bit >>= 1)
			j ^= bit;
		j ^= bit;
		if (i < j) {
			double t = re[i];
			re[i] = re[j];
			re[j] = t;
			t = im[i];
			im[i] = im[j];
			im[j] = t;
		}
	}
	for (int len = 2; len <= n; len <<= 1) {
		double ang = -2 * M_PI / len;
		double wr = cos(ang), wi = sin(ang);
		for (int i = 0; i < n; i += len) {
			double cr = 1, ci = 0;
			for (int j = 0; j < len / 2; j++) {
				double ur = re[i + j], ui = im[i + j];
				double vr = re[i + j + len / 2] * cr - im[i + j + len / 2] * ci;
				double vi = re[i + j + len / 2] * ci + im[i + j + len / 2] * cr;
				re[i + j] = ur + vr;
				im[i + j] = ui + vi;
				re[i + j + len / 2] = ur - vr;
				im[i + j + len / 2] = ui - vi;
				double nr = cr * wr - ci * wi;
				ci = cr * wi + ci * wr;
				cr = nr;
			}
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static uint64_t ack(uint64_t m, uint64_t n)
{
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ack(m - 1, 1);
	return ack(m - 1, ack(m, n - 1));
}

struct rec {
	char name[21];
	uint8_t tag;
	int16_t s;
	double d;
	uint64_t v[3];
};

static int interp(const uint8_t *code, int n, int64_t *stack)
{
	int sp = 0;
	for (int pc = 0; pc < n; pc++) {
		switch (code[pc] % 12) {
		case 0:
			stack[sp++] = code[pc] >> 4;
			break;
		case 1:
			if (sp > 1) {
				sp--;
				stack[sp - 1] += stack[sp];
			}
			break;
		case 2:
			if (sp > 1) {
				sp--;
				stack[sp - 1] *= stack[sp] | 1;
			}
			break;
		case 3:
			if (sp > 1) {
				sp--;
				stack[sp - 1] -= stack[sp];
			}
			break;
		case 4:
			if (sp > 0)
				stack[sp - 1] = ~stack[sp - 1];
			break;
		case 5:
			if (sp > 1) {
				sp--;
				stack[sp - 1] ^= stack[sp] << 3;
			}
			break;
		case 6:
			if (sp > 0 && sp < 60) {
				stack[sp] = stack[sp - 1];
				sp++;
			}
			break;
		case 7:
			if (sp > 1) {
				int64_t t = stack[sp - 1];
				stack[sp - 1] = stack[sp - 2];
				stack[sp - 2] = t;
			}
			break;
		case 8:
			if (sp > 1) {
				sp--;
				stack[sp - 1] = stack[sp] ? stack[sp - 1] / (stack[sp] | 3) : 0;
			}
			break;
		case 9:
			if (sp > 0)
				stack[sp - 1] >>= 1;
			break;
		case 10:
			if (sp > 0)
				sp--;
			break;
		default:
			if (sp > 0)
				stack[sp - 1] =
				        (int64_t)((uint64_t)stack[sp - 1] * 0x9E3779B97F4A7C15ULL);
			break;
		}
		if (sp >= 60)
			sp = 59;
	}
	return sp;
}

int main(void)
{
	uint8_t d[32];
	static uint8_t msg[5000];
	for (int i = 0; i < 5000; i++)
		msg[i] = (uint8_t)(i * 7 + i / 13);
	sha256((const uint8_t *)"abc", 3, d);
	OUT("sha256_abc",
	    (uint64_t)d[0] << 56 | (uint64_t)d[1] << 48 | (uint64_t)d[2] << 40 | (uint64_t)d[31]);
	uint64_t h = 0;
	for (size_t n = 0; n < 5000; n += 333) {
		sha256(msg, n, d);
		for (int i = 0; i < 32; i++)
			h = isa_mix(h, d[i]);
	}
	OUT("sha256", h);

	static double re[1024], im[1024];
	for (int i = 0; i < 1024; i++) {
		re[i] = sin(i * 0.1) + 0.5 * cos(i * 0.37);
		im[i] = 0;
	}
	fft(re, im, 1024);
	h = 0;
	for (int i = 0; i < 1024; i++) {
		uint64_t u;
		double m = sqrt(re[i] * re[i] + im[i] * im[i]);
		memcpy(&u, &m, 8);
		h = isa_mix(h, u);
	}
	OUT("fft", h);

	char text[] =
	        "alpha=1.5 beta=-2e3, gamma=0x1F delta=007 eps=3.25e-2; zeta=-0 eta=12345678901";
	h = 0;
	for (char *tok = strtok(text, " ,;"); tok; tok = strtok(NULL, " ,;")) {
		char key[16];
		char val[32];
		if (sscanf(tok, "%15[a-z]=%31s", key, val) == 2) {
			double dv;
			long lv;
			int used = 0;
			h = isa_mix(h, strlen(key));
			if (sscanf(val, "%li%n", &lv, &used) == 1 && val[used] == 0)
				h = isa_mix(h, (uint64_t)lv);
			else if (sscanf(val, "%lf", &dv) == 1) {
				uint64_t u;
				memcpy(&u, &dv, 8);
				h = isa_mix(h, u);
			}
			for (char *p = key; *p; p++)
				h = isa_mix(h, (uint64_t)toupper((unsigned char)*p));
		}
	}
	OUT("parse", h);

	const char *words[] = { "pear",  "apple",  "fig",   "banana", "kiwi",  "cherry", "date",
		                "grape", "lemon",  "lime",  "mango",  "melon", "olive",  "papaya",
		                "plum",  "quince", "Apple", "",       "zz",    "a" };
	qsort(words, 20, sizeof words[0], cmp_str);
	char joined[200] = "";
	for (int i = 0; i < 20; i++) {
		strcat(joined, words[i]);
		strcat(joined, ",");
	}
	out_str("qsort_str", joined);
	static double dv[3000];
	for (int i = 0; i < 3000; i++)
		dv[i] = sin(i * 1.7) * 1000;
	qsort(dv, 3000, sizeof dv[0], cmp_dbl);
	double key = dv[1234];
	double *found = bsearch(&key, dv, 3000, sizeof dv[0], cmp_dbl);
	OUT("bsearch", found ? (uint64_t)(found - dv) : 9999);
	uint64_t u;
	memcpy(&u, &dv[0], 8);
	OUT("qsort_min", u);

	uint8_t code[4000];
	for (int i = 0; i < 4000; i++)
		code[i] = (uint8_t)(msg[i] ^ (i * 31));
	int64_t stack[64] = { 0 };
	int sp = interp(code, 4000, stack);
	h = (uint64_t)sp;
	for (int i = 0; i < sp; i++)
		h = isa_mix(h, (uint64_t)stack[i]);
	OUT("interp", h);

	struct rec a[8], b[8];
	for (int i = 0; i < 8; i++) {
		memset(&a[i], 0, sizeof a[i]);
		snprintf(a[i].name, sizeof a[i].name, "rec%d-%x", i, i * 4099);
		a[i].tag = (uint8_t)(i * 40);
		a[i].s = (int16_t)(-i * 1000);
		a[i].d = i / 7.0;
		a[i].v[0] = (uint64_t)i << 60;
		a[i].v[2] = ~(uint64_t)i;
	}
	for (int i = 0; i < 8; i++)
		b[7 - i] = a[i];
	h = 0;
	for (int i = 0; i < 8; i++) {
		const uint8_t *p = (const uint8_t *)&b[i];
		for (size_t j = 0; j < offsetof(struct rec, d); j++)
			h = isa_mix(h, p[j]);
		memcpy(&u, &b[i].d, 8);
		h = isa_mix(h, u ^ b[i].v[0] ^ b[i].v[2]);
	}
	OUT("structs", h);

	double (*fns[])(double) = { sin, cos, exp, sqrt, fabs, floor, log1p, atan };
	h = 0;
	for (int i = 0; i < 64; i++) {
		double r = fns[i % 8](i * 0.21);
		memcpy(&u, &r, 8);
		h = isa_mix(h, u);
	}
	OUT("fnptr", h);
	OUT("ackermann", ack(2, 300) + ack(3, 5));
	return isa_end("work");
}
