package dev.rewind.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The side-by-side benchmark's programs (guest/bench/) and its parsing; QEMU only in the slow test. */
class QemuBenchTest {
    /** Two programs under Rewind: they run, pass their self-check and time their kernel. */
    @Test
    void benchProgramsPassTheirSelfCheckUnderRewind() throws Exception {
        for (String name : List.of("crc", "fsm")) {
            QemuBench.Result r = QemuBench.runRewind(name);
            assertEquals(name, r.name());
            assertTrue(r.nanos() > 0, r::toString);
            assertTrue(r.checksum().matches("0x[0-9a-f]{16}"), r::toString);
        }
    }

    /** Every program has a QEMU build in the jar, and it is a RISC-V ELF linked at 0x80000000. */
    @Test
    void qemuBuildsArePackaged() throws Exception {
        for (String name : QemuBench.PROGRAMS) {
            try (InputStream in =
                    QemuBench.class.getClassLoader().getResourceAsStream("rewind/qemu/bench_" + name + ".elf")) {
                assertNotNull(in, name);
                byte[] elf = in.readAllBytes();
                assertEquals(0x7f, elf[0]);
                assertEquals(243, (elf[18] & 0xff) | (elf[19] & 0xff) << 8, "EM_RISCV");
                long entry = java.nio.ByteBuffer.wrap(elf, 24, 8)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .getLong();
                assertEquals(0x80000000L, entry, name);
            }
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

    /** The whole comparison on two programs, one round (needs qemu-system-riscv64: slow suite only). */
    @Test
    @Tag("slow")
    void sideBySideUnderQemu() throws Exception {
        assumeTrue(QemuBench.findQemu() != null, "qemu-system-riscv64 not installed");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        QemuBench.run(1, List.of("crc", "list"), new PrintStream(out, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("engine: unicorn "), text);
        assertTrue(text.matches("(?s).*qemu: +crc +[0-9.]+ +[0-9.]+ +[0-9.]+ +0x[0-9a-f]{16}\n.*"), text);
        assertTrue(
                text.matches("(?s).*geometric mean of the ratios \\(Rewind / QEMU\\): [0-9.]+ over 2 programs\n"),
                text);
    }
}
