package dev.rewind.kernel;

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
        ServingBoundCheckTest.assertNoSkipAnswersWrongly(system, "fs", "do_unlink", nth, 20, "fs_oracle: ok");
    }
}
