/* What a program sees of the machine around its own code: registers kept
 * across a system call (everything but the call's result registers, and
 * on AArch64 the vector registers, NZCV, FPCR and FPSR), counters (only
 * checked to be monotonic: their values differ by nature), fence.i. */
#include <string.h>
#include "isa.h"

/* plat_rewind.c / plat_qemu.c: a YIELD system call under Rewind, nothing under QEMU */
void isa_syscall(void);

#if defined(__riscv)
/* isa_regcheck(out): t0..t6 and s0..s11 set to known values, isa_syscall
 * called, then the 19 registers stored in out[0..18]. */
void isa_regcheck(uint64_t *out);
__asm__(".globl isa_regcheck\n"
        "isa_regcheck:\n"
        "	addi sp, sp, -112\n"
        "	sd ra, 0(sp)\n sd s0, 8(sp)\n sd s1, 16(sp)\n sd s2, 24(sp)\n sd s3, 32(sp)\n sd "
        "s4, 40(sp)\n"
        "	sd s5, 48(sp)\n sd s6, 56(sp)\n sd s7, 64(sp)\n sd s8, 72(sp)\n sd s9, 80(sp)\n sd "
        "s10, 88(sp)\n"
        "	sd s11, 96(sp)\n sd a0, 104(sp)\n"
        "	li t0, 0x1010101010101015\n li t1, 0x2020202020202026\n li t2, 0x3030303030303037\n"
        "	li t3, 0x40404040404040fc\n li t4, 0x50505050505050fd\n li t5, 0x60606060606060fe\n"
        "	li t6, 0x70707070707070ff\n li s0, 0x8080808080808008\n li s1, 0x9090909090909009\n"
        "	li s2, 0xa0a0a0a0a0a0a012\n li s3, 0xb0b0b0b0b0b0b013\n li s4, 0xc0c0c0c0c0c0c014\n"
        "	li s5, 0xd0d0d0d0d0d0d015\n li s6, 0xe0e0e0e0e0e0e016\n li s7, 0xf0f0f0f0f0f0f017\n"
        "	li s8, 0x0102030405060718\n li s9, 0x1112131415161719\n li s10, "
        "0x212223242526271a\n"
        "	li s11, 0x313233343536371b\n"
        "	call isa_syscall\n"
        "	ld a0, 104(sp)\n"
        "	sd t0, 0(a0)\n sd t1, 8(a0)\n sd t2, 16(a0)\n sd t3, 24(a0)\n sd t4, 32(a0)\n sd "
        "t5, 40(a0)\n"
        "	sd t6, 48(a0)\n sd s0, 56(a0)\n sd s1, 64(a0)\n sd s2, 72(a0)\n sd s3, 80(a0)\n sd "
        "s4, 88(a0)\n"
        "	sd s5, 96(a0)\n sd s6, 104(a0)\n sd s7, 112(a0)\n sd s8, 120(a0)\n sd s9, 128(a0)\n"
        "	sd s10, 136(a0)\n sd s11, 144(a0)\n"
        "	ld ra, 0(sp)\n ld s0, 8(sp)\n ld s1, 16(sp)\n ld s2, 24(sp)\n ld s3, 32(sp)\n ld "
        "s4, 40(sp)\n"
        "	ld s5, 48(sp)\n ld s6, 56(sp)\n ld s7, 64(sp)\n ld s8, 72(sp)\n ld s9, 80(sp)\n ld "
        "s10, 88(sp)\n"
        "	ld s11, 96(sp)\n"
        "	addi sp, sp, 112\n"
        "	ret\n");
#define REGCHECK_N 19
#else
/* isa_regcheck(out): x9..x28 set, v0..v31 set, NZCV = N|V, FPCR = round
 * towards zero, FPSR = QC|IXC; isa_syscall; then x9..x28 in out[0..19],
 * v0..v31 in out[20..83], NZCV, FPCR, FPSR in out[84..86]. */
void isa_regcheck(uint64_t *out);
__asm__(".globl isa_regcheck\n"
        "isa_regcheck:\n"
        "	stp x29, x30, [sp, #-128]!\n"
        "	stp x19, x20, [sp, #16]\n stp x21, x22, [sp, #32]\n stp x23, x24, [sp, #48]\n"
        "	stp x25, x26, [sp, #64]\n stp x27, x28, [sp, #80]\n stp x0, x18, [sp, #96]\n"
        "	stp d8, d9, [sp, #112]\n"
        "	sub sp, sp, #64\n stp d10, d11, [sp]\n stp d12, d13, [sp, #16]\n stp d14, d15, "
        "[sp, #32]\n"
        "	mrs x1, fpcr\n str x1, [sp, #48]\n"
        "	mov x9, #0x0909\n mov x10, #0x1010\n mov x11, #0x1111\n mov x12, #0x1212\n mov "
        "x13, #0x1313\n"
        "	mov x14, #0x1414\n mov x15, #0x1515\n mov x16, #0x1616\n mov x17, #0x1717\n mov "
        "x18, #0x1818\n"
        "	mov x19, #0x1919\n mov x20, #0x2020\n mov x21, #0x2121\n mov x22, #0x2222\n mov "
        "x23, #0x2323\n"
        "	mov x24, #0x2424\n mov x25, #0x2525\n mov x26, #0x2626\n mov x27, #0x2727\n mov "
        "x28, #0x2828\n"
        "	movk x9, #0x9999, lsl #48\n movk x19, #0x9191, lsl #32\n movk x28, #0x8282, lsl "
        "#16\n"
        "	mov x1, #0\n"
        "1:	dup v31.16b, w1\n"
        "	ext v31.16b, v31.16b, v30.16b, #0\n"
        "	add x1, x1, #1\n cmp x1, #1\n"
        "	movi v0.16b, #0x00\n movi v1.16b, #0x01\n movi v2.16b, #0x02\n movi v3.16b, #0x03\n"
        "	movi v4.16b, #0x04\n movi v5.16b, #0x05\n movi v6.16b, #0x06\n movi v7.16b, #0x07\n"
        "	movi v8.16b, #0x08\n movi v9.16b, #0x09\n movi v10.16b, #0x0a\n movi v11.16b, "
        "#0x0b\n"
        "	movi v12.16b, #0x0c\n movi v13.16b, #0x0d\n movi v14.16b, #0x0e\n movi v15.16b, "
        "#0x0f\n"
        "	movi v16.16b, #0x10\n movi v17.16b, #0x11\n movi v18.16b, #0x12\n movi v19.16b, "
        "#0x13\n"
        "	movi v20.16b, #0x14\n movi v21.16b, #0x15\n movi v22.16b, #0x16\n movi v23.16b, "
        "#0x17\n"
        "	movi v24.16b, #0x18\n movi v25.16b, #0x19\n movi v26.16b, #0x1a\n movi v27.16b, "
        "#0x1b\n"
        "	movi v28.16b, #0x1c\n movi v29.16b, #0x1d\n movi v30.16b, #0x1e\n movi v31.16b, "
        "#0x1f\n"
        "	mov v0.d[1], x9\n mov v17.d[0], x19\n mov v31.d[1], x28\n"
        "	mov x1, #0x00c00000\n msr fpcr, x1\n" /* RMode = towards zero */
        "	mov x1, #0x10\n movk x1, #0x0800, lsl #16\n msr fpsr, x1\n" /* QC, IXC */
        "	mov x1, #0x90000000\n msr nzcv, x1\n"                       /* N, V */
        "	bl isa_syscall\n"
        "	mrs x2, nzcv\n mrs x3, fpcr\n mrs x4, fpsr\n"
        "	ldr x0, [sp, #160]\n"
        "	stp x9, x10, [x0]\n stp x11, x12, [x0, #16]\n stp x13, x14, [x0, #32]\n stp x15, "
        "x16, [x0, #48]\n"
        "	stp x17, x18, [x0, #64]\n stp x19, x20, [x0, #80]\n stp x21, x22, [x0, #96]\n"
        "	stp x23, x24, [x0, #112]\n stp x25, x26, [x0, #128]\n stp x27, x28, [x0, #144]\n"
        "	add x1, x0, #160\n"
        "	st1 {v0.16b, v1.16b, v2.16b, v3.16b}, [x1], #64\n"
        "	st1 {v4.16b, v5.16b, v6.16b, v7.16b}, [x1], #64\n"
        "	st1 {v8.16b, v9.16b, v10.16b, v11.16b}, [x1], #64\n"
        "	st1 {v12.16b, v13.16b, v14.16b, v15.16b}, [x1], #64\n"
        "	st1 {v16.16b, v17.16b, v18.16b, v19.16b}, [x1], #64\n"
        "	st1 {v20.16b, v21.16b, v22.16b, v23.16b}, [x1], #64\n"
        "	st1 {v24.16b, v25.16b, v26.16b, v27.16b}, [x1], #64\n"
        "	st1 {v28.16b, v29.16b, v30.16b, v31.16b}, [x1], #64\n"
        "	stp x2, x3, [x1]\n str x4, [x1, #16]\n"
        "	ldr x1, [sp, #48]\n msr fpcr, x1\n"
        "	ldp d10, d11, [sp]\n ldp d12, d13, [sp, #16]\n ldp d14, d15, [sp, #32]\n add sp, "
        "sp, #64\n"
        "	ldp x19, x20, [sp, #16]\n ldp x21, x22, [sp, #32]\n ldp x23, x24, [sp, #48]\n"
        "	ldp x25, x26, [sp, #64]\n ldp x27, x28, [sp, #80]\n ldp x0, x18, [sp, #96]\n"
        "	ldp d8, d9, [sp, #112]\n"
        "	ldp x29, x30, [sp], #128\n"
        "	ret\n");
#define REGCHECK_N 87
#endif

static void regcheck(void)
{
	uint64_t out[REGCHECK_N];
	memset(out, 0, sizeof out);
	isa_regcheck(out);
	for (int i = 0; i < REGCHECK_N; i++) {
		char name[32];
		snprintf(name, sizeof name, "reg_after_call[%d]", i);
		OUT(name, out[i]);
	}
}

static void counters(void)
{
#if defined(__riscv)
	uint64_t c0, c1, i0, i1;
	__asm__ volatile("rdcycle %0" : "=r"(c0));
	__asm__ volatile("rdinstret %0" : "=r"(i0));
	volatile uint64_t spin = 0;
	for (int i = 0; i < 100000; i++)
		spin += (uint64_t)i;
	__asm__ volatile("rdcycle %0" : "=r"(c1));
	__asm__ volatile("rdinstret %0" : "=r"(i1));
	OUT("cycle_monotonic", c1 >= c0);
	OUT("instret_monotonic", i1 >= i0);
	printf("(cycle %llu..%llu, instret %llu..%llu)\n", (unsigned long long)c0,
	       (unsigned long long)c1, (unsigned long long)i0, (unsigned long long)i1);
	uint64_t t0, t1;
	__asm__ volatile("rdtime %0" : "=r"(t0));
	for (int i = 0; i < 100000; i++)
		spin += (uint64_t)i;
	__asm__ volatile("rdtime %0" : "=r"(t1));
	OUT("time_monotonic", t1 >= t0);
	printf("(time %llu..%llu)\n", (unsigned long long)t0, (unsigned long long)t1);
	/* fence.i after writing memory (data pages are not executable: just the instruction) */
	__asm__ volatile(".option push\n .option arch, +zifencei\n fence.i\n .option pop" ::
	                         : "memory");
	OUT("fence_i", 1);
#else
	uint64_t c0, c1, f;
	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(c0));
	volatile uint64_t spin = 0;
	for (int i = 0; i < 100000; i++)
		spin += (uint64_t)i;
	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(c1));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	OUT("cntvct_monotonic", c1 >= c0);
	printf("(cntvct %llu..%llu, cntfrq %llu)\n", (unsigned long long)c0, (unsigned long long)c1,
	       (unsigned long long)f);
	uint64_t tp;
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
	OUT("tpidr_nonzero", tp != 0);
	uint64_t dczid, ctr, midr;
	__asm__ volatile("mrs %0, dczid_el0" : "=r"(dczid));
	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	__asm__ volatile("mrs %0, midr_el1" : "=r"(midr));
	OUT("dczid_el0", dczid);
	OUT("ctr_el0", ctr);
	OUT("midr_el1", midr);
	/* dc zva: zeroes the block DCZID names */
	static uint8_t blk[256] __attribute__((aligned(128)));
	memset(blk, 0xab, sizeof blk);
	if (!(dczid & 16)) {
		__asm__ volatile("dc zva, %0" : : "r"(blk + 64) : "memory");
	}
	uint64_t h = 0;
	for (int i = 0; i < 256; i++)
		h = isa_mix(h, blk[i]);
	OUT("dc_zva", h);
#endif
}

int main(void)
{
	regcheck();
	counters();
	return isa_end("misc");
}
