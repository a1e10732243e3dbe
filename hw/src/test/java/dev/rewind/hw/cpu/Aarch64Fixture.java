package dev.rewind.hw.cpu;

import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.PhysicalMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * An AArch64 CPU on 1 MiB of RAM with a code page at {@link #CODE} (R+X) and a data page at
 * {@link #DATA} (R+W), as {@link CpuFixture} is for RISC-V.
 */
abstract class Aarch64Fixture {
    static final long CODE = 0x10000;
    static final long DATA = 0x20000;
    static final int SVC = 0xd4000001; // svc #0

    PhysicalMemory ram;
    Aarch64Cpu cpu;

    @BeforeEach
    void setUp() {
        ram = new PhysicalMemory(1 << 20);
        cpu = new Aarch64Cpu(ram);
        cpu.memory().map("code", CODE, 0x1000, Perm.RX);
        cpu.memory().map("data", DATA, 0x1000, Perm.RW);
    }

    @AfterEach
    void tearDown() {
        cpu.close();
        ram.close();
    }

    /** Put {@code insns} at {@link #CODE} and drop what the engine translated there. */
    void code(int... insns) {
        ByteBuffer b = ByteBuffer.allocate(insns.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : insns) {
            b.putInt(i);
        }
        cpu.memory().write(CODE, b.array(), 0, b.capacity(), Perm.NONE);
        cpu.dropTranslations(CODE, CODE + 0x1000);
    }
}
