package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * printf's digits of a double come from the SDK's {@code dtoa.c}, which computes them twice and
 * compares the two results: a transient fault inside one computation is {@code rw_panic}, which
 * txipc undoes and runs again. Before, such a fault printed wrong digits with no trap, and a
 * server that answers text sent them to its client (an outside expression interpreter's
 * {@code %.17g} replies, session 54: 6 of the 44 silent runs of its default-window campaigns,
 * e.g. {@code '14163345681037'} for 14163456810372 and {@code '-504.'} for -504.625).
 */
class DtoaCheckTest {

    /**
     * In dtoa_server's {@code nth} request, once {@code __dtoa_engine} has begun: as soon as the
     * second digit of its result (the caller's {@code struct dtoa}: {@code int32_t exp; uint8_t
     * flags; char digits[17]}, so at offset 6) holds a digit, changes it to another digit, once,
     * as a skipped instruction or a flipped register in the digit loop would.
     */
    static final class DigitChanged implements KernelProbe {
        final int nth;
        int delivered;
        boolean struck;
        long digit = -1;
        CpuHook entry;
        CpuHook watch;

        DigitChanged(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("dtoa_server") || ++delivered != nth) {
                return;
            }
            Cpu cpu = task.cpu();
            long at = task.image().symbol("__dtoa_engine").orElseThrow();
            // the struct dtoa pointer: a1 on RISC-V (the double is in a0, soft float), x0 on AArch64 (d0)
            int ptr = cpu.arch().result(cpu.arch() == Arch.RISCV64 ? 1 : 0);
            entry = cpu.hookInstructions(at, at, (addr, size) -> {
                if (digit >= 0 || struck) {
                    return;
                }
                digit = cpu.reg(ptr) + 6;
                assertTrue(cpu.memory().write(digit, new byte[] {0}, 0, 1));
                watch = cpu.hookInstructions(1, 0, (a, s) -> {
                    if (struck) {
                        return;
                    }
                    byte[] b = new byte[1];
                    assertTrue(cpu.memory().read(digit, b, 0, 1));
                    if (b[0] >= '0' && b[0] <= '9') {
                        b[0] ^= 1;
                        assertTrue(cpu.memory().write(digit, b, 0, 1));
                        struck = true;
                    }
                });
                cpu.dropCodeTranslations();
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_dtoa_tx.toml", "aarch64/t_dtoa_tx.toml"})
    void aDigitComputedWrongIsAFaultOfItsRequestAndIsUndone(String image) throws Exception {
        DigitChanged probe = new DigitChanged(5);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a digit was changed: " + run);
        // without the second computation: "dtoa_tx: FAIL 3.1415926535897931 answered '3.0415926535897931'"
        assertTrue(run.console.contains("dtoa_tx: all ok"), run::toString);
        assertFalse(run.console.contains("FAIL"), run::toString);
        GuestRun.FaultEvent f = run.faults.stream()
                .filter(e -> e.task().equals("dtoa_server"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no fault of dtoa_server: " + run));
        assertEquals(FaultKind.ABORT, f.fault().kind(), run::toString);
        assertTrue(f.fault().detail().contains("the digits of a double differ"), run::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        assertTrue(run.restarts.isEmpty(), run::toString);
    }
}
