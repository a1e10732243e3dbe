package dev.rewind.hw.unicorn;

import com.sun.jna.Callback;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.List;

/**
 * One Unicorn engine instance. Not thread-safe, except {@link #stop()}, which any thread may
 * call to end a running {@link #start} (the preemption watchdog does).
 *
 * <p>Hooks are Java callbacks. Every callback object is held in {@link #callbacks} until the
 * engine is closed: a callback collected while Unicorn can still call it crashes the JVM. A
 * hook that throws has its exception captured, the emulation stopped, and the exception
 * rethrown from {@link #start} once {@code uc_emu_start} has returned.
 */
public final class Unicorn implements AutoCloseable {
    public static final int ARCH_RISCV = 8;
    public static final int MODE_RISCV64 = 1 << 3;
    public static final int ARCH_ARM64 = 2;
    /** UC_MODE_ARM (little endian): for ARM64 the only mode used. */
    public static final int MODE_ARM64 = 0;

    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int PROT_EXEC = 4;

    public static final int MEM_READ_UNMAPPED = 19;
    public static final int MEM_WRITE_UNMAPPED = 20;
    public static final int MEM_FETCH_UNMAPPED = 21;
    public static final int MEM_WRITE_PROT = 22;
    public static final int MEM_READ_PROT = 23;
    public static final int MEM_FETCH_PROT = 24;

    public static final int ERR_OK = 0;
    public static final int ERR_READ_UNMAPPED = 6;
    public static final int ERR_WRITE_UNMAPPED = 7;
    public static final int ERR_FETCH_UNMAPPED = 8;
    public static final int ERR_INSN_INVALID = 10;
    public static final int ERR_WRITE_PROT = 12;
    public static final int ERR_READ_PROT = 13;
    public static final int ERR_FETCH_PROT = 14;
    public static final int ERR_EXCEPTION = 21;

    private static final int HOOK_INTR = 1;
    private static final int HOOK_INSN = 1 << 1;
    private static final int HOOK_CODE = 1 << 2;
    private static final int HOOK_BLOCK = 1 << 3;
    /** UC_HOOK_MEM_READ / UC_HOOK_MEM_WRITE: valid accesses, before they happen. */
    public static final int HOOK_DATA_READ = 1 << 10;

    public static final int HOOK_DATA_WRITE = 1 << 11;
    /** uc_mem_type of a valid read / write, as passed to a {@link MemAccessHook}. */
    public static final int ACCESS_READ = 16;

    public static final int ACCESS_WRITE = 17;
    private static final int HOOK_MEM_INVALID = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9);

    private static final int MAX_BATCH = 40;

    private final Pointer uc;
    /** The addresses of {@link #uc} and the batch scratch, for {@link #readBatch0}. */
    private final long ucAddress;

    private final long idsAddress;
    private final long ptrsAddress;

    /**
     * uc_reg_read_batch of the loaded library ({@code fn}) through JNI (traps.c): a txipc
     * server's registers are read at every request, and a JNA call costs ~80-100 ns where a JNI
     * call costs ~10-20. Its argument {@link Jni#READ_BATCH} loads the library first.
     */
    private static native int readBatch0(long fn, long uc, long ids, long vals, int count);

    /** Loaded at the first batch read: the project's native library for JNI, and the function. */
    private static final class Jni {
        static {
            NativeHooks.loadForJni();
        }

        static final long READ_BATCH = Pointer.nativeValue(UnicornLibrary.LIB.getFunction("uc_reg_read_batch"));
    }

    private final List<Object> callbacks = new ArrayList<>();
    /** Scratch for single-register calls: one 8-byte value. */
    private final Memory value = new Memory(8);
    /** Scratch for batch calls: register ids, pointers to values, the values. */
    private final Memory batchIds = new Memory(4L * MAX_BATCH);

    private final Memory batchPtrs = new Memory(8L * MAX_BATCH);
    private final Memory batchVals = new Memory(8L * MAX_BATCH);
    /** Java views of the batch scratch: no JNI call per element. */
    private final java.nio.IntBuffer batchIdView = batchIds.getByteBuffer(0, 4L * MAX_BATCH)
            .order(java.nio.ByteOrder.nativeOrder())
            .asIntBuffer();

    private final java.nio.LongBuffer batchValView = batchVals
            .getByteBuffer(0, 8L * MAX_BATCH)
            .order(java.nio.ByteOrder.nativeOrder())
            .asLongBuffer();
    /** Scratch for wide batch calls: values of up to 16 bytes (ARM64's q registers), and pointers to them. */
    private Memory widePtrs;

    private Memory wideVals;
    private java.nio.LongBuffer wideValView;
    /** The id array last copied into batchIds, and how many of its ids. */
    private int[] lastIds;

    private int lastCount;
    private Throwable pendingHookError;
    private volatile boolean closed;
    /** Every mapped range as {vaddr, size, perms}, sorted: what the MMU serves fills from. */
    private List<long[]> ranges = new ArrayList<>();

    private NativeMmu mmu;
    private Hook mmuHook;
    /** The native invalid-memory hook of {@link #hookTrapsNative}, while installed. */
    private Hook trapInvalidHook;

    private TrapRecord trapRecord;

    private Unicorn(Pointer uc) {
        this.uc = uc;
        this.ucAddress = Pointer.nativeValue(uc);
        this.idsAddress = Pointer.nativeValue(batchIds);
        this.ptrsAddress = Pointer.nativeValue(batchPtrs);
        for (int i = 0; i < MAX_BATCH; i++) {
            batchPtrs.setPointer(8L * i, batchVals.share(8L * i));
        }
    }

    /** Open an engine; {@code arch} and {@code mode} are the uc_arch and uc_mode values. */
    public static Unicorn open(int arch, int mode) {
        UnicornLibrary.ensureLoaded();
        Memory out = new Memory(8);
        check(UnicornLibrary.uc_open(arch, mode, out), "uc_open");
        Unicorn u = new Unicorn(out.getPointer(0));
        u.exitFlag = ExitCheck.offset(arch);
        return u;
    }

    /**
     * Where the engine keeps its {@code no_exit_request} flag, read from the engine's own code.
     *
     * <p>Unicorn 2.1.4 follows every guest load and store with a call to
     * {@code helper_check_exit_request} ({@code check_exit_request()} in its {@code tcg/tcg-op.c},
     * emitted by {@code tcg_gen_qemu_ld/st_*}), so that a memory hook that stops the engine stops
     * it right after that access. The call ends the host code's register allocation, so guest
     * registers are written back around every access: measured, most of what separates the
     * engine from QEMU on memory-bound code (docs/PERFORMANCE.md, "A second outside probe"). The
     * translator skips it, and the same check after a code or block hook's callback, while the
     * engine's {@code uc->no_exit_request} byte is set (ARM's IT blocks set it); the check at each
     * block's start (how {@link #stop()} from another thread takes effect) does not read it. No
     * API sets the byte, so its offset is read from the code of {@code check_exit_request_ARCH},
     * which must begin with exactly {@link #RISCV64_2_1_4}: Debian's libunicorn2t64 2.1.4 on
     * x86-64 ({@code mov 0x8970(%rdi),%rsi; cmpb $0x0,0x7f2(%rsi); je}). Any other engine, host
     * or architecture leaves the checks on. AArch64's {@code check_exit_request_aarch64} is
     * recognised the same way ({@link #AARCH64_2_1_4}): only the AArch32 Thumb translator
     * ({@code thumb_tr_translate_insn}) writes the byte, never the A64 one; there the MSR hook
     * every Aarch64Cpu installs keeps the checks on while the executable memory holds an MSR it
     * would refuse ({@link Unicorn#hookMsrNative}).
     *
     * <p>{@code -Drewind.exitChecks=on} keeps the checks on everywhere (for measurements).
     */
    static final class ExitCheck {
        private ExitCheck() {}

        /** The system property that keeps the checks on when set to "on". */
        static final String PROPERTY = "rewind.exitChecks";

        /**
         * The first 47 bytes of {@code check_exit_request_riscv64} in Debian's Unicorn 2.1.4-4
         * (amd64); bytes 35..38 are the flag's offset in {@code struct uc_struct} (0x7f2).
         */
        static final byte[] RISCV64_2_1_4 = bytes("f30f1efa 4156 55 53 4883ec30 64488b342528000000 4889742428"
                + " 488bb770890000 80bef207000000 7426 488b442428");

        /**
         * The same for {@code check_exit_request_aarch64}: only the offset of {@code tcg_ctx->uc}
         * in the load before the compare differs (0xa970: AArch64's CPU state is larger).
         */
        static final byte[] AARCH64_2_1_4 = bytes("f30f1efa 4156 55 53 4883ec30 64488b342528000000 4889742428"
                + " 488bb770a90000 80bef207000000 7426 488b442428");

        /** Where the flag's offset is in {@link #RISCV64_2_1_4} and {@link #AARCH64_2_1_4}. */
        static final int FLAG_AT = 35;

        private static byte[] bytes(String hex) {
            String h = hex.replace(" ", "");
            byte[] b = new byte[h.length() / 2];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
            }
            return b;
        }

        /** The flag's offset in the engine's struct for {@code arch} (-1: not found, or disabled). */
        static long offset(int arch) {
            String host = System.getProperty("os.arch", "");
            String fn = arch == ARCH_RISCV ? "check_exit_request_riscv64" : "check_exit_request_aarch64";
            byte[] expected = arch == ARCH_RISCV ? RISCV64_2_1_4 : AARCH64_2_1_4;
            if ((arch != ARCH_RISCV && arch != ARCH_ARM64)
                    || "on".equals(System.getProperty(PROPERTY))
                    || !(host.equals("amd64") || host.equals("x86_64"))
                    || !hasVirtualTlb()) {
                return -1;
            }
            byte[] code;
            try {
                code = UnicornLibrary.LIB.getFunction(fn).getByteArray(0, expected.length);
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                LOG.debug("exit checks stay on: no {} in the engine ({})", fn, e.toString());
                return -1;
            }
            long off = parse(code, expected);
            if (off < 0) {
                LOG.debug("exit checks stay on: {} is not the code of Unicorn 2.1.4 (x86-64)", fn);
            }
            return off;
        }

        /** The flag's offset if {@code code} begins with exactly {@link #RISCV64_2_1_4}, else -1. */
        static long parse(byte[] code) {
            return parse(code, RISCV64_2_1_4);
        }

        /** The flag's offset if {@code code} begins with exactly {@code expected}, else -1. */
        static long parse(byte[] code, byte[] expected) {
            if (code.length < expected.length
                    || !java.util.Arrays.equals(code, 0, expected.length, expected, 0, expected.length)) {
                return -1;
            }
            return (code[FLAG_AT] & 0xffL)
                    | (code[FLAG_AT + 1] & 0xffL) << 8
                    | (code[FLAG_AT + 2] & 0xffL) << 16
                    | (code[FLAG_AT + 3] & 0xffL) << 24;
        }
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Unicorn.class);

    /** {@link ExitCheck#offset} for this engine (-1: the checks stay on). */
    private long exitFlag = -1;
    /** Hooks and device windows that need the exit checks (they may stop the engine mid-block). */
    private int exitCheckHooks;
    /** What the flag says now: true while the engine translates without the exit checks. */
    private boolean checksOff;

    /**
     * Whether the engine may translate without the per-access exit checks now: the flag was
     * found, no hook that may stop the engine mid-block exists, and the MMU serves the TLB. The
     * MMU's refusal of an access leaves the block at the faulting instruction (Unicorn's
     * {@code unicorn_fill_tlb}: {@code cpu_loop_exit_restore}); without it an unmapped or
     * protected access goes to Unicorn's invalid-memory path, which only records the error and
     * relies on the exit check after the access to stop (docs/PERFORMANCE.md: the fuzzer's seed
     * 72, whose systems run a quarter of their transactional tasks with the store-hook tracker,
     * which turns the MMU off).
     */
    private void updateExitChecks() {
        exitChecksPending = (exitFlag >= 0 && exitCheckHooks == 0 && mmu != null) != checksOff;
        if (!exitChecksPending) {
            dropPending = false;
        }
    }

    /**
     * Put {@link #updateExitChecks}'s answer into the engine: before a run, never during one
     * (a hook may come or go inside a callback, and the code being run must not be dropped).
     */
    private void applyExitChecks() {
        if (msrHook != null && msrScanStale) {
            scanForRefusableMsr();
        }
        if (!exitChecksPending) {
            return;
        }
        exitChecksPending = false;
        checksOff = !checksOff;
        uc.setByte(exitFlag, checksOff ? (byte) 1 : (byte) 0);
        if (dropPending) {
            // The flag is read when code is translated, and code translated without the checks
            // calls a data hook (and reaches a device window, or Unicorn's invalid-memory path
            // once the MMU is off) as well: drop it. A code, block or instruction hook is not in
            // code translated before it came (the caller drops that code where it matters: see
            // hookCode), and so neither is its check; code translated with the checks, once they
            // may be off, is only slower, and stays.
            dropExecutableCode();
        }
        dropPending = false;
    }

    /** {@link #updateExitChecks} changed its answer and the engine has not been told yet. */
    private boolean exitChecksPending;
    /** When the checks go on: what was translated without them must go (see {@link #applyExitChecks}). */
    private boolean dropPending;

    /** True if the engine checks for an exit after each load and store (for tests). */
    public boolean exitChecks() {
        applyExitChecks();
        return exitFlag < 0 || uc.getByte(exitFlag) == 0;
    }

    /**
     * True if the next run goes without the per-access exit checks (what changed since the last
     * run applied first). Then {@link #stop()} from another thread takes effect only at a block's
     * start, where nothing of the block has run and the PC is exact: a precise preemption.
     */
    public boolean exitChecksOff() {
        applyExitChecks();
        return checksOff;
    }

    /**
     * True if the engine could run without the exit checks were it not for {@code h} (a hook of
     * this engine): {@link #updateExitChecks}'s rule with {@code h} left out.
     */
    public boolean exitChecksOffWithout(Hook h) {
        int others = exitCheckHooks - (h != null && h.needsExitChecks && !h.removed ? 1 : 0);
        return exitFlag >= 0 && others == 0 && mmu != null;
    }

    /** True if this engine can run without the exit checks at all ({@link ExitCheck}; for tests). */
    public boolean exitChecksCanBeOff() {
        return exitFlag >= 0;
    }

    /**
     * A hook or window that may stop the engine mid-block came ({@code delta} 1) or went (-1);
     * {@code calledFromOldCode}: code translated before it came reaches it (a data hook, a device
     * window), so that code goes if it was translated without the checks.
     */
    private void exitCheckHook(int delta, boolean calledFromOldCode) {
        exitCheckHooks += delta;
        if (delta > 0 && calledFromOldCode && checksOff) {
            dropPending = true;
        }
        updateExitChecks();
    }

    /** Drop the translations of every executable mapped range. */
    private void dropExecutableCode() {
        for (long[] r : ranges) {
            if ((r[2] & PROT_EXEC) != 0) {
                removeCachedCode(r[0], r[0] + r[1]);
            }
        }
    }

    /**
     * Begin loading the engine's library in the background (a start-up speed-up for commands
     * that will run guests; see {@code EngineChoice.preload}). Harmless if never used.
     */
    public static void preload() {
        EngineChoice.preload();
    }

    /** The loaded library's version as "major.minor.patch". */
    public static String version() {
        int v = UnicornLibrary.VERSION;
        return ((v >> 24) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 8) & 0xff);
    }

    /** The packed version (major << 24 | minor << 16 | patch << 8 | extra). */
    public static int versionNumber() {
        return UnicornLibrary.VERSION;
    }

    /** Where the library came from, in words: the provisioned engine, an override, or the system's. */
    public static String libraryOrigin() {
        return UnicornLibrary.ORIGIN;
    }

    /** Where the library was loaded from. */
    public static String librarySource() {
        return UnicornLibrary.SOURCE;
    }

    public static String strerror(int code) {
        return UnicornLibrary.uc_strerror(code);
    }

    private static void check(int err, String what) {
        if (err != ERR_OK) {
            throw new UnicornException(
                    err, what + " failed: " + UnicornLibrary.uc_strerror(err) + " (uc_err " + err + ")", null);
        }
    }

    // ---- registers -------------------------------------------------------------------------

    public long regRead(int regId) {
        check(UnicornLibrary.uc_reg_read(uc, regId, value), "uc_reg_read");
        return value.getLong(0);
    }

    public void regWrite(int regId, long v) {
        value.setLong(0, v);
        check(UnicornLibrary.uc_reg_write(uc, regId, value), "uc_reg_write");
    }

    /** Read {@code count} registers named by {@code ids} into {@code out} with one native call. */
    public void regReadBatch(int[] ids, long[] out, int count) {
        setIds(ids, count);
        check(readBatch0(Jni.READ_BATCH, ucAddress, idsAddress, ptrsAddress, count), "uc_reg_read_batch");
        batchValView.get(0, out, 0, count);
    }

    /** Write {@code count} registers named by {@code ids} from {@code in} with one native call. */
    public void regWriteBatch(int[] ids, long[] in, int count) {
        setIds(ids, count);
        batchValView.put(0, in, 0, count);
        check(UnicornLibrary.uc_reg_write_batch(uc, batchIds, batchPtrs, count), "uc_reg_write_batch");
    }

    /**
     * Read {@code count} registers of up to 16 bytes each (ARM64's q0..q31, fpsr, fpcr) with one
     * native call: register i's bytes 0..7 go to out[2i] and bytes 8..15 to out[2i + 1], little
     * endian. Bytes a narrower register does not write are left as they were: mask them.
     */
    public void regReadBatchWide(int[] ids, long[] out, int count) {
        setIds(ids, count);
        wideScratch();
        check(
                readBatch0(Jni.READ_BATCH, ucAddress, idsAddress, Pointer.nativeValue(widePtrs), count),
                "uc_reg_read_batch");
        wideValView.get(0, out, 0, 2 * count);
    }

    /** Inverse of {@link #regReadBatchWide}: register i is written from in[2i] and in[2i + 1]. */
    public void regWriteBatchWide(int[] ids, long[] in, int count) {
        setIds(ids, count);
        wideScratch();
        wideValView.put(0, in, 0, 2 * count);
        check(UnicornLibrary.uc_reg_write_batch(uc, batchIds, widePtrs, count), "uc_reg_write_batch");
    }

    private void wideScratch() {
        if (wideVals == null) {
            wideVals = new Memory(16L * MAX_BATCH);
            wideVals.clear();
            widePtrs = new Memory(8L * MAX_BATCH);
            for (int i = 0; i < MAX_BATCH; i++) {
                widePtrs.setPointer(8L * i, wideVals.share(16L * i));
            }
            wideValView = wideVals.getByteBuffer(0, 16L * MAX_BATCH)
                    .order(java.nio.ByteOrder.nativeOrder())
                    .asLongBuffer();
        }
    }

    /** Copy register ids into the native scratch unless the same ids are already there. */
    private void setIds(int[] ids, int count) {
        if (count > MAX_BATCH) {
            throw new IllegalArgumentException("batch too large: " + count);
        }
        if (ids != lastIds || count > lastCount) {
            batchIdView.put(0, ids, 0, count);
            lastIds = ids;
            lastCount = count;
        }
    }

    // ---- memory ----------------------------------------------------------------------------

    /** Map guest range [address, address+size) onto host memory at {@code hostAddress}. */
    public void mapHost(long address, long size, int perms, long hostAddress) {
        check(
                UnicornLibrary.uc_mem_map_ptr(uc, address, size, perms, new Pointer(hostAddress)),
                String.format("uc_mem_map_ptr(0x%x, 0x%x)", address, size));
        setRange(address, size, perms);
    }

    public void unmap(long address, long size) {
        check(UnicornLibrary.uc_mem_unmap(uc, address, size), String.format("uc_mem_unmap(0x%x, 0x%x)", address, size));
        setRange(address, size, -1);
    }

    public void protect(long address, long size, int perms) {
        check(
                UnicornLibrary.uc_mem_protect(uc, address, size, perms),
                String.format("uc_mem_protect(0x%x, 0x%x)", address, size));
        setRange(address, size, perms);
        if (mmu == null && hasVirtualTlb()) {
            flushTlb(); // 2.1 keeps TLB entries across uc_mem_protect: a page made read-only stayed writable
        }
    }

    /**
     * Record that [address, address+size) now has {@code perms} (-1: unmapped) in {@link #ranges},
     * splitting what it overlaps, and hand the table to the MMU if there is one.
     */
    private void setRange(long address, long size, int perms) {
        long end = address + size;
        List<long[]> next = new ArrayList<>();
        if (perms >= 0 && (perms & PROT_EXEC) != 0) {
            msrScanStale = true; // (executable memory changed: see hookMsrNative)
        }
        for (long[] r : ranges) {
            long rEnd = r[0] + r[1];
            if (rEnd <= address || r[0] >= end) {
                next.add(r);
                continue;
            }
            if ((r[2] & PROT_EXEC) != 0) {
                msrScanStale = true;
            }
            if (r[0] < address) {
                next.add(new long[] {r[0], address - r[0], r[2]});
            }
            if (rEnd > end) {
                next.add(new long[] {end, rEnd - end, r[2]});
            }
        }
        if (perms >= 0) {
            next.add(new long[] {address, size, perms});
        }
        ranges = NativeMmu.sorted(next);
        if (mmu != null) {
            mmu.setRanges(ranges);
        }
    }

    // ---- the engine's page size ------------------------------------------------------------

    /**
     * True if the loaded library lets an ARM64 engine's page size be set (2.1.0 and later; 2.0.1
     * refuses the control for ARM64 and keeps 1 KiB pages).
     */
    public static boolean canSetArm64PageSize() {
        return UnicornLibrary.VERSION >= 0x02010000;
    }

    /**
     * Set the size of the engine's pages, the unit of its TLB (ARM and ARM64 only; Unicorn's
     * default there is ARMv5's 1 KiB tiny page). Call right after {@link #open}, before anything
     * else initialises the engine (a mapping, a hook, a register access): Unicorn refuses it
     * afterwards.
     */
    public void setPageSize(int bytes) {
        if (bytes <= 0 || (bytes & (bytes - 1)) != 0) {
            throw new IllegalArgumentException("page size must be a power of two: " + bytes);
        }
        // UC_CTL_WRITE(UC_CTL_UC_PAGE_SIZE, 1): type 1, one argument
        check(UnicornLibrary.CTL.invokeInt(new Object[] {uc, 1 | (1 << 26) | (1 << 30), bytes}), "uc_ctl(PAGE_SIZE)");
    }

    /** The engine's page size in bytes (initialises the engine). */
    public int pageSize() {
        // UC_CTL_READ(UC_CTL_UC_PAGE_SIZE, 1)
        check(UnicornLibrary.CTL.invokeInt(new Object[] {uc, 1 | (1 << 26) | (2 << 30), value}), "uc_ctl(PAGE_SIZE)");
        return value.getInt(0);
    }

    // ---- the MMU (Unicorn 2.1 and later) ---------------------------------------------------

    /** True if the loaded library offers the virtual-TLB mode and its fill hook (2.1.0 and later). */
    public static boolean hasVirtualTlb() {
        return UnicornLibrary.VERSION >= 0x02010000;
    }

    /**
     * Serve this engine's TLB misses from the mapped ranges' permissions (UC_TLB_VIRTUAL and the
     * native fill hook, see {@link NativeMmu}) instead of QEMU's own TLB fill, so that data pages
     * are cached without EXEC and code pages without WRITE: stores then take QEMU's inline fast
     * path. A refused access (unmapped, or not allowed) is recorded in {@code trap} (with
     * {@link TrapRecord#memSize()} -1: the address is the page, and the PC is exact) and ends the
     * run. The invalid-memory hook of {@link #hookTrapsNative} is removed: any memory hook, even
     * one for invalid accesses only, sends every access of the engine down the slow path
     * (measured: ~50 ns instead of ~5 ns a store-loop iteration). Needs {@link #hasVirtualTlb()};
     * call before the engine first runs.
     */
    public void enableVirtualTlb(TrapRecord trap) {
        if (!hasVirtualTlb()) {
            throw new UnicornException("Unicorn " + version() + " has no virtual-TLB mode (needs 2.1.0 or later)");
        }
        if (mmu != null) {
            return;
        }
        NativeMmu m = new NativeMmu(uc, trap.mem, trap);
        // uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL) = UC_CTL_WRITE(UC_CTL_TLB_TYPE, 1): type 12, one argument
        check(
                UnicornLibrary.CTL.invokeInt(new Object[] {uc, 12 | (1 << 26) | (1 << 30), 1}),
                "uc_ctl(TLB_TYPE virtual)");
        mmuHook = addNativeHook(NativeMmu.HOOK_TLB_FILL, NativeMmu.FILL_HOOK, m.mem, m);
        mmu = m;
        mmu.setRanges(ranges);
        if (trapInvalidHook != null) {
            trapInvalidHook.close();
            trapInvalidHook = null;
        }
        updateExitChecks();
    }

    /** Back to QEMU's own TLB fill (slow stores), e.g. for a tracker that relies on page protection. */
    public void disableVirtualTlb() {
        if (mmu == null) {
            return;
        }
        check(UnicornLibrary.CTL.invokeInt(new Object[] {uc, 12 | (1 << 26) | (1 << 30), 0}), "uc_ctl(TLB_TYPE cpu)");
        mmuHook.close();
        mmuHook = null;
        mmu = null;
        // refused accesses go to Unicorn's invalid-memory path, precise only with the checks
        dropPending = checksOff;
        updateExitChecks();
        if (trapRecord != null && trapInvalidHook == null) {
            trapInvalidHook = addNativeHook(HOOK_MEM_INVALID, NativeHooks.MEM_INVALID_HOOK, trapRecord.mem, trapRecord);
        }
    }

    /** True while {@link #enableVirtualTlb} is in effect. */
    public boolean virtualTlb() {
        return mmu != null;
    }

    /** TLB fills the MMU has served (0 without one). */
    public long tlbFills() {
        return mmu == null ? 0 : mmu.fills();
    }

    /** Empty the TLB (only meaningful with the virtual TLB; a whole flush, ~0.5 µs). */
    public void flushTlb() {
        if (mmu != null) {
            mmu.flush();
        } else {
            check(UnicornLibrary.CTL.invokeInt(new Object[] {uc, 11 | (1 << 30)}), "uc_ctl(TLB_FLUSH)");
        }
    }

    /** The MMU, for the write tracker; null without the virtual TLB. */
    NativeMmu mmu() {
        return mmu;
    }

    /**
     * Map [address, address+size) as device registers: every guest load or store there calls
     * {@code handler} (on the thread running the engine) instead of touching memory. The handler
     * must not throw; if it does, the engine stops and the exception is rethrown by
     * {@link #start}. A load gets what {@code read} returns.
     */
    public void mapMmio(long address, long size, MmioHandler handler) {
        MmioReadCallback r = (u, offset, sz, user) -> {
            try {
                return handler.read(offset, sz);
            } catch (Throwable t) {
                hookFailed(t);
                return 0;
            }
        };
        MmioWriteCallback w = (u, offset, sz, value, user) -> {
            try {
                handler.write(offset, sz, value);
            } catch (Throwable t) {
                hookFailed(t);
            }
        };
        callbacks.add(r); // held for the engine's life: a collected callback would crash the JVM
        callbacks.add(w);
        check(
                UnicornLibrary.uc_mmio_map(uc, address, size, r, Pointer.NULL, w, Pointer.NULL),
                String.format("uc_mmio_map(0x%x, 0x%x)", address, size));
        setRange(address, size, PROT_READ | PROT_WRITE);
        exitCheckHook(1, true); // a handler that fails stops the engine mid-block (for the engine's life)
    }

    // ---- running ---------------------------------------------------------------------------

    /**
     * Run from {@code begin} until a hook or another thread calls {@link #stop()}, the guest
     * reaches {@code until}, or a fault ends it. Returns the uc_err code (0, or a memory/
     * instruction error). Rethrows an exception thrown by a hook during the run. (After
     * {@link #useExits}, {@code until} is made the one exit for this run.)
     */
    public int start(long begin, long until) {
        applyExitChecks();
        if (exits) {
            setExits(until);
        }
        int err;
        try {
            err = UnicornLibrary.uc_emu_start(uc, begin, until, 0, 0);
        } finally {
            if (exits) {
                setExits();
            }
        }
        rethrowHookError();
        return err;
    }

    /**
     * A run set up for this engine in one native call ({@link #run(NativeRun, long, long)}):
     * {@code writeIds} are the registers {@link NativeRun#stage} writes before a run,
     * {@code readIds} those read after a trap whose exception number {@code n} has bit n set in
     * {@code readOn}; {@code trap} is the record of {@link #hookTrapsNative}, reset before each run.
     */
    public NativeRun newRun(TrapRecord trap, int[] writeIds, int[] readIds, long readOn) {
        return new NativeRun(uc, trap, writeIds, readIds, readOn);
    }

    /**
     * As {@link #start}, in one native call: write what {@code run} staged, reset its trap
     * record, run, and after a syscall trap read the syscall's registers ({@link NativeRun#read}).
     * After {@link #useExits}, {@code until} means nothing here: the caller sets an exit
     * ({@link #setExits}) if it wants one.
     */
    public int run(NativeRun run, long begin, long until) {
        applyExitChecks();
        int err = run.run(begin, until);
        rethrowHookError();
        return err;
    }

    /**
     * Make {@code until} of every later run mean nothing (UC_CTL_UC_USE_EXITS with no exits):
     * a run then ends only by a stop, a trap or a fault, or at an address given to
     * {@link #setExits}. Saves the work Unicorn does at the end of every run for its
     * {@code until} address (dropping the translations there, which costs a TLB probe of an
     * unmapped page: ~40 ns a run).
     */
    public void useExits() {
        // uc_ctl_exits_enable: UC_CTL_WRITE(UC_CTL_UC_USE_EXITS, 1), type 4, one argument
        check(UnicornLibrary.CTL.invokeInt(new Object[] {uc, 4 | (1 << 26) | (1 << 30), 1}), "uc_ctl(USE_EXITS)");
        exits = true;
    }

    /** {@link #useExits} is in effect. */
    private boolean exits;

    /** After {@link #useExits}: the addresses where a run stops (none: only stops, traps and faults). */
    public void setExits(long... exits) {
        Memory m = new Memory(8L * Math.max(1, exits.length));
        for (int i = 0; i < exits.length; i++) {
            m.setLong(8L * i, exits[i]);
        }
        // uc_ctl_set_exits: UC_CTL_WRITE(UC_CTL_UC_EXITS, 2), type 6, two arguments
        check(
                UnicornLibrary.CTL.invokeInt(new Object[] {uc, 6 | (2 << 26) | (1 << 30), m, (long) exits.length}),
                "uc_ctl(EXITS)");
    }

    private void rethrowHookError() {
        Throwable t = pendingHookError;
        if (t != null) {
            pendingHookError = null;
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new UnicornException(-1, "hook failed: " + t, t);
        }
    }

    /** Drop cached translations of code in [begin, end) (after the guest's code was patched). */
    public void removeCachedCode(long begin, long end) {
        msrScanStale = true; // (the code may have changed: see hookMsrNative)
        // UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2): type 9, two arguments
        int ctl = 9 | (2 << 26) | (1 << 30);
        check(UnicornLibrary.CTL.invokeInt(new Object[] {uc, ctl, begin, end}), "uc_ctl(TB_REMOVE_CACHE)");
    }

    /** Ask a running emulation to stop. Safe from any thread, and when nothing runs. */
    public synchronized void stop() {
        if (!closed) {
            UnicornLibrary.uc_emu_stop(uc);
        }
    }

    private void hookFailed(Throwable t) {
        if (pendingHookError == null) {
            pendingHookError = t;
        }
        UnicornLibrary.uc_emu_stop(uc);
    }

    // ---- hooks -----------------------------------------------------------------------------

    /** A registered hook; closing it removes it from the engine. */
    public final class Hook implements AutoCloseable {
        private final long handle;
        private final Object callback;
        private boolean removed;
        /** A data-access hook: the MMU's fast TLB entries bypass it, so flush when it comes and goes. */
        private boolean flushTlbOnClose;
        /** A hook that may stop the engine mid-block: the exit checks are on while it exists. */
        private boolean needsExitChecks;

        private Hook(long handle, Object callback) {
            this.handle = handle;
            this.callback = callback;
        }

        @Override
        public void close() {
            if (!removed && !closed) {
                removed = true;
                check(UnicornLibrary.uc_hook_del(uc, handle), "uc_hook_del");
                callbacks.remove(callback);
                if (flushTlbOnClose && mmu != null) {
                    mmu.flush();
                }
                if (needsExitChecks) {
                    exitCheckHook(-1, false);
                }
                if (this == msrHook) {
                    if (refusableMsr) {
                        exitCheckHook(-1, false);
                    }
                    msrHook = null;
                    refusableMsr = false;
                }
            }
        }
    }

    interface IntrCallback extends Callback {
        void invoke(Pointer uc, int intno, Pointer user);
    }

    interface MemInvalidCallback extends Callback {
        boolean invoke(Pointer uc, int type, long address, int size, long value, Pointer user);
    }

    interface CodeCallback extends Callback {
        void invoke(Pointer uc, long address, int size, Pointer user);
    }

    /** (Pointers as {@code long}: a direct callback then allocates nothing per call; JNA's Pointer would.) */
    interface MmioReadCallback extends Callback {
        long invoke(long uc, long offset, int size, long user);
    }

    interface MmioWriteCallback extends Callback {
        void invoke(long uc, long offset, int size, long value, long user);
    }

    interface MemAccessCallback extends Callback {
        void invoke(Pointer uc, int type, long address, int size, long value, Pointer user);
    }

    private Hook addHook(int type, Callback cb, long begin, long end) {
        Memory handle = new Memory(8);
        callbacks.add(cb);
        int err = UnicornLibrary.HOOK_ADD.invokeInt(new Object[] {uc, handle, type, cb, Pointer.NULL, begin, end});
        if (err != ERR_OK) {
            callbacks.remove(cb);
            check(err, "uc_hook_add");
        }
        return track(new Hook(handle.getLong(0), cb), type, true); // (a Java hook may stop: hookFailed)
    }

    /**
     * Hook types whose callbacks run inside a translated block: one that stops the engine there
     * needs the exit checks after each instruction's hook and access ({@link ExitCheck}).
     */
    private static final int STOPS_MID_BLOCK = HOOK_CODE | HOOK_BLOCK | HOOK_DATA_READ | HOOK_DATA_WRITE | HOOK_INSN;

    /** {@code h}, of {@code type}: if it {@code mayStop} mid-block, the exit checks are on while it exists. */
    private Hook track(Hook h, int type, boolean mayStop) {
        if (mayStop && (type & STOPS_MID_BLOCK) != 0) {
            h.needsExitChecks = true;
            exitCheckHook(1, (type & (HOOK_DATA_READ | HOOK_DATA_WRITE)) != 0);
        }
        return h;
    }

    /**
     * Add a hook whose callback is native code {@code fn} called with {@code user}; {@code owner}
     * is kept reachable until the hook is removed (it owns {@code user}'s memory).
     */
    Hook addNativeHook(int type, com.sun.jna.Pointer fn, com.sun.jna.Pointer user, Object owner) {
        return addNativeHook(type, fn, user, owner, true);
    }

    /** {@link #addNativeHook(int, Pointer, Pointer, Object)}; {@code mayStop}: its code may stop the engine. */
    Hook addNativeHook(int type, com.sun.jna.Pointer fn, com.sun.jna.Pointer user, Object owner, boolean mayStop) {
        return addNativeHook(type, fn, user, owner, mayStop, 1L, 0L);
    }

    /** As above, for the addresses [begin, end] only (begin > end: all). */
    Hook addNativeHook(
            int type,
            com.sun.jna.Pointer fn,
            com.sun.jna.Pointer user,
            Object owner,
            boolean mayStop,
            long begin,
            long end) {
        Memory handle = new Memory(8);
        callbacks.add(owner);
        int err = UnicornLibrary.HOOK_ADD.invokeInt(new Object[] {uc, handle, type, fn, user, begin, end});
        if (err != ERR_OK) {
            callbacks.remove(owner);
            check(err, "uc_hook_add");
        }
        return track(new Hook(handle.getLong(0), owner), type, mayStop);
    }

    /**
     * Install the native trap hooks: every exception or ecall is recorded in the returned
     * record and stops the engine; every invalid memory access is recorded and refused.
     */
    public TrapRecord hookTrapsNative() {
        TrapRecord r = new TrapRecord();
        trapRecord = r;
        addNativeHook(HOOK_INTR, NativeHooks.INTR_HOOK, r.mem, r);
        trapInvalidHook = addNativeHook(HOOK_MEM_INVALID, NativeHooks.MEM_INVALID_HOOK, r.mem, r);
        return r;
    }

    /**
     * A native hook of traps.c and the struct it writes (zeroed, handed to the hook as its user
     * data, kept reachable here); closing removes the hook.
     */
    abstract static class NativeProbe implements AutoCloseable {
        final Memory mem;
        Hook hook;

        NativeProbe(long size) {
            mem = new Memory(size);
            mem.clear();
        }

        @Override
        public void close() {
            if (hook != null) {
                hook.close();
                hook = null;
            }
        }
    }

    /** Install {@code p}'s hook {@code fn} for {@code type}, with its struct as the user data. */
    private <T extends NativeProbe> T install(T p, int type, com.sun.jna.Pointer fn, boolean mayStop) {
        p.hook = addNativeHook(type, fn, p.mem, p, mayStop);
        return p;
    }

    /** A count of the instructions the engine runs ({@link #countInstructions}). */
    public static final class Counter extends NativeProbe {
        Counter() {
            super(8);
        }

        public long count() {
            return mem.getLong(0);
        }
    }

    /**
     * Count every instruction the engine runs from now on, in native code (traps.c,
     * rw_count_hook): a few nanoseconds each, not a call into Java. The caller drops the
     * engine's translations so that code already translated is counted too.
     */
    public Counter countInstructions() {
        return install(new Counter(), HOOK_CODE, NativeHooks.COUNT_HOOK, false);
    }

    /** A stop at a given instruction ({@link #stopAtInstruction}): struct rw_countdown. */
    public static final class Countdown extends NativeProbe {
        Countdown(long n) {
            super(32);
            mem.setLong(8, n);
            mem.setPointer(16, NativeHooks.UC_EMU_STOP);
        }

        /** True once the target instruction was reached and the engine asked to stop. */
        public boolean reached() {
            return mem.getInt(24) != 0;
        }
    }

    /**
     * Stop the engine at the {@code n}-th instruction it runs from now on (1-based), from a
     * native code hook (traps.c, rw_countdown_hook) that counts them and calls uc_emu_stop as a
     * Java hook would at the same point, in nanoseconds an instruction. The caller drops the
     * engine's translations, as for any code hook.
     */
    public Countdown stopAtInstruction(long n) {
        return install(new Countdown(n), HOOK_CODE, NativeHooks.COUNTDOWN_HOOK, true);
    }

    /** The pages the engine's data accesses touched ({@link #recordDataPages}): struct rw_pageset. */
    public static final class PageSet extends NativeProbe {
        private static final int CAP = 1 << 16;
        private final Memory slots = new Memory(8L * CAP);

        PageSet() {
            super(40);
            slots.clear();
            mem.setPointer(0, slots);
            mem.setLong(8, CAP);
        }

        /** The pages' addresses (page-aligned), in no order. */
        public long[] pages() {
            long[] out = new long[(int) mem.getLong(16)];
            int n = 0;
            for (int i = 0; i < CAP && n < out.length; i++) {
                long e = slots.getLong(8L * i);
                if (e != 0) {
                    out[n++] = (e - 1) << 12;
                }
            }
            return out;
        }

        /** True if pages were touched that the set had no room for (more than CAP / 2). */
        public boolean full() {
            return mem.getInt(32) != 0;
        }
    }

    /**
     * Record the page of every data access (read or write) the engine makes from now on, in
     * native code (traps.c, rw_page_hook): tens of nanoseconds an access, not a call into Java.
     * Like any data hook it puts the engine's accesses on the slow path while it is installed.
     */
    public PageSet recordDataPages() {
        return install(new PageSet(), HOOK_DATA_READ | HOOK_DATA_WRITE, NativeHooks.PAGE_HOOK, false);
    }

    /**
     * The data accesses the engine made to a range ({@link #logAccesses}): struct rw_access_log
     * of traps.c, read through a view of its memory (no native call per read).
     */
    public static final class AccessLog extends NativeProbe {
        /** How many of the latest accesses the log holds. */
        public static final int RING = 8;

        private static final int WRITE = 0x100;
        private final java.nio.LongBuffer view;

        AccessLog() {
            super(8 + 16L * RING);
            view = mem.getByteBuffer(0, 8 + 16L * RING)
                    .order(java.nio.ByteOrder.nativeOrder())
                    .asLongBuffer();
        }

        /** Accesses logged so far; access {@code n} is readable while {@code n >= count() - RING}. */
        public long count() {
            return view.get(0);
        }

        /** Access {@code n}'s address. */
        public long address(long n) {
            return view.get(1 + (int) (n % RING));
        }

        /** Access {@code n}'s size in bytes. */
        public int size(long n) {
            return (int) (view.get(1 + RING + (int) (n % RING)) & 0xff);
        }

        /** Whether access {@code n} is a store. */
        public boolean isWrite(long n) {
            return (view.get(1 + RING + (int) (n % RING)) & WRITE) != 0;
        }
    }

    /**
     * Log every data access the engine makes that starts in [begin, end], in native code
     * (traps.c, rw_access_hook: a few nanoseconds, not a call into Java); whoever needs them
     * reads the log. Like any data hook it puts the engine's accesses on the slow path.
     */
    public AccessLog logAccesses(long begin, long end) {
        AccessLog log = new AccessLog();
        int types = HOOK_DATA_READ | HOOK_DATA_WRITE;
        log.hook = addNativeHook(types, NativeHooks.ACCESS_HOOK, log.mem, log, false, begin, end);
        flushForDataHook(log.hook);
        return log;
    }

    /**
     * A data hook {@code h} was just added: entries already in the MMU's TLB take the inline
     * fast path, which never calls the hook, so the TLB is emptied now and when the hook goes.
     */
    private void flushForDataHook(Hook h) {
        if (mmu != null) {
            mmu.flush();
            h.flushTlbOnClose = true;
        }
    }

    /** The trap number with which {@link #hookMsrNative}'s hook stops a run. */
    public static final int INTNO_MSR = NativeHooks.INTNO_MSR;

    /**
     * AArch64: install the native MSR hook (traps.c, rw_msr_hook) on the engine whose traps
     * {@code r} records: a write to a system register EL0 does not own is skipped and ends the
     * run with trap number {@link #INTNO_MSR} ({@link TrapRecord#refusedSysreg}).
     */
    public Hook hookMsrNative(TrapRecord r) {
        Memory handle = new Memory(8);
        callbacks.add(r);
        // uc_hook_add(uc, &h, UC_HOOK_INSN, fn, user, begin, end, UC_ARM64_INS_MSR)
        int err = UnicornLibrary.HOOK_ADD.invokeInt(
                new Object[] {uc, handle, HOOK_INSN, NativeHooks.MSR_HOOK, r.mem, 1L, 0L, ARM64_INS_MSR});
        if (err != ERR_OK) {
            callbacks.remove(r);
            check(err, "uc_hook_add(UC_HOOK_INSN, MSR)");
        }
        // It may stop the engine mid-block: a refused write to a register whose write does not
        // end the block (msr actlr_el1, a constant register) lets the block run on, and only the
        // check after a later load or store stops it there; without the checks the rest of the
        // block runs (Aarch64ExitCheckTest, docs/PERFORMANCE.md). But it refuses only what it
        // is given to run, and a task runs only its executable memory (the MMU refuses any other
        // fetch), whose every change reaches the engine through removeCachedCode or a mapping.
        // So it counts as a hook that may stop only while that memory holds a word that is such
        // an MSR (scanned before a run after a change): no program the SDK builds has one.
        msrHook = new Hook(handle.getLong(0), r);
        msrScanStale = true;
        return msrHook;
    }

    /** The MSR hook while it exists (see {@link #hookMsrNative}). */
    private Hook msrHook;
    /** The executable memory may have changed since {@link #scanForRefusableMsr} last read it. */
    private boolean msrScanStale = true;
    /** The last scan found an MSR the hook refuses: the hook counts as one that may stop. */
    private boolean refusableMsr;

    /**
     * Read every executable mapped range for an MSR (register) that {@link #hookMsrNative}'s
     * hook refuses (any but op0 3, op1 3: the registers EL0 owns), and count the hook as one that
     * may stop the engine mid-block exactly while there is one. A data word that happens to
     * have that form only keeps the checks on.
     */
    private void scanForRefusableMsr() {
        msrScanStale = false;
        boolean found = false;
        byte[] chunk = new byte[64 * 1024];
        for (long[] r : ranges) {
            if ((r[2] & PROT_EXEC) == 0) {
                continue;
            }
            for (long at = r[0]; at < r[0] + r[1] && !found; at += chunk.length) {
                int n = (int) Math.min(chunk.length, r[0] + r[1] - at);
                check(UnicornLibrary.uc_mem_read(uc, at, chunk, n), String.format("uc_mem_read(0x%x, 0x%x)", at, n));
                found = hasRefusableMsr(chunk, n); // (ranges are page-aligned)
            }
            if (found) {
                break;
            }
        }
        if (found != refusableMsr) {
            refusableMsr = found;
            exitCheckHook(found ? 1 : -1, false);
        }
    }

    /**
     * True if one of the little-endian words at the multiples of 4 in {@code b[0..n)} is an MSR
     * (register), {@code 0xd51xxxxx}, to a register other than op0 3, op1 3.
     */
    static boolean hasRefusableMsr(byte[] b, int n) {
        for (int i = 0; i + 4 <= n; i += 4) {
            int w = (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
            if ((w & 0xfff0_0000) == 0xd510_0000 && (w & 0x000f_0000) != 0x000b_0000) {
                return true; // bit 19 is o0 (op0 = 2 + o0), bits 18..16 op1: 0xb is op0 3, op1 3
            }
        }
        return false;
    }

    private static final int ARM64_INS_MSR = 2;

    /**
     * Install the native block hook that stops this engine precisely at the start of a block
     * when {@link TrapRecord#requestPreempt} was called. Costs a few ns per block executed.
     * Call before any code is translated, or flush translations afterwards.
     */
    public Hook hookPreemptNative(TrapRecord r) {
        return addNativeHook(HOOK_BLOCK, NativeHooks.BLOCK_HOOK, r.mem, r);
    }

    /** Hook every CPU exception and environment call. */
    public Hook hookInterrupt(InterruptHook hook) {
        IntrCallback cb = (u, intno, user) -> {
            try {
                hook.onInterrupt(intno);
            } catch (Throwable t) {
                hookFailed(t);
            }
        };
        return addHook(HOOK_INTR, cb, 1, 0);
    }

    /** Hook every access to unmapped or protected memory. */
    public Hook hookMemInvalid(MemFaultHook hook) {
        MemInvalidCallback cb = (u, type, address, size, v, user) -> {
            try {
                return hook.onFault(type, address, size, v);
            } catch (Throwable t) {
                hookFailed(t);
                return false;
            }
        };
        return addHook(HOOK_MEM_INVALID, cb, 1, 0);
    }

    /** Hook each instruction in [begin, end] (begin > end hooks everything: slow). */
    public Hook hookCode(long begin, long end, CodeHook hook) {
        CodeCallback cb = (u, address, size, user) -> {
            try {
                hook.onCode(address, size);
            } catch (Throwable t) {
                hookFailed(t);
            }
        };
        return addHook(HOOK_CODE, cb, begin, end);
    }

    /**
     * Hook valid data accesses that start in [begin, end] ({@code types}: HOOK_DATA_READ and/or
     * HOOK_DATA_WRITE). Called before the access, and without dropping translations. A stop()
     * from the hook ends the run right after a store (before a load writes its register), but
     * Unicorn 2.0.1 then leaves the PC at the start of the block (see DebugHooksTest).
     */
    public Hook hookMemAccess(int types, long begin, long end, MemAccessHook hook) {
        if ((types & ~(HOOK_DATA_READ | HOOK_DATA_WRITE)) != 0 || types == 0) {
            throw new IllegalArgumentException("hook types " + types);
        }
        MemAccessCallback cb = (u, type, address, size, v, user) -> {
            try {
                hook.onAccess(type, address, size, v);
            } catch (Throwable t) {
                hookFailed(t);
            }
        };
        Hook h = addHook(types, cb, begin, end);
        flushForDataHook(h);
        return h;
    }

    /** Drop every cached translation (after code was changed behind Unicorn's back). */
    public void flushTranslations() {
        // UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0): type 10, no arguments, io WRITE (1) << 30
        int ctl = 10 | (1 << 30);
        check(UnicornLibrary.CTL.invokeInt(new Object[] {uc, ctl}), "uc_ctl(TB_FLUSH)");
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            UnicornLibrary.uc_close(uc);
            callbacks.clear();
        }
    }
}
