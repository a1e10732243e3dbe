package dev.rewind.kernel.debug;

import dev.rewind.kernel.DebugPort;
import dev.rewind.kernel.Task;

/**
 * Tasks as the debugger's threads: a task's thread id is its slot index + 1 for the whole run
 * (across restarts, and after it ended).
 */
final class DebugThreads {
    private DebugThreads() {}

    /** The thread id of {@code t}. */
    static int id(Task t) {
        return t.index() + 1;
    }

    /** {@code t} has an engine and has not ended. */
    static boolean live(Task t) {
        return t.cpu() != null && t.state().alive();
    }

    /** The live task with thread id {@code thread}; IllegalArgumentException if there is none. */
    static Task task(DebugPort port, int thread) {
        int i = thread - 1;
        if (i < 0 || i >= port.tasks().size() || !live(port.tasks().get(i))) {
            throw new IllegalArgumentException("no thread " + thread);
        }
        return port.tasks().get(i);
    }

    /** The task with thread id {@code thread} if it has ended, else null. */
    static Task ended(DebugPort port, int thread) {
        int i = thread - 1;
        return i >= 0 && i < port.tasks().size() && !live(port.tasks().get(i))
                ? port.tasks().get(i)
                : null;
    }

    /** The task with thread id {@code thread}, live or not; IllegalArgumentException for an id out of range. */
    static Task any(DebugPort port, int thread) {
        if (thread < 1 || thread > port.tasks().size()) {
            throw new IllegalArgumentException("no thread " + thread);
        }
        return port.tasks().get(thread - 1);
    }

    /** The first live task, or null. */
    static Task firstLive(DebugPort port) {
        for (Task t : port.tasks()) {
            if (live(t)) {
                return t;
            }
        }
        return null;
    }
}
