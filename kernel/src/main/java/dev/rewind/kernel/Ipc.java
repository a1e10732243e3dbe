package dev.rewind.kernel;

import dev.rewind.abi.Abi;
import dev.rewind.hw.mem.AddressSpace;

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
 * <p>Return values follow {@link Syscalls}: a status for a0, or {@link Syscalls#BLOCKED},
 * {@link #WITH_A1} (a[0], a[1] filled in) or {@link #FULL} (a[0..7] filled in).
 */
final class Ipc {
    static final long WITH_A1 = Long.MIN_VALUE + 1;
    static final long FULL = Long.MIN_VALUE + 2;

    private final Kernel k;

    Ipc(Kernel k) {
        this.k = k;
    }

    private static Capability cap(Task t, long slot, Capability.Kind kind) {
        if (slot < 0 || slot >= t.caps.length) {
            return null;
        }
        Capability c = t.caps[(int) slot];
        return c.kind() == kind ? c : null;
    }

    private static boolean badLength(long len) {
        return Long.compareUnsigned(len, Abi.IPC_BUF_SIZE) > 0;
    }

    long call(Task t, long[] a) {
        Capability c = cap(t, a[0], Capability.Kind.ENDPOINT_SEND);
        if (c == null) {
            return Abi.ECAP;
        }
        Endpoint ep = c.endpoint();
        Task server = ep.server;
        if (server.recovery.hidesRestarts() && server.state.alive() && c.generation() != server.generation) {
            // The shadow hides the driver's restarts: the capability follows the new generation.
            c = c.withGeneration(server.generation);
            t.caps[(int) a[0]] = c;
        }
        if (!server.state.alive() || c.generation() != server.generation) {
            a[0] = Abi.EDEAD;
            a[1] = server.generation;
            return WITH_A1;
        }
        if (badLength(a[6])) {
            return Abi.ETOOBIG;
        }
        System.arraycopy(a, 1, t.msg, 0, 6);
        t.sendBadge = c.badge();
        t.blockedOn = ep;
        Task receiver = ep.receiver;
        if (receiver != null) {
            ep.receiver = null;
            deliver(t, receiver, receiver.result);
            receiver.resultCount = 8;
            k.wake(receiver);
        } else {
            t.state = TaskState.SENDING;
            ep.senders.addLast(t);
        }
        return Syscalls.BLOCKED;
    }

    /**
     * Hand {@code client}'s message to {@code server}: copy the buffer, fill {@code out} with the
     * server's RECV results, and bind the pair until the reply.
     */
    private void deliver(Task client, Task server, long[] out) {
        int len = (int) client.msg[5];
        if (client.agentFor == null) {
            AddressSpace.copy(client.cpu.memory(), Abi.IPC_BUF_ADDR, server.cpu.memory(), Abi.IPC_BUF_ADDR, len);
        } else if (client.agentPayload != null) {
            server.cpu.memory().write(Abi.IPC_BUF_ADDR, client.agentPayload, 0, Math.min(len, client.agentPayload.length));
        }
        out[0] = Abi.OK;
        System.arraycopy(client.msg, 0, out, 1, 6);
        out[7] = client.sendBadge;
        server.replyTo = client;
        server.replyToGeneration = client.generation;
        Endpoint ep = client.blockedOn != null ? client.blockedOn : server.blockedOn;
        server.blockedOn = null;
        client.state = TaskState.AWAITING_REPLY;
        client.blockedOn = null;
        client.servedBy = server;
        server.recovery.delivered(client, ep);
        if (k.probe != null && !(client.agentFor instanceof TxIpc.Replay)) {
            k.probe.requestDelivered(server); // (a replayed request is not a new one)
        }
    }

    /**
     * Put a server whose request was rolled back (txipc) back into receive on {@code ep}: hand it
     * the next queued caller at once, or let it wait.
     */
    void receiveAgain(Task server, Endpoint ep) {
        Task next = ep.senders.pollFirst();
        if (next != null) {
            server.blockedOn = ep;
            deliver(next, server, server.result);
            server.resultCount = 8;
            k.wake(server);
        } else {
            server.state = TaskState.RECEIVING;
            server.blockedOn = ep;
            ep.receiver = server;
        }
    }

    long recv(Task t, long[] a) {
        Capability c = cap(t, a[0], Capability.Kind.ENDPOINT_RECV);
        if (c == null) {
            return Abi.ECAP;
        }
        if (t.replyTo != null) {
            return Abi.ESTATE;
        }
        Endpoint ep = c.endpoint();
        Task client = ep.senders.pollFirst();
        if (client != null) {
            deliver(client, t, a);
            return FULL;
        }
        t.state = TaskState.RECEIVING;
        t.blockedOn = ep;
        ep.receiver = t;
        return Syscalls.BLOCKED;
    }

    long reply(Task t, long[] a) {
        Task client = t.replyTo;
        if (client == null) {
            return Abi.ESTATE;
        }
        if (badLength(a[6])) {
            return Abi.ETOOBIG;
        }
        t.replyTo = null;
        t.recovery.committed(client, a);
        if (k.probe != null) {
            k.probe.replied(t);
        }
        if (client.generation != t.replyToGeneration || client.state != TaskState.AWAITING_REPLY || client.servedBy != t) {
            return Abi.EDEAD;
        }
        if (client.agentFor != null) {
            client.servedBy = null;
            client.state = TaskState.READY;
            client.agentFor.agentReplied(client, a);
            return Abi.OK;
        }
        t.recovery.replyDelivered(client, a);
        int len = (int) a[6];
        AddressSpace.copy(t.cpu.memory(), Abi.IPC_BUF_ADDR, client.cpu.memory(), Abi.IPC_BUF_ADDR, len);
        client.result[0] = Abi.OK;
        System.arraycopy(a, 1, client.result, 1, 6);
        client.resultCount = 7;
        client.servedBy = null;
        k.wake(client);
        return Abi.OK;
    }

    long replyRecv(Task t, long[] a) {
        // Check the whole request before acting on any of it: a bad receive capability fails
        // the call without sending the reply, so a server whose state was corrupted while
        // handling a request faults with that request still open (and, under txipc, undone).
        if (cap(t, a[0], Capability.Kind.ENDPOINT_RECV) == null) {
            return Abi.ECAP;
        }
        if (t.replyTo != null) {
            Fault corrupt = t.recovery.checkReply(a[8]);
            if (corrupt != null) {
                t.pendingFault = corrupt; // handled as a fault once the CPU has stopped: rolled back
                return Syscalls.BLOCKED;
            }
        }
        if (t.replyTo != null) {
            long r = reply(t, a);
            if (r == Abi.ETOOBIG) {
                return r;
            }
            // EDEAD: the caller went away; its reply is dropped and the server goes on.
        }
        return recv(t, a);
    }

    long notify(Task t, long slot, long bits) {
        Capability c = cap(t, slot, Capability.Kind.NOTIFY_SIGNAL);
        if (c == null) {
            return Abi.ECAP;
        }
        signal(c.notification(), bits);
        return Abi.OK;
    }

    /** OR {@code bits} into {@code n} and wake its waiter. Also used for device interrupts. */
    void signal(Notification n, long bits) {
        n.bits |= bits;
        Task w = n.waiter;
        if (w != null && n.bits != 0) {
            n.waiter = null;
            w.waitingOn = null;
            w.result[0] = Abi.OK;
            w.result[1] = n.bits;
            w.resultCount = 2;
            n.bits = 0;
            k.wake(w);
        }
    }

    /** WAIT (block while zero) or POLL: read and clear the notification's bits into a1. */
    long waitOn(Task t, long slot, boolean block, long[] a) {
        Capability c = cap(t, slot, Capability.Kind.NOTIFY_WAIT);
        if (c == null) {
            c = cap(t, slot, Capability.Kind.DEVICE); // a device capability waits for the interrupt
        }
        if (c == null) {
            return Abi.ECAP;
        }
        Notification n = c.notification();
        if (n.bits != 0 || !block) {
            a[0] = Abi.OK;
            a[1] = n.bits;
            n.bits = 0;
            return WITH_A1;
        }
        t.state = TaskState.WAITING;
        t.waitingOn = n;
        n.waiter = t;
        return Syscalls.BLOCKED;
    }

    long refresh(Task t, long slot, long[] a) {
        Capability c = cap(t, slot, Capability.Kind.ENDPOINT_SEND);
        if (c == null) {
            return Abi.ECAP;
        }
        Task server = c.endpoint().server;
        a[1] = server.generation;
        if (!server.state.alive()) {
            a[0] = Abi.EDEAD;
            return WITH_A1;
        }
        t.caps[(int) slot] = c.withGeneration(server.generation);
        a[0] = Abi.OK;
        return WITH_A1;
    }

    /**
     * Remove every IPC relation of {@code t}, which is exiting, dying or restarting: callers
     * queued on or served by its endpoints get EDEAD with its current generation, and its own
     * pending call or wait is withdrawn.
     */
    void forget(Task t) {
        if (t.state == TaskState.SENDING && t.blockedOn != null) {
            t.blockedOn.senders.remove(t);
        }
        t.blockedOn = null;
        t.servedBy = null;
        if (t.waitingOn != null) {
            t.waitingOn.waiter = null;
            t.waitingOn = null;
        }
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
        Task owed = t.replyTo;
        t.replyTo = null;
        if (owed != null && owed.generation == t.replyToGeneration && owed.state == TaskState.AWAITING_REPLY
                && owed.servedBy == t) {
            failCall(owed, t);
        }
        for (Notification n : k.notifications.values()) {
            if (n.owner == t) {
                n.waiter = null;
                n.bits = 0;
            }
        }
        for (BoundDevice bd : t.devices) {
            bd.irq.waiter = null;
            bd.irq.bits = 0;
        }
    }

    /** DEVICE_INFO: where the device of capability {@code slot} is mapped. */
    long deviceInfo(Task t, long slot, long[] a) {
        Capability c = cap(t, slot, Capability.Kind.DEVICE);
        if (c == null) {
            return Abi.ECAP;
        }
        BoundDevice bd = c.device();
        a[0] = Abi.OK;
        a[1] = bd.base;
        a[2] = dev.rewind.hw.dev.Device.MMIO_SIZE;
        a[3] = bd.device.kind();
        return FULL;
    }

    private void failCall(Task client, Task server) {
        if (client.agentFor != null) {
            client.blockedOn = null;
            client.servedBy = null;
            client.agentFor.agentFailed(client);
            return;
        }
        client.blockedOn = null;
        client.servedBy = null;
        client.result[0] = Abi.EDEAD;
        client.result[1] = server.generation;
        client.resultCount = Math.max(client.resultCount, 2);
        k.wake(client);
    }
}
