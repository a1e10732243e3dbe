/* isa_syscall under QEMU: nothing (bare metal has no kernel to call). */
#if defined(__aarch64__)
__asm__(".globl isa_syscall\n"
        ".type isa_syscall, %function\n"
        "isa_syscall:\n"
        "	mov x0, #0\n"
        "	ret\n");
#else
__asm__(".globl isa_syscall\n"
        ".type isa_syscall, @function\n"
        "isa_syscall:\n"
        "	li a0, 0\n"
        "	ret\n");
#endif
