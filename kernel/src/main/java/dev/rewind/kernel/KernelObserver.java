package dev.rewind.kernel;

/**
 * Hears what happens to tasks; the CLI and tests use it. Called on the kernel thread.
 *
 * <p>The timeline callbacks ({@link #sliceStarted} .. {@link #replied}) are made only to an
 * observer whose {@link #wantsTimeline} is true (asked once, when the kernel is built): a kernel
 * without such an observer pays one predictable branch per slice and per message, nothing more.
 * Their times are nanoseconds since the kernel was built ({@link Kernel#uptimeNanos}).
 */
public interface KernelObserver {
    /**
     * {@code task} faulted while it was generation {@code generation}; {@code outcome} is what
     * its recovery policy did (the task may already carry a new generation).
     */
    default void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {}

    /**
     * True if this observer shows every fault to the user itself (one line each, as
     * {@code rewind boot} does): the kernel then logs faults at DEBUG instead of WARN, so that
     * each fault appears once on stderr.
     */
    default boolean reportsFaults() {
        return false;
    }

    /**
     * True if this observer accounts for every recovery itself (a fault-injection campaign's
     * table, a benchmark that makes faults on purpose): the recovery policies then log the
     * details of each recovery (code restored, registers repaired, committed requests replayed)
     * at DEBUG instead of WARN.
     */
    default boolean reportsRecoveries() {
        return false;
    }

    default void taskRestarted(Task task) {}

    /**
     * {@code task} (policy txipc) faulted while handling a request from the client with
     * {@code badge}; the request was rolled back ({@code pages} pages restored in {@code nanos}).
     * {@code badge} is {@link RecoveryOutcome.RolledBack#WAKE} for work after a WAIT_ANY wake,
     * {@link RecoveryOutcome.RolledBack#SCRUB} for a repair of what the scrub found between requests,
     * {@link RecoveryOutcome.RolledBack#RESUMED} for work after a syscall that ended a request.
     */
    default void taskRecovered(Task task, Fault fault, long badge, int pages, long nanos) {}

    default void taskExited(Task task, long code) {}

    /**
     * {@code server} (policy txipc) finished replaying {@code requests} committed requests after
     * undoing them ({@code pages} pages), {@code nanos} after the abort that started it;
     * {@code differed} of them gave a reply other than the one their client got (that reply was
     * wrong: the client was told something the repaired server would not say).
     */
    default void historyReplayed(Task server, int requests, int pages, int differed, long nanos) {}

    /**
     * {@code server} (policy txipc, {@code verify = "dual"}) ran the request with {@code label}
     * from the client with {@code badge} twice and the runs disagreed (reply or memory written),
     * a fault that did not trap; a third run decided: {@code decided} if it agreed with one of
     * the first two (that result was committed and replied), else the request was aborted.
     */
    default void verifyMismatch(Task server, long badge, long label, boolean decided) {}

    /**
     * The shadow of {@code driver} restored its service after {@code fault}: it replayed
     * {@code replayed} logged requests, re-issued {@code reissued} request(s) that were in flight
     * and released {@code held} callers that had queued meanwhile, {@code nanos} after the fault.
     */
    default void driverRecovered(Task driver, Fault fault, int replayed, int reissued, int held, long nanos) {}

    // ---- timeline ------------------------------------------------------------------------------

    /** True if this observer wants the timeline callbacks below (asked once, at construction). */
    default boolean wantsTimeline() {
        return false;
    }

    /** {@code task} went on the CPU at {@code atNanos}. */
    default void sliceStarted(Task task, long atNanos) {}

    /** {@code task} left the CPU at {@code atNanos} (blocked, yielded, was preempted, exited or faulted). */
    default void sliceEnded(Task task, long atNanos) {}

    /** {@code client} called {@code server} at {@code atNanos}; it waits until its request is answered. */
    default void callStarted(Task client, Task server, long atNanos) {}

    /**
     * {@code server} was handed the request with {@code label} from {@code client} (with
     * {@code badge}) through {@code endpoint} at {@code atNanos}. {@code client} is a kernel
     * pseudo-client ({@link Task#index()} -1) for requests the kernel sends itself (a txipc
     * history replay, a shadow driver's replayed state); {@code again} is true for a request
     * that is not a new one (replayed, or run again to verify it). A server has at most one open
     * request: one it has not replied to ends when it faults, restarts, exits or is handed
     * another.
     */
    default void requestDelivered(
            Task server, Task client, String endpoint, long label, long badge, boolean again, long atNanos) {}

    /** {@code server} replied to {@code client}'s request at {@code atNanos}. */
    default void replied(Task server, Task client, long atNanos) {}
}
