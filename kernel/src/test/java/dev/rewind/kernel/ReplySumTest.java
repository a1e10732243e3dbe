package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Abi;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.hw.elf.ElfImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SDK puts the sum of the message it built in memory beside the number of a CALL, REPLY or
 * REPLY_RECV ({@code Abi.SYS_SUMMED}), read apart from the loads that fill a1..a6, and the kernel
 * compares it with the registers before the message leaves. A server's reply word that went
 * wrong on its way from memory to its register (a skipped load, a register flipped after it:
 * session 50's kv seeds 1812104, 1812355, 1812739, where {@code rw_serve} sent a stale word after
 * every check the handler and the dispatch make) is a fault of its request, which txipc undoes and
 * runs again: the client never sees it. Without the sum the changed word went out.
 */
class ReplySumTest {

    /**
     * At the system call instruction of {@code server}'s {@code nth} REPLY_RECV (inside {@code
     * rw_serve}, where the SDK's loop sends every reply), flips bit {@code bit} of reply register
     * {@code reg} (1: the label, 2..5: the words, 6: the length), once.
     */
    static final class ReplyRegisterFlip implements KernelProbe {
        final String server;
        final int nth;
        final int reg;
        final int bit;
        int seen;
        boolean struck;
        CpuHook hook;

        ReplyRegisterFlip(String server, int nth, int reg, int bit) {
            this.server = server;
            this.nth = nth;
            this.reg = reg;
            this.bit = bit;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals(server) || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            ElfImage.Symbol loop = task.image().symbols().stream()
                    .filter(s -> s.name().equals("rw_serve"))
                    .findFirst()
                    .orElseThrow();
            int number = Fixtures.numberRegister(cpu);
            hook = cpu.hookInstructions(loop.address(), loop.address() + loop.size() - 1, (addr, size) -> {
                if (struck
                        || size != 4
                        || (cpu.reg(number) & Abi.SYS_SUMMED) == 0
                        || Fixtures.syscallNumber(cpu) != Abi.SYS_REPLY_RECV) {
                    return;
                }
                if (!Fixtures.isSyscallInstruction(cpu, addr) || ++seen < nth) {
                    return;
                }
                struck = true;
                int r = cpu.arch().result(reg);
                cpu.setReg(r, cpu.reg(r) ^ (1L << bit));
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}: reply {2} of {1}, register a{3} bit {4}")
    @CsvSource({
        "t_kv_oracle.toml, kv, 40, 1, 0, kv_oracle: ok",
        "t_kv_oracle.toml, kv, 77, 2, 3, kv_oracle: ok",
        "t_kv_oracle.toml, kv, 120, 6, 1, kv_oracle: ok",
        "t_fs_oracle.toml, fs, 50, 2, 0, fs_oracle: ok",
        "t_bank_oracle.toml, bank, 30, 3, 5, bank_oracle: ok",
        "aarch64/t_kv_oracle.toml, kv, 60, 2, 2, kv_oracle: ok",
    })
    void aReplyRegisterChangedAfterItsLoadIsAFaultOfItsRequestAndIsUndone(
            String image, String server, int nth, int reg, int bit, String ok) throws Exception {
        ReplyRegisterFlip probe = new ReplyRegisterFlip(server, nth, reg, bit);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "the reply register was flipped: " + run);
        assertTrue(run.console.contains(ok), run::toString);
        assertFalse(run.console.contains("FAIL"), run::toString);
        GuestRun.FaultEvent f = run.faults.stream()
                .filter(e -> e.task().equals(server))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no fault of " + server + ": " + run));
        assertEquals(FaultKind.CORRUPT_STATE, f.fault().kind(), run::toString);
        assertTrue(f.fault().detail().contains("not the one built in memory"), run::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        assertTrue(run.restarts.isEmpty(), run::toString);
    }

    @Test
    void theSumIsTheSdksAndAnyWordChangesIt() {
        long[] a = {0, 0, 7, 8, 9, 10, 16, 0, 0};
        long sum = SyscallFrame.messageSum(a);
        assertTrue(sum >= 0 && sum <= 0xffffffffL);
        for (int i = 1; i <= 6; i++) {
            for (int bit : new int[] {0, 31, 32, 63}) {
                long[] b = a.clone();
                b[i] ^= 1L << bit;
                assertTrue(SyscallFrame.messageSum(b) != sum, "word " + i + " bit " + bit);
            }
        }
        long[] c = a.clone();
        c[0] = 99; // (a0, a7 and the PC are not in the sum)
        c[7] = 5;
        c[8] = 0x1000;
        assertEquals(sum, SyscallFrame.messageSum(c));
    }

    @Test
    void theNumberLosesItsSumAndOnlyMessageSyscallsTakeOne() {
        long[] a = new long[9];
        SyscallFrame f = new SyscallFrame();
        a[7] = Abi.SYS_REPLY_RECV | Abi.SYS_SUMMED | (0x1234abcdL << 32);
        f.reset(a).takeSum();
        assertEquals(Abi.SYS_REPLY_RECV, a[7]);
        assertEquals(0x1234abcdL, f.sum());
        a[7] = Abi.SYS_CLOCK | Abi.SYS_SUMMED | (1L << 32);
        f.reset(a).takeSum();
        assertEquals(-1, f.sum());
        assertEquals(Abi.SYS_CLOCK | Abi.SYS_SUMMED | (1L << 32), a[7], "left as it was: no such syscall");
        a[7] = Abi.SYS_CALL;
        f.reset(a).takeSum();
        assertEquals(-1, f.sum());
        assertEquals(Abi.SYS_CALL, a[7]);
    }
}
