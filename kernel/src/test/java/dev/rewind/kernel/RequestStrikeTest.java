package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.probe.DriverKiller;
import dev.rewind.kernel.probe.FaultInjector;
import dev.rewind.kernel.probe.InstructionProfiler;
import dev.rewind.kernel.probe.RequestStrike.Window;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shared "strike at instruction N of request M" mechanism ({@code probe.RequestStrike}, here
 * through {@link DriverKiller}) against the instruction counts of a fault-free profiling run:
 * a strike at the request's last instruction (its reply) lands, one just past its end is skipped,
 * and every delivery is counted.
 */
class RequestStrikeTest {
    @Test
    void strikesAtTheLastInstructionAndSkipsPastTheEnd() throws Exception {
        SystemImage img = SystemImage.builtin("t_kv_oracle.toml");
        InstructionProfiler profiler = new InstructionProfiler("kv");
        GuestRun.runWithProbe(img, profiler);
        long[] lengths = profiler.lengths();
        int request = 0;
        for (int i = 9; i < lengths.length; i++) {
            if (lengths[i] >= 20) {
                request = i + 1;
                break;
            }
        }
        assertTrue(request > 0, "a kv request of at least 20 instructions");
        long length = lengths[request - 1];

        DriverKiller past = new DriverKiller("kv", length + 1, request);
        GuestRun quiet = GuestRun.runWithProbe(img, past);
        assertEquals(List.of(), past.struck(), quiet::toString);
        assertEquals(0, quiet.faults.size(), quiet::toString);
        assertEquals(lengths.length, past.delivered(), "every request delivered to kv is counted");

        DriverKiller inside = new DriverKiller("kv", length, request); // the reply ecall itself
        GuestRun struck = GuestRun.runWithProbe(img, inside);
        assertEquals(List.of(request), inside.struck(), struck::toString);
        assertEquals(1, struck.faults.size(), struck::toString);
        assertEquals("kv", struck.faults.get(0).task());
        assertEquals(FaultKind.ABORT, struck.faults.get(0).fault().kind());
        assertEquals("killed by the test", struck.faults.get(0).fault().detail());
    }

    @Test
    void afterReplyStrikesTheWorkAfterTheReplyAndSkipsPastTheNextRequest() throws Exception {
        // aftercall_server replies, then calls echo and journals the answer: work after each reply
        // that the request window never reaches.
        SystemImage img = SystemImage.builtin("t_aftercall.toml");
        InstructionProfiler profiler = new InstructionProfiler("aftercall");
        GuestRun.runWithProbe(img, profiler);
        long[] gaps = profiler.gaps();
        assertEquals(profiler.lengths().length, gaps.length);
        int request = 20;
        assertTrue(gaps[request - 1] >= 10, () -> "work after reply " + request + ": " + gaps[request - 1]);

        FaultInjector past = new FaultInjector(new FaultInjector.Plan(
                1,
                FaultInjector.Type.FAILED_ASSERTION,
                "aftercall",
                request,
                gaps[request - 1] + 1,
                Window.AFTER_REPLY));
        GuestRun quiet = GuestRun.runWithProbe(img, past);
        assertFalse(past.activated(), quiet::toString);
        assertEquals(0, quiet.faults.size(), quiet::toString);

        // Near the end of the gap: the journal's update with the echo's answer, after the call
        // (the call, which releases the held reply, is in its middle since the SDK sums the
        // message before the system call; before the call the strike is the request's).
        long at = gaps[request - 1] - 15;
        FaultInjector inside = new FaultInjector(new FaultInjector.Plan(
                1, FaultInjector.Type.FAILED_ASSERTION, "aftercall", request, at, Window.AFTER_REPLY));
        GuestRun struck = GuestRun.runWithProbe(img, inside);
        assertTrue(inside.activated(), struck::toString);
        assertEquals(1, struck.faults.size(), struck::toString);
        assertEquals("aftercall", struck.faults.get(0).task());
        // Struck in the work after the reply, not in a request: a continuation's rollback.
        assertTrue(
                struck.faults.get(0).outcome() instanceof RecoveryOutcome.RolledBack b
                        && b.badge() == RecoveryOutcome.RolledBack.RESUMED,
                struck::toString);
        assertEquals(SystemResult.Outcome.OK, struck.result.outcome(), struck::toString);
        assertTrue(struck.hasLine("aftercall: ok"), struck::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_compact.toml", "aarch64/t_compact.toml"})
    void theWorkBetweenAPlainReplyAndTheNextReceiveIsAfterTheReply(String image) throws Exception {
        // compact_server replies with a plain REPLY and runs a compaction step before its next
        // receive, with no syscall in between that would release the held reply: that work is
        // after the reply (as an outside document store's compaction step after each answer).
        // The probes were told of the reply only at its release, at the receive: the profile
        // counted no instruction after any reply, and the after-reply window struck nothing.
        SystemImage img = SystemImage.builtin(image);
        InstructionProfiler profiler = profiledCompact(img);
        long[] gaps = profiler.gaps();
        long[] lengths = profiler.lengths();
        assertEquals(lengths.length, gaps.length);
        int request = 0;
        for (int i = 19; i < gaps.length; i++) {
            if (gaps[i] >= 8) {
                request = i + 1;
                break;
            }
        }
        assertTrue(request > 0, () -> "work after a reply of compact: " + java.util.Arrays.toString(gaps));
        long at = (gaps[request - 1] + 1) / 2;
        FaultInjector inside = new FaultInjector(new FaultInjector.Plan(
                1, FaultInjector.Type.FAILED_ASSERTION, "compact", request, at, Window.AFTER_REPLY));
        GuestRun struck = GuestRun.runWithProbe(img, inside);
        assertTrue(inside.activated(), struck::toString);
        assertEquals(1, struck.faults.size(), struck::toString);
        assertEquals("compact", struck.faults.get(0).task());
        assertTrue(struck.faults.get(0).outcome() instanceof RecoveryOutcome.RolledBack, struck::toString);
        assertEquals(SystemResult.Outcome.OK, struck.result.outcome(), struck::toString);
        assertTrue(struck.hasLine("compact_client: ok requests=129"), struck::toString);
        assertTrue(struck.restarts.isEmpty(), struck::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_compact.toml", "aarch64/t_compact.toml"})
    void anInstructionSkippedOnTheWayToTheReceiveAfterAHeldReplyIsTheRequests(String image) throws Exception {
        // Each of the last instructions before compact_server's receive (its arguments, after the
        // step's last store) skipped in turn, among
        // them the one that loads the receive's number: a skipped `li a7,7` left 8, a second REPLY,
        // which released the held reply and committed the request; its ESTATE then failed the
        // loop's assertion in work that ran again from the same registers each time, and the
        // third fault restarted the server (an outside document store, seed 1523723). A REPLY
        // while the reply is held is refused at once (ESTATE) and leaves the request open: the
        // request is rolled back instead.
        SystemImage img = SystemImage.builtin(image);
        InstructionProfiler profiler = profiledCompact(img);
        long[] gaps = profiler.gaps();
        int request = 30;
        long gap = gaps[request - 1];
        assertTrue(gap >= 12, () -> "work after reply " + request + ": " + gap);
        for (long at = gap; at > gap - 9; at--) {
            FaultInjector skip = new FaultInjector(new FaultInjector.Plan(
                    1, FaultInjector.Type.INSTRUCTION_SKIP, "compact", request, at, Window.AFTER_REPLY));
            GuestRun g = GuestRun.runWithProbe(img, skip);
            String what = "instruction " + at + " of " + gap + " after reply " + request + ": " + skip.description();
            assertTrue(skip.activated(), () -> what + "\n" + g);
            assertTrue(g.restarts.isEmpty(), () -> what + "\n" + g);
            assertEquals(SystemResult.Outcome.OK, g.result.outcome(), () -> what + "\n" + g);
            assertTrue(g.hasLine("compact_client: ok requests=129"), () -> what + "\n" + g);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_compact.toml", "aarch64/t_compact.toml"})
    void codeChangedAfterAHeldReplyIsFoundBeforeTheReplyIsReleased(String image) throws Exception {
        // An instruction of the work between compact_server's plain REPLY and its receive flipped
        // (the first one after the reply, a different bit each seed): what it runs would commit
        // with the request, and the next request would run on it (an outside document store,
        // seed 1562594: a STATS answered ENOSYS, twice alike). The code is compared again before
        // the held reply leaves, so the change is found in this request, not the next one's reply.
        SystemImage img = SystemImage.builtin(image);
        InstructionProfiler profiler = profiledCompact(img);
        int request = 40;
        assertTrue(profiler.gaps()[request - 1] >= 4, () -> java.util.Arrays.toString(profiler.gaps()));
        int atRelease = 0;
        for (long seed = 1; seed <= 6; seed++) {
            FaultInjector flip = new FaultInjector(new FaultInjector.Plan(
                    seed, FaultInjector.Type.INSTRUCTION_CORRUPTION, "compact", request, 1, Window.AFTER_REPLY));
            GuestRun g = GuestRun.runWithProbe(img, flip);
            String what = "seed " + seed + ": " + flip.description() + "\n" + g;
            assertTrue(flip.activated(), what);
            assertTrue(g.restarts.isEmpty(), what);
            assertTrue(g.hasLine("compact_client: ok requests=129"), what);
            assertFalse(g.faults.isEmpty(), what);
            String detail = g.faults.get(0).fault().detail();
            assertFalse(detail.contains("(checked before the reply)"), what);
            if (detail.contains("(checked before the held reply's release)")) {
                atRelease++;
            }
        }
        assertTrue(atRelease > 0, "no changed instruction ran on to the release");
    }

    /** compact_server's instructions per request and after each reply, in a fault-free boot of {@code img}. */
    private static InstructionProfiler profiledCompact(SystemImage img) throws Exception {
        InstructionProfiler profiler = new InstructionProfiler("compact");
        GuestRun.runWithProbe(img, profiler);
        return profiler;
    }

    @Test
    void anAfterReplyPlanPicksOnlyRepliesWithWorkAfterThem() {
        long[] gaps = {0, 0, 5, 0, 7, 0};
        for (long seed = 1; seed <= 200; seed++) {
            FaultInjector.Plan p = FaultInjector.Plan.after(seed, FaultInjector.Type.DEFAULTS, "s", gaps);
            assertEquals(Window.AFTER_REPLY, p.window());
            assertTrue(p.request() == 3 || p.request() == 5, p::toString);
            assertTrue(p.instruction() >= 1 && p.instruction() <= gaps[p.request() - 1], p::toString);
            assertEquals(p, FaultInjector.Plan.after(seed, FaultInjector.Type.DEFAULTS, "s", gaps));
        }
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> FaultInjector.Plan.after(1, FaultInjector.Type.DEFAULTS, "kv", new long[] {0, 0}));
        assertTrue(e.getMessage().contains("ran no instruction after any of its 2 replies"), e.getMessage());
    }
    /**
     * A replay's requests are neither deliveries nor replies to the strikes: loopreg refuses its
     * client's 10th request (label 9, ENOSYS) in both runs of verify, and the kernel replays the 9
     * kept requests before it first (TxIpc.refusalReplayDepth). A strike planned after the 10th
     * reply was armed by the first replayed request's reply and struck inside the replay, which
     * cannot be undone (the server was restarted); it lands after the 10th real reply.
     */
    @Test
    void aReplayedRequestsReplyDoesNotArmAStrikeAfterAReply() throws Exception {
        SystemImage img = SystemImage.builtin("t_loopreg.toml");
        FaultInjector after = new FaultInjector(
                new FaultInjector.Plan(1, FaultInjector.Type.FAILED_ASSERTION, "loopreg", 10, 1, Window.AFTER_REPLY));
        GuestRun r = GuestRun.runWithProbe(img, after);
        assertTrue(after.activated(), r::toString);
        assertEquals(1, r.replays.size(), r::toString); // (the refusal's, before the strike)
        assertEquals(1, r.faults.size(), r::toString);
        assertEquals(List.of(), r.restarts, r::toString);
        assertTrue(r.console.contains("loopreg_client: ok requests=67"), r::toString);
    }
}
