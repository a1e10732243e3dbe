package dev.rewind.kernel;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The kernel as an attached debugger ({@code dev.rewind.kernel.debug}) sees it: what it reads
 * (tasks, endpoints, notifications, read-only), and the few things it does to the system while
 * it holds it stopped (takes tasks from and puts them back in the run queues, restarts a task,
 * stops the clock). Handed out once, by
 * {@link Kernel#attachDebugger}. Besides this port the debugger uses the public accessors of
 * {@link Task}, {@link Endpoint} and {@link Notification}, {@link Task#resumeAt} to move a
 * stopped task's PC and {@link Task#setPendingResults} to edit its pending syscall results.
 *
 * <p>The scheduling and writing methods are for the kernel thread, or for the debugger thread
 * while the kernel thread waits in {@link Debugger#pickNext()} or {@link Debugger#faulted}.
 */
public final class DebugPort {
    private final Kernel k;
    private final List<Task> tasks;

    DebugPort(Kernel k) {
        this.k = k;
        this.tasks = Collections.unmodifiableList(k.tasks); // fixed at boot
    }

    /** Every task, by index (thread id - 1 in gdb's numbering); read-only. */
    public List<Task> tasks() {
        return tasks;
    }

    /** The endpoints by name; read-only. */
    public Map<String, Endpoint> endpoints() {
        return Collections.unmodifiableMap(k.endpoints);
    }

    /** The notifications by name (not devices' interrupts); read-only. */
    public Map<String, Notification> notifications() {
        return Collections.unmodifiableMap(k.notifications);
    }

    /** {@link System#nanoTime()} at boot. */
    public long bootNanos() {
        return k.bootNanos;
    }

    /** Take the scheduler's next ready task out of its run queue, or null if none is ready. */
    public Task pickNext() {
        return k.scheduler.pickNext();
    }

    /** Put {@code t} at the back of its run queue, ready. */
    public void enqueue(Task t) {
        k.scheduler.enqueue(t);
    }

    /** Take {@code t} out of its run queue, if it is in it. */
    public void unqueue(Task t) {
        k.scheduler.remove(t);
    }

    /** The debugger kept the system stopped for {@code nanos}: that time is not run time (the budget moves). */
    public void held(long nanos) {
        k.debuggerHeld(nanos);
    }

    /**
     * The debugger changed {@code t}'s memory or registers: its recovery keeps no re-execution of
     * earlier requests that would undo the change (TxIPC's history replay).
     */
    public void changedByDebugger(Task t) {
        t.recovery().changedByDebugger();
    }

    /**
     * True while {@code t}'s recovery runs it again through a request it answered or is about to
     * answer: TxIPC's history replay, or a client request run again from its pre-state to verify
     * the reply ({@code verify}).
     */
    public boolean runningAgain(Task t) {
        return t.recovery().replaying();
    }

    /**
     * End the run as soon as the kernel can ({@link Kernel#requestStop}), from any thread: the
     * debugger killed the system. Without it an idle kernel (every task blocked, a timer or a
     * device still pending: a task asleep for minutes, a server waiting for network input)
     * would wait for that event before it noticed that nothing may run any more.
     */
    public void endRun() {
        k.requestStop();
    }

    /** Restart {@code t} as its recovery would ({@code monitor restart}); returns what was done. */
    public String restart(Task t) {
        return k.restart(t, null).toString();
    }
}
