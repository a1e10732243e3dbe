package dev.rewind.hw.cpu;

/** Why {@link RiscvCpu#run} returned. Details of a fault are on the CPU (lastFault*). */
public enum Exit {
    /** stop() was called: by the ecall handler or by another thread (preemption). */
    STOPPED,
    /** A synchronous exception: illegal or misaligned instruction, breakpoint. */
    EXCEPTION,
    /** An access to unmapped or protected memory. */
    MEMORY_FAULT
}
