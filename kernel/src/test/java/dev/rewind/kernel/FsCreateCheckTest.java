package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fs's CREATE and MKDIR check the node they made, and an EEXIST, with a fresh walk of the path
 * (guest/servers/fs_server.c, {@code created_check}, {@code exists_check}): before, nothing read
 * a new node back, and a skipped instruction in new_node or in create (a stale lookup, a field
 * not stored, a skipped branch from EEXIST to the commit) made a file a directory, left a name
 * unlisted or answered success to a MKDIR of a directory that was there, with no trap (a skip
 * sweep of fs, session 56: ~30 silent skips in one CREATE).
 */
class FsCreateCheckTest {
    /**
     * At the entry of new_node in the {@code nth} CREATE or MKDIR of a name that exists, the
     * lookup's node (struct lookup: int32 parent, int32 node) is made -1, as a skipped load of it
     * leaves a stale register: new_node makes a second node of that name.
     */
    static final class ExistingNameSpoiler implements KernelProbe {
        final int nth;
        int seen;
        boolean struck;
        CpuHook hook;

        ExistingNameSpoiler(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("fs") || hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            int a0 = cpu.arch().result(0);
            hook = Fixtures.hookEntry(t, "new_node", (addr, size) -> {
                if (struck) {
                    return;
                }
                long lk = cpu.reg(a0);
                long word = Fixtures.read64(cpu, lk);
                int parent = (int) word;
                int node = (int) (word >>> 32);
                if (parent < 0 || node < 0 || ++seen != nth) {
                    return;
                }
                struck = true;
                Fixtures.write64(cpu, lk, (word & 0xffffffffL) | 0xffffffffL << 32);
            });
        }
    }

    @ParameterizedTest(name = "{0}: the {1}th CREATE or MKDIR of a name that exists")
    @CsvSource({
        "t_fs_oracle.toml, 1",
        "t_fs_oracle.toml, 3",
        "aarch64/t_fs_oracle.toml, 1",
        "aarch64/t_fs_oracle.toml, 3",
    })
    void aSecondNodeOfANameIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        ExistingNameSpoiler probe = new ExistingNameSpoiler(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a CREATE was struck: " + run);
        Fixtures.assertAbortUndone(run, "fs", "fs_oracle: ok", "a new node is not where its path leads");
    }
}
