package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.probe.DriverKiller;
import dev.rewind.kernel.probe.FaultInjector;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Drivers killed in the middle of sustained client traffic, under {@code shadow} (clients see
 * nothing but a delay: every result correct, no request lost or duplicated) and under
 * {@code restart} (the failure reaches the clients, and they say how).
 */
class ShadowDriverTest {
    static String underRestart(String toml) {
        return toml.replace("recovery = \"shadow\"", "recovery = \"restart\"").replaceAll("(?m)^shadow = .*$", "");
    }

    static String underNone(String toml) {
        return toml.replace("recovery = \"shadow\"", "recovery = \"none\"").replaceAll("(?m)^shadow = .*$", "");
    }

    @Test
    void blockDriverFaultsAreInvisibleUnderShadow() throws Exception {
        DriverKiller killer = new DriverKiller("blk", 40, 15, 60, 61, 150, 300);
        GuestRun run = GuestRun.bootManifest(Fixtures.manifest("t_blk.toml"), Fixtures.CONFIG, killer, null);
        assertTrue(run.console.contains("blk_stress: ok ops=400 errors=0"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertEquals(killer.struck().size(), run.faults.size(), run::toString);
        assertTrue(run.faults.size() >= 4, run::toString);
        for (GuestRun.FaultEvent f : run.faults) {
            assertEquals("blk", f.task());
            // The session (OPEN) is replayed; the request in flight is re-issued, unless the
            // driver was struck while replaying (then the replay is simply sent again).
            assertEquals(1, ((RecoveryOutcome.ShadowRestarted) f.outcome()).replayed(), f::toString);
        }
        assertEquals(run.faults.size() + 1, run.result.task("blk").id().generation());
        // A fault during a recovery (request 61 is the replayed OPEN) folds two recoveries into one.
        assertEquals(run.faults.size() - 1, run.recoveries.size(), run::toString);
    }

    @Test
    void aDriverThatCorruptsAKeptRegisterIsCaughtBeforeItReplies() throws Exception {
        // As a fault that does not trap would: the driver would go on answering wrongly.
        GuestRun run = GuestRun.bootManifest(
                Fixtures.manifest("t_blk.toml"),
                Fixtures.CONFIG,
                new Fixtures.KeptRegisterClobber("blk", 100, 300),
                null);
        assertEquals(2, run.faults.size(), run::toString);
        for (GuestRun.FaultEvent f : run.faults) {
            assertEquals(FaultKind.CORRUPT_STATE, f.fault().kind(), f::toString);
            assertEquals(1, ((RecoveryOutcome.ShadowRestarted) f.outcome()).reissued(), f::toString);
        }
        assertTrue(run.console.contains("blk_stress: ok ops=400 errors=0"), run::toString);
    }

    @Test
    void aDriverThatAnswersWhatItsProtocolRulesOutIsRestartedAndTheRequestReissued() throws Exception {
        // Its request check answers EINVAL to well-formed requests without trapping: the
        // shadow, which knows the protocol's rules, takes that reply for the driver failure it is.
        Fixtures.RuleCheckLie lie = new Fixtures.RuleCheckLie("blk", 100, 250);
        GuestRun run = GuestRun.bootManifest(Fixtures.manifest("t_blk.toml"), Fixtures.CONFIG, lie, null);
        assertEquals(List.of(100, 250), lie.lied, run::toString);
        assertEquals(2, run.faults.size(), run::toString);
        for (GuestRun.FaultEvent f : run.faults) {
            assertEquals(FaultKind.CORRUPT_STATE, f.fault().kind(), f::toString);
            assertTrue(f.fault().toString().contains("answered EINVAL to a well-formed"), f::toString);
            assertEquals(1, ((RecoveryOutcome.ShadowRestarted) f.outcome()).reissued(), f::toString);
        }
        assertTrue(run.console.contains("blk_stress: ok ops=400 errors=0"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
    }

    @Test
    void underRestartTheSameLieReachesTheClient() throws Exception {
        // Without the shadow nothing checks the reply: the client is told EINVAL and counts it.
        Fixtures.RuleCheckLie lie = new Fixtures.RuleCheckLie("blk", 100);
        GuestRun run = GuestRun.bootManifest(underRestart(Fixtures.manifest("t_blk.toml")), Fixtures.CONFIG, lie, null);
        assertEquals(List.of(100), lie.lied, run::toString);
        assertTrue(run.faults.isEmpty(), run::toString);
        assertFalse(run.console.contains("blk_stress: ok ops=400 errors=0"), run::toString);
    }

    /** At the driver's request {@code n}: moves its device-register base {@code by} bytes (as a flipped bit would). */
    static final class BaseShift implements KernelProbe {
        final int n;
        final long by;
        int delivered;
        boolean struck;

        BaseShift(int n, long by) {
            this.n = n;
            this.by = by;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("blk") || ++delivered != n) {
                return;
            }
            long at = t.image().symbol("base").orElseThrow();
            long v = t.cpu().memory().load(at, 8, dev.rewind.hw.mem.Perm.READ);
            byte[] b = java.nio.ByteBuffer.allocate(8)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .putLong(v + by)
                    .array();
            struck = t.cpu().memory().write(at, b, 0, 8);
        }
    }

    /** At the driver's request {@code n}: its idea of the disk's size drops to one sector. */
    static final class CapacityLie implements KernelProbe {
        final int n;
        int delivered;
        boolean struck;

        CapacityLie(int n) {
            this.n = n;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("blk") || ++delivered != n) {
                return;
            }
            byte[] one = {1, 0, 0, 0, 0, 0, 0, 0};
            struck = t.cpu().memory().write(t.image().symbol("capacity").orElseThrow(), one, 0, 8);
        }
    }

    @Test
    void aDriverAnsweringOutOfRangeForSectorsOnTheDiskIsRestarted() throws Exception {
        // The shadow knows the disk's size from the device the kernel owns: ERANGE for sectors
        // within it is the driver's failure, and the request is re-issued to the restarted one.
        CapacityLie probe = new CapacityLie(150);
        GuestRun run = GuestRun.bootManifest(Fixtures.manifest("t_blk.toml"), Fixtures.CONFIG, probe, null);
        assertTrue(probe.struck, run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        assertTrue(run.faults.get(0).fault().detail().contains("answered ERANGE to sectors"), run::toString);
        assertTrue(run.console.contains("blk_stress: ok ops=400 errors=0"), run::toString);
        // Under restart nothing checks the reply: the client is told ERANGE.
        GuestRun plain = GuestRun.bootManifest(
                underRestart(Fixtures.manifest("t_blk.toml")), Fixtures.CONFIG, new CapacityLie(150), null);
        assertFalse(plain.console.contains("blk_stress: ok ops=400 errors=0"), plain::toString);
    }

    @Test
    void aDriverWaitingForeverForItsDeviceIsRestartedWhenNothingElseCanRun() throws Exception {
        // Its commands go to the wrong registers: no completion ever comes, the driver waits,
        // its client waits on it, nothing else can run. Under shadow that is a driver failure.
        BaseShift probe = new BaseShift(120, 0x100);
        GuestRun run = GuestRun.bootManifest(Fixtures.manifest("t_blk.toml"), Fixtures.CONFIG, probe, null);
        assertTrue(probe.struck, run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        assertEquals(FaultKind.DEADLINE, run.faults.get(0).fault().kind(), run::toString);
        assertTrue(run.faults.get(0).fault().detail().contains("deadlock"), run::toString);
        assertEquals(1, ((RecoveryOutcome.ShadowRestarted) run.faults.get(0).outcome()).reissued(), run::toString);
        assertTrue(run.console.contains("blk_stress: ok ops=400 errors=0"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        // Under none, the same strike ends in the deadlock (nothing restarts the driver).
        BaseShift again = new BaseShift(120, 0x100);
        GuestRun none = GuestRun.bootManifest(underNone(Fixtures.manifest("t_blk.toml")), Fixtures.CONFIG, again, null);
        assertEquals(SystemResult.Outcome.DEADLOCK, none.result.outcome(), none::toString);
    }

    @Test
    void aDriverThatLoopsOnARequestMeetsTheRequestDeadline() throws Exception {
        // No runaway limit: only the shadow's request deadline can end the loop. (250 ms: at 50,
        // the restarted driver's first request, its code translated afresh, once took more CPU
        // than that on a loaded machine and was taken for a second loop.)
        String toml =
                Fixtures.manifest("t_blk.toml").replace("shadow = \"block\"", "shadow = \"block\"\ndeadline_ms = 250");
        FaultInjector inj =
                new FaultInjector(new FaultInjector.Plan(1, FaultInjector.Type.INFINITE_LOOP, "blk", 100, 1));
        GuestRun run = GuestRun.bootManifest(toml, Fixtures.CONFIG, inj, null);
        assertTrue(inj.activated(), run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        GuestRun.FaultEvent f = run.faults.get(0);
        assertEquals(FaultKind.DEADLINE, f.fault().kind(), f::toString);
        assertEquals(1, ((RecoveryOutcome.ShadowRestarted) f.outcome()).reissued(), f::toString);
        assertTrue(run.console.contains("blk_stress: ok ops=400 errors=0"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
    }

    @Test
    void blockDriverFaultsReachClientsUnderRestart() throws Exception {
        DriverKiller killer = new DriverKiller("blk", 40, 15, 60, 150);
        GuestRun run =
                GuestRun.bootManifest(underRestart(Fixtures.manifest("t_blk.toml")), Fixtures.CONFIG, killer, null);
        assertTrue(run.console.contains("blk_stress: FAIL"), run::toString);
        // The in-flight call fails with EDEAD, and the restarted driver has forgotten the session.
        assertTrue(run.console.contains("EDEAD"), run::toString);
        assertTrue(run.console.contains("ENOTOPEN"), run::toString);
        assertEquals(SystemResult.Outcome.TASK_FAILED, run.result.outcome(), run::toString);
    }

    @Test
    void ttyDriverFaultsMidLineRepeatAndLoseNothingUnderShadow() throws Exception {
        DriverKiller killer = new DriverKiller("tty", 300, 10, 11, 100, 250);
        GuestRun run = GuestRun.bootManifest(Fixtures.manifest("t_tty.toml"), Fixtures.CONFIG, killer, null);
        assertTrue(run.console.contains("tty_writer: done lines=300 errors=0"), run::toString);
        assertEquals(4, run.faults.size(), run::toString);
        // The restarted driver's own "tty: ready" (kernel console) may land inside a line.
        String uart = run.console.replace("tty: ready\n", "");
        List<String> lines = uart.lines().filter(l -> l.startsWith("line ")).toList();
        assertEquals(300, lines.size(), run::toString);
        for (int i = 0; i < 300; i++) {
            assertTrue(lines.get(i).startsWith(String.format("line %03d of 300", i + 1)), lines.get(i));
        }
        assertFalse(run.console.contains("\r\r"), "CRLF translation applied once");
    }

    @Test
    void ttyDriverFaultsReachClientsUnderRestart() throws Exception {
        DriverKiller killer = new DriverKiller("tty", 300, 10, 100);
        GuestRun run =
                GuestRun.bootManifest(underRestart(Fixtures.manifest("t_tty.toml")), Fixtures.CONFIG, killer, null);
        assertFalse(run.console.contains("tty_writer: done lines=300 errors=0"), run::toString);
        assertTrue(run.console.contains("EDEAD"), run::toString);
    }

    @Test
    void ttyDriverFaultsDuringReadsLoseNoInputUnderShadow() throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = 1; i <= 40; i++) {
            in.append("input line ").append(i).append(" with some text\n");
        }
        // Request 2 is the first read, which finds all the input waiting: strike it after it has
        // taken bytes from the receive FIFO: the shadow must push them back before re-issuing it.
        DriverKiller killer = new DriverKiller("tty", 700, 2);
        GuestRun run = GuestRun.bootManifest(
                Fixtures.manifest("t_tty_echo.toml"), Fixtures.CONFIG, killer, bytes(in.toString()));
        String uart = run.console.replace("tty: ready\n", "");
        List<String> echoed = uart.lines()
                .filter(l -> l.startsWith("echo: "))
                .map(l -> l.substring(6).strip())
                .toList();
        assertEquals(in.toString().lines().toList(), echoed, run::toString);
        assertTrue(run.console.contains("tty_echo: eof bytes=" + in.length() + " lines=40"), run::toString);
        assertTrue(run.console.contains("errors=0"), run::toString);
        assertEquals(List.of(2), killer.struck(), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
    }

    @Test
    void timerDeliversOneShotAndPeriodicInterrupts() throws Exception {
        GuestRun run = GuestRun.bootManifest(Fixtures.manifest("t_ticker.toml"), Fixtures.CONFIG, null, null);
        assertTrue(run.console.contains("ticker: ok"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * At the NIC driver's {@code reply}-th reply, flips a bit of its code in {@code rw_abort}, which
     * it runs only to fail: its behaviour is unchanged, only the code compare can find it.
     */
    static final class NicCodeFlip implements KernelProbe {
        private final int reply;
        private int replies;
        long at = -1;

        NicCodeFlip(int reply) {
            this.reply = reply;
        }

        @Override
        public void replied(Task server) {
            if (server.name().equals("nic") && ++replies == reply) {
                at = server.image().symbol("rw_abort").orElseThrow() + 2;
                byte[] b = new byte[1];
                assertTrue(server.cpu().memory().read(at, b, 0, 1));
                b[0] ^= 0x10;
                server.cpu().memory().write(at, b, 0, 1, dev.rewind.hw.mem.Perm.NONE);
            }
        }
    }

    @Test
    void aDriversCodeChangedAfterItsReplyIsFoundBeforeItReceivesAgain() throws Exception {
        // The NIC driver replies with a plain REPLY and then waits in WAIT_ANY: the compares
        // before a reply and at a delivery come only once it is handed a request again, and
        // changed code on its way back to that wait could make it a wait that nothing ends (inject
        // seed 1484026: the stack waited for its frames until the time budget ran out), or a loop
        // of other calls (seed 1513506: its WAIT_ANY's number changed). Found at its next call.
        NicCodeFlip flip = new NicCodeFlip(60);
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin("t_net_oracle.toml"), flip);
        assertTrue(flip.at != -1, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        assertEquals("nic", r.faults.get(0).task(), r::toString);
        assertEquals(
                "code page 0x" + Long.toHexString(flip.at & -4096L) + " differs from the image (checked before a"
                        + " system call with no reply owed)",
                r.faults.get(0).fault().detail(),
                r::toString);
        assertEquals(1, r.recoveries.size(), r::toString);
    }
}
