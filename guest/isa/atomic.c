/* Atomics: AMOs of both widths (sign extension of the .w results), LR/SC
 * (RISC-V) and LDXR/STXR (AArch64) loops, compare-and-swap success and
 * failure, fences. */
#include <stdatomic.h>
#include "isa.h"

static volatile uint64_t m64 __attribute__((aligned(8)));
static volatile uint32_t m32[2] __attribute__((aligned(8)));

static void builtins(void)
{
	uint64_t h = 0;
	static const uint32_t vals[] = { 0,          1,          0x7fffffff, 0x80000000,
		                         0xffffffff, 0x80000001, 0x12345678 };
	for (unsigned i = 0; i < 7; i++)
		for (unsigned j = 0; j < 7; j++) {
			uint32_t a = vals[i], b = vals[j];
			int32_t s;
			m32[0] = a;
			h = isa_mix(h, (uint64_t)(int64_t)(int32_t)__atomic_fetch_add(
			                       &m32[0], b, __ATOMIC_SEQ_CST));
			h = isa_mix(h, m32[0]);
			h = isa_mix(h, (uint64_t)(int64_t)(int32_t)__atomic_fetch_and(
			                       &m32[0], b, __ATOMIC_ACQUIRE));
			h = isa_mix(h, (uint64_t)(int64_t)(int32_t)__atomic_fetch_or(
			                       &m32[0], b, __ATOMIC_RELEASE));
			h = isa_mix(h, (uint64_t)(int64_t)(int32_t)__atomic_fetch_xor(
			                       &m32[0], a, __ATOMIC_RELAXED));
			h = isa_mix(h, (uint64_t)(int64_t)(int32_t)__atomic_exchange_n(
			                       &m32[0], b, __ATOMIC_ACQ_REL));
			h = isa_mix(h, (uint64_t)(int64_t)(int32_t)__atomic_fetch_sub(
			                       &m32[0], a, __ATOMIC_SEQ_CST));
			s = (int32_t)a;
			h = isa_mix(h, (uint64_t)__atomic_compare_exchange_n(
			                       (int32_t *)&m32[0], &s, (int32_t)b, 0,
			                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
			h = isa_mix(h, (uint64_t)(int64_t)s);
			m32[0] = a;
			s = (int32_t)a;
			h = isa_mix(h, (uint64_t)__atomic_compare_exchange_n(
			                       (int32_t *)&m32[0], &s, (int32_t)b, 0,
			                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
			h = isa_mix(h, m32[0] | (uint64_t)m32[1] << 32);
			/* 64-bit */
			uint64_t A = (uint64_t)a << 32 | b, B = (uint64_t)b << 31 ^ a;
			m64 = A;
			h = isa_mix(h, __atomic_fetch_add(&m64, B, __ATOMIC_SEQ_CST));
			h = isa_mix(h, __atomic_fetch_and(&m64, ~B, __ATOMIC_SEQ_CST));
			h = isa_mix(h, __atomic_fetch_or(&m64, B, __ATOMIC_SEQ_CST));
			h = isa_mix(h, __atomic_fetch_xor(&m64, A, __ATOMIC_SEQ_CST));
			h = isa_mix(h, __atomic_exchange_n(&m64, A, __ATOMIC_SEQ_CST));
			uint64_t e = A + 1;
			h = isa_mix(h, (uint64_t)__atomic_compare_exchange_n(
			                       &m64, &e, B, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
			h = isa_mix(h, e ^ m64);
#if !defined(__riscv) /* RISC-V GCC 12 calls libatomic for these, which the toolchain lacks */
			/* 8 and 16 bit */
			uint8_t *b8 = (uint8_t *)&m32[1] + (i & 3);
			uint16_t *b16 = (uint16_t *)&m32[1] + (j & 1);
			m32[1] = 0xa5a5a5a5;
			h = isa_mix(h, __atomic_fetch_add(b8, (uint8_t)b, __ATOMIC_SEQ_CST));
			h = isa_mix(h, __atomic_exchange_n(b16, (uint16_t)a, __ATOMIC_SEQ_CST));
			uint16_t e16 = (uint16_t)a;
			h = isa_mix(h, (uint64_t)__atomic_compare_exchange_n(b16, &e16, (uint16_t)b,
			                                                     0, __ATOMIC_SEQ_CST,
			                                                     __ATOMIC_SEQ_CST));
			h = isa_mix(h, m32[1] ^ (uint64_t)e16 << 40);
#endif
			/* min/max */
			_Atomic int32_t x = (int32_t)a;
			h = isa_mix(h, (uint64_t)(int64_t)atomic_fetch_add(&x, (int32_t)b));
			h = isa_mix(h, (uint64_t)(int64_t)atomic_load(&x));
		}
	OUT("atomic_builtins", h);
}

#if defined(__riscv)
#define AMO(op, p, v)                                        \
	({                                                   \
		int64_t _r;                                  \
		__asm__ volatile(op " %0, %2, (%1)"          \
		                 : "=r"(_r)                  \
		                 : "r"(p), "r"((int64_t)(v)) \
		                 : "memory");                \
		_r;                                          \
	})

static void raw_amo(void)
{
	static const int64_t vals[] = { 0,
		                        1,
		                        -1,
		                        0x7fffffff,
		                        0x80000000LL,
		                        (int64_t)0xffffffff80000000ULL,
		                        0xffffffffLL,
		                        0x123456789abcdef0LL,
		                        (int64_t)0x8000000000000000ULL };
	static const char *const w_ops[] = { "amoswap.w", "amoadd.w",  "amoxor.w",
		                             "amoand.w",  "amoor.w",   "amomin.w",
		                             "amomax.w",  "amominu.w", "amomaxu.w" };
	uint64_t h = 0;
	for (unsigned i = 0; i < 9; i++)
		for (unsigned j = 0; j < 9; j++) {
			int64_t a = vals[i], b = vals[j];
			for (unsigned k = 0; k < 9; k++) {
				volatile int64_t cell[2] __attribute__((aligned(8)));
				int64_t r = 0;
				cell[0] = a;
				cell[1] = ~a;
				switch (k) {
				case 0:
					r = AMO("amoswap.w", &cell[0], b);
					break;
				case 1:
					r = AMO("amoadd.w", &cell[0], b);
					break;
				case 2:
					r = AMO("amoxor.w", &cell[0], b);
					break;
				case 3:
					r = AMO("amoand.w", &cell[0], b);
					break;
				case 4:
					r = AMO("amoor.w", &cell[0], b);
					break;
				case 5:
					r = AMO("amomin.w", &cell[0], b);
					break;
				case 6:
					r = AMO("amomax.w", &cell[0], b);
					break;
				case 7:
					r = AMO("amominu.w", &cell[0], b);
					break;
				case 8:
					r = AMO("amomaxu.w", &cell[0], b);
					break;
				}
				h = isa_mix(h, (uint64_t)r);
				h = isa_mix(h, (uint64_t)cell[0]);
#ifdef AMO_VERBOSE
				printf("w %u %llx %llx -> %llx %llx\n", k, (long long)a,
				       (long long)b, (long long)r, (long long)cell[0]);
#endif
				/* the upper half of the word (the .w store must not touch it) */
				cell[0] = a;
				switch (k) {
				case 0:
					r = AMO("amoswap.d", &cell[0], b);
					break;
				case 1:
					r = AMO("amoadd.d", &cell[0], b);
					break;
				case 2:
					r = AMO("amoxor.d", &cell[0], b);
					break;
				case 3:
					r = AMO("amoand.d", &cell[0], b);
					break;
				case 4:
					r = AMO("amoor.d", &cell[0], b);
					break;
				case 5:
					r = AMO("amomin.d", &cell[0], b);
					break;
				case 6:
					r = AMO("amomax.d", &cell[0], b);
					break;
				case 7:
					r = AMO("amominu.d", &cell[0], b);
					break;
				case 8:
					r = AMO("amomaxu.d", &cell[0], b);
					break;
				}
				h = isa_mix(h, (uint64_t)r);
				h = isa_mix(h, (uint64_t)cell[0]);
				h = isa_mix(h, (uint64_t)cell[1]);
#ifdef AMO_VERBOSE
				printf("d %u %llx %llx -> %llx %llx\n", k, (long long)a,
				       (long long)b, (long long)r, (long long)cell[0]);
#endif
				/* .w on the upper word of the doubleword */
				cell[0] = a;
				r = AMO("amoadd.w.aqrl", (volatile char *)&cell[0] + 4, b);
				h = isa_mix(h, (uint64_t)r);
				h = isa_mix(h, (uint64_t)cell[0]);
#ifdef AMO_VERBOSE
				printf("hi %u %llx %llx -> %llx %llx\n", k, (long long)a,
				       (long long)b, (long long)r, (long long)cell[0]);
#endif
			}
			(void)w_ops;
		}
	OUT("raw_amo", h);

	/* lr/sc: a successful pair, an sc without a reservation, an sc after a store
	 * elsewhere, an sc to another address, sign extension of lr.w. */
	volatile int64_t c[2] __attribute__((aligned(8))) = { (int64_t)0xfedcba9880000001ULL, 5 };
	int64_t v, sc;
	__asm__ volatile("lr.w %0, (%2)\n sc.w %1, %3, (%2)"
	                 : "=&r"(v), "=&r"(sc)
	                 : "r"(&c[0]), "r"(OPQ(7LL))
	                 : "memory");
	OUT("lrw_val", v);
	OUT("scw_ok", sc);
	OUT("lrw_cell", c[0]);
	__asm__ volatile("lr.d %0, (%2)\n sc.d %1, %3, (%2)"
	                 : "=&r"(v), "=&r"(sc)
	                 : "r"(&c[1]), "r"(OPQ(-9LL))
	                 : "memory");
	OUT("lrd_val", v);
	OUT("scd_ok", sc);
	OUT("lrd_cell", c[1]);
	/* sc.d after another sc (the reservation is gone) */
	__asm__ volatile("lr.d %0, (%2)\n sc.d %1, %3, (%2)\n sc.d %1, %3, (%2)"
	                 : "=&r"(v), "=&r"(sc)
	                 : "r"(&c[1]), "r"(OPQ(11LL))
	                 : "memory");
	OUT("sc_twice", sc);
	OUT("sc_twice_cell", c[1]);
	/* sc.w to a different address than the lr's */
	__asm__ volatile("lr.w %0, (%2)\n sc.w %1, %3, (%4)"
	                 : "=&r"(v), "=&r"(sc)
	                 : "r"(&c[0]), "r"(OPQ(13LL)), "r"(&c[1])
	                 : "memory");
	OUT("sc_other_addr", sc != 0);
	OUT("sc_other_cell0", c[0]);
	OUT("sc_other_cell1", c[1]);
	/* lr.w of a negative word: sign-extended */
	c[0] = (int64_t)0x00000000ffff8000ULL;
	__asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(&c[0]) : "memory");
	OUT("lrw_sext", v);
	/* amo with rd = zero, and amo result written over its own source */
	c[0] = 100;
	__asm__ volatile("amoadd.d zero, %1, (%0)" : : "r"(&c[0]), "r"(OPQ(5LL)) : "memory");
	OUT("amo_rd0", c[0]);
	v = 3;
	__asm__ volatile("amoadd.w %0, %0, (%1)" : "+r"(v) : "r"(&c[0]) : "memory");
	OUT("amo_rd_rs2", v);
	OUT("amo_rd_rs2_cell", c[0]);
	__asm__ volatile(".option push\n .option arch, +zifencei\n fence rw, rw\n fence.i\n "
	                 ".option pop\n fence r, r\n fence iorw, iorw\n fence.tso" ::
	                         : "memory");
	OUT("fences", 1);
}
#else
static void raw_excl(void)
{
	volatile uint64_t c[2] __attribute__((aligned(16))) = { 0xfedcba9880000001ULL, 5 };
	uint64_t v;
	uint32_t st;
	__asm__ volatile("ldxr %0, [%2]\n stxr %w1, %3, [%2]"
	                 : "=&r"(v), "=&r"(st)
	                 : "r"(&c[0]), "r"(OPQ(7ULL))
	                 : "memory");
	OUT("ldxr_val", v);
	OUT("stxr_st", st);
	OUT("stxr_cell", c[0]);
	uint32_t w;
	__asm__ volatile("ldxr %w0, [%2]\n stxr %w1, %w3, [%2]"
	                 : "=&r"(w), "=&r"(st)
	                 : "r"(&c[1]), "r"(OPQ(0x80000000U))
	                 : "memory");
	OUT("ldxrw_val", w);
	OUT("stxrw_st", st);
	OUT("stxrw_cell", c[1]);
	__asm__ volatile("ldaxr %0, [%2]\n stlxr %w1, %3, [%2]\n stxr %w1, %3, [%2]"
	                 : "=&r"(v), "=&r"(st)
	                 : "r"(&c[0]), "r"(OPQ(9ULL))
	                 : "memory");
	OUT("stxr_twice", st);
	OUT("stxr_twice_cell", c[0]);
	uint64_t lo, hi;
	__asm__ volatile("ldxp %0, %1, [%3]\n stxp %w2, %1, %0, [%3]"
	                 : "=&r"(lo), "=&r"(hi), "=&r"(st)
	                 : "r"(&c[0])
	                 : "memory");
	OUT("ldxp_lo", lo);
	OUT("ldxp_hi", hi);
	OUT("stxp_st", st);
	OUT("stxp_c0", c[0]);
	OUT("stxp_c1", c[1]);
	uint8_t b;
	__asm__ volatile("ldxrb %w0, [%2]\n stxrb %w1, %w3, [%2]"
	                 : "=&r"(b), "=&r"(st)
	                 : "r"((volatile char *)&c[0] + 3), "r"(OPQ(0xeeU))
	                 : "memory");
	OUT("ldxrb", b);
	OUT("stxrb_cell", c[0]);
	__asm__ volatile("clrex\n dmb ish\n dsb sy\n isb" ::: "memory");
	OUT("barriers", 1);
	__asm__ volatile("ldxr %0, [%2]\n clrex\n stxr %w1, %3, [%2]"
	                 : "=&r"(v), "=&r"(st)
	                 : "r"(&c[0]), "r"(OPQ(1ULL))
	                 : "memory");
	OUT("stxr_after_clrex", st);
	OUT("stxr_after_clrex_cell", c[0]);
	__asm__ volatile("ldar %0, [%1]" : "=r"(v) : "r"(&c[1]) : "memory");
	OUT("ldar", v);
	__asm__ volatile("stlr %1, [%0]"
	                 :
	                 : "r"(&c[1]), "r"(OPQ(0x1122334455667788ULL))
	                 : "memory");
	OUT("stlr", c[1]);
}
#endif

int main(void)
{
	builtins();
#if defined(__riscv)
	raw_amo();
#else
	raw_excl();
#endif
	return isa_end("atomic");
}
