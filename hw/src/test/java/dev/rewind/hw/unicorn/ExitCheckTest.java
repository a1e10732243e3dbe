package dev.rewind.hw.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
