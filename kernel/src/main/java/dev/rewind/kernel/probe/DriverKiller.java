package dev.rewind.kernel.probe;

import dev.rewind.kernel.Fault;
import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A probe that faults one task (a driver, for survival tests and tables) ({@code driver}) in the middle of chosen requests: when the
 * driver is handed its n-th request (n in {@code requests}, counting every delivery), it is
 * stopped after {@code instruction} instructions and killed with an injected ABORT fault. If the
 * request ends sooner, that strike is skipped. The counting and stopping is {@link RequestStrike}'s.
 */
public final class DriverKiller extends RequestStrike {
    private final Set<Integer> requests;
    private final List<Integer> struck = new ArrayList<>();
    private final java.util.function.IntFunction<String> detail;

    public DriverKiller(String driver, long instruction, Integer... requests) {
        this(driver, instruction, request -> "killed by the test", List.of(requests));
    }

    /** Kills {@code task} in {@code requests}; the fault's detail for a request is {@code detail}'s. */
    public DriverKiller(
            String task,
            long instruction,
            java.util.function.IntFunction<String> detail,
            java.util.Collection<Integer> requests) {
        super(task, instruction);
        this.requests = new TreeSet<>(requests);
        this.detail = detail;
    }

    /** The requests (1-based delivery numbers) at which the driver was actually struck. */
    public List<Integer> struck() {
        return List.copyOf(struck);
    }

    @Override
    protected boolean strikes(int request) {
        return requests.contains(request);
    }

    @Override
    protected void reached(int request) {
        struck.add(request);
    }

    @Override
    protected Fault strike(Task task, int request) {
        return killed(task, detail.apply(request));
    }

    /** The fault a kill raises: an ABORT at the task's PC, "killed by the test". */
    public static Fault killed(Task task) {
        return killed(task, "killed by the test");
    }

    private static Fault killed(Task task, String detail) {
        return new Fault(FaultKind.ABORT, task.pc(), 0, task.image().describe(task.pc()), detail);
    }
}
