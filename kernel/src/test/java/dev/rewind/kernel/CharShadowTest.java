package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Abi;
import dev.rewind.abi.Tty;
import org.junit.jupiter.api.Test;

/**
 * The character shadow's checks on the project's tty driver under tty_oracle
 * ({@code t_tty_oracle.toml}: the UART loops its output back, and the oracle reads back through
 * the driver every byte it wrote). The shadow knows the bytes a WRITE must send (its bytes after
 * the session's CRLF translation) and withholds any other: a driver whose session state was
 * corrupted without a trap is caught at its first wrong byte, restarted, and the WRITE re-issued
 * from the right bytes already sent, so the oracle sees every byte exactly once.
 */
class CharShadowTest {
    /** tty_driver's session table: {@code rw_session { u8 used; u64 badge; u64 value; }}. */
    static final int SESSION_BYTES = 24;

    static String oracle() throws Exception {
        return Fixtures.manifest("t_tty_oracle.toml");
    }

    /** The address of the session of {@code badge} in the driver's table (used or not), or -1. */
    static long session(Task t, long badge) {
        long table = Fixtures.symbol(t, "sessions");
        for (int i = 0; i < 64; i++) {
            long s = table + (long) i * SESSION_BYTES;
            if (BlockShadowTest.load(t, s + 8, 8) == badge) {
                return s;
            }
        }
        return -1;
    }

    /** Strikes the tty driver at the {@code from}-th request of client {@code client} with {@code label}. */
    abstract static class Strike implements KernelProbe {
        final String client;
        final int from;
        final long label;
        int seen;
        boolean struck;

        Strike(String client, int from, long label) {
            this.client = client;
            this.from = from;
            this.label = label;
        }

        @Override
        public void requestDelivered(Task t) {
            Task c = t.replyOwed();
            if (!t.name().equals("tty") || struck || c == null || c.agentFor() != null) {
                return;
            }
            if (c.name().equals(client) && c.msg(0) == label && ++seen >= from) {
                struck = strike(t, c);
            }
        }

        abstract boolean strike(Task driver, Task client);
    }

    /** Flips the CRLF bit of the client's session mode (as a flipped bit in the table would). */
    static Strike modeFlip(String client, int from) {
        return new Strike(client, from, Tty.WRITE) {
            @Override
            boolean strike(Task t, Task c) {
                long s = session(t, c.sendBadge());
                if (s < 0 || BlockShadowTest.load(t, s, 1) == 0) {
                    return false;
                }
                BlockShadowTest.store(t, s + 16, BlockShadowTest.load(t, s + 16, 8) ^ Tty.CRLF, 8);
                return true;
            }
        };
    }

    static GuestRun.FaultEvent caughtOnce(GuestRun run, Strike probe) {
        assertTrue(probe.struck, run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        GuestRun.FaultEvent f = run.faults.get(0);
        assertEquals(FaultKind.CORRUPT_STATE, f.fault().kind(), f::toString);
        assertTrue(run.console.contains("tty_oracle A: ok lines=240"), run::toString);
        assertTrue(run.console.contains("tty_oracle B: ok lines=240"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        return f;
    }

    /**
     * ring_tty (guest/tests/ring_tty.c), a driver of another design, drains a transmit ring to
     * TXDATA with {@code rw_mmio_write32} in a loop. Built by GCC 12 at -O2 with the MMIO helpers as
     * plain volatile stores, that loop stored the last byte a second time at its exit (the ring's
     * index may alias the register, and loop store motion replays the loop's last stores in order):
     * every WRITE sent one byte beyond its own. The shadow withheld it and restarted the driver at
     * each WRITE of a fault-free run; under restart the oracle read it back twice. The helpers now
     * fence the compiler around each access.
     */
    @Test
    void aDriverDrainingATransmitRingSendsEachByteOnce() throws Exception {
        String ring = Fixtures.manifest("t_tty_ring.toml");
        GuestRun run = GuestRun.bootManifest(ring);
        assertEquals(0, run.faults.size(), run::toString);
        assertTrue(run.console.contains("tty_oracle A: ok lines=240"), run::toString);
        assertTrue(run.console.contains("tty_oracle B: ok lines=240"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        GuestRun plain = GuestRun.bootManifest(ShadowDriverTest.underNone(ring));
        assertTrue(plain.console.contains("tty_oracle A: ok lines=240"), plain::toString);
        assertTrue(plain.console.contains("tty_oracle B: ok lines=240"), plain::toString);
    }

    /**
     * At client A's 30th READ, moves ring_tty's transmit ring's tail on by 40 (as a skipped load of
     * it did in an outside driver's drain after its reply, inject seed 1542059): the drain after
     * the READ's reply sends 40 stale bytes of its ring with no request in flight.
     */
    static Strike staleDrain() {
        return new Strike("tty_oracle", 30, Tty.READ) {
            @Override
            boolean strike(Task t, Task c) {
                long tail = Fixtures.symbol(t, "tx_tail");
                BlockShadowTest.store(t, tail, BlockShadowTest.load(t, tail, 4) + 40, 4);
                return true;
            }
        };
    }

    @Test
    void aByteSentBetweenRequestsIsWithheld() throws Exception {
        // Nothing is owed between requests: the first stale byte is withheld and the driver
        // failed at its next system call, its sessions replayed; the oracle sees no byte of it.
        String ring = Fixtures.manifest("t_tty_ring.toml");
        Strike probe = staleDrain();
        GuestRun run = GuestRun.bootManifest(ring, Fixtures.CONFIG, probe, null);
        GuestRun.FaultEvent f = caughtOnce(run, probe);
        assertTrue(f.fault().detail().contains("with no request in flight"), f::toString);
        assertEquals(0, ((RecoveryOutcome.ShadowRestarted) f.outcome()).reissued(), f::toString);
        // Under restart the stale bytes reach the line, and the loopback hands them to a READ.
        GuestRun plain =
                GuestRun.bootManifest(ShadowDriverTest.underRestart(ring), Fixtures.CONFIG, staleDrain(), null);
        assertTrue(plain.console.contains("tty_oracle A: FAIL"), plain::toString);
    }

    @Test
    void aWriteWhoseModeWasLostSendsNoWrongByte() throws Exception {
        // Client A's CRLF session loses its mode: the driver is about to send "\n" where "\r" is
        // owed. The byte is withheld, the driver restarted with the logged mode, the WRITE
        // re-issued from the bytes already sent.
        Strike probe = modeFlip("tty_oracle", 20);
        GuestRun run = GuestRun.bootManifest(oracle(), Fixtures.CONFIG, probe, null);
        GuestRun.FaultEvent f = caughtOnce(run, probe);
        assertTrue(f.fault().detail().contains("sent 0xa as byte"), f::toString);
        assertEquals(1, ((RecoveryOutcome.ShadowRestarted) f.outcome()).reissued(), f::toString);
        // Under restart nothing checks the output: the oracle reads back the wrong bytes.
        GuestRun plain = GuestRun.bootManifest(
                ShadowDriverTest.underRestart(oracle()), Fixtures.CONFIG, modeFlip("tty_oracle", 20), null);
        assertTrue(plain.console.contains("tty_oracle A: FAIL line 19: byte 43 read back as 0x0a"), plain::toString);
    }

    @Test
    void aRawSessionTurnedCrlfSendsNoExtraByte() throws Exception {
        // Client B's raw session gains CRLF: the driver would send a "\r" nobody wrote.
        Strike probe = modeFlip("tty_oracle_b", 30);
        GuestRun run = GuestRun.bootManifest(oracle(), Fixtures.CONFIG, probe, null);
        GuestRun.FaultEvent f = caughtOnce(run, probe);
        assertTrue(f.fault().detail().contains("sent 0xd as byte"), f::toString);
        GuestRun plain = GuestRun.bootManifest(
                ShadowDriverTest.underRestart(oracle()), Fixtures.CONFIG, modeFlip("tty_oracle_b", 30), null);
        assertTrue(
                plain.console.contains("tty_oracle B: FAIL read at line 29: 112 bytes, 1 more than were sent"),
                plain::toString);
    }

    /** Makes a session live for the client (as a corrupted lookup would): its WRITE before OPEN is served. */
    static Strike ghostSession() {
        return new Strike("tty_oracle", 1, Tty.WRITE) {
            @Override
            boolean strike(Task t, Task c) {
                long s = Fixtures.symbol(t, "sessions") + 63L * SESSION_BYTES;
                BlockShadowTest.store(t, s, 1, 1);
                BlockShadowTest.store(t, s + 8, c.sendBadge(), 8);
                return true;
            }
        };
    }

    @Test
    void aWriteOfAClientWithoutASessionSendsNothing() throws Exception {
        // The WRITE before OPEN must be refused (ENOTOPEN) and send nothing; the corrupted driver
        // serves it. Its bytes are withheld and the re-issued WRITE is refused by the restarted
        // driver, which lost the ghost session.
        Strike probe = ghostSession();
        GuestRun run = GuestRun.bootManifest(oracle(), Fixtures.CONFIG, probe, null);
        GuestRun.FaultEvent f = caughtOnce(run, probe);
        assertTrue(f.fault().detail().contains("beyond the 0 its request owed"), f::toString);
        GuestRun plain =
                GuestRun.bootManifest(ShadowDriverTest.underRestart(oracle()), Fixtures.CONFIG, ghostSession(), null);
        assertTrue(plain.console.contains("tty_oracle A: FAIL WRITE before OPEN answered 2"), plain::toString);
    }

    /**
     * At the tty driver's reply of its {@code n}-th request (its {@code at}-th instruction), flips
     * bit 2 of the reply's first word (a WRITE's length), as a flipped register would.
     */
    static final class LengthAtReply extends dev.rewind.kernel.probe.RequestStrike {
        final int n;
        int struck;

        LengthAtReply(int n, long at) {
            super("tty", at);
            this.n = n;
        }

        @Override
        protected boolean strikes(int request) {
            return request == n && struck == 0;
        }

        @Override
        protected Fault strike(Task t, int request) {
            dev.rewind.hw.cpu.Arch a = t.cpu().arch();
            t.cpu().setReg(a.result(2), t.cpu().reg(a.result(2)) ^ 4);
            Fixtures.resum(t); // (the driver answered so: its shadow checks it)
            struck++;
            return null;
        }
    }

    @Test
    void aWriteAcknowledgedWithAnotherLengthIsCaught() throws Exception {
        // Every byte went out, but the reply says another length: the client's library takes the
        // reply for a malformed one (seeds 1305144, 1305472 of the tty campaign). Caught, the
        // driver restarted, the WRITE re-issued: nothing more to send, its length answered.
        dev.rewind.kernel.probe.InstructionProfiler profile = new dev.rewind.kernel.probe.InstructionProfiler("tty");
        GuestRun.bootManifest(oracle(), Fixtures.CONFIG, profile, null);
        int n = nthWrite(profile, 5);
        long at = profile.lengths()[n - 1];
        LengthAtReply probe = new LengthAtReply(n, at);
        GuestRun run = GuestRun.bootManifest(oracle(), Fixtures.CONFIG, probe, null);
        assertEquals(1, probe.struck, run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        GuestRun.FaultEvent f = run.faults.get(0);
        assertEquals(FaultKind.CORRUPT_STATE, f.fault().kind(), f::toString);
        assertTrue(f.fault().detail().contains("acknowledged a WRITE of"), f::toString);
        assertTrue(run.console.contains("tty_oracle A: ok lines=240"), run::toString);
        assertTrue(run.console.contains("tty_oracle B: ok lines=240"), run::toString);
        LengthAtReply again = new LengthAtReply(n, at);
        GuestRun plain = GuestRun.bootManifest(ShadowDriverTest.underRestart(oracle()), Fixtures.CONFIG, again, null);
        assertEquals(1, again.struck, plain::toString);
        assertTrue(plain.console.contains("tty_oracle A: FAIL"), plain::toString);
    }

    /**
     * At the tty driver's reply of its {@code n}-th request (its {@code at}-th instruction: the
     * REPLY_RECV), sets the reply's status to {@code status}, as a skipped {@code li a0,0} at the
     * handler's return leaves whatever the register held (seed 1305331 of the tty campaign: the
     * address of the session table).
     */
    static final class StatusAtReply extends dev.rewind.kernel.probe.RequestStrike {
        final int n;
        final long status;
        int struck;

        StatusAtReply(int n, long at, long status) {
            super("tty", at);
            this.n = n;
            this.status = status;
        }

        @Override
        protected boolean strikes(int request) {
            return request == n && struck == 0;
        }

        @Override
        protected Fault strike(Task t, int request) {
            t.cpu().setReg(t.cpu().arch().result(1), status);
            Fixtures.resum(t); // (the driver answered so: its shadow checks it)
            struck++;
            return null;
        }
    }

    /** The number (1-based) of the tty driver's {@code k}-th READ from client A after its 20th request. */
    static int nthRead(dev.rewind.kernel.probe.InstructionProfiler profile, int k) {
        return nth(profile, Tty.READ, k);
    }

    /** As {@link #nthRead}, for a WRITE. */
    static int nthWrite(dev.rewind.kernel.probe.InstructionProfiler profile, int k) {
        return nth(profile, Tty.WRITE, k);
    }

    private static int nth(dev.rewind.kernel.probe.InstructionProfiler profile, long label, int k) {
        java.util.List<String> from = profile.requests();
        String op = "tty_oracle label 0x" + Long.toHexString(label);
        for (int i = 20, seen = 0; i < from.size(); i++) {
            if (from.get(i).equals(op) && ++seen == k) {
                return i + 1;
            }
        }
        throw new AssertionError("fewer than " + k + " " + Tty.opName(label) + "s: " + from);
    }

    @Test
    void aReadAnsweredWithAPositiveStatusHandsOverNoByteTwice() throws Exception {
        // The driver took bytes from the FIFO and answered them with status 0x13138 instead of 0:
        // the client's library takes a status that is not an error for a success, bytes and all.
        // The shadow had counted only status 0 as handing bytes over, so it gave the same bytes
        // back to the FIFO at the next failure, and the oracle read them twice. A positive status
        // is not in the definition: the reply is held back, the driver restarted, its bytes given
        // back once, the READ re-issued.
        dev.rewind.kernel.probe.InstructionProfiler profile = new dev.rewind.kernel.probe.InstructionProfiler("tty");
        GuestRun.bootManifest(oracle(), Fixtures.CONFIG, profile, null);
        for (int k :
                new int[] {3, 8}) { // (READs of 7 and 2 bytes: sizes cycle 4096, 1, 7, 64, 3, 200, 4096, 13, 1000, 2)
            int n = nthRead(profile, k);
            long at = profile.lengths()[n - 1];
            StatusAtReply probe = new StatusAtReply(n, at, 0x13138);
            GuestRun run = GuestRun.bootManifest(oracle(), Fixtures.CONFIG, probe, null);
            assertEquals(1, probe.struck, run::toString);
            assertEquals(1, run.faults.size(), run::toString);
            GuestRun.FaultEvent f = run.faults.get(0);
            assertEquals(FaultKind.CORRUPT_STATE, f.fault().kind(), f::toString);
            assertTrue(f.fault().detail().contains("answered 78136, which READ may not answer"), f::toString);
            assertEquals(1, ((RecoveryOutcome.ShadowRestarted) f.outcome()).reissued(), f::toString);
            assertTrue(run.console.contains("tty_oracle A: ok lines=240"), run::toString);
            assertTrue(run.console.contains("tty_oracle B: ok lines=240"), run::toString);
            assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        }
    }

    @Test
    void aWriteAnsweredEioByTheDriverIsItsFailureAndEioIsTheShadowsAnswerOnly() throws Exception {
        // EIO is listed for every tty op, for the shadow's answer to a request that faulted the
        // driver twice (the client sees it in the definition); from the driver it is a failure of
        // its own, since the UART fails no command: caught, the driver restarted, the WRITE
        // re-issued, the oracle whole.
        for (long op : new long[] {Tty.OPEN, Tty.CLOSE, Tty.WRITE, Tty.READ}) {
            assertTrue(Tty.mayAnswer(op, Abi.EIO), Tty.opName(op) + " lists EIO");
        }
        dev.rewind.kernel.probe.InstructionProfiler profile = new dev.rewind.kernel.probe.InstructionProfiler("tty");
        GuestRun.bootManifest(oracle(), Fixtures.CONFIG, profile, null);
        int n = nthWrite(profile, 3);
        StatusAtReply probe = new StatusAtReply(n, profile.lengths()[n - 1], Abi.EIO);
        GuestRun run = GuestRun.bootManifest(oracle(), Fixtures.CONFIG, probe, null);
        assertEquals(1, probe.struck, run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        GuestRun.FaultEvent f = run.faults.get(0);
        assertEquals(FaultKind.CORRUPT_STATE, f.fault().kind(), f::toString);
        assertTrue(f.fault().detail().contains("answered EIO to WRITE (the UART fails no command"), f::toString);
        assertEquals(1, ((RecoveryOutcome.ShadowRestarted) f.outcome()).reissued(), f::toString);
        assertTrue(run.console.contains("tty_oracle A: ok lines=240"), run::toString);
        assertTrue(run.console.contains("tty_oracle B: ok lines=240"), run::toString);
    }
}
