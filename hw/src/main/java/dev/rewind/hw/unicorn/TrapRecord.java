package dev.rewind.hw.unicorn;

import com.sun.jna.Memory;

/**
 * What the native hooks of one engine recorded during the last run: the exception cause (or
 * -1) and the last invalid memory access. Lives in native memory that the hooks write.
 */
public final class TrapRecord {
    final Memory mem = new Memory(NativeHooks.TRAP_SIZE);
    /** A Java view of the same bytes: reads and writes without JNI calls. */
    private final java.nio.ByteBuffer view =
            mem.getByteBuffer(0, NativeHooks.TRAP_SIZE).order(java.nio.ByteOrder.nativeOrder());

    TrapRecord() {
        mem.clear();
        mem.setPointer(NativeHooks.OFF_STOP, NativeHooks.UC_EMU_STOP);
        reset();
    }

    /** Forget the last trap (before a run). A pending preemption request is kept. */
    public void reset() {
        view.putInt(NativeHooks.OFF_INTNO, -1);
        view.putInt(NativeHooks.OFF_MEM_TYPE, 0);
        view.putInt(NativeHooks.OFF_PREEMPTED, 0);
    }

    /**
     * Ask the block hook to stop the engine at the start of its next block. Safe from any
     * thread; has no effect on an engine without the block hook.
     */
    public void requestPreempt() {
        mem.setInt(NativeHooks.OFF_PREEMPT, 1); // a native write: visible to the hook promptly
    }

    /**
     * Withdraw a preemption request that was not acted on. On the thread that runs the engine,
     * between runs: a plain store through the view (no JNI call), which the next run's native
     * call sees.
     */
    public void clearPreempt() {
        view.putInt(NativeHooks.OFF_PREEMPT, 0);
    }

    /** True if the block hook stopped the last run. */
    public boolean preempted() {
        return view.getInt(NativeHooks.OFF_PREEMPTED) != 0;
    }

    /** Where the block hook stopped the last run (the start of a block, not yet run), if {@link #preempted()}. */
    public long preemptPc() {
        return view.getLong(NativeHooks.OFF_PREEMPT_PC);
    }

    /** The exception cause reported since the last reset, or -1. */
    public int intno() {
        return view.getInt(NativeHooks.OFF_INTNO);
    }

    /** The Unicorn.MEM_* type of the last invalid access since the reset, or 0. */
    public int memType() {
        return view.getInt(NativeHooks.OFF_MEM_TYPE);
    }

    public long memAddress() {
        return view.getLong(NativeHooks.OFF_MEM_ADDR);
    }

    /** After {@link NativeHooks#INTNO_MSR}: the refused system register (op0 << 19 | op1 << 16 | CRn << 12 | CRm << 8 | op2 << 5). */
    public int refusedSysreg() {
        return view.getInt(NativeHooks.OFF_SYSREG) & ~SYSREG_PAST;
    }

    /**
     * After {@link NativeHooks#INTNO_MSR}: true if the run went on past the refused MSR to an
     * exception (an svc in the same block, before the stop took effect): the PC is past that
     * exception, and the MSR before it.
     */
    public boolean refusedMsrOvertaken() {
        return (view.getInt(NativeHooks.OFF_SYSREG) & SYSREG_PAST) != 0;
    }

    /** rewind_native.h's RW_SYSREG_PAST. */
    static final int SYSREG_PAST = 0x80000000;

    public int memSize() {
        return view.getInt(NativeHooks.OFF_MEM_SIZE);
    }
}
