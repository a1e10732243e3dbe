package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Abi;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * kv and fs copy the payload their clients' data passes through (a stored value, a file's
 * bytes, in and out of the IPC buffer) with the SDK's {@code rw_copy_checked}: the copy is
 * compared with its source, and a fault inside it is a fault of the request, which txipc undoes
 * and runs again. Before, a skipped store or pointer step in {@code memcpy}'s loop left wrong
 * bytes with no trap: the server kept or handed out the wrong data, and the oracle failed later
 * ("data differs"; 8 of the 14 silent runs of {@code rewind inject builtin:t_fs_oracle.toml
 * --server fs -n 300 --seed 1735001} were faults in {@code memcpy}).
 */
class CopyCheckTest {

    /**
     * At the entry of {@code rw_copy_checked}'s copy ({@code rw__copy_plain}) in {@code server}, in the {@code nth} copy of at least 8 bytes made
     * inside a request into the IPC buffer ({@code toIpc}) or from it into the server's data or
     * heap (not its stack), moves the source register one byte on: the copy then takes its bytes
     * from the wrong place, as a flipped pointer register would make it.
     */
    static final class SourceShifted implements KernelProbe {
        final String server;
        final boolean toIpc;
        final int nth;
        int seen;
        boolean struck;
        CpuHook hook;

        SourceShifted(String server, boolean toIpc, int nth) {
            this.server = server;
            this.toIpc = toIpc;
            this.nth = nth;
        }

        static boolean inIpc(long a) {
            return a >= Abi.IPC_BUF_ADDR && a < Abi.IPC_BUF_ADDR + Abi.IPC_BUF_SIZE;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals(server) || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            // (rw_copy_checked's copy: the SDK's memcpy without the compare memcpy makes itself
            // while serving, which compares with the pointers it was given: session 54)
            long entry = task.image().symbol("rw__copy_plain").orElseThrow();
            int a0 = cpu.arch().result(0);
            int a1 = cpu.arch().result(1);
            int a2 = cpu.arch().result(2);
            hook = cpu.hookInstructions(entry, entry, (addr, size) -> {
                if (struck || task.replyOwed() == null || cpu.reg(a2) < 8) {
                    return;
                }
                long dst = cpu.reg(a0);
                long src = cpu.reg(a1);
                boolean wanted = toIpc
                        ? dst == Abi.IPC_BUF_ADDR
                        : inIpc(src) && !inIpc(dst) && dst < Abi.STACK_TOP - 16 * 1024 * 1024;
                if (!wanted || ++seen != nth) {
                    return;
                }
                struck = true;
                cpu.setReg(a1, src + 1);
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0} {1}, copy into the IPC buffer: {2}")
    @CsvSource({
        "t_kv_oracle.toml, kv, false, kv_oracle: ok",
        "t_kv_oracle.toml, kv, true, kv_oracle: ok",
        "t_fs_oracle.toml, fs, false, fs_oracle: ok",
        "t_fs_oracle.toml, fs, true, fs_oracle: ok",
        "aarch64/t_fs_oracle.toml, fs, false, fs_oracle: ok",
    })
    void aGarbledPayloadCopyIsAFaultOfItsRequestAndIsUndone(String image, String server, boolean toIpc, String ok)
            throws Exception {
        SourceShifted probe = new SourceShifted(server, toIpc, 20);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "the copy was struck: " + run);
        assertTrue(run.console.contains(ok), run::toString);
        assertFalse(run.console.contains("FAIL"), run::toString);
        GuestRun.FaultEvent f = run.faults.stream()
                .filter(e -> e.task().equals(server))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no fault of " + server + ": " + run));
        assertEquals(FaultKind.ABORT, f.fault().kind(), run::toString);
        assertTrue(f.fault().detail().contains("a copy differs from its source"), run::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertTrue(run.restarts.stream().noneMatch(r -> r.startsWith(server + "@")), run::toString);
    }
}
