package dev.rewind.kernel;

/** Hears what happens to tasks; the CLI and tests use it. Called on the kernel thread. */
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

    default void taskRestarted(Task task) {}

    /**
     * {@code task} (policy txipc) faulted while handling a request from the client with
     * {@code badge}; the request was rolled back ({@code pages} pages restored in {@code nanos}).
     */
    default void taskRecovered(Task task, Fault fault, long badge, int pages, long nanos) {}

    default void taskExited(Task task, int code) {}

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
}
