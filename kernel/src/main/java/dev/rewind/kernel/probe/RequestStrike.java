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
 *
 * <p>In the {@link Window#AFTER_REPLY} window the count starts instead at the server's reply to
 * the chosen request and runs until the next request is delivered to it: the work a server does
 * once it has answered (a txipc server's work between a plain REPLY, which txipc holds, and its
 * release, a txipc continuation after a call, a wake's handling, a driver's work after its reply,
 * the serve loop's way back to its receive). If the next request arrives first, the strike is
 * skipped.
 */
public abstract class RequestStrike implements KernelProbe {
    /** Where in the server's work the instructions are counted. */
    public enum Window {
        /** From a request's delivery to the server's reply (the default). */
        REQUEST("request"),
        /** From the server's reply to a request until the next request is delivered to it. */
        AFTER_REPLY("after-reply");

        private final String id;

        Window(String id) {
            this.id = id;
        }

        /** The name on the command line and in result files: "request", "after-reply". */
        public String id() {
            return id;
        }

        /** The window named {@code s} ({@link #id}); IllegalArgumentException naming the choices if none. */
        public static Window parse(String s) {
            for (Window w : values()) {
                if (w.id.equals(s)) {
                    return w;
                }
            }
            throw new IllegalArgumentException("unknown window (expected request or after-reply)");
        }
    }

    private final String server;
    private final long instruction;
    private final Window window;
    private int delivered;
    private Task target;
    private Cpu.Countdown hook;
    private int armedRequest;

    /** Strike the task named {@code server} at its {@code instruction}-th instruction (1-based) of chosen requests. */
    protected RequestStrike(String server, long instruction) {
        this(server, instruction, Window.REQUEST);
    }

    /** As above, counting the instructions in {@code window} of the chosen requests. */
    protected RequestStrike(String server, long instruction, Window window) {
        this.server = server;
        this.instruction = instruction;
        this.window = window;
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
        if (window == Window.AFTER_REPLY && task == target && hook != null && !hook.reached()) {
            removeHook(task); // the next request came before the planned instruction
        }
        delivered++;
        began(task, delivered);
        if (window == Window.REQUEST && hook == null && strikes(delivered)) {
            arm(task);
        }
    }

    @Override
    public final void replyHeld(Task task) {
        // (a txipc server's work between a plain REPLY and its next receive: after its reply,
        // though its request ends, for the request window, when the held reply is released)
        if (window == Window.AFTER_REPLY && task.name().equals(server) && hook == null && strikes(delivered)) {
            arm(task);
        }
    }

    @Override
    public final void replied(Task task) {
        if (task.name().equals(server)) {
            ended(task, delivered);
        }
        if (window == Window.REQUEST && task == target && hook != null && !hook.reached()) {
            removeHook(task); // the request ended before the planned instruction
        }
        if (window == Window.AFTER_REPLY && task.name().equals(server) && hook == null && strikes(delivered)) {
            arm(task);
        }
    }

    private void arm(Task task) {
        target = task;
        armedRequest = delivered;
        Cpu cpu = task.cpu();
        // (counted natively: a hook into Java per instruction, ~0.6 us each, had put a request
        // of millions of instructions past its deadline before the strike)
        hook = cpu.stopAtInstruction(instruction);
        cpu.dropCodeTranslations();
    }

    @Override
    public final Fault stopped(Task task) {
        if (task != target || hook == null || !hook.reached()) {
            return null;
        }
        removeHook(task);
        reached(armedRequest);
        if (beforeStrike != null) {
            beforeStrike.accept(task); // (a debugger halts here: rewind inject --gdb)
        }
        Fault f = strike(task, armedRequest);
        if (afterStrike != null) {
            afterStrike.run();
        }
        return f;
    }

    private java.util.function.Consumer<Task> beforeStrike;
    private Runnable afterStrike;

    /**
     * Call {@code before} on the kernel thread with the task stopped at the planned instruction,
     * the engine at rest, just before the strike changes it (what it changes is then read from
     * the task as {@code before} left it), and {@code after} once it struck.
     */
    public final void onStrike(java.util.function.Consumer<Task> before, Runnable after) {
        beforeStrike = before;
        afterStrike = after;
    }

    private void removeHook(Task task) {
        hook.close();
        hook = null;
        if (task.cpu() != null) {
            task.cpu().dropCodeTranslations();
        }
    }
}
