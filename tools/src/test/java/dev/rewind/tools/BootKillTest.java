package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code rewind boot --kill TASK@REQUEST[:INSTRUCTION]}: a server faulted mid-request, its policy at work. */
class BootKillTest {
    @Test
    void aTxipcServerKilledInTwoRequestsIsRolledBackAndItsClientCarriesOn() {
        CliRun.Result r = CliRun.rewind(
                Duration.ofSeconds(60), "boot", "--kill", "kv@100", "--kill", "kv@400:50", "builtin:t_kv_oracle.toml");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("kv_oracle: ok ops=366 recovered=2 restarts=0"), r::toString);
        assertTrue(r.err().contains("killed by --kill kv@100; request rolled back (txipc)"), r::toString);
        assertTrue(r.err().contains("killed by --kill kv@400:50; request rolled back (txipc)"), r::toString);
    }

    /**
     * Requests are counted as a campaign counts them, its slices too: t_slices' two clients of one
     * priority take turns at their calls, so request 2 is the first call of the second client
     * (label 0x100 or 0x200). Under the image's 1 ms quantum of CPU time slice_call's second call
     * (0x201) came before slice_work's first, whose work was preempted.
     */
    @Test
    void aStrikeNamesTheRequestACampaignWouldStrike() {
        CliRun.Result r =
                CliRun.rewind(Duration.ofSeconds(60), "boot", "--kill", "ipc_echo@2", "builtin:t_slices.toml");
        assertTrue(r.err().contains("killed by --kill ipc_echo@2; request rolled back (txipc)"), r::toString);
        assertTrue(r.err().matches("(?s).*client badge \\d+, label 0x[12]00,.*"), r::toString);
    }

    @Test
    void aStrikeThatNeverCameIsSaid() {
        CliRun.Result r =
                CliRun.rewind(Duration.ofSeconds(60), "boot", "--kill", "kv@100000", "builtin:t_kv_oracle.toml");
        assertEquals(0, r.status(), r::toString);
        assertTrue(
                r.err().contains("rewind: --kill: task kv was not struck in request [100000]: it was handed "),
                r::toString);
    }

    @Test
    void badValuesAreRefusedBeforeTheBoot() {
        String[][] cases = {
            {"kv@x", "write TASK@REQUEST[:INSTRUCTION]"},
            {"nosuch@1", "system 'demo' has no task 'nosuch' (tasks: kv, fs, hello, kv_demo, fs_demo)"},
            {"hello@1", "task 'hello' serves no endpoint"},
            {"kv@0", "the request and the instruction count from 1"},
        };
        for (String[] c : cases) {
            CliRun.Result r = CliRun.rewind(Duration.ofSeconds(60), "boot", "--kill", c[0], "builtin:demo.toml");
            assertEquals(2, r.status(), r::toString);
            assertTrue(
                    r.err().contains("--kill " + c[0] + ": " + c[1]) || r.err().contains(c[1]), r::toString);
            assertTrue(r.out().isEmpty(), "nothing booted: " + r);
        }
        CliRun.Result twice = CliRun.rewind(
                Duration.ofSeconds(60), "boot", "--kill", "kv@5", "--kill", "kv@5:9", "builtin:demo.toml");
        assertEquals(2, twice.status(), twice::toString);
        assertTrue(twice.err().contains("kv's request 5 is given twice"), twice::toString);
    }
}
