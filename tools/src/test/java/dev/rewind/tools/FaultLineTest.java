package dev.rewind.tools;

import static dev.rewind.tools.Fixtures.rewind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.CliRun.Result;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** `rewind boot` shows each fault once, on one line, naming the faulting instruction, and guest text cannot forge lines. */
class FaultLineTest {
    static List<String> faultLines(Result r) {
        return Arrays.stream(r.err().split("\n"))
                .filter(l -> l.contains("faulted"))
                .toList();
    }

    @Test
    void eachFaultIsOneLineAtTheDefaultLogLevel() {
        Result r = rewind("boot", "builtin:t_fpc_deref_warm.elf");
        assertEquals(1, r.status(), r::toString);
        List<String> lines = faultLines(r);
        assertEquals(1, lines.size(), r::toString);
        assertTrue(
                lines.get(0)
                        .matches("rewind: task t_fpc_deref_warm \\(generation \\d+\\) faulted: read of unmapped memory"
                                + " at address 0x50000000, pc 0x[0-9a-f]+ \\(deref\\); .*"),
                r::toString);

        Result debug = rewind("boot", "--log-level", "debug", "builtin:t_fpc_deref_warm.elf");
        assertEquals(2, faultLines(debug).size(), "the kernel's own line comes back at debug: " + debug);
    }

    @Test
    void quietLeavesOutTheSummaryButNotTheFaultLine() {
        Result r = rewind("boot", "-q", "builtin:t_fpc_deref_warm.elf");
        assertEquals(1, r.status(), r::toString);
        List<String> lines = faultLines(r);
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.get(0).startsWith("rewind: task t_fpc_deref_warm (generation 1) faulted: "), r::toString);
        assertFalse(r.err().contains("WARN"), r::toString);
        assertFalse(r.err().lines().anyMatch(l -> l.startsWith("rewind: t_fpc_deref_warm: ")), "no summary: " + r);
    }

    @Test
    void anAbortMessageCannotForgeLines() {
        Result r = rewind("boot", "builtin:t_fpc_abort_esc.elf");
        assertEquals(1, r.status(), r::toString);
        assertFalse(r.err().contains("\u001b"), r::toString);
        assertFalse(r.err().contains("\u0007"), r::toString);
        assertFalse(r.err().lines().anyMatch(l -> l.startsWith("rewind: task forged")), r::toString);
        assertTrue(r.err().contains("\\e]0;t\\x07bad\\n\\e[2Jrewind: task forged\\x07\\xff end"), r::toString);
    }
}
