/* Memory: misaligned loads and stores of every width (also across a page
 * boundary), the string functions at odd alignments, setjmp/longjmp,
 * varargs, deep recursion, big stack frames, alloca, large .bss/.data. */
#include <alloca.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "isa.h"

static uint8_t big_bss[3 << 20] __attribute__((aligned(4096)));
static uint32_t big_data[70000] = { 1, 2, 3, [69999] = 0xdeadbeef };

typedef uint16_t u16u __attribute__((aligned(1), may_alias));
typedef uint32_t u32u __attribute__((aligned(1), may_alias));
typedef uint64_t u64u __attribute__((aligned(1), may_alias));
typedef int16_t s16u __attribute__((aligned(1), may_alias));
typedef int32_t s32u __attribute__((aligned(1), may_alias));

static void misaligned(uint8_t *base, const char *name)
{
	/* Every offset 0..15 around 'base' (the caller puts a page boundary there). */
	uint64_t h = 0;
	for (int off = -9; off <= 8; off++) {
		volatile uint8_t *p = base + off;
		for (int i = -16; i < 16; i++)
			base[i] = (uint8_t)(0x81 + i * 7);
		h = isa_mix(h, *(volatile u16u *)p);
		h = isa_mix(h, (uint64_t)(int64_t) * (volatile s16u *)p);
		h = isa_mix(h, *(volatile u32u *)p);
		h = isa_mix(h, (uint64_t)(int64_t) * (volatile s32u *)p);
		h = isa_mix(h, *(volatile u64u *)p);
		*(volatile u16u *)(p + 1) = (uint16_t)OPQ(0xa1b2u);
		h = isa_mix(h, *(volatile u64u *)(p - 4));
		*(volatile u32u *)(p + 1) = OPQ(0xc3d4e5f6u);
		h = isa_mix(h, *(volatile u64u *)(p - 4));
		*(volatile u64u *)(p + 1) = OPQ(0x0718293a4b5c6d7eULL);
		h = isa_mix(h, *(volatile u64u *)(p - 4));
		h = isa_mix(h, *(volatile u64u *)(p + 4));
	}
	OUT(name, h);
#if defined(__riscv)
	/* The instructions themselves, at every offset across the boundary. */
	h = 0;
	for (int off = -8; off <= 1; off++) {
		uint8_t *p = base + off;
		for (int i = -16; i < 16; i++)
			base[i] = (uint8_t)(0x33 + i * 13);
		int64_t v;
		__asm__ volatile("lh %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");
		h = isa_mix(h, (uint64_t)v);
		__asm__ volatile("lhu %0, 1(%1)" : "=r"(v) : "r"(p) : "memory");
		h = isa_mix(h, (uint64_t)v);
		__asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");
		h = isa_mix(h, (uint64_t)v);
		__asm__ volatile("lwu %0, 2(%1)" : "=r"(v) : "r"(p) : "memory");
		h = isa_mix(h, (uint64_t)v);
		__asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");
		h = isa_mix(h, (uint64_t)v);
		__asm__ volatile("c.ld %0, 8(%1)" : "=r"(v) : "r"(p - 8) : "memory");
		h = isa_mix(h, (uint64_t)v);
		__asm__ volatile("c.lw %0, 4(%1)" : "=r"(v) : "r"(p - 4) : "memory");
		h = isa_mix(h, (uint64_t)v);
		__asm__ volatile("sd %1, 0(%0)"
		                 :
		                 : "r"(p), "r"(OPQ(0x1122334455667788LL))
		                 : "memory");
		__asm__ volatile("c.sw %1, 4(%0)"
		                 :
		                 : "r"(p - 2), "r"(OPQ(0x99aabbccLL))
		                 : "memory");
		__asm__ volatile("sh %1, 7(%0)" : : "r"(p), "r"(OPQ(0xddeeLL)) : "memory");
		__asm__ volatile("c.sd %1, 16(%0)"
		                 :
		                 : "r"(p - 13), "r"(OPQ(0x0102030405060708LL))
		                 : "memory");
		for (int i = -16; i < 16; i += 8)
			h = isa_mix(h, *(volatile uint64_t *)(base + i));
	}
	OUT("raw_misaligned", h);
#else
	h = 0;
	for (int off = -16; off <= 1; off++) {
		uint8_t *p = base + off;
		for (int i = -32; i < 32; i++)
			base[i] = (uint8_t)(0x33 + i * 13);
		uint64_t v, w;
		__asm__ volatile("ldrsh %0, [%1, #1]" : "=r"(v) : "r"(p) : "memory");
		h = isa_mix(h, v);
		__asm__ volatile("ldrsw %0, [%1, #1]" : "=r"(v) : "r"(p) : "memory");
		h = isa_mix(h, v);
		__asm__ volatile("ldur %0, [%1, #3]" : "=r"(v) : "r"(p) : "memory");
		h = isa_mix(h, v);
		__asm__ volatile("ldp %0, %1, [%2, #-8]"
		                 : "=r"(v), "=r"(w)
		                 : "r"(p + 1)
		                 : "memory");
		h = isa_mix(h, v ^ (w << 1));
		__asm__ volatile("ldr q0, [%1]\n umov %0, v0.d[1]"
		                 : "=r"(v)
		                 : "r"(p + 3)
		                 : "memory", "v0");
		h = isa_mix(h, v);
		__asm__ volatile("ld1 {v0.16b}, [%1]\n umov %0, v0.d[0]"
		                 : "=r"(v)
		                 : "r"(p + 5)
		                 : "memory", "v0");
		h = isa_mix(h, v);
		__asm__ volatile("ld1 {v0.4s, v1.4s}, [%1]\n umov %0, v1.d[1]"
		                 : "=r"(v)
		                 : "r"(p - 15)
		                 : "memory", "v0", "v1");
		h = isa_mix(h, v);
		__asm__ volatile("ld4 {v0.8b, v1.8b, v2.8b, v3.8b}, [%1]\n umov %0, v3.d[0]"
		                 : "=r"(v)
		                 : "r"(p - 7)
		                 : "memory", "v0", "v1", "v2", "v3");
		h = isa_mix(h, v);
		__asm__ volatile("ld1r {v0.4s}, [%1]\n umov %0, v0.d[1]"
		                 : "=r"(v)
		                 : "r"(p + 2)
		                 : "memory", "v0");
		h = isa_mix(h, v);
		__asm__ volatile("stp %1, %2, [%0, #-8]"
		                 :
		                 : "r"(p + 1), "r"(OPQ(0x1122334455667788ULL)),
		                   "r"(OPQ(0x99aabbccddeeff00ULL))
		                 : "memory");
		__asm__ volatile("dup v0.16b, %w1\n str q0, [%0, #3]"
		                 :
		                 : "r"(p - 8), "r"(OPQ(0x5au))
		                 : "memory", "v0");
		__asm__ volatile("strh %w1, [%0, #1]" : : "r"(p), "r"(OPQ(0xbeefu)) : "memory");
		__asm__ volatile(
		        "ldr d0, [%0]\n str d0, [%0, #5]\n ldr s1, [%0, #1]\n str s1, [%0, #-3]"
		        :
		        : "r"(p)
		        : "memory", "v0", "v1");
		__asm__ volatile("movi v2.16b, #0x77\n st2 {v1.8b, v2.8b}, [%0]"
		                 :
		                 : "r"(p - 9)
		                 : "memory", "v1", "v2");
		for (int i = -32; i < 32; i += 8)
			h = isa_mix(h, *(volatile uint64_t *)(base + i));
	}
	OUT("raw_misaligned", h);
#endif
}

static void string_funcs(void)
{
	static char a[600], b[600];
	uint64_t h = 0;
	for (int so = 0; so < 9; so++)
		for (int dof = 0; dof < 9; dof++)
			for (int n = 0; n < 40; n += (n < 20 ? 1 : 7)) {
				for (int i = 0; i < 600; i++) {
					a[i] = (char)(i * 31 + 7);
					b[i] = (char)(i * 17 + 3);
				}
				memcpy(b + dof, a + so, (size_t)n + so * 37);
				h = isa_mix(h, (uint64_t)memcmp(b, a, 600) > 0);
				memmove(b + so, b + dof, (size_t)n + 100);
				memmove(b + dof + 50, b + so + 47, (size_t)n + 90);
				memset(b + so + dof, so * 16 + dof, (size_t)n);
				h = isa_mix(h,
				            (uint64_t)(memcmp(b + so, a + dof, (size_t)n + 1) > 0));
				b[so + 300] = 0;
				a[dof + 310] = 0;
				h = isa_mix(h, strlen(b + so) ^ (strlen(a + dof) << 20));
				int c = strcmp(a + dof + 1, b + so + 1);
				h = isa_mix(h, (uint64_t)((c > 0) - (c < 0)));
				c = strncmp(a + 5, a + 5 + so, (size_t)n);
				h = isa_mix(h, (uint64_t)((c > 0) - (c < 0)));
				const char *r = memchr(b + so, (unsigned char)a[n + 40], 200);
				h = isa_mix(h, r ? (uint64_t)(r - b) : 999);
				r = strchr(a + dof, 'x');
				h = isa_mix(h, r ? (uint64_t)(r - a) : 999);
				for (int i = 0; i < 600; i += 8)
					h = isa_mix(h, *(uint64_t *)(b + i));
			}
	OUT("string_funcs", h);
}

static jmp_buf jb;
static int depth_reached;

__attribute__((noinline)) static void jumper(int n)
{
	volatile char pad[100];
	pad[n % 100] = (char)n;
	depth_reached = n + pad[n % 100];
	if (n == 0)
		longjmp(jb, 42);
	jumper(n - 1);
}

static void jumps(void)
{
	volatile int count = 0;
	volatile long keep = 0x1234;
	int r = setjmp(jb);
	count++;
	if (r == 0) {
		keep = 0x5678;
		jumper(50);
	}
	OUT("setjmp_r", r);
	OUT("setjmp_count", count);
	OUT("setjmp_keep", keep);
	OUT("setjmp_depth", depth_reached);
	r = setjmp(jb);
	if (r == 0)
		longjmp(jb, 0); /* longjmp(0) returns 1 */
	OUT("longjmp0", r);
}

static uint64_t vsum(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	uint64_t h = 0;
	for (int i = 0; i < n; i++) {
		switch (i % 5) {
		case 0:
			h = isa_mix(h, (uint64_t)va_arg(ap, int));
			break;
		case 1:
			h = isa_mix(h, (uint64_t)va_arg(ap, long long));
			break;
		case 2: {
			double d = va_arg(ap, double);
			uint64_t u;
			memcpy(&u, &d, 8);
			h = isa_mix(h, u);
			break;
		}
		case 3:
			h = isa_mix(h, (uint64_t)(uintptr_t)va_arg(ap, const char *)[0]);
			break;
		case 4: {
			__int128 x = va_arg(ap, __int128);
			h = isa_mix(h, (uint64_t)(x >> 64) ^ (uint64_t)x);
			break;
		}
		}
	}
	va_end(ap);
	return h;
}

static void varargs(void)
{
	__int128 big = ((__int128)OPQ(0x1111LL) << 64) | OPQ(0x2222LL);
	OUT("varargs", vsum(17, -1, 0x123456789LL, 2.5, "xyz", big, 7, -8LL, -0.0, "q", -big, 9,
	                    10LL, 1e300, "r", big * 3, -11, 12LL));
	char buf[200];
	snprintf(buf, sizeof buf,
	         "%d %u %ld %lx %lld %llu %hhd %hu %zu %p %5.3s|%-6d|%+d %05d %o %#x %c%%", -5,
	         4000000000u, -9000000000L, 0xabcdefUL, -1LL, 18446744073709551615ULL,
	         (signed char)-3, (unsigned short)65535, (size_t)12345, (void *)0x10000, "abcdef",
	         42, 7, -42, 8, 255, 'Z');
	out_str("snprintf_int", buf);
	long v = strtol(OPQ("-0x7fffffffffffffff"), NULL, 16);
	OUT("strtol", v);
	unsigned long uv = strtoul(OPQ("18446744073709551615"), NULL, 10);
	OUT("strtoul", uv);
	OUT("atoi", atoi(OPQ("  -2147483648")));
}

__attribute__((noinline)) static uint64_t recurse(uint64_t n, uint64_t acc)
{
	volatile uint64_t local[4] = { n, acc, n ^ acc, n * 3 };
	if (n == 0)
		return acc;
	uint64_t r = recurse(n - 1, isa_mix(acc, local[2]));
	return r + local[3];
}

__attribute__((noinline)) static uint64_t big_frame(int k)
{
	volatile uint8_t frame[40000];
	for (int i = 0; i < 40000; i += 97)
		frame[i] = (uint8_t)(i + k);
	uint64_t h = 0;
	for (int i = 0; i < 40000; i += 97)
		h = isa_mix(h, frame[i]);
	return h;
}

__attribute__((noinline)) static uint64_t use_alloca(unsigned n)
{
	uint8_t *p = alloca(n);
	uint64_t *q = alloca(n / 2 + 8);
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 5);
	for (unsigned i = 0; i <= n / 16; i++)
		q[i] = i * 0x1000001ULL;
	uint64_t h = (uintptr_t)p % 16 + ((uintptr_t)q % 16 << 8);
	for (unsigned i = 0; i < n; i += 3)
		h = isa_mix(h, p[i] + q[i / 16]);
	return h;
}

static void stack_and_sections(void)
{
	OUT("recurse", recurse(1000, 1));
	OUT("big_frame", big_frame(3));
	OUT("alloca", use_alloca(OPQ(3001u)) ^ use_alloca(OPQ(17u)));
	uint64_t h = 0;
	for (unsigned i = 0; i < sizeof big_bss; i += 4093)
		h = isa_mix(h, big_bss[i]);
	for (unsigned i = 0; i < sizeof big_bss; i += 4099)
		big_bss[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof big_bss; i += 4099)
		h = isa_mix(h, big_bss[i]);
	for (unsigned i = 0; i < 70000; i += 999)
		h = isa_mix(h, big_data[i]);
	h = isa_mix(h, big_data[69999]);
	OUT("sections", h);
	void *m[20];
	h = 0;
	for (int i = 0; i < 20; i++) {
		m[i] = malloc((size_t)(i * i * 97 + 1));
		h = isa_mix(h, (uintptr_t)m[i] % 16);
		memset(m[i], i, (size_t)(i * i * 97 + 1));
	}
	for (int i = 0; i < 20; i += 2)
		free(m[i]);
	for (int i = 1; i < 20; i += 2)
		h = isa_mix(h, ((uint8_t *)m[i])[i * i * 97]);
	void *r = realloc(m[19], 100000);
	h = isa_mix(h, ((uint8_t *)r)[19 * 19 * 97]);
	OUT("malloc", h);
}

int main(void)
{
	/* a page boundary inside .bss */
	misaligned(big_bss + 8192, "misaligned_bss");
	/* and one on the stack: a buffer that straddles a page */
	{
		volatile uint8_t stackbuf[8192 + 64];
		uintptr_t mid = ((uintptr_t)stackbuf + 4096 + 32) & ~(uintptr_t)4095;
		misaligned((uint8_t *)mid, "misaligned_stack");
	}
	string_funcs();
	jumps();
	varargs();
	stack_and_sections();
	return isa_end("mem");
}
