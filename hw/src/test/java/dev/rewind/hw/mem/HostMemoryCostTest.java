package dev.rewind.hw.mem;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.RiscvCpu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Host memory is committed only where guests (or the loader) touch it: allocating frames
 * writes nothing, freed frames go back to the host, and an engine does not cost a huge page.
 * Measured as resident-set growth with wide margins (the effects are tens of MiB).
 */
class HostMemoryCostTest {
    private static final long MIB = 1 << 20;

    static long rss() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void allocatingFramesTouchesNoHostMemoryAndFreeingGivesItBack() throws Exception {
        try (PhysicalMemory ram = new PhysicalMemory(128 * MIB)) {
            long before = rss();
            long p = ram.allocate((int) (96 * MIB / PhysicalMemory.PAGE_SIZE));
            long allocated = rss();
            assertTrue(
                    allocated - before < 16 * MIB,
                    "allocating 96 MiB of frames grew the RSS by " + (allocated - before) / MIB + " MiB");
            for (long a = p; a < p + 96 * MIB; a += PhysicalMemory.PAGE_SIZE) {
                ram.buffer().put((int) a, (byte) 1);
            }
            long touched = rss();
            assertTrue(touched - before > 64 * MIB, "the test touches the frames");
            ram.free(p, (int) (96 * MIB / PhysicalMemory.PAGE_SIZE));
            long freed = rss();
            assertTrue(
                    touched - freed > 64 * MIB,
                    "freeing 96 MiB of touched frames gave back only " + (touched - freed) / MIB + " MiB");
        }
    }

    @Test
    void anEngineCostsLessThanAMebibyte() throws Exception {
        try (PhysicalMemory ram = new PhysicalMemory(64 * MIB)) {
            new RiscvCpu(ram).close(); // one-time costs
            int n = 32;
            List<RiscvCpu> cpus = new ArrayList<>();
            long before = rss();
            for (int i = 0; i < n; i++) {
                RiscvCpu c = new RiscvCpu(ram);
                cpus.add(c);
                c.memory().map("code", 0x10000, 4096, Perm.RX);
                c.memory().write(0x10000, new byte[] {0x73, 0, 0, 0}, 0, 4, Perm.NONE); // ecall
                c.run(0x10000);
            }
            long each = (rss() - before) / n;
            cpus.forEach(RiscvCpu::close);
            // 2.7 MiB with the translation buffer's first store taking a 2 MiB huge page
            assertTrue(each < MIB, "an engine that ran costs " + each / 1024 + " KiB");
        }
    }
}
