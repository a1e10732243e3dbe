package dev.rewind.hw.cpu;

import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.PhysicalMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A CPU on 1 MiB of RAM with a code page at {@link #CODE} (R+X) and a data page at {@link #DATA} (R+W). */
abstract class CpuFixture {
    static final long CODE = 0x10000;
    static final long DATA = 0x20000;

    PhysicalMemory ram;
    RiscvCpu cpu;

    @BeforeEach
    void setUp() {
        ram = new PhysicalMemory(1 << 20);
        cpu = new RiscvCpu(ram);
        cpu.memory().map("code", CODE, 0x1000, Perm.RX);
        cpu.memory().map("data", DATA, 0x1000, Perm.RW);
    }

    /**
     * Replace the CPU by one with QEMU's own TLB fill, for tests of the guest's own MMU (satp
     * paging, PMP): the virtual TLB serves every fill from the address space and ignores them.
     */
    void useGuestMmu() {
        cpu.close();
        String old = System.getProperty(RiscvCpu.TLB_PROPERTY);
        System.setProperty(RiscvCpu.TLB_PROPERTY, "cpu");
        try {
            cpu = new RiscvCpu(ram);
        } finally {
            if (old == null) {
                System.clearProperty(RiscvCpu.TLB_PROPERTY);
            } else {
                System.setProperty(RiscvCpu.TLB_PROPERTY, old);
            }
        }
        cpu.memory().map("code", CODE, 0x1000, Perm.RX);
        cpu.memory().map("data", DATA, 0x1000, Perm.RW);
    }

    @AfterEach
    void tearDown() {
        cpu.close();
        ram.close();
    }
}
