package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SDK's memmove checks an overlapping move while the task serves a request (guest/sdk/string.c):
 * a sum of the source taken before the move is compared with one of the destination after it, so
 * a byte stored wrong inside the move (a skipped store or pointer step in copy_fwd / copy_bwd) is
 * a fault of the request, undone by txipc. Before, only moves between ranges that do not overlap
 * were compared, and a sorted array's or a B+tree node's entries shifted by one slot were kept
 * wrong with no trap (an outside B+tree ordered map: seeds 2150227, 2150387 of session 55, a
 * skipped instruction in copy_fwd and copy_bwd; its checksums then differed from its clients').
 * bank_server closes an account by shifting the rest of its sorted {@code by_id[]} down with an
 * overlapping memmove.
 */
class ServingMoveCheckTest {
    /**
     * In the {@code nth} overlapping memmove that {@code task} makes while serving, the first
     * destination byte the move has written (it now holds its source's byte, which differs from
     * what it held before) gets bit 0 flipped, as a store of a wrong byte would leave it: the move
     * writes each destination byte once, so nothing writes it again.
     */
    static final class MovedByteFlip implements KernelProbe {
        final String task;
        final int nth;
        int moves;
        boolean struck;
        long dst;
        byte[] before;
        byte[] source;
        CpuHook hook;

        MovedByteFlip(String task, int nth) {
            this.task = task;
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals(task) || hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            dev.rewind.hw.elf.ElfImage.Symbol f = Fixtures.function(t, "memmove");
            int a0 = cpu.arch() == Arch.RISCV64 ? 10 : 0;
            hook = cpu.hookInstructions(f.address(), f.address() + f.size() - 1, (addr, size) -> {
                if (struck) {
                    return;
                }
                if (addr == f.address()) {
                    long d = cpu.reg(a0), s = cpu.reg(a0 + 1), n = cpu.reg(a0 + 2);
                    boolean overlap = d != s && n > 1 && n < 4096 && d < s + n && s < d + n;
                    if (!overlap || ++moves != nth) {
                        return;
                    }
                    dst = d;
                    before = new byte[(int) n];
                    source = new byte[(int) n];
                    cpu.memory().read(d, before, 0, (int) n);
                    cpu.memory().read(s, source, 0, (int) n);
                    return;
                }
                if (before == null) {
                    return;
                }
                byte[] now = new byte[before.length];
                cpu.memory().read(dst, now, 0, now.length);
                for (int i = 0; i < now.length; i++) {
                    if (now[i] == source[i] && before[i] != source[i]) {
                        byte[] b = {(byte) (now[i] ^ 1)};
                        cpu.memory().write(dst + i, b, 0, 1);
                        struck = true;
                        return;
                    }
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}: the {1}th overlapping move")
    @CsvSource({
        "t_bank_oracle.toml, 1",
        "t_bank_oracle.toml, 3",
        "aarch64/t_bank_oracle.toml, 1",
        "aarch64/t_bank_oracle.toml, 3",
    })
    void aByteStoredWrongInAnOverlappingMoveIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        MovedByteFlip probe = new MovedByteFlip("bank", nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "an overlapping move was struck: " + run);
        Fixtures.assertAbortUndone(run, "bank", "bank_oracle: ok", "a move differs from its source");
    }
}
