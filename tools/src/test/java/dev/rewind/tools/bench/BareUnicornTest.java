package dev.rewind.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.tools.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The bench's bare-engine baseline on each architecture: traps, and a guest function called directly. */
class BareUnicornTest {
    @ParameterizedTest
    @EnumSource(Arch.class)
    void trapsAndACalledBenchFunctionReturnOnEachArchitecture(Arch arch) throws Exception {
        assertEquals("aarch64/t_ipcbench.toml", BenchCommand.image(Arch.AARCH64, "t_ipcbench.toml"));
        assertEquals("t_ipcbench.toml", BenchCommand.image(Arch.RISCV64, "t_ipcbench.toml"));
        String elf = BenchCommand.image(arch, "bench_compute.elf");
        ElfImage image = ElfImage.parse(Fixtures.builtinBytes(elf), elf);
        assertEquals(arch.elfMachine(), image.machine());
        try (BareUnicorn b = new BareUnicorn(arch)) {
            b.load(image);
            long fn = image.symbol("compute_loop").orElseThrow();
            // call() throws unless the function returned to the pad's trap
            long gp = image.symbol("__global_pointer$").orElse(0);
            assertTrue(b.call(fn, 1_000, gp) > 0);
            assertTrue(b.call(fn, 100_000, gp) > 0, "a second call runs from the same state");
        }
        try (BareUnicorn b = new BareUnicorn(arch)) {
            assertTrue(b.ecallNanos(1_000) > 0); // throws unless each run ended in the trap
        }
        assertTrue(BareUnicorn.pingPongNanos(arch, 1_000) > 0);
    }
}
