package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.elf.ElfImage;
import dev.rewind.hw.mem.Perm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code scrub = true}: a bit flipped in kv's memory between requests (right after a reply),
 * in a page no request reads until much later, or in its code, is found while kv waits for
 * its next request and repaired before any request runs on it.
 */
class TxIpcScrubTest {
    /** A strike (1-based request) and a get of a key it and the requests up to the get leave alone. */
    static TxIpcReplayTest.FarGet far;

    @BeforeAll
    static void findTarget() throws Exception {
        far = TxIpcReplayTest.recordFarGet(100);
    }

    static String manifest(boolean scrub) throws Exception {
        String toml = Fixtures.manifest("t_kv_oracle.toml");
        return scrub ? toml.replace("recovery = \"txipc\"", "recovery = \"txipc\"\nscrub = true") : toml;
    }

    /**
     * Right after kv's reply {@code n} (no request open), {@link #strike}s the entry of {@code
     * key} in kv's table; notes kv's txipc policy at every reply.
     */
    abstract static class AfterKvReply implements KernelProbe {
        final int n;
        final String key;
        int replies;
        long flippedAt;
        TxIpc txipc;

        AfterKvReply(int n, String key) {
            this.n = n;
            this.key = key;
        }

        @Override
        public void replied(Task server) {
            if (!server.name().equals("kv")) {
                return;
            }
            txipc = (TxIpc) server.recovery();
            if (++replies != n) {
                return;
            }
            long at = TxIpcReplayTest.entryOf(server, key);
            if (at >= 0) {
                flippedAt = strike(server, at);
            }
        }

        /** Change kv's memory at or through {@code entry}; returns the address changed. */
        abstract long strike(Task server, long entry);
    }

    /** Right after kv's reply {@code n}: flips bit 0 of the first byte of {@code key}'s value (on kv's heap). */
    static final class ValueFlipper extends AfterKvReply {
        ValueFlipper(int n, String key) {
            super(n, key);
        }

        @Override
        long strike(Task server, long entry) {
            long val = TxIpcReplayTest.word(
                    server, entry + TxIpcReplayTest.EntryLayout.of(server).val());
            byte[] b = new byte[1];
            assertTrue(server.cpu().memory().read(val, b, 0, 1));
            b[0] ^= 1;
            assertTrue(server.cpu().memory().write(val, b, 0, 1, Perm.NONE));
            return val;
        }
    }

    @Test
    void faultFreeWithScrubHasNoFault() throws Exception {
        ValueFlipper watch = new ValueFlipper(-1, "");
        GuestRun r = GuestRun.bootManifest(manifest(true), Fixtures.CONFIG, watch, null);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(0, r.faults.size(), r::toString);
        assertTrue(watch.txipc.scrubs > 100, "kv waited idle between requests: " + watch.txipc.scrubs);
        assertTrue(watch.txipc.scrubbedPages > watch.txipc.scrubs, r::toString);
        assertEquals(0, watch.txipc.scrubDetections);
    }

    @Test
    void aServerKeptBusyByItsClientsIsScrubbedToo() throws Exception {
        // t_callee_busy's kv_load calls kv back to back at a higher priority than kv, so a
        // request is queued at nearly every receive of kv: the scrub ran only at an idle wait
        // and so almost never (an outside broker's two clients: its memory flips were answered
        // as if scrub were off). Now also at every SCRUB_BUSY_EVERY-th receive of a queued request.
        String toml = Fixtures.manifest("t_callee_busy.toml")
                .replaceFirst("recovery = \"txipc\"", "recovery = \"txipc\"\nscrub = true");
        ValueFlipper watch = new ValueFlipper(-1, "");
        GuestRun r = GuestRun.bootManifest(toml, Fixtures.CONFIG, watch, null);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertEquals(0, r.faults.size(), r::toString);
        assertTrue(watch.replies > 20, "kv answered: " + watch.replies);
        assertTrue(
                watch.txipc.scrubs >= watch.replies / (2 * TxIpc.SCRUB_BUSY_EVERY),
                "scrubs " + watch.txipc.scrubs + " in " + watch.replies + " requests");
        assertEquals(0, watch.txipc.scrubDetections);
    }

    @Test
    void withoutScrubAValueFlippedBetweenRequestsIsFoundByKvsOwnSumAtItsGet() throws Exception {
        // (until session 51 it reached the client with no trap, "kv_oracle: FAIL": kv now keeps a
        // sum beside each value and compares it before a GET answers, KvListCheckTest)
        ValueFlipper probe = new ValueFlipper(far.strike(), far.key());
        GuestRun r = GuestRun.bootManifest(manifest(false), Fixtures.CONFIG, probe, null);
        assertTrue(probe.flippedAt != 0, "the key's value was found");
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertTrue(r.faults.size() >= 1, r::toString);
        assertTrue(r.faults.get(0).fault().detail().contains("a stored value differs from its sum"), r::toString);
        assertTrue(r.faults.stream().allMatch(f -> f.outcome() instanceof RecoveryOutcome.RolledBack), r::toString);
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
    }

    @Test
    void scrubFindsAValueFlippedBetweenRequestsAndTheReplayRebuildsIt() throws Exception {
        ValueFlipper probe = new ValueFlipper(far.strike(), far.key());
        GuestRun r = GuestRun.bootManifest(manifest(true), Fixtures.CONFIG, probe, null);
        assertTrue(probe.flippedAt != 0, "the key's value was found");
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        Fault f = r.faults.get(0).fault();
        assertEquals(FaultKind.CORRUPT_STATE, f.kind());
        long page = probe.flippedAt & -dev.rewind.hw.mem.AddressSpace.PAGE;
        assertEquals("page 0x" + Long.toHexString(page) + " changed between requests (scrub)", f.detail());
        RecoveryOutcome.RolledBack out =
                (RecoveryOutcome.RolledBack) r.faults.get(0).outcome();
        assertTrue(out.undoneRequests() >= 1, r::toString);
        assertTrue(out.toString().startsWith("corruption found between requests repaired (txipc)"), out::toString);
        assertEquals(RecoveryOutcome.RolledBack.SCRUB, out.badge(), "no client's request was rolled back");
        assertEquals(1, r.replays.size(), r::toString);
        assertEquals(0, r.replays.get(0).differed(), "the replay reached back before the flip: " + r);
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
        assertEquals(1, probe.txipc.scrubDetections);
    }

    /** Right after kv's reply {@code n}: flips a bit at the bottom of kv's stack, a page no request reaches. */
    static final class StackFlipper implements KernelProbe {
        static final long AT = dev.rewind.abi.Abi.STACK_TOP - 64 * 1024 + 0x10; // (kv's stack: the default 64K)
        final int n;
        int replies;

        StackFlipper(int n) {
            this.n = n;
        }

        @Override
        public void replied(Task server) {
            if (server.name().equals("kv") && ++replies == n) {
                byte[] b = new byte[1];
                assertTrue(server.cpu().memory().read(AT, b, 0, 1));
                b[0] ^= 4;
                assertTrue(server.cpu().memory().write(AT, b, 0, 1, Perm.NONE));
            }
        }

        static String detail() {
            return "page 0x" + Long.toHexString(AT & -dev.rewind.hw.mem.AddressSpace.PAGE)
                    + " changed between requests (scrub)";
        }
    }

    /**
     * A page changed between requests that no kept request wrote (here none is kept:
     * replay_depth = 0) is put back from the copy the scrub keeps of each page as it last
     * recorded it, and kv keeps its state. Before the copies the scrub found the change and
     * restarted kv ("no kept request wrote page ...: it cannot be rebuilt"), losing everything.
     */
    @Test
    void aChangedPageNoKeptRequestWroteIsPutBackFromItsCopy() throws Exception {
        String toml = manifest(true).replace("scrub = true", "scrub = true\nreplay_depth = 0");
        GuestRun r = GuestRun.bootManifest(toml, Fixtures.CONFIG, new StackFlipper(300), null);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        assertEquals(StackFlipper.detail(), r.faults.get(0).fault().detail());
        assertEquals(0, r.replays.size(), "nothing kept, nothing replayed: " + r);
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
    }

    /**
     * With the history kept, such a page is put back after every kept request is undone (any of
     * them may have read the change), and they are replayed, each answering as it did.
     */
    @Test
    void withAHistoryEveryKeptRequestIsReplayedOverThePutBackPage() throws Exception {
        GuestRun r = GuestRun.bootManifest(manifest(true), Fixtures.CONFIG, new StackFlipper(300), null);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        assertEquals(StackFlipper.detail(), r.faults.get(0).fault().detail());
        RecoveryOutcome.RolledBack out =
                (RecoveryOutcome.RolledBack) r.faults.get(0).outcome();
        assertTrue(out.undoneRequests() >= 100, "every kept request: " + out);
        assertEquals(1, r.replays.size(), r::toString);
        assertEquals(out.undoneRequests(), r.replays.get(0).requests(), r::toString);
        assertEquals(0, r.replays.get(0).differed(), r::toString);
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
    }

    /**
     * Right after kv's reply {@code n}: flips a bit in do_get's code. At each later delivery,
     * notes whether kv's code still differs from its image.
     */
    static final class CodeFlipper implements KernelProbe {
        final int n;
        int replies;
        long flippedAt;
        int deliveriesWithChangedCode;
        int deliveriesAfter;

        CodeFlipper(int n) {
            this.n = n;
        }

        @Override
        public void replied(Task server) {
            if (!server.name().equals("kv") || ++replies != n) {
                return;
            }
            long at = server.image().symbol("do_get").orElseThrow() + 8;
            byte[] b = new byte[1];
            assertTrue(server.cpu().memory().read(at, b, 0, 1));
            b[0] ^= 0x10;
            assertTrue(server.cpu().memory().write(at, b, 0, 1, Perm.NONE));
            flippedAt = at;
        }

        @Override
        public void requestDelivered(Task server) {
            if (!server.name().equals("kv") || flippedAt == 0) {
                return;
            }
            deliveriesAfter++;
            for (ElfImage.Segment s : server.image().segments()) {
                if (s.exec() && s.contains(flippedAt)) {
                    byte[] want = server.image().segmentBytes(s);
                    byte[] have = new byte[want.length];
                    assertTrue(server.cpu().memory().read(s.vaddr(), have, 0, have.length));
                    if (!java.util.Arrays.equals(want, have)) {
                        deliveriesWithChangedCode++;
                    }
                }
            }
        }
    }

    @Test
    void scrubRestoresACodePageFlippedBetweenRequestsFromTheImage() throws Exception {
        CodeFlipper probe = new CodeFlipper(far.strike());
        GuestRun r = GuestRun.bootManifest(manifest(true), Fixtures.CONFIG, probe, null);
        assertTrue(probe.flippedAt != 0);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        long page = probe.flippedAt & -dev.rewind.hw.mem.AddressSpace.PAGE;
        assertEquals(
                "code page 0x" + Long.toHexString(page) + " differs from the image (scrub)",
                r.faults.get(0).fault().detail());
        assertTrue(probe.deliveriesAfter > 0, r::toString);
        assertEquals(0, probe.deliveriesWithChangedCode, "no request ran on the changed code");
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
    }

    @Test
    void anObserverThatAccountsForRecoveriesGetsTheirDetailsAtDebugNotWarn() throws Exception {
        ch.qos.logback.classic.Logger log =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(TxIpc.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen =
                new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        log.addAppender(seen);
        ch.qos.logback.classic.Level old = log.getLevel();
        log.setLevel(ch.qos.logback.classic.Level.DEBUG);
        try {
            for (boolean accounts : new boolean[] {false, true}) {
                seen.list.clear();
                dev.rewind.kernel.image.Manifest m = dev.rewind.kernel.image.Manifest.parse(manifest(true), "t.toml");
                ImageSource src = ImageSource.classpath(SystemImage.BUILTIN_FOLDER);
                KernelObserver obs = new KernelObserver() {
                    @Override
                    public boolean reportsRecoveries() {
                        return accounts; // (a campaign, a benchmark)
                    }
                };
                try (Kernel k = new Kernel(
                        Fixtures.CONFIG,
                        m,
                        src,
                        new dev.rewind.hw.dev.Uart(new java.io.ByteArrayOutputStream()),
                        obs)) {
                    k.setProbe(new CodeFlipper(far.strike()));
                    assertEquals(SystemResult.Outcome.OK, k.run().outcome());
                }
                // The scrub's detection, the undo and the replay of one request, the code restored:
                // each at WARN, or at DEBUG for an observer that accounts for them.
                assertTrue(seen.list.size() >= 3, () -> seen.list.toString());
                ch.qos.logback.classic.Level want =
                        accounts ? ch.qos.logback.classic.Level.DEBUG : ch.qos.logback.classic.Level.WARN;
                assertTrue(seen.list.stream().allMatch(e -> e.getLevel() == want), () -> seen.list.toString());
            }
        } finally {
            log.detachAppender(seen);
            log.setLevel(old);
        }
    }

    @Test
    void withoutScrubTheChangedCodeStaysUnseen() throws Exception {
        CodeFlipper probe = new CodeFlipper(far.strike());
        GuestRun r = GuestRun.bootManifest(manifest(false), Fixtures.CONFIG, probe, null);
        assertTrue(probe.flippedAt != 0);
        assertTrue(probe.deliveriesWithChangedCode > 0, r::toString);
        assertFalse(r.faults.stream().anyMatch(e -> e.fault().detail().contains("scrub")), r::toString);
    }
}
