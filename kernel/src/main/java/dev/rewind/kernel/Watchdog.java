package dev.rewind.kernel;

import dev.rewind.hw.cpu.Cpu;
import java.util.concurrent.locks.LockSupport;

/**
 * The preemption timer. A daemon thread that wakes every tick and, if the running slice has
 * used up its quantum, the task has gone too long without a syscall, or the run's time budget
 * is spent, marks why on the slice and calls {@code uc_emu_stop} on the running CPU. This is
 * the only way a running task loses the CPU against its will; Unicorn's instruction-count
 * limit is never used (it breaks on cached code and slows later runs).
 */
final class Watchdog implements AutoCloseable {
    private static final long TICK_NANOS = 1_000_000;

    /**
     * One stretch of a task on the CPU. The watchdog only ever sees one whole Slice: the kernel
     * reuses one object for every slice ({@link #begin}), and {@link #end} returns only once the
     * watchdog is done looking at it (a slice a tick, 2 per null IPC round trip: allocating one
     * each time cost more than the rest of the kernel's work, in the page faults of a young
     * heap).
     */
    static final class Slice {
        Task task;
        Cpu cpu;
        long start;
        long runawayNanos;
        long quietBefore;
        volatile boolean preempted;
        volatile boolean runaway;
        volatile boolean budgetSpent;
        /** The task's open request ran past its recovery policy's deadline. */
        volatile boolean deadline;

        long deadlineNanos;

        /**
         * When the first task sleeping in a timed wait is due to wake (System.nanoTime; MAX_VALUE:
         * none): a preemptible slice ends then, so that the kernel wakes it on time.
         */
        long wakeDue = Long.MAX_VALUE;

        /**
         * CPU time after which the slice ends (its quantum): the watchdog's, or longer where the
         * kernel counts slices in syscalls ({@link Kernel#setCountedSlices}).
         */
        long quantumNanos;

        /** The kernel thread, which runs the slice's CPU. */
        long thread;
        /** The kernel thread's CPU time and the wall time when the watchdog first saw the slice (-1: not yet). */
        private long cpuMark = -1;

        private long wallMark;
        /**
         * Wall time of the slice in which the kernel thread did not run (the host gave its CPU to
         * others, or the JVM stopped it for a garbage collection): not the task's CPU time.
         */
        volatile long stolen;

        /** A slice of {@code task} from {@code start} (one the watchdog never sees). */
        Slice(Task task, long start) {
            reset(task, start);
        }

        private Slice() {}

        /** Make this the slice of {@code task} from {@code start}, with no marks. */
        private void reset(Task task, long start) {
            this.task = task;
            this.cpu = task.cpu();
            this.start = start;
            this.runawayNanos = task.spec().runawayMs() * 1_000_000L;
            this.quietBefore = task.quietNanos();
            this.deadlineNanos = task.recovery().deadlineNanos();
            this.wakeDue = Long.MAX_VALUE;
            this.thread = Thread.currentThread().getId();
            this.cpuMark = -1;
            this.wallMark = 0;
            // (volatile writes cost a fence each: only those set are cleared)
            if (preempted) {
                preempted = false;
            }
            if (runaway) {
                runaway = false;
            }
            if (budgetSpent) {
                budgetSpent = false;
            }
            if (deadline) {
                deadline = false;
            }
            if (stolen != 0) {
                stolen = 0;
            }
        }
    }

    final long quantumNanos;
    private volatile long deadline;
    private final Thread thread;
    private volatile Slice slice;
    /** The slice the watchdog thread is looking at, or null: {@link #end} waits until it is done. */
    private volatile Slice busy;
    /** The one Slice object, reused for every slice. */
    private final Slice reused = new Slice();

    private volatile boolean closed;

    /** @param budgetNanos total run time allowed, or 0 for none */
    Watchdog(long quantumNanos, long budgetNanos) {
        this.quantumNanos = quantumNanos;
        this.deadline = budgetNanos > 0 ? System.nanoTime() + budgetNanos : Long.MAX_VALUE;
        this.thread = new Thread(this::loop, "rewind-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * The slice of {@code t} from {@code now} begins: the watchdog may look at it from now on
     * until {@link #end}. It ends (if preemptible) after {@code quantum} ns of CPU time (the
     * watchdog's quantum, or longer for counted slices: {@link Kernel#setCountedSlices}), or at
     * {@code wakeDue} (System.nanoTime, MAX_VALUE: never), when a sleeping task is due to wake.
     * The returned object is valid until the next begin.
     */
    Slice begin(Task t, long now, long quantum, long wakeDue) {
        Slice s = reused; // (the last end() waited until the watchdog was done with it)
        s.reset(t, now);
        s.quantumNanos = quantum;
        s.wakeDue = wakeDue;
        slice = s;
        return s;
    }

    /** The slice ends: returns once the watchdog no longer looks at it. */
    void end() {
        Slice s = slice;
        slice = null;
        // The watchdog marks itself busy, then checks that the slice is still current; the
        // kernel withdraws it, then checks that the watchdog is not busy with it (both
        // volatile: one of the two sees the other). Its look at a slice takes microseconds.
        for (int spins = 0; s != null && busy == s; spins++) {
            if ((spins & 255) == 255) {
                Thread.yield(); // (the watchdog thread was descheduled in the middle)
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * Stop the slice's CPU. A preemptible CPU (block hook) stops precisely at its next block.
     * Otherwise (one-task systems, which are never time-sliced) the only way is Unicorn's
     * asynchronous stop, which may leave the PC behind instructions already executed; it is
     * used only to end the task's run for good (runaway, deadline, budget), and only while the
     * kernel is inside this very slice's run, so that it cannot land in a later one.
     */
    private void stop(Slice s) {
        if (s.cpu.preemptible()) {
            s.cpu.requestPreempt();
            return;
        }
        synchronized (runLock) {
            if (inRun == s) {
                s.cpu.stop();
            }
        }
    }

    private final Object runLock = new Object();
    private Slice inRun;

    /** The kernel is about to run {@code s}'s CPU (only needed for non-preemptible CPUs). */
    void entering(Slice s) {
        synchronized (runLock) {
            inRun = s;
        }
    }

    /** The kernel's run of the CPU returned. */
    void left() {
        synchronized (runLock) {
            inRun = null;
        }
    }

    /** Move the budget's end {@code nanos} later (time the system was stopped by a debugger). */
    void extend(long nanos) {
        long d = deadline;
        if (d != Long.MAX_VALUE && nanos > 0) {
            deadline = Long.MAX_VALUE - d > nanos ? d + nanos : Long.MAX_VALUE;
        }
    }

    /** End the budget now: the running slice is stopped at the next tick. (Any thread.) */
    void endNow() {
        deadline = Long.MIN_VALUE;
    }

    boolean budgetSpent() {
        long d = deadline;
        return d != Long.MAX_VALUE && System.nanoTime() > d; // (no budget: no clock read)
    }

    private void loop() {
        while (!closed) {
            LockSupport.parkNanos(TICK_NANOS);
            Slice s = slice;
            if (s == null) {
                continue;
            }
            busy = s;
            if (slice != s) {
                busy = null; // it ended meanwhile
                continue;
            }
            try {
                look(s);
            } finally {
                busy = null;
            }
        }
    }

    /** One tick's look at the running slice {@code s}: mark it and stop its CPU if it must end. */
    private void look(Slice s) {
        long now = System.nanoTime();
        // The request deadline and the runaway limit are CPU time: without the stolen time a
        // loaded host (or a long GC pause) would fault a task that did nothing wrong.
        long cpuNow = now - steal(s, now);
        if (now > deadline) {
            s.budgetSpent = true;
            stop(s);
        } else if (s.deadlineNanos > 0 && s.task.requestOverran(cpuNow, s.deadlineNanos)) {
            s.deadline = true;
            stop(s);
        } else if (s.runawayNanos > 0 && quiet(s, cpuNow) > s.runawayNanos) {
            s.runaway = true;
            stop(s);
        } else if (cpuNow - s.start >= s.quantumNanos && s.cpu.preemptible()) {
            // (A quantum is CPU time too: on a loaded host a task could otherwise lose its
            // turn before running at all, and the order of equal tasks would depend on load.)
            s.preempted = true;
            s.cpu.requestPreempt();
        } else if (now >= s.wakeDue && s.cpu.preemptible()) {
            s.preempted = true; // (a sleeper is due: the kernel wakes it, then picks by priority)
            s.cpu.requestPreempt();
        }
    }

    /**
     * The slice's stolen time so far: wall time since the watchdog first saw it minus the kernel
     * thread's CPU time over the same stretch (read on this thread; ~1 µs a tick, nothing on the
     * kernel thread). 0 where the JVM cannot read a thread's CPU time.
     */
    private static long steal(Slice s, long now) {
        java.lang.management.ThreadMXBean threads = Threads.BEAN;
        long cpu = threads != null ? threads.getThreadCpuTime(s.thread) : -1;
        if (cpu < 0) {
            return s.stolen;
        }
        if (s.cpuMark < 0) {
            s.cpuMark = cpu;
            s.wallMark = now;
        } else {
            long stolen = (now - s.wallMark) - (cpu - s.cpuMark);
            if (stolen > s.stolen) {
                s.stolen = stolen;
            }
        }
        return s.stolen;
    }

    /**
     * The JVM's thread bean, made at the first tick that needs it, on the watchdog's thread (its
     * set-up, ~6 ms, is not paid by a run that ends before a tick).
     */
    private static final class Threads {
        static final java.lang.management.ThreadMXBean BEAN = threads();
    }

    private static java.lang.management.ThreadMXBean threads() {
        try {
            java.lang.management.ThreadMXBean t = java.lang.management.ManagementFactory.getThreadMXBean();
            if (!t.isThreadCpuTimeSupported()) {
                return null;
            }
            if (!t.isThreadCpuTimeEnabled()) {
                t.setThreadCpuTimeEnabled(true);
            }
            return t;
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** CPU time the slice's task has run since its last syscall. */
    static long quiet(Slice s, long now) {
        long last = s.task.lastSyscallAt();
        return last >= s.start ? now - last : s.quietBefore + now - s.start;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
