package dev.rewind.kernel.debug;

import static dev.rewind.kernel.debug.DebugTarget.SIGINT;
import static dev.rewind.kernel.debug.DebugTarget.SIGTRAP;
import static dev.rewind.kernel.debug.DebugThreads.live;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.kernel.DebugPort;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.debug.DebugTarget.Action;
import dev.rewind.kernel.debug.DebugTarget.Listener;
import dev.rewind.kernel.debug.DebugTarget.StopEvent;
import dev.rewind.kernel.debug.DebugTarget.StopKind;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The debugger's halt/resume protocol: whether the system is halted and why (the stop, and at
 * a fault stop the faulted task and its resume point), halt requests from the debugger
 * (attach, Ctrl-C, kill), and what each task does when the debugger resumes the system (its
 * {@link Action}, which tasks the resume named, reverse requests, which task ends to report).
 *
 * <p><b>Synchronization.</b> One lock and one condition. The kernel thread calls
 * {@link #halt} when a stop is due (a hook fired in the last slice, a single step completed,
 * a halt was requested, a task faulted): it records the stop, tells the listener and waits on
 * the condition until the debugger resumes it. While it waits no task runs, so the debugger
 * thread may read and write task registers and memory under the lock: it does so only through
 * {@link #whileHalted}, which checks {@code halted} under the lock (and the kernel cannot leave
 * the wait without the lock). Ctrl-C from the debugger sets the volatile {@code haltRequested}
 * flag and asks the running CPU to stop at its next block (every task's CPU is made
 * preemptible, as Unicorn's asynchronous stop can leave the PC behind instructions already
 * run), so the slice ends at once (or, if the request raced with the start of a slice, at the
 * end of its quantum).
 *
 * <p>While halted, the waiting kernel thread also carries out reverse requests and replays a
 * task's history forward before a resume goes on live, through {@link Moves}; each move ends
 * in a new stop (or, forward, in the present).
 */
final class HaltProtocol {
    private static final Logger log = LoggerFactory.getLogger(KernelDebugger.class);

    /** What the halted kernel thread does for the debugger before it goes on (lock held). */
    interface Moves {
        /** Run {@code thread} backwards (one instruction if {@code step}); the stop it reaches. */
        StopEvent reverse(int thread, boolean step);

        /** The debugger resumed: the stop a replay forward through a task's history reached, or null to go on live. */
        StopEvent forward();
    }

    /** How the debugger left a fault stop: where the task resumes, and whether it takes the fault from recovery. */
    record FaultResume(long pc, boolean take) {}

    private final DebugPort port;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private Moves moves;

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
    /** Halt when one of these tasks (thread ids) ends during a resume. */
    private Set<Integer> reportEnds = Set.of();
    /** A reverse request from the debugger (thread id, or 0 for none). */
    private int reverseThread;

    private boolean reverseStep;

    private volatile boolean attached;
    /**
     * The current halt is the wait before the first instruction for a debugger ({@code
     * --gdb-wait}), which no debugger has resumed yet (guarded by lock).
     */
    private boolean firstHold;

    private volatile boolean haltRequested;
    private volatile StopKind haltKind = StopKind.INTERRUPTED;
    /** The thread an interrupt of an idle system is reported in, if it qualifies (0: none). */
    private volatile int haltPreferred;

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
    /**
     * The tasks (by index) whose end the next halt may report: those live when the last resume
     * began and not reported since. Elements guarded by lock.
     */
    private volatile boolean[] watchEnds = new boolean[0];
    /** The run is over ({@link #systemEnded()}): the final state stays readable. */
    private volatile boolean over;

    HaltProtocol(DebugPort port) {
        this.port = port;
    }

    /** Set once, before the kernel runs. */
    void setMoves(Moves moves) {
        this.moves = moves;
    }

    // ---- the lock --------------------------------------------------------------------------

    /** {@code body}'s result, computed under the lock. */
    <T> T locked(Supplier<T> body) {
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    /** Run {@code body} under the lock. */
    void runLocked(Runnable body) {
        lock.lock();
        try {
            body.run();
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code body}'s result, computed under the lock while the system is halted (no task runs
     * until it returns); IllegalStateException while the system runs.
     */
    <T> T whileHalted(Supplier<T> body) {
        lock.lock();
        try {
            requireHalted();
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code body}'s result for the live task of thread {@code thread}, computed as by
     * {@link #whileHalted(Supplier)}; IllegalArgumentException for no such live thread.
     */
    <T> T whileHalted(int thread, Function<Task, T> body) {
        return whileHalted(() -> body.apply(DebugThreads.task(port, thread)));
    }

    /** {@link #whileHalted(int, Function)} without a result. */
    void runWhileHalted(int thread, Consumer<Task> body) {
        whileHalted(() -> {
            body.accept(DebugThreads.task(port, thread));
            return null;
        });
    }

    private void requireHalted() {
        if (!halted) {
            throw new IllegalStateException("the system is running");
        }
    }

    // ---- the kernel thread -----------------------------------------------------------------

    /** Record the stop, tell the debugger, and wait until it resumes the system. */
    void halt(StopEvent ev, boolean force) {
        halt(ev, null, 0, force, null);
    }

    /**
     * Stop at {@code t}'s fault {@code ev} (at {@code pc}; {@code trap}: really a breakpoint) and
     * wait; then how the debugger resumed: (0, false) if it did not stop (no debugger, or killed).
     */
    FaultResume haltAtFault(StopEvent ev, Task t, long pc, boolean trap) {
        runLocked(() -> faultTrap = trap);
        FaultResume[] out = {new FaultResume(0, false)};
        halt(ev, t, pc, false, () -> out[0] = new FaultResume(faultPc, trap || !deliverFault || faultRegsChanged));
        return out[0];
    }

    /** ... and run {@code beforeResume} under the lock once the debugger has resumed. */
    private void halt(StopEvent ev, Task ft, long fpc, boolean force, Runnable beforeResume) {
        long t0 = System.nanoTime();
        try {
            haltLocked(ev, ft, fpc, force, beforeResume);
        } finally {
            port.held(System.nanoTime() - t0); // stopped time is not run time
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
            firstHold = force;
            resumeRequested = false;
            tell(ev);
            while (true) {
                while (!resumeRequested && reverseThread == 0) {
                    wake.awaitUninterruptibly();
                }
                StopEvent moved;
                if (reverseThread != 0) {
                    int thread = reverseThread;
                    reverseThread = 0;
                    moved = moves.reverse(thread, reverseStep);
                } else {
                    moved = killed ? null : moves.forward();
                }
                if (moved == null) {
                    break;
                }
                stopAgain(moved);
            }
            if (beforeResume != null) {
                beforeResume.run();
            }
            halted = false;
            firstHold = false;
            resumeRequested = false;
            stop = null;
            faultTask = null;
        } finally {
            lock.unlock();
        }
    }

    /** Lock held, halted: report {@code ev} as the new stop and go on waiting. */
    private void stopAgain(StopEvent ev) {
        actions = new Action[0];
        resumeRequested = false;
        stop = ev;
        faultTask = null;
        tell(ev);
    }

    private void tell(StopEvent ev) {
        Listener l = listener;
        if (l != null && attached) {
            try {
                l.stopped(ev);
            } catch (RuntimeException e) {
                log.warn("debugger listener failed", e);
            }
        }
    }

    /**
     * The stop a pending halt request (attach, Ctrl-C) is due, for {@code last} (the task of the
     * slice that just ended, or null) if it may run, else for the first task the last resume let
     * run; null if none is pending (or no task is live: the request is dropped).
     */
    StopEvent requestedStop(Task last) {
        if (!haltRequested) {
            return null;
        }
        Task who = last != null && live(last) && action(last) != Action.STOP ? last : null;
        if (who == null) {
            // no task was on the CPU (an idle system): the thread the debugger looks at, not
            // whichever task comes first (a server the user is not debugging)
            Task p = haltPreferred > 0 && haltPreferred <= port.tasks().size()
                    ? port.tasks().get(haltPreferred - 1)
                    : null;
            who = p != null && live(p) && action(p) != Action.STOP ? p : firstResumed();
        }
        StopKind kind = haltKind;
        if (who == null) {
            haltRequested = false;
            return null;
        }
        return new StopEvent(
                kind,
                DebugThreads.id(who),
                kind == StopKind.ATTACHED ? SIGTRAP : SIGINT,
                kind == StopKind.ATTACHED ? "debugger attached" : "interrupted");
    }

    /** Some task's end may be due for a report ({@link #takeEnded}). */
    boolean watchingEnds() {
        return watchEnds.length > 0;
    }

    /**
     * A task that ended since the resume began and whose end is to be reported (once), or null.
     * A halt request (attach, Ctrl-C) that came first is reported first: the end waits for the
     * next resume, when the debugger learns of it from the thread's state.
     */
    Task takeEnded() {
        return locked(() -> {
            if (haltRequested || !attached) {
                return null;
            }
            boolean[] w = watchEnds;
            for (int i = 0; i < w.length && i < port.tasks().size(); i++) {
                Task t = port.tasks().get(i);
                if (w[i] && !live(t)) {
                    w[i] = false;
                    return t;
                }
            }
            return null;
        });
    }

    /** Wait up to 10 ms for the debugger (a halt request or a kill); that time is not run time. */
    void awaitDebugger() {
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
        port.held(System.nanoTime() - t0);
    }

    /** The CPU of the slice about to run (null between slices), which a halt request preempts. */
    void running(Cpu cpu) {
        running = cpu;
    }

    /** What {@code t} does since the last resume. */
    Action action(Task t) {
        Action[] a = actions;
        return t.index() < a.length ? a[t.index()] : Action.CONTINUE;
    }

    /**
     * The last resume named {@code t} (as gdb does when it steps a thread: {@code vCont;c:T}
     * with a breakpoint at the next instruction): breakpoints apply to it, in scope or not.
     */
    boolean named(Task t) {
        boolean[] n = namedThreads;
        return t.index() < n.length && n[t.index()];
    }

    /** The resume in progress (each resume has a new one). */
    long stepSerial() {
        return stepSerial;
    }

    /** The first live task the last resume let run, else the first live task. */
    Task firstResumed() {
        for (Task t : port.tasks()) {
            if (live(t) && action(t) != Action.STOP) {
                return t;
            }
        }
        return DebugThreads.firstLive(port);
    }

    /** Some live task is frozen by the debugger. */
    boolean anyFrozen() {
        for (Task t : port.tasks()) {
            if (live(t) && action(t) == Action.STOP) {
                return true;
            }
        }
        return false;
    }

    /** Every live task but {@code t} is frozen. */
    boolean othersFrozen(Task t) {
        for (Task x : port.tasks()) {
            if (x != t && live(x) && action(x) != Action.STOP) {
                return false;
            }
        }
        return true;
    }

    boolean attached() {
        return attached;
    }

    boolean killed() {
        return killed;
    }

    boolean over() {
        return over;
    }

    // ---- the fault stop (lock held, halted) ------------------------------------------------

    /** The task of the current fault stop, or null. */
    Task faultTask() {
        return faultTask;
    }

    /** The current fault stop is really a breakpoint. */
    boolean faultTrap() {
        return faultTrap;
    }

    /** Where {@code t} resumes (at a fault stop: where it resumes if the debugger takes the fault). */
    long pcOf(Task t) {
        return t == faultTask ? faultPc : t.pc();
    }

    /** Set where {@code t} resumes. */
    void setPc(Task t, long pc) {
        if (t == faultTask) {
            faultPc = pc; // where the task resumes if the debugger takes the fault
        } else {
            t.resumeAt(pc);
        }
    }

    /** The debugger changed {@code t}'s registers: at a fault stop it resumes from them. */
    void registersChanged(Task t) {
        if (t == faultTask) {
            faultRegsChanged = true;
        }
    }

    /** {@code t} was restarted at the stop: it is no longer the faulted task. */
    void forgetFault(Task t) {
        if (t == faultTask) {
            faultTask = null;
        }
    }

    // ---- the debugger thread ---------------------------------------------------------------

    /** Report stops to {@code l} from now on and halt the system (a stop of kind ATTACHED follows). */
    void attach(Listener l) {
        Cpu c = locked(() -> {
            listener = l;
            attached = true;
            return requestHalt(StopKind.ATTACHED);
        });
        preempt(c);
    }

    /**
     * Halt the running system soon (a stop of kind INTERRUPTED follows); no-op if halted. In an
     * idle system the stop is reported in thread {@code preferred} where it qualifies (see
     * {@link #requestedStop}).
     */
    void interrupt(int preferred) {
        preempt(locked(() -> {
            haltPreferred = preferred;
            return requestHalt(StopKind.INTERRUPTED);
        }));
    }

    private static void preempt(Cpu c) {
        if (c != null) {
            c.requestPreempt(); // stops at the next block boundary, where the PC is exact
        }
    }

    /**
     * With the lock held: ask the kernel to halt (unless it is halted or killed) and return
     * the running CPU, which the caller preempts after unlocking, or null.
     */
    private Cpu requestHalt(StopKind kind) {
        if (halted || killed) {
            return null;
        }
        if (kind != StopKind.INTERRUPTED) {
            haltPreferred = 0;
        }
        haltKind = kind;
        haltRequested = true;
        wake.signalAll(); // ends a wait for the debugger while it held tasks
        return running;
    }

    /**
     * Lock held: the debugger leaves without having resumed the system. If the system is still
     * held before its first instruction for a debugger, forget this one (points are the caller's)
     * and keep the system held, as it was, for the next: true. Else false, and nothing changed.
     */
    boolean leaveHeldLocked() {
        if (!halted || !firstHold || resumeRequested || killed) {
            return false;
        }
        forgetDebuggerLocked();
        return true;
    }

    /** Lock held: the debugger leaves; every task resumes (points are the caller's). */
    void detachLocked() {
        forgetDebuggerLocked();
        wake.signalAll(); // also ends a wait for the debugger while it held tasks
        if (halted) {
            resumeRequested = true;
        }
    }

    private void forgetDebuggerLocked() {
        attached = false;
        listener = null;
        actions = new Action[0];
        reportEnds = Set.of();
        watchEnds = new boolean[0];
        deliverFault = true;
        haltRequested = false;
    }

    /** End the run (points are the caller's, under the same lock): the kernel returns as soon as it can. */
    void kill(Runnable alsoLocked) {
        Cpu c = locked(() -> {
            killed = true;
            attached = false;
            listener = null;
            alsoLocked.run();
            actions = new Action[0];
            wake.signalAll(); // also ends a wait for the debugger while it held tasks
            if (halted) {
                resumeRequested = true;
                return null;
            }
            return running;
        });
        preempt(c);
    }

    /** See {@link DebugTarget#resume(Map, Action, boolean)}. */
    void resume(Map<Integer, Action> threadActions, Action others, boolean deliver) {
        whileHalted(() -> {
            Action[] a = new Action[port.tasks().size()];
            boolean[] n = new boolean[a.length];
            Arrays.fill(a, others);
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
                w[i] = reportEnds.contains(i + 1) && live(port.tasks().get(i));
                any |= w[i];
            }
            watchEnds = any ? w : new boolean[0];
            // a faulted task left frozen keeps its registers: it meets its fault again when it runs
            deliverFault = deliver && (faultTask == null || a[faultTask.index()] != Action.STOP);
            resumeRequested = true;
            wake.signalAll();
            return null;
        });
    }

    /** See {@link DebugTarget#reverse}. */
    void reverse(int thread, boolean step) {
        runWhileHalted(thread, t -> {
            if (t == faultTask) { // (its resume point is kept apart from its registers)
                throw new IllegalArgumentException("thread " + thread + " (task " + t.name()
                        + ") is at its fault stop: no reverse execution from there (continue or step past the"
                        + " fault first: its recovery, if any, runs then)");
            }
            reverseThread = thread;
            reverseStep = step;
            wake.signalAll();
        });
    }

    /** See {@link DebugTarget#reportTaskEnds}. */
    void reportTaskEnds(Set<Integer> threads) {
        runLocked(() -> reportEnds = Set.copyOf(threads)); // from the next resume on
    }

    /** The run is over: halted for good in the final state (no stop event; a resume has no effect). */
    void systemEnded() {
        runLocked(() -> {
            over = true;
            halted = true;
            stop = null;
            faultTask = null;
        });
    }

    boolean halted() {
        return locked(() -> halted);
    }

    StopEvent currentStop() {
        return locked(() -> halted ? stop : null);
    }
}
