package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.hw.elf.ElfImage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fs's CLOSE reads its handle back after clearing it: {@code memset} checks the bytes it was told
 * to clear, not how many, and its length register set to 0 (a null-pointer fault in fs seed
 * 2232476 of session 55's final campaign) left the handle in use while its file's open count
 * went down by one; a later UNLINK of the file answered EBUSY, with no trap. Now a handle still
 * in use after CLOSE is a failed assertion, which txipc undoes. (RISC-V only: gcc makes the
 * AArch64 build's clearing of the 24-byte handle two stores, no call.)
 */
class FsCloseCheckTest {
    /** In fs's {@code nth} CLOSE, its {@code memset} of the handle is given a length of 0. */
    static final class CloseClearSkipped implements KernelProbe {
        final int nth;
        int closes;
        boolean struck;
        CpuHook hook;

        CloseClearSkipped(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("fs") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            ElfImage.Symbol close = Fixtures.function(task, "do_close");
            long memset = task.image().symbol("memset").orElseThrow();
            boolean rv = cpu.arch() == Arch.RISCV64;
            int ra = rv ? 1 : 30;
            int len = rv ? 12 : 2;
            hook = cpu.hookInstructions(memset, memset, (addr, size) -> {
                long from = cpu.reg(ra);
                if (struck
                        || from < close.address()
                        || from >= close.address() + close.size()
                        || cpu.reg(len) != 24
                        || ++closes != nth) {
                    return;
                }
                cpu.setReg(len, 0);
                struck = true;
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}: CLOSE {1}")
    @CsvSource({
        "t_fs_oracle.toml, 1",
        "t_fs_oracle.toml, 10",
    })
    void aCloseThatLeftItsHandleInUseIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        CloseClearSkipped probe = new CloseClearSkipped(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a CLOSE was struck: " + run);
        Fixtures.assertAbortUndone(run, "fs", "fs_oracle: ok", "CLOSE left its handle in use");
    }
}
