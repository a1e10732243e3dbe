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

    public DriverKiller(String driver, long instruction, Integer... requests) {
        super(driver, instruction);
        this.requests = new TreeSet<>(List.of(requests));
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
        return killed(task);
    }

    /** The fault a kill raises: an ABORT at the task's PC, "killed by the test". */
    public static Fault killed(Task task) {
        return new Fault(FaultKind.ABORT, task.pc(), 0, task.image().describe(task.pc()), "killed by the test");
    }
}
