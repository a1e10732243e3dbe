package dev.rewind.kernel;

import dev.rewind.hw.cpu.FaultLocator;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.RiscvCpu;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.hw.cpu.DataHook;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
    record Points(List<Long> breakpoints, List<Watch> watches, List<String> scope, int version,
            Map<Integer, List<Long>> own) {
        static final Points EMPTY = new Points(List.of(), List.of(), List.of(), 0, Map.of());

        boolean empty() {
            return breakpoints.isEmpty() && watches.isEmpty();
        }

        /** The breakpoints of thread {@code id} alone (a process's own, from gdb's multiprocess). */
        List<Long> ownOf(int id) {
            return own.getOrDefault(id, List.of());
        }

        /** A breakpoint at {@code pc} applies to thread {@code id}. */
        boolean breaksAt(int id, long pc) {
            return breakpoints.contains(pc) || ownOf(id).contains(pc);
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
        final List<CpuHook> hooks = new ArrayList<>();
    }

    /** The debug hooks installed in one task's engine, and what they saw in the last slice. */
    private static final class EngineHooks {
        final Cpu cpu;
        int version = -1;
        /** Whether the points of {@link #version} are installed (the task is in scope). */
        boolean installed;
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

        EngineHooks(Cpu cpu) {
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
    /** The fault stop is really a breakpoint (a fetch from a breakpoint address). */
    private boolean faultTrap;
    /** The debugger changed the faulted task's registers at the fault stop. */
    private boolean faultRegsChanged;
    /** How the debugger resumed from the last stop: deliver the fault to recovery. */
    private boolean deliverFault = true;

    private volatile boolean attached;
    private volatile boolean haltRequested;
    private volatile StopKind haltKind = StopKind.INTERRUPTED;
    private volatile boolean killed;
    /** The CPU of the slice in progress, for interrupt(). */
    private volatile Cpu running;
    /**
     * What each task (by index) does since the last resume; tasks past its end continue.
     * Replaced whole on every resume.
     */
    private volatile Action[] actions = new Action[0];
    /** The tasks (by index) the last resume named explicitly; replaced with {@link #actions}. */
    private volatile boolean[] namedThreads = new boolean[0];
    /** Counts resumes, so that each step starts counting instructions afresh. */
    private volatile long stepSerial;
    private volatile Points points = Points.EMPTY;

    // kernel thread only
    private boolean waitForDebugger;
    private Task lastRun;
    private final Map<Task, EngineHooks> hooks = new IdentityHashMap<>();
    /** The last pick found only frozen tasks able to run: the system waits for the debugger. */
    private boolean holding;
    /** A task whose fault went to recovery while it was stepped alone: stop once recovered. */
    private Task recovered;
    /** Reverse-execution histories of the tasks the debugger resumed by name (see {@link ReverseExecution}). */
    private final Map<Task, ReverseExecution.History> histories = new IdentityHashMap<>();
    /** Halt when one of these tasks (thread ids) ends during a resume ({@link #reportTaskEnds}). Guarded by lock. */
    private java.util.Set<Integer> reportEnds = java.util.Set.of();
    /**
     * The tasks (by index) whose end the next halt may report: those live when the last resume
     * began and not reported since. Guarded by lock.
     */
    private volatile boolean[] watchEnds = new boolean[0];
    /** The run is over ({@link #systemEnded()}): the final state stays readable. */
    private volatile boolean over;
    /** How far back (instructions) a task that serves no endpoint can run; 0: no limit. */
    private volatile long reverseWindow = Long.getLong("rewind.reverse.window", 0L);
    /** A reverse request from the debugger (thread id, or 0 for none), guarded by lock. */
    private int reverseThread;
    private boolean reverseStep;

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

    /**
     * The run loop's choice of the next task; stops here first if a stop is due. Null with
     * {@link #holding()} true: only tasks the debugger keeps frozen could run (the call has
     * waited a little for the debugger; the run loop asks again).
     */
    Task pickNext() {
        Task last = lastRun;
        lastRun = null;
        running = null;
        holding = false;
        StopEvent ev = last != null ? collect(last) : null;
        if (ev == null && watchEnds.length > 0) {
            ev = taskEnded();
        }
        if (ev == null) {
            ev = stepEnded();
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
            Task who = last != null && live(last) && action(last) != Action.STOP ? last : firstResumed();
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
        for (Task x : k.tasks) {
            if (action(x) == Action.STEP && x.state == TaskState.READY && x.cpu != null) {
                k.scheduler.remove(x); // a stepped task goes first, so that the step ends soon
                t = x;
                break;
            }
        }
        if (t == null) {
            List<Task> frozen = null;
            while ((t = k.scheduler.pickNext()) != null && action(t) == Action.STOP) {
                if (frozen == null) {
                    frozen = new ArrayList<>();
                }
                frozen.add(t);
            }
            if (frozen != null) {
                for (Task f : frozen) {
                    k.scheduler.enqueue(f); // back in the queue, in order, for a later resume
                }
            }
        }
        if (t == null && anyFrozen()) {
            holding = true;
            awaitDebugger();
            return null;
        }
        if (t != null && t.cpu != null) {
            sync(t);
            record(t, t.pc);
            lastRun = t;
            running = t.cpu;
        }
        return t;
    }

    /** True when the last {@link #pickNext()} returned null only because the debugger holds tasks. */
    boolean holding() {
        return holding;
    }

    /** Wait up to 10 ms for the debugger (a halt request or a kill); that time is not run time. */
    private void awaitDebugger() {
        long t0 = System.nanoTime();
        lock.lock();
        try {
            if (!haltRequested && !killed && attached) {
                wake.await(10, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        k.debuggerHeld(System.nanoTime() - t0);
    }

    /**
     * A stop for a task that ended since the resume began (reported once), or null. A halt
     * request (attach, Ctrl-C) that came first is reported first: the end waits for the next
     * resume, when the debugger learns of it from the thread's state.
     */
    private StopEvent taskEnded() {
        lock.lock();
        try {
            if (haltRequested || !attached) {
                return null;
            }
            boolean[] w = watchEnds;
            for (int i = 0; i < w.length && i < k.tasks.size(); i++) {
                Task t = k.tasks.get(i);
                if (w[i] && !live(t)) {
                    w[i] = false;
                    if (recovered == t) {
                        recovered = null; // its step ends with its end
                    }
                    return endEvent(t);
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** How the ended task {@code t} ended, as a stop event. */
    private StopEvent endEvent(Task t) {
        if (t.state == TaskState.EXITED) {
            return new StopEvent(StopKind.EXITED, id(t), t.exitCode, "task " + t + " exited with status " + t.exitCode);
        }
        Fault f = t.lastFault;
        int sig = f != null ? signalOf(f.kind()) : SIGABRT;
        return new StopEvent(StopKind.TERMINATED, id(t), sig, "task " + t + " stopped" + (f != null ? " after " + f : ""));
    }

    /** A stop because a stepped task is done: it ended, blocked in a syscall, or was recovered. */
    private StopEvent stepEnded() {
        Task r = recovered;
        recovered = null;
        if (r != null) {
            Task who = live(r) ? r : firstLive();
            if (who != null) {
                return new StopEvent(StopKind.STEPPED, id(who), SIGTRAP, "task " + r + " recovered from its fault");
            }
        }
        for (Task x : k.tasks) {
            if (action(x) != Action.STEP) {
                continue;
            }
            if (!live(x)) {
                Task other = firstLive();
                if (other != null) {
                    return new StopEvent(StopKind.STEPPED, id(other), SIGTRAP, "task " + x + " ended during the step");
                }
                continue;
            }
            EngineHooks h = hooks.get(x);
            if (h != null && h.cpu == x.cpu && h.stepSerial == stepSerial && h.stepCount >= 1 && x.state.blocked()) {
                return new StopEvent(StopKind.STEPPED, id(x), SIGTRAP, "step (blocked in a system call)");
            }
        }
        return null;
    }

    /**
     * Before recovery from {@code f}: report it as a stop and wait while the debugger looks.
     * Returns true if the debugger took the fault: the task then resumes from its registers
     * (it is queued again here) and no recovery runs.
     */
    boolean faulted(Task t, Fault f) {
        noteFault(t, f);
        EngineHooks h = hooks.get(t);
        if (h != null) {
            h.clearHits();
        }
        if (!attached || killed || t.cpu == null) {
            return false;
        }
        boolean fetch = f.kind() == FaultKind.UNMAPPED_FETCH || f.kind() == FaultKind.PROTECTED_FETCH;
        boolean trap = fetch && points.breaksAt(id(t), f.pc());
        StopEvent ev = trap
                ? new StopEvent(StopKind.BREAKPOINT, id(t), SIGTRAP, String.format("breakpoint at 0x%x", f.pc()))
                : new StopEvent(StopKind.FAULTED, id(t), signalOf(f.kind()), "task " + t + " faulted: " + f);
        long[] pc = new long[1];
        boolean[] take = new boolean[1];
        int generation = t.generation;
        lock.lock();
        try {
            faultTrap = trap;
        } finally {
            lock.unlock();
        }
        halt(ev, t, f.pc(), false, () -> {
            pc[0] = faultPc;
            take[0] = trap || !deliverFault || faultRegsChanged;
        });
        if (t.generation != generation) {
            return true; // restarted from the debugger (monitor restart) at the stop: nothing to recover
        }
        boolean resumable = t.state == TaskState.RUNNING || t.state == TaskState.READY;
        if (killed || !take[0] || !resumable || t.cpu == null) {
            if (!killed && (action(t) == Action.STEP || (action(t) == Action.CONTINUE && othersFrozen(t)))) {
                recovered = t; // it was to run alone: the step or continue ends with the recovery
            }
            return false;
        }
        t.pc = pc[0];
        k.scheduler.enqueue(t);
        return true;
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
        halt(ev, ft, fpc, force, null);
    }

    /** ... and run {@code beforeResume} under the lock once the debugger has resumed. */
    private void halt(StopEvent ev, Task ft, long fpc, boolean force, Runnable beforeResume) {
        long t0 = System.nanoTime();
        try {
            haltLocked(ev, ft, fpc, force, beforeResume);
        } finally {
            k.debuggerHeld(System.nanoTime() - t0); // stopped time is not run time
        }
    }

    private void haltLocked(StopEvent ev, Task ft, long fpc, boolean force, Runnable beforeResume) {
        lock.lock();
        try {
            haltRequested = false;
            actions = new Action[0]; // any stop ends the step or continue that was running
            if (killed || (!attached && !force)) {
                return;
            }
            stop = ev;
            faultTask = ft;
            faultPc = fpc;
            faultRegsChanged = false;
            deliverFault = true;
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
            while (true) {
                while (!resumeRequested && reverseThread == 0) {
                    wake.awaitUninterruptibly();
                }
                StopEvent moved = reverseThread != 0 ? runReverse() : replayForward();
                if (moved == null) {
                    break;
                }
                stopAgain(moved);
            }
            if (beforeResume != null) {
                beforeResume.run();
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
        Cpu uc = t.cpu;
        Points p = points;
        boolean invalidate = false;
        boolean shared = !p.empty() && (inScope(t, p) || named(t));
        List<Long> own = p.ownOf(id(t));
        boolean want = shared || !own.isEmpty();
        if (h.version != p.version() || h.installed != want) {
            if (h.points != null) {
                retire(h, h.points);
                invalidate = true;
                h.points = null;
            }
            h.installed = want;
            if (want) {
                EngineHooks eh = h;
                HookSet set = new HookSet();
                h.points = set;
                List<Long> bps = new ArrayList<>(own);
                if (shared) {
                    bps.addAll(p.breakpoints());
                }
                for (long a : bps) {
                    set.hooks.add(uc.hookInstructions(a, a, (addr, size) -> {
                        if (set.active) {
                            onBreakpoint(eh, addr);
                        }
                    }));
                }
                for (Watch w : shared ? p.watches() : List.<Watch>of()) {
                    int types = switch (w.kind()) {
                        case WRITE -> DataHook.WRITES;
                        case READ -> DataHook.READS;
                        case ACCESS -> DataHook.READS | DataHook.WRITES;
                    };
                    // a hook sees accesses that start in its range: begin 7 bytes early
                    long begin = Long.compareUnsigned(w.address(), 7) < 0 ? 0 : w.address() - 7;
                    set.hooks.add(uc.hookData(types, begin, w.address() + w.length() - 1, (type, addr, size, v) -> {
                        if (set.active) {
                            onAccess(eh, w, type, addr, size);
                        }
                    }));
                }
                invalidate |= !bps.isEmpty();
            }
            h.version = p.version();
        }
        boolean wantStep = action(t) == Action.STEP;
        if (wantStep && h.stepSerial != stepSerial) {
            h.stepSerial = stepSerial;
            h.stepCount = 0;
            h.stepDone = false;
        }
        if (wantStep && h.step == null) {
            EngineHooks eh = h;
            HookSet set = new HookSet();
            h.step = set;
            set.hooks.add(uc.hookInstructions(1, 0, (addr, size) -> {
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
        for (CpuHook x : set.hooks) {
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
        boolean write = type == DataHook.WRITE;
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
        Cpu c = null;
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
    private Cpu haltLocked(StopKind kind) {
        if (halted || killed) {
            return null;
        }
        haltKind = kind;
        haltRequested = true;
        wake.signalAll(); // ends a wait for the debugger while it held tasks
        return running;
    }

    @Override
    public void detach() {
        lock.lock();
        try {
            attached = false;
            listener = null;
            points = new Points(List.of(), List.of(), List.of(), points.version() + 1, Map.of());
            actions = new Action[0];
            reportEnds = java.util.Set.of();
            watchEnds = new boolean[0];
            deliverFault = true;
            haltRequested = false;
            wake.signalAll(); // also ends a wait for the debugger while it held tasks
            if (halted) {
                resumeRequested = true;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void setReverseWindow(long instructions) {
        if (instructions < 0) {
            throw new IllegalArgumentException("the reverse-execution window must be 0 (no limit) or more instructions, got " + instructions);
        }
        reverseWindow = instructions;
    }

    @Override
    public long reverseWindow() {
        return reverseWindow;
    }

    @Override
    public void reportTaskEnds(java.util.Set<Integer> threads) {
        lock.lock();
        try {
            reportEnds = java.util.Set.copyOf(threads); // from the next resume on
        } finally {
            lock.unlock();
        }
    }

    @Override
    public StopEvent endOf(int thread) {
        lock.lock();
        try {
            if (thread < 1 || thread > k.tasks.size()) {
                throw new IllegalArgumentException("no thread " + thread);
            }
            Task t = k.tasks.get(thread - 1);
            return live(t) ? null : endEvent(t);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The kernel's run is over ({@link Kernel#run()} returned, the kernel not yet closed): the
     * system stays halted in its final state, so that a debugger can still read the tasks
     * while it learns how each one ended. No task runs again; a resume has no effect.
     */
    public void systemEnded() {
        lock.lock();
        try {
            over = true;
            halted = true;
            stop = null;
            faultTask = null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean over() {
        return over;
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
        Cpu c;
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
    public void resume(Map<Integer, Action> threadActions, Action others, boolean deliver) {
        lock.lock();
        try {
            requireHalted();
            Action[] a = new Action[k.tasks.size()];
            boolean[] n = new boolean[a.length];
            java.util.Arrays.fill(a, others);
            for (Map.Entry<Integer, Action> e : threadActions.entrySet()) {
                int i = e.getKey() - 1;
                if (i < 0 || i >= a.length) {
                    throw new IllegalArgumentException("no thread " + e.getKey());
                }
                a[i] = e.getValue();
                n[i] = e.getValue() != Action.STOP;
            }
            namedThreads = n;
            actions = a;
            stepSerial++;
            boolean any = false;
            boolean[] w = new boolean[a.length];
            for (int i = 0; i < w.length; i++) {
                w[i] = reportEnds.contains(i + 1) && live(k.tasks.get(i));
                any |= w[i];
            }
            watchEnds = any ? w : new boolean[0];
            // a faulted task left frozen keeps its registers: it meets its fault again when it runs
            deliverFault = deliver && (faultTask == null || a[faultTask.index] != Action.STOP);
            resumeRequested = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void kill() {
        Cpu c = null;
        lock.lock();
        try {
            killed = true;
            attached = false;
            listener = null;
            points = new Points(List.of(), List.of(), List.of(), points.version() + 1, Map.of());
            actions = new Action[0];
            wake.signalAll(); // also ends a wait for the debugger while it held tasks
            if (halted) {
                resumeRequested = true;
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
                // an ended task keeps its thread id (as a dead thread), so that ids never shift
                String state = !live(t) ? (t.state == TaskState.EXITED ? "exited" : "dead")
                        : t == faultTask ? (faultTrap ? "ready" : "faulted") : t.state.name().toLowerCase(Locale.ROOT);
                out.add(new ThreadInfo(id(t), t.name(), t.generation, state, t.spec.image(), live(t) ? pcOf(t) : 0));
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
            long[] r = new long[REGISTER_COUNT];
            Task ended = ended(thread);
            if (ended != null) {
                return r; // an ended task has no registers: all zero
            }
            Task t = task(thread);
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
            changedByDebugger(t);
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
            changedByDebugger(task(thread));
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
        int a = reg - RiscvCpu.A0;
        long old = reg == PC ? pcOf(t) : a >= 0 && a < t.resultCount ? t.result[a] : t.cpu.reg(reg);
        if (t == faultTask && old != value) {
            faultRegsChanged = true; // the debugger fixes the task up: it resumes from these registers
        }
        if (reg == PC) {
            if (t == faultTask) {
                faultPc = value; // where the task resumes if the debugger takes the fault
            } else {
                t.pc = value;
            }
            return;
        }
        t.cpu.setReg(reg, value);
        if (a >= 0 && a < t.resultCount) {
            t.result[a] = value;
        }
    }

    @Override
    public int readMemory(int thread, long address, byte[] dst) {
        lock.lock();
        try {
            requireHalted();
            if (ended(thread) != null) {
                return 0; // no memory any more
            }
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
            Cpu cpu = task(thread).cpu;
            if (src.length == 0) {
                return cpu.memory().check(address, 0, Perm.NONE);
            }
            changedByDebugger(task(thread));
            if (!cpu.memory().write(address, src, 0, src.length, Perm.NONE)) {
                return false;
            }
            cpu.dropTranslations(address, address + src.length); // it may have been code
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
            points = new Points(List.copyOf(b), p.watches(), p.scope(), p.version() + 1, p.own());
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
                points = new Points(List.copyOf(b), p.watches(), p.scope(), p.version() + 1, p.own());
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean insertBreakpoint(int thread, long address) {
        lock.lock();
        try {
            requireHalted();
            task(thread); // throws for no such thread
            Points p = points;
            List<Long> mine = p.ownOf(thread);
            if (mine.contains(address)) {
                return true;
            }
            int total = p.breakpoints().size();
            for (List<Long> l : p.own().values()) {
                total += l.size();
            }
            if (total >= MAX_BREAKPOINTS) {
                return false;
            }
            List<Long> b = new ArrayList<>(mine);
            b.add(address);
            Map<Integer, List<Long>> own = new java.util.HashMap<>(p.own());
            own.put(thread, List.copyOf(b));
            points = new Points(p.breakpoints(), p.watches(), p.scope(), p.version() + 1, Map.copyOf(own));
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean removeBreakpoint(int thread, long address) {
        lock.lock();
        try {
            requireHalted();
            Points p = points;
            List<Long> mine = p.ownOf(thread);
            if (mine.contains(address)) {
                List<Long> b = new ArrayList<>(mine);
                b.remove(Long.valueOf(address));
                Map<Integer, List<Long>> own = new java.util.HashMap<>(p.own());
                if (b.isEmpty()) {
                    own.remove(thread);
                } else {
                    own.put(thread, List.copyOf(b));
                }
                points = new Points(p.breakpoints(), p.watches(), p.scope(), p.version() + 1, Map.copyOf(own));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public byte[] executable(int thread) {
        int i = thread - 1;
        if (i < 0 || i >= k.tasks.size()) {
            throw new IllegalArgumentException("no thread " + thread);
        }
        ElfImage image = k.tasks.get(i).image;
        return image == null ? null : image.fileBytes();
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
            points = new Points(p.breakpoints(), List.copyOf(ws), p.scope(), p.version() + 1, p.own());
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
                points = new Points(p.breakpoints(), List.copyOf(ws), p.scope(), p.version() + 1, p.own());
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
            points = new Points(p.breakpoints(), p.watches(), List.copyOf(names), p.version() + 1, p.own());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<String> scope() {
        return points.scope();
    }

    // ---- reverse execution (ReverseExecution does the work, on the kernel thread) -----------

    /**
     * {@code t} is about to execute user code at {@code pc} after the kernel had it (a slice
     * starts, or a system call returned within a slice): checkpoint it if the debugger resumed
     * it by name or it is in an explicit {@code monitor scope}; a task that runs unrecorded
     * loses its history (it would have a gap).
     */
    void record(Task t, long pc) {
        if (!attached || t.cpu == null) {
            if (!histories.isEmpty()) {
                histories.clear();
            }
            return;
        }
        Points p = points;
        if (!named(t) && (p.scope().isEmpty() || !inScope(t, p))) {
            histories.remove(t);
            return;
        }
        ReverseExecution.History h = histories.get(t);
        if (h == null || h.cpu != t.cpu) {
            h = new ReverseExecution.History(t);
            histories.put(t, h);
        }
        if (t.request.isOpen() && !h.txOpen) {
            // a transaction began: the history starts with it, so that a replay only stores to
            // pages its undo log already holds (a replayed store must not log a past pre-image)
            h.segs.clear();
            h.bytes = 0;
        }
        h.txOpen = t.request.isOpen();
        ReverseExecution.checkpoint(h, pc);
    }

    /** The debugger changed {@code t} in the present: its history no longer leads here. Lock held. */
    private void changedByDebugger(Task t) {
        ReverseExecution.History h = histories.get(t);
        if (h != null && !h.inPast()) {
            histories.remove(t);
        }
    }

    @Override
    public void reverse(int thread, boolean step) {
        lock.lock();
        try {
            requireHalted();
            Task t = task(thread);
            if (t == faultTask) { // (its resume point is kept apart from its registers)
                throw new IllegalStateException("no reverse execution from a fault stop");
            }
            reverseThread = thread;
            reverseStep = step;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Kernel thread, lock held, halted: report {@code ev} as the new stop and go on waiting. */
    private void stopAgain(StopEvent ev) {
        actions = new Action[0];
        resumeRequested = false;
        stop = ev;
        faultTask = null;
        Listener l = listener;
        if (l != null && attached) {
            try {
                l.stopped(ev);
            } catch (RuntimeException e) {
                log.warn("debugger listener failed", e);
            }
        }
    }

    /** Kernel thread, lock held: run the requested task backwards; the other tasks stay as they are. */
    private StopEvent runReverse() {
        Task t = k.tasks.get(reverseThread - 1);
        boolean step = reverseStep;
        reverseThread = 0;
        ReverseExecution.History h = histories.get(t);
        if (h == null || h.cpu != t.cpu || !live(t)) {
            return new StopEvent(StopKind.HISTORY_BEGIN, id(t), SIGTRAP, "no reverse-execution history");
        }
        dropDebugHooks(t);
        h.window = t.isServer() ? 0 : reverseWindow; // a server keeps its whole request
        ReverseExecution.Move m = step ? ReverseExecution.stepBack(h) : ReverseExecution.continueBack(h, replayPoints(id(t)));
        return moved(t, m, false);
    }

    /**
     * Kernel thread, lock held, the debugger resumed: a task in the past runs forward through
     * its history first (the others wait). Null when the resume goes on live.
     */
    private StopEvent replayForward() {
        if (killed) {
            return null;
        }
        for (ReverseExecution.History h : new ArrayList<>(histories.values())) {
            if (!h.inPast()) {
                continue;
            }
            Task t = h.task;
            Action a = action(t);
            if (a == Action.STOP || !live(t) || h.cpu != t.cpu) {
                ReverseExecution.leavePast(h); // frozen: it waits in the present
                continue;
            }
            dropDebugHooks(t);
            ReverseExecution.Move m = a == Action.STEP ? ReverseExecution.stepForward(h) : ReverseExecution.continueForward(h, replayPoints(id(t)));
            StopEvent ev = moved(t, m, true);
            if (ev != null) {
                return ev;
            }
        }
        return null;
    }

    private StopEvent moved(Task t, ReverseExecution.Move m, boolean forward) {
        return switch (m.reached()) {
            case BEGIN -> new StopEvent(StopKind.HISTORY_BEGIN, id(t), SIGTRAP, "no more reverse-execution history");
            case STEPPED -> new StopEvent(StopKind.STEPPED, id(t), SIGTRAP, forward ? "step (replayed)" : "reverse step");
            case BREAKPOINT -> new StopEvent(StopKind.BREAKPOINT, id(t), SIGTRAP, String.format("breakpoint at 0x%x", t.pc));
            case WATCHPOINT -> {
                WatchKind kind = WatchKind.ACCESS;
                long at = m.watchAddress();
                for (Watch w : points.watches()) {
                    if (matchesWatch(w, m.watchAddress(), 8, m.watchWrite())) {
                        kind = w.kind();
                        at = Long.compareUnsigned(m.watchAddress(), w.address()) < 0 ? w.address() : m.watchAddress();
                        break;
                    }
                }
                yield new StopEvent(StopKind.WATCHPOINT, id(t), SIGTRAP, kind, at, String.format("watchpoint at 0x%x", at));
            }
            case PRESENT -> null;
        };
    }

    /** The task's debug hooks are removed while it replays; {@link #sync} puts them back. */
    private void dropDebugHooks(Task t) {
        EngineHooks h = hooks.get(t);
        if (h == null) {
            return;
        }
        if (h.points != null) {
            retire(h, h.points);
            h.points = null;
        }
        if (h.step != null) {
            retire(h, h.step);
            h.step = null;
        }
        h.installed = false;
        h.version = -1;
        h.clearHits();
    }

    private static boolean matchesWatch(Watch w, long addr, int size, boolean write) {
        if (Long.compareUnsigned(addr - w.address(), w.length()) >= 0 && Long.compareUnsigned(w.address() - addr, size) >= 0) {
            return false;
        }
        return !((w.kind() == WatchKind.WRITE && !write) || (w.kind() == WatchKind.READ && write));
    }

    /** The breakpoints and watchpoints a replay honours (the replayed task is the one named). */
    private ReverseExecution.Points replayPoints(int thread) {
        Points p = points;
        long[] ranges = new long[p.watches().size() * 2];
        for (int i = 0; i < p.watches().size(); i++) {
            Watch w = p.watches().get(i);
            ranges[2 * i] = Long.compareUnsigned(w.address(), 7) < 0 ? 0 : w.address() - 7;
            ranges[2 * i + 1] = w.address() + w.length() - 1;
        }
        return new ReverseExecution.Points() {
            @Override
            public boolean breakpoint(long pc) {
                return p.breaksAt(thread, pc);
            }

            @Override
            public boolean watched(long addr, int size, boolean write) {
                for (Watch w : p.watches()) {
                    if (matchesWatch(w, addr, size, write)) {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public long[] watchRanges() {
                return ranges;
            }
        };
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

    /** The task with thread id {@code thread} if it has ended, else null. */
    private Task ended(int thread) {
        int i = thread - 1;
        return i >= 0 && i < k.tasks.size() && !live(k.tasks.get(i)) ? k.tasks.get(i) : null;
    }

    private long pcOf(Task t) {
        return t == faultTask ? faultPc : t.pc;
    }

    private static boolean live(Task t) {
        return t.cpu != null && t.state.alive();
    }

    /**
     * The last resume named {@code t} (as gdb does when it steps a thread: {@code vCont;c:T}
     * with a breakpoint at the next instruction): breakpoints apply to it, in scope or not.
     */
    private boolean named(Task t) {
        boolean[] n = namedThreads;
        return t.index < n.length && n[t.index];
    }

    /** What {@code t} does since the last resume. */
    private Action action(Task t) {
        Action[] a = actions;
        return t.index < a.length ? a[t.index] : Action.CONTINUE;
    }

    /** The first live task the last resume let run, else the first live task. */
    private Task firstResumed() {
        for (Task t : k.tasks) {
            if (live(t) && action(t) != Action.STOP) {
                return t;
            }
        }
        return firstLive();
    }

    /** Some live task is frozen by the debugger. */
    private boolean anyFrozen() {
        for (Task t : k.tasks) {
            if (live(t) && action(t) == Action.STOP) {
                return true;
            }
        }
        return false;
    }

    /** Every live task but {@code t} is frozen. */
    private boolean othersFrozen(Task t) {
        for (Task x : k.tasks) {
            if (x != t && live(x) && action(x) != Action.STOP) {
                return false;
            }
        }
        return true;
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

    // ---- the monitor's views of the kernel --------------------------------------------------

    /** The last fault of each task (by thread id), recorded before the debugger or recovery sees it. */
    private final Map<Integer, Fault> lastFaults = new java.util.HashMap<>();
    private final java.util.ArrayDeque<RecoveryEntry> recoveries = new java.util.ArrayDeque<>();
    static final int MAX_RECOVERY_LOG = 256;

    /** Kernel thread: {@code t} (generation {@code generation}) faulted with {@code f}; the kernel did {@code action}. */
    void recovered(Task t, int generation, Fault f, String action) {
        lock.lock();
        try {
            recoveries.addLast(new RecoveryEntry((System.nanoTime() - k.bootNanos) / 1_000_000, t.name(), generation, f,
                    action == null ? "" : action));
            while (recoveries.size() > MAX_RECOVERY_LOG) {
                recoveries.removeFirst();
            }
        } finally {
            lock.unlock();
        }
    }

    private void noteFault(Task t, Fault f) {
        lock.lock();
        try {
            lastFaults.put(id(t), f);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Fault lastFault(int thread) {
        lock.lock();
        try {
            if (thread < 1 || thread > k.tasks.size()) {
                throw new IllegalArgumentException("no thread " + thread);
            }
            Fault f = lastFaults.get(thread);
            return f != null ? f : k.tasks.get(thread - 1).lastFault;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<EndpointInfo> endpoints() {
        lock.lock();
        try {
            requireHalted();
            List<EndpointInfo> out = new ArrayList<>();
            List<String> names = new ArrayList<>(k.endpoints.keySet());
            java.util.Collections.sort(names);
            for (String n : names) {
                Endpoint e = k.endpoints.get(n);
                List<String> callers = new ArrayList<>();
                for (Task c : e.senders) {
                    callers.add(c.name() + " (thread " + id(c) + ", sending)");
                }
                for (Task c : k.tasks) {
                    if (live(c) && c.state == TaskState.AWAITING_REPLY && c.servedBy == e.server) {
                        callers.add(c.name() + " (thread " + id(c) + ", awaiting reply)");
                    }
                }
                out.add(new EndpointInfo(n, e.server.name(), e.receiver != null, callers));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<NotificationInfo> notifications() {
        lock.lock();
        try {
            requireHalted();
            List<NotificationInfo> out = new ArrayList<>();
            List<String> names = new ArrayList<>(k.notifications.keySet());
            java.util.Collections.sort(names);
            for (String n : names) {
                Notification x = k.notifications.get(n);
                out.add(new NotificationInfo(n, x.owner.name(), x.bits, x.waiter != null));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<String> capabilities(int thread) {
        lock.lock();
        try {
            requireHalted();
            Task t = task(thread);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < t.caps.length; i++) {
                Capability c = t.caps[i];
                if (c == null) {
                    continue;
                }
                StringBuilder sb = new StringBuilder(String.format("%-4d %-12s %s", i,
                        c.kind().name().toLowerCase(Locale.ROOT), c.name()));
                if (c.endpoint() != null) {
                    sb.append(" (served by ").append(c.endpoint().server().name()).append(')');
                }
                if (c.badge() != 0) {
                    sb.append(String.format(" badge 0x%x", c.badge()));
                }
                out.add(sb.toString());
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<RecoveryEntry> recoveryLog() {
        lock.lock();
        try {
            return new ArrayList<>(recoveries);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String restart(int thread) {
        lock.lock();
        try {
            requireHalted();
            Task t = task(thread);
            if (t.cpu == null) {
                throw new IllegalArgumentException("task " + t.name() + " cannot be restarted now");
            }
            int generation = t.generation;
            String action = k.restart(t);
            if (t == faultTask) {
                faultTask = null; // the fault stop's task is a new generation now, no longer faulted
            }
            recoveries.addLast(new RecoveryEntry((System.nanoTime() - k.bootNanos) / 1_000_000, t.name(), generation, null,
                    "debugger: " + action));
            while (recoveries.size() > MAX_RECOVERY_LOG) {
                recoveries.removeFirst();
            }
            return action;
        } finally {
            lock.unlock();
        }
    }
}
