/*
 * Rewind guest start-up code.
 *
 * The kernel enters _start with sp = RW_STACK_TOP and every other register
 * zero.  No argc/argv are passed.  We set up gp and tp, clear .tbss/.bss
 * (the kernel hands out zeroed pages, but be safe), run the constructors,
 * call main(0, NULL) and pass its result to exit().
 */
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
