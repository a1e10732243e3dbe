package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Abi;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SDK's CALL, RECV, REPLY_RECV and WAIT_ANY ask for their results' sum ({@code
 * Abi.SYS_SUM_BACK}): the kernel puts the sum of the request (a1..a6 and the badge) or of the
 * call's reply (a1..a6) it wrote in a0's upper half, and the SDK compares it with the message once
 * it has stored it in memory. A register changed in those few instructions after the system call
 * (kv seed 1862628: a request's word zeroed right after REPLY_RECV returned, so LIST's cursor
 * restarted and listed a key twice; fs seed 1852819) gave the handler another request than the
 * one sent, with no trap; now it is a failed assertion of the request, which txipc undoes and
 * delivers again. Without the sum each run below ends with no fault of the server at all.
 */
class DeliverySumTest {

    /**
     * In {@code server}, at the first instruction after its {@code nth} system call numbered
     * {@code nr} (asking for its results' sum), flips bit {@code bit} of result register {@code
     * reg} (1..6: the message; 7: a request's badge), once.
     */
    static final class AfterReturnFlip implements KernelProbe {
        final String server;
        final long nr;
        final int nth;
        final int reg;
        final int bit;
        int seen;
        long armedAt = -1;
        boolean struck;
        CpuHook hook;

        AfterReturnFlip(String server, long nr, int nth, int reg, int bit) {
            this.server = server;
            this.nr = nr;
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
            int number = Fixtures.numberRegister(cpu);
            hook = cpu.hookInstructions(Abi.LOAD_MIN, Abi.STACK_TOP, (addr, size) -> {
                if (struck) {
                    return;
                }
                if (armedAt >= 0) {
                    if (addr == armedAt + 4) {
                        struck = true;
                        int r = cpu.arch().result(reg);
                        cpu.setReg(r, cpu.reg(r) ^ (1L << bit));
                    }
                    return;
                }
                if (size != 4
                        || (cpu.reg(number) & Abi.SYS_SUM_BACK) == 0
                        || !Fixtures.isSyscallInstruction(cpu, addr)
                        || Fixtures.syscallNumber(cpu) != nr) {
                    return;
                }
                if (++seen == nth) {
                    armedAt = addr;
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}: {1} after its {3}th {2}, register a{4} bit {5}")
    @CsvSource({
        "t_kv_oracle.toml, kv, REPLY_RECV, 40, 2, 0, kv_oracle: ok",
        "t_kv_oracle.toml, kv, REPLY_RECV, 77, 1, 3, kv_oracle: ok",
        "t_kv_oracle.toml, kv, REPLY_RECV, 120, 7, 1, kv_oracle: ok",
        "t_fs_oracle.toml, fs, REPLY_RECV, 50, 6, 2, fs_oracle: ok",
        "t_bank_oracle.toml, bank, REPLY_RECV, 30, 3, 5, bank_oracle: ok",
        "aarch64/t_kv_oracle.toml, kv, REPLY_RECV, 60, 2, 2, kv_oracle: ok",
        "aarch64/t_fs_oracle.toml, fs, REPLY_RECV, 45, 7, 0, fs_oracle: ok",
        "t_callee_check.toml, vput, CALL, 3, 1, 0, vput_client: ok",
        "t_nested_stamp.toml, nest, CALL, 1, 3, 4, nest_stamp: ok",
    })
    void aMessageRegisterChangedBeforeItsStoreIsAFaultOfTheRequestAndIsUndone(
            String image, String server, String call, int nth, int reg, int bit, String ok) throws Exception {
        long nr = call.equals("CALL") ? Abi.SYS_CALL : Abi.SYS_REPLY_RECV;
        AfterReturnFlip probe = new AfterReturnFlip(server, nr, nth, reg, bit);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "the register was flipped: " + run);
        GuestRun.FaultEvent f =
                Fixtures.assertAbortUndone(run, server, ok, "differs from the one the kernel delivered");
        RecoveryOutcome.RolledBack undone = (RecoveryOutcome.RolledBack) f.outcome();
        assertTrue(undone.redelivered(), () -> "delivered again, unseen by its client: " + run);
    }

    @Test
    void theSumCoversEveryMessageWordAndARequestsBadge() {
        long[] a = {0, 3, 7, 8, 9, 10, 16, 0x10002, 0};
        long request = SyscallFrame.summedStatus(a, true);
        long reply = SyscallFrame.summedStatus(a, false);
        assertEquals(0, request & 0xffffffffL, "the status, in the lower half, is OK");
        assertTrue(request < 0 && reply < 0, "bit 63 set: never a status, never a tagged slot");
        assertNotEquals(request, reply);
        for (int i = 1; i <= 7; i++) {
            for (int bit : new int[] {0, 31, 32, 63}) {
                long[] b = a.clone();
                b[i] ^= 1L << bit;
                assertNotEquals(request, SyscallFrame.summedStatus(b, true), "word " + i + " bit " + bit);
                if (i <= 6) {
                    assertNotEquals(reply, SyscallFrame.summedStatus(b, false), "word " + i + " bit " + bit);
                } else {
                    assertEquals(reply, SyscallFrame.summedStatus(b, false), "a reply has no badge");
                }
            }
        }
    }

    @Test
    void onlyIpcCallsTakeTheRequestForASum() {
        long[] a = new long[9];
        SyscallFrame f = new SyscallFrame();
        for (long nr : new long[] {Abi.SYS_CALL, Abi.SYS_RECV, Abi.SYS_REPLY_RECV, Abi.SYS_WAIT_ANY}) {
            a[7] = nr | Abi.SYS_SUM_BACK;
            f.reset(a).takeSum();
            assertEquals(nr, a[7]);
            assertTrue(f.sumBack());
            assertEquals(-1, f.sum());
        }
        a[7] = Abi.SYS_REPLY_RECV | Abi.SYS_SUMMED | Abi.SYS_SUM_BACK | (0x1234abcdL << 32);
        f.reset(a).takeSum();
        assertEquals(Abi.SYS_REPLY_RECV, a[7]);
        assertTrue(f.sumBack());
        assertEquals(0x1234abcdL, f.sum());
        for (long bad : new long[] {
            Abi.SYS_REPLY | Abi.SYS_SUM_BACK,
            Abi.SYS_CLOCK | Abi.SYS_SUM_BACK,
            Abi.SYS_RECV | Abi.SYS_SUMMED | Abi.SYS_SUM_BACK | (5L << 32),
            Abi.SYS_RECV | Abi.SYS_SUM_BACK | (1L << 40),
        }) {
            a[7] = bad;
            f.reset(a).takeSum();
            assertEquals(bad, a[7], "left as it was: no such syscall");
            assertEquals(false, f.sumBack());
        }
    }
}
