package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A bit flipped in memory (outside any request's stores) in a page that committed requests read
 * and copied elsewhere before a later request wrote the page, where the copy check before its
 * reply found the change: putting the page back from the committed copy does not mend the copy
 * the earlier request made, so the kept history since the page last changed is undone and run
 * again from the mended page (an outside document store: a flipped byte of a document, moved to a
 * fresh buffer by a compaction step, was put back only in the freed old buffer).
 */
class TxIpcCarryTest {
    /** Flips bit 0 of carry_src[5] in memory when the server is handed its 50th request. */
    private static final class FlipAt implements KernelProbe {
        private int delivered;
        boolean flipped;

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("carry") || ++delivered != 50) {
                return;
            }
            long addr = t.image().symbol("carry_src").orElseThrow() + 5 * 8;
            byte[] b = new byte[1];
            assertTrue(t.cpu().memory().read(addr, b, 0, 1));
            b[0] ^= 1;
            assertTrue(t.cpu().memory().writeUnlogged(addr, b, 0, 1));
            flipped = true;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_carry.toml", "aarch64/t_carry.toml"})
    void aChangeACommittedRequestCarriedOnIsMendedByReplayingTheHistorySinceThePageChanged(String image)
            throws Exception {
        GuestRun plain = GuestRun.boot(image, Fixtures.CONFIG);
        assertTrue(plain.hasLine("carry_client: ok requests=80"), plain::toString);

        FlipAt flip = new FlipAt();
        GuestRun g = GuestRun.runWithProbe(SystemImage.builtin(image), flip);
        assertTrue(flip.flipped, g::toString);
        assertEquals(1, g.faults.size(), g::toString);
        assertEquals(FaultKind.CORRUPT_STATE, g.faults.get(0).fault().kind(), g::toString);
        assertTrue(g.faults.get(0).fault().detail().contains("changed between requests"), g::toString);
        assertFalse(g.replays.isEmpty(), () -> "the history since the page changed is replayed: " + g);
        assertTrue(g.mismatches.isEmpty(), g::toString);
        assertEquals(SystemResult.Outcome.OK, g.result.outcome(), g::toString);
        assertTrue(g.hasLine("carry_client: ok requests=80"), g::toString);
        assertTrue(g.restarts.isEmpty(), g::toString);
    }
}
