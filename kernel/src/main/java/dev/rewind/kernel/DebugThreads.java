package dev.rewind.kernel;

/**
 * Tasks as the debugger's threads: a task's thread id is its slot index + 1 for the whole run
 * (across restarts, and after it ended).
 */
final class DebugThreads {
    private DebugThreads() {
    }

    /** The thread id of {@code t}. */
    static int id(Task t) {
        return t.index + 1;
    }

    /** {@code t} has an engine and has not ended. */
    static boolean live(Task t) {
        return t.cpu() != null && t.state().alive();
    }

    /** The live task with thread id {@code thread}; IllegalArgumentException if there is none. */
    static Task task(Kernel k, int thread) {
        int i = thread - 1;
        if (i < 0 || i >= k.tasks.size() || !live(k.tasks.get(i))) {
            throw new IllegalArgumentException("no thread " + thread);
        }
        return k.tasks.get(i);
    }

    /** The task with thread id {@code thread} if it has ended, else null. */
    static Task ended(Kernel k, int thread) {
        int i = thread - 1;
        return i >= 0 && i < k.tasks.size() && !live(k.tasks.get(i)) ? k.tasks.get(i) : null;
    }

    /** The task with thread id {@code thread}, live or not; IllegalArgumentException for an id out of range. */
    static Task any(Kernel k, int thread) {
        if (thread < 1 || thread > k.tasks.size()) {
            throw new IllegalArgumentException("no thread " + thread);
        }
        return k.tasks.get(thread - 1);
    }

    /** The first live task, or null. */
    static Task firstLive(Kernel k) {
        for (Task t : k.tasks) {
            if (live(t)) {
                return t;
            }
        }
        return null;
    }
}
