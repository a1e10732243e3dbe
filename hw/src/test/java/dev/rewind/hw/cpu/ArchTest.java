package dev.rewind.hw.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * What the fault injector learns of an instruction set through {@link Arch}: the registers it
 * may corrupt, instruction lengths, a jump to itself, and the base register of a load or store
 * (encodings from the GNU assemblers).
 */
class ArchTest {
    @Test
    void everyGeneralRegisterButAHardWiredZeroMayBeCorrupted() {
        int[] rv = Arch.RISCV64.corruptibleRegisters();
        assertEquals(31, rv.length);
        assertEquals(1, rv[0]);
        assertEquals(31, rv[30]);
        int[] arm = Arch.AARCH64.corruptibleRegisters();
        assertEquals(32, arm.length); // x0..x30 and sp
        assertEquals(0, arm[0]);
        assertEquals(Arch.AARCH64.sp(), arm[31]);
        assertEquals("sp", Arch.AARCH64.numberedName(31));
        assertEquals("x30", Arch.AARCH64.numberedName(30));
        assertEquals("x2", Arch.RISCV64.numberedName(2));
    }

    @Test
    void instructionLengthsAndJumpsToSelf() {
        assertEquals(2, Arch.RISCV64.instructionLength(0x4488)); // c.lw
        assertEquals(4, Arch.RISCV64.instructionLength(0xa503)); // lw (low half)
        assertEquals(4, Arch.AARCH64.instructionLength(0x4488));
        assertArrayEquals(new byte[] {0x01, (byte) 0xa0}, Arch.RISCV64.jumpToSelf(2)); // c.j .
        assertArrayEquals(new byte[] {0x6f, 0, 0, 0}, Arch.RISCV64.jumpToSelf(4)); // j .
        assertArrayEquals(new byte[] {0, 0, 0, 0x14}, Arch.AARCH64.jumpToSelf(4)); // b . = 0x14000000
    }

    @Test
    void theBaseRegisterOfARiscVLoadOrStore() {
        Arch a = Arch.RISCV64;
        assertEquals(9, a.loadStoreBase(0x0084a503)); // lw a0, 8(s1)
        assertEquals(2, a.loadStoreBase(0x00113423)); // sd ra, 8(sp)
        assertEquals(8, a.loadStoreBase(0x01043507)); // fld fa0, 16(s0)
        assertEquals(12, a.loadStoreBase(0x00b6252f)); // amoadd.w a0, a1, (a2)
        assertEquals(11, a.loadStoreBase(0x4188)); // c.lw a0, 0(a1)
        assertEquals(8, a.loadStoreBase(0x2808)); // c.fld fa0, 16(s0)
        assertEquals(2, a.loadStoreBase(0xe406)); // c.sdsp ra, 8(sp)
        assertEquals(-1, a.loadStoreBase(0x00002503)); // lw a0, 0(zero): no base register
        assertEquals(-1, a.loadStoreBase(0x00150513)); // addi
        assertEquals(-1, a.loadStoreBase(0x0505)); // c.addi
    }

    @Test
    void theBaseRegisterOfAnAarch64LoadOrStoreIsRn() {
        Arch a = Arch.AARCH64;
        assertEquals(1, a.loadStoreBase(0xf9400020)); // ldr x0, [x1]
        assertEquals(3, a.loadStoreBase(0x38646862)); // ldrb w2, [x3, x4]
        assertEquals(5, a.loadStoreBase(0xa9bf08a1)); // stp x1, x2, [x5, #-16]!
        assertEquals(2, a.loadStoreBase(0xc85f7c40)); // ldxr x0, [x2]
        assertEquals(7, a.loadStoreBase(0xf82100e2)); // ldadd x1, x2, [x7]
        assertEquals(9, a.loadStoreBase(0x3d800920)); // str q0, [x9, #32]
        assertEquals(10, a.loadStoreBase(0xb85fc143)); // ldur w3, [x10, #-4]
        assertEquals(31, a.loadStoreBase(0xf94007e3)); // ldr x3, [sp, #8]: sp's slot
        assertEquals(-1, a.loadStoreBase(0x58000020)); // ldr x0, literal: PC-relative
        assertEquals(-1, a.loadStoreBase(0xf9800160)); // prfm: no access
        assertEquals(-1, a.loadStoreBase(0x910003fd)); // mov x29, sp
        assertEquals(-1, a.loadStoreBase(0xd4000001)); // svc #0
        assertEquals(-1, a.loadStoreBase(0x14000000)); // b .
    }
}
