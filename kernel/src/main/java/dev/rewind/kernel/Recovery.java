package dev.rewind.kernel;

import dev.rewind.abi.Abi;
import dev.rewind.kernel.image.RecoveryPolicy;

/**
 * A task's recovery policy, as the IPC path and the kernel see it: one object per task, chosen
 * from the manifest's {@code recovery} at boot ({@link #of}). The kernel calls it at the points
 * of a request's life (delivered, about to reply, replied) and when the task faults; everything
 * a policy keeps (undo logs, shadow logs, counters) lives in its object. A new policy is one
 * class implementing this interface and one case in {@link #of}.
 *
 * <p>All methods run on the kernel thread; only {@link #deadlineNanos} is read when a slice
 * starts, for the watchdog.
 */
interface Recovery {

    /** The policy for {@code t}, per its manifest entry. */
    static Recovery of(Kernel k, Task t) {
        RecoveryPolicy p = t.spec().recovery();
        return switch (p) {
            case NONE -> new Stop(k, t);
            case RESTART -> new Restart(k, t);
            case TXIPC -> new TxIpc(k, t);
            case SHADOW -> Shadow.of(k, t, t.spec().shadow());
        };
    }

    /** The task was (re)loaded: a fresh CPU and address space. */
    default void loaded() {}

    /** The task's CPU is about to run guest code at {@code pc} (at each resume within a slice). */
    default void resuming(long pc) {}

    /**
     * True while the task's open transaction is work it resumed with none open (TxIPC's
     * continuation after a syscall that committed a request, such as a nested call after a
     * plain REPLY): it commits before the task's next syscall that leaves it ({@link #leaving}).
     */
    default boolean continuing() {
        return false;
    }

    /** The task makes syscall {@code nr}, which leaves it (not refused at once), while {@link #continuing}. */
    default void leaving(long nr) {}

    /**
     * The task makes syscall {@code nr} (registers {@code a}: a0..a7, then the PC), which sends
     * its held reply ({@link #heldReply}) first: null lets it go, a fault is raised there instead
     * (the request is undone, its reply never sent).
     */
    default Fault releasing(long nr, long[] a) {
        return null;
    }

    /**
     * The task is about to make the syscall at {@code pc} (whichever: the check is the policy's):
     * null lets it, a fault is raised there instead (a shadowed driver outside a request whose
     * code changed since it was last compared).
     */
    default Fault beforeSyscall(long pc) {
        return null;
    }

    /**
     * A debugger changed the task's memory or registers: a change no request made, so no
     * re-execution of its requests may reach back past it (TxIPC's history replay would
     * rebuild the state without it).
     */
    default void changedByDebugger() {}

    /**
     * True while the kernel runs the task again through requests it had already answered (TxIPC's
     * history replay), rebuilding its state: code no client is waiting on, which a debugger does
     * not stop in.
     */
    default boolean replayingHistory() {
        return false;
    }

    /**
     * The task is about to run again after a syscall that blocked (a CALL answered, a RECV
     * given a request...): {@code results[0, n)} go into its a0.. now.
     */
    default void resumedWith(long[] results, int n) {}

    /** The task made syscall {@code nr} (before it is handled). */
    default void syscall(long nr) {}

    /**
     * Before the handler of syscall {@code nr} runs (its arguments in {@code f}): answer it
     * instead, from a record of an earlier run (the policy writes the results through
     * {@code f} and returns what the task does next), or return null to let the handler run.
     * TxIPC's history replay answers the syscalls whose results it cannot recompute (the
     * clock, notification bits) as the request's first run got them.
     */
    default SyscallFrame.Next answerFromRecord(long nr, SyscallFrame f) {
        return null;
    }

    /**
     * The handler answered syscall {@code nr} with {@code results[0..n)} (a0..): called when it
     * did not block, and for a WAIT that blocked, when the notification wakes the task.
     */
    default void answered(long nr, long[] results, int n) {}

    /**
     * The task's WAIT_ANY (receiving on {@code ep}, or null) ended without a request, with
     * {@code a0} (WOKEN or ETIMEDOUT) and {@code a1} (the bits), before the kernel wrote them to
     * its CPU: what it does next, up to its next receive, is work of its own (a network stack's
     * received frames, its timers). TxIPC makes that a transaction, kept in its history.
     */
    default void woke(Endpoint ep, long a0, long a1) {}

    /**
     * The task makes a WAIT_ANY while its recovery replays its history and the next thing to run
     * again is a wake: the results that wake had (a0, a1), which the WAIT_ANY returns at once
     * (after {@link #woke}); null otherwise.
     */
    default long[] replayedWake() {
        return null;
    }

    /**
     * Called now and then (at most every few milliseconds) while the system runs: a fault to
     * raise on the task, found by watching it from outside (a driver whose device starves), or
     * null. The kernel raises it only while the task is blocked.
     */
    default Fault watch(long now) {
        return null;
    }

    /**
     * True while the task runs a request again that it already answered (console output it
     * makes is then not printed twice).
     */
    default boolean replaying() {
        return false;
    }

    /**
     * True if the task's restarts are hidden from its clients: capabilities minted for an older
     * generation follow it instead of failing with EDEAD.
     */
    default boolean hidesRestarts() {
        return false;
    }

    /**
     * The task has just been handed {@code bits} of notification {@code n} (WAIT, POLL, or
     * WAIT_ANY), which no longer holds them: a policy that undoes what the task did gives them
     * back if it undoes this.
     */
    default void consumed(Notification n, long bits) {}

    /**
     * The task has just signalled notification {@code n} (NOTIFY), setting {@code fresh}, the
     * bits of the signal that were not pending before it: a policy that undoes what the task did
     * withdraws them if it undoes this and they are still pending, untouched since.
     */
    default void signalled(Notification n, long fresh) {}

    /**
     * The task is about to wait in RECV on {@code ep} with no request queued (it is idle):
     * null to let it wait, or a fault to raise instead once its CPU has stopped (txipc's scrub
     * found corruption between requests; the policy's {@link #onFault} then puts it back to
     * receive).
     */
    default Fault idle(Endpoint ep) {
        return null;
    }

    /**
     * The task's receive (RECV, REPLY_RECV, or WAIT_ANY on an endpoint) names slot {@code slot},
     * which holds no endpoint it serves: null to answer ECAP, or a fault to raise instead once
     * its CPU has stopped (a driver under its shadow: it can serve nothing any more).
     */
    default Fault receiveRefused(long slot, long pc) {
        return null;
    }

    /**
     * The task is about to take a request already queued on {@code ep} (it is busy): null to
     * deliver it, or a fault to raise instead, as {@link #idle}; the request stays queued.
     */
    default Fault busy(Endpoint ep) {
        return null;
    }

    /**
     * True if, when nothing in the system can run any more, the task blocked waiting on a
     * notification inside a request is to be faulted (its wait withdrawn first: restart and
     * shadow reload it, txipc rolls the request back and its client gets ERECOVERED), rather
     * than the system ending in a deadlock.
     */
    default boolean breaksDeadlocks() {
        return false;
    }

    /** {@code client}'s request (its message in client.msg) has just been handed to the task through {@code ep}. */
    default void delivered(Task client, Endpoint ep) {}

    /**
     * The task is about to reply {@code reply} (a1..a6 in reply[1..6]: the status, four words,
     * the buffer length) at {@code pc} (REPLY_RECV, or a plain REPLY): null to let the reply
     * out, or a fault to raise instead (the request is then still open).
     */
    default Fault checkReply(long pc, long[] reply) {
        return null;
    }

    /**
     * The message {@code t} is about to send at {@code pc} (a CALL's request, or a REPLY's or
     * REPLY_RECV's reply: {@code reply}) is not the one it built: a1..a6 differ from the sum the
     * SDK read from memory apart from them ({@link Abi#SYS_SUMMED}; a skipped load, or a register
     * changed after it). The fault to raise instead of sending it; nothing is sent. By default a
     * fault at the syscall, as a trap there would be.
     */
    default Fault messageNotAsBuilt(Task t, long pc, boolean reply, String what) {
        return new Fault(FaultKind.CORRUPT_STATE, pc - 4, 0, t.image().describe(pc - 4), what);
    }

    /**
     * {@code t} aborted because a message it received differs from the one the kernel delivered
     * ({@link Abi#ABORT_DELIVERY}: the SDK compared the stored message with the sum in a0, {@link
     * Abi#SYS_SUM_BACK}): a fault of the delivery's few instructions, not of anything a request
     * computed. The fault to raise ({@code abort}, or one handled otherwise); by default the abort.
     */
    default Fault deliveryNotAsSent(Task t, Fault abort) {
        return abort;
    }

    /**
     * The task is about to exit at {@code pc} (the syscall's resume PC): null to let it, or a
     * fault to raise instead. Under txipc, an exit inside a request whose code no longer matches
     * the image is corruption (a changed instruction that reached the exit call), handled as
     * {@link #checkReply} handles a reply from changed code.
     */
    default Fault checkExit(long pc) {
        return null;
    }

    /**
     * The task's CALL at {@code pc} through slot {@code slot} is refused at once with ECAP (no
     * capability to call in that slot): null to answer ECAP, or a fault to raise instead. Under
     * txipc, inside a request a client waits on, the first such call is taken for a spoiled slot
     * (a fault that did not trap changed the register or the variable that held it): the request
     * is undone and delivered again, unseen by its client; a run again that makes the same call
     * is the program's own, and gets ECAP.
     */
    default Fault checkRefusedCall(long pc, long slot) {
        return null;
    }

    /**
     * The task replied {@code reply} (a1..a6 in reply[1..6]) to {@code client}: its request is
     * over, whether or not the client is still there to get the reply.
     */
    default void committed(Task client, long[] reply) {}

    /**
     * A plain REPLY of {@code reply} (a0..a8 as the syscall passed them) to {@code client}, a
     * caller waiting for it: true to hold it back until the task's next syscall that is not
     * local to it ({@link TxIpc#releasesHeldReply}: a receive, a wait, a call...), when the
     * kernel sends it ({@link Ipc#releaseReply}) and the request commits; false to send it now.
     * Held, the reply's buffer bytes are kept as they were at the REPLY.
     */
    default boolean holdReply(Task client, long[] reply) {
        return false;
    }

    /** The reply held back ({@link #holdReply}): a0..a8 as the REPLY passed them; null if none is. */
    default long[] heldReply() {
        return null;
    }

    /** The held reply's buffer bytes (its a6 of them). */
    default byte[] heldReplyBytes() {
        return null;
    }

    /** The held reply was sent: none is held any more. */
    default void replyReleased() {}

    /**
     * What {@link #checkReply} returns to hold the reply back and run the request again: the
     * task is put back where it waited for it once its CPU has stopped ({@link #runAgain}).
     */
    Fault RUN_AGAIN = new Fault(FaultKind.CORRUPT_STATE, 0, 0, "", "run the request again (not a fault)");

    /**
     * The task's CPU stopped after a syscall: if {@link #checkReply} asked for it, undo the
     * request's run and hand the task the same request again, unseen by its client, and
     * return true (the kernel then does nothing else with the task).
     */
    default boolean runAgain() {
        return false;
    }

    /**
     * The task is about to take a request on {@code ep} (RECV): true to hold it back instead
     * (the syscall blocks) until its CPU has stopped, when {@link #runAgain} does what is due
     * first (txipc: a check of answers a caller asked for, replaying the history) and puts the
     * task back to receive.
     */
    default boolean holdReceive(Endpoint ep) {
        return false;
    }

    /** The task ended for good (exited, or died and is not restarted): its recovery lets go of what it holds. */
    default void ended() {}

    /** The reply reaches {@code client}, a live task waiting for it. */
    default void replyDelivered(Task client, long[] reply) {}

    /** CPU time the task may spend on one request before it is a fault (0: no deadline). */
    default long deadlineNanos() {
        return 0;
    }

    /**
     * True if the request deadline also counts the wall time the task spends blocked inside a
     * request (nested calls, notification waits, sleeps): a request that loops through calls or
     * waits forever then ends too. False: CPU time alone (a driver's request may wait on its
     * device).
     */
    default boolean deadlineCountsWaits() {
        return false;
    }

    /** The task faulted with {@code f} (already counted and recorded): recover, and say how. */
    RecoveryOutcome onFault(Fault f);

    /** {@code recovery = "none"}: a fault stops the task. */
    final class Stop implements Recovery {
        private final Kernel k;
        private final Task t;

        Stop(Kernel k, Task t) {
            this.k = k;
            this.t = t;
        }

        @Override
        public RecoveryOutcome onFault(Fault f) {
            return k.stop(t, "task stopped (recovery policy none)");
        }
    }

    /** {@code recovery = "restart"}: a fault reloads the task from its image, up to the restart limit. */
    final class Restart implements Recovery {
        private final Kernel k;
        private final Task t;

        Restart(Kernel k, Task t) {
            this.k = k;
            this.t = t;
        }

        @Override
        public RecoveryOutcome onFault(Fault f) {
            return k.restartOrStop(t, null);
        }

        @Override
        public boolean breaksDeadlocks() {
            return true;
        }
    }
}
