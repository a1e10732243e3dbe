package dev.rewind.kernel.probe;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.KernelProbe;
import dev.rewind.kernel.Task;

/**
 * The shared base of the probes that strike one task "at instruction N of request M"
 * ({@link FaultInjector}, {@link DriverKiller}). It counts the requests delivered to the task
 * named {@code server} (1-based, every delivery; a txipc replay is not a delivery). When
 * {@link #strikes} accepts the request just delivered, it installs a code hook on the task's CPU
 * (flushing the engine's translations so the hook takes effect) that counts the task's
 * instructions natively and stops the CPU at the {@code instruction}-th (1-based). The kernel then calls
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
    private Cpu.Countdown hook;
    private int armedRequest;

    /** Strike the task named {@code server} at its {@code instruction}-th instruction (1-based) of chosen requests. */
    protected RequestStrike(String server, long instruction) {
        this.server = server;
        this.instruction = instruction;
    }

    /** Whether to strike the {@code request}-th request (1-based) delivered to the server. */
    protected abstract boolean strikes(int request);

    /** The planned instruction of {@code request} was reached: the CPU stopped there, about to be struck. */
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
            armedRequest = delivered;
            Cpu cpu = task.cpu();
            // (counted natively: a hook into Java per instruction, ~0.6 us each, had put a request
            // of millions of instructions past its deadline before the strike)
            hook = cpu.stopAtInstruction(instruction);
            cpu.dropCodeTranslations();
        }
    }

    @Override
    public final void replied(Task task) {
        if (task.name().equals(server)) {
            ended(task, delivered);
        }
        if (task == target && hook != null && !hook.reached()) {
            removeHook(task); // the request ended before the planned instruction
        }
    }

    @Override
    public final Fault stopped(Task task) {
        if (task != target || hook == null || !hook.reached()) {
            return null;
        }
        removeHook(task);
        reached(armedRequest);
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
