package dev.rewind.hw.cpu;

/** Why {@link RiscvCpu#run} returned. Details are on the CPU (args(), exception*, memFault*). */
public enum Exit {
    /** The guest executed ecall. {@link RiscvCpu#args()} holds a0..a7 and the resume PC. */
    ECALL,
    /** stop() was called from another thread (preemption), or the PC reached "until". */
    STOPPED,
    /** A synchronous exception: illegal or misaligned instruction, breakpoint. */
    EXCEPTION,
    /** An access to unmapped or protected memory. */
    MEMORY_FAULT
}
