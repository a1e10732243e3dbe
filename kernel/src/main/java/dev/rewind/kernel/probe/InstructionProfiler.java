package dev.rewind.kernel.probe;

import dev.rewind.kernel.KernelProbe;
import dev.rewind.kernel.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts the instructions a server executes for each request it handles (from delivery to
 * reply), in a fault-free run. The fault injector draws its strike points from these lengths
 * so that nearly every planned fault is activated. It also counts what the server executes
 * after each reply until its next request arrives ({@link #gaps}), for strikes in
 * {@link RequestStrike.Window#AFTER_REPLY}: from a plain REPLY that txipc held
 * ({@link KernelProbe#replyHeld}), so that the work between it and the release is counted in
 * both (a txipc request ends at its release; the work after its REPLY is after its reply).
 */
public final class InstructionProfiler implements KernelProbe {
    private final String server;
    private final List<Long> lengths = new ArrayList<>();
    private final List<Long> gaps = new ArrayList<>();
    private final List<String> requests = new ArrayList<>();
    private dev.rewind.hw.cpu.Cpu.InstructionCount counter;
    private long start = -1;
    /** The count at the last reply, -1 before the first reply. */
    private long replyAt = -1;
    /** The count at the open request's last held REPLY ({@link #replyHeld}), -1 if none. */
    private long heldAt = -1;

    public InstructionProfiler(String server) {
        this.server = server;
    }

    @Override
    public void requestDelivered(Task t) {
        if (!t.name().equals(server)) {
            return;
        }
        if (counter == null) {
            counter = t.cpu().countInstructions();
            t.cpu().dropCodeTranslations();
        }
        if (replyAt >= 0) {
            gaps.add(counter.count() - replyAt);
            replyAt = -1;
        }
        start = counter.count();
        heldAt = -1;
        requests.add(String.valueOf(t.requestFrom()));
    }

    @Override
    public void replyHeld(Task t) {
        if (t.name().equals(server) && start >= 0) {
            heldAt = counter.count(); // (the work after it, up to the release, is after the reply too)
        }
    }

    @Override
    public void replied(Task t) {
        if (t.name().equals(server) && start >= 0) {
            lengths.add(counter.count() - start);
            start = -1;
            while (gaps.size() < lengths.size() - 1) {
                gaps.add(0L); // (a request delivered before the reply to the one before it)
            }
            replyAt = heldAt >= 0 ? heldAt : counter.count();
            heldAt = -1;
        }
    }

    /**
     * The run is over, with the engine at rest: what the server ran after its last reply is the
     * last gap. Call before the kernel is closed.
     */
    public void finish() {
        if (replyAt >= 0 && counter != null) {
            gaps.add(counter.count() - replyAt);
            replyAt = -1;
        }
    }

    /** Who sent each request and its label ({@link Task#requestFrom}), in request order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /**
     * Instructions the server ran after each reply until the next request was delivered to it (the
     * last: until {@link #finish}), in request order: {@code gaps()[i]} follows the reply to request
     * i+1. As long as {@link #lengths} once finished.
     */
    public long[] gaps() {
        long[] g = new long[lengths.size()];
        for (int i = 0; i < g.length && i < gaps.size(); i++) {
            g[i] = gaps.get(i);
        }
        return g;
    }

    /** Instructions per request, in request order. */
    public long[] lengths() {
        return lengths.stream().mapToLong(Long::longValue).toArray();
    }
}
