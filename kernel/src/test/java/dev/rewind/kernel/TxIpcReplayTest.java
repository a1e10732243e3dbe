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
        Set<String> stored = new HashSet<>();
        for (int i = 0; i + 1 < labels.size(); i++) {
            long l = labels.get(i);
            if (l == KV_PUT) {
                stored.add(keys.get(i));
            } else if (l == KV_DEL) {
                stored.remove(keys.get(i));
            }
            if (i >= 200
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

    /**
     * When kv's request {@code n} is delivered, points the value of {@code key} at unmapped
     * memory: the request commits with the corruption, and every get of the key then traps.
     */
    static final class ValueCorruptor implements KernelProbe {
        final int n;
        final String key;
        int delivered;
        boolean struck;

        ValueCorruptor(int n, String key) {
            this.n = n;
            this.key = key;
        }

        @Override
        public void requestDelivered(Task server) {
            if (!server.name().equals("kv") || ++delivered != n) {
                return;
            }
            long entries = server.image().symbol("entries").orElseThrow();
            EntryLayout l = EntryLayout.of(server);
            byte[] e = new byte[l.size()];
            for (int i = 0; i < l.count(); i++) {
                long at = entries + (long) i * l.size();
                server.cpu().memory().read(at, e, 0, l.size());
                if (e[l.used()] == 1
                        && new String(e, l.key(), key.length(), StandardCharsets.ISO_8859_1).equals(key)
                        && e[l.key() + key.length()] == 0) {
                    byte[] bad = java.nio.ByteBuffer.allocate(8)
                            .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                            .putLong(0x8)
                            .array();
                    assertTrue(server.cpu().memory().write(at + l.val(), bad, 0, 8));
                    struck = true;
                    return;
                }
            }
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
        assertEquals(1, r.replays.size(), r::toString);
        GuestRun.Replay replay = r.replays.get(0);
        assertEquals("kv", replay.server());
        assertEquals(64, replay.requests(), "the default replay_depth");
        assertEquals(0, replay.differed(), "the corruption changed no reply before the get");
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
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
    void noHistoryIsKeptPastARequestThatCannotBeReplayed() throws Exception {
        // nest's ADD calls kv (a nested call cannot be repeated), its GET does not: when an ADD
        // commits, nest's history is forgotten; a GET that commits joins it. kv keeps one.
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
        assertTrue(
                nest.contains("add=0")
                        && nest.stream().filter(e -> e.startsWith("add")).allMatch(e -> e.equals("add=0")),
                nest::toString);
        assertTrue(nest.stream().anyMatch(e -> e.startsWith("get=") && !e.equals("get=0")), nest::toString);
        assertTrue(kv.stream().anyMatch(h -> h >= 3), kv::toString);
    }
}
