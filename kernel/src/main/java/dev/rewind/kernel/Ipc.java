package dev.rewind.kernel;

import dev.rewind.abi.Abi;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.kernel.SyscallFrame.Next;

/**
 * Synchronous IPC over endpoints, and notifications.
 *
 * <p>A message is a label, four words (registers a1..a5) and up to {@link Abi#IPC_BUF_SIZE}
 * bytes (a6) that the sender leaves at the start of its IPC buffer; the kernel copies them
 * into the receiver's IPC buffer when the message is delivered, so neither task ever sees
 * the other's memory.
 *
 * <ul>
 *   <li>CALL through an ENDPOINT_SEND capability queues the caller on the endpoint (or hands
 *       the message straight to a server waiting in RECV) and blocks it until the reply.
 *   <li>RECV through an ENDPOINT_RECV capability takes the first queued caller or blocks. The
 *       server then owes that caller one reply; it must reply before receiving again.
 *   <li>REPLY wakes the caller with the reply; REPLY_RECV is REPLY then RECV in one trap.
 * </ul>
 * A capability carries the server generation it was minted for: after the server restarts,
 * calls through it fail with EDEAD (a1 = the new generation) until CAP_REFRESH.
 *
 * <p>The syscall handlers answer through their {@link SyscallFrame} and return what the task
 * does next (see {@link Syscalls}).
 */
final class Ipc {

    private final Kernel k;
    /** A server's RECV results while a message is delivered (the kernel is single-threaded). */
    private final long[] received = new long[8];
    /** A woken waiter's WAIT results, as its recovery policy is told them. */
    private final long[] woken = new long[2];

    Ipc(Kernel k) {
        this.k = k;
    }

    private static Capability cap(Task t, long slot, Capability.Kind kind) {
        Capability c = t.cap(slot);
        return c != null && c.kind() == kind ? c : null;
    }

    /**
     * Would syscall {@code nr} with arguments {@code a} be refused at once, its capability not one
     * of {@code t}'s of the kind it needs (ECAP) or a WAIT_ANY with nothing to wait for (EINVAL)?
     * Such a receive, wait or call does not leave a request (Syscalls: a held reply is not released
     * by it): the server still runs the request's code, and a fault there is the request's.
     */
    static boolean refusedAtOnce(Task t, long nr, long[] a) {
        return switch ((int) Math.min(nr, Integer.MAX_VALUE)) {
            case Abi.SYS_RECV, Abi.SYS_REPLY_RECV -> cap(t, a[0], Capability.Kind.ENDPOINT_RECV) == null;
            case Abi.SYS_CALL -> callRefusal(t, a) != 0;
            // (a second REPLY: the one reply owed was made, and is held or sent; no server makes
            // another but from a fault, a skipped `li a7,7` before its receive, seed 1523723)
            case Abi.SYS_REPLY -> true;
            case Abi.SYS_WAIT -> waitable(t, a[0]) == null;
            case Abi.SYS_WAIT_ANY ->
                (a[0] != -1 && cap(t, a[0], Capability.Kind.ENDPOINT_RECV) == null)
                        || (a[1] != -1 && waitable(t, a[1]) == null)
                        || a[2] < 0
                        || (a[0] == -1 && a[1] == -1 && a[2] == 0);
            // (a number that names no system call is ENOSYS at once: a flipped a7 at a receive's
            // ecall in the work after a reply committed that work, and each run again resumed
            // after it into the same ENOSYS: aftercall seed 1757024)
            default -> Abi.syscallName(nr) == null;
        };
    }

    /**
     * Why {@code t}'s call with arguments {@code a} is refused before it leaves {@code t}: ECAP
     * (no send capability in slot a0), EDEAD (the server is dead, or restarted since the
     * capability was minted and its restarts are not hidden) or ETOOBIG (a6 longer than the IPC
     * buffer); 0 if it goes out. The one place {@link #call} and {@link #refusedAtOnce} decide it.
     */
    private static long callRefusal(Task t, long[] a) {
        Capability c = cap(t, a[0], Capability.Kind.ENDPOINT_SEND);
        if (c == null) {
            return Abi.ECAP;
        }
        Task server = c.endpoint().server;
        if (!server.state().alive()
                || (c.generation() != server.generation() && !server.recovery().hidesRestarts())) {
            return Abi.EDEAD;
        }
        return badLength(a[6]) ? Abi.ETOOBIG : 0;
    }

    /** The notification or device capability of {@code slot}, or null. */
    private static Capability waitable(Task t, long slot) {
        Capability c = cap(t, slot, Capability.Kind.NOTIFY_WAIT);
        return c != null ? c : cap(t, slot, Capability.Kind.DEVICE);
    }

    private static boolean badLength(long len) {
        return Long.compareUnsigned(len, Abi.IPC_BUF_SIZE) > 0;
    }

    Next call(Task t, SyscallFrame f) {
        long[] a = f.a;
        long refused = callRefusal(t, a);
        if (refused == Abi.ECAP) {
            // (a txipc server's call through a slot it cannot call, inside a request: a spoiled
            // slot, run again; outside catalog seed 1430444, whose server passed the ECAP on)
            Fault spoiled = t.recovery().checkRefusedCall(a[8], Task.slot(a[0]));
            if (spoiled != null) {
                t.faultWhenStopped(spoiled);
                return Next.BLOCKED;
            }
        }
        if (refused == Abi.ECAP || refused == Abi.ETOOBIG) {
            return f.ret(refused);
        }
        Capability c = cap(t, a[0], Capability.Kind.ENDPOINT_SEND);
        Endpoint ep = c.endpoint();
        Task server = ep.server;
        if (refused == Abi.EDEAD) {
            return f.ret(Abi.EDEAD, server.generation());
        }
        if (c.generation() != server.generation()) {
            // The shadow hides the driver's restarts: the capability follows the new generation.
            c = c.withGeneration(server.generation());
            t.replaceCap((int) Task.slot(a[0]), c);
        }
        t.beginCall(ep, c.badge(), a, 1);
        if (k.timeline) {
            k.observer.callStarted(t, server, k.now());
        }
        offer(t, ep, false);
        return Next.BLOCKED;
    }

    /**
     * {@code client}'s call (its message set) goes to {@code ep}: handed to the server at once if
     * it waits in receive, else queued (at the head if {@code first}).
     */
    private void offer(Task client, Endpoint ep, boolean first) {
        Task receiver = ep.receiver;
        if (receiver != null) {
            ep.receiver = null;
            deliver(client, receiver, received);
            receiver.setResults(received, 8);
            k.wake(receiver);
        } else {
            client.queueOn(ep);
            if (first) {
                ep.senders.addFirst(client);
            } else {
                ep.senders.addLast(client);
            }
        }
    }

    /**
     * Send {@code client}'s call, still in its message and IPC buffer, to {@code ep} again (a
     * txipc server runs a request again that had waited for a check): handed to the server at
     * once if it waits in receive, else at the head of the queue.
     */
    void resend(Task client, Endpoint ep) {
        offer(client, ep, true);
    }

    /**
     * Hand {@code client}'s message to {@code server}: copy the buffer, fill {@code out} with the
     * server's RECV results, and bind the pair until the reply.
     */
    private void deliver(Task client, Task server, long[] out) {
        int len = (int) client.msg(5);
        byte[] payload = client.agentPayload();
        if (client.agentFor() == null) {
            AddressSpace.copy(
                    client.cpu().memory(), Abi.IPC_BUF_ADDR, server.cpu().memory(), Abi.IPC_BUF_ADDR, len);
        } else if (payload != null) {
            server.cpu().memory().write(Abi.IPC_BUF_ADDR, payload, 0, Math.min(len, payload.length));
        }
        out[0] = Abi.OK;
        client.copyMessage(out, 1);
        out[7] = client.sendBadge();
        Endpoint ep = client.blockedOn() != null ? client.blockedOn() : server.blockedOn();
        if (server.waitingAny()) {
            endWaitAny(server); // (a request ends a WAIT_ANY: its notification and timeout are withdrawn)
        }
        server.beginServing(client);
        client.awaitReply(server);
        server.recovery().delivered(client, ep);
        if (k.probe != null && !server.recovery().replaying()) {
            k.probe.requestDelivered(server); // (a replayed or re-run request is not a new one)
        }
        if (k.timeline) {
            k.observer.requestDelivered(
                    server,
                    client,
                    ep == null ? "" : ep.name,
                    client.msg(0),
                    client.sendBadge(),
                    server.recovery().replaying(),
                    k.now());
        }
    }

    /**
     * Put a server whose request was rolled back (txipc) back into receive on {@code ep}: hand it
     * the next queued caller at once, or let it wait. A server that received with WAIT_ANY makes
     * that WAIT_ANY again (its notification and timeout too).
     */
    void receiveAgain(Task server, Endpoint ep) {
        if (server.receivesByWaitAny()) {
            waitAnyAgain(server); // (its request, its notification or its timeout, as it waited)
            return;
        }
        Task next = ep.senders.pollFirst();
        if (next != null) {
            server.blockReceiving(ep); // (until deliver: the endpoint it receives on)
            deliver(next, server, received);
            server.setResults(received, 8);
            k.wake(server);
        } else {
            server.blockReceiving(ep);
            ep.receiver = server;
        }
    }

    /** A receive of {@code t} on slot {@code slot} that holds no endpoint it serves. */
    private static Next receiveRefused(Task t, SyscallFrame f, long slot) {
        Fault corrupt = t.recovery().receiveRefused(Task.slot(slot), f.a[8]);
        if (corrupt != null) {
            t.faultWhenStopped(corrupt);
            return Next.BLOCKED;
        }
        return f.ret(Abi.ECAP);
    }

    Next recv(Task t, SyscallFrame f) {
        Capability c = cap(t, f.a[0], Capability.Kind.ENDPOINT_RECV);
        if (c == null) {
            return receiveRefused(t, f, f.a[0]);
        }
        if (t.replyOwed() != null) {
            return f.ret(Abi.ESTATE);
        }
        t.receivesByWaitAny(false);
        t.receiveSumBack(f.sumBack());
        Endpoint ep = c.endpoint();
        if (t.recovery().holdReceive(ep)) {
            return Next.BLOCKED; // (once its CPU has stopped: Recovery.runAgain)
        }
        if (!ep.senders.isEmpty()) {
            Fault scrub = t.recovery().busy(ep);
            if (scrub != null) {
                t.faultWhenStopped(scrub); // (the request stays queued for the receive after it)
                return Next.BLOCKED;
            }
            deliver(ep.senders.pollFirst(), t, f.a);
            return f.filled(8);
        }
        Fault scrub = t.recovery().idle(ep);
        if (scrub != null) {
            t.faultWhenStopped(scrub); // (its recovery puts it back to receive on ep)
            return Next.BLOCKED;
        }
        t.blockReceiving(ep);
        ep.receiver = t;
        return Next.BLOCKED;
    }

    Next reply(Task t, SyscallFrame f) {
        if (t.recovery().heldReply() != null) {
            // (a REPLY while the request's reply is held: refused as it would be once that one left,
            // without leaving it or committing the request: refusedAtOnce)
            return f.ret(Abi.ESTATE);
        }
        // A plain REPLY is checked as a REPLY_RECV's reply is (verification, the shadow's
        // protocol check); the kept-register check applies only at its receive sites.
        if (t.replyOwed() != null) {
            Fault corrupt = t.recovery().checkReply(f.a[8], f.a);
            if (corrupt == Recovery.RUN_AGAIN) {
                return Next.BLOCKED;
            }
            if (corrupt != null) {
                t.faultWhenStopped(corrupt);
                return Next.BLOCKED;
            }
        }
        Task client = t.replyOwed();
        if (client != null
                && !badLength(f.a[6])
                && t.isServing(client)
                && t.recovery().holdReply(client, f.a)) {
            // (txipc: what the server does until its next receive belongs to the request, whose
            // reply leaves when it commits there: releaseReply)
            if (k.probe != null && !t.recovery().replayingHistory()) {
                k.probe.replyHeld(t); // (a replayed request's reply is not a new one either)
            }
            return f.ret(Abi.OK);
        }
        return f.ret(sendReply(t, f.a, null));
    }

    /**
     * Send the reply {@code t}'s recovery held back at a plain REPLY ({@link Recovery#holdReply}),
     * with the buffer bytes it had then: the request commits now, before {@code t}'s next syscall.
     */
    void releaseReply(Task t) {
        Recovery rec = t.recovery();
        long[] a = rec.heldReply();
        if (a == null) {
            return;
        }
        sendReply(
                t, a, rec.heldReplyBytes()); // (the server was told OK at its REPLY; a caller gone since gets nothing)
        rec.replyReleased();
    }

    /**
     * REPLY: wake the caller {@code t} owes a reply with a1..a6 and the buffer ({@code t}'s IPC
     * buffer, or {@code held} for a reply held back). Returns the status for a0.
     */
    private long sendReply(Task t, long[] a, byte[] held) {
        Task client = t.replyOwed();
        if (client == null) {
            return Abi.ESTATE;
        }
        if (badLength(a[6])) {
            return Abi.ETOOBIG;
        }
        boolean replayed = k.probe != null && t.recovery().replayingHistory(); // (for the probe alone)
        t.endServing();
        t.recovery().committed(client, a);
        if (k.probe != null && !replayed) {
            k.probe.replied(t); // (as for its delivery: a replayed request is not a new one)
        }
        if (k.timeline) {
            k.observer.replied(t, client, k.now());
        }
        if (!t.isServing(client)) {
            return Abi.EDEAD;
        }
        if (client.agentFor() != null) {
            client.agentAnswered();
            client.agentFor().agentReplied(client, a);
            return Abi.OK;
        }
        t.recovery().replyDelivered(client, a);
        int len = (int) a[6];
        if (held != null) {
            client.cpu().memory().write(Abi.IPC_BUF_ADDR, held, 0, len);
        } else {
            AddressSpace.copy(t.cpu().memory(), Abi.IPC_BUF_ADDR, client.cpu().memory(), Abi.IPC_BUF_ADDR, len);
        }
        client.setReply(Abi.OK, a);
        client.callEnded();
        k.wake(client);
        return Abi.OK;
    }

    Next replyRecv(Task t, SyscallFrame f) {
        long[] a = f.a;
        // Check the whole request before acting on any of it: a bad receive capability fails
        // the call without sending the reply, so a server whose state was corrupted while
        // handling a request faults with that request still open (and, under txipc, undone).
        if (cap(t, a[0], Capability.Kind.ENDPOINT_RECV) == null) {
            return receiveRefused(t, f, a[0]);
        }
        if (t.replyOwed() != null) {
            Fault corrupt = t.recovery().checkReply(a[8], a);
            if (corrupt == Recovery.RUN_AGAIN) {
                return Next.BLOCKED; // (verification: the request runs again once the CPU has stopped)
            }
            if (corrupt != null) {
                t.faultWhenStopped(corrupt); // handled as a fault once the CPU has stopped: rolled back
                return Next.BLOCKED;
            }
        }
        if (t.replyOwed() != null) {
            long r = sendReply(t, a, null);
            if (r == Abi.ETOOBIG) {
                return f.ret(r);
            }
            // EDEAD: the caller went away; its reply is dropped and the server goes on.
        }
        return recv(t, f);
    }

    Next notify(Task t, SyscallFrame f) {
        Capability c = cap(t, f.a[0], Capability.Kind.NOTIFY_SIGNAL);
        if (c == null) {
            return f.ret(Abi.ECAP);
        }
        Notification n = c.notification();
        long fresh = f.a[1] & ~n.bits; // (what this signal sets that was not pending already)
        signal(n, f.a[1]);
        t.recovery().signalled(n, fresh);
        return f.ret(Abi.OK);
    }

    /** OR {@code bits} into {@code n} and wake its waiter. Also used for device interrupts. */
    void signal(Notification n, long bits) {
        n.bits |= bits;
        n.signals++;
        Task w = n.waiter;
        if (w != null && n.bits != 0 && w.waitingAny()) {
            Endpoint wep = w.state() == TaskState.RECEIVING ? w.blockedOn() : null;
            endWaitAny(w);
            w.recovery().woke(wep, Abi.WOKEN, n.bits);
            w.waitAnyResult(Abi.WOKEN, n.bits);
            w.recovery().consumed(n, n.bits);
            if (k.probe != null) {
                k.probe.wokeByNotification(w, n.bits);
            }
            n.bits = 0;
            k.wake(w);
            return;
        }
        if (w != null && n.bits != 0) {
            n.waiter = null;
            w.notified(n.bits);
            woken[0] = Abi.OK;
            woken[1] = n.bits;
            w.recovery().answered(Abi.SYS_WAIT, woken, 2);
            w.recovery().consumed(n, n.bits);
            n.bits = 0;
            k.wake(w);
        }
    }

    /** WAIT (block while zero) or POLL: read and clear the notification's bits into a1. */
    Next waitOn(Task t, SyscallFrame f, boolean block) {
        long slot = f.a[0];
        Capability c = cap(t, slot, Capability.Kind.NOTIFY_WAIT);
        if (c == null) {
            c = cap(t, slot, Capability.Kind.DEVICE); // a device capability waits for the interrupt
        }
        if (c == null) {
            return f.ret(Abi.ECAP);
        }
        Notification n = c.notification();
        if (n.bits != 0 || !block) {
            long bits = n.bits;
            n.bits = 0;
            if (bits != 0) {
                t.recovery().consumed(n, bits);
            }
            return f.ret(Abi.OK, bits);
        }
        t.blockWaiting(n);
        n.waiter = t;
        return Next.BLOCKED;
    }

    /**
     * WAIT_ANY: a request on the endpoint of slot a0 (-1: none), bits on the notification or
     * device of slot a1 (-1: none), or a2 nanoseconds (0: no timeout), whichever comes first. A
     * waiting request wins over pending bits, bits over the timeout. With an endpoint it is a
     * receive (no reply may be owed); without one it may be made inside a request (a driver
     * waiting for its device with a timeout, a sleep).
     */
    Next waitAny(Task t, SyscallFrame f) {
        return waitAny(t, f, true);
    }

    /**
     * {@link #waitAny}; {@code made}: the task's own system call (false: {@link #waitAnyAgain},
     * the kernel putting it back into the wait after a recovery, which scrubs nothing).
     */
    private Next waitAny(Task t, SyscallFrame f, boolean made) {
        long[] a = f.a;
        Endpoint ep = null;
        if (a[0] != -1) {
            Capability c = cap(t, a[0], Capability.Kind.ENDPOINT_RECV);
            if (c == null) {
                return receiveRefused(t, f, a[0]);
            }
            ep = c.endpoint();
        }
        Notification n = null;
        if (a[1] != -1) {
            Capability c = cap(t, a[1], Capability.Kind.NOTIFY_WAIT);
            if (c == null) {
                c = cap(t, a[1], Capability.Kind.DEVICE);
            }
            if (c == null) {
                return f.ret(Abi.ECAP);
            }
            n = c.notification();
        }
        long timeout = a[2];
        if (timeout < 0 || (ep == null && n == null && timeout == 0)) {
            return f.ret(Abi.EINVAL); // (a negative timeout; or nothing that could ever end the wait)
        }
        if (ep != null && t.replyOwed() != null) {
            return f.ret(Abi.ESTATE);
        }
        // (only a WAIT_ANY that is not refused is the one a rollback makes again, waitAnyAgain: one
        // refused for a spoiled slot, ECAP inside a request, would be refused again after it)
        t.madeWaitAny(a[0], a[1], a[2], k.now());
        if (made) {
            t.receiveSumBack(f.sumBack()); // (waitAnyAgain's keeps the first one's)
        }
        long[] replayed = t.recovery().replayedWake();
        if (replayed != null) {
            // (txipc replays its history, and a wake is next: it ends the wait as it first did)
            if (ep != null) {
                t.receivesByWaitAny(true);
            }
            t.recovery().woke(ep, replayed[0], replayed[1]);
            return f.ret(replayed[0], replayed[1]);
        }
        if (ep != null) {
            t.receivesByWaitAny(true);
            if (made) {
                // (scrub = true: a server that receives by WAIT_ANY is scrubbed as one that
                // receives by RECV, at its waits; what ends the wait stays pending for after it)
                boolean pending = !ep.senders.isEmpty() || (n != null && n.bits != 0);
                Fault scrub = pending ? t.recovery().busy(ep) : t.recovery().idle(ep);
                if (scrub != null) {
                    t.faultWhenStopped(scrub); // (its recovery puts it back into this wait: waitAnyAgain)
                    return Next.BLOCKED;
                }
            }
            Task client = ep.senders.pollFirst();
            if (client != null) {
                deliver(client, t, a);
                return f.filled(8);
            }
        }
        if (n != null && n.bits != 0) {
            long bits = n.bits;
            n.bits = 0;
            t.recovery().woke(ep, Abi.WOKEN, bits);
            t.recovery().consumed(n, bits);
            if (k.probe != null) {
                k.probe.wokeByNotification(t, bits);
            }
            return f.ret(Abi.WOKEN, bits);
        }
        if (ep != null) {
            t.blockReceiving(ep);
            ep.receiver = t;
        } else {
            t.blockWaiting(null);
        }
        long wakeAt = timeout == 0 ? 0 : Math.max(1, satAdd(k.now(), timeout));
        t.waitAny(n, wakeAt);
        if (n != null) {
            n.waiter = t;
        }
        if (wakeAt != 0) {
            k.sleepUntil(t); // (by its wakeAt)
        }
        return Next.BLOCKED;
    }

    /**
     * Put {@code t}, whose work after a WAIT_ANY wake was rolled back (txipc), back into the
     * WAIT_ANY it made, with the same arguments: it ends at once (a request, bits) or blocks.
     * Its timeout ends when the first one did: a wait that was due already (the rolled-back work
     * was its timeout's) ends at once, so that work runs again now, not a whole timeout later.
     */
    void waitAnyAgain(Task t) {
        long[] regs = new long[9];
        System.arraycopy(t.lastWaitAnyArgs(), 0, regs, 0, 3);
        long deadline = t.lastWaitAnyDeadline();
        if (deadline != 0) {
            regs[2] = Math.max(1, deadline - k.now()); // (0 would mean no timeout)
        }
        SyscallFrame f = new SyscallFrame().reset(regs);
        if (waitAny(t, f, false) != Next.BLOCKED) {
            t.setResults(f.a, f.written());
            k.wake(t);
        }
    }

    private static long satAdd(long x, long y) {
        long r = x + y;
        return r < x ? Long.MAX_VALUE : r;
    }

    /** Withdraw {@code t}'s WAIT_ANY from its endpoint, notification and timeout. */
    void endWaitAny(Task t) {
        Endpoint ep = t.state() == TaskState.RECEIVING ? t.blockedOn() : null;
        if (ep != null && ep.receiver == t) {
            ep.receiver = null;
        }
        Notification n = t.waitingOn();
        if (n != null && n.waiter == t) {
            n.waiter = null;
        }
        if (t.wakeAt() != 0) {
            k.cancelSleep(t);
        }
        t.waitAnyEnded();
    }

    /**
     * Withdraw {@code t}'s WAIT or WAIT_ANY (it is blocked, {@link TaskState#WAITING}) from its
     * notification and timeout, so that no signal wakes it any more: its recovery is about to end
     * the request it waits in ({@link Kernel} breaks a deadlock).
     */
    void withdrawWait(Task t) {
        if (t.waitingAny()) {
            endWaitAny(t);
            return;
        }
        Notification n = t.waitingOn();
        if (n != null && n.waiter == t) {
            n.waiter = null;
        }
        t.leaveIpc();
    }

    /** {@code t}'s WAIT_ANY timed out: it gets ETIMEDOUT. */
    void timedOut(Task t) {
        Endpoint ep = t.state() == TaskState.RECEIVING ? t.blockedOn() : null;
        endWaitAny(t);
        t.recovery().woke(ep, Abi.ETIMEDOUT, 0);
        t.waitAnyResult(Abi.ETIMEDOUT, 0);
        k.wake(t);
    }

    Next refresh(Task t, SyscallFrame f) {
        long slot = f.a[0];
        Capability c = cap(t, slot, Capability.Kind.ENDPOINT_SEND);
        if (c == null) {
            return f.ret(Abi.ECAP);
        }
        Task server = c.endpoint().server;
        if (!server.state().alive()) {
            return f.ret(Abi.EDEAD, server.generation());
        }
        t.replaceCap((int) Task.slot(slot), c.withGeneration(server.generation()));
        return f.ret(Abi.OK, server.generation());
    }

    /**
     * CLIENT_ALIVE: does a task that calls the endpoint of {@code t}'s receive capability a0
     * with badge a1 still live? 1 while one does (a restart included: the next generation has
     * the same badge), 0 once none does: it exited, or died for good. A server that keeps
     * resources per client (the network stack's sockets) frees those of clients that are gone.
     */
    Next clientAlive(Task t, SyscallFrame f) {
        Capability c = cap(t, f.a[0], Capability.Kind.ENDPOINT_RECV);
        if (c == null) {
            return f.ret(Abi.ECAP);
        }
        for (Task other : k.tasks) {
            if (other.state().alive() && other.callsWith(c.endpoint(), f.a[1])) {
                return f.ret(1);
            }
        }
        return f.ret(0);
    }

    /**
     * Remove every IPC relation of {@code t}, which is exiting, dying or restarting: callers
     * queued on or served by its endpoints get EDEAD with its current generation, and its own
     * pending call or wait is withdrawn.
     */
    void forget(Task t) {
        if (t.state() == TaskState.SENDING && t.blockedOn() != null) {
            t.blockedOn().senders.remove(t);
        }
        if (t.waitingOn() != null) {
            t.waitingOn().waiter = null;
        }
        if (t.wakeAt() != 0) {
            k.cancelSleep(t);
        }
        t.leaveIpc();
        for (Endpoint ep : k.endpoints.values()) {
            if (ep.server != t) {
                continue;
            }
            if (ep.receiver == t) {
                ep.receiver = null;
            }
            Task c;
            while ((c = ep.senders.pollFirst()) != null) {
                failCall(c, t);
            }
        }
        Task owed = t.replyOwed();
        t.endServing();
        if (owed != null && t.isServing(owed)) {
            failCall(owed, t);
        }
        for (Notification n : k.notifications.values()) {
            if (n.owner == t) {
                n.waiter = null;
                n.bits = 0;
            }
        }
        for (BoundDevice bd : t.devices()) {
            bd.irq.waiter = null;
            bd.irq.bits = 0;
        }
    }

    /** DEVICE_INFO: where the device of capability {@code slot} is mapped. */
    Next deviceInfo(Task t, SyscallFrame f) {
        long[] a = f.a;
        Capability c = cap(t, a[0], Capability.Kind.DEVICE);
        if (c == null) {
            return f.ret(Abi.ECAP);
        }
        BoundDevice bd = c.device();
        a[0] = Abi.OK;
        a[1] = bd.base;
        a[2] = dev.rewind.hw.dev.Device.MMIO_SIZE;
        a[3] = bd.device.kind();
        return f.filled(4);
    }

    private void failCall(Task client, Task server) {
        client.callEnded();
        if (client.agentFor() != null) {
            client.agentFor().agentFailed(client);
            return;
        }
        client.setResult2(Abi.EDEAD, server.generation());
        k.wake(client);
    }
}
