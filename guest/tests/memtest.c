/*
 * memtest: the SDK's memcpy, memmove, memset, memcmp and strlen (sdk/string.c)
 * against trivial byte-at-a-time references, over every size 0..MAXN, every
 * source and destination alignment 0..7, and overlapping moves in both
 * directions.  Bytes around each destination must stay untouched and the
 * return values must be right.  Prints "memtest: ok <cases>" or the first
 * failing case, and exits non-zero on failure.
 *
 * Compiled with -fno-builtin -fno-tree-loop-distribute-patterns so the
 * reference loops below stay loops and every call reaches the SDK's code.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAXN 300
#define PAD  32 /* guard bytes checked on each side */
#define BUF  (MAXN + 2 * PAD + 64)

static unsigned char src[BUF] __attribute__((aligned(8)));
static unsigned char dst[BUF] __attribute__((aligned(8)));
static unsigned char ref[BUF] __attribute__((aligned(8)));

static unsigned long cases;
static int failed;

/* The pattern byte at index i of buffer "salt": no two neighbours equal. */
static unsigned char pat(unsigned i, unsigned salt)
{
	uint32_t x = (i + 1) * 2654435761u ^ salt * 40503u;
	return (unsigned char)(x >> 13 ^ x >> 24 ^ i);
}

/* Fill b[lo..hi) with pattern salt (word stores over the aligned part). */
static void fill(unsigned char *b, unsigned lo, unsigned hi, unsigned salt)
{
	unsigned i = lo;

	while (i < hi && (i & 7))
		b[i] = pat(i, salt), i++;
	for (; i + 8 <= hi; i += 8) {
		uint64_t w = 0;
		for (unsigned k = 0; k < 8; k++)
			w |= (uint64_t)pat(i + k, salt) << (8 * k);
		*(uint64_t __attribute__((may_alias)) *)(b + i) = w;
	}
	for (; i < hi; i++)
		b[i] = pat(i, salt);
}

static void fail(const char *fn, unsigned n, int a, int b, unsigned at, int got, int want)
{
	if (!failed)
		printf("memtest: FAIL %s n=%u a=%d b=%d at=%u got=%d want=%d\n", fn, n, a, b, at,
		       got, want);
	failed = 1;
}

/* x[lo..hi) must equal y[lo..hi). */
static int same_in(const unsigned char *x, const unsigned char *y, const char *fn, unsigned n,
                   int a, int b, unsigned lo, unsigned hi)
{
	for (unsigned i = lo; i < hi; i++) {
		if (x[i] != y[i]) {
			fail(fn, n, a, b, i, x[i], y[i]);
			return 0;
		}
	}
	return 1;
}

static int same(const char *fn, unsigned n, int a, int b, unsigned lo, unsigned hi)
{
	return same_in(dst, ref, fn, n, a, b, lo, hi);
}

static void test_memcpy(void)
{
	fill(src, 0, BUF, 1);
	fill(dst, 0, BUF, 2);
	fill(ref, 0, BUF, 2);
	for (unsigned n = 0; n <= MAXN; n++) {
		for (int sa = 0; sa < 8; sa++) {
			for (int da = 0; da < 8; da++) {
				unsigned d = PAD + da, s = PAD + sa;
				void *r = memcpy(dst + d, src + s, n);
				for (unsigned i = 0; i < n; i++)
					ref[d + i] = src[s + i];
				cases++;
				if (r != dst + d)
					fail("memcpy-ret", n, sa, da, 0, 0, 0);
				if (!same("memcpy", n, sa, da, 0, n + 2 * PAD + 8))
					return;
				fill(dst, d, d + n, 2);
				fill(ref, d, d + n, 2);
			}
		}
	}
}

/*
 * memmove within one buffer: source at MAXN + 2 * PAD + sa, destination shifted
 * by `shift` (negative: below the source).  Shifts -12..12 overlap (every
 * relative alignment, both directions); n - 1, n / 2 and n + 1 (both signs)
 * overlap barely, by half, or not at all.  The reference copies through a
 * temporary.
 */
#define MBUF (3 * MAXN + 4 * PAD)
static unsigned char mdst[MBUF] __attribute__((aligned(8)));
static unsigned char mref[MBUF] __attribute__((aligned(8)));

static void test_memmove(void)
{
	unsigned char tmp[MAXN];

	fill(mdst, 0, MBUF, 3);
	fill(mref, 0, MBUF, 3);
	for (unsigned n = 0; n <= MAXN; n++) {
		int far[3] = { (int)n - 1, (int)n / 2, (int)n + 1 };
		for (int sa = 0; sa < 8; sa++) {
			for (int k = -12; k <= 12 + 6; k++) {
				int shift = k <= 12 ? k : (k - 13 < 3 ? far[k - 13] : -far[k - 16]);
				unsigned s = MAXN + 2 * PAD + sa, d = (unsigned)((int)s + shift);
				void *r = memmove(mdst + d, mdst + s, n);
				for (unsigned i = 0; i < n; i++)
					tmp[i] = mref[s + i];
				for (unsigned i = 0; i < n; i++)
					mref[d + i] = tmp[i];
				cases++;
				if (r != mdst + d)
					fail("memmove-ret", n, sa, shift, 0, 0, 0);
				unsigned lo = s < d ? s : d, hi = (s > d ? s : d) + n;
				if (!same_in(mdst, mref, "memmove", n, sa, shift, lo - PAD,
				             hi + PAD))
					return;
				fill(mdst, lo, hi, 3);
				fill(mref, lo, hi, 3);
			}
		}
	}
}

static void test_memset(void)
{
	static const int vals[] = { 0, 0xa5, 0x1ff, -1 };

	fill(dst, 0, BUF, 4);
	fill(ref, 0, BUF, 4);
	for (unsigned n = 0; n <= MAXN; n++) {
		for (int da = 0; da < 8; da++) {
			for (unsigned v = 0; v < sizeof vals / sizeof vals[0]; v++) {
				unsigned d = PAD + da;
				void *r = memset(dst + d, vals[v], n);
				for (unsigned i = 0; i < n; i++)
					ref[d + i] = (unsigned char)vals[v];
				cases++;
				if (r != dst + d)
					fail("memset-ret", n, da, vals[v], 0, 0, 0);
				if (!same("memset", n, da, vals[v], 0, n + 2 * PAD + 8))
					return;
				fill(dst, d, d + n, 4);
				fill(ref, d, d + n, 4);
			}
		}
	}
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static int ref_memcmp(const unsigned char *a, const unsigned char *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	return 0;
}

static void test_memcmp(void)
{
	fill(src, 0, BUF, 5);
	fill(dst, 0, BUF, 6);
	for (unsigned n = 0; n <= MAXN; n++) {
		for (int aa = 0; aa < 8; aa++) {
			for (int ba = 0; ba < 8; ba++) {
				unsigned char *a = src + PAD + aa, *b = dst + PAD + ba;
				for (unsigned i = 0; i < n; i++)
					b[i] = a[i];
				/* equal; then one byte differs: first, middle, last, up and down */
				unsigned where[3] = { 0, n / 2, n - 1 };
				int got = memcmp(a, b, n);
				cases++;
				if (got != 0) {
					fail("memcmp-eq", n, aa, ba, 0, got, 0);
					return;
				}
				for (unsigned w = 0; n && w < 3; w++) {
					for (int delta = -1; delta <= 1; delta += 2) {
						unsigned char keep = b[where[w]];
						b[where[w]] = (unsigned char)(keep + delta);
						got = sign(memcmp(a, b, n));
						int want = ref_memcmp(a, b, n);
						b[where[w]] = keep;
						cases++;
						if (got != want) {
							fail("memcmp", n, aa, ba, where[w], got,
							     want);
							return;
						}
					}
				}
			}
		}
	}
}

static void test_strlen(void)
{
	fill(src, 0, BUF, 7);
	for (unsigned i = 0; i < BUF; i++) {
		if (src[i] == 0)
			src[i] = 1;
	}
	for (unsigned n = 0; n <= MAXN; n++) {
		for (int sa = 0; sa < 8; sa++) {
			char *s = (char *)src + PAD + sa;
			unsigned char keep = (unsigned char)s[n];
			s[n] = '\0';
			size_t got = strlen(s);
			s[n] = (char)keep;
			cases++;
			if (got != n) {
				fail("strlen", n, sa, 0, 0, (int)got, (int)n);
				return;
			}
		}
	}
	/* A zero byte in each position of the last word, with a 0x80 byte before it. */
	for (unsigned z = 0; z < 16; z++) {
		char *s = (char *)src + PAD;
		char k0 = s[z], k1 = s[z + 1];
		s[z] = (char)0x80;
		s[z + 1] = '\0';
		size_t got = strlen(s);
		s[z] = k0;
		s[z + 1] = k1;
		cases++;
		if (got != z + 1)
			fail("strlen-0x80", z + 1, 0, 0, 0, (int)got, (int)z + 1);
	}
}

int main(void)
{
	test_memcpy();
	test_memmove();
	test_memset();
	test_memcmp();
	test_strlen();
	if (failed)
		return 1;
	printf("memtest: ok %lu cases\n", cases);
	return 0;
}
