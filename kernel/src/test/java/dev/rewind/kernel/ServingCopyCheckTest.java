package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SDK's memcpy and memset compare what they wrote while the task serves a request
 * (guest/sdk/string.c): a byte stored wrong inside the copy (a skipped load, a flipped data
 * register in its loop) is then a fault of the request, undone by txipc, where before the
 * server kept and answered the wrong byte with no trap (an outside bank server's account names:
 * seeds 2082003, 2082019, 2082211 of session 54, a skipped instruction in memcpy's byte loop).
 */
class ServingCopyCheckTest {
    /**
     * The {@code nth} byte store that {@code function} makes while {@code task} serves a request
     * stores its byte with bit 0 flipped: the data register of the store (RISC-V {@code sb}, AArch64
     * {@code strb}) is changed just before it runs.
     */
    static final class ByteStoreFlip implements KernelProbe {
        final String task;
        final String function;
        final int nth;
        int stores;
        boolean struck;
        CpuHook hook;

        ByteStoreFlip(String task, String function, int nth) {
            this.task = task;
            this.function = function;
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals(task) || hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            dev.rewind.hw.elf.ElfImage.Symbol f = Fixtures.function(t, function);
            byte[] b = new byte[4];
            hook = cpu.hookInstructions(f.address(), f.address() + f.size() - 1, (addr, size) -> {
                if (struck || size != 4 || !cpu.memory().read(addr, b, 0, 4)) {
                    return;
                }
                int insn = (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
                int data = byteStoreData(cpu.arch(), insn);
                if (data < 0 || ++stores < nth) {
                    return;
                }
                struck = true;
                cpu.setReg(data, cpu.reg(data) ^ 1);
            });
            cpu.dropCodeTranslations();
        }

        /** The register {@code insn} stores a byte from, or -1 if it is no byte store. */
        static int byteStoreData(Arch arch, int insn) {
            if (arch == Arch.RISCV64) {
                return (insn & 0x707f) == 0x0023 ? (insn >>> 20) & 31 : -1; // sb rs2, imm(rs1)
            }
            boolean strb = (insn & 0xffc00000) == 0x39000000 // strb wt, [xn, #imm]
                    || (insn & 0xffe00400) == 0x38000400 // strb wt, [xn], #imm / [xn, #imm]!
                    || (insn & 0xffe00c00) == 0x38200800; // strb wt, [xn, xm]
            int rt = insn & 31;
            return strb && rt != 31 ? rt : -1;
        }
    }

    @ParameterizedTest(name = "{0}: the {2}th byte {1} stores")
    @CsvSource({
        "t_bank_oracle.toml, memcpy, 40",
        "t_bank_oracle.toml, memcpy, 400",
        "aarch64/t_bank_oracle.toml, memcpy, 40",
        "aarch64/t_bank_oracle.toml, memcpy, 400",
    })
    void aByteStoredWrongInACopyIsAFaultOfItsRequestAndIsUndone(String image, String function, int nth)
            throws Exception {
        ByteStoreFlip probe = new ByteStoreFlip("bank", function, nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a byte store was struck: " + run);
        Fixtures.assertAbortUndone(run, "bank", "bank_oracle: ok", "a copy differs from its source");
    }
}
