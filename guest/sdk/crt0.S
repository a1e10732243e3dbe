/*
 * Rewind guest start-up code.
 *
 * The kernel enters _start with sp = RW_STACK_TOP and every other register
 * zero.  The top 16 bytes of the stack are left to the badge the receive
 * calls note for rw_dispatch (rw__recv_note_at in rewind.h).  No argc/argv are passed.  We set up gp and tp (AArch64: TPIDR_EL0),
 * run the constructors, call main(0, NULL) and pass its result to exit().
 * .tbss/.bss are not cleared here: the kernel loads every task (at boot and
 * at each restart) into fresh zeroed frames, so they are zero already, and
 * clearing them would touch every page of a large .bss for nothing.
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
	sub	x0, x0, #16		/* the top 16 bytes: the receive's note (rewind.h) */
	and	x0, x0, #-16
	mov	sp, x0

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
	addi	sp, sp, -16		/* the top 16 bytes: the receive's note (rewind.h) */
	andi	sp, sp, -16

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
