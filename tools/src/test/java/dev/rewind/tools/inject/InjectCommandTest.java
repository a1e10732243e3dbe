package dev.rewind.tools.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.image.RecoveryPolicy;
import dev.rewind.tools.CliRun;
import dev.rewind.tools.Fixtures;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What {@code rewind inject} tells its user: limits, replay commands, threads. */
class InjectCommandTest {
    private static CliRun.Result rewind(Duration timeout, String... args) {
        return CliRun.rewind(timeout, args);
    }

    @Test
    void theProfilingBootMayTakeAMultipleOfAPlainBootAndAtLeastTheLimitOfEachBoot() {
        long s = 1_000_000_000L;
        assertEquals(180 * s, Campaign.profileBudget(20 * s, s / 1000 * 60, 3000));
        assertEquals(20 * s, Campaign.profileBudget(20 * s, s / 1000, 3000)); // at least the limit of each boot
        assertEquals(0, Campaign.profileBudget(0, 5 * s, 3000)); // no limit: none for the profile either
        assertEquals(Long.MAX_VALUE, Campaign.profileBudget(s, Long.MAX_VALUE / 2, 3000)); // no overflow
    }

    /** t_heap's server is all the workload: profiling it takes ~700 times a plain boot (0.06 s). */
    @Test
    void aProfilingBootPastItsLimitSaysSoAndHowToRaiseIt() throws Exception {
        Campaign c = new Campaign(
                SystemImage.open("builtin:t_heap.toml"),
                "heap_server",
                RecoveryPolicy.TXIPC,
                1000,
                CampaignTest.CFG.withBudgetNanos(3_000_000_000L));
        // allowed once the plain boot's time, at least the 3 s of each boot: 3 s, far too little
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.profile(1));
        String m = e.getMessage();
        assertTrue(m.contains("the profiling boot of builtin:t_heap.toml"), m);
        assertTrue(m.contains("ran past its limit of 3 s"), m);
        assertTrue(m.contains("--timeout DURATION raises"), m);
        assertTrue(c.referenceNanos() > 0 && c.referenceNanos() < 3_000_000_000L, m);
        // the client prints only at its end: no console line to quote
        assertFalse(m.contains("console line"), m);
    }

    @Test
    void aPlainBootPastTheLimitOfEachBootNamesTheLimitAndTheOption() {
        CliRun.Result r = rewind(
                Duration.ofSeconds(30),
                "inject",
                "builtin:t_heap.toml",
                "--server",
                "heap_server",
                "-n",
                "1",
                "--timeout",
                "1ms");
        Fixtures.assertUsageError(
                r, "plain fault-free boot", "the limit of each boot, 0.001 s (--timeout DURATION raises it)");
        assertFalse(r.err().contains("console line"), r::toString);
        Fixtures.assertUsageError(
                rewind(
                        Duration.ofSeconds(30),
                        "inject",
                        "builtin:t_heap.toml",
                        "--server",
                        "heap_server",
                        "--timeout",
                        "soon"),
                "--timeout: not a duration: 'soon'");
    }

    /**
     * The user's report: profiling t_heap takes ~45 s, past the 20 s every boot of a campaign
     * had, so no campaign could run on it although it boots in 0.2 s.
     */
    @Test
    @Tag("slow")
    void aWorkloadSlowToProfileRunsWithinTheLimitOfEachBoot() {
        CliRun.Result r = rewind(
                Duration.ofMinutes(10),
                "inject",
                "builtin:t_heap.toml",
                "--server",
                "heap_server",
                "--types",
                "memory-bit-flip",
                "-n",
                "1",
                "--jobs",
                "1",
                "--timeout",
                "5s");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("from seed 1"), r::toString);
    }
}
