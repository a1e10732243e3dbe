package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * fs's UNLINK reads the node it is about to remove again before removing it
 * (guest/servers/fs_server.c, {@code removable_check}): a flipped bit in the register that held
 * the node's address made {@code do_unlink} test another node's {@code is_dir} and
 * {@code nchildren}, and a directory that held entries was removed, its entries left unreachable:
 * UNLINK answered success where ENOTEMPTY was due, with no trap (seed 2402200 of session 58's final
 * fs campaign). Each instruction of the first UNLINK that answers ENOTEMPTY is skipped in turn (a
 * skipped shift of the node's index does what the flip did); the oracle must end ok every time,
 * and some skip must have been a fault of fs's, undone.
 */
class FsUnlinkCheckTest {
    /** FS_ENOTEMPTY (guest/abi/fs.proto). */
    static final long ENOTEMPTY = -103;

    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void noSkipInAnUnlinkOfADirectoryWithEntriesAnswersAClientWrongly(String arch) throws Exception {
        SystemImage system = SystemImage.builtin(arch + "t_fs_oracle.toml");
        List<Long> statuses = ServingBoundCheckTest.Statuses.of(system, "fs", "do_unlink", "fs_oracle: ok");
        int nth = statuses.indexOf(ENOTEMPTY) + 1;
        assertTrue(nth > 0, () -> "no UNLINK answered ENOTEMPTY: " + statuses);
        ServingBoundCheckTest.CallSkip trace = ServingBoundCheckTest.CallSkip.nthCall(system, "fs", "do_unlink", nth);
        assertTrue(trace.order.size() >= 20, "an UNLINK runs its lookup and tests: " + trace.order);
        int faulted = 0;
        for (int k = 0; k < trace.order.size(); k++) {
            ServingBoundCheckTest.Skipped s =
                    ServingBoundCheckTest.CallSkip.skipping(system, "fs", "do_unlink", nth, k);
            String what = String.format("skip of the instruction at 0x%x: %s", s.probe().skipAt, s.run());
            assertTrue(s.run().console.contains("fs_oracle: ok"), what);
            assertFalse(s.run().console.contains("FAIL"), what);
            if (!s.faults().isEmpty()) {
                faulted++;
                assertInstanceOf(
                        RecoveryOutcome.RolledBack.class, s.faults().get(0).outcome(), what);
            }
        }
        assertTrue(
                faulted > 0, "no skip among " + trace.order.size() + " of do_unlink's instructions was a fault of fs");
    }
}
