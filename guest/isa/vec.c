/* Loops the compiler vectorises at -O2/-O3 (AArch64: NEON), and on AArch64
 * NEON, CRC32 and AES/SHA instructions through intrinsics. */
#include <string.h>
#include "isa.h"
#if defined(__aarch64__)
#include <arm_acle.h>
#include <arm_neon.h>
#endif

#define N 1003
static int8_t s8a[N], s8b[N];
static uint8_t u8a[N], u8b[N];
static int16_t s16a[N], s16b[N];
static uint16_t u16a[N];
static int32_t s32a[N], s32b[N];
static uint32_t u32a[N];
static int64_t s64a[N], s64b[N];
static float fa[N], fb[N];
static double da[N];
static uint8_t rgb[3 * N];

static uint64_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static void fill(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < N; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		s8a[i] = (int8_t)s;
		s8b[i] = (int8_t)(s >> 8);
		u8a[i] = (uint8_t)(s >> 16);
		u8b[i] = (uint8_t)(s >> 24);
		s16a[i] = (int16_t)(s >> 32);
		s16b[i] = (int16_t)(s >> 40);
		u16a[i] = (uint16_t)(s >> 48);
		s32a[i] = (int32_t)s;
		s32b[i] = (int32_t)(s >> 29);
		u32a[i] = (uint32_t)(s >> 17);
		s64a[i] = (int64_t)s;
		s64b[i] = (int64_t)(s * 0x2545F4914F6CDD1DULL);
		fa[i] = (float)(int32_t)s / 65536.0f;
		fb[i] = (float)(int16_t)(s >> 20) / 256.0f;
		da[i] = (double)(int64_t)s / 1e9;
	}
	for (int i = 0; i < 3 * N; i++)
		rgb[i] = (uint8_t)(i * 37 + (i >> 3));
}

#define K(name, body)                       \
	static void name(void)              \
	{                                   \
		for (int i = 0; i < N; i++) \
			body;               \
	}

static void kernels(void)
{
	uint64_t h = 0;
	int8_t r8[N];
	int16_t r16[N];
	int32_t r32[N];
	int64_t r64[N];
	uint8_t ru8[N];
	float rf[N];

	for (int i = 0; i < N; i++) { /* saturating add */
		int v = s8a[i] + s8b[i];
		r8[i] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
	}
	h = isa_mix(h, hash_bytes(r8, sizeof r8));
	for (int i = 0; i < N; i++) { /* unsigned saturating sub, average */
		ru8[i] = (uint8_t)(u8a[i] > u8b[i] ? u8a[i] - u8b[i] : 0);
		ru8[i] ^= (uint8_t)((u8a[i] + u8b[i] + 1) >> 1);
	}
	h = isa_mix(h, hash_bytes(ru8, sizeof ru8));
	for (int i = 0; i < N; i++) /* abs, min, max */
		r16[i] = (int16_t)((s16a[i] < 0 ? -s16a[i] : s16a[i]) +
		                   (s16a[i] < s16b[i] ? s16a[i] : s16b[i]) -
		                   (u16a[i] > 3000 ? u16a[i] : 3000));
	h = isa_mix(h, hash_bytes(r16, sizeof r16));
	for (int i = 0; i < N; i++) /* widening multiply, shifts */
		r32[i] = s16a[i] * s16b[i] + (s32a[i] >> 5) + (int32_t)(u32a[i] << 3) -
		         (int32_t)(u32a[i] >> 11);
	h = isa_mix(h, hash_bytes(r32, sizeof r32));
	for (int i = 0; i < N; i++) /* 64-bit lanes */
		r64[i] = s64a[i] * 3 + (s64b[i] >> 7) - (int64_t)((uint64_t)s64a[i] >> 60) +
		         (s64a[i] > s64b[i] ? 1 : -1);
	h = isa_mix(h, hash_bytes(r64, sizeof r64));
	for (int i = 0; i < N; i++) /* 32x32->64 */
		r64[i] = (int64_t)s32a[i] * s32b[i] + (int64_t)((uint64_t)u32a[i] * u32a[i]);
	h = isa_mix(h, hash_bytes(r64, sizeof r64));
	for (int i = 0; i < N; i++) /* division by constants */
		r32[i] = s32a[i] / 7 + (int32_t)(u32a[i] / 10) + s32b[i] % 13;
	h = isa_mix(h, hash_bytes(r32, sizeof r32));
	for (int i = 0; i < N; i++) /* narrowing */
		ru8[i] = (uint8_t)(s32a[i] >> 24) ^ (uint8_t)s16a[i];
	h = isa_mix(h, hash_bytes(ru8, sizeof ru8));
	for (int i = 0; i < N; i++) /* float: fma, div, sqrt, convert, select */
		rf[i] = fa[i] * fb[i] + (fb[i] != 0 ? fa[i] / fb[i] : 0.0f) +
		        __builtin_sqrtf(fa[i] > 0 ? fa[i] : -fa[i]);
	h = isa_mix(h, hash_bytes(rf, sizeof rf));
	for (int i = 0; i < N; i++)
		r32[i] = (int32_t)(fa[i] * 0.001f) + (int32_t)(uint32_t)(fb[i] > 0 ? fb[i] : 0);
	h = isa_mix(h, hash_bytes(r32, sizeof r32));
	for (int i = 0; i < N; i++)
		rf[i] = (float)s32a[i] * 1e-6f + (float)u16a[i] + (float)da[i];
	h = isa_mix(h, hash_bytes(rf, sizeof rf));
	for (int i = 0; i < N; i++)
		rf[i] = __builtin_fminf(fa[i], fb[i]) - __builtin_fmaxf(fa[i], fb[i] * 2) +
		        __builtin_floorf(fa[i]) + __builtin_roundf(fb[i]) +
		        __builtin_truncf(fa[i] / 3);
	h = isa_mix(h, hash_bytes(rf, sizeof rf));
	/* reductions */
	int64_t sum = 0;
	uint32_t x = 0;
	int32_t mx = -2147483647 - 1;
	float fsum = 0;
	double dsum = 0;
	unsigned pop = 0;
	for (int i = 0; i < N; i++) {
		sum += s32a[i];
		x ^= u32a[i];
		mx = s32b[i] > mx ? s32b[i] : mx;
		pop += (unsigned)__builtin_popcount(u8a[i]);
	}
	for (int i = 0; i < N; i++)
		fsum += fa[i];
	for (int i = 0; i < N; i++)
		dsum += da[i] * da[i];
	h = isa_mix(h, (uint64_t)sum);
	h = isa_mix(h, x);
	h = isa_mix(h, (uint64_t)(int64_t)mx);
	h = isa_mix(h, pop);
	uint32_t fs;
	memcpy(&fs, &fsum, 4);
	h = isa_mix(h, fs);
	uint64_t ds;
	memcpy(&ds, &dsum, 8);
	h = isa_mix(h, ds);
	/* interleaved: rgb -> gray (ld3), and back (st3) */
	for (int i = 0; i < N; i++)
		ru8[i] = (uint8_t)((rgb[3 * i] * 77 + rgb[3 * i + 1] * 150 + rgb[3 * i + 2] * 29) >>
		                   8);
	h = isa_mix(h, hash_bytes(ru8, sizeof ru8));
	for (int i = 0; i < N; i++) {
		rgb[3 * i] = (uint8_t)(ru8[i] + 1);
		rgb[3 * i + 2] = (uint8_t)(rgb[3 * i + 1] ^ ru8[i]);
	}
	h = isa_mix(h, hash_bytes(rgb, sizeof rgb));
	/* byte swap and bit tricks over arrays */
	for (int i = 0; i < N; i++)
		u32a[i] = __builtin_bswap32(u32a[i]) ^ (u32a[i] >> (i & 31)) ^
		          (uint32_t)__builtin_clz(u32a[i] | 1);
	h = isa_mix(h, hash_bytes(u32a, sizeof u32a));
	/* misaligned vector access: src and dst at odd offsets */
	for (int i = 0; i + 5 < N; i++)
		s8a[i + 3] = (int8_t)(s8b[i + 5] + s8a[i + 1]);
	h = isa_mix(h, hash_bytes(s8a, sizeof s8a));
	memmove(s16a + 1, s16a, (N - 1) * 2);
	h = isa_mix(h, hash_bytes(s16a, sizeof s16a));
	OUT("vector_loops", h);
}

#if defined(__aarch64__)
#define HV(v)                                      \
	do {                                       \
		__auto_type _x = (v);              \
		uint64_t _w[2] = { 0, 0 };         \
		memcpy(_w, &_x, sizeof _x);        \
		h = isa_mix(h, _w[0] ^ _w[1] * 3); \
	} while (0)

__attribute__((target("+crc+crypto"))) static void neon(void)
{
	uint64_t h = 0;
	uint8x16_t a = vld1q_u8(u8a), b = vld1q_u8(u8b + 1);
	int16x8_t sa = vld1q_s16(s16a + 2), sb = vld1q_s16(s16b + 3);
	int32x4_t ia = vld1q_s32(s32a), ib = vld1q_s32(s32b);
	float32x4_t fva = vld1q_f32(fa), fvb = vld1q_f32(fb);
	for (int r = 0; r < 8; r++) {
		uint8x16_t t;
		HV(vqtbl1q_u8(a, vandq_u8(b, vdupq_n_u8(0x1f))));
		HV(vextq_u8(a, b, 5));
		HV(vzip1q_u8(a, b));
		HV(vuzp2q_u8(a, b));
		HV(vtrn1q_u8(a, b));
		HV(vqaddq_u8(a, b));
		HV(vqsubq_u8(a, b));
		HV(vqabsq_s8(vreinterpretq_s8_u8(a)));
		HV(vcntq_u8(a));
		HV(vclsq_s8(vreinterpretq_s8_u8(a)));
		HV(vclzq_u8(b));
		HV(vrbitq_u8(a));
		HV(vrev64q_u8(a));
		HV(vrhaddq_u8(a, b));
		HV(vabdq_u8(a, b));
		HV(vpmaxq_u8(a, b));
		HV(vcgtq_u8(a, b));
		HV(vbslq_u8(vcgtq_u8(a, b), a, b));
		HV(vqrdmulhq_s16(sa, sb));
		HV(vqdmulhq_s16(sa, sb));
		HV(vqshlq_s16(sa, vdupq_n_s16(3)));
		HV(vrshrq_n_s16(sa, 3));
		HV(vsraq_n_s16(sa, sb, 5));
		HV(vqnegq_s16(sa));
		HV(vmull_s16(vget_low_s16(sa), vget_high_s16(sb)));
		HV(vmlal_high_s16(ia, sa, sb));
		HV(vpaddlq_s16(sa));
		HV(vqdmlal_s16(ia, vget_low_s16(sa), vget_low_s16(sb)));
		HV(vshlq_s32(ia, vnegq_s32(vandq_s32(ib, vdupq_n_s32(63)))));
		HV(vqrshlq_s32(ia, vandq_s32(ib, vdupq_n_s32(0x8f))));
		HV(vcombine_u8(vqmovun_s16(sa), vqrshrn_n_u16(vreinterpretq_u16_s16(sb), 4)));
		HV(vcombine_s16(vqmovn_s32(ia), vshrn_n_s32(ib, 9)));
		HV(vcvtq_u32_f32(fva));
		HV(vcvtq_s32_f32(vmulq_f32(fva, vdupq_n_f32(1e6f))));
		HV(vcvtnq_s32_f32(fvb));
		HV(vcvtmq_s32_f32(fvb));
		HV(vcvtq_n_s32_f32(fvb, 8));
		HV(vcvtq_n_f32_s32(ia, 16));
		HV(vrecpeq_f32(fva));
		HV(vrsqrteq_f32(vabsq_f32(fva)));
		HV(vrecpsq_f32(fva, fvb));
		HV(vrsqrtsq_f32(fva, fvb));
		HV(vrecpeq_u32(vreinterpretq_u32_s32(ia)));
		HV(vrsqrteq_u32(vreinterpretq_u32_s32(ib)));
		HV(vfmaq_f32(fva, fvb, fva));
		HV(vpaddq_f32(fva, fvb));
		HV(vmaxnmq_f32(fva, fvb));
		HV(vminq_f32(fva, vdivq_f32(fvb, fva)));
		HV(vsqrtq_f32(vabsq_f32(fvb)));
		HV(vrndnq_f32(fva));
		HV(vrndaq_f32(vmulq_n_f32(fvb, 0.5f)));
		HV(vrndxq_f32(fvb));
		HV(vcombine_f32(vcvt_f32_f64(vcvt_f64_f32(vget_low_f32(fva))),
		                vcvtx_f32_f64(vld1q_f64(da))));
		HV(vdupq_n_u8(vaddvq_u8(a)));
		HV(vdupq_n_u16(vaddlvq_u8(b)));
		HV(vdupq_n_s32(vmaxvq_s32(ia) ^ vminvq_s32(ib)));
		HV(vdupq_n_f32(vmaxnmvq_f32(fva) + vaddvq_f32(fvb)));
		HV(vmull_p64(vgetq_lane_u64(vreinterpretq_u64_u8(a), 0),
		             vgetq_lane_u64(vreinterpretq_u64_u8(b), 1)));
		HV(vreinterpretq_u16_p16(vmull_p8(vget_low_p8(vreinterpretq_p8_u8(a)),
		                                  vget_high_p8(vreinterpretq_p8_u8(b)))));
		HV(vaeseq_u8(a, b));
		HV(vaesdq_u8(a, b));
		HV(vaesmcq_u8(a));
		HV(vaesimcq_u8(b));
		HV(vsha1cq_u32(vreinterpretq_u32_u8(a), vgetq_lane_u32(vreinterpretq_u32_u8(b), 0),
		               vreinterpretq_u32_s32(ia)));
		HV(vsha1su0q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b),
		                 vreinterpretq_u32_s32(ia)));
		HV(vsha256hq_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b),
		                 vreinterpretq_u32_s32(ia)));
		HV(vsha256su1q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b),
		                   vreinterpretq_u32_s32(ib)));
		h = isa_mix(h, __crc32b((uint32_t)h, (uint8_t)r));
		h = isa_mix(h, __crc32ch((uint32_t)h, (uint16_t)h));
		h = isa_mix(h, __crc32w((uint32_t)h, (uint32_t)(h >> 9)));
		h = isa_mix(h, __crc32cd((uint32_t)h, h * 7));
		/* next round: new inputs */
		t = veorq_u8(a, vreinterpretq_u8_u64(vdupq_n_u64(h)));
		b = vaddq_u8(b, a);
		a = t;
		sa = vreinterpretq_s16_u8(veorq_u8(vreinterpretq_u8_s16(sa), b));
		sb = vaddq_s16(sb, vreinterpretq_s16_u8(a));
		ia = vreinterpretq_s32_u8(vaddq_u8(vreinterpretq_u8_s32(ia), a));
		ib = veorq_s32(ib, vreinterpretq_s32_u8(b));
		fva = vaddq_f32(fva, vcvtq_f32_s32(vshrq_n_s32(ia, 16)));
		fvb = vmulq_f32(fvb, vdupq_n_f32(-1.25f));
	}
	OUT("neon", h);
	/* scalar FP and integer instructions the compiler rarely emits */
	uint64_t v = OPQ(0x8000000000000001ULL), w;
	double d = OPQ(-2.5);
	float f = OPQ(3.75f);
	__asm__("frintx %d0, %d0" : "+w"(d));
	OUT("frintx", (uint64_t)(int64_t)(d * 16));
	__asm__("fcvtzs %x0, %d1, #4" : "=r"(w) : "w"(OPQ(-3.3)));
	OUT("fcvtzs_fixed", w);
	__asm__("fcvtau %w0, %s1" : "=r"(w) : "w"(f));
	OUT("fcvtau", w);
	__asm__("fcvtzs %w0, %d1" : "=r"(w) : "w"(OPQ(1e20)));
	OUT("fcvtzs_sat", w);
	__asm__("fcvtzu %x0, %d1" : "=r"(w) : "w"(OPQ(-1.0)));
	OUT("fcvtzu_neg", w);
	__asm__("fcvtzs %x0, %d1" : "=r"(w) : "w"(OPQ(__builtin_nan(""))));
	OUT("fcvtzs_nan", w);
	__asm__("rbit %0, %1" : "=r"(w) : "r"(v));
	OUT("rbit", w);
	__asm__("cls %0, %1" : "=r"(w) : "r"(v));
	OUT("cls", w);
	__asm__("rev16 %0, %1" : "=r"(w) : "r"(OPQ(0x0102030405060708ULL)));
	OUT("rev16", w);
	__asm__("extr %0, %1, %2, #13" : "=r"(w) : "r"(v), "r"(OPQ(0x123456789ULL)));
	OUT("extr", w);
	__asm__("umulh %0, %1, %1" : "=r"(w) : "r"(v));
	OUT("umulh", w);
	__asm__("smulh %0, %1, %2" : "=r"(w) : "r"(v), "r"(OPQ(-3LL)));
	OUT("smulh", w);
	__asm__("sbfx %0, %1, #7, #13" : "=r"(w) : "r"(OPQ(0x0000000000fff000ULL)));
	OUT("sbfx", w);
	__asm__("bfi %0, %1, #60, #4" : "=r"(w) : "r"(OPQ(0xfULL)), "0"(v));
	OUT("bfi", w);
	__asm__("cmp %1, #0\n ccmp %1, %2, #4, ne\n cset %0, eq"
	        : "=r"(w)
	        : "r"(v), "r"(OPQ(0ULL))
	        : "cc");
	OUT("ccmp", w);
	__asm__("adds %0, %1, %1\n adc %0, %0, xzr\n cinc %0, %0, vs" : "=r"(w) : "r"(v) : "cc");
	OUT("adc_flags", w);
	__asm__("fmov %d0, #-1.25" : "=w"(d));
	OUT("fmov_imm", (uint64_t)(int64_t)(d * 8));
	float16x4_t hv = vcvt_f16_f32(vld1q_f32(fa));
	HV(vcvt_high_f32_f16(vcombine_f16(hv, hv)));
	OUT("fp16", h);
	uint64_t fpcr, fpsr;
	__asm__ volatile("mrs %0, fpcr\n mrs %1, fpsr" : "=r"(fpcr), "=r"(fpsr));
	OUT("fpcr", fpcr);
	OUT("fpsr_qc", (fpsr >> 27) & 1);
}
#endif

int main(void)
{
	fill();
	kernels();
#if defined(__aarch64__)
	neon();
#endif
	return isa_end("vec");
}
