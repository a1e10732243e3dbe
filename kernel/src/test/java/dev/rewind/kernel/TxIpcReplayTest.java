package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Abi;
import dev.rewind.abi.Kv;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Corruption that escapes the transaction it struck: a fault that does not trap while its
 * request runs, commits with it, and makes a later request trap every time it runs. Rolling
 * back the later request alone restores the corrupt state; TxIPC's history replay undoes the
 * committed requests as well and runs them again, without the fault.
 */
class TxIpcReplayTest {
    static final long KV_PUT = Kv.PUT;
    static final long KV_GET = Kv.GET;
    static final long KV_DEL = Kv.DEL;

    static final List<Long> labels = new ArrayList<>();
    static final List<String> keys = new ArrayList<>();

    static String key(Task server) {
        byte[] b = new byte[65];
        server.cpu().memory().read(Abi.IPC_BUF_ADDR, b, 0, b.length);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.ISO_8859_1);
    }

    /** The kv oracle's requests, in order, from a fault-free run. */
    @BeforeAll
    static void record() throws Exception {
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin("t_kv_oracle.toml"), new KernelProbe() {
            @Override
            public void requestDelivered(Task server) {
                if (server.name().equals("kv")) {
                    labels.add(((TxIpc) server.recovery()).label());
                    keys.add(key(server));
                }
            }
        });
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
    }

    /**
     * The request (1-based) after which the next one gets a key that is stored and that this
     * one does not touch, from request 200 on.
     */
    static int strikeBeforeAGet() {
        return strikeBeforeAGet(labels, keys);
    }

    /** As {@link #strikeBeforeAGet()}, in the workload whose requests are {@code labels} and {@code keys}. */
    static int strikeBeforeAGet(List<Long> labels, List<String> keys) {
        Set<String> stored = new HashSet<>();
        for (int i = 0; i + 1 < labels.size(); i++) {
            long l = labels.get(i);
            // (the struck request must succeed: an error reply is run again by default, verify =
            // "refusals", and that run's rollback puts back what differs from the last commit,
            // the corruption too, before the get could find it)
            boolean succeeds = l == KV_PUT || ((l == KV_GET || l == KV_DEL) && stored.contains(keys.get(i)));
            if (l == KV_PUT) {
                stored.add(keys.get(i));
            } else if (l == KV_DEL) {
                stored.remove(keys.get(i));
            }
            if (i >= 200
                    && succeeds
                    && labels.get(i + 1) == KV_GET
                    && stored.contains(keys.get(i + 1))
                    && !keys.get(i).equals(keys.get(i + 1))) {
                return i + 1;
            }
        }
        throw new AssertionError("the workload has no get to strike before");
    }

    /**
     * Where kv_server.c's struct entry keeps what, as the server itself says in its exported
     * {@code kv_entry_layout} (uint32: entry size, offsets of used, key and val, entries).
     */
    record EntryLayout(int size, int used, int key, int val, int count) {
        static EntryLayout of(Task server) {
            long at = server.image().symbol("kv_entry_layout").orElseThrow();
            byte[] b = new byte[20];
            assertTrue(server.cpu().memory().read(at, b, 0, b.length));
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            return new EntryLayout(bb.getInt(), bb.getInt(), bb.getInt(), bb.getInt(), bb.getInt());
        }
    }

    /** The address of the entry of kv's table ({@code entries}) that holds {@code key}, or -1. */
    static long entryOf(Task server, String key) {
        long entries = server.image().symbol("entries").orElseThrow();
        EntryLayout l = EntryLayout.of(server);
        byte[] e = new byte[l.size()];
        for (int i = 0; i < l.count(); i++) {
            long at = entries + (long) i * l.size();
            server.cpu().memory().read(at, e, 0, l.size());
            if (e[l.used()] == 1
                    && new String(e, l.key(), key.length(), StandardCharsets.ISO_8859_1).equals(key)
                    && e[l.key() + key.length()] == 0) {
                return at;
            }
        }
        return -1;
    }

    /** The 8-byte little-endian word at {@code at} of {@code server}'s memory. */
    static long word(Task server, long at) {
        byte[] b = new byte[8];
        assertTrue(server.cpu().memory().read(at, b, 0, 8));
        return java.nio.ByteBuffer.wrap(b)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getLong();
    }

    /** {@code v} as 8 little-endian bytes. */
    static byte[] bytes(long v) {
        return java.nio.ByteBuffer.allocate(8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(v)
                .array();
    }

    /**
     * A request (1-based) {@code strike} and a later one {@code get}, more than {@code gap}
     * requests on, that gets a key stored before {@code strike} and touched by no request from
     * {@code strike} to {@code get}: corruption of that key's entry committed by {@code strike}
     * shows first at {@code get}.
     */
    record FarGet(int strike, int get, String key) {}

    /**
     * {@link #strikeFarBeforeAGet} for another test class: records the workload into this
     * class's lists (shared) and leaves them empty again.
     */
    static FarGet recordFarGet(int gap) throws Exception {
        labels.clear();
        keys.clear();
        try {
            record();
            return strikeFarBeforeAGet(gap);
        } finally {
            labels.clear();
            keys.clear();
        }
    }

    static FarGet strikeFarBeforeAGet(int gap) {
        Set<String> stored = new HashSet<>();
        for (int i = 0; i < labels.size(); i++) {
            // request i + 1 is the strike; keys stored by requests 1..i are in `stored`
            for (int j = i + 1; j < labels.size(); j++) {
                String k = keys.get(j);
                if (j - i > gap && labels.get(j) == KV_GET && stored.contains(k) && untouched(k, i, j)) {
                    return new FarGet(i + 1, j + 1, k);
                }
            }
            if (labels.get(i) == KV_PUT) {
                stored.add(keys.get(i));
            } else if (labels.get(i) == KV_DEL) {
                stored.remove(keys.get(i));
            }
        }
        throw new AssertionError("the workload has no get more than " + gap + " requests after a strike");
    }

    /** True if no request in [from, to) (0-based) names {@code key}. */
    private static boolean untouched(String key, int from, int to) {
        for (int i = from; i < to; i++) {
            if (keys.get(i).equals(key)) {
                return false;
            }
        }
        return true;
    }

    /**
     * When kv's request {@code n} is delivered, points the value of {@code key} at unmapped
     * memory (0x8, or its pointer with bit {@code flip} flipped): the request commits with the
     * corruption, and every get of the key then traps.
     */
    static final class ValueCorruptor implements KernelProbe {
        final int n;
        final String key;
        final int flip;
        int delivered;
        boolean struck;

        ValueCorruptor(int n, String key) {
            this(n, key, -1);
        }

        ValueCorruptor(int n, String key, int flip) {
            this.n = n;
            this.key = key;
            this.flip = flip;
        }

        @Override
        public void requestDelivered(Task server) {
            if (!server.name().equals("kv") || ++delivered != n) {
                return;
            }
            long at = entryOf(server, key);
            if (at < 0) {
                return;
            }
            long val = EntryLayout.of(server).val();
            assertTrue(server.cpu()
                    .memory()
                    .write(at + val, bytes(flip < 0 ? 0x8 : word(server, at + val) ^ (1L << flip)), 0, 8));
            struck = true;
        }
    }

    static String manifest(int replayDepth) throws Exception {
        String toml = Fixtures.manifest("t_kv_oracle.toml");
        return replayDepth < 0
                ? toml
                : toml.replace("recovery = \"txipc\"", "recovery = \"txipc\"\nreplay_depth = " + replayDepth);
    }

    @Test
    void corruptionCommittedByAnEarlierRequestIsUndoneByReplayingTheHistory() throws Exception {
        int n = strikeBeforeAGet();
        ValueCorruptor probe = new ValueCorruptor(n, keys.get(n));
        GuestRun r = GuestRun.bootManifest(manifest(-1), Fixtures.CONFIG, probe, null);
        assertTrue(probe.struck, "request " + n + " found the entry of " + keys.get(n));
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        // The get trapped, was answered ERECOVERED, trapped again when retried; the second abort
        // undid the history (back past request n) and replayed it, and the next retry worked.
        assertEquals(2, r.faults.size(), r::toString);
        assertTrue(((RecoveryOutcome.RolledBack) r.faults.get(1).outcome()).undoneRequests() > 1, r::toString);
        for (GuestRun.FaultEvent f : r.faults) {
            // each rollback names the get that faulted, not a request the replay ran again
            assertEquals(KV_GET, ((RecoveryOutcome.RolledBack) f.outcome()).label(), r::toString);
        }
        assertEquals(1, r.replays.size(), r::toString);
        GuestRun.Replay replay = r.replays.get(0);
        assertEquals("kv", replay.server());
        assertEquals(64, replay.requests(), "no evidence (a near-null pointer): the newest 64 requests");
        assertEquals(0, replay.differed(), "the corruption changed no reply before the get");
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
    }

    @Test
    void corruptionCommittedMoreThan64RequestsBackIsReachedFromEvidence() throws Exception {
        // A bit flipped in a value pointer (as the campaigns' memory bit flips of seeds 50033
        // and 50705 struck one) by a request more than 64 before the get that trips on it: a
        // write of that request's (logged), so the evidence names it exactly.
        FarGet far = strikeFarBeforeAGet(100);
        ValueCorruptor probe = new ValueCorruptor(far.strike(), far.key(), 36);
        GuestRun r = GuestRun.bootManifest(manifest(-1), Fixtures.CONFIG, probe, null);
        assertTrue(probe.struck, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(2, r.faults.size(), r::toString);
        assertEquals(1, r.replays.size(), r::toString);
        // The evidence (who wrote the pointer the get used) names the strike: the replay undoes
        // exactly the requests from it to the one before the get.
        assertEquals(far.get() - far.strike(), r.replays.get(0).requests(), r::toString);
        assertTrue(r.replays.get(0).requests() > 100, r::toString);
        assertEquals(0, r.replays.get(0).differed(), r::toString);
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
    }

    @Test
    void theSameCorruptionIsOutOfReachOfTheNewest64Requests() throws Exception {
        FarGet far = strikeFarBeforeAGet(100);
        ValueCorruptor probe = new ValueCorruptor(far.strike(), far.key(), 36);
        GuestRun r = GuestRun.bootManifest(manifest(64), Fixtures.CONFIG, probe, null);
        assertTrue(probe.struck);
        assertTrue(r.console.contains("kv_oracle: FAIL"), r::toString);
        assertTrue(r.console.contains("ERECOVERED 4 times in a row"), r::toString);
    }

    /**
     * When stamp_server's request {@code n} is delivered, flips bit {@code flip} of slot 0's
     * value pointer (slot 0 is set by request 1 and then not touched until the last phase).
     */
    static final class StampCorruptor implements KernelProbe {
        final int n;
        final int flip;
        int delivered;
        boolean struck;

        StampCorruptor(int n, int flip) {
            this.n = n;
            this.flip = flip;
        }

        @Override
        public void requestDelivered(Task server) {
            if (!server.name().equals("stamp") || ++delivered != n) {
                return;
            }
            long slot0 = server.image().symbol("stamp_slots").orElseThrow();
            byte[] b = new byte[8];
            assertTrue(server.cpu().memory().read(slot0, b, 0, 8));
            b[flip / 8] ^= (byte) (1 << (flip % 8));
            assertTrue(server.cpu().memory().write(slot0, b, 0, 8));
            struck = true;
        }
    }

    /** stamp_client.c: 32 sets, 4 rounds of 31 sets and gets, 32 gets. */
    static final int STAMP_REQUESTS = 32 + 4 * 31 * 2 + 32;

    @Test
    void requestsThatReadTheClockPollAndNotifyAreReplayedFromTheirRecord() throws Exception {
        // Every stamp request POLLs, every set reads CLOCK and NOTIFYs: before the record, each
        // of them cut the history and nothing could be replayed. The client checks that the
        // stamps and event counts it was told survive the replay, and that no set notified twice.
        int strike = 33; // the first request after every slot was set
        StampCorruptor probe = new StampCorruptor(strike, 36);
        GuestRun r = GuestRun.bootManifest(Fixtures.manifest("t_stamp.toml"), Fixtures.CONFIG, probe, null);
        assertTrue(probe.struck, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("stamp: ok requests=" + STAMP_REQUESTS), r::toString);
        assertEquals(2, r.faults.size(), r::toString);
        assertEquals(1, r.replays.size(), r::toString);
        GuestRun.Replay replay = r.replays.get(0);
        int firstGetOfSlot0 = STAMP_REQUESTS - 32 + 1;
        assertEquals(firstGetOfSlot0 - strike, replay.requests(), r::toString);
        assertEquals(0, replay.differed(), "each replayed reply (stamps, event counts) as the client got it");
        assertEquals(1, r.result.task("stamp").id().generation(), "no restart");
    }

    @Test
    void theEventsARequestPolledBeforeItFaultedAreGivenBackByItsRollback() throws Exception {
        // Request 34 is the get of slot 1, and the client signalled stamp_ev just before it: the
        // server's POLL takes the bit, then the get reads through a pointer made wild when the
        // request was delivered (a write of the request's own, so its rollback undoes it). Run
        // again, the request must see the bit again, or the event count it replies is one short.
        int n = 34;
        KernelProbe probe = new KernelProbe() {
            int delivered;

            @Override
            public void requestDelivered(Task server) {
                if (!server.name().equals("stamp") || ++delivered != n) {
                    return;
                }
                long slot1 = server.image().symbol("stamp_slots").orElseThrow() + 16;
                byte[] wild = java.nio.ByteBuffer.allocate(8)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .putLong(0x8)
                        .array();
                assertTrue(server.cpu().memory().write(slot1, wild, 0, 8));
            }
        };
        GuestRun r = GuestRun.bootManifest(Fixtures.manifest("t_stamp.toml"), Fixtures.CONFIG, probe, null);
        assertEquals(1, r.faults.size(), r::toString);
        assertTrue(r.console.contains("stamp: ok requests=" + STAMP_REQUESTS), r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertEquals(1, r.result.task("stamp").id().generation(), "no restart");
    }

    @Test
    void withoutARecordTheClockWouldHaveCutTheHistory() throws Exception {
        // The same system without a fault: the history grows past every request that read the
        // clock, polled and notified (up to the requests the undo log holds).
        List<Integer> sizes = new ArrayList<>();
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin("t_stamp.toml"), new KernelProbe() {
            @Override
            public void replied(Task server) {
                if (server.name().equals("stamp")) {
                    sizes.add(((TxIpc) server.recovery()).historySize());
                }
            }
        });
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertEquals(STAMP_REQUESTS, sizes.size());
        assertEquals(STAMP_REQUESTS, sizes.get(sizes.size() - 1), "every committed request is kept");
    }

    @Test
    void withoutAHistoryTheSameCorruptionDefeatsRollback() throws Exception {
        int n = strikeBeforeAGet();
        ValueCorruptor probe = new ValueCorruptor(n, keys.get(n));
        GuestRun r = GuestRun.bootManifest(manifest(0), Fixtures.CONFIG, probe, null);
        assertTrue(probe.struck);
        assertTrue(r.replays.isEmpty(), r::toString);
        assertTrue(r.console.contains("kv_oracle: FAIL"), r::toString);
        assertTrue(r.console.contains("ERECOVERED 4 times in a row"), r::toString);
    }

    @Test
    void theHistoryReachesBackPastNestedCalls() throws Exception {
        // nest's ADD calls kv, its GET does not. A nested call is answered from the request's
        // record in a replay (kv is not sent it again), so an ADD that commits is kept like a GET:
        // nest's history grows over both (before, every ADD that committed emptied it).
        List<String> nest = new ArrayList<>();
        List<Integer> kv = new ArrayList<>();
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin("t_nested.toml"), new KernelProbe() {
            @Override
            public void replied(Task server) {
                if (server.name().equals("nest")) {
                    nest.add(((((TxIpc) server.recovery()).label() & 0xff) == 1 ? "add" : "get") + "="
                            + ((TxIpc) server.recovery()).historySize());
                } else {
                    kv.add(((TxIpc) server.recovery()).historySize());
                }
            }
        });
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        List<Integer> adds = nest.stream()
                .filter(e -> e.startsWith("add="))
                .map(e -> Integer.parseInt(e.substring(4)))
                .toList();
        assertTrue(adds.size() >= 2 && adds.get(adds.size() - 1) > adds.get(0) && adds.get(0) >= 1, nest::toString);
        assertTrue(kv.stream().anyMatch(h -> h >= 3), kv::toString);
    }

    @Test
    void aRequestThatAbortsAgainAfterOtherClientsCommittedReplaysTheHistory() throws Exception {
        // t_slots: slot_server keeps one sealed counter per client in one page. While it handles
        // slot_client_b's 11th increment, bit 0 of slot_client_a's counter is flipped behind its
        // back (writeUnlogged, as the fault injector's memory flips): b's request writes the same
        // page and commits it, the flip with it. Only a's requests read its counter, so each of
        // them fails the seal check, and b's requests commit in between: no two aborts come in a
        // row. Before, no abort was suspect, nothing was replayed, and a got ERECOVERED every time
        // it sent the increment (it gives up after 4).
        long[] flippedAt = {0};
        TxIpc[] slots = {null};
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin("t_slots.toml"), new KernelProbe() {
            @Override
            public void requestDelivered(Task server) {
                if (!server.name().equals("slots") || flippedAt[0] != 0) {
                    return;
                }
                TxIpc tx = (TxIpc) server.recovery();
                long at = server.image().symbol("slots").orElseThrow();
                if (tx.label() != 2 || word(server, at + 16) != 10 || word(server, at) == 0) {
                    return;
                }
                byte[] b = new byte[1];
                assertTrue(server.cpu().memory().read(at, b, 0, 1));
                b[0] ^= 1;
                assertTrue(server.cpu().memory().writeUnlogged(at, b, 0, 1));
                flippedAt[0] = at;
                slots[0] = tx;
            }
        });
        assertTrue(flippedAt[0] != 0, "a's counter was flipped: " + r);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine("slot_client_a: ok"), r::toString);
        assertTrue(r.hasLine("slot_client_b: ok"), r::toString);
        assertTrue(r.restarts.isEmpty(), r::toString);
        assertTrue(r.faults.size() >= 2 && r.faults.size() <= 4, "a's increment faulted, then was mended: " + r);
        assertTrue(r.faults.stream().allMatch(f -> f.task().equals("slots")), r::toString);
        assertTrue(slots[0].resentAborts >= 1, "a's resent increment was suspect: " + r);
        assertTrue(r.replays.size() >= 1, "the history was replayed: " + r);
    }

    /**
     * t_wakeback: while wakeback_server handles the fifth SET, a bit of its cell 1 (which no
     * request writes, but the wakes check) is flipped behind its back and committed with the
     * page. The client's signal then wakes it: the work after the wake faults on the seal, and
     * again after its rollback, whose second abort replays the history, which mends the cell;
     * the wake runs once more and counts the signal. Before, the bits that woke it were lost with
     * the first rollback: the server never saw the signal (events 0, wakes 0), as an outside
     * scheduler missed a "quota refilled" (docs/RECOVERY.md, "An outside job scheduler").
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_wakeback.toml", "aarch64/t_wakeback.toml"})
    void aWakeWhoseWorkFaultedRunsAgainWithItsBitsAfterItsRollbackAndTheReplay(String image) throws Exception {
        assertSealFlipMendedByAWakeReplay(image, "wakeback_server", "wk_cells", "wakeback: ok");
    }

    /**
     * t_wakecall: as t_wakeback, but the work after every wake calls another server first (as a
     * network stack drains its driver), and the corruption (a bit of cell 1, flipped while the
     * fifth SET is handled) is found only by the second wake, after the first committed. The
     * second wake faults, again after its rollback, and the history replay of its second abort
     * must reach back past the first wake: that wake is kept in the history with its call, which
     * the replay answers from its record (the echo server is not called again). Before, a wake
     * that made a call cut the history at its commit, no replay could reach the fifth SET, and
     * the second wake's bits were dropped after its third run (net stack seeds 1285405, 1307700:
     * an escaped corruption that faulted every wake until a restart, or for good).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_wakecall.toml", "aarch64/t_wakecall.toml"})
    void aReplayReachesBackAcrossAWakeThatCalledAnotherServer(String image) throws Exception {
        assertSealFlipMendedByAWakeReplay(image, "wakecall_server", "wc_cells", "wakecall: ok");
    }

    /** tail_client.c: 16 sets, 3 rounds of a set and a get of slots 1..15 (each round then kicks the server), 16 gets, the kicks. */
    static final int TAIL_REQUESTS = 16 + 3 * 15 * 2 + 16 + 1;

    /** The wakes tail_client's kicks make. */
    static final int TAIL_WAKES = 3;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_tail.toml", "aarch64/t_tail.toml"})
    void theHistoryIsKeptOverWhatAServerDoesBetweenAPlainReplyAndItsNextReceiveAndOverItsWakes(String image)
            throws Exception {
        // tail_server replies with REPLY, then reads the clock for the timeout of its next
        // WAIT_ANY (as a server that expires leases does), and is woken three times by its
        // client's kicks. Before, the instructions after each REPLY ran with no transaction open,
        // and every request after them cut the history: it never held more than the newest
        // request, and the committed copy went stale at each one. And each wake cut it too.
        List<Integer> sizes = new ArrayList<>();
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), new KernelProbe() {
            @Override
            public void replied(Task server) {
                if (server.name().equals("tail")) {
                    sizes.add(((TxIpc) server.recovery()).historySize());
                }
            }
        });
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine("tail_client: ok requests=" + TAIL_REQUESTS), r::toString);
        assertEquals(TAIL_REQUESTS, sizes.size());
        assertEquals(
                TAIL_REQUESTS + TAIL_WAKES,
                sizes.get(sizes.size() - 1),
                "every committed request and wake is kept: " + sizes);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_tail.toml", "aarch64/t_tail.toml"})
    void corruptionCommittedByAServerThatRepliesBeforeItsNextReceiveIsUndoneByReplayingTheHistory(String image)
            throws Exception {
        // Request 60 (a set or get of another slot) also changes slot 0's seal, as a fault that
        // does not trap would: a write of the request's own, which commits with it. The get of
        // slot 0, request 107, then fails its seal assertion every time it runs. Two of the
        // client's kicks woke the server in between (wakes that commit). Before, there was no
        // history to replay ("the server ran outside a request", then "the server woke (WAIT_ANY)
        // outside a request"): the client got ERECOVERED until it gave up. The replay runs the
        // wakes again too (the client checks the server counted three kicks, no more). And the
        // server reads the clock after its reply only while slot 0 is intact: requests 60 to 106
        // first ran without that read, their replays make it, after their replies. Such a replay
        // went another way only after its reply was made: its reply is compared as it is (the
        // same), where any replay that went another way used to count as a reply that differed.
        int strike = 60;
        boolean[] struck = {false};
        KernelProbe probe = new KernelProbe() {
            int delivered;

            @Override
            public void requestDelivered(Task server) {
                if (!server.name().equals("tail") || ++delivered != strike) {
                    return;
                }
                long seal = server.image().symbol("tail_slots").orElseThrow() + 8;
                byte[] b = new byte[1];
                assertTrue(server.cpu().memory().read(seal, b, 0, 1));
                b[0] ^= 4;
                assertTrue(server.cpu().memory().write(seal, b, 0, 1));
                struck[0] = true;
            }
        };
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(struck[0], r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine("tail_client: ok requests=" + TAIL_REQUESTS), r::toString);
        assertTrue(r.restarts.isEmpty(), r::toString);
        assertTrue(r.replays.size() >= 1, "the history was replayed: " + r);
        assertTrue(r.replays.stream().allMatch(p -> p.differed() == 0), r::toString);
    }

    /**
     * Boots {@code image} with a bit of cell 1's seal ({@code cells} + 24) of {@code server} flipped
     * behind its back at its fifth request; the wakes that find it are rolled back and a history
     * replay mends it: the client prints {@code ok}, the server is never restarted.
     */
    private static void assertSealFlipMendedByAWakeReplay(String image, String serverName, String cells, String ok)
            throws Exception {
        int[] sets = {0};
        boolean[] flipped = {false};
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), new KernelProbe() {
            @Override
            public void requestDelivered(Task server) {
                if (!server.name().equals(serverName) || ++sets[0] != 5) {
                    return;
                }
                long at = server.image().symbol(cells).orElseThrow() + 24; // (cell 1's seal)
                byte[] b = new byte[1];
                assertTrue(server.cpu().memory().read(at, b, 0, 1));
                b[0] ^= 4;
                assertTrue(server.cpu().memory().writeUnlogged(at, b, 0, 1));
                flipped[0] = true;
            }
        });
        assertTrue(flipped[0], r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine(ok), r::toString);
        assertTrue(r.restarts.isEmpty(), r::toString);
        assertTrue(r.faults.size() >= 2 && r.faults.size() < TxIpc.WAKE_RUNS + 1, r::toString);
        assertTrue(
                r.faults.stream().allMatch(f -> f.outcome() instanceof RecoveryOutcome.RolledBack rb && rb.afterWake()),
                r::toString);
        assertTrue(r.replays.size() >= 1, "the history was replayed: " + r);
    }
}
