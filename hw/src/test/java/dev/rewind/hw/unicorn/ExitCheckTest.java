package dev.rewind.hw.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The engine's code is recognised byte for byte, or the exit checks stay on (Unicorn.ExitCheck). */
class ExitCheckTest {
    @Test
    void theFlagsOffsetIsReadOnlyFromExactlyTheExpectedCode() {
        byte[] code = Arrays.copyOf(Unicorn.ExitCheck.RISCV64_2_1_4, 64);
        assertEquals(0x7f2, Unicorn.ExitCheck.parse(code));
        for (int i = 0; i < Unicorn.ExitCheck.RISCV64_2_1_4.length; i++) {
            byte[] other = code.clone();
            other[i] ^= 0x01;
            assertEquals(-1, Unicorn.ExitCheck.parse(other), "byte " + i + " changed");
        }
        assertEquals(-1, Unicorn.ExitCheck.parse(Arrays.copyOf(code, Unicorn.ExitCheck.RISCV64_2_1_4.length - 1)));
    }

    @Test
    void aarch64sCodeDiffersOnlyInTheLoadOfTcgCtxUc() {
        byte[] a = Unicorn.ExitCheck.AARCH64_2_1_4;
        assertEquals(0x7f2, Unicorn.ExitCheck.parse(Arrays.copyOf(a, 64), a));
        assertEquals(-1, Unicorn.ExitCheck.parse(Arrays.copyOf(a, 64)), "not check_exit_request_riscv64's code");
        assertEquals(-1, Unicorn.ExitCheck.parse(Arrays.copyOf(Unicorn.ExitCheck.RISCV64_2_1_4, 64), a));
        int differ = 0;
        for (int i = 0; i < a.length; i++) {
            differ += a[i] != Unicorn.ExitCheck.RISCV64_2_1_4[i] ? 1 : 0;
        }
        assertEquals(1, differ, "mov 0xa970(%rdi),%rsi instead of 0x8970");
    }

    @Test
    void debians214IsRecognisedForBothArchitectures() {
        assumeTrue(Unicorn.version().startsWith("2.1.4")
                && Unicorn.hasVirtualTlb()
                && System.getProperty("os.arch").matches("amd64|x86_64")
                && !"on".equals(System.getProperty("rewind.exitChecks")));
        assertEquals(0x7f2, Unicorn.ExitCheck.offset(Unicorn.ARCH_RISCV));
        assertEquals(0x7f2, Unicorn.ExitCheck.offset(Unicorn.ARCH_ARM64));
    }

    /** The words of {@code insns}, little-endian, after {@code pad} bytes. */
    private static byte[] words(int pad, int... insns) {
        java.nio.ByteBuffer b =
                java.nio.ByteBuffer.allocate(pad + 4 * insns.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.position(pad);
        for (int w : insns) {
            b.putInt(w);
        }
        return b.array();
    }

    @Test
    void onlyAnAlignedMsrToARegisterEl0DoesNotOwnIsRefusable() {
        int nop = 0xd503201f;
        assertFalse(
                Unicorn.hasRefusableMsr(words(0, nop, 0xd51b4200, 0xd51bd040, 0xd51b4400), 16),
                "nzcv, tpidr_el0, fpcr");
        assertTrue(Unicorn.hasRefusableMsr(words(0, nop, 0xd5181021), 8), "actlr_el1 (op0 3, op1 0)");
        assertTrue(Unicorn.hasRefusableMsr(words(0, 0xd5101000), 4), "op0 2 (debug registers)");
        assertTrue(Unicorn.hasRefusableMsr(words(0, 0xd51c4000), 4), "spsr_el2 (op1 4)");
        assertFalse(Unicorn.hasRefusableMsr(words(0, 0xd5381021), 4), "mrs: a read");
        assertFalse(Unicorn.hasRefusableMsr(words(0, 0xd5087e20), 4), "sys (dc civac): op0 1");
        assertFalse(Unicorn.hasRefusableMsr(words(2, 0xd5181021), 6), "not at a multiple of 4");
        assertFalse(Unicorn.hasRefusableMsr(words(0, nop, 0xd5181021), 7), "past n");
    }
}
