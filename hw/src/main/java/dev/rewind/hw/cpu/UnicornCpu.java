package dev.rewind.hw.cpu;

import dev.rewind.hw.dev.Device;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.PhysicalMemory;
import dev.rewind.hw.mem.WriteTracker;
import dev.rewind.hw.unicorn.NativeRun;
import dev.rewind.hw.unicorn.NativeWriteTracker;
import dev.rewind.hw.unicorn.TrapRecord;
import dev.rewind.hw.unicorn.Unicorn;

/**
 * What every CPU on one Unicorn engine shares: the engine bound to one address space, the
 * native trap record, the MMU and write tracking, hooks, devices and precise preemption. A
 * subclass supplies the architecture: its registers, and what its traps mean
 * ({@link #onInterrupt}, {@link #onEngineError}, {@link #exactFaultAddress}).
 *
 * <p>Traps are recorded by native hooks (no Java callback on the hot path): a syscall trap or
 * an exception stops the engine and {@link #run} returns {@link Exit#ECALL} or
 * {@link Exit#EXCEPTION}; an invalid access ends it with {@link Exit#MEMORY_FAULT}.
 *
 * <p>A run is one native call ({@link NativeRun}): {@link #writeArgs} only stages the results,
 * which the run writes before it starts, and the syscall's registers are read in the same call
 * after a trap. Every other register access writes what is staged first, so the order of
 * writes and reads is the caller's. The engine never stops at an {@code until} address unless
 * {@link #run(long, long)} names one (Unicorn's exits: no per-run work for {@code until}).
 */
public abstract class UnicornCpu implements Cpu {
    /** No {@code until} address ({@link #run(long)}): only stops, traps and faults end a run. */
    public static final long NO_UNTIL = 0xFFFF_FFFF_FFFF_FFFEL;

    protected final Unicorn uc;
    protected final AddressSpace space;
    protected final TrapRecord trap;
    /** One native call a run: the staged results, the run, the syscall's registers. */
    private final NativeRun runner;
    /** After {@link Exit#ECALL}: the eight argument slots and the resume PC. */
    protected final long[] args = new long[9];

    private final PhysicalMemory ram;
    private WriteTracker tracker;
    /** See {@link #registerVersion()}: registers written through {@link #engine()} directly do not count. */
    protected long registerVersion;

    private Unicorn.Hook preemptHook;
    /** {@link #preemptHook} was installed because the exit checks came back after preemption by stop. */
    private boolean preemptHookForChecks;

    protected int exceptionCause = -1;
    protected long exceptionPc;
    private int memFaultType;
    private long memFaultAddress;
    private boolean memFaultPcExact;

    /**
     * A CPU on a new engine of Unicorn's {@code arch} and {@code mode}, mapping nothing yet.
     * {@link #writeArgs} writes {@code resultIds} (Unicorn's register ids); after an exception
     * whose number {@code n} has bit n set in {@code syscallTraps}, {@code syscallIds} (the
     * eight argument slots, then the PC) are read into {@link #args} in the same native call as
     * the run.
     */
    protected UnicornCpu(PhysicalMemory ram, int arch, int mode, int[] resultIds, int[] syscallIds, long syscallTraps) {
        this.ram = ram;
        this.uc = Unicorn.open(arch, mode);
        try {
            if (arch == Unicorn.ARCH_ARM64 && Unicorn.canSetArm64PageSize()) {
                // Unicorn's ARM64 default is 1 KiB pages: a 256-entry TLB then covers 256 KiB,
                // and a working set of ~1 MiB takes a fill every few accesses (bench `hash`:
                // 1.2 million fills, most of its time). With the address space's own 4 KiB page
                // it covers what a RISC-V engine does. Must come first: it is refused once the
                // engine is initialised.
                uc.setPageSize((int) AddressSpace.PAGE);
            }
            this.space = new AddressSpace(ram, uc);
            this.trap = uc.hookTrapsNative();
            if (virtualTlbWanted()) {
                uc.enableVirtualTlb(trap);
            }
            this.runner = uc.newRun(trap, resultIds, syscallIds, syscallTraps);
            uc.useExits();
        } catch (RuntimeException e) {
            uc.close();
            throw e;
        }
    }

    public AddressSpace memory() {
        return space;
    }

    /** System property choosing the TLB: {@value #TLB_PROPERTY}=cpu forces QEMU's own fill (slow stores). */
    public static final String TLB_PROPERTY = "rewind.tlb";

    /**
     * True if new CPUs serve their TLB from the address space's permissions (Unicorn 2.1's
     * virtual TLB: stores at QEMU's speed). The default wherever the engine has it.
     */
    public static boolean virtualTlbWanted() {
        String v = System.getProperty(TLB_PROPERTY, "virtual");
        if (!v.equals("virtual") && !v.equals("cpu")) {
            throw new IllegalArgumentException("-D" + TLB_PROPERTY + "=" + v + ": expected 'virtual' or 'cpu'");
        }
        return v.equals("virtual") && Unicorn.hasVirtualTlb();
    }

    /** True if this CPU's TLB is filled from its address space's permissions. */
    public boolean virtualTlb() {
        return uc.virtualTlb();
    }

    /**
     * Track writes to this CPU's memory for transactions; {@code maxPages} bounds what one
     * transaction may log in the native tracker, whose ring has {@code historyPages} more slots
     * for a kept history. Returns the tracker, also attached to {@link #memory()}.
     */
    @Override
    public WriteTracker enableWriteTracking(TrackerKind kind, int maxPages, int historyPages) {
        if (tracker != null) {
            throw new IllegalStateException("write tracking already enabled");
        }
        if (kind == TrackerKind.PROTECTION && !protectionTrackerWorks()) {
            throw new IllegalStateException("the page-protection write tracker needs Unicorn 2.0.x: on "
                    + Unicorn.version() + " a store retried after its protection fault does not give the same memory"
                    + " as the other trackers (WriteTrackerTest); use NATIVE or STORE_HOOK");
        }
        if (kind != TrackerKind.NATIVE) {
            // the protection tracker relies on protection faults, which the fill hook would refuse
            uc.disableVirtualTlb();
        }
        tracker = kind == TrackerKind.PROTECTION
                ? new ProtectionWriteTracker(uc, ram)
                : new NativeWriteTracker(uc, maxPages, historyPages);
        space.setTracker(tracker);
        return tracker;
    }

    /** True if the loaded engine supports {@link TrackerKind#PROTECTION} (Unicorn before 2.1). */
    public static boolean protectionTrackerWorks() {
        return !Unicorn.hasVirtualTlb();
    }

    /** The write tracker, or null. */
    public WriteTracker tracker() {
        return tracker;
    }

    // ---- hooks and devices: what the kernel needs of the engine, without naming it ----

    /** Call {@code hook} before each instruction in [begin, end] (begin > end: every one; slow). */
    public CpuHook hookInstructions(long begin, long end, InstructionHook hook) {
        Unicorn.Hook h = uc.hookCode(begin, end, hook::onInstruction);
        return h::close;
    }

    public InstructionCount countInstructions() {
        Unicorn.Counter c = uc.countInstructions();
        return new InstructionCount() {
            @Override
            public long count() {
                return c.count();
            }

            @Override
            public void close() {
                c.close();
            }
        };
    }

    public Countdown stopAtInstruction(long n) {
        Unicorn.Countdown c = uc.stopAtInstruction(n);
        return new Countdown() {
            @Override
            public boolean reached() {
                return c.reached();
            }

            @Override
            public void close() {
                c.close();
            }
        };
    }

    public PageRecord recordDataPages() {
        Unicorn.PageSet p = uc.recordDataPages();
        return new PageRecord() {
            @Override
            public long[] pages() {
                return p.pages();
            }

            @Override
            public boolean full() {
                return p.full();
            }

            @Override
            public void close() {
                p.close();
            }
        };
    }

    /**
     * Call {@code hook} before each data access of {@code kinds} ({@link DataHook#READS} and/or
     * {@link DataHook#WRITES}) that starts in [begin, end].
     */
    public CpuHook hookData(int kinds, long begin, long end, DataHook hook) {
        Unicorn.Hook h = uc.hookMemAccess(kinds, begin, end, hook::onAccess);
        return h::close;
    }

    /** Drop the translations of code in [begin, end) (after it was written behind the engine's back). */
    public void dropTranslations(long begin, long end) {
        uc.removeCachedCode(begin, end);
    }

    /** Map {@code device}'s registers at {@code base} in this CPU. */
    public void mapDevice(Device device, long base) {
        device.mapInto(uc, base);
    }

    /**
     * The engine, for hw's own tests and tools (the kernel goes through the methods above).
     * Results staged by {@link #writeArgs} are written first.
     */
    public Unicorn engine() {
        return regs();
    }

    /** The engine, for a register access: what {@link #writeArgs} staged is written first. */
    protected final Unicorn regs() {
        if (runner.staged()) {
            runner.flush();
        }
        return uc;
    }

    /** Stage result registers 0..count-1 (the constructor's {@code resultIds}) for the next run. */
    protected final void stageResults(long[] in, int count) {
        registerVersion++;
        runner.stage(in, count);
    }

    /** After a syscall trap: the syscall's registers, read with the run, into {@link #args}. */
    protected final void takeSyscallArgs() {
        runner.read(args, args.length);
    }

    /**
     * Changes whenever the registers may have changed: a run, or a write through this class.
     * Lets a caller reuse registers it read while the version was unchanged.
     */
    public long registerVersion() {
        return registerVersion;
    }

    /**
     * Run from {@code pc} until a syscall trap, a fault, or a stop from another thread. After
     * {@link Exit#ECALL}, {@link #args()} holds the argument slots and [8] the resume PC; after
     * {@link Exit#STOPPED} the PC register holds the resume point.
     */
    public Exit run(long pc) {
        return run(pc, NO_UNTIL);
    }

    /** As {@link #run(long)}, but also stop (as {@link Exit#STOPPED}) when the PC reaches {@code until}. */
    public Exit run(long pc, long until) {
        registerVersion++;
        if (preemptByStop && !STOP_IS_PRECISE && !uc.exitChecksOff()) {
            installPreemptHook(); // the checks came back (a hook, the MMU off): stops are imprecise now
            preemptHookForChecks = true;
        } else if (preemptHookForChecks && uc.exitChecksOffWithout(preemptHook)) {
            // What brought the checks back went (a debugger's breakpoint, deleted): back to
            // precise stops without the block hook, and the code translated with the checks and
            // the hook dropped. Before, the hook stayed and kept the checks on for the engine's
            // life: a task that had stopped at a breakpoint then computed ~2x slower (session 47,
            // helper S's spin loop: 131 M against 273 M iterations in 4 s).
            preemptHook.close();
            preemptHook = null;
            preemptHookForChecks = false;
            synchronized (preemptLock) {
                preemptByStop = true; // (a request raised for the hook is lost: the next tick asks again)
            }
            dropCodeTranslations();
        }
        int err;
        if (until == NO_UNTIL) {
            err = uc.run(runner, pc, until);
        } else {
            uc.setExits(until);
            try {
                err = uc.run(runner, pc, until);
            } finally {
                uc.setExits();
            }
        }
        int intno = trap.intno();
        if (intno >= 0) {
            return onInterrupt(intno);
        }
        if (err == Unicorn.ERR_OK) {
            if (trap.preempted()) {
                // exact even where Unicorn left a stale PC (a code hook exists: see rw_block_hook)
                regs().regWrite(pcRegister(), trap.preemptPc());
            }
            return Exit.STOPPED;
        }
        int type = trap.memType();
        if (type != 0) {
            memFaultType = type;
            memFaultPcExact = trap.memSize() == -1;
            memFaultAddress = memFaultPcExact ? exactFaultAddress(type, trap.memAddress()) : trap.memAddress();
            return Exit.MEMORY_FAULT;
        }
        if (err == Unicorn.ERR_FETCH_UNMAPPED && uc.virtualTlb()) {
            // the MMU lets unmapped fetches through to Unicorn, which stops with the PC at the target
            memFaultType = Unicorn.MEM_FETCH_UNMAPPED;
            memFaultPcExact = true;
            memFaultAddress = pc();
            return Exit.MEMORY_FAULT;
        }
        return onEngineError(err);
    }

    /** Unicorn's id of the PC register. */
    protected abstract int pcRegister();

    /**
     * The interrupt hook stopped the run with exception number {@code intno}: return
     * {@link Exit#ECALL} with {@link #args} filled, or {@link Exit#EXCEPTION} with
     * {@link #exceptionCause} (a {@link Cause}) and {@link #exceptionPc} set.
     */
    protected abstract Exit onInterrupt(int intno);

    /** The run ended with engine error {@code err} and no trap recorded: set the exception and return it. */
    protected abstract Exit onEngineError(int err);

    /**
     * The MMU refused an access to {@code page}: it knows only the page, but the PC is exact
     * (Unicorn restores it before a fill), so the address is the faulting instruction's own:
     * the PC for a fetch, else the effective address decoded from the instruction and the
     * registers, where it lies in that page (an access straddling into it: the page).
     */
    protected long exactFaultAddress(int type, long page) {
        long pc = pc();
        if (type == Unicorn.MEM_FETCH_UNMAPPED || type == Unicorn.MEM_FETCH_PROT) {
            return (pc & -AddressSpace.PAGE) == page ? pc : page;
        }
        long[] regs = new long[Arch.REGISTERS];
        readAll(regs);
        FaultLocator.Access a = accessAt(pc, regs);
        if (a != null && (a.address() & -AddressSpace.PAGE) == page) {
            return a.address();
        }
        return page;
    }

    /** After {@link Exit#ECALL}: the argument slots in [0..7] (see {@link Arch}), the resume PC in [8]. Owned by the CPU. */
    public long[] args() {
        return args;
    }

    /**
     * End the current run at once. Safe from any thread; a no-op when the CPU is not running.
     * Unicorn 2.0.1 may end the run in the middle of a block and leave the PC at the block's
     * start (the block's first instructions then run twice on resume), so use this only when
     * the task will not simply resume: it faults, is aborted or restarted, or the run ends.
     * To preempt a task that will resume, use {@link #requestPreempt()}.
     */
    public void stop() {
        uc.stop();
    }

    /**
     * Make this CPU preemptible precisely. While its engine runs without the per-access exit
     * checks ({@link Unicorn#exitChecksOff}) that costs nothing: Unicorn 2.1's asynchronous stop
     * then takes effect only at a block's start, with nothing of the block run and the PC there.
     * Otherwise it installs the block hook that honours {@link #requestPreempt()} (a few ns per
     * executed block): with the checks on, a stop may also take effect at a check inside a block,
     * and that is where the one imprecision of stopping on 2.1 was seen ({@link #STOP_IS_PRECISE}).
     * If the checks come back later (a hook, the MMU off), the next run switches to the hook.
     * Call before the CPU runs.
     */
    public void enablePreemption() {
        if (STOP_IS_PRECISE || (preemptHook == null && uc.exitChecksOff())) {
            preemptByStop = true;
        } else {
            installPreemptHook();
        }
    }

    private void installPreemptHook() {
        synchronized (preemptLock) {
            preemptByStop = false; // (a request from now on raises the flag the hook reads)
        }
        if (preemptHook == null) {
            preemptHook = uc.hookPreemptNative(trap);
            dropCodeTranslations();
        }
    }

    /**
     * Preemption by uc_emu_stop even where the engine keeps its per-access exit checks
     * ({@code -Drewind.preempt=stop}, Unicorn 2.1; for measurements). Not the default there: a
     * shadowed tty driver (which keeps the checks for its device window) killed mid-request then
     * echoed different content in 5 of 6 `rewind survival` runs (0 of 4 with the block hook), not
     * understood; a loop of loads and stores preempted ~100 times came out exact
     * (RiscvExitCheckTest).
     */
    static final boolean STOP_IS_PRECISE =
            Unicorn.versionNumber() >= 0x02010000 && "stop".equals(System.getProperty("rewind.preempt"));

    /** Preemption by uc_emu_stop (2.1), instead of the block hook. */
    private volatile boolean preemptByStop;

    /** True while preemption is by uc_emu_stop, not by the block hook (for tests). */
    boolean preemptsByStop() {
        return preemptByStop;
    }
    /** Orders {@link #requestPreempt()}'s stop against the switch to the block hook. */
    private final Object preemptLock = new Object();

    /**
     * The same as {@link #enablePreemption()}, which never does a full translation flush
     * (uc_ctl TB_FLUSH takes about a second in Unicorn 2.0.1) but drops only the translations of
     * this CPU's executable pages. The name says so at the debugger's call sites.
     */
    public void enablePreemptionDroppingCode() {
        enablePreemption(); // it drops only this CPU's code pages already
    }

    /** Drop the translations of every executable page (after code hooks were added or removed). */
    public void dropCodeTranslations() {
        for (dev.rewind.hw.mem.Region r : space.regions()) {
            if ((r.perms() & dev.rewind.hw.mem.Perm.EXEC) != 0) {
                for (long a = r.vaddr(); a < r.end(); a += AddressSpace.PAGE) {
                    uc.removeCachedCode(a, a + AddressSpace.PAGE);
                }
            }
        }
    }

    /** Remove the block hook again (full speed; only the imprecise {@link #stop()} remains). */
    public void disablePreemption() {
        synchronized (preemptLock) {
            preemptByStop = false;
        }
        if (preemptHook != null) {
            preemptHook.close();
            preemptHook = null;
            dropCodeTranslations();
        }
        preemptHookForChecks = false;
    }

    /** True while {@link #enablePreemption()} is in effect (by the block hook or by stop). */
    public boolean preemptible() {
        return preemptHook != null || preemptByStop;
    }

    /**
     * Ask the CPU to stop at the start of its next block, where the PC is exact: the run then
     * returns {@link Exit#STOPPED}. Safe from any thread. Only a CPU with
     * {@link #enablePreemption()} honours it.
     */
    public void requestPreempt() {
        if (preemptByStop) {
            synchronized (preemptLock) {
                if (preemptByStop) {
                    uc.stop(); // a no-op if the CPU is not running: the next tick asks again
                    return;
                }
            }
        }
        trap.requestPreempt();
    }

    /** Withdraw a preemption request (at the start of a new time slice). */
    public void clearPreempt() {
        trap.clearPreempt();
    }

    public int exceptionCause() {
        return exceptionCause;
    }

    public long exceptionPc() {
        return exceptionPc;
    }

    /** One of Unicorn.MEM_* (READ/WRITE/FETCH, UNMAPPED/PROT). */
    public int memFaultType() {
        return memFaultType;
    }

    public long memFaultAddress() {
        return memFaultAddress;
    }

    /**
     * True if the PC after the last {@link Exit#MEMORY_FAULT} is the faulting instruction's own
     * (the MMU's fill hook refused the access: Unicorn restores the PC before a fill); false
     * where Unicorn 2.0.1's invalid-memory hook ended the run, whose PC may be stale.
     */
    public boolean memFaultPcExact() {
        return memFaultPcExact;
    }

    // ---- registers: the architecture's --------------------------------------------------------

    public long pc() {
        return regs().regRead(pcRegister());
    }

    public void setPc(long pc) {
        registerVersion++;
        regs().regWrite(pcRegister(), pc);
    }

    @Override
    public void close() {
        runner.discard();
        try {
            if (tracker != null) {
                tracker.close();
            }
            space.close();
        } finally {
            uc.close();
        }
    }
}
