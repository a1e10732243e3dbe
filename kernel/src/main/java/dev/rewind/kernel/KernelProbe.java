package dev.rewind.kernel;

/**
 * A tool attached to a running kernel (the fault injector, its profiler, the driver killer: in
 * {@code dev.rewind.kernel.probe}): told when a server is handed a request and when it replies,
 * and consulted when a task's CPU was stopped on the probe's behalf. Called on the kernel
 * thread, while no task runs. With {@link Kernel#setProbe}, this and {@link Task}'s public
 * accessors ({@code name}, {@code cpu}, {@code image}, {@code pc}, {@code resumeAt}, {@code brk},
 * {@code requestFrom})
 * are the whole surface the probes use.
 */
public interface KernelProbe {
    /** {@code server} has just been handed a request (after any txipc transaction began). */
    default void requestDelivered(Task server) {}

    /** {@code server} has just replied to its current request. */
    default void replied(Task server) {}

    /**
     * {@code server} made a plain REPLY that txipc holds until the request commits, at its next
     * receive (or call, wait, yield or exit), when {@link #replied} follows: what it runs in
     * between (a compaction step after each answer) is work after its reply as well as the
     * request's. May come more than once for one request (a request run again).
     */
    default void replyHeld(Task server) {}

    /**
     * {@code task}'s WAIT_ANY has just ended by its notification's {@code bits} (after any txipc
     * transaction of the work after the wake began; not in a replay of the history).
     */
    default void wokeByNotification(Task task, long bits) {}

    /**
     * {@code task}'s CPU stopped without a trap (preemption, or a stop the probe asked for).
     * The probe may change the task (registers, memory, {@link Task#resumeAt}); returning a fault
     * makes the kernel handle that fault now.
     */
    default Fault stopped(Task task) {
        return null;
    }
}
