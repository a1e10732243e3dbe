/*
 * Start-up for the benchmark programs on qemu-system-riscv64 -machine virt
 * -bios none: QEMU's reset code jumps to the ELF's entry at 0x80000000 in
 * M-mode.  Set gp, sp and tp, turn the FPU on, clear .tbss/.bss, run constructors, and
 * exit(main(0, NULL)) (plat.c's _exit stops QEMU through the test device).
 */
	.section .text.start, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	.option	push
	.option	norelax
	la	gp, __global_pointer$
	.option	pop
	la	sp, __stack_top
	la	tp, __tls_base
	/* The FPU on (mstatus.FS = Initial), as Rewind turns it on for a program
	 * built for it: a FLOAT=hard build would trap at its first FP instruction. */
	.option	push
	.option	arch, +zicsr
	li	t0, 0x2000
	csrs	mstatus, t0
	.option	pop
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
3:	wfi
	j	3b
	.size	_start, . - _start
