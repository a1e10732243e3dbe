package dev.rewind.kernel.debug;

import static dev.rewind.kernel.debug.DebugTarget.SIGTRAP;
import static dev.rewind.kernel.debug.DebugThreads.id;
import static dev.rewind.kernel.debug.DebugThreads.live;

import dev.rewind.kernel.Task;
import dev.rewind.kernel.debug.DebugTarget.Action;
import dev.rewind.kernel.debug.DebugTarget.StopEvent;
import dev.rewind.kernel.debug.DebugTarget.StopKind;
import dev.rewind.kernel.debug.DebugTarget.WatchKind;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The debugger's side of reverse execution: which tasks are recorded, their histories, the
 * reverse-execution window, and the moves through a history as stop events
 * ({@link ReverseExecution} does the checkpointing and replaying). Used on the kernel thread,
 * and by the debugger thread under the halt lock while the system is halted
 * ({@link #changedByDebugger}).
 */
final class ReverseRecorder {
    private final DebugHooks hooks;
    /** Reverse-execution histories of the tasks the debugger resumed by name or put in scope. */
    private final Map<Task, ReverseExecution.History> histories = new IdentityHashMap<>();
    /** How far back (instructions) a task that serves no endpoint can run; 0: no limit. */
    private volatile long window = Long.getLong("rewind.reverse.window", 0L);

    ReverseRecorder(DebugHooks hooks) {
        this.hooks = hooks;
    }

    /** See {@link DebugTarget#setReverseWindow}. */
    void setWindow(long instructions) {
        if (instructions < 0) {
            throw new IllegalArgumentException(
                    "the reverse-execution window must be 0 (no limit) or more instructions, got " + instructions);
        }
        window = instructions;
    }

    long window() {
        return window;
    }

    /**
     * {@code t} is about to execute user code at {@code pc} after the kernel had it (a slice
     * starts, or a system call returned within a slice): checkpoint it if the debugger resumed
     * it by name ({@code named}) or it is in an explicit {@code monitor scope} of {@code p}; a
     * task that runs unrecorded loses its history (it would have a gap). Without a debugger
     * ({@code attached} false) nothing is recorded.
     */
    void record(Task t, long pc, boolean attached, DebugPoints p, boolean named) {
        if (!attached || t.cpu() == null) {
            if (!histories.isEmpty()) {
                histories.clear();
            }
            return;
        }
        if (!named && (p.scope().isEmpty() || !p.inScope(t))) {
            histories.remove(t);
            return;
        }
        ReverseExecution.History h = histories.get(t);
        if (h == null || h.cpu != t.cpu()) {
            h = new ReverseExecution.History(t);
            histories.put(t, h);
        }
        long request = t.inRequest() ? t.requestSerial() : -1;
        if (request >= 0 && request != h.request) {
            // a transaction began (also one right after the last, a reply and the next receive
            // in one call): the history starts with it, so that a replay only stores to pages
            // its undo log already holds (a replayed store must not log a past pre-image)
            h.segs.clear();
            h.bytes = 0;
        }
        h.request = request;
        ReverseExecution.checkpoint(h, pc);
    }

    /**
     * Is {@code t} in its past (moved back, not yet forward to the present)? Not once it was
     * restarted (a new engine: that history is not its own). Halt lock held.
     */
    /**
     * {@code t}'s history as {checkpoints, checkpoints whose stretch has been measured by a
     * replay}; {0, 0} without one. For tests: which stretches a move back replayed.
     */
    int[] segmentCounts(Task t) {
        ReverseExecution.History h = histories.get(t);
        if (h == null || h.cpu != t.cpu()) {
            return new int[] {0, 0};
        }
        int measured = 0;
        for (ReverseExecution.Segment s : h.segs) {
            if (s.length >= 0) {
                measured++;
            }
        }
        return new int[] {h.segs.size(), measured};
    }

    boolean inPast(Task t) {
        ReverseExecution.History h = histories.get(t);
        return h != null && h.cpu == t.cpu() && h.inPast();
    }

    /**
     * {@code t} is about to be restarted by the debugger ({@code monitor restart}): bring it
     * back to the present first, so that the kernel restarts it from the state it knows, and
     * forget its history (the new generation has none). Halt lock held.
     */
    void restarting(Task t) {
        ReverseExecution.History h = histories.remove(t);
        if (h != null && h.cpu == t.cpu()) {
            ReverseExecution.leavePast(h);
        }
    }

    /**
     * Kernel thread: the kernel recovered {@code t} from a fault (a rollback, a restart, a driver's
     * restart and replay): its state no longer comes from its history, which forgets it (a step
     * back from there went into the request the rollback undid).
     */
    void recovered(Task t) {
        ReverseExecution.History h = histories.get(t);
        if (h != null && !h.inPast()) {
            histories.remove(t);
        }
    }

    /** The debugger changed {@code t} in the present: its history no longer leads here. Halt lock held. */
    void changedByDebugger(Task t) {
        ReverseExecution.History h = histories.get(t);
        if (h != null && !h.inPast()) {
            histories.remove(t);
        }
    }

    /** Halted: run {@code t} backwards (one instruction if {@code step}); the other tasks stay as they are. */
    StopEvent back(Task t, boolean step, DebugPoints p) {
        ReverseExecution.History h = histories.get(t);
        if (h == null || h.cpu != t.cpu() || !live(t)) {
            return new StopEvent(StopKind.HISTORY_BEGIN, id(t), SIGTRAP, "no reverse-execution history");
        }
        hooks.drop(t);
        h.window = t.isServer() ? 0 : window; // a server keeps its whole request
        ReverseExecution.Move m =
                step ? ReverseExecution.stepBack(h) : ReverseExecution.continueBack(h, p.forReplay(id(t)));
        return moved(t, m, false, p);
    }

    /**
     * Halted, the debugger resumed: a task in the past runs forward through its history first
     * (the others wait); a frozen one waits in the present. Null when the resume goes on live.
     */
    StopEvent forward(Function<Task, Action> action, DebugPoints p) {
        for (ReverseExecution.History h : new ArrayList<>(histories.values())) {
            if (!h.inPast()) {
                continue;
            }
            Task t = h.task;
            if (h.cpu != t.cpu()) {
                // restarted since (a new engine): the history and the present it would restore
                // (pc, pending results) are the old generation's, not this one's
                histories.remove(t);
                continue;
            }
            Action a = action.apply(t);
            if (a == Action.STOP || !live(t)) {
                ReverseExecution.leavePast(h); // frozen: it waits in the present
                continue;
            }
            hooks.drop(t);
            ReverseExecution.Move m = a == Action.STEP
                    ? ReverseExecution.stepForward(h)
                    : ReverseExecution.continueForward(h, p.forReplay(id(t)));
            StopEvent ev = moved(t, m, true, p);
            if (ev != null) {
                return ev;
            }
        }
        return null;
    }

    private static StopEvent moved(Task t, ReverseExecution.Move m, boolean forward, DebugPoints p) {
        return switch (m.reached()) {
            case BEGIN -> new StopEvent(StopKind.HISTORY_BEGIN, id(t), SIGTRAP, "no more reverse-execution history");
            case STEPPED ->
                new StopEvent(StopKind.STEPPED, id(t), SIGTRAP, forward ? "step (replayed)" : "reverse step");
            case BREAKPOINT ->
                new StopEvent(StopKind.BREAKPOINT, id(t), SIGTRAP, String.format("breakpoint at 0x%x", t.pc()));
            case WATCHPOINT -> {
                WatchKind kind = WatchKind.ACCESS;
                long at = m.watchAddress();
                DebugPoints.Watch w = p.watchAt(m.watchAddress(), m.watchWrite());
                if (w != null) {
                    kind = w.kind();
                    at = Long.compareUnsigned(m.watchAddress(), w.address()) < 0 ? w.address() : m.watchAddress();
                }
                yield new StopEvent(
                        StopKind.WATCHPOINT, id(t), SIGTRAP, kind, at, String.format("watchpoint at 0x%x", at));
            }
            case PRESENT -> null;
        };
    }
}
