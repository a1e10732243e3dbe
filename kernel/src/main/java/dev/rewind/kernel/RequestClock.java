package dev.rewind.kernel;

/**
 * The CPU time a server has spent on the request it is handling, for its recovery policy's
 * request deadline ({@link Recovery#deadlineNanos}). The kernel thread opens and closes it
 * (the policy, as a request begins and ends) and marks slice boundaries; the watchdog thread
 * reads it to stop a request that overruns.
 */
final class RequestClock {
    private volatile boolean open;
    /** CPU time of the open request before the current slice. */
    private volatile long used;
    /** Where the current slice's share starts. */
    private volatile long sliceMark;

    /** A request begins now. */
    void open(long now) {
        used = 0;
        sliceMark = now;
        open = true;
    }

    void close() {
        open = false;
    }

    boolean isOpen() {
        return open;
    }

    /** A slice of the task starts at {@code now}. */
    void sliceStarted(long now) {
        sliceMark = now;
    }

    /** The task's slice ended at {@code now}: bank its share. */
    void sliceEnded(long now) {
        if (open) {
            used += now - sliceMark;
        }
    }

    /** While a request is open: has it used more than {@code limit} nanoseconds of CPU at {@code now}? */
    boolean overran(long now, long limit) {
        return open && used + now - sliceMark > limit;
    }
}
