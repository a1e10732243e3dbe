package dev.rewind.tools;

import static dev.rewind.tools.Fixtures.rewind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.elf.DwarfLines;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.tools.CliRun.Result;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** `rewind boot` shows each fault once, on one line, naming the faulting instruction, and guest text cannot forge lines. */
class FaultLineTest {
    static List<String> faultLines(Result r) {
        return Arrays.stream(r.err().split("\n"))
                .filter(l -> l.contains("faulted"))
                .toList();
    }

    @Test
    void eachFaultIsOneLineAtTheDefaultLogLevel() {
        Result r = rewind("boot", "builtin:t_fpc_deref_warm.elf");
        assertEquals(1, r.status(), r::toString);
        List<String> lines = faultLines(r);
        assertEquals(1, lines.size(), r::toString);
        assertTrue(
                lines.get(0)
                        .matches("rewind: task t_fpc_deref_warm \\(generation \\d+\\) faulted: read of unmapped memory"
                                + " at address 0x50000000, pc 0x[0-9a-f]+ \\(deref at tests/fault_pc.c:\\d+\\); .*"),
                r::toString);

        Result debug = rewind("boot", "--log-level", "debug", "builtin:t_fpc_deref_warm.elf");
        assertEquals(2, faultLines(debug).size(), "the kernel's own line comes back at debug: " + debug);
    }

    @Test
    void quietLeavesOutTheSummaryButNotTheFaultLine() {
        Result r = rewind("boot", "-q", "builtin:t_fpc_deref_warm.elf");
        assertEquals(1, r.status(), r::toString);
        List<String> lines = faultLines(r);
        assertEquals(1, lines.size(), r::toString);
        assertTrue(lines.get(0).startsWith("rewind: task t_fpc_deref_warm (generation 1) faulted: "), r::toString);
        assertFalse(r.err().contains("WARN"), r::toString);
        assertFalse(r.err().lines().anyMatch(l -> l.startsWith("rewind: t_fpc_deref_warm: ")), "no summary: " + r);
    }

    /** The line of guest/tests/fault.c that holds {@code text}, 1-based. */
    static int sourceLine(String text) throws Exception {
        return sourceLine("fault.c", text);
    }

    /** The line of guest/tests/{@code file} that holds {@code text}, 1-based. */
    static int sourceLine(String file, String text) throws Exception {
        List<String> src = Files.readAllLines(Fixtures.projectRoot().resolve("guest/tests/" + file));
        int n = 0;
        for (int i = 0; i < src.size(); i++) {
            if (src.get(i).contains(text)) {
                n = i + 1;
            }
        }
        assertTrue(n > 0, text);
        return n;
    }

    /**
     * The fault line names the source line of the faulting instruction after its function, from
     * the image's DWARF line table (as addr2line gives it): a C programmer's first question. Not
     * for an abort, whose pc is inside the SDK (the assertion's message names its line).
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void theFaultingSourceLineFollowsTheFaultLine(String arch) throws Exception {
        Result r = rewind("boot", "builtin:" + arch + "t_fault_read.elf");
        assertEquals(1, r.status(), r::toString);
        int line = sourceLine("fault_sink = *RW_OPAQUE((volatile uint64_t *)WILD_ADDR);");
        assertTrue(
                r.err()
                        .lines()
                        .anyMatch(
                                l -> l.matches("rewind: task t_fault_read \\(generation 1\\) faulted: read of unmapped"
                                        + " memory at address 0x[0-9a-f]+, pc 0x[0-9a-f]+ \\(main\\+0x[0-9a-f]+ at tests/fault.c:"
                                        + line + "\\); task stopped \\(recovery policy none\\)")),
                r::toString);

        Result abort = rewind("boot", "builtin:" + arch + "t_fault_abort.elf");
        assertEquals(1, abort.status(), abort::toString);
        assertTrue(
                abort.err().contains("tests/fault.c:" + sourceLine("RW_ASSERT(1 == 2);") + ": assertion"),
                abort::toString);
        assertFalse(abort.err().contains("+0x") && abort.err().contains(" at tests/"), abort::toString);
    }

    /**
     * Where several rows of the line table start at the faulting instruction (at -O2 the load of
     * a one-line function shares its address with the rows of its opening line, its statement
     * and its closing brace), the fault line names the statement, the line gdb shows at that pc
     * (the last row marked is_stmt), not the closing brace that addr2line names (the last row).
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aFaultNamesTheStatementLineAsGdbDoesNotTheClosingBrace(String arch) throws Exception {
        Result r = rewind("boot", "builtin:" + arch + "t_fault_line.elf");
        assertEquals(1, r.status(), r::toString);
        int line = sourceLine("fault_line.c", "return n->val; /* the faulting load */");
        assertTrue(
                faultLines(r)
                        .get(0)
                        .matches(".* faulted: read of unmapped memory at address 0x0, pc 0x[0-9a-f]+ \\(deref at"
                                + " tests/fault_line.c:" + line + "\\); task stopped .*"),
                r::toString);
        // (the end-of-run summary names it too: it showed only deref+0x0)
        assertTrue(
                r.err().contains("(died: read of unmapped memory at address 0x0, pc ")
                        && r.err().contains("(deref at tests/fault_line.c:" + line + "))"),
                r::toString);

        ElfImage image = ElfImage.parse(Fixtures.builtinBytes(arch + "t_fault_line.elf"), "t_fault_line.elf");
        long deref = image.symbol("deref").orElseThrow();
        assertEquals(
                Optional.of("tests/fault_line.c:" + line),
                image.sourceLine(deref),
                "the load is deref's first instruction");
    }

    /**
     * A fetch from where no code is (a call through a bad function pointer: here into the data
     * segment) names the return address, the call's function and line: pc alone says nothing.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void aCallToNoCodeNamesItsCaller(String arch) throws Exception {
        Result r = rewind("boot", "builtin:" + arch + "t_fault_exec.elf");
        assertEquals(1, r.status(), r::toString);
        int line = sourceLine("fn();");
        assertTrue(
                faultLines(r)
                        .get(0)
                        .matches(".* faulted: instruction fetch from non-executable memory at address 0x[0-9a-f]+, pc"
                                + " 0x[0-9a-f]+ \\(data_code\\): return address 0x[0-9a-f]+ \\(main\\+0x[0-9a-f]+ at"
                                + " tests/fault.c:" + line + "\\); task stopped .*"),
                r::toString);
    }

    /** A damaged line table means no lines or wrong ones, never an exception. */
    @Test
    void aDamagedLineTableNeverThrows() throws Exception {
        byte[] elf = Fixtures.builtinBytes("t_fault_read.elf");
        ElfImage image = ElfImage.parse(elf, "t_fault_read.elf");
        long main = image.symbol("main").orElseThrow();
        assertEquals(Optional.of("tests/fault.c"), image.sourceLine(main).map(l -> l.replaceFirst(":\\d+$", "")));
        assertEquals(
                Optional.empty(), image.sourceLine(0), "no line outside the text: a discarded function's start at 0");
        Random rnd = new Random(7);
        for (int i = 0; i < 3000; i++) {
            byte[] bad = elf.clone();
            int flips = 1 + rnd.nextInt(8);
            for (int f = 0; f < flips; f++) {
                // mostly in the section data past the loadable segments, where .debug_* lie
                int at = rnd.nextInt(4) == 0
                        ? rnd.nextInt(bad.length)
                        : bad.length / 3 + rnd.nextInt(bad.length * 2 / 3);
                bad[at] = (byte) rnd.nextInt(256);
            }
            if (rnd.nextInt(10) == 0) {
                bad = Arrays.copyOf(bad, rnd.nextInt(bad.length));
            }
            DwarfLines lines = DwarfLines.parse(bad);
            for (long pc = main; pc < main + 64; pc += 2) {
                lines.lineOf(pc);
            }
            lines.lineOf(-1L);
        }
    }

    @Test
    void anAbortMessageCannotForgeLines() {
        Result r = rewind("boot", "builtin:t_fpc_abort_esc.elf");
        assertEquals(1, r.status(), r::toString);
        assertFalse(r.err().contains("\u001b"), r::toString);
        assertFalse(r.err().contains("\u0007"), r::toString);
        assertFalse(r.err().lines().anyMatch(l -> l.startsWith("rewind: task forged")), r::toString);
        assertTrue(r.err().contains("\\e]0;t\\x07bad\\n\\e[2Jrewind: task forged\\x07\\xff end"), r::toString);
    }
}
