package dev.rewind.kernel.probe;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.KernelProbe;
import dev.rewind.kernel.Task;

/**
 * The shared base of the probes that strike one task "at instruction N of request M"
 * ({@link FaultInjector}, {@link DriverKiller}). It counts the requests delivered to the task
 * named {@code server} (1-based, every delivery; a txipc replay is not a delivery). When
 * {@link #strikes} accepts the request just delivered, it installs a code hook on the task's CPU
 * (flushing the engine's translations so the hook takes effect) that counts the task's
 * instructions and stops the CPU at the {@code instruction}-th (1-based). The kernel then calls
 * {@link #stopped}: the hook is removed and {@link #strike} decides what happens to the task,
 * with the engine at rest. If the task replies before that instruction, the hook is removed and
 * that strike is skipped. One strike is armed at a time: a chosen request delivered while an
 * earlier one is still armed is not struck.
 */
public abstract class RequestStrike implements KernelProbe {
    private final String server;
    private final long instruction;
    private int delivered;
    private Task target;
    private CpuHook hook;
    private long count;
    private boolean stopRequested;
    private int armedRequest;

    /** Strike the task named {@code server} at its {@code instruction}-th instruction (1-based) of chosen requests. */
    protected RequestStrike(String server, long instruction) {
        this.server = server;
        this.instruction = instruction;
    }

    /** Whether to strike the {@code request}-th request (1-based) delivered to the server. */
    protected abstract boolean strikes(int request);

    /**
     * Called from the code hook when the planned instruction of {@code request} is reached, just
     * before the CPU is asked to stop. Must not touch the engine.
     */
    protected void reached(int request) {}

    /**
     * The strike itself: {@code task} is stopped at the planned instruction of {@code request} and
     * the hook is gone. May change the task (registers, memory, {@link Task#resumeAt}); a returned fault
     * is handled by the kernel now, null lets the task run on.
     */
    protected abstract Fault strike(Task task, int request);

    /** The server was handed its {@code request}-th request (before any strike is armed). */
    protected void began(Task task, int request) {}

    /** The server replied to its {@code request}-th request. */
    protected void ended(Task task, int request) {}

    /** Requests delivered to the server so far. */
    public final int delivered() {
        return delivered;
    }

    @Override
    public final void requestDelivered(Task task) {
        if (!task.name().equals(server)) {
            return;
        }
        delivered++;
        began(task, delivered);
        if (hook == null && strikes(delivered)) {
            target = task;
            count = 0;
            armedRequest = delivered;
            Cpu cpu = task.cpu();
            int n = delivered;
            hook = cpu.hookInstructions(1, 0, (addr, size) -> {
                if (++count == instruction) {
                    stopRequested = true;
                    reached(n);
                    cpu.stop();
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @Override
    public final void replied(Task task) {
        if (task.name().equals(server)) {
            ended(task, delivered);
        }
        if (task == target && hook != null && !stopRequested) {
            removeHook(task); // the request ended before the planned instruction
        }
    }

    @Override
    public final Fault stopped(Task task) {
        if (task != target || !stopRequested) {
            return null;
        }
        stopRequested = false;
        removeHook(task);
        return strike(task, armedRequest);
    }

    private void removeHook(Task task) {
        hook.close();
        hook = null;
        if (task.cpu() != null) {
            task.cpu().dropCodeTranslations();
        }
    }
}
