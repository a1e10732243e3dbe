/* Floating point: double and float arithmetic (soft-float on RISC-V, the FPU
 * on AArch64), conversions and their edge cases, libm, printf and strtod. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "isa.h"

static uint64_t dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}

static uint32_t fbits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static const double dv[] = { 0.0,
	                     -0.0,
	                     1.0,
	                     -1.0,
	                     0.5,
	                     3.0,
	                     1e-310,
	                     -4.9e-324,
	                     2.2250738585072014e-308,
	                     1.7976931348623157e308,
	                     1e300,
	                     -1e-300,
	                     123456789.123,
	                     0.1,
	                     1.0 / 3.0,
	                     2.5,
	                     -2.5,
	                     9007199254740993.0,
	                     4294967296.5,
	                     -2147483648.5,
	                     9.3e18,
	                     -9.3e18,
	                     1.8e19 };
#define ND (sizeof dv / sizeof dv[0])

static void arith(void)
{
	double inf = OPQ(1e308) * OPQ(10.0), nan = OPQ(inf) - inf;
	uint64_t h = 0;
	for (unsigned i = 0; i < ND + 2; i++)
		for (unsigned j = 0; j < ND + 2; j++) {
			double a = i < ND ? dv[i] : (i == ND ? inf : -inf);
			double b = j < ND ? dv[j] : (j == ND ? inf : nan);
			a = OPQ(a);
			b = OPQ(b);
			h = isa_mix(h, dbits(a + b));
			h = isa_mix(h, dbits(a - b));
			h = isa_mix(h, dbits(a * b));
			h = isa_mix(h,
			            dbits(a / b) & (isnan(a / b) ? 0x7ff8000000000000ULL : ~0ULL));
			h = isa_mix(h, (a < b) | (a <= b) << 1 | (a == b) << 2 | (a != b) << 3 |
			                       (a > b) << 4 | isunordered(a, b) << 5);
			float fa = (float)a, fb = (float)b;
			h = isa_mix(h, fbits(fa + fb));
			h = isa_mix(h, fbits(fa * fb));
			h = isa_mix(h, fbits(fa / fb) & (isnan(fa / fb) ? 0x7fc00000u : ~0u));
			h = isa_mix(h, fbits(fa - fb));
			h = isa_mix(h, (fa < fb) | (fa == fb) << 1);
			h = isa_mix(
			        h, dbits(fma(a, b, 1.0)) &
			                   (isnan(fma(a, b, 1.0)) ? 0x7ff8000000000000ULL : ~0ULL));
			h = isa_mix(h, dbits(fmin(a, b)) ^ dbits(fmax(a, b)) << 1);
			h = isa_mix(h, dbits(copysign(a, b)));
		}
	OUT("arith", h);
	h = 0;
	for (unsigned i = 0; i < ND; i++) {
		double a = OPQ(dv[i]);
		/* conversions in range only (others are undefined in C) */
		if (fabs(a) < 9.2e18)
			h = isa_mix(h, (uint64_t)(long long)a);
		if (a > -1.0 && a < 1.8e19)
			h = isa_mix(h, (unsigned long long)a);
		if (fabs(a) < 2147483648.0)
			h = isa_mix(h, (uint64_t)(int64_t)(int)a);
		if (a > -1.0 && a < 4294967296.0)
			h = isa_mix(h, (unsigned)a);
		h = isa_mix(h, fbits((float)a));
		h = isa_mix(h, dbits((double)(float)a));
		h = isa_mix(h, dbits(rint(a)) ^ dbits(floor(a)) << 1 ^ dbits(ceil(a)) << 2 ^
		                       dbits(trunc(a)) << 3);
		h = isa_mix(h, dbits(round(a)));
		h = isa_mix(h, (uint64_t)ilogb(a == 0 ? 1 : a));
		int e;
		h = isa_mix(h, dbits(frexp(a, &e)) ^ (uint64_t)e);
		h = isa_mix(h, dbits(ldexp(a, -1070)));
		h = isa_mix(h, dbits(fmod(a, 0.7)) & (isnan(fmod(a, 0.7)) ? 0 : ~0ULL));
		h = isa_mix(h, (uint64_t)(fpclassify(a) * 16 + signbit(a) * 2 + !!isfinite(a)));
	}
	static const int64_t iv[] = { 0,
		                      1,
		                      -1,
		                      9007199254740993LL,
		                      -9007199254740993LL,
		                      0x7fffffffffffffffLL,
		                      (int64_t)0x8000000000000000ULL,
		                      0x7fffffff,
		                      16777217,
		                      -16777217 };
	for (unsigned i = 0; i < 10; i++) {
		int64_t x = OPQ(iv[i]);
		h = isa_mix(h, dbits((double)x));
		h = isa_mix(h, dbits((double)(uint64_t)x));
		h = isa_mix(h, fbits((float)x));
		h = isa_mix(h, fbits((float)(uint64_t)x));
		h = isa_mix(h, dbits((double)(int32_t)x));
		h = isa_mix(h, fbits((float)(uint32_t)x));
	}
	OUT("convert", h);
}

static void libm(void)
{
	uint64_t h = 0;
	for (int i = -40; i <= 40; i++) {
		double x = OPQ(i * 0.37 + 0.011);
		h = isa_mix(h, dbits(sin(x)));
		h = isa_mix(h, dbits(cos(x)));
		h = isa_mix(h, dbits(tan(x)));
		h = isa_mix(h, dbits(exp(x)));
		h = isa_mix(h, dbits(atan2(x, 0.3)));
		h = isa_mix(h, dbits(sqrt(fabs(x))));
		h = isa_mix(h, dbits(log(fabs(x))));
		h = isa_mix(h, dbits(pow(fabs(x), 1.7)));
		h = isa_mix(h, dbits(cbrt(x)));
		h = isa_mix(h, dbits(hypot(x, 2.0)));
		h = isa_mix(h, dbits(tanh(x)));
		h = isa_mix(h, dbits(expm1(x / 10)));
		h = isa_mix(h, dbits(log1p(fabs(x))));
		float f = (float)x;
		h = isa_mix(h, fbits(sinf(f)));
		h = isa_mix(h, fbits(expf(f)));
		h = isa_mix(h, fbits(sqrtf(fabsf(f))));
		h = isa_mix(h, fbits(logf(fabsf(f))));
		h = isa_mix(h, fbits(powf(fabsf(f), 0.3f)));
	}
	OUT("libm", h);
	OUT("sqrt2", dbits(sqrt(OPQ(2.0))));
	OUT("sqrt_neg_nan", isnan(sqrt(OPQ(-1.0))));
	OUT("exp710", dbits(exp(OPQ(710.0))));
	OUT("sin_big", dbits(sin(OPQ(1e22))));
	OUT("pow_edge", dbits(pow(OPQ(-8.0), 1.0 / 3.0)) & 0);
	OUT("pow_int", dbits(pow(OPQ(-2.0), 63.0)));
}

static void text(void)
{
	char buf[400];
	double pi = OPQ(3.14159265358979323846);
	snprintf(buf, sizeof buf,
	         "%g %g %g %g %g %.17g %.17g %e %.3f %a %G %10.4f|%-12.3e|%+.0f %.0f %.0f %g %g %g",
	         pi, OPQ(1e-5), OPQ(123456789.0), OPQ(-0.0), OPQ(1e300 * 1e10), OPQ(0.1),
	         pi * 1e100, OPQ(6.02214076e23), OPQ(2.0005), OPQ(1.0), OPQ(1e-20), OPQ(-3.5),
	         OPQ(12345.678), OPQ(2.5), OPQ(3.5), OPQ(0.5), OPQ(4.9e-324), OPQ(DBL_MAX),
	         OPQ(-1e300 * 1e10 * 0.0));
	out_str("printf_double", buf);
	snprintf(buf, sizeof buf, "%g %.9g %f %e", (double)OPQ(1.1f), (double)OPQ(16777217.0f),
	         (double)OPQ(-0.75f), (double)OPQ(1e-40f));
	out_str("printf_float", buf);
	static const char *const in[] = { "0.1",
		                          "1e-400",
		                          "1e400",
		                          "-0",
		                          "0x1.8p3",
		                          "inf",
		                          "nan",
		                          "2.2250738585072011e-308",
		                          "123456789012345678901234567890",
		                          "4.9406564584124654e-324",
		                          "  +1.5e+2xyz",
		                          "1.00000000000000011102230246251565404236316680908203125",
		                          "9007199254740993",
		                          ".5e1" };
	uint64_t h = 0;
	for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++) {
		char *end;
		double d = strtod(in[i], &end);
		h = isa_mix(h, isnan(d) ? 0x7ff8 : dbits(d));
		h = isa_mix(h, (uint64_t)(end - in[i]));
		float f = strtof(in[i], &end);
		h = isa_mix(h, isnan(f) ? 0x7fc0 : fbits(f));
		snprintf(buf, sizeof buf, "%.17g", d);
		h = isa_mix(h, strtod(buf, NULL) == d || isnan(d));
	}
	OUT("strtod", h);
	OUT("atof", dbits(atof(OPQ("-12.5e-3"))));
}

static void loops(void)
{
	/* what -O3 does with floating-point loops */
	static double a[1000], b[1000];
	static float fa[1000], fb[1000];
	for (int i = 0; i < 1000; i++) {
		a[i] = i * 0.25 - 100;
		b[i] = 1.0 / (i + 1);
		fa[i] = (float)i * 0.5f - 3;
		fb[i] = (float)(i % 17) * 0.125f;
	}
	double s = 0, p = 1;
	float fs = 0;
	for (int i = 0; i < 1000; i++) {
		s += a[i] * b[i];
		p *= 1.0 + b[i] / 1000;
		fs += fa[i] * fb[i];
		a[i] = a[i] * 0.5 + b[i];
		fa[i] = fa[i] > fb[i] ? fa[i] - fb[i] : fb[i];
	}
	OUT("loop_dot", dbits(s));
	OUT("loop_prod", dbits(p));
	OUT("loop_fdot", fbits(fs));
	uint64_t h = 0;
	for (int i = 0; i < 1000; i++)
		h = isa_mix(h, dbits(a[i]) ^ fbits(fa[i]));
	OUT("loop_arrays", h);
}

int main(void)
{
	arith();
	libm();
	text();
	loops();
	return isa_end("float");
}
