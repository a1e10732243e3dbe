package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * kv's LIST names the first used slot at or after the request's cursor, and its reply is checked
 * against the cursor read again from the request (guest/servers/kv_server.c, check_listed): the
 * slot's register zeroed after LIST's two scans agreed (kv seed 2175516 of session 55's
 * 10,000-injection campaign) listed the table's first key again, a key listed twice, with no
 * trap: both scans and the reply's own check agreed with each other. Now a slot before the cursor
 * is a failed assertion, which txipc undoes.
 */
class KvListCursorCheckTest {
    /** In the {@code nth} LIST with a cursor that is not 0, both scans start from slot 0. */
    static final class ScansFromZero implements KernelProbe {
        final int nth;
        int calls;
        boolean struck;
        CpuHook hook;

        ScansFromZero(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("kv") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long at = task.image().symbol("next_used").orElseThrow();
            int a0 = cpu.arch() == Arch.RISCV64 ? 10 : 0;
            hook = cpu.hookInstructions(at, at, (addr, size) -> {
                if (cpu.reg(a0) == 0) {
                    return;
                }
                int call = ++calls; // (two a LIST: its two scans)
                if (call == 2 * nth - 1 || call == 2 * nth) {
                    cpu.setReg(a0, 0);
                    struck = true;
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}: LIST {1} past its first")
    @CsvSource({
        "t_kv_oracle.toml, 1",
        "t_kv_oracle.toml, 20",
        "aarch64/t_kv_oracle.toml, 1",
        "aarch64/t_kv_oracle.toml, 20",
    })
    void aListingBeforeTheRequestsCursorIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        ScansFromZero probe = new ScansFromZero(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a LIST was struck: " + run);
        Fixtures.assertAbortUndone(run, "kv", "kv_oracle: ok", "names no slot at or after the request's");
    }
}
