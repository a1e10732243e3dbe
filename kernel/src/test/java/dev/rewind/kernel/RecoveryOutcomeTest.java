package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The outcomes' one-line texts are what logs, `rewind boot` and the regression reports print. */
class RecoveryOutcomeTest {
    @Test
    void rolledBackSaysWhatWasUndone() {
        var plain = new RecoveryOutcome.RolledBack(3, 0x4b560001L, 1, 1500, false, 0, 0);
        assertEquals(
                "request rolled back (txipc): client badge 3, label 0x4b560001, 1 page restored in 1.5 µs",
                plain.toString());
        var all = new RecoveryOutcome.RolledBack(3, 0x4b560002L, 2, 12_340, true, 5, 7);
        assertEquals(
                "request rolled back (txipc): client badge 3, label 0x4b560002, 2 pages restored in 12.3 µs"
                        + "; delivered again; 5 committed requests undone (7 pages) to be replayed",
                all.toString());
        // without the measured time (a campaign's JSON): the same text whatever the rollback took
        assertEquals(
                "request rolled back (txipc): client badge 3, label 0x4b560002, 2 pages restored"
                        + "; delivered again; 5 committed requests undone (7 pages) to be replayed",
                all.describe(false));
        assertFalse(all.stopped());
    }

    @Test
    void aRepairOfWhatTheScrubFoundNamesNoRequest() {
        assertEquals(
                "corruption found between requests repaired (txipc) in 2.0 µs; 3 committed requests undone (4 pages)"
                        + " to be replayed",
                RecoveryOutcome.RolledBack.scrub(2000, 3, 4).toString());
        assertEquals(
                "corruption found between requests repaired (txipc): code restored from the image",
                RecoveryOutcome.RolledBack.scrub(2000, 0, 0).describe(false));
    }

    @Test
    void restartsAndStops() {
        assertEquals("restarted as generation 2", new RecoveryOutcome.Restarted(2, null).toString());
        assertEquals(
                "not inside a request that can be undone; restarted as generation 3",
                new RecoveryOutcome.Restarted(3, "not inside a request that can be undone").toString());
        assertEquals(
                "restarted as generation 4; shadow replays 1 request(s), re-issues 0, holds 2",
                new RecoveryOutcome.ShadowRestarted(4, 1, 0, 2).toString());
        RecoveryOutcome stop = new RecoveryOutcome.Stopped("task stopped (recovery policy none)");
        assertTrue(stop.stopped());
        assertEquals("task stopped (recovery policy none)", stop.toString());
    }
}
