package dev.rewind.hw.dev;

import dev.rewind.hw.cpu.Aarch64Cpu;
import dev.rewind.hw.cpu.UnicornCpu;
import dev.rewind.hw.mem.PhysicalMemory;

/**
 * {@link DeviceAccessTest}'s cases on AArch64: every width and offset of a load (LDURB, LDURH,
 * LDUR W, LDUR X) and a store (STURB, STURH, STUR W, STUR X) on a device's registers. The CPU
 * splits its accesses otherwise than RISC-V's; the device must see the same whole accesses (the
 * native access log of Device.mapInto) and answer by the same rules.
 */
class Aarch64DeviceAccessTest extends DeviceAccessTest {
    static final int X0 = 0, X1 = 1;

    @Override
    UnicornCpu newCpu(PhysicalMemory ram) {
        return new Aarch64Cpu(ram);
    }

    @Override
    int baseReg() {
        return X0;
    }

    @Override
    int valueReg() {
        return X1;
    }

    @Override
    int syscall() {
        return 0xd4000001; // svc #0
    }

    /** The size field (bits 31..30) of a load/store with an unscaled 9-bit offset. */
    private static int sizeBits(int size) {
        return Integer.numberOfTrailingZeros(size) << 30;
    }

    @Override
    int loadInsn(int size, int off) {
        // LDUR{B,H,,} Wt/Xt, [Xn, #off]: zero-extending, any offset in -256..255
        return 0x38400000 | sizeBits(size) | (off & 0x1ff) << 12 | X0 << 5 | X1;
    }

    @Override
    int storeInsn(int size, int off) {
        // STUR{B,H,,} Wt/Xt, [Xn, #off]
        return 0x38000000 | sizeBits(size) | (off & 0x1ff) << 12 | X0 << 5 | X1;
    }
}
