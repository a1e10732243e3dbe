package dev.rewind.kernel;

import dev.rewind.hw.cpu.FaultLocator;
import dev.rewind.hw.cpu.RiscvCpu;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.unicorn.Unicorn;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel side of a debugger: halts the system between slices and at breakpoints,
 * watchpoints, single steps and faults, and gives access to the tasks while it is halted.
 *
 * <p><b>Synchronization.</b> One lock and one condition. The kernel thread calls
 * {@link #pickNext()} between slices and {@link #faulted} before recovering from a fault; when
 * a stop is due (a hook fired in the last slice, a single step completed, a halt was
 * requested) it records the stop, tells the listener and waits on the condition until the
 * debugger resumes it. While it waits no task runs, so the debugger thread may read and write
 * task registers and memory under the lock (every such method checks {@code halted} under the
 * lock, and the kernel cannot leave the wait without the lock). Ctrl-C from the debugger sets
 * the volatile {@code haltRequested} flag and asks the running CPU to stop at its next block
 * (every task's CPU is made preemptible, as Unicorn's asynchronous stop can leave the PC behind
 * instructions already run), so the slice ends at once (or, if the request raced with the
 * start of a slice, at the end of its quantum).
 *
 * <p><b>Breakpoints and watchpoints</b> never patch guest memory. The debugger thread only
 * edits an immutable {@link Points} snapshot; the kernel thread brings each task's engine up to
 * date just before the task runs: a code hook on each breakpoint address that stops the engine
 * before the instruction, a data hook over each watched range, and for a single step a code
 * hook on every address that stops before the second instruction. A code hook only affects
 * newly translated code (and a deleted one is still called from old translations), so each
 * change of code hooks is followed by dropping the translations of that task's code pages.
 *
 * <p>Unicorn 2.0.1 facts this relies on (DebugHooksTest): a stop from a code hook leaves the
 * PC at the hooked instruction, not executed. A stop from a data hook ends the run right after
 * a store completes, or just before a load's result is written, but leaves the PC at the start
 * of the translation block; the hook therefore locates the accessing instruction
 * ({@link FaultLocator}, from the registers at the hook), and the stop puts the task back
 * before it: at the load, or at the store with the bytes it overwrote restored (the hook saw
 * them before the store), so the instruction runs again when the task resumes.
 */
public final class KernelDebugger implements DebugTarget {
    private static final Logger log = LoggerFactory.getLogger(KernelDebugger.class);
    static final int MAX_BREAKPOINTS = 1024;
    static final int MAX_WATCHPOINTS = 64;
    static final long MAX_WATCH_LENGTH = 1 << 16;

    /** A watched range. */
    record Watch(WatchKind kind, long address, long length) {}

    /** Breakpoints, watchpoints and scope; replaced whole on every change. */
    record Points(List<Long> breakpoints, List<Watch> watches, List<String> scope, int version) {
        static final Points EMPTY = new Points(List.of(), List.of(), List.of(), 0);

        boolean empty() {
            return breakpoints.isEmpty() && watches.isEmpty();
        }
    }

    /**
     * A watchpoint hit: where the task resumes, and for a store that already happened, the
     * bytes it overwrote (restored so that the store runs again on resume), or null.
     */
    private record WatchHit(Watch watch, long address, long hookPc, long resumePc, long oldAddress, byte[] oldBytes) {}

    /** A set of hooks installed together; its callbacks do nothing once it is retired. */
    private static final class HookSet {
        boolean active = true;
        final List<Unicorn.Hook> hooks = new ArrayList<>();
    }

    /** The debug hooks installed in one task's engine, and what they saw in the last slice. */
    private static final class EngineHooks {
        final RiscvCpu cpu;
        int version = -1;
        /** Breakpoint and watchpoint hooks for {@link #version}, or null. */
        HookSet points;
        HookSet step;
        /**
         * Every hook ever added to this engine. Unicorn 2.0.1 keeps calling a deleted code hook
         * from translations made while it existed, so callbacks stay reachable (and check
         * their set's {@code active} flag) until the engine is closed.
         */
        final List<HookSet> retired = new ArrayList<>();
        /** The step request the step hook counts for. */
        long stepSerial;
        int stepCount;
        boolean stepDone;
        boolean bpHit;
        long bpAddress;
        WatchHit watchHit;

        EngineHooks(RiscvCpu cpu) {
            this.cpu = cpu;
        }

        void clearHits() {
            stepDone = false;
            bpHit = false;
            watchHit = null;
        }
    }

    private final Kernel k;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();

    // guarded by lock
    private Listener listener;
    private boolean halted;
    private boolean resumeRequested;
    private StopEvent stop;
    private Task faultTask;
    private long faultPc;

    private volatile boolean attached;
    private volatile boolean haltRequested;
    private volatile StopKind haltKind = StopKind.INTERRUPTED;
    private volatile boolean killed;
    /** The CPU of the slice in progress, for interrupt(). */
    private volatile RiscvCpu running;
    private volatile Task stepTask;
    /** Counts step requests, so that each starts counting instructions afresh. */
    private volatile long stepSerial;
    private volatile Points points = Points.EMPTY;

    // kernel thread only
    private boolean waitForDebugger;
    private Task lastRun;
    private final Map<Task, EngineHooks> hooks = new IdentityHashMap<>();

    /**
     * Attach to {@code kernel} (before {@link Kernel#run()}). With {@code waitForDebugger} the
     * system stops before its first instruction until a debugger attaches and resumes it.
     */
    public KernelDebugger(Kernel kernel, boolean waitForDebugger) {
        this.k = kernel;
        this.waitForDebugger = waitForDebugger;
        kernel.debugger = this;
    }

    // ---- called by the kernel thread -------------------------------------------------------

    /** The run loop's choice of the next task; stops here first if a stop is due. */
    Task pickNext() {
        Task last = lastRun;
        lastRun = null;
        running = null;
        StopEvent ev = last != null ? collect(last) : null;
        Task step = stepTask;
        if (ev == null && step != null && !live(step)) {
            Task other = firstLive();
            stepTask = null;
            if (other != null) {
                ev = new StopEvent(StopKind.STEPPED, id(other), SIGTRAP, "task " + step + " ended during the step");
            }
        }
        boolean force = false;
        if (ev == null && waitForDebugger) {
            waitForDebugger = false;
            Task first = firstLive();
            if (first != null) {
                ev = new StopEvent(StopKind.ATTACHED, id(first), SIGTRAP, "waiting for the debugger before the first instruction");
                force = true;
            }
        }
        if (ev == null && haltRequested) {
            Task who = last != null && live(last) ? last : firstLive();
            StopKind kind = haltKind;
            if (who != null) {
                ev = new StopEvent(kind, id(who), kind == StopKind.ATTACHED ? SIGTRAP : SIGINT,
                        kind == StopKind.ATTACHED ? "debugger attached" : "interrupted");
            } else {
                haltRequested = false;
            }
        }
        if (ev != null) {
            halt(ev, null, 0, force);
        }
        if (killed) {
            return null;
        }
        Task t = null;
        step = stepTask;
        if (step != null && step.state == TaskState.READY) {
            k.scheduler.remove(step);
            t = step;
        } else {
            t = k.scheduler.pickNext();
        }
        if (t != null && t.cpu != null) {
            sync(t);
            lastRun = t;
            running = t.cpu;
        }
        return t;
    }

    /** Before recovery from {@code f}: report it as a stop and wait while the debugger looks. */
    void faulted(Task t, Fault f) {
        EngineHooks h = hooks.get(t);
        if (h != null) {
            h.clearHits();
        }
        if (!attached || killed || t.cpu == null) {
            return;
        }
        halt(new StopEvent(StopKind.FAULTED, id(t), signalOf(f.kind()), "task " + t + " faulted: " + f), t, f.pc(), false);
    }

    static int signalOf(FaultKind kind) {
        return switch (kind) {
            case ILLEGAL_INSTRUCTION -> SIGILL;
            case MISALIGNED_FETCH, MISALIGNED_ACCESS -> SIGBUS;
            case UNMAPPED_READ, UNMAPPED_WRITE, UNMAPPED_FETCH, PROTECTED_READ, PROTECTED_WRITE, PROTECTED_FETCH,
                    STACK_OVERFLOW, PAGE_FAULT_FETCH, PAGE_FAULT_READ, PAGE_FAULT_WRITE,
                    ACCESS_FAULT_FETCH, ACCESS_FAULT_READ, ACCESS_FAULT_WRITE -> SIGSEGV;
            case BREAKPOINT -> SIGTRAP;
            case RUNAWAY, DEADLINE -> SIGXCPU;
            default -> SIGABRT;
        };
    }

    /** Record the stop, tell the debugger, and wait until it resumes the system. */
    private void halt(StopEvent ev, Task ft, long fpc, boolean force) {
        lock.lock();
        try {
            haltRequested = false;
            stepTask = null; // any stop ends the step or continue that was running
            if (killed || (!attached && !force)) {
                return;
            }
            stop = ev;
            faultTask = ft;
            faultPc = fpc;
            halted = true;
            resumeRequested = false;
            Listener l = listener;
            if (l != null && attached) {
                try {
                    l.stopped(ev);
                } catch (RuntimeException e) {
                    log.warn("debugger listener failed", e);
                }
            }
            while (!resumeRequested) {
                wake.awaitUninterruptibly();
            }
            halted = false;
            resumeRequested = false;
            stop = null;
            faultTask = null;
        } finally {
            lock.unlock();
        }
    }

    /** What the hooks of {@code t}'s engine saw in its last slice, as a stop event or null. */
    private StopEvent collect(Task t) {
        EngineHooks h = hooks.get(t);
        if (h == null) {
            return null;
        }
        if (h.cpu != t.cpu) {
            hooks.remove(t); // restarted or ended: the old engine is closed, its hooks with it
            return null;
        }
        StopEvent ev = null;
        if (h.watchHit != null) {
            WatchHit w = h.watchHit;
            if (t.state == TaskState.READY && t.pc == w.hookPc()) {
                if (w.oldBytes() != null) {
                    t.cpu.memory().write(w.oldAddress(), w.oldBytes(), 0, w.oldBytes().length, Perm.NONE);
                }
                t.pc = w.resumePc();
            }
            ev = new StopEvent(StopKind.WATCHPOINT, id(t), SIGTRAP, w.watch().kind(), w.address(),
                    String.format("watchpoint at 0x%x", w.address()));
        } else if (h.bpHit) {
            ev = new StopEvent(StopKind.BREAKPOINT, id(t), SIGTRAP, String.format("breakpoint at 0x%x", h.bpAddress));
        } else if (h.stepDone) {
            ev = new StopEvent(StopKind.STEPPED, id(t), SIGTRAP, "step");
        }
        h.clearHits();
        return ev;
    }

    /** Bring {@code t}'s engine's debug hooks up to date with the breakpoints and the step. */
    private void sync(Task t) {
        EngineHooks h = hooks.get(t);
        if (h == null || h.cpu != t.cpu) {
            h = new EngineHooks(t.cpu);
            hooks.put(t, h);
        }
        if (!t.cpu.preemptible()) {
            t.cpu.enablePreemptionDroppingCode(); // so that interrupt() stops it precisely
        }
        Unicorn uc = t.cpu.engine();
        Points p = points;
        boolean invalidate = false;
        if (h.version != p.version()) {
            if (h.points != null) {
                retire(h, h.points);
                invalidate = true;
                h.points = null;
            }
            if (inScope(t, p) && !p.empty()) {
                EngineHooks eh = h;
                HookSet set = new HookSet();
                h.points = set;
                for (long a : p.breakpoints()) {
                    set.hooks.add(uc.hookCode(a, a, (addr, size) -> {
                        if (set.active) {
                            onBreakpoint(eh, addr);
                        }
                    }));
                }
                for (Watch w : p.watches()) {
                    int types = switch (w.kind()) {
                        case WRITE -> Unicorn.HOOK_DATA_WRITE;
                        case READ -> Unicorn.HOOK_DATA_READ;
                        case ACCESS -> Unicorn.HOOK_DATA_READ | Unicorn.HOOK_DATA_WRITE;
                    };
                    // a hook sees accesses that start in its range: begin 7 bytes early
                    long begin = Long.compareUnsigned(w.address(), 7) < 0 ? 0 : w.address() - 7;
                    set.hooks.add(uc.hookMemAccess(types, begin, w.address() + w.length() - 1, (type, addr, size, v) -> {
                        if (set.active) {
                            onAccess(eh, w, type, addr, size);
                        }
                    }));
                }
                invalidate |= !p.breakpoints().isEmpty();
            }
            h.version = p.version();
        }
        boolean wantStep = stepTask == t;
        if (wantStep && h.stepSerial != stepSerial) {
            h.stepSerial = stepSerial;
            h.stepCount = 0;
            h.stepDone = false;
        }
        if (wantStep && h.step == null) {
            EngineHooks eh = h;
            HookSet set = new HookSet();
            h.step = set;
            set.hooks.add(uc.hookCode(1, 0, (addr, size) -> {
                if (set.active) {
                    onStep(eh);
                }
            }));
            invalidate = true;
        } else if (!wantStep && h.step != null) {
            retire(h, h.step);
            h.step = null;
            invalidate = true;
        }
        if (invalidate) {
            t.cpu.dropCodeTranslations(); // a full flush costs about a second in Unicorn 2.0.1
        }
    }

    private static void retire(EngineHooks h, HookSet set) {
        set.active = false;
        for (Unicorn.Hook x : set.hooks) {
            x.close();
        }
        h.retired.add(set);
    }

    // hooks: called by Unicorn on the kernel thread, inside a run

    private static void onBreakpoint(EngineHooks h, long addr) {
        if (!h.bpHit) {
            h.bpHit = true;
            h.bpAddress = addr;
        }
        h.cpu.stop();
    }

    private static void onStep(EngineHooks h) {
        if (h.stepCount++ >= 1) {
            h.stepDone = true;
            h.cpu.stop();
        }
    }

    private static void onAccess(EngineHooks h, Watch w, int type, long addr, int size) {
        if (h.watchHit != null) {
            return;
        }
        // the access [addr, addr+size) must overlap the watched range
        if (Long.compareUnsigned(addr - w.address(), w.length()) >= 0 && Long.compareUnsigned(w.address() - addr, size) >= 0) {
            return;
        }
        boolean write = type == Unicorn.ACCESS_WRITE;
        if ((w.kind() == WatchKind.WRITE && !write) || (w.kind() == WatchKind.READ && write)) {
            return;
        }
        long[] regs = new long[33];
        h.cpu.readAll(regs);
        long hookPc = regs[32];
        long at = FaultLocator.locate(h.cpu.memory(), hookPc, regs, addr, write);
        long resume = at;
        byte[] old = null;
        if (write) {
            // The store will have happened when the run ends. Keep the bytes it overwrites, so
            // the stop can be reported before the store (as gdb expects of RISC-V watchpoints:
            // it steps over the instruction itself); if they cannot be read, resume after it.
            old = new byte[Math.max(0, Math.min(size, 16))];
            if (!h.cpu.memory().read(addr, old, 0, old.length)) {
                old = null;
                resume = at + insnLength(h.cpu.memory(), at);
            }
        }
        long hitAddress = Long.compareUnsigned(addr, w.address()) < 0 ? w.address() : addr;
        h.watchHit = new WatchHit(w, hitAddress, hookPc, resume, addr, old);
        h.cpu.stop();
    }

    private static int insnLength(AddressSpace mem, long pc) {
        if (mem.translate(pc, 2, Perm.EXEC) < 0) {
            return 4;
        }
        return (mem.load(pc, 2, Perm.EXEC) & 3) == 3 ? 4 : 2;
    }

    // ---- DebugTarget: called by the debugger thread ----------------------------------------

    @Override
    public void attach(Listener l) {
        RiscvCpu c = null;
        lock.lock();
        try {
            listener = l;
            attached = true;
            c = haltLocked(StopKind.ATTACHED);
        } finally {
            lock.unlock();
        }
        if (c != null) {
            c.requestPreempt(); // stops at the next block boundary, where the PC is exact
        }
    }

    /**
     * With the lock held: ask the kernel to halt (unless it is halted or killed) and return
     * the running CPU, which the caller preempts after unlocking, or null.
     */
    private RiscvCpu haltLocked(StopKind kind) {
        if (halted || killed) {
            return null;
        }
        haltKind = kind;
        haltRequested = true;
        return running;
    }

    @Override
    public void detach() {
        lock.lock();
        try {
            attached = false;
            listener = null;
            points = new Points(List.of(), List.of(), List.of(), points.version() + 1);
            stepTask = null;
            haltRequested = false;
            if (halted) {
                resumeRequested = true;
                wake.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean halted() {
        lock.lock();
        try {
            return halted;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public StopEvent currentStop() {
        lock.lock();
        try {
            return halted ? stop : null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void interrupt() {
        RiscvCpu c;
        lock.lock();
        try {
            c = haltLocked(StopKind.INTERRUPTED);
        } finally {
            lock.unlock();
        }
        if (c != null) {
            c.requestPreempt(); // stops at the next block boundary, where the PC is exact
        }
    }

    @Override
    public void resume() {
        lock.lock();
        try {
            requireHalted();
            stepTask = null;
            resumeRequested = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void step(int thread) {
        lock.lock();
        try {
            requireHalted();
            stepTask = task(thread);
            stepSerial++;
            resumeRequested = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void kill() {
        RiscvCpu c = null;
        lock.lock();
        try {
            killed = true;
            attached = false;
            listener = null;
            points = new Points(List.of(), List.of(), List.of(), points.version() + 1);
            stepTask = null;
            if (halted) {
                resumeRequested = true;
                wake.signalAll();
            } else {
                c = running;
            }
        } finally {
            lock.unlock();
        }
        if (c != null) {
            c.requestPreempt(); // stops at the next block boundary, where the PC is exact
        }
    }

    @Override
    public boolean killed() {
        return killed;
    }

    @Override
    public List<ThreadInfo> threads() {
        lock.lock();
        try {
            requireHalted();
            List<ThreadInfo> out = new ArrayList<>();
            for (Task t : k.tasks) {
                if (live(t)) {
                    String state = t == faultTask ? "faulted" : t.state.name().toLowerCase(Locale.ROOT);
                    out.add(new ThreadInfo(id(t), t.name(), t.generation, state, t.spec.image(), pcOf(t)));
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long[] readRegisters(int thread) {
        lock.lock();
        try {
            requireHalted();
            Task t = task(thread);
            long[] r = new long[REGISTER_COUNT];
            t.cpu.readAll(r);
            for (int i = 0; i < t.resultCount; i++) {
                r[RiscvCpu.A0 + i] = t.result[i]; // a pending syscall result, written when it runs
            }
            r[PC] = pcOf(t);
            return r;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void writeRegisters(int thread, long[] values) {
        lock.lock();
        try {
            requireHalted();
            Task t = task(thread);
            for (int i = 1; i < Math.min(values.length, REGISTER_COUNT); i++) {
                setRegister(t, i, values[i]);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long readRegister(int thread, int reg) {
        checkRegister(reg);
        return readRegisters(thread)[reg];
    }

    @Override
    public void writeRegister(int thread, int reg, long value) {
        checkRegister(reg);
        lock.lock();
        try {
            requireHalted();
            setRegister(task(thread), reg, value);
        } finally {
            lock.unlock();
        }
    }

    private static void checkRegister(int reg) {
        if (reg < 0 || reg >= REGISTER_COUNT) {
            throw new IllegalArgumentException("no register " + reg);
        }
    }

    private void setRegister(Task t, int reg, long value) {
        if (reg == 0) {
            return;
        }
        if (reg == PC) {
            if (t == faultTask) {
                faultPc = value; // shown until the debugger resumes; recovery decides where it goes on
            } else {
                t.pc = value;
            }
            return;
        }
        t.cpu.setReg(reg, value);
        int a = reg - RiscvCpu.A0;
        if (a >= 0 && a < t.resultCount) {
            t.result[a] = value;
        }
    }

    @Override
    public int readMemory(int thread, long address, byte[] dst) {
        lock.lock();
        try {
            requireHalted();
            AddressSpace space = task(thread).cpu.memory();
            int done = 0;
            while (done < dst.length) {
                long a = address + done;
                int chunk = (int) Math.min(dst.length - done, AddressSpace.PAGE - (a & (AddressSpace.PAGE - 1)));
                if (!space.read(a, dst, done, chunk)) {
                    break;
                }
                done += chunk;
            }
            return done;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean writeMemory(int thread, long address, byte[] src) {
        lock.lock();
        try {
            requireHalted();
            RiscvCpu cpu = task(thread).cpu;
            if (src.length == 0) {
                return cpu.memory().check(address, 0, Perm.NONE);
            }
            if (!cpu.memory().write(address, src, 0, src.length, Perm.NONE)) {
                return false;
            }
            cpu.engine().removeCachedCode(address, address + src.length); // it may have been code
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean insertBreakpoint(long address) {
        lock.lock();
        try {
            requireHalted();
            Points p = points;
            if (p.breakpoints().contains(address)) {
                return true;
            }
            if (p.breakpoints().size() >= MAX_BREAKPOINTS) {
                return false;
            }
            List<Long> b = new ArrayList<>(p.breakpoints());
            b.add(address);
            points = new Points(List.copyOf(b), p.watches(), p.scope(), p.version() + 1);
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean removeBreakpoint(long address) {
        lock.lock();
        try {
            requireHalted();
            Points p = points;
            if (p.breakpoints().contains(address)) {
                List<Long> b = new ArrayList<>(p.breakpoints());
                b.remove(Long.valueOf(address));
                points = new Points(List.copyOf(b), p.watches(), p.scope(), p.version() + 1);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean insertWatchpoint(WatchKind kind, long address, long length) {
        if (kind == null || length <= 0 || length > MAX_WATCH_LENGTH || address + length - 1 < address) {
            return false;
        }
        lock.lock();
        try {
            requireHalted();
            Points p = points;
            Watch w = new Watch(kind, address, length);
            if (p.watches().contains(w)) {
                return true;
            }
            if (p.watches().size() >= MAX_WATCHPOINTS) {
                return false;
            }
            List<Watch> ws = new ArrayList<>(p.watches());
            ws.add(w);
            points = new Points(p.breakpoints(), List.copyOf(ws), p.scope(), p.version() + 1);
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean removeWatchpoint(WatchKind kind, long address, long length) {
        lock.lock();
        try {
            requireHalted();
            Points p = points;
            Watch w = new Watch(kind, address, length);
            if (p.watches().contains(w)) {
                List<Watch> ws = new ArrayList<>(p.watches());
                ws.remove(w);
                points = new Points(p.breakpoints(), List.copyOf(ws), p.scope(), p.version() + 1);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void setScope(List<String> names) {
        lock.lock();
        try {
            requireHalted();
            for (String n : names) {
                boolean known = false;
                for (Task t : k.tasks) {
                    known |= t.name().equals(n) || t.spec.image().equals(n);
                }
                if (!known) {
                    throw new IllegalArgumentException("no task or image named '" + n + "'");
                }
            }
            Points p = points;
            points = new Points(p.breakpoints(), p.watches(), List.copyOf(names), p.version() + 1);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<String> scope() {
        return points.scope();
    }

    // ---- helpers ---------------------------------------------------------------------------

    private void requireHalted() {
        if (!halted) {
            throw new IllegalStateException("the system is running");
        }
    }

    /** The live task with thread id {@code thread}. Call with the lock held, halted. */
    private Task task(int thread) {
        int i = thread - 1;
        if (i < 0 || i >= k.tasks.size() || !live(k.tasks.get(i))) {
            throw new IllegalArgumentException("no thread " + thread);
        }
        return k.tasks.get(i);
    }

    private long pcOf(Task t) {
        return t == faultTask ? faultPc : t.pc;
    }

    private static boolean live(Task t) {
        return t.cpu != null && t.state.alive();
    }

    private Task firstLive() {
        for (Task t : k.tasks) {
            if (live(t)) {
                return t;
            }
        }
        return null;
    }

    private static boolean inScope(Task t, Points p) {
        return p.scope().isEmpty() || p.scope().contains(t.name()) || p.scope().contains(t.spec.image());
    }

    private static int id(Task t) {
        return t.index + 1;
    }
}
