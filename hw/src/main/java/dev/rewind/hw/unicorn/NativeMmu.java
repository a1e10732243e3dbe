package dev.rewind.hw.unicorn;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine's MMU in Unicorn 2.1's virtual-TLB mode: the table of mapped ranges and their
 * permissions that the native fill hook ({@code rw_tlb_fill_hook} in mmu.c) serves
 * TLB misses from, identity-mapped. {@link Unicorn} keeps it equal to its mappings; the
 * permissions themselves are whatever the address space mapped (code R+X, data R+W, device
 * windows R+W), so the mapping policy stays in Java.
 *
 * <p>Changed only while the engine is stopped; each change empties the TLB.
 */
final class NativeMmu {
    static final int HOOK_TLB_FILL = 1 << 17;
    private static final int OFF_NREGIONS = 0;
    private static final int OFF_REGIONS = 8;
    private static final int OFF_TX = 16;
    private static final int OFF_TRAP = 24;
    private static final int OFF_FILLS = 32;
    private static final int OFF_UC = 40;
    private static final int OFF_CTL = 48;
    private static final int OFF_OPEN_UNKNOWN = 60;
    /** struct rw_mmu, with room for RW_MAXOPEN (64) open pages. */
    private static final int SIZE = 72 + 8 * 64 + 8;

    private static final int REGION_SIZE = 24;

    /** The fill path's calls, directly mapped: a transaction begins at every request. */
    static final class Calls {
        static {
            com.sun.jna.Native.register(Calls.class, NativeHooks.library());
        }

        static native void rw_mmu_flush(Pointer mmu);
    }

    /** rw_mmu_tx_begin through JNI (mmu.c): a transaction begins at every request of a txipc server. */
    private static native void txBegin0(long mmu);

    static final Pointer FILL_HOOK = NativeHooks.function("rw_tlb_fill_hook");

    static {
        NativeHooks.loadForJni();
        int size = NativeHooks.function("rw_mmu_size").invokeInt(new Object[0]);
        if (size != SIZE) {
            throw new UnicornException(
                    "native hook library mismatch: struct rw_mmu is " + size + " bytes, expected " + SIZE);
        }
    }

    final Memory mem = new Memory(SIZE);
    private final long address = Pointer.nativeValue(mem);
    private final ByteBuffer view = mem.getByteBuffer(0, SIZE).order(ByteOrder.nativeOrder());
    private Memory table;
    /** The trap record and tracker the native side points at, kept reachable. */
    private Object trap;

    private Object tracker;

    NativeMmu(Pointer uc, Memory trapRecord, Object trapOwner) {
        mem.clear();
        mem.setInt(OFF_OPEN_UNKNOWN, 1); // nothing known yet: the first transaction flushes
        mem.setPointer(OFF_UC, uc);
        mem.setPointer(OFF_CTL, UnicornLibrary.CTL);
        mem.setPointer(OFF_TRAP, trapRecord);
        this.trap = trapOwner;
    }

    /** Rewrite the table from {@code ranges} ({vaddr, size, perms}, sorted, not overlapping). */
    void setRanges(List<long[]> ranges) {
        int n = ranges.size();
        if (table == null || table.size() < (long) REGION_SIZE * Math.max(1, n)) {
            table = new Memory((long) REGION_SIZE * Math.max(16, 2 * n));
        }
        for (int i = 0; i < n; i++) {
            long[] r = ranges.get(i);
            long off = (long) REGION_SIZE * i;
            table.setLong(off, r[0]);
            table.setLong(off + 8, r[1]);
            table.setInt(off + 16, (int) r[2]);
            table.setInt(off + 20, 0);
        }
        mem.setPointer(OFF_REGIONS, table);
        view.putInt(OFF_NREGIONS, n);
        flush();
    }

    /** Let transactions of {@code tx} (a struct rw_tx) open pages on their first store. */
    void attachTracker(Pointer tx, Object owner) {
        mem.setPointer(OFF_TX, tx);
        this.tracker = owner;
        flush();
    }

    void detachTracker() {
        mem.setPointer(OFF_TX, Pointer.NULL);
        this.tracker = null;
        flush();
    }

    void flush() {
        Calls.rw_mmu_flush(mem);
    }

    void beginTransaction() {
        txBegin0(address);
    }

    long fills() {
        return view.getLong(OFF_FILLS);
    }

    static List<long[]> sorted(List<long[]> ranges) {
        List<long[]> s = new ArrayList<>(ranges);
        s.sort((a, b) -> Long.compareUnsigned(a[0], b[0]));
        return s;
    }
}
