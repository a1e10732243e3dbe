package dev.rewind.hw.cpu;

import dev.rewind.hw.dev.Device;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.WriteTracker;

/**
 * One hart and its address space, as the kernel uses it: run until a trap, stop, registers,
 * hooks, devices, write tracking for transactions. {@link RiscvCpu} and {@link Aarch64Cpu}
 * implement it (one Unicorn engine each, {@link UnicornCpu}).
 *
 * <p>Registers are numbered as the architecture's general registers, with the PC after them
 * ({@link #readAll}); which register holds what (the stack pointer, syscall arguments and
 * results, the callee-saved set) is {@link #arch()}'s to say, so the kernel names no
 * architecture's registers. Exceptions are reported with RISC-V's cause numbers
 * ({@link Cause}), the kernel's vocabulary on every architecture.
 */
public interface Cpu extends AutoCloseable {
    /** Which write tracker {@link #enableWriteTracking} installs. */
    enum TrackerKind {
        /**
         * The fastest the engine allows (the default): with the virtual TLB, the MMU's fill hook
         * catches each page's first store (no per-store cost); without it, the native store hook.
         */
        NATIVE,
        /** The native store hook even where the virtual TLB exists (turns it off: slow stores). For comparison. */
        STORE_HOOK,
        /** Page protection and a Java fault hook (the reference implementation). */
        PROTECTION
    }

    /** The architecture: register layout, syscall registers, names. */
    Arch arch();

    /**
     * The data access the instruction at {@code pc} makes with registers {@code regs}
     * ({@link #readAll}'s layout), or null if it makes none (or it cannot be read).
     */
    FaultLocator.Access accessAt(long pc, long[] regs);

    /**
     * The instruction that made the access to {@code faultAddr} (a store if {@code write}),
     * from the PC the engine reported (which may be the start of the translation block).
     */
    FaultLocator.Location locate(long reportedPc, long[] regs, long faultAddr, boolean write);

    /** The address space: the MMU, and how the kernel reads and writes the task's memory. */
    AddressSpace memory();

    /** Run from {@code pc} until a trap, a fault, or a stop; see {@link Exit}. */
    Exit run(long pc);

    /** As {@link #run(long)}, also stopping (as {@link Exit#STOPPED}) when the PC reaches {@code until}. */
    Exit run(long pc, long until);

    /** After {@link Exit#ECALL}: the eight argument slots ({@link Arch}) and, last, the resume PC. */
    long[] args();

    /** End the current run at once; safe from any thread. */
    void stop();

    /** Changes whenever the registers may have changed. */
    long registerVersion();

    long pc();

    void setPc(long pc);

    long reg(int x);

    void setReg(int x, long v);

    /**
     * Write result slots 0..count-1 ({@link Arch#result}) from in[0..count-1]: staged, and
     * written by the next run (in the same native call) or before any other register access.
     */
    void writeArgs(long[] in, int count);

    /** All general registers and, last, the PC. */
    void readAll(long[] out);

    void writeAll(long[] in);

    /**
     * The condition flags, as the architecture's status register shows them (AArch64: NZCV in
     * bits 31..28, as in cpsr; RISC-V has none: 0). Not part of {@link #readAll}'s layout.
     */
    default long flags() {
        return 0;
    }

    /** Set what {@link #flags()} reads (AArch64: bits 31..28 only); no effect where there are none. */
    default void setFlags(long v) {}

    /**
     * How many longs {@link #readExtended} fills: the registers outside {@link #readAll}'s
     * layout that a rollback, a replay or a debugger must save and restore as well. AArch64: the
     * FP/SIMD registers, q0..q31 as two longs each (bits 63..0, then 127..64), then fpsr, fpcr
     * and the NZCV flags ({@value Aarch64Cpu#EXTENDED_LENGTH}); RISC-V: with its FPU on
     * ({@link #enableFloatingPoint}), f0..f31 (their 64 bits) and fcsr
     * ({@value RiscvCpu#EXTENDED_LENGTH}), else none.
     */
    default int extendedLength() {
        return 0;
    }

    /**
     * Turns on a floating-point unit that is off at reset (RISC-V, for a program built for F
     * and D); nothing where it is always on (AArch64).
     */
    default void enableFloatingPoint() {}

    /** The extended registers into out[0..{@link #extendedLength()}) (one native call). */
    default void readExtended(long[] out) {}

    /** Inverse of {@link #readExtended}. */
    default void writeExtended(long[] in) {}

    /**
     * After {@link Exit#EXCEPTION}: if the trapping instruction is one the machine defines but
     * the engine does not execute, and the kernel completes instead (RISC-V: a read of the
     * {@code time} CSR, see {@link RiscvCpu#TIME_HZ}), complete it with the clock at {@code
     * nowNanos} (its result register written, the PC moved past it) and return true; otherwise
     * change nothing and return false.
     */
    default boolean completeTrappedInstruction(long nowNanos) {
        return false;
    }

    int exceptionCause();

    long exceptionPc();

    /** What the last exception was beyond its cause, for the fault report ("" if nothing more). */
    default String exceptionDetail() {
        return "";
    }

    /** One of {@link MemFault}'s kinds. */
    int memFaultType();

    long memFaultAddress();

    void enablePreemption();

    void enablePreemptionDroppingCode();

    void disablePreemption();

    boolean preemptible();

    void requestPreempt();

    void clearPreempt();

    /** Drop the translations of every executable page (after code hooks changed). */
    void dropCodeTranslations();

    /** Drop the translations of code in [begin, end). */
    void dropTranslations(long begin, long end);

    CpuHook hookInstructions(long begin, long end, InstructionHook hook);

    /** A running count of instructions ({@link #countInstructions}); closing stops it. */
    interface InstructionCount extends CpuHook {
        long count();
    }

    /**
     * Count every instruction from now on, cheaply (no call per instruction into Java: for
     * profiling a whole workload). Drop the code translations after it, as with a hook.
     */
    InstructionCount countInstructions();

    /** A stop at a given instruction ({@link #stopAtInstruction}); closing removes it. */
    interface Countdown extends CpuHook {
        /** True once the instruction was reached and the CPU asked to stop there. */
        boolean reached();
    }

    /**
     * Stop at the {@code n}-th instruction from now on (1-based), as a code hook calling
     * {@link #stop} there would, but cheaply (no call per instruction into Java). Drop the code
     * translations after it.
     */
    Countdown stopAtInstruction(long n);

    /** The pages data accesses touched ({@link #recordDataPages}); closing stops the recording. */
    interface PageRecord extends CpuHook {
        /** Their addresses (page-aligned), in no order. */
        long[] pages();

        /** True if more pages were touched than the record holds (32,768). */
        boolean full();
    }

    /** Record the page of every data access from now on, cheaply. Drop the code translations after it. */
    PageRecord recordDataPages();

    CpuHook hookData(int kinds, long begin, long end, DataHook hook);

    void mapDevice(Device device, long base);

    /** Track the task's writes, at most {@code maxPages} pages per transaction. */
    default WriteTracker enableWriteTracking(TrackerKind kind, int maxPages) {
        return enableWriteTracking(kind, maxPages, 0);
    }

    /**
     * As above, with room for {@code historyPages} more pre-images of kept committed
     * transactions ({@link WriteTracker#keepHistory}) beyond one transaction's.
     */
    WriteTracker enableWriteTracking(TrackerKind kind, int maxPages, int historyPages);

    /** The write tracker, or null. */
    WriteTracker tracker();

    @Override
    void close();
}
