package dev.rewind.hw.cpu;

import dev.rewind.hw.dev.Device;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.WriteTracker;

/**
 * One hart and its address space, as the kernel uses it: run until a trap, stop, registers,
 * hooks, devices, write tracking for transactions. {@link RiscvCpu} is the RISC-V
 * implementation (one Unicorn engine); a second architecture implements this interface.
 *
 * <p>Registers are numbered as the architecture's general registers, with the PC after them
 * ({@link #readAll}); the kernel's ABI knowledge (which register holds what) stays with the
 * implementation's constants.
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

    /** The address space: the MMU, and how the kernel reads and writes the task's memory. */
    AddressSpace memory();

    /** Run from {@code pc} until a trap, a fault, or a stop; see {@link Exit}. */
    Exit run(long pc);

    /** As {@link #run(long)}, also stopping (as {@link Exit#STOPPED}) when the PC reaches {@code until}. */
    Exit run(long pc, long until);

    /** After {@link Exit#ECALL}: the argument registers and, last, the resume PC. */
    long[] args();

    /** End the current run at once; safe from any thread. */
    void stop();

    /** Changes whenever the registers may have changed. */
    long registerVersion();

    long pc();

    void setPc(long pc);

    long reg(int x);

    void setReg(int x, long v);

    void writeArgs(long[] in, int count);

    /** All general registers and, last, the PC. */
    void readAll(long[] out);

    void writeAll(long[] in);

    int exceptionCause();

    long exceptionPc();

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
