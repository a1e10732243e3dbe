package dev.rewind.hw.cpu;

/** Why {@link Cpu#run} returned. Details are on the CPU (args(), exception*, memFault*). */
public enum Exit {
    /** The guest trapped into the kernel for a syscall (RISC-V ecall, AArch64 svc). {@link Cpu#args()} holds the argument slots and the resume PC. */
    ECALL,
    /** stop() was called from another thread (preemption), or the PC reached "until". */
    STOPPED,
    /** A synchronous exception: illegal or misaligned instruction, breakpoint. */
    EXCEPTION,
    /** An access to unmapped or protected memory. */
    MEMORY_FAULT
}
