package dev.rewind.kernel;

import dev.rewind.hw.mem.WriteTracker;
import dev.rewind.kernel.image.RecoveryPolicy;
import dev.rewind.kernel.image.TaskSpec;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TxIPC: transactional recovery of stateful servers (after Li et al., "Efficiently Recovering
 * Stateful System Components of Multi-server Microkernels", ICDCS 2021).
 *
 * <p>Contract. For a server whose recovery policy is {@code txipc}, every request it receives
 * is a transaction:
 * <ul>
 *   <li><b>begin</b> when the kernel hands it a request (in {@link Ipc}): the server's registers,
 *       as they were where it waited in RECV / REPLY_RECV, are saved with its kernel-side state
 *       (heap break, capability table), and its write tracker starts logging the pre-image of
 *       every page written (by the server's stores, or by the kernel on its behalf);
 *   <li><b>commit</b> when it replies: the log is dropped;
 *   <li><b>abort</b> when it faults while handling the request (any trapped fault, an explicit
 *       abort/assert, or the request's CPU deadline): every logged page is restored, the
 *       registers and kernel-side state are put back, the client's call returns
 *       {@code ERECOVERED} (the request had no effect), and the server waits for its next
 *       request exactly where it waited for this one.
 * </ul>
 * A fault outside a transaction (during start-up, between requests) cannot be undone and falls
 * back to a restart, as does a transaction whose undo log overflowed, and a server that
 * aborted {@code max_aborts} times within {@code abort_window_ms} (escalation).
 *
 * <p>Nested calls: a server that calls another server inside its transaction sees that callee
 * as any client would. The callee's transaction commits when it replies; if the caller then
 * faults, the caller is rolled back but the callee's change stays (no cross-server atomicity):
 * each server stays internally consistent, i.e. its state is the result of the requests it
 * committed, in order. A fault in the callee aborts only the callee's transaction; the caller
 * gets ERECOVERED from its nested call and decides what to do. Effects that left the server
 * during the transaction are not undone: console output, notifications it signalled, and
 * requests a callee committed.
 */
final class TxIpc {
    private static final Logger log = LoggerFactory.getLogger(TxIpc.class);

    /** Per-task transaction state (only for txipc servers). */
    static final class Tx {
        final long[] regs = new long[33];
        Endpoint endpoint;
        long badge;
        long label;
        long brk;
        Capability[] caps;
        final ArrayDeque<Long> recentAborts = new ArrayDeque<>();
        long requests;
        long aborts;
    }

    /** What one recovery did, for observers and logs. */
    record Recovery(long badge, long label, int pages, long nanos) {}

    private final Kernel k;

    TxIpc(Kernel k) {
        this.k = k;
    }

    static boolean enabled(Task t) {
        return t.spec.recovery() == RecoveryPolicy.TXIPC;
    }

    /** Give a freshly loaded txipc server its write tracker. */
    void attach(Task t) {
        t.cpu.enableWriteTracking(k.config.tracker(), k.config.txLogPages());
        if (t.tx == null) {
            t.tx = new Tx();
        }
        t.txOpen = false;
    }

    /** {@code server} has just been handed {@code client}'s request on {@code ep}. */
    void begin(Task server, Endpoint ep, Task client) {
        Tx tx = server.tx;
        server.cpu.readAll(tx.regs);
        tx.endpoint = ep;
        tx.badge = client.sendBadge;
        tx.label = client.msg[0];
        tx.brk = server.brk;
        tx.caps = server.caps.clone();
        tx.requests++;
        server.cpu.tracker().begin();
        server.txCpuUsed = 0;
        server.txSliceMark = System.nanoTime();
        server.txOpen = true;
    }

    /** {@code server} replied: its transaction commits. */
    void commit(Task server) {
        if (server.txOpen) {
            server.txOpen = false;
            server.cpu.tracker().commit();
        }
    }

    /**
     * Try to undo {@code server}'s current transaction after {@code fault}. Returns a
     * description of what was done, or null if the fault cannot be handled by an abort and
     * the task must be restarted (the reason is logged).
     */
    String abort(Task server, Fault fault) {
        Tx tx = server.tx;
        if (!server.txOpen) {
            return null;
        }
        WriteTracker tracker = server.cpu.tracker();
        if (tracker.overflowed()) {
            log.warn("txipc: task {}: the request wrote more than {} pages; it cannot be undone", server,
                    k.config.txLogPages());
            server.txOpen = false;
            tracker.commit();
            return null;
        }
        TaskSpec.TxipcLimits limits = server.spec.txipc();
        long now = System.nanoTime();
        long window = limits.abortWindowMs() * 1_000_000L;
        while (!tx.recentAborts.isEmpty() && now - tx.recentAborts.peekFirst() > window) {
            tx.recentAborts.pollFirst();
        }
        tx.recentAborts.addLast(now);
        if (tx.recentAborts.size() >= limits.maxAborts()) {
            log.warn("txipc: task {} aborted {} requests within {} ms: escalating to a restart", server,
                    tx.recentAborts.size(), limits.abortWindowMs());
            tx.recentAborts.clear();
            server.txOpen = false;
            tracker.commit();
            return null;
        }

        int pages = tracker.rollback();
        server.cpu.writeAll(tx.regs);
        server.brk = tx.brk;
        server.caps = tx.caps;
        server.txOpen = false;
        server.resultCount = 0;
        long nanos = System.nanoTime() - now;
        tx.aborts++;

        Task client = server.replyTo;
        server.replyTo = null;
        if (client != null && client.generation == server.replyToGeneration && client.state == TaskState.AWAITING_REPLY
                && client.servedBy == server) {
            client.servedBy = null;
            client.result[0] = Abi.ERECOVERED;
            client.resultCount = Math.max(client.resultCount, 1);
            k.wake(client);
        }
        server.pc = tx.regs[32];
        k.ipc.receiveAgain(server, tx.endpoint);

        Recovery r = new Recovery(tx.badge, tx.label, pages, nanos);
        k.observer.taskRecovered(server, fault, r.badge(), r.pages(), r.nanos());
        return String.format("request rolled back (txipc): client badge %d, label 0x%x, %d page%s restored in %.1f µs",
                r.badge(), r.label(), r.pages(), r.pages() == 1 ? "" : "s", r.nanos() / 1e3);
    }
}
