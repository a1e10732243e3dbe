package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code verify = "dual"}: a fault that corrupts a server's state without trapping is caught
 * before the request's reply leaves, by running the request twice and comparing; the client
 * gets the answer a fault-free server gives.
 */
class TxIpcVerifyTest {

    static String manifest(boolean dual) throws Exception {
        String toml = Fixtures.manifest("t_kv_oracle.toml");
        assertTrue(toml.contains("recovery = \"txipc\""));
        return dual ? toml.replace("recovery = \"txipc\"", "recovery = \"txipc\"\nverify = \"dual\"") : toml;
    }

    /**
     * When kv's request {@code n} is delivered (its first run: a run again is not a new
     * request), points the value of a stored entry other than the request's own key at
     * unmapped memory. Nothing traps there; a later get of that key would.
     */
    static final class Corruptor implements KernelProbe {
        final int n;
        int delivered;
        boolean struck;
        Task server;

        Corruptor(int n) {
            this.n = n;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("kv")) {
                return;
            }
            server = task;
            if (++delivered != n) {
                return;
            }
            String own = TxIpcReplayTest.key(task);
            long entries = task.image().symbol("entries").orElseThrow();
            TxIpcReplayTest.EntryLayout l = TxIpcReplayTest.EntryLayout.of(task);
            byte[] e = new byte[l.size()];
            for (int i = 0; i < l.count(); i++) {
                long at = entries + (long) i * l.size();
                task.cpu().memory().read(at, e, 0, l.size());
                int len = 0;
                while (e[l.key() + len] != 0) {
                    len++;
                }
                String key = new String(e, l.key(), len, StandardCharsets.ISO_8859_1);
                if (e[l.used()] == 1 && !key.equals(own)) {
                    byte[] bad = ByteBuffer.allocate(8)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(0x8)
                            .array();
                    assertTrue(task.cpu().memory().write(at + l.val(), bad, 0, 8));
                    struck = true;
                    return;
                }
            }
        }

        TxIpc txipc() {
            return (TxIpc) server.recovery();
        }
    }

    /**
     * Flips {@code bit} of kv's label register (a1; x1 on AArch64) at its {@code at}-th
     * instruction of request {@code n}, in its first run only: at the reply call (the request's
     * last instruction) the reply's label, at its first instruction the request's.
     */
    static final class LabelFlip extends dev.rewind.kernel.probe.RequestStrike {
        final int n;
        final long bit;
        int struck;
        int insn;
        Task server;

        LabelFlip(int n, long at, long bit) {
            super("kv", at);
            this.n = n;
            this.bit = bit;
        }

        @Override
        protected boolean strikes(int request) {
            return request == n && struck == 0;
        }

        @Override
        protected Fault strike(Task t, int request) {
            byte[] b = new byte[4];
            t.cpu().memory().read(t.pc(), b, 0, 4);
            insn = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
            int label = t.cpu().arch().result(1);
            t.cpu().setReg(label, t.cpu().reg(label) ^ bit);
            Fixtures.resum(t); // (a reply built so: the runs compare it)
            Fixtures.resumReceived(t, true); // (a request delivered so: kv's handler sees it)
            struck++;
            server = t;
            return null;
        }
    }

    /**
     * The runs are compared on the registers the reply carries, on both architectures: a reply
     * word changed just before the reply call differs between the runs, and the third run
     * decides.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"", "aarch64/"})
    void aReplyWordChangedAtTheReplyCallIsCaught(String arch) throws Exception {
        SystemImage plain = SystemImage.builtin(arch + "t_kv_oracle.toml");
        dev.rewind.kernel.probe.InstructionProfiler profile = new dev.rewind.kernel.probe.InstructionProfiler("kv");
        GuestRun.runWithProbe(plain, profile);
        int n = 200;
        LabelFlip flip = new LabelFlip(n, profile.lengths()[n - 1], 8);
        String toml = new String(plain.source().read("t_kv_oracle.toml"), java.nio.charset.StandardCharsets.UTF_8)
                .replace("recovery = \"txipc\"", "recovery = \"txipc\"\nverify = \"dual\"");
        SystemImage dual =
                new SystemImage(dev.rewind.kernel.image.Manifest.parse(toml, "test.toml"), plain.source(), "test.toml");
        GuestRun r = GuestRun.runWithProbe(dual, flip);
        assertEquals(1, flip.struck, r::toString);
        assertEquals(arch.isEmpty() ? 0x00000073 : 0xd4000001, flip.insn, "the reply call: ecall / svc #0");
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(1, r.mismatches.size(), r::toString);
        assertTrue(r.mismatches.get(0).decided(), r::toString);
    }

    /**
     * {@code verify = "refusals"}, the default: a refusal (here ENOSYS, from a request label
     * flipped in its register as it arrived) is held back and the request run again from the
     * same pre-state; the runs disagree, the third decides, and the client gets kv's real
     * answer. With {@code verify = "none"} the refusal leaves and the client sees it.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"", "aarch64/"})
    void aGoodRequestRefusedBecauseOfAFlippedRegisterIsRunAgainByDefault(String arch) throws Exception {
        SystemImage plain = SystemImage.builtin(arch + "t_kv_oracle.toml");
        assertTrue(plain.manifest().task("kv").orElseThrow().txipc().verifyRefusals(), "the default");
        LabelFlip flip = new LabelFlip(120, 1, 0x100); // (the label then names no op: ENOSYS)
        GuestRun r = GuestRun.runWithProbe(plain, flip);
        assertEquals(1, flip.struck, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(1, r.mismatches.size(), r::toString);
        assertTrue(r.mismatches.get(0).decided(), r::toString);
        TxIpc tx = (TxIpc) flip.server.recovery();
        assertTrue(tx.refusalsRunAgain >= 1, "the refusal was run again: " + tx.refusalsRunAgain);

        // (also without a history: the request's record is kept for the run again all the same)
        String kv = new String(plain.source().read("t_kv_oracle.toml"), java.nio.charset.StandardCharsets.UTF_8);
        SystemImage shallow = new SystemImage(
                dev.rewind.kernel.image.Manifest.parse(
                        kv.replace("recovery = \"txipc\"", "recovery = \"txipc\"\nreplay_depth = 0"), "test.toml"),
                plain.source(),
                "test.toml");
        LabelFlip noHistory = new LabelFlip(120, 1, 0x100);
        GuestRun r0 = GuestRun.runWithProbe(shallow, noHistory);
        assertEquals(1, noHistory.struck, r0::toString);
        assertTrue(r0.console.contains("kv_oracle: ok"), r0::toString);
        assertEquals(1, r0.mismatches.size(), r0::toString);

        String toml = kv.replace("recovery = \"txipc\"", "recovery = \"txipc\"\nverify = \"none\"");
        SystemImage none =
                new SystemImage(dev.rewind.kernel.image.Manifest.parse(toml, "test.toml"), plain.source(), "test.toml");
        assertFalse(none.manifest().task("kv").orElseThrow().txipc().verifyRefusals());
        LabelFlip again = new LabelFlip(120, 1, 0x100);
        GuestRun off = GuestRun.runWithProbe(none, again);
        assertEquals(1, again.struck, off::toString);
        assertFalse(off.console.contains("kv_oracle: ok"), "the client got the refusal: " + off);
        assertTrue(off.mismatches.isEmpty(), off::toString);
    }

    /**
     * At kv's reply call of request {@code n} (its {@code at}-th instruction), in its first run
     * only, turns the reply into {@code status} with nothing else (words and length 0): ENOENT as
     * a skipped load in a key compare or a flipped branch makes it (the lookup misses, no trap),
     * or a positive status as a skipped call of the handler leaves one.
     */
    static final class ErrorAtReply extends dev.rewind.kernel.probe.RequestStrike {
        final int n;
        final long status;
        int struck;
        long label = 1;

        ErrorAtReply(int n, long at, long status) {
            super("kv", at);
            this.n = n;
            this.status = status;
        }

        @Override
        protected boolean strikes(int request) {
            return request == n && struck == 0;
        }

        @Override
        protected Fault strike(Task t, int request) {
            dev.rewind.hw.cpu.Arch a = t.cpu().arch();
            label = t.cpu().reg(a.result(1));
            t.cpu().setReg(a.result(1), status);
            for (int i = 2; i <= 6; i++) {
                t.cpu().setReg(a.result(i), 0);
            }
            Fixtures.resum(t); // (a reply built so: the runs compare it)
            struck++;
            return null;
        }
    }

    /**
     * Under {@code verify = "errors"} not only refusals: a reply that is any error (here a success
     * of kv's made ENOENT at the reply call, no trap) is held back and the request run again; the
     * runs disagree, the third decides, and the client gets kv's real answer. Under the default
     * ({@code "refusals"}: ENOENT is no refusal) and {@code "none"} the client gets the ENOENT
     * (an outside time-series server's seeds 1290027 and 1290187: a skipped load in its name
     * compare).
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aGoodAnswerMadeAnErrorWithoutATrapIsRunAgainUnderVerifyErrors(String arch) throws Exception {
        SystemImage plain = SystemImage.builtin(arch + "t_kv_oracle.toml");
        statusAtReplyCaughtOnlyUnder(
                plain, dev.rewind.abi.Abi.ENOENT, withVerify(plain, "errors"), plain, withVerify(plain, "none"));
    }

    /**
     * A success of kv's made "no room" (ENOMEM) at its reply call, in its first run only, is run
     * again under the default {@code verify = "refusals"}: a server with room answers it only from
     * a fault (session 56's skip sweeps: a skipped instruction in kv's PUT and in fs's CREATE
     * answered ENOMEM with room to spare). Under {@code "none"} the client gets the ENOMEM.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aGoodAnswerMadeNoRoomWithoutATrapIsRunAgainByDefault(String arch) throws Exception {
        SystemImage plain = SystemImage.builtin(arch + "t_kv_oracle.toml");
        statusAtReplyCaughtOnlyUnder(plain, dev.rewind.abi.Abi.ENOMEM, plain, withVerify(plain, "none"));
    }

    /**
     * A reply whose status is positive (outside the SDK's contract: 0 or a negative error) is
     * held back and the request run again under the default {@code verify = "refusals"}, as a
     * refusal is: here a success of kv's turned, at its reply call, into a stack address with
     * nothing else, as on AArch64 {@code -O2} a skipped {@code blr} in the SDK's dispatch left
     * the request pointer as the status (an outside LRU cache, seed 1337307). The runs disagree,
     * the third decides, the client gets kv's real answer. Under {@code "none"} the client stub
     * takes the positive status for a success with empty words, and the oracle fails.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aPositiveStatusMadeWithoutATrapIsRunAgainByDefault(String arch) throws Exception {
        SystemImage plain = SystemImage.builtin(arch + "t_kv_oracle.toml");
        long stackAddress = 0x7ffdff40L;
        statusAtReplyCaughtOnlyUnder(plain, stackAddress, plain, withVerify(plain, "none"));
    }

    /**
     * kv's reply to its 200th request (a success) made {@code status} with nothing else at its
     * reply call, in its first run only: under {@code caught} the request runs again, the runs
     * disagree, the third decides and the oracle ends ok; under each of {@code missed} the client
     * gets the changed reply and the oracle fails.
     */
    private static void statusAtReplyCaughtOnlyUnder(
            SystemImage plain, long status, SystemImage caught, SystemImage... missed) throws Exception {
        dev.rewind.kernel.probe.InstructionProfiler profile = new dev.rewind.kernel.probe.InstructionProfiler("kv");
        GuestRun.runWithProbe(plain, profile);
        int n = 200;
        long at = profile.lengths()[n - 1];

        ErrorAtReply strike = new ErrorAtReply(n, at, status);
        GuestRun r = GuestRun.runWithProbe(caught, strike);
        assertEquals(1, strike.struck, r::toString);
        assertEquals(0, strike.label, "request " + n + " succeeds: its status was made " + status);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(1, r.mismatches.size(), r::toString);
        assertTrue(r.mismatches.get(0).decided(), r::toString);

        for (SystemImage img : missed) {
            ErrorAtReply again = new ErrorAtReply(n, at, status);
            GuestRun off = GuestRun.runWithProbe(img, again);
            assertEquals(1, again.struck, off::toString);
            assertTrue(off.console.contains("kv_oracle: FAIL"), "the client got status " + status + ": " + off);
            assertTrue(off.mismatches.isEmpty(), off::toString);
        }
    }

    /** {@code image} (a built-in manifest) with its txipc server's {@code verify = mode}. */
    private static SystemImage withVerify(SystemImage image, String mode) throws Exception {
        String loc = image.location();
        String name = loc.substring(Math.max(loc.lastIndexOf('/'), loc.lastIndexOf(':')) + 1);
        String toml = new String(image.source().read(name), StandardCharsets.UTF_8)
                .replace("recovery = \"txipc\"", "recovery = \"txipc\"\nverify = \"" + mode + "\"");
        return new SystemImage(dev.rewind.kernel.image.Manifest.parse(toml, "test.toml"), image.source(), "test.toml");
    }

    /**
     * At fp_server's instruction {@code at} from request {@code n}'s delivery (counted through
     * its runs), flips bit 52 of every register, general or FP/SIMD, that holds the double
     * {@code sum}: the server's state that no reply carries.
     */
    static final class SumFlip extends dev.rewind.kernel.probe.RequestStrike {
        final int n;
        final long bits;
        int flipped;
        boolean struck;

        SumFlip(int n, long at, double sum) {
            super("fp_server", at);
            this.n = n;
            this.bits = Double.doubleToRawLongBits(sum);
        }

        @Override
        protected boolean strikes(int request) {
            return request == n && !struck;
        }

        @Override
        protected Fault strike(Task t, int request) {
            struck = true;
            long[] regs = new long[33];
            t.cpu().readAll(regs);
            for (int i = 0; i < 32; i++) {
                if (regs[i] == bits) {
                    t.cpu().setReg(i, bits ^ (1L << 52));
                    flipped++;
                }
            }
            long[] ext = new long[t.cpu().extendedLength()];
            t.cpu().readExtended(ext);
            for (int i = 0; i < ext.length; i++) {
                if (ext[i] == bits) {
                    ext[i] ^= 1L << 52;
                    flipped++;
                }
            }
            t.cpu().writeExtended(ext);
            return null;
        }
    }

    /**
     * State a request leaves in a register and no reply carries (fp_server's sum: an FP/SIMD
     * register on AArch64) is compared between the runs too: changed at the reply call of the
     * second run of the second add (the run whose state would commit), the runs disagree and
     * the third decides, so the client later reads the right sum. (With the general registers
     * alone compared, AArch64 committed the changed sum.)
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"", "aarch64/"})
    void stateLeftInAnFpRegisterIsCompared(String arch) throws Exception {
        SystemImage plain = SystemImage.builtin(arch + "t_fp_tx.toml");
        dev.rewind.kernel.probe.InstructionProfiler profile =
                new dev.rewind.kernel.probe.InstructionProfiler("fp_server");
        GuestRun.runWithProbe(plain, profile);
        // (the second run repeats the first's instructions: its reply call is instruction 2L)
        SumFlip flip = new SumFlip(2, 2 * profile.lengths()[1], 1.0 + 2.0);
        String toml = new String(plain.source().read("t_fp_tx.toml"), java.nio.charset.StandardCharsets.UTF_8)
                .replace("recovery = \"txipc\"", "recovery = \"txipc\"\nverify = \"dual\"");
        SystemImage dual =
                new SystemImage(dev.rewind.kernel.image.Manifest.parse(toml, "test.toml"), plain.source(), "test.toml");
        GuestRun r = GuestRun.runWithProbe(dual, flip);
        assertTrue(flip.flipped > 0, "no register held the sum: " + r);
        assertTrue(r.console.contains("fp_tx: all ok"), r::toString);
        assertEquals(1, r.mismatches.size(), r::toString);
        assertTrue(r.mismatches.get(0).decided(), r::toString);
    }

    /**
     * t_dualsig: the first run of dualsig_server's third request finds ds_flag set (written at its
     * delivery, so undone with that run) and signals 0x20; the second and third runs do not: the
     * third agrees with the second, which commits, and the first run's signal is withdrawn, so
     * its client finds no bits. Before, the losing run's signal stayed (an outside quota keeper's
     * "low", seed 1217843). A signal every run makes (label 2) stays.
     */
    @ParameterizedTest
    @ValueSource(strings = {"t_dualsig.toml", "aarch64/t_dualsig.toml"})
    void aRunThatLosesTheVoteHasItsSignalWithdrawn(String image) throws Exception {
        int[] delivered = {0};
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), new KernelProbe() {
            @Override
            public void requestDelivered(Task task) {
                if (!task.name().equals("dualsig_server") || ++delivered[0] != 3) {
                    return;
                }
                long at = task.image().symbol("ds_flag").orElseThrow();
                assertTrue(task.cpu().memory().write(at, new byte[] {1}, 0, 1));
            }
        });
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine("dualsig: ok"), r::toString);
        assertEquals(1, r.mismatches.size(), r::toString);
        assertTrue(r.mismatches.get(0).decided(), r::toString);
        assertEquals(0, r.faults.size(), r::toString);
    }

    @Test
    void aCorruptionThatDoesNotTrapIsCaughtByASecondRunAndDecidedByAThird() throws Exception {
        Corruptor probe = new Corruptor(250);
        GuestRun r = GuestRun.bootManifest(manifest(true), Fixtures.CONFIG, probe, null);
        assertTrue(probe.struck, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(0, r.faults.size(), "nothing trapped and nothing was aborted: " + r);
        assertEquals(1, r.mismatches.size(), r::toString);
        assertEquals("kv", r.mismatches.get(0).server());
        assertTrue(r.mismatches.get(0).decided(), "the third run agreed with the clean one");
        assertEquals(1, probe.txipc().mismatched);
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
        // the request was counted once by the probe, though it ran three times
        assertEquals(probe.txipc().verified + probe.txipc().unverified + 1, probe.delivered, r::toString);
    }

    /**
     * From kv's request {@code n} on, writes a different word into an unused entry in each run
     * of that request (three runs: all differ), then stops.
     */
    static final class EveryRunDiffers implements KernelProbe {
        final int n;
        int delivered;
        int lastRun = -1;
        int writes;
        dev.rewind.hw.cpu.CpuHook hook;

        EveryRunDiffers(int n) {
            this.n = n;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("kv") || ++delivered != n) {
                return;
            }
            TxIpcReplayTest.EntryLayout l = TxIpcReplayTest.EntryLayout.of(task);
            long word = task.image().symbol("entries").orElseThrow() + (long) (l.count() - 1) * l.size() + l.val();
            hook = task.cpu().hookInstructions(1, 0, (addr, size) -> {
                int run = ((TxIpc) task.recovery()).verifyRun();
                if (run != lastRun && writes < 3 && task.inRequest()) {
                    lastRun = run;
                    writes++;
                    byte[] b = ByteBuffer.allocate(8)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(0x1111L * writes)
                            .array();
                    task.cpu().memory().write(word, b, 0, 8);
                }
            });
            task.cpu().dropCodeTranslations();
        }
    }

    @Test
    void threeRunsThatAllDifferAbortTheRequest() throws Exception {
        EveryRunDiffers probe = new EveryRunDiffers(300);
        GuestRun r = GuestRun.bootManifest(manifest(true), Fixtures.CONFIG, probe, null);
        assertEquals(3, probe.writes, r::toString);
        assertEquals(1, r.mismatches.size(), r::toString);
        assertFalse(r.mismatches.get(0).decided(), r::toString);
        // aborted: the client got ERECOVERED, retried, and the workload still checks out
        assertEquals(1, r.faults.size(), r::toString);
        assertEquals(FaultKind.CORRUPT_STATE, r.faults.get(0).fault().kind(), r::toString);
        assertTrue(r.faults.get(0).outcome() instanceof RecoveryOutcome.RolledBack, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
    }

    @Test
    void withoutVerificationTheSameCorruptionCommits() throws Exception {
        Corruptor probe = new Corruptor(250);
        GuestRun r = GuestRun.bootManifest(manifest(false), Fixtures.CONFIG, probe, null);
        assertTrue(probe.struck, r::toString);
        assertTrue(r.mismatches.isEmpty(), r::toString);
        assertEquals(0, probe.txipc().verified);
    }

    @Test
    void aFaultFreeWorkloadGivesTheSameResultsUnderDualVerification() throws Exception {
        Corruptor plainProbe = new Corruptor(-1);
        GuestRun plain = GuestRun.bootManifest(manifest(false), Fixtures.CONFIG, plainProbe, null);
        Corruptor dualProbe = new Corruptor(-1);
        GuestRun dual = GuestRun.bootManifest(manifest(true), Fixtures.CONFIG, dualProbe, null);
        assertEquals(SystemResult.Outcome.OK, dual.result.outcome(), dual::toString);
        assertTrue(dual.console.contains("kv_oracle: ok"), dual::toString);
        assertEquals(plain.console, dual.console, "the same output, printed once");
        assertTrue(dual.faults.isEmpty(), dual::toString);
        assertTrue(dual.mismatches.isEmpty(), dual::toString);
        assertEquals(plainProbe.delivered, dualProbe.delivered, "the same requests");
        TxIpc tx = dualProbe.txipc();
        assertEquals(0, tx.mismatched);
        assertEquals(dualProbe.delivered, tx.verified + tx.unverified, "every request verified or not");
        assertTrue(tx.verified > 0.9 * dualProbe.delivered, "kv makes no nested calls: " + tx.verified);
        assertFalse(tx.replaying(), "no run pending after the workload");
    }

    /** rotor_client's service from {@code server} under txipc with verify = "dual". */
    static String rotor(String server) {
        return """
                name = "t_rotor_dual"
                [task.rotor_server]
                image = "%s.elf"
                priority = 2
                serves = ["rotor"]
                recovery = "txipc"
                verify = "dual"
                [task.rotor_client]
                image = "rotor_client.elf"
                priority = 3
                uses = ["rotor"]
                """.formatted(server);
    }

    /** At the first run of request {@code n}: adds 1000 to every entry of the server's tables. */
    static final class TableCorruptor implements KernelProbe {
        final int n;
        int delivered;
        boolean struck;

        TableCorruptor(int n) {
            this.n = n;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("rotor_server") || ++delivered != n) {
                return;
            }
            long tables = task.image().symbol("tables").orElseThrow();
            ByteBuffer b = ByteBuffer.allocate(4 * 64 * 8).order(ByteOrder.LITTLE_ENDIAN);
            task.cpu().memory().read(tables, b.array(), 0, b.capacity());
            for (int i = 0; i < 4 * 64; i++) {
                b.putLong(i * 8, b.getLong(i * 8) + 1000);
            }
            assertTrue(task.cpu().memory().write(tables, b.array(), 0, b.capacity()));
            struck = true;
        }
    }

    @Test
    void aServerThatRepliesWithAPlainReplyIsVerifiedToo() throws Exception {
        // reply_server answers with REPLY and then RECV (not REPLY_RECV): its replies must be
        // held and compared as rotor_server's are.
        for (String server : List.of("rotor_server", "reply_server")) {
            TableCorruptor probe = new TableCorruptor(100);
            GuestRun r = GuestRun.bootManifest(rotor(server), Fixtures.CONFIG, probe, null);
            assertTrue(probe.struck, r::toString);
            assertTrue(r.console.contains("rotor: ok calls=300"), server + ": " + r);
            assertEquals(1, r.mismatches.size(), server + ": " + r);
            assertTrue(r.mismatches.get(0).decided(), server + ": " + r);
            assertEquals(SystemResult.Outcome.OK, r.result.outcome(), server + ": " + r);
        }
    }

    @Test
    void aReplyRefusedForItsLengthIsNotComparedWithTheReplyThatFollows() throws Exception {
        // reply_server_toobig tries each reply with a buffer one byte too long, as a REPLY and as
        // a REPLY_RECV (both ETOOBIG: the request stays open), then replies well. A refused reply
        // is no reply: were it verified, its run's signature (taken at the refused reply) would
        // be compared with the next run's at the good one, a mismatch that never was (every
        // request three runs, counted as a fault that did not trap) (session 47: a hostile
        // server's bad lengths made "two runs disagreed" and then "agreed with neither").
        Task[] server = new Task[1];
        KernelProbe seen = new KernelProbe() {
            @Override
            public void requestDelivered(Task task) {
                server[0] = task;
            }
        };
        GuestRun r = GuestRun.bootManifest(rotor("reply_server_toobig"), Fixtures.CONFIG, seen, null);
        assertTrue(r.console.contains("rotor: ok calls=300"), r::toString);
        assertEquals(List.of(), r.mismatches, r::toString);
        assertEquals(List.of(), r.faults, r::toString);
        TxIpc tx = (TxIpc) server[0].recovery();
        assertEquals(300, tx.verified, r::toString);
        assertEquals(0, tx.mismatched, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
    }
    /**
     * Flips bit 3 of the register constreg_server's loop keeps SUM's label in (RISC-V s5,
     * AArch64 x25) as request {@code n} is delivered: that request runs with it and commits, and
     * every request after it starts from it, as after a bit flipped in the work after a reply.
     */
    static final class LoopConstantFlip implements KernelProbe {
        private final int n;
        private int delivered;
        Task server;

        LoopConstantFlip(int n) {
            this.n = n;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("constreg")) {
                return;
            }
            server = t;
            if (++delivered == n) {
                int reg = t.cpu().arch() == dev.rewind.hw.cpu.Arch.RISCV64 ? 21 : 25;
                t.cpu().setReg(reg, t.cpu().reg(reg) ^ 8);
            }
        }
    }

    /**
     * An own loop keeps SUM's label in a register, and a fault spoils it in an ADD that commits
     * (aftercall's after-reply seeds 2069104, 2069128, 2069184 of session 53: CHECK refused
     * ENOSYS). The next SUM is refused in both runs of {@code verify = "refusals"}, which start
     * from the same spoiled register: the kernel replays the kept history from before the
     * register changed, and the SUM, run again on what the replay rebuilt, is answered. Without
     * the replay the client got ENOSYS. Fault-free, no request is replayed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aRefusalFromALoopRegisterSpoiledBeforeTheRequestIsAnsweredAfterAReplay(String arch) throws Exception {
        SystemImage image = SystemImage.builtin(arch + "t_constreg.toml");
        LoopConstantFlip none = new LoopConstantFlip(0);
        GuestRun clean = GuestRun.runWithProbe(image, none);
        assertTrue(clean.console.contains("constreg: ok"), clean::toString);
        assertEquals(0, ((TxIpc) none.server.recovery()).refusalsReplayed, clean::toString);

        LoopConstantFlip flip = new LoopConstantFlip(50); // (an ADD; request 55 is the next SUM)
        GuestRun r = GuestRun.runWithProbe(image, flip);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("constreg: ok"), r::toString);
        assertEquals(List.of(), r.faults, r::toString);
        TxIpc tx = (TxIpc) flip.server.recovery();
        assertEquals(1, tx.refusalsReplayed, r::toString);
        assertEquals(1, tx.refusalsOverturned, r::toString);
        assertEquals(1, r.mismatches.size(), r::toString);
        assertTrue(r.mismatches.get(0).decided(), r::toString);
    }
}
