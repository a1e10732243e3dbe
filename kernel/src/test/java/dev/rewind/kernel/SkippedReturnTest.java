package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A skipped return traps on the word the SDK's assembler step puts after it
 * (guest/sdk/trap-jumps.sh). fs's {@code walk_once} ends in a {@code ret} with its error returns
 * placed after it ({@code li a0, -8; j} back to the epilogue): a skip of that {@code ret} ran
 * the error return with the frame already popped, and fs's CREATE answered ENOENT for a
 * directory that was there (a skip sweep of session 57). Each return instruction of the first
 * walk_once made while serving is skipped in turn: the run must be a fault of fs's, undone, and
 * the oracle must end ok.
 */
class SkippedReturnTest {
    /** Whether {@code word} (little endian, the instruction's own bytes first) is a return. */
    static boolean isReturn(long word, boolean a64) {
        if (a64) {
            return word == 0xd65f03c0L; // ret
        }
        return (word & 0xffff) == 0x8082 // c.ret (c.jr ra)
                || word == 0x00008067L; // ret (jalr zero, 0(ra))
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aSkippedReturnTrapsAndIsUndone(String arch) throws Exception {
        SystemImage system = SystemImage.builtin(arch + "t_fs_oracle.toml");
        ServingBoundCheckTest.CallSkip trace = new ServingBoundCheckTest.CallSkip("fs", "walk_once", -1);
        GuestRun clean = GuestRun.runWithProbe(system, trace);
        assertTrue(trace.done, () -> "no walk_once while serving: " + clean);
        assertEquals(List.of(), clean.faults, clean::toString);
        List<Integer> returns = new ArrayList<>();
        for (int k = 0; k < trace.order.size(); k++) {
            if (isReturn(trace.words.get(k), !arch.isEmpty())) {
                returns.add(k);
            }
        }
        assertFalse(returns.isEmpty(), () -> "walk_once returned without a ret? " + trace.words);
        for (int k : returns) {
            ServingBoundCheckTest.CallSkip probe = new ServingBoundCheckTest.CallSkip("fs", "walk_once", k);
            GuestRun run = GuestRun.runWithProbe(system, probe);
            assertNull(probe.error, probe.error);
            assertTrue(probe.skipped, () -> "the skip was made: " + run);
            String what = String.format("skip of the return at 0x%x: %s", probe.skipAt, run);
            assertTrue(run.console.contains("fs_oracle: ok"), what);
            List<GuestRun.FaultEvent> mine =
                    run.faults.stream().filter(e -> e.task().equals("fs")).toList();
            assertFalse(mine.isEmpty(), what);
            String at = String.format("illegal instruction, pc 0x%x", probe.skipAt + probe.skipSize);
            assertTrue(mine.get(0).fault().toString().startsWith(at), () -> "the word after the return: " + what);
            assertInstanceOf(RecoveryOutcome.RolledBack.class, mine.get(0).outcome(), what);
        }
    }
}
