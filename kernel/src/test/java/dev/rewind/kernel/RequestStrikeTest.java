package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.probe.DriverKiller;
import dev.rewind.kernel.probe.InstructionProfiler;
import java.util.List;
import org.junit.jupiter.api.Test;

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
}
