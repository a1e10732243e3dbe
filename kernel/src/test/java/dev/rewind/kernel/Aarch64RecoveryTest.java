package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.probe.DriverKiller;
import dev.rewind.kernel.probe.FaultInjector;
import dev.rewind.kernel.probe.InstructionProfiler;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The recovery machinery on AArch64 guests (builtin:aarch64/NAME): the fault injector's every
 * type, the kept-register check of the serve loop (AAPCS64's x19..x29 and sp), the shadow block
 * driver and TxIPC's history replay, each as its RISC-V test does it.
 */
class Aarch64RecoveryTest {
    static final String KV = "aarch64/t_kv_oracle.toml";
    static long[] lengths;

    @BeforeAll
    static void profile() throws Exception {
        InstructionProfiler p = new InstructionProfiler("kv");
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(KV), p);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        lengths = p.lengths();
    }

    @Test
    void everyFaultTypeIsInjectedInA64Terms() throws Exception {
        SystemImage img = SystemImage.builtin(KV);
        String reg = "(x([0-9]|[12][0-9]|30)|sp)";
        for (long seed = 1; seed <= FaultInjector.Type.DEFAULTS.size(); seed++) {
            FaultInjector inj =
                    new FaultInjector(FaultInjector.Plan.of(seed, FaultInjector.Type.DEFAULTS, "kv", lengths));
            GuestRun r = GuestRun.runWithProbe(img, inj);
            String what = inj.description();
            assertTrue(inj.activated(), what);
            String pattern = switch (inj.plan().type()) {
                case REGISTER_BIT_FLIP ->
                    "flipped bit \\d+ of (" + reg + "|v([0-9]|[12][0-9]|3[01])) at pc 0x[0-9a-f]+";
                case MEMORY_BIT_FLIP -> "flipped bit [0-7] of the byte at 0x[0-9a-f]+ \\(pc 0x[0-9a-f]+\\)";
                case INSTRUCTION_CORRUPTION ->
                    "flipped bit ([0-9]|[12][0-9]|3[01]) of the instruction at 0x[0-9a-f]*[048c]";
                case INSTRUCTION_SKIP -> "skipped the 4-byte instruction at 0x[0-9a-f]*[048c]";
                case NULL_POINTER -> "set " + reg + " to 0x0 at pc 0x[0-9a-f]+";
                case WILD_POINTER -> "set " + reg + " to 0x[0-9a-f]+ at pc 0x[0-9a-f]+";
                case INFINITE_LOOP -> "replaced the instruction at 0x[0-9a-f]+ with a jump to itself";
                case FAILED_ASSERTION -> "failed assertion at pc 0x[0-9a-f]+";
                default -> throw new AssertionError(inj.plan());
            };
            assertTrue(what.matches(pattern), seed + ": " + what);
            // (a fault that does not trap may well end in a wrong reply: campaigns count those)
            if (inj.plan().type() == FaultInjector.Type.INFINITE_LOOP) {
                // b . never ends: the request deadline catches it, and the rollback restores the code.
                GuestRun.FaultEvent f = Fixtures.only(r.faults, "kv");
                assertEquals(FaultKind.DEADLINE, f.fault().kind(), r::toString);
                assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), r::toString);
                assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
            }
        }
    }

    @Test
    void aNullPointerIsPutInTheBaseRegisterOfTheNextLoadOrStore() throws Exception {
        SystemImage img = SystemImage.builtin(KV);
        List<FaultInjector.Type> nulls = List.of(FaultInjector.Type.NULL_POINTER);
        int trapped = 0;
        // (which seeds land at a load or store moves with the code: the SDK's, the compiler's)
        for (long seed = 200; seed < 260 && trapped < 3; seed++) {
            FaultInjector.Plan plan = FaultInjector.Plan.of(seed, nulls, "kv", lengths);
            InstructionAt at = new InstructionAt(new FaultInjector(plan));
            GuestRun r = GuestRun.runWithProbe(img, at);
            assertTrue(at.injector.activated(), at.injector::description);
            int base = dev.rewind.hw.cpu.Arch.AARCH64.loadStoreBase(at.insn);
            String named = dev.rewind.hw.cpu.Arch.AARCH64.numberedName(base);
            if (base >= 0) {
                assertTrue(at.injector.description().startsWith("set " + named + " to 0x0"), at.injector::description);
                // the next instruction dereferences null: it traps, and txipc rolls the request back
                GuestRun.FaultEvent f = Fixtures.only(r.faults, "kv");
                assertTrue(f.fault().kind().name().startsWith("UNMAPPED"), r::toString);
                // (null plus the access's offset, which may be negative: stp x29, x30, [x0, #-112]!)
                assertTrue(Math.abs(f.fault().address()) < 0x10000, f::toString);
                assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
                trapped++;
            }
            // (a null in a register no load or store takes next, one a cbz tests or a list walk
            // reads as its end, may end in a wrong reply without a trap, as campaigns count: in
            // a fresh-clone run after the SDK's code moved, one of these seeds, a register set
            // to 0 before a conditional branch, ended kv's LIST early, "key k21 not listed")
        }
        assertTrue(trapped > 0, "no seed struck at a load or store");
    }

    /** Wraps an injector, recording the instruction word at the PC where it strikes. */
    /**
     * A register bit flip lands in the FP/SIMD registers as well as in the general ones (the
     * unit is always on in A64, and the compiler keeps values there): exactly the named bit of
     * the named v register changes, and nothing else among them.
     */
    @Test
    void aRegisterFlipReachesTheSimdRegisters() throws Exception {
        SystemImage img = SystemImage.builtin(KV);
        List<FaultInjector.Type> flips = List.of(FaultInjector.Type.REGISTER_BIT_FLIP);
        Pattern named = Pattern.compile("flipped bit (\\d+) of (x\\d+|sp|v(\\d+)) at pc 0x[0-9a-f]+");
        int simd = 0;
        int general = 0;
        for (long seed = 300; seed < 316; seed++) {
            ExtendedAround at =
                    new ExtendedAround(new FaultInjector(FaultInjector.Plan.of(seed, flips, "kv", lengths)));
            GuestRun.runWithProbe(img, at);
            assertTrue(at.injector.activated(), at.injector::description);
            Matcher m = named.matcher(at.injector.description());
            assertTrue(m.matches(), at.injector.description());
            long[] want = at.before.clone();
            if (m.group(3) != null) {
                int bit = Integer.parseInt(m.group(1));
                int slot = dev.rewind.hw.cpu.Arch.AARCH64.fpExtendedSlot(Integer.parseInt(m.group(3)), bit);
                want[slot] ^= 1L << (bit % 64);
                simd++;
            } else {
                general++;
            }
            assertArrayEquals(want, at.after, at.injector::description);
        }
        assertTrue(simd > 0 && general > 0, simd + " flips in v registers, " + general + " in general ones");
    }

    /**
     * Delegates to an injector; {@link #before} sees the task at every stop, {@link #struck}
     * right after the stop at which the injector struck (with what {@code before} returned then).
     */
    abstract static class AroundStrike<T> implements KernelProbe {
        final FaultInjector injector;

        AroundStrike(FaultInjector injector) {
            this.injector = injector;
        }

        abstract T before(Task t);

        abstract void struck(Task t, T before);

        @Override
        public void requestDelivered(Task t) {
            injector.requestDelivered(t);
        }

        @Override
        public void replied(Task t) {
            injector.replied(t);
        }

        @Override
        public Fault stopped(Task t) {
            T seen = before(t);
            boolean was = injector.activated();
            Fault f = injector.stopped(t);
            if (!was && injector.activated()) {
                struck(t, seen);
            }
            return f;
        }
    }

    /** Keeps the extended registers just before and after the strike. */
    static final class ExtendedAround extends AroundStrike<long[]> {
        long[] before;
        long[] after;

        ExtendedAround(FaultInjector injector) {
            super(injector);
        }

        @Override
        long[] before(Task t) {
            long[] b = new long[t.cpu().extendedLength()];
            t.cpu().readExtended(b);
            return b;
        }

        @Override
        void struck(Task t, long[] seen) {
            before = seen;
            after = before(t);
        }
    }

    /** Keeps the instruction word the strike found at the pc. */
    static final class InstructionAt extends AroundStrike<Integer> {
        int insn;

        InstructionAt(FaultInjector injector) {
            super(injector);
        }

        @Override
        Integer before(Task t) {
            byte[] b = new byte[4];
            t.cpu().memory().read(t.pc(), b, 0, 4);
            return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
        }

        @Override
        void struck(Task t, Integer word) {
            insn = word;
        }
    }

    @Test
    void injectedCrashesAreRecoveredUnderTxipc() throws Exception {
        SystemImage img = SystemImage.builtin(KV);
        List<FaultInjector.Type> crashes =
                List.of(FaultInjector.Type.FAILED_ASSERTION, FaultInjector.Type.INFINITE_LOOP);
        for (long seed = 100; seed < 104; seed++) {
            FaultInjector inj = new FaultInjector(FaultInjector.Plan.of(seed, crashes, "kv", lengths));
            GuestRun r = GuestRun.runWithProbe(img, inj);
            assertTrue(inj.activated());
            assertEquals(1, r.faults.size(), r::toString);
            assertInstanceOf(RecoveryOutcome.RolledBack.class, r.faults.get(0).outcome(), r::toString);
            assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
            Matcher m =
                    Pattern.compile("kv_oracle: ok ops=\\d+ recovered=(\\d+)").matcher(r.console);
            assertTrue(m.find(), r::toString);
            assertFalse(m.group(1).equals("0"), "the oracle saw the ERECOVERED reply");
        }
    }

    @Test
    void aChangedKeptRegisterIsRolledBackAndTheRequestDeliveredAgainUnseen() throws Exception {
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(KV), new Fixtures.KeptRegisterClobber(100, 300, 500));
        assertEquals(3, r.faults.size(), r::toString);
        for (GuestRun.FaultEvent f : r.faults) {
            assertEquals(FaultKind.CORRUPT_STATE, f.fault().kind(), f::toString);
            assertTrue(
                    f.fault().detail().matches("a register the serve loop keeps changed.*: fp 0x[0-9a-f]+ -> 0x5eed"),
                    f::toString);
            // the PC named is the REPLY_RECV svc's (4 bytes before the PC the request began at)
            assertTrue(f.fault().where().startsWith("rw_serve+"), f::toString);
            assertTrue(((RecoveryOutcome.RolledBack) f.outcome()).redelivered(), f::toString);
        }
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("recovered=0 restarts=0"), r::toString);
        assertEquals(1, r.result.task("kv").id().generation());
    }

    @Test
    void blockDriverFaultsAreInvisibleUnderShadow() throws Exception {
        DriverKiller killer = new DriverKiller("blk", 40, 15, 60, 61, 150, 300);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin("aarch64/t_blk.toml"), killer);
        assertTrue(run.console.contains("blk_stress: ok ops=400 errors=0"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertEquals(killer.struck().size(), run.faults.size(), run::toString);
        assertTrue(run.faults.size() >= 4, run::toString);
        for (GuestRun.FaultEvent f : run.faults) {
            assertEquals("blk", f.task());
            assertEquals(1, ((RecoveryOutcome.ShadowRestarted) f.outcome()).replayed(), f::toString);
        }
        assertEquals(run.faults.size() + 1, run.result.task("blk").id().generation());
        assertEquals(run.faults.size() - 1, run.recoveries.size(), run::toString);
    }

    @Test
    void corruptionCommittedByAnEarlierRequestIsUndoneByReplayingTheHistory() throws Exception {
        List<Long> labels = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        GuestRun clean = GuestRun.runWithProbe(SystemImage.builtin(KV), new KernelProbe() {
            @Override
            public void requestDelivered(Task server) {
                if (server.name().equals("kv")) {
                    labels.add(((TxIpc) server.recovery()).label());
                    keys.add(TxIpcReplayTest.key(server));
                }
            }
        });
        assertEquals(SystemResult.Outcome.OK, clean.result.outcome(), clean::toString);
        int n = TxIpcReplayTest.strikeBeforeAGet(labels, keys);
        TxIpcReplayTest.ValueCorruptor probe = new TxIpcReplayTest.ValueCorruptor(n, keys.get(n));
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(KV), probe);
        assertTrue(probe.struck, "request " + n + " found the entry of " + keys.get(n));
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        // The get trapped, was answered ERECOVERED, trapped again when retried; the second abort
        // undid the history and replayed it, and the next retry worked.
        assertEquals(2, r.faults.size(), r::toString);
        assertTrue(((RecoveryOutcome.RolledBack) r.faults.get(1).outcome()).undoneRequests() > 1, r::toString);
        assertEquals(1, r.replays.size(), r::toString);
        assertEquals("kv", r.replays.get(0).server());
        assertEquals(0, r.replays.get(0).differed(), r::toString);
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
    }

    @Test
    void aRollbackRestoresTheFpSimdRegisters() {
        // fp_server keeps a double sum in d1 across its receive loop; three requests add to it
        // and then fault: each rollback must put the sum back (Cpu.readExtended/writeExtended).
        GuestRun run = GuestRun.boot("aarch64/t_fp_tx.toml");
        assertTrue(run.hasLine("fp_tx: all ok"), run::toString);
        assertEquals(0, run.result.task("fp_client").exitCode(), run::toString);
        assertEquals(3, run.faults.size(), run::toString);
        for (GuestRun.FaultEvent f : run.faults) {
            assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        }
    }

    @Test
    void aRollbackAndAHistoryReplayRestoreTheFpControlAndStatusRegisters() {
        // fpenv_server's requests set the rounding mode (fpcr) and raise inexact (fpsr); some then
        // fault: each rollback, and the history replays that the faults again and again bring,
        // must leave the mode and flags of the last committed request (the extended registers'
        // fpsr and fpcr slots). Checked from outside on both architectures with an outside buddy
        // allocator's probe (session 53, helper Z); RISC-V's fcsr needs a FLOAT=hard build, which
        // the project's guests are not.
        GuestRun run = GuestRun.boot("aarch64/t_fpenv_tx.toml");
        assertTrue(run.hasLine("fpenv: all ok"), run::toString);
        assertEquals(0, run.result.task("fpenv_client").exitCode(), run::toString);
        assertEquals(7, run.faults.size(), run::toString);
        assertTrue(run.replays.size() >= 2, run::toString);
        for (GuestRun.Replay r : run.replays) {
            assertEquals(0, r.differed(), run::toString);
        }
        assertEquals(1, run.result.task("fpenv").id().generation(), "no restart");
    }
}
