package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fs's OPEN finds its answer again from a fresh walk of its path (guest/servers/fs_server.c,
 * {@code open_check}): a skipped step of the node table's address or of the node's index read
 * is_dir and size from another place, and OPEN answered EISDIR for a file, or a size of 0 or
 * another file's, with no trap (a skip sweep of fs, session 56: 10 silent skips in one OPEN).
 */
class FsOpenCheckTest {
    /** At open_check's entry in the {@code nth} OPEN that succeeds, the size in the reply is one more. */
    static final class SizeSpoiler implements KernelProbe {
        final int nth;
        int seen;
        boolean struck;
        CpuHook hook;

        SizeSpoiler(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("fs") || hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            hook = Fixtures.hookEntry(t, "open_check", (addr, size) -> {
                if (struck || cpu.reg(cpu.arch().result(2)) != 0 || ++seen != nth) {
                    return;
                }
                long request = cpu.reg(cpu.arch().result(0));
                long out = Fixtures.read64(cpu, request + 8); // rw_request: in, out, badge, ctx
                long sizeWord = out + 16; // rw_msg: label, w[0], w[1]
                Fixtures.write64(cpu, sizeWord, Fixtures.read64(cpu, sizeWord) + 1);
                struck = true;
            });
        }
    }

    @ParameterizedTest(name = "{0}: the {1}th OPEN")
    @CsvSource({
        "t_fs_oracle.toml, 1",
        "t_fs_oracle.toml, 10",
        "aarch64/t_fs_oracle.toml, 1",
        "aarch64/t_fs_oracle.toml, 10",
    })
    void anOpenThatAnswersAnotherSizeIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        SizeSpoiler probe = new SizeSpoiler(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "an OPEN was struck: " + run);
        Fixtures.assertAbortUndone(run, "fs", "fs_oracle: ok", "OPEN's answer differs from its path walked again");
    }
}
