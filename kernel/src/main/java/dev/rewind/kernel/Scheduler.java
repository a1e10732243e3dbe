package dev.rewind.kernel;

import java.util.ArrayDeque;

/**
 * Fixed-priority round-robin: 16 FIFO run queues, 0 the most important. The kernel picks the
 * head of the highest non-empty queue; a task that used up its time slice goes to the back of
 * its own queue.
 */
final class Scheduler {
    static final int LEVELS = 16;

    @SuppressWarnings("unchecked")
    private final ArrayDeque<Task>[] queues = new ArrayDeque[LEVELS];

    private int ready;

    Scheduler() {
        for (int i = 0; i < LEVELS; i++) {
            queues[i] = new ArrayDeque<>();
        }
    }

    /** Make {@code t} runnable at the back of its queue. */
    void enqueue(Task t) {
        t.madeReady();
        queues[t.priority()].addLast(t);
        ready++;
    }

    /** Remove and return the next task to run, or null if none is ready. */
    Task pickNext() {
        if (ready == 0) {
            return null;
        }
        for (ArrayDeque<Task> q : queues) {
            Task t = q.pollFirst();
            if (t != null) {
                ready--;
                return t;
            }
        }
        return null;
    }

    /** Remove {@code t} if queued (it died or restarted). */
    void remove(Task t) {
        if (queues[t.priority()].remove(t)) {
            ready--;
        }
    }

    /** True if a task more important than {@code priority} is ready. */
    boolean hasReadyAbove(int priority) {
        for (int i = 0; i < priority; i++) {
            if (!queues[i].isEmpty()) {
                return true;
            }
        }
        return false;
    }

    boolean hasReady() {
        return ready > 0;
    }
}
