package dev.rewind.hw.unicorn;

import com.sun.jna.Memory;

/**
 * What the native hooks of one engine recorded during the last run: the exception cause (or
 * -1) and the last invalid memory access. Lives in native memory that the hooks write.
 */
public final class TrapRecord {
    final Memory mem = new Memory(NativeHooks.TRAP_SIZE);
    /** A Java view of the same bytes: reads and writes without JNI calls. */
    private final java.nio.ByteBuffer view = mem.getByteBuffer(0, NativeHooks.TRAP_SIZE).order(java.nio.ByteOrder.nativeOrder());

    TrapRecord() {
        mem.clear();
        mem.setPointer(NativeHooks.OFF_STOP, NativeHooks.UC_EMU_STOP);
        reset();
    }

    /** Forget the last trap (before a run). */
    public void reset() {
        view.putInt(NativeHooks.OFF_INTNO, -1);
        view.putInt(NativeHooks.OFF_MEM_TYPE, 0);
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

    public int memSize() {
        return view.getInt(NativeHooks.OFF_MEM_SIZE);
    }
}
