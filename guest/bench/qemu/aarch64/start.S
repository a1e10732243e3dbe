/*
 * Start-up for the benchmark programs on qemu-system-aarch64 -machine virt
 * -cpu cortex-a72: QEMU enters the ELF's entry at EL1 with the MMU off.
 * Turn on FP/SIMD (CPACR_EL1.FPEN), then the MMU with one level-1 table of
 * 1 GiB blocks mapped one to one (0..1 GiB device memory: the UART; 1..2 GiB
 * normal write-back memory: RAM), because with the MMU off every data access
 * is a Device access, which must be aligned; compiled code assumes it need
 * not be (as it need not under Rewind).  Then as crt0: sp, TPIDR_EL0 16
 * bytes below the TLS block, clear .tbss/.bss, constructors, and
 * exit(main(0, NULL)) (plat.c's _exit ends QEMU through semihosting).
 */
	.section .text.start, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	mov	x0, #(3 << 20)
	msr	cpacr_el1, x0
	/* MAIR: attribute 0 Device-nGnRnE, attribute 1 Normal write-back */
	mov	x0, #0xff00
	msr	mair_el1, x0
	/* TCR: T0SZ 25 (39-bit addresses, the walk starts at level 1), inner and
	 * outer write-back, inner shareable, 4 KiB granule, no TTBR1 walks
	 * (EPD1), 32-bit physical addresses. */
	ldr	x0, =((25 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23))
	msr	tcr_el1, x0
	adrp	x0, bench_pt
	add	x0, x0, :lo12:bench_pt
	msr	ttbr0_el1, x0
	isb
	tlbi	vmalle1
	dsb	sy
	isb
	/* SCTLR: M, C, I on; A (alignment checks) off */
	mrs	x0, sctlr_el1
	orr	x0, x0, #(1 << 0)
	orr	x0, x0, #(1 << 2)
	orr	x0, x0, #(1 << 12)
	bic	x0, x0, #(1 << 1)
	msr	sctlr_el1, x0
	isb

	adrp	x0, __stack_top
	add	x0, x0, :lo12:__stack_top
	mov	sp, x0
	adrp	x0, __tls_base
	add	x0, x0, :lo12:__tls_base
	sub	x0, x0, #16
	msr	tpidr_el0, x0
	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
1:	cmp	x0, x1
	b.hs	2f
	str	xzr, [x0], #8
	b	1b
2:
	bl	__libc_init_array
	mov	x0, #0
	mov	x1, #0
	bl	main
	bl	exit
3:	wfi
	b	3b
	.size	_start, . - _start

/* The level-1 table: 512 entries of 1 GiB, only the first two valid. */
	.section .data.bench_pt, "aw", @progbits
	.balign	4096
bench_pt:
	/* 0 GiB: block, AttrIndx 0 (device), AF, execute-never at EL1 (PXN) */
	.quad	(1 << 53) | (1 << 10) | 1
	/* 1 GiB: block, AttrIndx 1 (normal), inner shareable, AF */
	.quad	0x40000000 | (1 << 10) | (3 << 8) | (1 << 2) | 1
	.fill	510, 8, 0
