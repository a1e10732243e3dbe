package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
        ServingBoundCheckTest.CallSkip trace = ServingBoundCheckTest.CallSkip.firstCall(system, "fs", "walk_once");
        List<Integer> returns = new ArrayList<>();
        for (int k = 0; k < trace.order.size(); k++) {
            if (isReturn(trace.words.get(k), !arch.isEmpty())) {
                returns.add(k);
            }
        }
        assertFalse(returns.isEmpty(), () -> "walk_once returned without a ret? " + trace.words);
        for (int k : returns) {
            ServingBoundCheckTest.Skipped s = ServingBoundCheckTest.CallSkip.skipping(system, "fs", "walk_once", k);
            String what = String.format("skip of the return at 0x%x: %s", s.probe().skipAt, s.run());
            assertTrue(s.run().console.contains("fs_oracle: ok"), what);
            assertFalse(s.faults().isEmpty(), what);
            String at = String.format("illegal instruction, pc 0x%x", s.probe().skipAt + s.probe().skipSize);
            assertTrue(s.faults().get(0).fault().toString().startsWith(at), () -> "the word after the return: " + what);
            assertInstanceOf(RecoveryOutcome.RolledBack.class, s.faults().get(0).outcome(), what);
        }
    }
}
