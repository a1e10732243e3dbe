/* Integer arithmetic edge cases: M extension (div/rem by zero, INT_MIN / -1,
 * mulh*), shifts by amounts at and past the width, 32-bit results and their
 * sign extension, __int128, bit tricks. */
#include <limits.h>
#include "isa.h"

static const int64_t v64[] = { 0,
	                       1,
	                       -1,
	                       2,
	                       -2,
	                       3,
	                       7,
	                       -7,
	                       0x7fffffffffffffffLL,
	                       (int64_t)0x8000000000000000ULL,
	                       0x7fffffff,
	                       (int64_t)0xffffffff80000000ULL,
	                       0x80000000LL,
	                       0xffffffffLL,
	                       0x100000000LL,
	                       0x123456789abcdef0LL,
	                       (int64_t)0xfedcba9876543210ULL,
	                       65536,
	                       -65536,
	                       0x5555555555555555LL };
#define N64 (sizeof v64 / sizeof v64[0])

static const int32_t v32[] = {
	0,    1,       -1,      2,      -2,      3,          -3,
	7,    INT_MAX, INT_MIN, 0x7fff, -0x8000, 0x12345678, (int32_t)0x9abcdef0,
	65536
};
#define N32 (sizeof v32 / sizeof v32[0])

__attribute__((noinline)) static int64_t sdiv64(int64_t a, int64_t b)
{
#if defined(__riscv)
	int64_t r;
	__asm__("div %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
#else
	int64_t r;
	__asm__("sdiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
#endif
}

__attribute__((noinline)) static uint64_t udiv64(uint64_t a, uint64_t b)
{
	uint64_t r;
#if defined(__riscv)
	__asm__("divu %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
#else
	__asm__("udiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
#endif
	return r;
}

__attribute__((noinline)) static int64_t srem64(int64_t a, int64_t b)
{
#if defined(__riscv)
	int64_t r;
	__asm__("rem %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
#else
	/* AArch64 has no remainder instruction: msub after sdiv (b = 0 gives a) */
	return a - sdiv64(a, b) * b;
#endif
}

__attribute__((noinline)) static uint64_t urem64(uint64_t a, uint64_t b)
{
#if defined(__riscv)
	uint64_t r;
	__asm__("remu %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
#else
	return a - udiv64(a, b) * b;
#endif
}

#if defined(__riscv)
#define W_OP(op, a, b)                                                                       \
	({                                                                                   \
		int64_t _r;                                                                  \
		__asm__(op " %0, %1, %2" : "=r"(_r) : "r"((int64_t)(a)), "r"((int64_t)(b))); \
		_r;                                                                          \
	})
#endif

static void raw_div(void)
{
	/* The instructions themselves, every pair (no C undefined behaviour: asm). */
	uint64_t h = 0;
	for (unsigned i = 0; i < N64; i++)
		for (unsigned j = 0; j < N64; j++) {
			int64_t a = v64[i], b = v64[j];
			h = isa_mix(h, (uint64_t)sdiv64(a, b));
			h = isa_mix(h, udiv64((uint64_t)a, (uint64_t)b));
			h = isa_mix(h, (uint64_t)srem64(a, b));
			h = isa_mix(h, urem64((uint64_t)a, (uint64_t)b));
		}
	OUT("raw_div64", h);
	OUT("div_min_m1", sdiv64(INT64_MIN, OPQ(-1LL)));
	OUT("rem_min_m1", srem64(INT64_MIN, OPQ(-1LL)));
	OUT("div_by0", sdiv64(OPQ(12345LL), OPQ(0LL)));
	OUT("divu_by0", udiv64(OPQ(12345ULL), OPQ(0ULL)));
	OUT("rem_by0", srem64(OPQ(-12345LL), OPQ(0LL)));
	OUT("remu_by0", urem64(OPQ(12345ULL), OPQ(0ULL)));
#if defined(__riscv)
	h = 0;
	for (unsigned i = 0; i < N64; i++)
		for (unsigned j = 0; j < N64; j++) {
			int64_t a = v64[i], b = v64[j];
			h = isa_mix(h, W_OP("divw", a, b));
			h = isa_mix(h, W_OP("divuw", a, b));
			h = isa_mix(h, W_OP("remw", a, b));
			h = isa_mix(h, W_OP("remuw", a, b));
			h = isa_mix(h, W_OP("mulw", a, b));
			h = isa_mix(h, W_OP("mulh", a, b));
			h = isa_mix(h, W_OP("mulhu", a, b));
			h = isa_mix(h, W_OP("mulhsu", a, b));
			h = isa_mix(h, W_OP("addw", a, b));
			h = isa_mix(h, W_OP("subw", a, b));
			h = isa_mix(h, W_OP("sllw", a, b));
			h = isa_mix(h, W_OP("srlw", a, b));
			h = isa_mix(h, W_OP("sraw", a, b));
			h = isa_mix(h, W_OP("sll", a, b));
			h = isa_mix(h, W_OP("srl", a, b));
			h = isa_mix(h, W_OP("sra", a, b));
			h = isa_mix(h, W_OP("slt", a, b));
			h = isa_mix(h, W_OP("sltu", a, b));
		}
	OUT("raw_w_ops", h);
	OUT("divw_min_m1", W_OP("divw", OPQ(0x80000000LL), OPQ(-1LL)));
	OUT("remw_min_m1", W_OP("remw", OPQ(0x80000000LL), OPQ(-1LL)));
	OUT("divuw_0", W_OP("divuw", OPQ(0x80000000LL), OPQ(0LL)));
	OUT("remuw_0", W_OP("remuw", OPQ(0xffffffff80000000LL), OPQ(0x100000000LL)));
	OUT("remw_0", W_OP("remw", OPQ(0x180000000LL), OPQ(0LL)));
	OUT("mulhsu_m1", W_OP("mulhsu", OPQ(-1LL), OPQ(-1LL)));
	OUT("mulh_min", W_OP("mulh", OPQ(INT64_MIN), OPQ(INT64_MIN)));
	OUT("mulhu_max", W_OP("mulhu", OPQ(-1LL), OPQ(-1LL)));
	{
		int64_t r;
		__asm__("addiw %0, %1, -1" : "=r"(r) : "r"(OPQ(0x80000000LL)));
		OUT("addiw_wrap", r);
		__asm__("sext.w %0, %1" : "=r"(r) : "r"(OPQ(0x1234567887654321LL)));
		OUT("sext_w", r);
		__asm__("slliw %0, %1, 31" : "=r"(r) : "r"(OPQ(3LL)));
		OUT("slliw", r);
		__asm__("srliw %0, %1, 0" : "=r"(r) : "r"(OPQ(0xffffffff80000000LL)));
		OUT("srliw0", r);
		__asm__("sraiw %0, %1, 31" : "=r"(r) : "r"(OPQ(0x80000000LL)));
		OUT("sraiw", r);
		__asm__("srai %0, %1, 63" : "=r"(r) : "r"(OPQ(INT64_MIN)));
		OUT("srai63", r);
		__asm__("lui %0, 0x80000" : "=r"(r));
		OUT("lui_neg", r);
		__asm__("1: auipc %0, 0\n sub %0, %0, %1" : "=r"(r) : "r"(OPQ(0LL)));
		OUT("auipc_nonzero", r != 0);
	}
#endif
}

static void c_ops(void)
{
	/* What the compiler makes of C: defined cases only. */
	uint64_t h = 0;
	for (unsigned i = 0; i < N64; i++)
		for (unsigned j = 0; j < N64; j++) {
			int64_t a = OPQ(v64[i]), b = OPQ(v64[j]);
			uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
			if (b != 0 && !(a == INT64_MIN && b == -1)) {
				h = isa_mix(h, (uint64_t)(a / b));
				h = isa_mix(h, (uint64_t)(a % b));
			}
			if (ub != 0) {
				h = isa_mix(h, ua / ub);
				h = isa_mix(h, ua % ub);
			}
			h = isa_mix(h, ua * ub);
			h = isa_mix(h, (uint64_t)(((unsigned __int128)ua * ub) >> 64));
			h = isa_mix(h, (uint64_t)(((__int128)a * b) >> 64));
			h = isa_mix(h, (uint64_t)(((__int128)a * (unsigned __int128)ub) >> 64));
			h = isa_mix(h, ua << (ub & 63));
			h = isa_mix(h, ua >> (ub & 63));
			h = isa_mix(h, (uint64_t)(a >> (ub & 63)));
			h = isa_mix(h, (uint64_t)(int64_t)(int32_t)(uint32_t)(ua + ub));
			h = isa_mix(h, (uint64_t)(uint32_t)(ua - ub));
			h = isa_mix(h, a < b);
			h = isa_mix(h, ua < ub);
			h = isa_mix(h, (ua << 7) | (ua >> 57));
			h = isa_mix(h, (uint64_t)__builtin_clzll(ua | 1));
			h = isa_mix(h, (uint64_t)__builtin_ctzll(ua | (1ULL << 63)));
			h = isa_mix(h, (uint64_t)__builtin_popcountll(ua ^ ub));
			h = isa_mix(h, __builtin_bswap64(ua));
			h = isa_mix(h, (uint64_t)__builtin_bswap32((uint32_t)ub));
		}
	OUT("c_ops64", h);
	h = 0;
	for (unsigned i = 0; i < N32; i++)
		for (unsigned j = 0; j < N32; j++) {
			int32_t a = OPQ(v32[i]), b = OPQ(v32[j]);
			uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
			if (b != 0 && !(a == INT_MIN && b == -1)) {
				h = isa_mix(h, (uint64_t)(int64_t)(a / b));
				h = isa_mix(h, (uint64_t)(int64_t)(a % b));
			}
			if (ub != 0) {
				h = isa_mix(h, (uint64_t)(ua / ub));
				h = isa_mix(h, (uint64_t)(ua % ub));
				h = isa_mix(h, (uint64_t)(int64_t)(int32_t)(ua / ub));
			}
			h = isa_mix(h, (uint64_t)(int64_t)(int32_t)(ua * ub));
			h = isa_mix(h, (uint64_t)(((int64_t)a * b) >> 32));
			h = isa_mix(h, (uint64_t)(((uint64_t)ua * ub) >> 32));
			h = isa_mix(h, (uint64_t)(int64_t)(int32_t)(ua << (ub & 31)));
			h = isa_mix(h, (uint64_t)(ua >> (ub & 31)));
			h = isa_mix(h, (uint64_t)(int64_t)(a >> (ub & 31)));
			h = isa_mix(h, (uint64_t)(int64_t)(int16_t)(a + b));
			h = isa_mix(h, (uint64_t)(uint16_t)(a - b));
			h = isa_mix(h, (uint64_t)(int64_t)(int8_t)(a ^ b));
			h = isa_mix(h, (uint64_t)(uint8_t)(a | b));
			h = isa_mix(h, (uint64_t)(int64_t)a + (uint64_t)ub);
		}
	OUT("c_ops32", h);
}

static void i128(void)
{
	unsigned __int128 x =
	        ((unsigned __int128)OPQ(0x0123456789abcdefULL) << 64) | OPQ(0xfedcba9876543210ULL);
	unsigned __int128 y = ((unsigned __int128)OPQ(0x1ULL) << 64) | OPQ(0x3ULL);
	__int128 s = -(__int128)x;
	OUT("i128_mul_hi", (uint64_t)((x * y) >> 64));
	OUT("i128_mul_lo", (uint64_t)(x * y));
	OUT("i128_div_hi", (uint64_t)((x / y) >> 64));
	OUT("i128_div_lo", (uint64_t)(x / y));
	OUT("i128_mod", (uint64_t)(x % y));
	OUT("i128_sdiv", (uint64_t)(s / (__int128)OPQ(7LL)));
	OUT("i128_smod", (uint64_t)(s % (__int128)OPQ(7LL)));
	OUT("i128_shl", (uint64_t)((x << OPQ(70)) >> 64));
	OUT("i128_shr", (uint64_t)(x >> OPQ(67)));
	OUT("i128_sar", (uint64_t)(s >> OPQ(100)));
	OUT("i128_cmp", (x > y) + 2 * (s < 0) + 4 * (s < (__int128)y));
	unsigned __int128 f = 1;
	for (int i = 1; i <= 34; i++)
		f *= (unsigned)OPQ(i);
	OUT("fact34_hi", (uint64_t)(f >> 64));
	OUT("fact34_lo", (uint64_t)f);
	OUT("clz128", (uint64_t)__builtin_clzll((uint64_t)(f >> 64)));
}

static void overflow_builtins(void)
{
	long r;
	int o = __builtin_saddl_overflow(OPQ(LONG_MAX), OPQ(1L), &r);
	OUT("saddl_ovf", (uint64_t)r ^ (uint64_t)o);
	o = __builtin_smull_overflow(OPQ(0x100000000L), OPQ(0x80000000L), &r);
	OUT("smull_ovf", (uint64_t)r ^ (uint64_t)o);
	unsigned long u;
	o = __builtin_umull_overflow(OPQ(0x100000001UL), OPQ(0xffffffffUL), &u);
	OUT("umull_ovf", u ^ (uint64_t)o);
	int ri;
	o = __builtin_mul_overflow(OPQ(65536), OPQ(32768), &ri);
	OUT("mul32_ovf", (uint64_t)(int64_t)ri ^ (uint64_t)o << 40);
}

int main(void)
{
	raw_div();
	c_ops();
	i128();
	overflow_builtins();
	return isa_end("int");
}
