package dev.rewind.kernel;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A probe that faults one task (a driver, for survival tests and tables) ({@code driver}) in the middle of chosen requests: when the
 * driver is handed its n-th request (n in {@code requests}, counting every delivery), it is
 * stopped after {@code instruction} instructions and killed with an injected ABORT fault. If the
 * request ends sooner, that strike is skipped.
 */
public final class DriverKiller implements KernelProbe {
    private final String driver;
    private final Set<Integer> requests;
    private final long instruction;
    private int delivered;
    private Task target;
    private CpuHook hook;
    private long count;
    private boolean stopRequested;
    private final List<Integer> struck = new ArrayList<>();

    public DriverKiller(String driver, long instruction, Integer... requests) {
        this.driver = driver;
        this.instruction = instruction;
        this.requests = new TreeSet<>(List.of(requests));
    }

    /** Requests delivered to the driver so far. */
    public int delivered() {
        return delivered;
    }

    /** The requests (1-based delivery numbers) at which the driver was actually struck. */
    public List<Integer> struck() {
        return List.copyOf(struck);
    }

    @Override
    public void requestDelivered(Task server) {
        if (!server.name().equals(driver)) {
            return;
        }
        delivered++;
        if (requests.contains(delivered) && hook == null) {
            target = server;
            count = 0;
            Cpu cpu = server.cpu;
            int n = delivered;
            hook = cpu.hookInstructions(1, 0, (addr, size) -> {
                if (++count == instruction) {
                    stopRequested = true;
                    struck.add(n);
                    cpu.stop();
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @Override
    public void replied(Task server) {
        if (server == target && hook != null && !stopRequested) {
            remove(server);
        }
    }

    private void remove(Task t) {
        hook.close();
        hook = null;
        if (t.cpu != null) {
            t.cpu.dropCodeTranslations();
        }
    }

    @Override
    public Fault stopped(Task task) {
        if (task != target || !stopRequested) {
            return null;
        }
        stopRequested = false;
        remove(task);
        return new Fault(FaultKind.ABORT, task.pc, 0, task.image.describe(task.pc), "killed by the test");
    }
}
