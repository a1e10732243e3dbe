package dev.rewind.kernel.debug;

import static dev.rewind.kernel.debug.DebugThreads.id;
import static dev.rewind.kernel.debug.DebugThreads.live;

import dev.rewind.kernel.Capability;
import dev.rewind.kernel.DebugPort;
import dev.rewind.kernel.Endpoint;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Notification;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.TaskState;
import dev.rewind.kernel.debug.DebugTarget.EndpointInfo;
import dev.rewind.kernel.debug.DebugTarget.NotificationInfo;
import dev.rewind.kernel.debug.DebugTarget.RecoveryEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The debugger's views of the kernel for gdb's {@code monitor} commands and a stop's details:
 * faults, recoveries, endpoints, notifications, capabilities, and a restart from the debugger.
 * Its state is guarded by the halt lock ({@link HaltProtocol}).
 */
final class DebugMonitor {
    static final int MAX_RECOVERY_LOG = 256;

    private final DebugPort port;
    private final HaltProtocol halt;
    // guarded by the halt lock
    /** The last fault of each task (by thread id), recorded before the debugger or recovery sees it. */
    private final Map<Integer, Fault> lastFaults = new HashMap<>();

    private final ArrayDeque<RecoveryEntry> recoveries = new ArrayDeque<>();

    DebugMonitor(DebugPort port, HaltProtocol halt) {
        this.port = port;
        this.halt = halt;
    }

    /** Kernel thread: {@code t} (generation {@code generation}) faulted with {@code f}; the kernel did {@code action}. */
    void recovered(Task t, int generation, Fault f, String action) {
        halt.runLocked(() -> log(t, generation, f, action == null ? "" : action));
    }

    /** Kernel thread: {@code t} faulted with {@code f} (before the debugger or recovery sees it). */
    void noteFault(Task t, Fault f) {
        halt.runLocked(() -> lastFaults.put(id(t), f));
    }

    /** Halt lock held. */
    private void log(Task t, int generation, Fault f, String action) {
        recoveries.addLast(
                new RecoveryEntry((System.nanoTime() - port.bootNanos()) / 1_000_000, t.name(), generation, f, action));
        while (recoveries.size() > MAX_RECOVERY_LOG) {
            recoveries.removeFirst();
        }
    }

    /** See {@link DebugTarget#lastFault}. */
    Fault lastFault(int thread) {
        return halt.locked(() -> {
            Task t = DebugThreads.any(port, thread);
            Fault f = lastFaults.get(thread);
            return f != null ? f : t.lastFault();
        });
    }

    /** See {@link DebugTarget#recoveryLog}. */
    List<RecoveryEntry> recoveryLog() {
        return halt.locked(() -> new ArrayList<>(recoveries));
    }

    /** See {@link DebugTarget#endpoints}. */
    List<EndpointInfo> endpoints() {
        return halt.whileHalted(() -> {
            List<EndpointInfo> out = new ArrayList<>();
            List<String> names = new ArrayList<>(port.endpoints().keySet());
            Collections.sort(names);
            for (String n : names) {
                Endpoint e = port.endpoints().get(n);
                List<String> callers = new ArrayList<>();
                for (Task c : e.callers()) {
                    callers.add(c.name() + " (thread " + id(c) + ", sending)");
                }
                for (Task c : port.tasks()) {
                    if (live(c) && c.state() == TaskState.AWAITING_REPLY && c.servedBy() == e.server()) {
                        callers.add(c.name() + " (thread " + id(c) + ", awaiting reply)");
                    }
                }
                out.add(new EndpointInfo(n, e.server().name(), e.serverWaiting(), callers));
            }
            return out;
        });
    }

    /** See {@link DebugTarget#notifications}. */
    List<NotificationInfo> notifications() {
        return halt.whileHalted(() -> {
            List<NotificationInfo> out = new ArrayList<>();
            List<String> names = new ArrayList<>(port.notifications().keySet());
            Collections.sort(names);
            for (String n : names) {
                Notification x = port.notifications().get(n);
                out.add(new NotificationInfo(n, x.owner().name(), x.bits(), x.hasWaiter()));
            }
            return out;
        });
    }

    /** See {@link DebugTarget#capabilities}. */
    List<String> capabilities(int thread) {
        return halt.whileHalted(thread, t -> {
            List<String> out = new ArrayList<>();
            List<Capability> caps = t.capabilities();
            for (int i = 0; i < caps.size(); i++) {
                Capability c = caps.get(i);
                if (c == null) {
                    continue;
                }
                StringBuilder sb = new StringBuilder(
                        String.format("%-4d %-12s %s", i, c.kind().name().toLowerCase(Locale.ROOT), c.name()));
                if (c.endpoint() != null) {
                    sb.append(" (served by ")
                            .append(c.endpoint().server().name())
                            .append(')');
                }
                if (c.badge() != 0) {
                    sb.append(String.format(" badge 0x%x", c.badge()));
                }
                out.add(sb.toString());
            }
            return out;
        });
    }

    /** See {@link DebugTarget#restart}. */
    String restart(int thread) {
        return halt.whileHalted(thread, t -> {
            if (t.cpu() == null) {
                throw new IllegalArgumentException("task " + t.name() + " cannot be restarted now");
            }
            int generation = t.generation();
            String action = port.restart(t);
            halt.forgetFault(t); // the fault stop's task is a new generation now, no longer faulted
            log(t, generation, null, "debugger: " + action);
            return action;
        });
    }
}
