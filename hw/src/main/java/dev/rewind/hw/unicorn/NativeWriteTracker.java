package dev.rewind.hw.unicorn;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.rewind.hw.mem.Region;
import dev.rewind.hw.mem.WriteTracker;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The fast write tracker: logs each page's pre-image on its first store in a transaction.
 * Rollback and commit are single native calls. Two ways to see the first store:
 * <ul>
 * <li>With the engine's MMU ({@link Unicorn#enableVirtualTlb}, Unicorn 2.1): a transaction
 *     begins by emptying the TLB; the fill hook then hands out data pages read-only until
 *     their first store misses the TLB again, logs the page and opens it. No hook runs per
 *     store, so stores keep QEMU's fast path.</li>
 * <li>Without it (Unicorn 2.0.1): a native UC_HOOK_MEM_WRITE hook (rw_write_hook in
 *     undo_log.c) that runs before every store, a few nanoseconds each on top of the
 *     engine's slow store path.</li>
 * </ul>
 * Both use the same log and the same rollback code (WriteTrackerTest compares them).
 */
public final class NativeWriteTracker implements WriteTracker {
    private static final int HOOK_MEM_WRITE = 1 << 11;
    private static final int OFF_ACTIVE = 0;
    private static final int OFF_OVERFLOW = 4;
    private static final int OFF_NREGIONS = 8;
    private static final int OFF_NPAGES = 12;
    private static final int OFF_MAXPAGES = 16;
    private static final int OFF_LOG = 24;
    private static final int OFF_LOGADDR = 32;
    private static final int OFF_CUR = 48;
    private static final int OFF_NHIST = 56;
    private static final int OFF_MAXHIST = 60;
    private static final int OFF_HSTART = 64;
    private static final int OFF_LASTPAGE = 80;
    private static final int OFF_NCOMMITS = 72;
    private static final int OFF_REGIONS = 88;
    private static final int OFF_MAXTX = 96;
    private static final int OFF_DLOG = 104;
    private static final int OFF_DCAP = 112;
    private static final int OFF_COPYOK = 136;
    private static final int OFF_PRE = 144;
    private static final int SIZE = 152;
    private static final int REGION_SIZE = 56;
    private static final int OFF_KEYEVERY = 100;
    /** A page's history record is its whole pre-image at least every this many commits. */
    static final int KEY_EVERY = 16;

    /**
     * The tracker's calls, directly mapped: a commit is made at every request, and a direct
     * call costs a fraction of a {@code Function.invoke}.
     */
    private static final class Calls {
        static {
            com.sun.jna.Native.register(Calls.class, NativeHooks.library());
        }

        static native void rw_tx_log_range(Pointer tx, long address, long len);

        static native int rw_tx_rollback(Pointer tx);

        static native int rw_tx_undo_history(Pointer tx, int n);

        static native void rw_tx_drop_history(Pointer tx);

        static native int rw_tx_hist_pages(Pointer tx, int back, long[] out, int max);

        static native int rw_tx_hist_read(Pointer tx, int back, long vaddr, byte[] dst, int len);

        static native int rw_tx_copy_sync(Pointer tx);

        static native int rw_tx_copy_heal(Pointer tx, long[] out, int max, int restore);

        static native Pointer rw_copy_alloc(long size);

        static native void rw_copy_free(Pointer p);
    }

    /** rw_tx_commit through JNI (undo_log.c): a txipc server commits at every request. */
    private static native void commit0(long tx);

    private static native long copyCheck0(long tx);

    /** rw_tx_changed through JNI (undo_log.c), into {@link #changed}: verify signs each run with it. */
    private static native int changed0(long tx, long out, int max);

    private static final Pointer WRITE_HOOK = NativeHooks.function("rw_write_hook");

    static {
        NativeHooks.loadForJni();
        int size = NativeHooks.function("rw_tx_size").invokeInt(new Object[0]);
        if (size != SIZE) {
            throw new UnicornException(
                    "native hook library mismatch: struct rw_tx is " + size + " bytes, expected " + SIZE);
        }
    }

    private final Memory tx = new Memory(SIZE);
    private final long txAddress = Pointer.nativeValue(tx);
    private final ByteBuffer view = tx.getByteBuffer(0, SIZE).order(ByteOrder.nativeOrder());
    /** The current transaction's pre-images (staging: every transaction starts at slot 0). */
    private final Memory log;

    private final Memory logAddr;
    /** Per staging slot, where its pre-image is (rw_tx.pre): the slot or the page's committed copy. */
    private final Memory preAddr;

    private final int maxPages;
    /** The history's bytes (rw_tx.dlog): what kept transactions changed, allocated once wanted. */
    private Memory historyLog;

    private long restores;
    private final long historyBytes;
    /** First record positions of the committed transactions kept (rw_tx.hstart), once wanted. */
    private Memory historyStarts;

    private boolean prefaulted;

    /**
     * Undo logs of closed trackers, already touched, by size: the next tracker of that size
     * (the next boot of a fault-injection campaign, a restarted server) takes one instead of
     * allocating and touching its own (12 MiB at the default replay_depth: ~30 ms of host
     * page faults). At most {@link #POOL_BYTES} are kept.
     */
    private static final java.util.Map<Long, java.util.ArrayDeque<Memory>> POOL = new java.util.HashMap<>();

    private static final long POOL_BYTES = 128L << 20;
    private static long pooledBytes;

    private static synchronized Memory takePooled(long size) {
        java.util.ArrayDeque<Memory> q = POOL.get(size);
        Memory m = q == null ? null : q.pollFirst();
        if (m != null) {
            pooledBytes -= size;
        }
        return m;
    }

    private static synchronized void givePooled(Memory m) {
        if (pooledBytes + m.size() <= POOL_BYTES) {
            POOL.computeIfAbsent(m.size(), k -> new java.util.ArrayDeque<>()).addLast(m);
            pooledBytes += m.size();
        }
    }
    /** Dirty bitmaps and whole-record commit numbers, kept reachable while Unicorn may use them. */
    private final List<Memory> bitmaps = new ArrayList<>();
    /** The native region table (struct rw_region[], sorted by vaddr), grown by doubling. */
    private Memory regionTable;

    private final List<long[]> regions = new ArrayList<>();
    /** The store hook (without an MMU), or null. */
    private final Unicorn.Hook hook;
    /** The engine's MMU (the fill hook opens pages), or null. */
    private final NativeMmu mmu;

    /** Track writes to {@code uc}'s memory, logging at most {@code maxPages} pages per transaction. */
    public NativeWriteTracker(Unicorn uc, int maxPages) {
        this(uc, maxPages, 0);
    }

    /**
     * As above, keeping the history of committed transactions ({@link #keepHistory}) in a ring
     * of {@code (maxPages + historyPages) * 2048} bytes of undo records (what each transaction
     * changed, not whole pages: a kv request changes ~300 bytes of the 4 pages it writes).
     */
    public NativeWriteTracker(Unicorn uc, int maxPages, int historyPages) {
        if (maxPages <= 0 || historyPages < 0 || (long) maxPages + historyPages > Integer.MAX_VALUE / 4096) {
            throw new IllegalArgumentException("bad undo log size: " + maxPages + " + " + historyPages + " pages");
        }
        tx.clear();
        log = new Memory((long) maxPages * 4096);
        logAddr = new Memory(8L * maxPages);
        preAddr = new Memory(8L * maxPages);
        this.maxPages = maxPages;
        historyBytes = ((long) maxPages + historyPages) * HISTORY_BYTES_PER_PAGE;
        tx.setInt(OFF_MAXPAGES, maxPages);
        tx.setInt(OFF_MAXTX, maxPages);
        tx.setInt(OFF_KEYEVERY, KEY_EVERY);
        tx.setPointer(OFF_LOG, log);
        tx.setPointer(OFF_LOGADDR, logAddr);
        tx.setPointer(OFF_PRE, preAddr);
        mmu = uc.mmu();
        if (mmu != null) {
            mmu.attachTracker(tx, this);
            hook = null;
        } else {
            hook = uc.addNativeHook(HOOK_MEM_WRITE, WRITE_HOOK, tx, this, false); // (it never stops the engine)
        }
    }

    /** History bytes per page of the log's size (a page's changes are rarely half of it). */
    private static final long HISTORY_BYTES_PER_PAGE = 2048;

    /** True if first stores are caught by the MMU's fill hook rather than a store hook. */
    public boolean usesMmu() {
        return mmu != null;
    }

    @Override
    public void regionMapped(Region r, long hostAddress) {
        // Called only while the engine is stopped (at load, or from a system call), so the
        // hook never sees the table half-written.
        Memory bits = new Memory(Math.max(1, (r.size() / 4096 + 7) / 8));
        bits.clear();
        Memory keyed = new Memory(Math.max(8, r.size() / 4096 * 8));
        keyed.clear();
        int n = regions.size();
        Memory table = regionTable;
        if (table == null || table.size() < (long) REGION_SIZE * (n + 1)) {
            table = new Memory((long) REGION_SIZE * Math.max(16, 2 * n));
        }
        int at = 0;
        while (at < n && regions.get(at)[0] < r.vaddr()) {
            at++;
        }
        regions.add(at, new long[] {
            r.vaddr(), r.size(), hostAddress, Pointer.nativeValue(bits), Pointer.nativeValue(keyed), 0, 0, r.perms()
        });
        if (copies) {
            allocateCopy(regions.get(at)); // (zero, as the fresh region is: the copy stays valid)
        }
        for (int i = table == regionTable ? at : 0; i <= n; i++) {
            writeRegion(table, i);
        }
        bitmaps.add(bits);
        bitmaps.add(keyed);
        regionTable = table;
        tx.setPointer(OFF_REGIONS, table);
        view.putInt(OFF_NREGIONS, n + 1);
    }

    private void writeRegion(Memory table, int i) {
        long[] e = regions.get(i);
        long off = (long) REGION_SIZE * i;
        for (int k = 0; k < 7; k++) {
            table.setLong(off + 8L * k, e[k]);
        }
    }

    // ---- the committed copy (undo_log.c) ----

    /** True once {@link #keepCopy} asked for copies: every writable data region has one. */
    private boolean copies;
    /** Copies made, by region start: allocated natively (calloc), freed at {@link #close}. */
    private final List<Pointer> copyMemory = new ArrayList<>();
    /** Per region entry with a copy: views of its memory and of its copy (for {@link #hostWrote}). */
    private final java.util.Map<long[], ByteBuffer[]> copyViews = new java.util.IdentityHashMap<>();

    /**
     * A stale copy is made again at a transaction's start only if this many commits were made
     * since it last was (or never was): a sync compares all the server's data pages (~26 us for
     * the network stack's 1 MiB heap), and a server that runs outside a request after every
     * reply (the network stack's timers) would pay that at every request. Such a server has a
     * valid copy only now and then; one that runs outside requests only at start-up (or
     * rarely) has it from its first request on.
     */
    static final int COPY_RESYNC_COMMITS = 64;

    /**
     * After this many syncs in a row whose copy went stale again within
     * {@link #COPY_RESYNC_COMMITS} commits, the copy is given up: the server runs outside its
     * requests all the time, and would pay a sync every {@link #COPY_RESYNC_COMMITS} requests
     * for a copy that is almost never valid.
     */
    static final int COPY_GIVE_UP = 3;

    private long commitsSinceSync = COPY_RESYNC_COMMITS;
    /** {@link #commitsSinceSync} when the copy last went stale. */
    private long staleAt;

    private int quickStales;
    private boolean copyGivenUp;
    private long copySyncs;
    private long copySyncPages;

    /** A data region (writable, not executable) gets a copy; code never changes but by the host. */
    private static boolean copied(long[] e) {
        int perms = (int) e[7];
        return e[6] == 0 && (perms & dev.rewind.hw.mem.Perm.WRITE) != 0 && (perms & dev.rewind.hw.mem.Perm.EXEC) == 0;
    }

    private void allocateCopy(long[] e) {
        if (!copied(e) || e[5] != 0) {
            return;
        }
        Pointer p = Calls.rw_copy_alloc(e[1]);
        if (p == null) {
            throw new dev.rewind.hw.mem.OutOfMemoryException(
                    "no host memory for the committed copy of " + (e[1] >> 10) + " KiB at 0x" + Long.toHexString(e[0]));
        }
        copyMemory.add(p);
        e[5] = Pointer.nativeValue(p);
        copyViews.put(e, new ByteBuffer[] {new Pointer(e[2]).getByteBuffer(0, e[1]), p.getByteBuffer(0, e[1])});
    }

    @Override
    public void keepCopy(boolean on) {
        if (active()) {
            throw new IllegalStateException("keepCopy with a transaction open");
        }
        if (!on || copies) {
            return;
        }
        copies = true;
        for (int i = 0; i < regions.size(); i++) {
            allocateCopy(regions.get(i));
            writeRegion(regionTable, i);
        }
        view.putInt(OFF_COPYOK, 0); // (made from memory when the next transaction begins)
    }

    @Override
    public void scratch(long vaddr) {
        if (active()) {
            throw new IllegalStateException("scratch with a transaction open");
        }
        for (int i = 0; i < regions.size(); i++) {
            long[] e = regions.get(i);
            if (e[0] == vaddr) {
                e[6] = 1;
                if (e[5] != 0) {
                    // (a copy made before: left allocated, out of use)
                    copyViews.remove(e);
                    e[5] = 0;
                }
                writeRegion(regionTable, i);
                return;
            }
        }
        throw new IllegalArgumentException("no region at 0x" + Long.toHexString(vaddr));
    }

    @Override
    public boolean keepsCopy() {
        return copies;
    }

    @Override
    public void copyStale() {
        if (view.getInt(OFF_COPYOK) != 0) {
            staleAt = commitsSinceSync;
            view.putInt(OFF_COPYOK, 0);
        }
    }

    @Override
    public boolean copyValid() {
        return copies && view.getInt(OFF_COPYOK) != 0;
    }

    @Override
    public boolean copyGivenUp() {
        return copyGivenUp;
    }

    @Override
    public void hostWrote(long vaddr, long len) {
        if (!copies || len <= 0 || view.getInt(OFF_COPYOK) == 0 || active()) {
            return;
        }
        long a = vaddr;
        long end = vaddr + len;
        while (a < end) {
            long[] e = regionOf(a);
            if (e == null) {
                return; // (the write was checked against the space's regions: cannot happen)
            }
            long n = Math.min(end, e[0] + e[1]) - a;
            ByteBuffer[] v = copyViews.get(e);
            if (v != null) {
                int off = (int) (a - e[0]);
                v[1].put(off, v[0], off, (int) n);
            }
            a += n;
        }
    }

    private long[] regionOf(long a) {
        for (long[] e : regions) {
            if (a - e[0] >= 0 && a - e[0] < e[1]) {
                return e;
            }
        }
        return null;
    }

    @Override
    public int healFromCopy(long[] out) {
        if (!copies) {
            return -1;
        }
        int n = Calls.rw_tx_copy_heal(tx, out, out.length, 1);
        if (n > 0) {
            restores++;
        }
        return n;
    }

    @Override
    public int compareWithCopy(long[] out) {
        return copies ? Calls.rw_tx_copy_heal(tx, out, out.length, 0) : -1;
    }

    @Override
    public long copySyncs() {
        return copySyncs;
    }

    @Override
    public long copySyncPages() {
        return copySyncPages;
    }

    @Override
    public void begin() {
        if (copies && view.getInt(OFF_COPYOK) == 0 && commitsSinceSync >= COPY_RESYNC_COMMITS && !copyGivenUp) {
            quickStales = copySyncs > 0 && staleAt < COPY_RESYNC_COMMITS ? quickStales + 1 : 0;
            copyGivenUp = quickStales >= COPY_GIVE_UP;
            commitsSinceSync = 0;
            copySyncs++;
            copySyncPages += Calls.rw_tx_copy_sync(tx);
        }
        if (mmu != null) {
            mmu.beginTransaction(); // active, and an empty TLB: no page stays writable unlogged
        } else {
            view.putLong(OFF_LASTPAGE, -1);
            view.putInt(OFF_ACTIVE, 1);
        }
    }

    @Override
    public boolean active() {
        return view.getInt(OFF_ACTIVE) != 0;
    }

    @Override
    public void logRange(long vaddr, long len) {
        Calls.rw_tx_log_range(tx, vaddr, len);
    }

    @Override
    public int pages() {
        return view.getInt(OFF_NPAGES);
    }

    @Override
    public long[] loggedPages() {
        long[] a = new long[pages()];
        int first = (int) (view.getLong(OFF_CUR) % maxPages);
        int n1 = Math.min(a.length, maxPages - first);
        logAddr.read(8L * first, a, 0, n1);
        logAddr.read(0, a, n1, a.length - n1); // the ring wrapped
        return a;
    }

    /** One native call: the pre-images compared and the changed pages hashed in C (rw_tx_changed). */
    @Override
    public long[] changedPages() {
        int n = pages();
        if (n == 0) {
            return new long[0];
        }
        if (changed == null || changed.size() < 16L * n) {
            changed = new Memory(16L * Math.max(n, 64));
        }
        int k = changed0(txAddress, Pointer.nativeValue(changed), n);
        if (k < 0) {
            throw new IllegalStateException("rw_tx_changed: more changed pages than logged");
        }
        long[] out = new long[2 * k];
        changed.read(0, out, 0, out.length);
        return out;
    }

    /** The scratch {@link #changedPages} has rw_tx_changed write into (grown as needed). */
    private Memory changed;

    @Override
    public boolean overflowed() {
        return view.getInt(OFF_OVERFLOW) != 0;
    }

    @Override
    public void keepHistory(int transactions) {
        if (active() || transactions < 0) {
            throw new IllegalStateException("keepHistory(" + transactions + ") with a transaction open");
        }
        Calls.rw_tx_drop_history(tx);
        historyStarts = transactions == 0 ? null : new Memory(8L * transactions);
        if (transactions > 0 && historyLog == null) {
            // The records cycle through the whole ring: take one already touched (pooled), or
            // touch it now, at load, rather than take a host page fault at the first use of each
            // page of it while the server handles requests.
            historyLog = takePooled(historyBytes);
            if (historyLog == null) {
                historyLog = new Memory(historyBytes);
                historyLog.clear();
            }
            prefaulted = true;
            tx.setPointer(OFF_DLOG, historyLog);
            tx.setLong(OFF_DCAP, historyBytes);
        }
        tx.setPointer(OFF_HSTART, historyStarts);
        view.putInt(OFF_MAXHIST, transactions);
    }

    @Override
    public void keepWholePages(boolean whole) {
        view.putInt(OFF_KEYEVERY, whole ? 1 : KEY_EVERY);
    }

    @Override
    public int history() {
        return view.getInt(OFF_NHIST);
    }

    @Override
    public int undoHistory(int n) {
        restores++;
        int r = Calls.rw_tx_undo_history(tx, n);
        if (r < 0) {
            throw new IllegalStateException("undoHistory with a transaction open");
        }
        return r;
    }

    @Override
    public long[] historyPages(int back) {
        int n = Calls.rw_tx_hist_pages(tx, back, new long[0], 0);
        if (n <= 0) {
            return new long[0];
        }
        long[] pages = new long[n];
        Calls.rw_tx_hist_pages(tx, back, pages, n);
        return pages;
    }

    @Override
    public boolean historyRead(int back, long vaddr, byte[] dst, int off, int len) {
        long page = vaddr & -4096L;
        if (len < 0 || off < 0 || off + len > dst.length || (vaddr - page) + len > 4096) {
            return false;
        }
        byte[] b = off == 0 ? dst : new byte[len];
        if (Calls.rw_tx_hist_read(tx, back, vaddr, b, len) == 0) {
            return false;
        }
        if (b != dst) {
            System.arraycopy(b, 0, dst, off, len);
        }
        return true;
    }

    @Override
    public void dropHistory() {
        Calls.rw_tx_drop_history(tx);
    }

    @Override
    public long copyCheck() {
        return copies && view.getInt(OFF_NPAGES) != 0 ? copyCheck0(txAddress) : -1; // (nothing logged: no call)
    }

    @Override
    public void commit() {
        commitsSinceSync++;
        if (view.getInt(OFF_NPAGES) == 0 && view.getInt(OFF_OVERFLOW) == 0 && view.getInt(OFF_MAXHIST) == 0) {
            view.putInt(OFF_ACTIVE, 0); // nothing logged: no native call
            return;
        }
        boolean overflowed = view.getInt(OFF_OVERFLOW) != 0;
        commit0(txAddress);
        if (overflowed && copies && !copyGivenUp) {
            // The commit of a transaction larger than the log copies the pages it wrote unlogged
            // into the copy (rw_unlogged), which stays valid; if it could not (a region without a
            // copy), memory is what that commit left: make the copy from it when the next
            // transaction begins, not 64 commits later, and not as a server that runs outside
            // its requests (no step towards giving the copy up).
            commitsSinceSync = COPY_RESYNC_COMMITS;
            staleAt = COPY_RESYNC_COMMITS;
        }
    }

    @Override
    public int rollback() {
        restores++;
        return Calls.rw_tx_rollback(tx);
    }

    @Override
    public long restores() {
        return restores;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (hook != null) {
            hook.close();
        } else {
            mmu.detachTracker();
        }
        if (prefaulted) {
            givePooled(historyLog); // (its contents are never read before a commit writes them)
        }
        for (Pointer p : copyMemory) {
            Calls.rw_copy_free(p);
        }
        copyMemory.clear();
        copyViews.clear();
    }

    private boolean closed;
}
