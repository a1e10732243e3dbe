package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.probe.InstructionProfiler;
import dev.rewind.kernel.probe.RequestStrike;
import dev.rewind.kernel.probe.RequestStrike.Window;
import org.junit.jupiter.api.Test;

/**
 * RISC-V gp (and tp) are constants of the SDK's ABI: crt0 sets them once, and every small global
 * is a gp-relative load or store. A bit of gp flipped inside a request turns the next such load
 * into a load of another address, without a trap: the reply the request computes from it is
 * wrong, and TxIpc, which put gp back only when the next request began, let it leave (an outside
 * job queue's free count read as 0 answered a SUBMIT with ENOMEM: seed 1600256). gp and tp are
 * now compared with their values before a reply leaves, before a held reply is released and
 * before a nested call leaves: a change undoes the transaction and the request runs again,
 * unseen by its client. gpvar_server reaches its globals through gp in its requests and in the
 * work after each plain REPLY.
 */
class TxIpcFixedRegisterTest {
    /** Flips {@code mask} in gp at instruction {@code at} of request {@code request} of {@code server}. */
    private static final class GpFlip extends RequestStrike {
        private final int request;
        private final long mask;
        boolean struck;

        GpFlip(String server, long at, Window window, int request, long mask) {
            super(server, at, window);
            this.request = request;
            this.mask = mask;
        }

        @Override
        protected boolean strikes(int r) {
            return r == request;
        }

        @Override
        protected Fault strike(Task task, int r) {
            int gp = task.cpu().arch().invariantRegisters()[0];
            task.cpu().setReg(gp, task.cpu().reg(gp) ^ mask);
            struck = true;
            return null;
        }
    }

    @Test
    void aReplyComputedWithGpFlippedNeverLeaves() throws Exception {
        SystemImage img = SystemImage.builtin("t_gpvar.toml");
        InstructionProfiler profiler = new InstructionProfiler("gpvar");
        GuestRun.runWithProbe(img, profiler);
        long[] lengths = profiler.lengths();
        int request = 30; // an ADD
        int foundAtReply = 0;
        for (long mask : new long[] {1L << 3, 1L << 4, 1L << 12}) {
            for (long at = 1; at <= lengths[request - 1]; at++) {
                GpFlip flip = new GpFlip("gpvar", at, Window.REQUEST, request, mask);
                GuestRun g = GuestRun.runWithProbe(img, flip);
                String what = "gp ^ 0x" + Long.toHexString(mask) + " at instruction " + at + " of "
                        + lengths[request - 1] + " of request " + request + "\n" + g;
                assertTrue(flip.struck, what);
                assertEquals(SystemResult.Outcome.OK, g.result.outcome(), what);
                assertTrue(g.hasLine("gpvar_client: ok requests=65"), what);
                assertTrue(g.restarts.isEmpty(), what);
                if (g.faults.stream()
                        .anyMatch(f -> f.fault().detail().startsWith("gp/tp changed inside the transaction"))) {
                    foundAtReply++;
                }
            }
        }
        assertTrue(foundAtReply > 0, "no flip of gp ran on to the reply");
    }

    @Test
    void workAfterAHeldReplyWithGpFlippedDoesNotCommit() throws Exception {
        SystemImage img = SystemImage.builtin("t_gpvar.toml");
        InstructionProfiler profiler = new InstructionProfiler("gpvar");
        GuestRun.runWithProbe(img, profiler);
        long[] gaps = profiler.gaps();
        int request = 40;
        assertTrue(gaps[request - 1] >= 4, () -> java.util.Arrays.toString(gaps));
        int foundAtRelease = 0;
        for (long mask : new long[] {1L << 3, 1L << 4, 1L << 12}) {
            for (long at = 1; at <= gaps[request - 1]; at++) {
                GpFlip flip = new GpFlip("gpvar", at, Window.AFTER_REPLY, request, mask);
                GuestRun g = GuestRun.runWithProbe(img, flip);
                String what = "gp ^ 0x" + Long.toHexString(mask) + " at instruction " + at + " of " + gaps[request - 1]
                        + " after reply " + request + "\n" + g;
                assertTrue(flip.struck, what);
                assertEquals(SystemResult.Outcome.OK, g.result.outcome(), what);
                assertTrue(g.hasLine("gpvar_client: ok requests=65"), what);
                assertTrue(g.restarts.isEmpty(), what);
                if (g.faults.stream()
                        .anyMatch(f -> f.fault().detail().contains("(checked before the held reply's release)"))) {
                    foundAtRelease++;
                }
            }
        }
        assertTrue(foundAtRelease > 0, "no flip of gp ran on to the release");
    }
}
