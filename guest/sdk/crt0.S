/*
 * Rewind guest start-up code.
 *
 * The kernel enters _start with sp = RW_STACK_TOP and every other register
 * zero.  No argc/argv are passed.  We set up gp and tp (AArch64: TPIDR_EL0),
 * clear .tbss/.bss (the kernel hands out zeroed pages, but be safe), run the
 * constructors, call main(0, NULL) and pass its result to exit().
 */
#if defined(__aarch64__)
	.section .text.rewind.start, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	/* AArch64's TLS layout puts a 16-byte control block before the
	 * thread's block: the thread pointer is 16 bytes below __tls_base. */
	adrp	x0, __tls_base
	add	x0, x0, :lo12:__tls_base
	sub	x0, x0, #16
	msr	tpidr_el0, x0
	mov	x0, sp
	and	x0, x0, #-16
	mov	sp, x0

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
	/* exit() never returns; if it does, trap. */
3:	udf	#0
	b	3b
	.size	_start, . - _start
#else
	.section .text.rewind.start, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	.option	push
	.option	norelax
	la	gp, __global_pointer$
	.option	pop
	la	tp, __tls_base		/* TLS block of the only thread (errno) */
	andi	sp, sp, -16

	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	call	__libc_init_array
	li	a0, 0
	li	a1, 0
	call	main
	call	exit
	/* exit() never returns; if it does, trap. */
3:	unimp
	j	3b
	.size	_start, . - _start
#endif
