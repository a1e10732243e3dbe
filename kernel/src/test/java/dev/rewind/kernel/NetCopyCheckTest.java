package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Abi;
import dev.rewind.abi.Net;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.api.Test;

/**
 * The stack server (lwIP, txipc) checks every copy of payload bytes against its source
 * (net_server.c, {@code net_copy_checked}, lwIP's {@code MEMCPY}): a fault that garbles a copy
 * without trapping is a fault of the request, which txipc undoes, and no wrong byte reaches the
 * peer or the client. Before, a register flipped or an instruction skipped in {@code memcpy}
 * while a SEND copied the client's bytes into a segment sent them wrong under a checksum lwIP
 * computed over the wrong bytes, and a RECV handed the client wrong bytes: 9 of the 12 runs of
 * {@code rewind inject builtin:t_net_oracle.toml --server net -n 300 --seed 1280001} that ended
 * with wrong bytes at the oracle or a failed run.
 */
class NetCopyCheckTest {

    /**
     * At the entry of the stack's {@code memcpy}, in the {@code nth} call made inside a request
     * labelled {@code label} whose destination ({@code toIpc}) or source (otherwise) is the IPC
     * buffer and that copies at least 64 bytes, moves the source register one byte on: the copy
     * then takes its bytes from the wrong place, as a flipped pointer register would make it.
     */
    static final class SourceShifted implements KernelProbe {
        final long label;
        final boolean toIpc;
        final int nth;
        int seen;
        boolean struck;
        long count;
        CpuHook hook;

        SourceShifted(long label, boolean toIpc, int nth) {
            this.label = label;
            this.toIpc = toIpc;
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("net") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long entry = task.image().symbol("memcpy").orElseThrow();
            int a0 = cpu.arch().result(0);
            int a1 = cpu.arch().result(1);
            int a2 = cpu.arch().result(2);
            hook = cpu.hookInstructions(entry, entry, (addr, size) -> {
                Task client = task.replyOwed();
                if (struck || client == null || client.msg(0) != label || cpu.reg(a2) < 64) {
                    return;
                }
                long ipc = toIpc ? cpu.reg(a0) : cpu.reg(a1);
                if (ipc != Abi.IPC_BUF_ADDR || ++seen != nth) {
                    return;
                }
                struck = true;
                count = cpu.reg(a2);
                cpu.setReg(a1, cpu.reg(a1) + 1);
            });
            cpu.dropCodeTranslations();
        }
    }

    private static void assertRolledBackAndEveryByteRight(SourceShifted probe, String what) throws Exception {
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin("t_net_oracle.toml"), probe);
        assertTrue(probe.struck, () -> what + ": the copy was struck: " + run);
        assertFalse(run.console.contains("net_oracle: FAIL"), () -> what + ": wrong bytes reached the oracle: " + run);
        assertTrue(run.hasLine("net_oracle: ok bytes=300000"), run::toString);
        assertEquals(0, run.result.task("net_oracle").exitCode(), run::toString);
        GuestRun.FaultEvent f = run.faults.stream()
                .filter(e -> e.task().equals("net"))
                .findFirst()
                .orElseThrow(() -> new AssertionError(what + ": no fault of the stack: " + run));
        assertEquals(FaultKind.ABORT, f.fault().kind(), run::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertTrue(run.restarts.stream().noneMatch(r -> r.startsWith("net@")), run::toString);
    }

    @Test
    void aSendWhoseCopyOfTheClientsBytesIsGarbledIsRolledBackBeforeAnyFrameLeaves() throws Exception {
        assertRolledBackAndEveryByteRight(new SourceShifted(Net.SEND, false, 20), "SEND");
    }

    @Test
    void aRecvWhoseCopyToTheClientIsGarbledIsRolledBackBeforeItsReplyLeaves() throws Exception {
        assertRolledBackAndEveryByteRight(new SourceShifted(Net.RECV, true, 20), "RECV");
    }

    /**
     * At the entry of the stack's SEND handler ({@code do_send}) in its {@code nth} SEND request,
     * flips bit 0 of the badge in the request record it is given (a store, logged), once: the socket's owner then
     * does not match, and the stack refuses a good SEND with NET_EBADF, without a trap. (Until
     * session 49 this flipped the badge argument at {@code rw__dispatch}'s entry; the dispatch now
     * compares the badge it is given, and the record's, with the one the receive kept, and fails
     * that flip as an assertion before the handler runs, so the refusal this test is about is made
     * past that check.)
     */
    static final class BadgeFlipped implements KernelProbe {
        final int nth;
        int seen;
        boolean struck;
        CpuHook hook;

        BadgeFlipped(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("net") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long entry = task.image().symbol("do_send").orElseThrow();
            int record = cpu.arch().result(0);
            hook = cpu.hookInstructions(entry, entry, (addr, size) -> {
                Task client = task.replyOwed();
                if (struck || client == null || client.msg(0) != Net.SEND || ++seen != nth) {
                    return;
                }
                struck = true;
                long at = cpu.reg(record) + 16; // (rw_request: in, out, badge, ctx)
                byte[] b = new byte[1];
                assertTrue(cpu.memory().read(at, b, 0, 1));
                b[0] ^= 1;
                // (a store of the server's, as a flipped register stored into the record would
                // make: logged, so that the copy check, which compares what no store changed,
                // does not catch it first in some boots and not in others)
                assertTrue(cpu.memory().write(at, b, 0, 1));
            });
            cpu.dropCodeTranslations();
        }
    }

    /**
     * The stack's manifests name its errors but EAGAIN as its own refusals ({@code refusals}): a
     * final answer a client acts on, rare in a working system, which a flipped register or a
     * skipped instruction in a socket lookup gives a good request without trapping (2 of the 12
     * failed runs of the campaign above: "SEND: EBADF", "RECV: EBADF"). Such a reply is held
     * back and the request run again, as for EINVAL: the runs disagree, the request is undone, and
     * the client sends it again and gets its true answer. Without the key the oracle fails on EBADF.
     */
    @Test
    void aSendRefusedWithEbadfBecauseOfAFlippedBadgeIsRunAgainBeforeTheRefusalLeaves() throws Exception {
        BadgeFlipped probe = new BadgeFlipped(20);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin("t_net_oracle.toml"), probe);
        assertTrue(probe.struck, run::toString);
        assertFalse(run.console.contains("net_oracle: FAIL"), run::toString);
        assertTrue(run.hasLine("net_oracle: ok bytes=300000"), run::toString);
        assertEquals(1, run.mismatches.size(), run::toString);
        assertEquals(Net.SEND, run.mismatches.get(0).label(), run::toString);
        // (the runs after the first send what the refused one did not: their nested calls are not
        // made, and the two differ, so the request is undone and its client sends it again)
        assertTrue(
                run.faults.stream()
                        .allMatch(f -> f.task().equals("net") && f.outcome() instanceof RecoveryOutcome.RolledBack),
                run::toString);

        String without = Fixtures.manifest("t_net_oracle.toml").replaceAll("(?m)^refusals = .*\\n", "");
        assertFalse(without.contains("refusals"), without);
        BadgeFlipped again = new BadgeFlipped(20);
        GuestRun plain = GuestRun.bootManifest(without, Fixtures.CONFIG, again, null);
        assertTrue(again.struck, plain::toString);
        assertTrue(plain.console.contains("net_oracle: FAIL SEND: EBADF"), plain::toString);
    }

    /**
     * At the entry of the {@code stack}'s function {@code symbol}, inside a request labelled
     * {@code label}, in the {@code nth} call {@link #where} finds a byte in, flips {@code mask} of
     * that byte in memory as the injector flips memory: a change by no store of the server's, so
     * in no undo log.
     */
    abstract static class ByteFlipped implements KernelProbe {
        final String stack;
        final String symbol;
        final long label;
        final int nth;
        final int mask;
        int seen;
        boolean struck;
        CpuHook hook;

        ByteFlipped(String stack, String symbol, long label, int nth, int mask) {
            this.stack = stack;
            this.symbol = symbol;
            this.label = label;
            this.nth = nth;
            this.mask = mask;
        }

        /** The byte to flip at this call (the task at the function's entry), or -1: not a call that counts. */
        abstract long where(Cpu cpu);

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals(stack) || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long entry = task.image().symbol(symbol).orElseThrow();
            hook = cpu.hookInstructions(entry, entry, (addr, size) -> {
                Task client = task.replyOwed();
                if (struck || client == null || client.msg(0) != label) {
                    return;
                }
                long at = where(cpu);
                if (at == -1 || ++seen != nth) {
                    return;
                }
                byte[] b = new byte[1];
                assertTrue(cpu.memory().read(at, b, 0, 1));
                b[0] ^= (byte) mask;
                cpu.memory().writeUnlogged(at, b, 0, 1);
                struck = true;
            });
            cpu.dropCodeTranslations();
        }
    }

    /**
     * At the entry of the {@code stack}'s {@code memcpy}, in the {@code nth} request labelled
     * {@code label} (RECV, RECVFROM) that copies at least 64 bytes of unread data to the IPC
     * buffer, flips bit 2 of the 10th byte of its source. The copy then equals its wrong source, so
     * the compare after it passes: seed 1492969 of an outside probe, "byte 7932: got 0xcc" at the
     * oracle.
     */
    static final class UnreadByteFlipped extends ByteFlipped {
        UnreadByteFlipped(String stack, long label, int nth) {
            super(stack, "memcpy", label, nth, 4);
        }

        @Override
        long where(Cpu cpu) {
            boolean counts =
                    cpu.reg(cpu.arch().result(2)) >= 64 && cpu.reg(cpu.arch().result(0)) == Abi.IPC_BUF_ADDR;
            return counts ? cpu.reg(cpu.arch().result(1)) + 10 : -1;
        }
    }

    /**
     * At the entry of the stack's {@code ip_chksum_pseudo} in the {@code nth} call inside a SEND
     * request over a segment with at least 64 bytes of data (tcp_output_segment's sum of the
     * segment it sends), flips bit 3 of the segment's 10th byte from the end: the client's bytes
     * changed while they waited in the send queue.
     */
    static final class QueuedByteFlipped extends ByteFlipped {
        QueuedByteFlipped(int nth) {
            super("net", "ip_chksum_pseudo", Net.SEND, nth, 8);
        }

        @Override
        long where(Cpu cpu) {
            if ((cpu.reg(cpu.arch().result(2)) & 0xffff) < 64 + 20) {
                return -1;
            }
            byte[] pb = new byte[20]; // struct pbuf: next, payload, tot_len, len
            assertTrue(cpu.memory().read(cpu.reg(cpu.arch().result(0)), pb, 0, pb.length));
            long payload = java.nio.ByteBuffer.wrap(pb, 8, 8)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getLong();
            int len = (pb[18] & 0xff) | (pb[19] & 0xff) << 8;
            return payload + len - 10;
        }
    }

    /** The stack {@code task}'s first fault is an abort with {@code detail}, rolled back, and it never restarted. */
    private static void assertFoundAndRolledBack(GuestRun run, String task, String detail) {
        GuestRun.FaultEvent f = run.faults.stream()
                .filter(e -> e.task().equals(task))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no fault of the stack: " + run));
        assertEquals(FaultKind.ABORT, f.fault().kind(), run::toString);
        assertTrue(f.fault().detail().contains(detail), f::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertTrue(run.restarts.stream().noneMatch(r -> r.startsWith(task + "@")), run::toString);
    }

    /**
     * Received bytes a client has not read yet are summed as they come in, and a RECV compares
     * what it hands over with the sum (net_server.c, "received bytes checked"): a flip in them
     * while they wait is a fault of the RECV, undone, and the history replay makes the receive
     * again from its record. Before, the oracle read the flipped byte.
     */
    @Test
    void aFlipInReceivedBytesWaitingToBeReadIsFoundByTheRecvThatHandsThemOver() throws Exception {
        UnreadByteFlipped probe = new UnreadByteFlipped("net", Net.RECV, 3);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin("t_net_oracle.toml"), probe);
        assertTrue(probe.struck, run::toString);
        assertFalse(run.console.contains("net_oracle: FAIL"), () -> "wrong bytes reached the oracle: " + run);
        assertTrue(run.hasLine("net_oracle: ok bytes=300000"), run::toString);
        assertFoundAndRolledBack(run, "net", "received bytes changed while they waited to be read");
    }

    /**
     * The same for a datagram waiting on a UDP socket, struck in the RECVFROM of the client's
     * stack that reads the first 100 bytes of a 1,000-byte one (the rest, dropped, is summed from
     * the datagram): two stacks under txipc (t_net_udp.toml with {@code recovery = "txipc"}).
     */
    @Test
    void aFlipInADatagramWaitingToBeReadIsFoundByTheRecvfromThatHandsItOver() throws Exception {
        String manifest = Fixtures.manifest("t_net_udp.toml")
                .replace("notifications = [\"net_rx\"]\n", "notifications = [\"net_rx\"]\nrecovery = \"txipc\"\n")
                .replace("notifications = [\"net_rx2\"]\n", "notifications = [\"net_rx2\"]\nrecovery = \"txipc\"\n");
        assertEquals(2, manifest.split("recovery = \"txipc\"", -1).length - 1, manifest);
        for (int nth : new int[] {1, 4}) {
            UnreadByteFlipped probe = new UnreadByteFlipped("net2", Net.RECVFROM, nth);
            GuestRun run = GuestRun.bootManifest(manifest, Fixtures.CONFIG, probe, null);
            assertTrue(probe.struck, run::toString);
            assertTrue(run.console.contains("net_udp: client ok"), run::toString);
            assertTrue(run.console.contains("net_udp: server ok"), run::toString);
            assertFoundAndRolledBack(run, "net2", "a received datagram changed while it waited to be read");
        }
    }

    /**
     * A client's bytes waiting in the send queue are summed as tcp_write copies them in, and
     * summed again as their segment leaves (lwIP's checksum on copy and its sanity check,
     * lwipopts.h): a flip in them while they wait is a fault of the request, undone, and the send
     * is made again. Before, the segment left with the flipped byte under a checksum computed over
     * it, and the oracle read the echo of the wrong byte.
     */
    @Test
    void aFlipInQueuedBytesBeforeTheirSegmentLeavesIsFoundAsItLeaves() throws Exception {
        for (int nth : new int[] {2, 9}) {
            QueuedByteFlipped probe = new QueuedByteFlipped(nth);
            GuestRun run = GuestRun.runWithProbe(SystemImage.builtin("t_net_oracle.toml"), probe);
            assertTrue(probe.struck, run::toString);
            assertFalse(run.console.contains("net_oracle: FAIL"), () -> "wrong bytes reached the oracle: " + run);
            assertTrue(run.hasLine("net_oracle: ok bytes=300000"), run::toString);
            assertFoundAndRolledBack(run, "net", "queued bytes changed before they were sent");
        }
    }
}
