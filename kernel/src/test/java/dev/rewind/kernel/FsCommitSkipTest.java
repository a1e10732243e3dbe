package dev.rewind.kernel;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No single skipped instruction in fs's {@code commit} (guest/servers/fs_server.c) gives a client
 * a wrong answer. In the oracle's system fs has no disk, so commit returns at its first check; a
 * skipped instruction that formed the disk variable's address (RISC-V {@code addi s1, gp, ...},
 * AArch64 {@code adrp}) left a stale register, the check read elsewhere and let the commit run,
 * and the check of its failure re-read the same wrong place: CREATE answered EIO (a skip sweep
 * of session 57). The re-read now makes the address again (RW_SYM_AGAIN) and the failure is a
 * fault, undone. Each instruction of the first commit made while serving is skipped in turn; the
 * oracle must end ok every time, and some skip must have been a fault of fs's (undone), so that
 * the test cannot pass by striking nothing.
 */
class FsCommitSkipTest {
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void noSkipInCommitAnswersAClientWrongly(String arch) throws Exception {
        SystemImage system = SystemImage.builtin(arch + "t_fs_oracle.toml");
        // (commit's early return runs a few instructions)
        ServingBoundCheckTest.assertNoSkipAnswersWrongly(system, "fs", "commit", 1, 6, "fs_oracle: ok");
    }
}
