/*
 * Correctly rounded decimal digits of a double for picolibc's printf.
 *
 * picolibc's printf (tinystdio) asks __dtoa_engine for the digits of every
 * %e, %f and %g conversion (and ecvt, fcvt, gcvt).  Its own engine (Ryu)
 * gives the shortest digits that read back as the same double, padded with
 * zeros, whenever the precision asks for more: %.17g of 0.1 printed 0.1 (glibc:
 * 0.10000000000000001) and %.0f of 0.5 printed 1 (glibc, rounding the exact
 * value half to even: 0).  This engine works from the exact value instead: a
 * double is m * 2^e, whose decimal expansion is finite; its leading digits
 * are computed exactly with big integers (all of the integer part, then the
 * fraction 9 digits at a time, only as far as the rounding needs) and rounded
 * half to even at the digit asked for, as glibc does in the default rounding
 * mode.  printf's buffer holds 17 significant digits (DTOA_MAX_DIG), so more
 * precision than that still prints zeros after the 17th (C allows it:
 * DECIMAL_DIG is 17).
 *
 * The interface is picolibc 1.8's (Debian bookworm), checked below: linked
 * as an object, this definition wins over the one in libc.a.  With another
 * picolibc this file defines nothing and picolibc's engine is used.
 *
 * The digits are computed twice and the two results compared: a transient
 * fault inside one computation (a skipped instruction, a flipped register in
 * the big-integer arithmetic or the rounding) printed wrong digits with no
 * trap, which a txipc server then sent to its client (an outside expression
 * interpreter's %.17g replies: '14163345681037' for 14163456810372,
 * '-504.' for -504.625; session 54).  A difference is rw_panic, a fault of
 * the request that txipc undoes and runs again.
 */
#include <picolibc.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <rewind/rewind.h>

#if __PICOLIBC__ == 1 && __PICOLIBC_MINOR__ == 8

/* picolibc 1.8's struct dtoa and flags (newlib/libc/tinystdio/dtoa.h). */
#define DTOA_MINUS   1
#define DTOA_ZERO    2
#define DTOA_INF     4
#define DTOA_NAN     8
#define DTOA_MAX_DIG 17

struct dtoa {
	int32_t exp; /* decimal exponent of digits[0] */
	uint8_t flags;
	char digits[DTOA_MAX_DIG];
};

int __dtoa_engine(double x, struct dtoa *dtoa, int max_digits, bool fmode, int max_decimals);

/* An integer part m * 2^e < 2^1024 needs 32 limbs; a fraction of k <= 1074
 * bits times 10^9 needs 35. */
#define LIMBS       40
/* The integer part of DBL_MAX has 309 digits; the fraction is generated up
 * to 18 significant digits, in chunks of 9. */
#define MAX_DECIMAL 340

struct big {
	uint32_t w[LIMBS]; /* little-endian base 2^32 */
	int n;             /* limbs in use; w[n - 1] != 0 unless n == 0 */
};

static void big_set(struct big *b, uint64_t v)
{
	b->w[0] = (uint32_t)v;
	b->w[1] = (uint32_t)(v >> 32);
	b->n = b->w[1] ? 2 : b->w[0] ? 1 : 0;
}

static void big_mul_small(struct big *b, uint32_t f)
{
	uint64_t carry = 0;
	int i;

	for (i = 0; i < b->n; i++) {
		uint64_t p = (uint64_t)b->w[i] * f + carry;
		b->w[i] = (uint32_t)p;
		carry = p >> 32;
	}
	if (carry)
		b->w[b->n++] = (uint32_t)carry;
}

static void big_shift_left(struct big *b, int bits)
{
	int words = bits / 32, r = bits % 32, i;

	if (b->n == 0)
		return;
	if (r) {
		uint32_t top = b->w[b->n - 1] >> (32 - r);
		for (i = b->n - 1; i > 0; i--)
			b->w[i] = (b->w[i] << r) | (b->w[i - 1] >> (32 - r));
		b->w[0] <<= r;
		if (top)
			b->w[b->n++] = top;
	}
	if (words) {
		for (i = b->n - 1; i >= 0; i--)
			b->w[i + words] = b->w[i];
		for (i = 0; i < words; i++)
			b->w[i] = 0;
		b->n += words;
	}
}

/* b /= 10^9; returns the remainder. */
static uint32_t big_div_1e9(struct big *b)
{
	uint64_t rem = 0;
	int i;

	for (i = b->n - 1; i >= 0; i--) {
		uint64_t cur = (rem << 32) | b->w[i];
		b->w[i] = (uint32_t)(cur / 1000000000u);
		rem = cur % 1000000000u;
	}
	while (b->n > 0 && b->w[b->n - 1] == 0)
		b->n--;
	return (uint32_t)rem;
}

/* Takes the bits of b at and above bit k (< 2^30 here) out of b and returns them. */
static uint32_t big_take_above(struct big *b, int k)
{
	int word = k / 32, r = k % 32, i;
	uint64_t v = 0;

	for (i = b->n - 1; i >= word; i--)
		v = (v << 32) | b->w[i];
	v >>= r;
	if (word < b->n) {
		b->w[word] &= r ? (1u << r) - 1 : 0;
		b->n = word + 1;
	}
	while (b->n > 0 && b->w[b->n - 1] == 0)
		b->n--;
	return (uint32_t)v;
}

/* Appends the 9 decimal digits of c (< 10^9), or only its significant ones when lead. */
static int put_chunk(char *out, uint32_t c, bool lead)
{
	char tmp[9];
	int d, n = 0;

	for (d = 8; d >= 0; d--) {
		tmp[d] = (char)('0' + c % 10);
		c /= 10;
	}
	d = 0;
	if (lead)
		while (d < 8 && tmp[d] == '0')
			d++;
	for (; d < 9; d++)
		out[n++] = tmp[d];
	return n;
}

/* The decimal digits of b (consumed) into out, most significant first; returns their count. */
static int big_to_decimal(struct big *b, char *out)
{
	uint32_t chunks[MAX_DECIMAL / 9 + 1];
	int nc = 0, len = 0, i;

	while (b->n > 0)
		chunks[nc++] = big_div_1e9(b);
	for (i = nc - 1; i >= 0; i--)
		len += put_chunk(out + len, chunks[i], i == nc - 1);
	return len;
}

/* noipa: the two computations below stay two calls, none of their work shared or folded. */
static __attribute__((noinline, noipa)) int dtoa_digits(double x, struct dtoa *dtoa, int max_digits,
                                                        bool fmode, int max_decimals)
{
	uint64_t bits, mant;
	int bexp, len, dexp, nd, i;
	bool up, sticky = false;
	struct big b;
	char digits[MAX_DECIMAL];

	memcpy(&bits, &x, sizeof bits);
	mant = bits & ((1ull << 52) - 1);
	bexp = (int)((bits >> 52) & 0x7ff);
	dtoa->flags = (bits >> 63) ? DTOA_MINUS : 0;
	if (bexp == 0x7ff) {
		dtoa->flags |= mant ? DTOA_NAN : DTOA_INF;
		return 0;
	}
	if (bexp == 0 && mant == 0) {
		dtoa->flags |= DTOA_ZERO;
		dtoa->digits[0] = '0';
		dtoa->exp = 0;
		return 1;
	}
	if (bexp == 0)
		bexp = 1; /* subnormal: no hidden bit */
	else
		mant |= 1ull << 52;
	bexp -= 1075; /* x = mant * 2^bexp exactly */

	if (max_digits > DTOA_MAX_DIG)
		max_digits = DTOA_MAX_DIG;
	if (max_digits < 1)
		max_digits = 1;

	/*
	 * The leading digits of the exact value: digits[0..len) with the first
	 * at 10^dexp, and sticky when nonzero digits follow them.
	 */
	if (bexp >= 0) {
		/* an integer: all its digits */
		big_set(&b, mant);
		big_shift_left(&b, bexp);
		len = big_to_decimal(&b, digits);
		dexp = len - 1;
	} else {
		/*
		 * Integer part, then the fraction f / 2^k times 10^9 at a time,
		 * until the digits hold max_digits + 1 significant ones (the
		 * last to round on) or, for 'f', the place after the last kept.
		 */
		int k = -bexp, after = 0;
		uint64_t ip = k < 64 ? mant >> k : 0;

		big_set(&b, k < 64 ? mant & ((1ull << k) - 1) : mant);
		len = 0;
		if (ip) {
			struct big ib;
			big_set(&ib, ip);
			len = big_to_decimal(&ib, digits);
		}
		dexp = len - 1;
		while (b.n > 0 && len <= max_digits && !(fmode && after > max_decimals)) {
			uint32_t c;
			big_mul_small(&b, 1000000000u);
			c = big_take_above(&b, k);
			after += 9;
			if (len == 0 && c == 0) {
				dexp -= 9; /* nine leading zeros */
				continue;
			}
			if (len == 0) {
				int n = put_chunk(digits, c, true);
				dexp -= 9 - n;
				len = n;
			} else {
				len += put_chunk(digits + len, c, false);
			}
		}
		sticky = b.n > 0;
	}

	/* Significant digits to keep: in 'f' mode those down to 10^-max_decimals. */
	nd = max_digits;
	if (fmode && dexp + 1 + max_decimals < nd)
		nd = dexp + 1 + max_decimals;
	/*
	 * A value that rounds to zero in 'f' mode is no digits; digits[0] is
	 * '0' all the same, since printf rounds up by itself when the first
	 * digit lies just below the last place printed and is 5 or more.
	 */
	dtoa->digits[0] = '0';
	if (nd < 0) {
		/* Below half a unit of the last place kept: rounds to zero. */
		dtoa->exp = dexp;
		return 0;
	}

	/* Round half to even at digit nd of the exact expansion. */
	if (nd >= len) {
		up = false;
	} else if (digits[nd] != '5') {
		up = digits[nd] > '5';
	} else {
		up = sticky;
		for (i = nd + 1; i < len; i++)
			if (digits[i] != '0')
				up = true;
		if (!up) /* a tie: to the even neighbour (nothing kept is 0, even) */
			up = nd > 0 && ((digits[nd - 1] - '0') & 1);
	}
	if (nd == 0) {
		if (!up) {
			dtoa->exp = dexp;
			return 0;
		}
		/* 10^(dexp + 1) */
		dtoa->digits[0] = '1';
		dtoa->exp = dexp + 1;
		return 1;
	}
	for (i = 0; i < nd; i++)
		dtoa->digits[i] = i < len ? digits[i] : '0';
	if (up) {
		for (i = nd - 1; i >= 0 && dtoa->digits[i] == '9'; i--)
			dtoa->digits[i] = '0';
		if (i >= 0) {
			dtoa->digits[i]++;
		} else {
			/* 99.9 -> 100.0: one more digit before the point, all zeros after the 1 */
			dtoa->digits[0] = '1';
			dexp++;
			if (fmode && nd < max_digits)
				dtoa->digits[nd++] = '0';
		}
	}
	dtoa->exp = dexp;
	return nd;
}

int __dtoa_engine(double x, struct dtoa *dtoa, int max_digits, bool fmode, int max_decimals)
{
	struct dtoa again;
	int n, m;

	/* zeroed whole, so that the fields a result leaves unset compare equal */
	memset(dtoa, 0, sizeof *dtoa);
	memset(&again, 0, sizeof again);
	n = dtoa_digits(x, dtoa, max_digits, fmode, max_decimals);
	m = dtoa_digits(x, &again, max_digits, fmode, max_decimals);
	if (n != m || memcmp(dtoa, &again, sizeof again) != 0)
		rw_panic("printf: the digits of a double differ between two computations (dtoa, a "
		         "transient fault)");
	return n;
}

#endif
