package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Net;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stack server (lwIP, txipc) checks what a request did to its connection before it answers
 * (net_server.c, {@code queue_fault}, the SEND and RECV checks): a fault inside the request that
 * leaves a connection's send queue or its held bytes wrong without trapping is a fault of the
 * request, which txipc undoes and runs again. Before, such a request committed: a segment one
 * sequence number off (or shorter than counted) left a hole the peer waited on for good, and the
 * oracle polled a connection that no longer moved until its budget ended (the "no-trap" hangs of
 * {@code rewind inject builtin:t_net_oracle.toml --server net}, docs/RECOVERY.md); a length off
 * queued or kept bytes nobody sent, and the oracle read wrong bytes. Both architectures.
 */
class NetQueueCheckTest {

    /**
     * At the entry of the stack's function {@code symbol}, in the {@code nth} call made inside a
     * request labelled {@code label}, adds {@code delta} to argument {@code arg} once, as a flipped
     * or skipped computation of it would leave it; only calls whose argument is at least {@code
     * min} and at most {@code max} count.
     */
    static final class ArgumentChanged implements KernelProbe {
        final String symbol;
        final long label;
        final int arg;
        final long delta;
        final long min;
        final long max;
        final int nth;
        int seen;
        boolean struck;
        CpuHook hook;

        ArgumentChanged(String symbol, long label, int arg, long delta, long min, int nth) {
            this(symbol, label, arg, delta, min, Long.MAX_VALUE, nth);
        }

        ArgumentChanged(String symbol, long label, int arg, long delta, long min, long max, int nth) {
            this.symbol = symbol;
            this.label = label;
            this.arg = arg;
            this.delta = delta;
            this.min = min;
            this.max = max;
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("net") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long entry = task.image().symbol(symbol).orElseThrow();
            int reg = cpu.arch().result(arg);
            hook = cpu.hookInstructions(entry, entry, (addr, size) -> {
                Task client = task.replyOwed();
                if (struck
                        || client == null
                        || client.msg(0) != label
                        || cpu.reg(reg) < min
                        || cpu.reg(reg) > max
                        || ++seen != nth) {
                    return;
                }
                struck = true;
                cpu.setReg(reg, cpu.reg(reg) + delta);
            });
            cpu.dropCodeTranslations();
        }
    }

    private static void assertRolledBackAndEveryByteRight(String arch, ArgumentChanged probe) throws Exception {
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(arch + "t_net_oracle.toml"), probe);
        assertTrue(probe.struck, () -> probe.symbol + " was struck: " + run);
        assertFalse(run.console.contains("net_oracle: FAIL"), run::toString);
        assertTrue(run.hasLine("net_oracle: ok bytes=300000"), run::toString);
        assertEquals(0, run.result.task("net_oracle").exitCode(), run::toString);
        GuestRun.FaultEvent f = run.faults.stream()
                .filter(e -> e.task().equals("net"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no fault of the stack: " + run));
        assertEquals(FaultKind.ABORT, f.fault().kind(), run::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertTrue(run.restarts.stream().noneMatch(r -> r.startsWith("net@")), run::toString);
    }

    /**
     * A segment made one sequence number past where its bytes go (the seqno argument of
     * tcp_create_segment, as a nulled or flipped register in tcp_write's arguments leaves it): the
     * peer never gets the byte before it and waits for it for good, while lwIP thinks it sent
     * everything. Before, nothing trapped and the oracle timed out.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aSendThatLeavesAHoleInTheSendQueueIsRolledBackBeforeItAnswers(String arch) throws Exception {
        assertRolledBackAndEveryByteRight(arch, new ArgumentChanged("tcp_create_segment", Net.SEND, 3, 1, 0, 20));
    }

    /**
     * tcp_write given one byte fewer than the SEND answers it took (a flipped or skipped step of
     * the length): the stream loses a byte the client believes sent. Before, the oracle read the
     * byte after it in its place.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aSendThatQueuesFewerBytesThanItAnswersIsRolledBackBeforeItAnswers(String arch) throws Exception {
        assertRolledBackAndEveryByteRight(arch, new ArgumentChanged("tcp_write", Net.SEND, 2, -1, 64, 20));
    }

    /**
     * A RECV that drops one byte fewer from what it holds than it handed over (pbuf_free_header's
     * size): the next RECV hands the last byte again. Before, the oracle read it twice.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aRecvThatKeepsAByteItHandedOverIsRolledBackBeforeItAnswers(String arch) throws Exception {
        assertRolledBackAndEveryByteRight(arch, new ArgumentChanged("pbuf_free_header", Net.RECV, 1, -1, 2, 3));
    }

    /**
     * A CONNECT whose SYN names another port than the connection's (lwip_htons given 8 for the
     * oracle's port 7 as the segment's header is made, as a skipped step of it leaves a wrong
     * port): the echo service never sees the connection, and the peer's refusal reaches the
     * oracle as a final ECONNREFUSED. Before, nothing trapped and the oracle failed ("SEND (2nd):
     * ECONNREFUSED" at seed 1490947 of {@code rewind inject builtin:t_net_oracle.toml --server
     * net}).
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aConnectWhoseSynNamesAnotherPortIsRolledBackBeforeItAnswers(String arch) throws Exception {
        assertRolledBackAndEveryByteRight(arch, new ArgumentChanged("lwip_htons", Net.CONNECT, 0, 1, 7, 7, 2));
    }

    /**
     * At the entry of tcp_create_segment in the {@code nth} SEND, sets the reference count of the
     * segment's new buffer (its argument p; {@code struct pbuf}: next, payload, tot_len, len,
     * type_internal, flags, then ref at byte 22 on both architectures) to 0, as a nulled register
     * in pbuf_alloc's initialisation left it.
     */
    static final class BufferUnreferenced implements KernelProbe {
        static final int REF_OFFSET = 22;
        final int nth;
        int seen;
        boolean struck;
        CpuHook hook;

        BufferUnreferenced(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("net") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long entry = task.image().symbol("tcp_create_segment").orElseThrow();
            int p = cpu.arch().result(1);
            hook = cpu.hookInstructions(entry, entry, (addr, size) -> {
                Task client = task.replyOwed();
                if (struck || client == null || client.msg(0) != Net.SEND || ++seen != nth) {
                    return;
                }
                struck = cpu.memory().write(cpu.reg(p) + REF_OFFSET, new byte[] {0}, 0, 1);
            });
            cpu.dropCodeTranslations();
        }
    }

    /**
     * A segment whose buffer has a reference count of 0: lwIP takes it for one its driver still
     * holds (tcp_output_segment_busy) and never sends it, nor sends it again; the peer waits for
     * it for good. Before, nothing trapped and the client timed out (an outside application's
     * campaign, {@code rewind inject netmix.toml --server net}, seed 1492468: x9 nulled in
     * pbuf_alloc).
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aSendWhoseSegmentsBufferIsUnreferencedIsRolledBackBeforeItAnswers(String arch) throws Exception {
        BufferUnreferenced probe = new BufferUnreferenced(20);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(arch + "t_net_oracle.toml"), probe);
        assertTrue(probe.struck, run::toString);
        assertFalse(run.console.contains("net_oracle: FAIL"), run::toString);
        assertTrue(run.hasLine("net_oracle: ok bytes=300000"), run::toString);
        assertTrue(
                run.faults.stream()
                        .anyMatch(f -> f.task().equals("net")
                                && f.fault().kind() == FaultKind.ABORT
                                && f.outcome() instanceof RecoveryOutcome.RolledBack),
                run::toString);
        assertTrue(run.restarts.stream().noneMatch(r -> r.startsWith("net@")), run::toString);
    }

    /**
     * lwIP's heap hands a SEND's segment a block 32 bytes shorter than pbuf_alloc asked for (the
     * size lwIP's mem_malloc works with, cut at its entry in the {@code nth} SEND asking for at
     * least 256 bytes), as a skipped step of its search for a free block that is big enough did:
     * the segment's bytes then run into the next block. The stack checks each block it is handed
     * (net_server.c, {@code __wrap_mem_malloc}), so the fault is the SEND's own, found in it and
     * undone with it, before anything else used the heap. Before, nothing noticed there: what the
     * overrun broke showed later, in other requests (an outside application's campaign, {@code
     * rewind inject netmix.toml --server net}, seed 1493739: a wrong byte of an echo).
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aSendHandedAHeapBlockShorterThanAskedForIsRolledBackInThatSend(String arch) throws Exception {
        ArgumentChanged probe = new ArgumentChanged("mem_malloc", Net.SEND, 0, -32, 256, 20);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(arch + "t_net_oracle.toml"), probe);
        assertTrue(probe.struck, run::toString);
        assertTrue(run.hasLine("net_oracle: ok bytes=300000"), run::toString);
        GuestRun.FaultEvent f = run.faults.stream()
                .filter(e -> e.task().equals("net"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no fault of the stack: " + run));
        assertEquals(FaultKind.ABORT, f.fault().kind(), run::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertTrue(f.outcome().toString().contains(Long.toHexString(Net.SEND)), run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        assertTrue(run.restarts.stream().noneMatch(r -> r.startsWith("net@")), run::toString);
    }

    /**
     * A CONNECT whose new socket is made of kind 0, free (sock_alloc's kind argument, as a skipped
     * load of it leaves it), in the second CONNECT: the id answered names no socket of the client,
     * and every call on it answers a final EBADF. The stack checks the socket a request made
     * before it answers its id. Before, the oracle failed ("SEND (2nd): EBADF"; an outside
     * application's campaign, seed 1494379: "sending a message: EBADF").
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aConnectWhoseSocketIsMadeOfNoKindIsRolledBackBeforeItAnswers(String arch) throws Exception {
        assertRolledBackAndEveryByteRight(arch, new ArgumentChanged("sock_alloc", Net.CONNECT, 0, -2, 2, 2, 2));
    }
}
