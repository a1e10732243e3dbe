package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.probe.RequestStrike;
import dev.rewind.kernel.probe.RequestStrike.Window;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A txipc server sent out of its loop in the work after a plain REPLY (its reply held until its
 * next receive): its exit released the held reply, committed the request and ended the server,
 * and every client's next call was EDEAD (an outside job queue on AArch64 -Os, after-reply seed
 * 1603883: a skipped stp in a prologue returned main through a stale frame). The first such exit
 * now undoes the request, which runs again unseen by its client; a server that means to stop
 * replies and exits again in that run, and goes.
 */
class TxIpcExitAfterReplyTest {
    /** Sends {@code server} to {@code exit(7)} at the first instruction after its reply {@code request}, {@code times} times. */
    private static final class SendToExit extends RequestStrike {
        private final int request;
        private int times;
        int struck;

        SendToExit(String server, int request, int times) {
            super(server, 1, Window.AFTER_REPLY);
            this.request = request;
            this.times = times;
        }

        @Override
        protected boolean strikes(int r) {
            return r == request || (times > 1 && r == request + 1);
        }

        @Override
        protected Fault strike(Task task, int r) {
            if (times-- <= 0) {
                return null;
            }
            long exit = task.image().symbol("exit").orElseThrow();
            task.cpu().setReg(task.cpu().arch().result(0), 7);
            task.resumeAt(exit);
            struck++;
            return null;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_gpvar.toml", "aarch64/t_gpvar.toml"})
    void anExitAfterAPlainReplyIsUndoneAndTheRequestRunsAgain(String image) throws Exception {
        SystemImage img = SystemImage.builtin(image);
        SendToExit out = new SendToExit("gpvar", 20, 1);
        GuestRun g = GuestRun.runWithProbe(img, out);
        assertEquals(1, out.struck, g::toString);
        assertEquals(SystemResult.Outcome.OK, g.result.outcome(), g::toString);
        assertTrue(g.hasLine("gpvar_client: ok requests=65"), g::toString);
        assertTrue(g.restarts.isEmpty(), g::toString);
        assertTrue(
                g.faults.stream().anyMatch(f -> f.fault().detail().startsWith("exit after a plain REPLY")),
                g::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_gpvar_quit.toml", "aarch64/t_gpvar_quit.toml"})
    void anExitTheRunAgainMakesTooIsTheServersOwn(String image) throws Exception {
        // gpvar_server means to stop: QUIT answers with a plain REPLY and the server exits after
        // it, in the run again too: that exit goes, and every task ends cleanly.
        GuestRun g = GuestRun.runWithProbe(SystemImage.builtin(image), null);
        assertEquals(SystemResult.Outcome.OK, g.result.outcome(), g::toString);
        assertTrue(g.hasLine("gpvar_quit: ok"), g::toString);
        assertTrue(g.restarts.isEmpty(), g::toString);
        assertEquals(1, g.faults.size(), g::toString);
        assertTrue(g.faults.get(0).fault().detail().startsWith("exit after a plain REPLY"), g::toString);
    }
}
