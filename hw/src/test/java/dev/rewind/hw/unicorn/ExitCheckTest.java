package dev.rewind.hw.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
