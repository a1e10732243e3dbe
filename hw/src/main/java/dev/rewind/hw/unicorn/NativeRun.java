package dev.rewind.hw.unicorn;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A run of one engine in one native call ({@code rw_run} in traps.c): the registers staged
 * since the last run are written, the trap record is reset, {@code uc_emu_start} runs, and
 * after a syscall trap the syscall's registers are read. A JNA call costs ~0.1 µs, as much as
 * the engine's own trap, so a syscall answered and resumed this way costs one call instead of
 * three (result write, start, argument read), and that call is a JNI method ({@link #run0}:
 * ~10-20 ns of call overhead instead of JNA's ~80-100).
 *
 * <p>The write set and the read set are fixed register ids (an architecture's result and
 * syscall registers). Staged values are written at the next {@link #run}, or by {@link #flush}:
 * whoever reads or writes the engine's registers otherwise must flush first (UnicornCpu does,
 * on every register access).
 */
public final class NativeRun {
    private static final int OFF_UC = 0;
    private static final int OFF_TRAP = 8;
    private static final int OFF_START = 16;
    private static final int OFF_WRITE = 24;
    private static final int OFF_READ = 32;
    private static final int OFF_READ_ON = 40;
    private static final int OFF_NWRITE = 48;
    private static final int OFF_NREAD = 52;
    private static final int OFF_WRITE_ERR = 56;
    private static final int OFF_READ_ERR = 60;
    private static final int OFF_WRITE_IDS = 64;
    private static final int OFF_READ_IDS = 128;
    private static final int OFF_WRITE_VALS = 192;
    private static final int OFF_READ_VALS = 320;
    /** Registers in each set at most (RW_RUN_REGS). */
    public static final int MAX_REGS = 16;

    static final int SIZE = 704;

    /** The other calls (rare), directly mapped. */
    private static final class Calls {
        static {
            com.sun.jna.Native.register(Calls.class, NativeHooks.library());
        }

        static native int rw_run_flush(long run);

        static native void rw_run_init(long run);
    }

    /** rw_run through JNI (traps.c): the one call made for every trap, at a fraction of a JNA call's cost. */
    private static native int run0(long run, long begin, long until);

    static {
        NativeHooks.loadForJni();
        int size = NativeHooks.function("rw_run_size").invokeInt(new Object[0]);
        if (size != SIZE) {
            throw new UnicornException(
                    "native hook library mismatch: struct rw_run is " + size + " bytes, expected " + SIZE);
        }
    }

    private final Memory mem = new Memory(SIZE);
    private final long address = Pointer.nativeValue(mem);
    private final ByteBuffer view = mem.getByteBuffer(0, SIZE).order(ByteOrder.nativeOrder());
    /** Kept reachable while the struct points at it. */
    private final TrapRecord trap;

    private final int nwriteMax;
    private final int nread;
    /** Staged registers (a mirror of the struct's nwrite). */
    private int staged;

    NativeRun(Pointer uc, TrapRecord trap, int[] writeIds, int[] readIds, long readOn) {
        if (writeIds.length > MAX_REGS || readIds.length > MAX_REGS) {
            throw new IllegalArgumentException("at most " + MAX_REGS + " registers in a set");
        }
        this.trap = trap;
        this.nwriteMax = writeIds.length;
        this.nread = readIds.length;
        mem.clear();
        mem.setPointer(OFF_UC, uc);
        mem.setPointer(OFF_TRAP, trap.mem);
        mem.setPointer(OFF_START, UnicornLibrary.LIB.getFunction("uc_emu_start"));
        mem.setPointer(OFF_WRITE, UnicornLibrary.LIB.getFunction("uc_reg_write_batch"));
        mem.setPointer(OFF_READ, UnicornLibrary.LIB.getFunction("uc_reg_read_batch"));
        mem.setLong(OFF_READ_ON, readOn);
        mem.setInt(OFF_NREAD, readIds.length);
        for (int i = 0; i < writeIds.length; i++) {
            mem.setInt(OFF_WRITE_IDS + 4L * i, writeIds[i]);
        }
        for (int i = 0; i < readIds.length; i++) {
            mem.setInt(OFF_READ_IDS + 4L * i, readIds[i]);
        }
        Calls.rw_run_init(address);
    }

    /**
     * Stage write-set registers 0..count-1 from {@code in}: written at the next {@link #run} or
     * {@link #flush}. Staging again before that overwrites the first {@code count} (as writing
     * twice would).
     */
    public void stage(long[] in, int count) {
        if (count > nwriteMax || count < 0) {
            throw new IllegalArgumentException("cannot stage " + count + " of " + nwriteMax + " registers");
        }
        for (int i = 0; i < count; i++) {
            view.putLong(OFF_WRITE_VALS + 8 * i, in[i]);
        }
        if (count > staged) {
            staged = count;
            view.putInt(OFF_NWRITE, count);
        }
    }

    /** True if registers are staged and not yet written. */
    public boolean staged() {
        return staged > 0;
    }

    /** Write the staged registers now. */
    public void flush() {
        if (staged > 0) {
            staged = 0;
            int err = Calls.rw_run_flush(address);
            if (err != Unicorn.ERR_OK) {
                throw writeFailed(err);
            }
        }
    }

    /** Forget the staged registers (the engine is closed, or its registers are all rewritten). */
    public void discard() {
        staged = 0;
        view.putInt(OFF_NWRITE, 0);
    }

    /** See {@link Unicorn#run(NativeRun, long, long)}. */
    int run(long begin, long until) {
        staged = 0;
        int err = run0(address, begin, until);
        if (err == -1) {
            throw writeFailed(view.getInt(OFF_WRITE_ERR));
        }
        int readErr = view.getInt(OFF_READ_ERR);
        if (readErr != Unicorn.ERR_OK) {
            throw new UnicornException(
                    readErr,
                    "uc_reg_read_batch failed after a trap: " + Unicorn.strerror(readErr) + " (uc_err " + readErr + ")",
                    null);
        }
        return err;
    }

    /** The read set's values from the last run, into out[0..count) (count: the read set's size at most). */
    public void read(long[] out, int count) {
        if (count > nread) {
            throw new IllegalArgumentException("the read set has " + nread + " registers, not " + count);
        }
        for (int i = 0; i < count; i++) {
            out[i] = view.getLong(OFF_READ_VALS + 8 * i);
        }
    }

    private static UnicornException writeFailed(int err) {
        return new UnicornException(
                err, "uc_reg_write_batch failed: " + Unicorn.strerror(err) + " (uc_err " + err + ")", null);
    }
}
