package dev.rewind.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rewind.hw.cpu.Arch;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The side-by-side benchmark's programs (guest/bench/) and its parsing; QEMU only in the slow test. */
class QemuBenchTest {
    /** Two programs under Rewind on each architecture: they run, pass their self-check and time their kernel. */
    @ParameterizedTest
    @EnumSource(Arch.class)
    void benchProgramsPassTheirSelfCheckUnderRewind(Arch arch) throws Exception {
        for (String name : List.of("crc", "fsm")) {
            QemuBench.Result r = QemuBench.runRewind(arch, name);
            assertEquals(name, r.name());
            assertTrue(r.nanos() > 0, r::toString);
            assertTrue(r.checksum().matches("0x[0-9a-f]{16}"), r::toString);
        }
    }

    /**
     * Every program has a QEMU build of each architecture in the jar, an ELF of that machine
     * entered at the start of its virt board's image (RISC-V 0x80000000, AArch64 0x40100000).
     */
    @ParameterizedTest
    @EnumSource(Arch.class)
    void qemuBuildsArePackaged(Arch arch) throws Exception {
        QemuBench.Target t = QemuBench.target(arch);
        for (String name : QemuBench.PROGRAMS) {
            try (InputStream in =
                    QemuBench.class.getClassLoader().getResourceAsStream(t.resources() + "bench_" + name + ".elf")) {
                assertNotNull(in, t.resources() + name);
                byte[] elf = in.readAllBytes();
                assertEquals(0x7f, elf[0]);
                assertEquals(arch.elfMachine(), (elf[18] & 0xff) | (elf[19] & 0xff) << 8, "e_machine");
                long entry = java.nio.ByteBuffer.wrap(elf, 24, 8)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .getLong();
                assertEquals(arch == Arch.RISCV64 ? 0x80000000L : 0x40100000L, entry, name);
            }
        }
    }

    /**
     * In every QEMU build no page holds both code and data the program writes: QEMU watches the
     * pages it translated code from, and each store to one of them goes through its slow path and
     * invalidates that page's code, so a hot global on the last page of .text made QEMU's side of
     * the comparison many times slower (an outside program: 7.8 s against 0.65 s). The bench's
     * link.ld asked for it with an ALIGN(4096) between sections, which ld ignores for sections
     * placed in a memory region; .data now aligns itself.
     */
    @ParameterizedTest
    @EnumSource(Arch.class)
    void qemuBuildsKeepWritableDataOffCodePages(Arch arch) throws Exception {
        QemuBench.Target t = QemuBench.target(arch);
        for (String name : QemuBench.PROGRAMS) {
            byte[] elf;
            try (InputStream in =
                    QemuBench.class.getClassLoader().getResourceAsStream(t.resources() + "bench_" + name + ".elf")) {
                assertNotNull(in, t.resources() + name);
                elf = in.readAllBytes();
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(elf).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            long shoff = b.getLong(0x28);
            int shentsize = b.getShort(0x3a) & 0xffff, shnum = b.getShort(0x3c) & 0xffff;
            java.util.Set<Long> codePages = new java.util.TreeSet<>(), dataPages = new java.util.TreeSet<>();
            for (int i = 0; i < shnum; i++) {
                int h = (int) shoff + i * shentsize;
                long flags = b.getLong(h + 8), addr = b.getLong(h + 16), size = b.getLong(h + 32);
                boolean alloc = (flags & 2) != 0, write = (flags & 1) != 0, exec = (flags & 4) != 0;
                if (!alloc || size == 0 || !(write || exec)) continue;
                for (long p = addr >>> 12; p <= (addr + size - 1) >>> 12; p++) (exec ? codePages : dataPages).add(p);
            }
            assertTrue(!codePages.isEmpty() && !dataPages.isEmpty(), name);
            codePages.retainAll(dataPages);
            assertTrue(
                    codePages.isEmpty(),
                    () -> arch + " bench_" + name + ": pages with code and writable data: "
                            + codePages.stream()
                                    .map(p -> "0x" + Long.toHexString(p << 12))
                                    .toList());
        }
    }

    @Test
    void resultLinesAreParsedAndFailuresRefused() {
        QemuBench.Result r = QemuBench.parse("sort", "x\nbench: sort ns=1234 checksum=0x00000000000000ff ok\n");
        assertEquals(1234, r.nanos());
        assertEquals("0x00000000000000ff", r.checksum());
        IllegalStateException fail = assertThrows(
                IllegalStateException.class,
                () -> QemuBench.parse(
                        "sort", "bench: sort ns=1 checksum=0x0000000000000001 FAIL expected=0x0000000000000002\n"));
        assertTrue(fail.getMessage().contains("self-check"), fail.getMessage());
        assertThrows(IllegalStateException.class, () -> QemuBench.parse("sort", "nothing\n"));
        assertThrows(IllegalStateException.class, () -> QemuBench.parse("hash", "bench: sort ns=1 checksum=0x1 ok\n"));
    }

    /** The whole comparison on two programs, one round (needs the architecture's QEMU: slow suite only). */
    @ParameterizedTest
    @EnumSource(Arch.class)
    @Tag("slow")
    void sideBySideUnderQemu(Arch arch) throws Exception {
        QemuBench.Target t = QemuBench.target(arch);
        assumeTrue(QemuBench.findQemu(t) != null, t.binary() + " not installed");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QemuBench.run(1, List.of("crc", "list"), List.of(arch), new PrintStream(out, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("qemu:    " + arch.id() + ": " + t.binary() + " -machine virt "), text);
        assertTrue(text.contains("engine: unicorn "), text);
        assertTrue(text.matches("(?s).*qemu: +crc +[0-9.]+ +[0-9.]+ +[0-9.]+ +0x[0-9a-f]{16}\n.*"), text);
        assertTrue(
                text.matches("(?s).*geometric mean of the ratios \\(Rewind / QEMU\\): [0-9.]+ over 2 programs\n"),
                text);
    }
}
