package dev.rewind.kernel.probe;

import dev.rewind.kernel.KernelProbe;
import dev.rewind.kernel.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts the instructions a server executes for each request it handles (from delivery to
 * reply), in a fault-free run. The fault injector draws its strike points from these lengths
 * so that nearly every planned fault is activated.
 */
public final class InstructionProfiler implements KernelProbe {
    private final String server;
    private final List<Long> lengths = new ArrayList<>();
    private final List<String> requests = new ArrayList<>();
    private dev.rewind.hw.cpu.Cpu.InstructionCount counter;
    private long start = -1;

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
        start = counter.count();
        requests.add(String.valueOf(t.requestFrom()));
    }

    @Override
    public void replied(Task t) {
        if (t.name().equals(server) && start >= 0) {
            lengths.add(counter.count() - start);
            start = -1;
        }
    }

    /** Who sent each request and its label ({@link Task#requestFrom}), in request order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** Instructions per request, in request order. */
    public long[] lengths() {
        return lengths.stream().mapToLong(Long::longValue).toArray();
    }
}
