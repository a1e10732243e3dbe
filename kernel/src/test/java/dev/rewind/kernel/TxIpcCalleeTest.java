package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A caller that checks its callee's answers (t_callee_check: vput_server puts a key into kv, gets
 * it back in the same request and asserts it got what it put). When kv answers wrongly without
 * trapping, every run again of vput's request is given the same recorded answer and faults
 * again; kv is then asked to check its answers (a replay of its history, after putting back what
 * changed between requests), and vput runs the request again with the answer the replay gave.
 */
class TxIpcCalleeTest {
    /**
     * Right after kv's reply {@code n}: flips bit 0 of the first byte of {@code key}'s value in
     * kv's memory itself ({@code writeUnlogged}, as the fault injector's memory flips are
     * written: neither an undo log nor the committed copy sees it). Also keeps vput's task.
     */
    static final class UnloggedValueFlip extends TxIpcScrubTest.AfterKvReply {
        Task vput;

        UnloggedValueFlip(int n, String key) {
            super(n, key);
        }

        @Override
        public void requestDelivered(Task server) {
            if (server.name().equals("vput")) {
                vput = server;
            }
        }

        @Override
        long strike(Task server, long entry) {
            long val = TxIpcReplayTest.word(
                    server, entry + TxIpcReplayTest.EntryLayout.of(server).val());
            byte[] b = new byte[1];
            assertTrue(server.cpu().memory().read(val, b, 0, 1));
            b[0] ^= 1;
            assertTrue(server.cpu().memory().writeUnlogged(val, b, 0, 1));
            return val;
        }
    }

    @Test
    void aCallerFaultingOnItsCalleesWrongAnswerRunsAgainWithTheAnswerTheCalleesReplayGives() throws Exception {
        // kv's replies: put v1, get v1, put v2, ...: the 9th is the put of v5, right before its get
        UnloggedValueFlip probe = new UnloggedValueFlip(9, "v5");
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin("t_callee_check.toml"), probe);
        assertTrue(probe.flippedAt != 0, "v5's value was found in kv: " + run);
        assertTrue(run.hasLine("vput_client: put 5: 7"), run::toString);
        assertTrue(run.hasLine("vput_client: ok"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertTrue(run.restarts.isEmpty(), run::toString);
        assertTrue(run.faults.stream().allMatch(f -> f.task().equals("vput")), "only vput faulted: " + run);
        assertTrue(run.faults.size() >= 2, "its first run and its run again: " + run);
        for (GuestRun.FaultEvent f : run.faults) {
            assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        }
        TxIpc vput = (TxIpc) probe.vput.recovery();
        assertEquals(1, vput.calleeCorrections, run::toString);
        assertEquals(0, vput.inDoubtAnswers, run::toString);
        TxIpc kv = probe.txipc;
        assertEquals(1, kv.copyHeals, "the flip was put back from kv's copy: " + run);
    }
}
