package dev.rewind.kernel;

/**
 * The time a server has spent on the request it is handling, for its recovery policy's
 * request deadline ({@link Recovery#deadlineNanos}): its CPU time, and, for a policy that
 * counts them ({@link Recovery#deadlineCountsWaits}), the wall time it spent blocked inside the
 * request (nested calls, notification waits, sleeps), less the time a debugger held the system.
 * The kernel thread opens and closes it (the policy, as a request begins and ends), marks
 * slice boundaries and blocks; the watchdog thread reads it to stop a request that overruns.
 */
final class RequestClock {
    private volatile boolean open;
    /** CPU time of the open request before the current slice. */
    private volatile long used;
    /** Where the current slice's share starts. */
    private volatile long sliceMark;
    /** When the task blocked inside the open request (-1: it is not blocked). */
    private long blockedSince = -1;
    /** The kernel's debugger-held total when it blocked. */
    private long heldAtBlock;
    /** How many requests were opened so far: the open one's number (kernel thread; a debugger while halted). */
    private long serial;

    /** A request begins now. */
    void open(long now) {
        serial++;
        used = 0;
        sliceMark = now;
        blockedSince = -1;
        open = true;
    }

    /** The number of the open request, or of the last one (0: none yet): each request has its own. */
    long serial() {
        return serial;
    }

    void close() {
        open = false;
        blockedSince = -1;
    }

    /** The task blocked inside the open request at {@code now}, with {@code held} ns held by a debugger so far. */
    void blocked(long now, long held) {
        if (open) {
            blockedSince = now;
            heldAtBlock = held;
        }
    }

    /** The task's block ended at {@code now} (it was woken): bank the time it was blocked. */
    void unblocked(long now, long held) {
        if (blockedSince >= 0) {
            used += waited(now, held);
            blockedSince = -1;
        }
    }

    /** While blocked inside an open request: has the request used more than {@code limit} at {@code now}? */
    boolean overranBlocked(long now, long held, long limit) {
        return open && blockedSince >= 0 && used + waited(now, held) > limit;
    }

    /**
     * Between slices (the task not running, not blocked): has the open request used more than
     * {@code limit}, its banked CPU and waits?
     */
    boolean overranBetweenSlices(long limit) {
        return open && used > limit;
    }

    /** How long it has been blocked at {@code now} (0: not blocked). */
    long blockedFor(long now, long held) {
        return blockedSince >= 0 ? waited(now, held) : 0;
    }

    private long waited(long now, long held) {
        return Math.max(0, now - blockedSince - Math.max(0, held - heldAtBlock));
    }

    boolean isOpen() {
        return open;
    }

    /** A slice of the task starts at {@code now}. */
    void sliceStarted(long now) {
        blockedSince = -1; // (a wake banks it; a block the kernel ended otherwise is not counted)
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
