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
        /** gp and tp at the server's first request: constants under the SDK's ABI. */
        long baseGp;
        long baseTp;
        boolean haveBase;
        /** The registers the serve loop keeps (learned, then checked at each commit). */
        final KeptRegisters kept = new KeptRegisters();
        /** Abort by re-delivering the request to the server instead of answering ERECOVERED. */
        boolean redeliver;
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
        checkInvariants(server, tx);
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

    /**
     * gp (x3) and tp (x4) are set once by crt0 and never change in a correct program, so a
     * difference at a request boundary is corruption that escaped an earlier transaction
     * (a fault that did not trap there). Put them back before it spreads, and say so.
     */
    private void checkInvariants(Task server, Tx tx) {
        if (!tx.haveBase) {
            tx.baseGp = tx.regs[3];
            tx.baseTp = tx.regs[4];
            tx.haveBase = true;
            return;
        }
        if (tx.regs[3] != tx.baseGp || tx.regs[4] != tx.baseTp) {
            log.warn("txipc: task {}: gp/tp changed between requests (0x{}/0x{}, expected 0x{}/0x{}): repaired", server,
                    Long.toHexString(tx.regs[3]), Long.toHexString(tx.regs[4]), Long.toHexString(tx.baseGp),
                    Long.toHexString(tx.baseTp));
            tx.regs[3] = tx.baseGp;
            tx.regs[4] = tx.baseTp;
            server.cpu.setReg(3, tx.baseGp);
            server.cpu.setReg(4, tx.baseTp);
        }
    }

    /**
     * Code and read-only data never change in a correct run (the guest cannot write them), so
     * after a fault they are checked against the image and rewritten where they differ: a
     * corrupted instruction must not outlive the request that exposed it.
     */
    private int refreshReadOnly(Task server) {
        int fixed = 0;
        for (dev.rewind.hw.elf.ElfImage.Segment seg : server.image.segments()) {
            if (seg.write() || seg.fileSize() == 0) {
                continue;
            }
            byte[] want = server.image.segmentBytes(seg);
            byte[] have = new byte[want.length];
            if (server.cpu.memory().read(seg.vaddr(), have, 0, have.length) && !java.util.Arrays.equals(want, have)) {
                server.cpu.memory().write(seg.vaddr(), want, 0, want.length, dev.rewind.hw.mem.Perm.NONE);
                fixed++;
            }
        }
        if (fixed > 0) {
            server.cpu.dropCodeTranslations();
            log.warn("txipc: task {}: read-only segments differed from the image after a fault: restored", server);
        }
        return fixed;
    }

    /**
     * {@code server} is about to reply and receive again at {@code pc} (REPLY_RECV): may its
     * transaction commit? A server loop keeps some registers across requests (its endpoint,
     * handler and buffer pointers live in callee-saved registers, which the ABI makes every
     * handler preserve). A fault that corrupts one of them without trapping would otherwise
     * commit, and then fail every later request with nothing left to roll back to. So a
     * request that changed one ({@link KeptRegisters}) is aborted and delivered again, unseen
     * by its client. Returns null to commit, else a fault.
     */
    Fault checkCommit(Task server, long pc) {
        Tx tx = server.tx;
        if (!server.txOpen) {
            return null;
        }
        String what = tx.kept.check(tx.regs, server.cpu, pc);
        if (what == null) {
            return null;
        }
        tx.redeliver = true;
        return new Fault(FaultKind.CORRUPT_STATE, pc - 4, 0, server.image.describe(pc - 4), what);
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

        boolean codeTouched = false;
        for (long page : tracker.loggedPages()) {
            dev.rewind.hw.mem.Region reg = server.cpu.memory().regionAt(page);
            codeTouched |= reg != null && (reg.perms() & dev.rewind.hw.mem.Perm.WRITE) == 0;
        }
        int pages = tracker.rollback();
        long nanos = System.nanoTime() - now;
        if (codeTouched) {
            // Pages the guest cannot write were changed behind Unicorn's back (by a tool such as
            // the fault injector) and are now restored: drop translations of the changed code.
            server.cpu.dropCodeTranslations();
        }
        refreshReadOnly(server);
        server.cpu.writeAll(tx.regs);
        server.brk = tx.brk;
        server.caps = tx.caps;
        server.txOpen = false;
        server.resultCount = 0;
        tx.aborts++;

        Task client = server.replyTo;
        server.replyTo = null;
        boolean redeliver = tx.redeliver;
        tx.redeliver = false;
        if (client != null && client.generation == server.replyToGeneration && client.state == TaskState.AWAITING_REPLY
                && client.servedBy == server) {
            client.servedBy = null;
            if (redeliver) {
                // The client never sees it: its request (still in its message and IPC buffer)
                // goes back to the head of the queue and is handled again from the snapshot.
                client.state = TaskState.SENDING;
                client.blockedOn = tx.endpoint;
                tx.endpoint.senders.addFirst(client);
            } else {
                tx.kept.noSecondChance();
                client.result[0] = Abi.ERECOVERED;
                client.resultCount = Math.max(client.resultCount, 1);
                k.wake(client);
            }
        }
        server.pc = tx.regs[32];
        k.ipc.receiveAgain(server, tx.endpoint);

        Recovery r = new Recovery(tx.badge, tx.label, pages, nanos);
        k.observer.taskRecovered(server, fault, r.badge(), r.pages(), r.nanos());
        return String.format("request rolled back (txipc): client badge %d, label 0x%x, %d page%s restored in %.1f µs%s",
                r.badge(), r.label(), r.pages(), r.pages() == 1 ? "" : "s", r.nanos() / 1e3,
                redeliver ? "; delivered again" : "");
    }
}
