package dev.rewind.kernel.debug;

import static dev.rewind.kernel.debug.DebugThreads.id;
import static dev.rewind.kernel.debug.DebugThreads.live;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.Perm;
import dev.rewind.kernel.DebugPort;
import dev.rewind.kernel.Debugger;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.TaskState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The kernel side of a debugger: halts the system between slices and at breakpoints,
 * watchpoints, single steps and faults, and gives access to the tasks while it is halted.
 * Construct it on a kernel before {@link Kernel#run()}; the GDB stub uses it as a
 * {@link DebugTarget} (see that interface for the model and the threads each method may be
 * called from). Beyond {@link DebugTarget} its public surface is the constructor and
 * {@link #systemEnded()}.
 *
 * <p>It is the hub of the debugger's parts, which live next to it in this package:
 * <ul>
 *   <li>{@link HaltProtocol}: the halt/resume protocol (the lock, who is halted and why, halt,
 *       resume, step and reverse requests); every method here that touches task state runs
 *       through its {@code whileHalted};</li>
 *   <li>{@link DebugHooks}: the breakpoint, watchpoint and step hooks installed in each task's
 *       engine (kernel thread);</li>
 *   <li>{@link DebugPoints}: the immutable set of breakpoints, watchpoints and scope;</li>
 *   <li>{@link ReverseRecorder} (with {@link ReverseExecution}): histories for reverse
 *       execution;</li>
 *   <li>{@link DebugMonitor}: the views behind gdb's {@code monitor} commands.</li>
 * </ul>
 * This class holds what joins them: the kernel thread's scheduling under the debugger
 * ({@link #pickNext()}, {@link #faulted}) and the debugger thread's access to registers,
 * memory and points.
 */
public final class KernelDebugger implements DebugTarget {
    private final DebugPort port;
    private final Kernel kernel;
    private final HaltProtocol halt;
    private final DebugHooks hooks = new DebugHooks();
    private final ReverseRecorder recorder = new ReverseRecorder(hooks);
    private final DebugMonitor monitor;
    /** Edited by the debugger thread while halted (under the halt lock), read by the kernel thread. */
    private volatile DebugPoints points = DebugPoints.EMPTY;

    // kernel thread only
    private boolean waitForDebugger;
    private Task lastRun;
    /** The last pick found only frozen tasks able to run: the system waits for the debugger. */
    private boolean holding;
    /** A task whose fault went to recovery while it was stepped alone: stop once recovered. */
    private Task recovered;

    /**
     * Attach to {@code kernel} (before {@link Kernel#run()}). With {@code waitForDebugger} the
     * system stops before its first instruction until a debugger attaches and resumes it.
     */
    public KernelDebugger(Kernel kernel, boolean waitForDebugger) {
        this.kernel = kernel;
        this.port = kernel.attachDebugger(new Debugger() {
            @Override
            public Task pickNext() {
                return KernelDebugger.this.pickNext();
            }

            @Override
            public boolean holding() {
                return KernelDebugger.this.holding();
            }

            @Override
            public void record(Task t, long pc) {
                KernelDebugger.this.record(t, pc);
            }

            @Override
            public boolean faulted(Task t, Fault f) {
                return KernelDebugger.this.faulted(t, f);
            }

            @Override
            public void recovered(Task t, int generation, Fault f, String outcome) {
                KernelDebugger.this.recovered(t, generation, f, outcome);
            }
        });
        this.waitForDebugger = waitForDebugger;
        this.halt = new HaltProtocol(port);
        this.monitor = new DebugMonitor(port, halt);
        halt.setMoves(new HaltProtocol.Moves() {
            @Override
            public StopEvent reverse(int thread, boolean step) {
                return recorder.back(port.tasks().get(thread - 1), step, points);
            }

            @Override
            public StopEvent forward() {
                return recorder.forward(halt::action, points);
            }
        });
    }

    /**
     * Thread {@code thread}'s reverse-execution history as {checkpoints, measured stretches}
     * (see {@link ReverseRecorder#segmentCounts}); for tests, with the system halted.
     */
    int[] reverseSegments(int thread) {
        return recorder.segmentCounts(port.tasks().get(thread - 1));
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
        halt.running(null);
        holding = false;
        StopEvent ev = last != null ? hooks.collect(last) : null;
        if (ev == null && halt.watchingEnds()) {
            ev = taskEnded();
        }
        if (ev == null) {
            ev = stepEnded();
        }
        boolean force = false;
        if (ev == null && waitForDebugger) {
            waitForDebugger = false;
            Task first = DebugThreads.firstLive(port);
            for (Task x : port.tasks()) {
                if (x.name().equals(waitIn) && live(x)) {
                    first = x; // (rewind inject --gdb: gdb starts in the struck server, and loads its program)
                }
            }
            if (first != null) {
                ev = new StopEvent(
                        StopKind.ATTACHED, id(first), SIGTRAP, "waiting for the debugger before the first instruction");
                force = true;
            }
        }
        if (ev == null) {
            ev = halt.requestedStop(last);
        }
        if (ev != null) {
            halt.halt(ev, force);
        }
        if (halt.killed()) {
            return null;
        }
        Task t = null;
        for (Task x : port.tasks()) {
            if (halt.action(x) == Action.STEP && x.state() == TaskState.READY && x.cpu() != null) {
                port.unqueue(x); // a stepped task goes first, so that the step ends soon
                t = x;
                break;
            }
        }
        if (t == null) {
            List<Task> frozen = null;
            while ((t = port.pickNext()) != null && halt.action(t) == Action.STOP) {
                if (frozen == null) {
                    frozen = new ArrayList<>();
                }
                frozen.add(t);
            }
            if (frozen != null) {
                for (Task f : frozen) {
                    port.enqueue(f); // back in the queue, in order, for a later resume
                }
            }
        }
        if (t == null && halt.anyFrozen()) {
            holding = true;
            halt.awaitDebugger();
            return null;
        }
        if (t != null && t.cpu() != null) {
            syncHooks(t);
            record(t, t.pc());
            lastRun = t;
            halt.running(t.cpu());
        }
        return t;
    }

    /** True when the last {@link #pickNext()} returned null only because the debugger holds tasks. */
    boolean holding() {
        return holding;
    }

    /** A stop for a task that ended since the resume began (reported once), or null. */
    private StopEvent taskEnded() {
        Task t = halt.takeEnded();
        if (t == null) {
            return null;
        }
        if (recovered == t) {
            recovered = null; // its step ends with its end
        }
        return endEvent(t);
    }

    /** How the ended task {@code t} ended, as a stop event. */
    private static StopEvent endEvent(Task t) {
        if (t.state() == TaskState.EXITED) {
            return new StopEvent(
                    StopKind.EXITED, id(t), (int) t.exitCode(), "task " + t + " exited with status " + t.exitCode());
        }
        Fault f = t.lastFault();
        int sig = f != null ? signalOf(f.kind()) : SIGABRT;
        return new StopEvent(
                StopKind.TERMINATED, id(t), sig, "task " + t + " stopped" + (f != null ? " after " + f : ""));
    }

    /** A stop because a stepped task is done: it ended, blocked in a syscall, or was recovered. */
    private StopEvent stepEnded() {
        Task r = recovered;
        recovered = null;
        if (r != null) {
            Task who = live(r) ? r : DebugThreads.firstLive(port);
            if (who != null) {
                return new StopEvent(StopKind.STEPPED, id(who), SIGTRAP, "task " + r + " recovered from its fault");
            }
        }
        for (Task x : port.tasks()) {
            if (halt.action(x) != Action.STEP) {
                continue;
            }
            if (!live(x)) {
                Task other = DebugThreads.firstLive(port);
                if (other != null) {
                    return new StopEvent(StopKind.STEPPED, id(other), SIGTRAP, "task " + x + " ended during the step");
                }
                continue;
            }
            if (hooks.stepBlocked(x, halt.stepSerial())) {
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
        boolean attached = halt.attached() && !halt.killed() && t.cpu() != null;
        boolean fetch = f.kind() == FaultKind.UNMAPPED_FETCH || f.kind() == FaultKind.PROTECTED_FETCH;
        boolean trap = attached && fetch && points.breaksAt(id(t), f.pc());
        if (!trap) {
            // a fetch at a breakpoint (where an inferior call returns) is no fault of the task:
            // the trap CSRs and monitor fault keep showing its last real one
            monitor.noteFault(t, f);
        }
        hooks.clearHits(t);
        if (!attached) {
            return false;
        }
        StopEvent ev = trap
                ? new StopEvent(StopKind.BREAKPOINT, id(t), SIGTRAP, String.format("breakpoint at 0x%x", f.pc()))
                : new StopEvent(
                        StopKind.FAULTED, id(t), signalOf(f.kind()), "task " + t + " faulted: " + f.toString(t));
        int generation = t.generation();
        HaltProtocol.FaultResume r = halt.haltAtFault(ev, t, f.pc(), trap);
        if (t.generation() != generation) {
            return true; // restarted from the debugger (monitor restart) at the stop: nothing to recover
        }
        boolean resumable = t.state() == TaskState.RUNNING || t.state() == TaskState.READY;
        if (halt.killed() || !r.take() || !resumable || t.cpu() == null) {
            Action a = halt.action(t);
            if (!halt.killed() && (a == Action.STEP || (a == Action.CONTINUE && halt.othersFrozen(t)))) {
                recovered = t; // it was to run alone: the step or continue ends with the recovery
            }
            return false;
        }
        t.resumeAt(r.pc());
        port.enqueue(t);
        return true;
    }

    /** The task whose thread the stop before the first instruction names (null: the first live one). */
    private volatile String waitIn;

    /**
     * With {@code waitForDebugger}: report the stop before the first instruction in task {@code
     * name}'s thread rather than the first task's (gdb, started without a program, then loads that
     * task's). Before the system runs.
     */
    public void waitIn(String name) {
        waitIn = name;
    }

    /**
     * Kernel thread: a planned fault injection is about to strike {@code t} at its current pc
     * ({@code what} says which): stop there (SIGTRAP) if a debugger is attached, and wait until
     * it resumes; the injection strikes then, on the task as the debugger left it.
     */
    public void haltBeforeInjection(Task t, String what) {
        if (!halt.attached() || halt.killed() || t.cpu() == null) {
            return;
        }
        hooks.clearHits(t);
        halt.halt(new StopEvent(StopKind.INJECTION, id(t), SIGTRAP, what), false);
    }

    /** The gdb signal a fault of {@code kind} is reported with. */
    static int signalOf(FaultKind kind) {
        return switch (kind) {
            case ILLEGAL_INSTRUCTION -> SIGILL;
            case MISALIGNED_FETCH, MISALIGNED_ACCESS -> SIGBUS;
            case UNMAPPED_READ,
                    UNMAPPED_WRITE,
                    UNMAPPED_FETCH,
                    PROTECTED_READ,
                    PROTECTED_WRITE,
                    PROTECTED_FETCH,
                    STACK_OVERFLOW,
                    PAGE_FAULT_FETCH,
                    PAGE_FAULT_READ,
                    PAGE_FAULT_WRITE,
                    ACCESS_FAULT_FETCH,
                    ACCESS_FAULT_READ,
                    ACCESS_FAULT_WRITE -> SIGSEGV;
            case BREAKPOINT -> SIGTRAP;
            case RUNAWAY, DEADLINE -> SIGXCPU;
            default -> SIGABRT;
        };
    }

    /**
     * {@code t} is about to execute user code at {@code pc} after the kernel had it (a slice
     * starts, or a system call returned within a slice): a checkpoint for reverse execution
     * ({@link ReverseRecorder#record}).
     */
    void record(Task t, long pc) {
        if (port.runningAgain(t) != replayHidden.contains(t)) {
            syncHooks(t); // its history replay began or ended within the slice
        }
        recorder.record(t, pc, halt.attached(), points, halt.named(t));
    }

    /** Tasks whose debug hooks are off while their recovery replays their history ({@link #syncHooks}). */
    private final java.util.Set<Task> replayHidden = new java.util.HashSet<>();

    /**
     * Kernel thread: bring {@code t}'s debug hooks up to date before it runs. While its recovery
     * runs it again through requests already answered (a txipc server's history replay, after a
     * fault that escaped its request) it has none: that code rebuilds state, no client waits on
     * it, and a breakpoint there would show a request of long ago as if it were being served. Nor
     * while it runs a request again to verify its reply (txipc's {@code verify}): a breakpoint
     * there showed the same request arriving a second time (and a third, after a mismatch).
     */
    private void syncHooks(Task t) {
        if (port.runningAgain(t)) {
            replayHidden.add(t);
            hooks.drop(t);
        } else {
            replayHidden.remove(t);
            hooks.sync(t, points, halt.named(t), halt.action(t) == Action.STEP, halt.stepSerial());
        }
    }

    /** The debugger changed {@code t} (memory or registers): its histories no longer lead here. Halt lock held. */
    private void changedByDebugger(Task t) {
        if (recorder.inPast(t)) {
            // its past is replayed, and the present restored at its end: a change would be lost
            throw new IllegalArgumentException("thread " + id(t) + " (task " + t.name()
                    + ") is in its past (reverse execution): its memory and registers cannot change there");
        }
        recorder.changedByDebugger(t);
        port.changedByDebugger(t);
    }

    /** Kernel thread: {@code t} (generation {@code generation}) faulted with {@code f}; the kernel did {@code action}. */
    void recovered(Task t, int generation, Fault f, String action) {
        monitor.recovered(t, generation, f, action);
        recorder.recovered(t);
    }

    // ---- DebugTarget: the protocol ---------------------------------------------------------

    @Override
    public void attach(Listener l) {
        halt.attach(l);
    }

    @Override
    public void detach() {
        halt.runLocked(() -> {
            points = points.cleared();
            halt.detachLocked();
        });
    }

    @Override
    public boolean leaveHeld() {
        boolean[] kept = {false};
        halt.runLocked(() -> {
            if (halt.leaveHeldLocked()) {
                points = points.cleared();
                kept[0] = true;
            }
        });
        return kept[0];
    }

    @Override
    public boolean halted() {
        return halt.halted();
    }

    @Override
    public StopEvent currentStop() {
        return halt.currentStop();
    }

    @Override
    public void interrupt() {
        halt.interrupt(0);
    }

    @Override
    public void interrupt(int preferred) {
        halt.interrupt(preferred);
    }

    @Override
    public void resume(Map<Integer, Action> threadActions, Action others, boolean deliver) {
        halt.resume(threadActions, others, deliver);
    }

    @Override
    public void reverse(int thread, boolean step) {
        halt.reverse(thread, step);
    }

    @Override
    public void reportTaskEnds(Set<Integer> threads) {
        halt.reportTaskEnds(threads);
    }

    @Override
    public StopEvent endOf(int thread) {
        return halt.locked(() -> {
            Task t = DebugThreads.any(port, thread);
            return live(t) ? null : endEvent(t);
        });
    }

    @Override
    public void kill() {
        halt.kill(() -> points = points.cleared());
        port.endRun(); // also an idle kernel, waiting for a timer or a device, ends now
    }

    @Override
    public boolean killed() {
        return halt.killed();
    }

    /**
     * The kernel's run is over ({@link Kernel#run()} returned, the kernel not yet closed): the
     * system stays halted in its final state, so that a debugger can still read the tasks
     * while it learns how each one ended. No task runs again; a resume has no effect.
     */
    public void systemEnded() {
        halt.systemEnded();
    }

    @Override
    public boolean over() {
        return halt.over();
    }

    @Override
    public void setReverseWindow(long instructions) {
        recorder.setWindow(instructions);
    }

    @Override
    public boolean inPast(int thread) {
        return halt.whileHalted(
                () -> DebugThreads.ended(port, thread) == null && recorder.inPast(DebugThreads.task(port, thread)));
    }

    @Override
    public long reverseWindow() {
        return recorder.window();
    }

    // ---- DebugTarget: threads, registers, memory -------------------------------------------

    @Override
    public List<ThreadInfo> threads() {
        return halt.whileHalted(() -> {
            List<ThreadInfo> out = new ArrayList<>();
            Task faulted = halt.faultTask();
            for (Task t : port.tasks()) {
                // an ended task keeps its thread id (as a dead thread), so that ids never shift
                String state = !live(t)
                        ? (t.state() == TaskState.EXITED ? "exited" : "dead")
                        : t == faulted
                                ? (halt.faultTrap() ? "ready" : "faulted")
                                : t.state().name().toLowerCase(Locale.ROOT);
                out.add(new ThreadInfo(
                        id(t), t.name(), t.generation(), state, t.spec().image(), live(t) ? halt.pcOf(t) : 0));
            }
            return out;
        });
    }

    @Override
    public Arch arch() {
        Arch a = kernel.arch();
        return a == null ? Arch.RISCV64 : a;
    }

    @Override
    public long readFlags(int thread) {
        return halt.whileHalted(() -> DebugThreads.ended(port, thread) != null
                ? 0L
                : DebugThreads.task(port, thread).cpu().flags());
    }

    @Override
    public void writeFlags(int thread, long value) {
        halt.runWhileHalted(thread, t -> {
            changedByDebugger(t);
            if (t.cpu().flags() != value) {
                halt.registersChanged(t);
            }
            t.cpu().setFlags(value);
        });
    }

    @Override
    public long[] readExtended(int thread) {
        return halt.whileHalted(() -> {
            if (DebugThreads.ended(port, thread) != null) {
                return new long[kernel.arch() == null ? 0 : extendedLength(kernel.arch())];
            }
            dev.rewind.hw.cpu.Cpu cpu = DebugThreads.task(port, thread).cpu();
            long[] e = new long[cpu.extendedLength()];
            cpu.readExtended(e);
            return e;
        });
    }

    private static int extendedLength(Arch a) {
        return a == Arch.AARCH64 ? dev.rewind.hw.cpu.Aarch64Cpu.EXTENDED_LENGTH : 0;
    }

    @Override
    public void writeExtended(int thread, long[] values) {
        halt.runWhileHalted(thread, t -> {
            long[] cur = new long[t.cpu().extendedLength()];
            if (values.length != cur.length) {
                throw new IllegalArgumentException(
                        "expected " + cur.length + " extended register values, got " + values.length);
            }
            t.cpu().readExtended(cur);
            if (!java.util.Arrays.equals(cur, values)) {
                changedByDebugger(t);
                halt.registersChanged(t);
                t.cpu().writeExtended(values);
            }
        });
    }

    @Override
    public long[] readRegisters(int thread) {
        return halt.whileHalted(() -> {
            long[] r = new long[REGISTER_COUNT];
            if (DebugThreads.ended(port, thread) != null) {
                return r; // an ended task has no registers: all zero
            }
            Task t = DebugThreads.task(port, thread);
            t.cpu().readAll(r);
            long[] pending = t.pendingResults(); // syscall results, written when it runs
            System.arraycopy(pending, 0, r, t.cpu().arch().result(0), pending.length);
            r[PC] = halt.pcOf(t);
            return r;
        });
    }

    @Override
    public void writeRegisters(int thread, long[] values) {
        halt.runWhileHalted(thread, t -> {
            changedByDebugger(t);
            for (int i = 0; i < Math.min(values.length, REGISTER_COUNT); i++) {
                setRegister(t, i, values[i]);
            }
        });
    }

    @Override
    public long readRegister(int thread, int reg) {
        checkRegister(reg);
        return readRegisters(thread)[reg];
    }

    @Override
    public void writeRegister(int thread, int reg, long value) {
        checkRegister(reg);
        halt.runWhileHalted(thread, t -> {
            changedByDebugger(t);
            setRegister(t, reg, value);
        });
    }

    private static void checkRegister(int reg) {
        if (reg < 0 || reg >= REGISTER_COUNT) {
            throw new IllegalArgumentException("no register " + reg);
        }
    }

    /** Halt lock held, halted. */
    private void setRegister(Task t, int reg, long value) {
        if (reg == 0 && t.cpu().arch().hasZeroRegister()) {
            return;
        }
        int a = reg - t.cpu().arch().result(0);
        long[] pending = t.pendingResults();
        long old = reg == PC
                ? halt.pcOf(t)
                : a >= 0 && a < pending.length ? pending[a] : t.cpu().reg(reg);
        if (old != value) {
            halt.registersChanged(t); // at a fault stop the debugger fixes the task up: it resumes from these registers
        }
        if (reg == PC) {
            halt.setPc(t, value);
            return;
        }
        t.cpu().setReg(reg, value);
        if (a >= 0 && a < pending.length) {
            pending[a] = value;
            t.setPendingResults(pending);
        }
    }

    @Override
    public int readMemory(int thread, long address, byte[] dst) {
        return halt.whileHalted(() -> {
            if (DebugThreads.ended(port, thread) != null) {
                return 0; // no memory any more
            }
            AddressSpace space = DebugThreads.task(port, thread).cpu().memory();
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
        });
    }

    @Override
    public boolean writeMemory(int thread, long address, byte[] src) {
        return halt.whileHalted(thread, t -> {
            Cpu cpu = t.cpu();
            if (src.length == 0) {
                return cpu.memory().check(address, 0, Perm.NONE);
            }
            changedByDebugger(t);
            if (!cpu.memory().write(address, src, 0, src.length, Perm.NONE)) {
                return false;
            }
            cpu.dropTranslations(address, address + src.length); // it may have been code
            return true;
        });
    }

    @Override
    public List<Mapping> memoryMap(int thread) {
        return halt.whileHalted(() -> {
            if (DebugThreads.ended(port, thread) != null) {
                return List.of(); // no memory any more
            }
            List<Mapping> map = new ArrayList<>();
            for (dev.rewind.hw.mem.Region r :
                    DebugThreads.task(port, thread).cpu().memory().regions()) {
                map.add(new Mapping(r.vaddr(), r.end(), Perm.toString(r.perms()), r.name()));
            }
            map.sort((a, b) -> Long.compareUnsigned(a.start(), b.start()));
            return map;
        });
    }

    @Override
    public byte[] executable(int thread) {
        ElfImage image = DebugThreads.any(port, thread).image();
        return image == null ? null : image.fileBytes();
    }

    // ---- DebugTarget: breakpoints, watchpoints, scope --------------------------------------

    /** Replace the points with {@code next} unless null (too many); halt lock held. */
    private boolean change(DebugPoints next) {
        if (next == null) {
            return false;
        }
        points = next;
        return true;
    }

    @Override
    public boolean insertBreakpoint(long address) {
        return halt.whileHalted(() -> change(points.withBreakpoint(address)));
    }

    @Override
    public boolean removeBreakpoint(long address) {
        return halt.whileHalted(() -> change(points.withoutBreakpoint(address)));
    }

    @Override
    public boolean insertBreakpoint(int thread, long address) {
        return halt.whileHalted(thread, t -> change(points.withBreakpoint(thread, address)));
    }

    @Override
    public boolean removeBreakpoint(int thread, long address) {
        return halt.whileHalted(() -> change(points.withoutBreakpoint(thread, address)));
    }

    @Override
    public boolean insertWatchpoint(WatchKind kind, long address, long length) {
        if (kind == null
                || length <= 0
                || length > DebugPoints.MAX_WATCH_LENGTH
                || Long.compareUnsigned(address + length - 1, address) < 0) { // wraps past the top
            return false;
        }
        return halt.whileHalted(() -> change(points.withWatch(new DebugPoints.Watch(kind, address, length))));
    }

    @Override
    public boolean removeWatchpoint(WatchKind kind, long address, long length) {
        return halt.whileHalted(() -> change(points.withoutWatch(new DebugPoints.Watch(kind, address, length))));
    }

    @Override
    public void setScope(List<String> names) {
        halt.whileHalted(() -> {
            for (String n : names) {
                boolean known = false;
                for (Task t : port.tasks()) {
                    known |= t.name().equals(n) || t.spec().image().equals(n);
                }
                if (!known) {
                    throw new IllegalArgumentException("no task or image named '" + n + "'");
                }
            }
            return change(points.withScope(names));
        });
    }

    @Override
    public List<String> scope() {
        return points.scope();
    }

    @Override
    public void setProgramScope(List<String> images) {
        halt.whileHalted(() -> images.equals(points.programs()) || change(points.withPrograms(images)));
    }

    @Override
    public List<String> programScope() {
        return points.programs();
    }

    // ---- DebugTarget: the monitor's views ---------------------------------------------------

    @Override
    public Fault lastFault(int thread) {
        return monitor.lastFault(thread);
    }

    @Override
    public List<EndpointInfo> endpoints() {
        return monitor.endpoints();
    }

    @Override
    public List<NotificationInfo> notifications() {
        return monitor.notifications();
    }

    @Override
    public List<String> capabilities(int thread) {
        return monitor.capabilities(thread);
    }

    @Override
    public List<RecoveryEntry> recoveryLog() {
        return monitor.recoveryLog();
    }

    @Override
    public String restart(int thread) {
        halt.runWhileHalted(thread, recorder::restarting); // a task in its past comes back first
        return monitor.restart(thread);
    }
}
