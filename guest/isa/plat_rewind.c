/* isa_syscall under Rewind: a real system call (YIELD), which the kernel
 * handles between two runs of the engine. */
#include <rewind/rewind.h>

#if defined(__aarch64__)
__asm__(".globl isa_syscall\n"
        ".type isa_syscall, %function\n"
        "isa_syscall:\n"
        "	mov x8, #1\n" /* YIELD: clobbers x0..x7 only */
        "	svc #0\n"
        "	ret\n");
#else
__asm__(".globl isa_syscall\n"
        ".type isa_syscall, @function\n"
        "isa_syscall:\n"
        "	li a7, 1\n" /* YIELD: clobbers a0..a7 only */
        "	ecall\n"
        "	ret\n");
#endif
