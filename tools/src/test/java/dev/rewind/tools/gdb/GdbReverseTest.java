package dev.rewind.tools.gdb;

import static dev.rewind.tools.gdb.GdbIntegrationTest.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.tools.gdb.GdbIntegrationTest.Booted;
import dev.rewind.tools.gdb.GdbIntegrationTest.Gdb;
import dev.rewind.tools.gdb.GdbIntegrationTest.Mode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Reverse execution as users meet it: gdb-multiarch's reverse-stepi, reverse-continue,
 * reverse-next and reverse-finish against {@code revtest.elf} (guest/tests/revtest.c), then
 * forward again, and the instruction window; each with tasks as threads and as inferiors.
 * Skipped when gdb-multiarch is not installed.
 */
class GdbReverseTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void findGdb() {
        GdbIntegrationTest.findGdb();
    }

    @AfterEach
    void killSystems() {
        for (Booted b : GdbIntegrationTest.BOOTED) {
            b.close();
        }
        GdbIntegrationTest.BOOTED.clear();
    }

    private String run(Mode mode, String... commands) throws Exception {
        return run(mode, null, commands);
    }

    /** revtest under gdb; {@code window}: as {@code rewind boot --gdb-reverse-window}, or null. */
    private String run(Mode mode, Long window, String... commands) throws Exception {
        return runOn("", "set architecture riscv:rv64", mode, window, commands);
    }

    /**
     * As {@link #run(Mode, Long, String...)}, on the image {@code prefix + "revtest.elf"}
     * ("aarch64/" for AArch64's), with {@code setArchitecture} ("echo": none) before connecting.
     */
    private String runOn(String prefix, String setArchitecture, Mode mode, Long window, String... commands)
            throws Exception {
        Booted sys = new Booted(
                SystemImage.builtin(prefix + "revtest.elf"),
                true,
                KernelConfig.defaults().quantumMs(),
                mode.inferiors(),
                window);
        Path elf = tmp.resolve("revtest.elf");
        try (InputStream in =
                getClass().getClassLoader().getResourceAsStream("rewind/image/" + prefix + "revtest.elf")) {
            assertTrue(in != null, "revtest.elf");
            Files.copy(in, elf);
        }
        List<String> lines = new ArrayList<>(List.of(
                "set pagination off",
                "set confirm off",
                "set width 0",
                "set remotetimeout 30",
                setArchitecture,
                mode.inferiors() ? "echo" : "file " + elf,
                "target remote 127.0.0.1:" + sys.port));
        lines.addAll(List.of(commands));
        lines.add("kill");
        Path script = tmp.resolve("script.gdb");
        Files.write(script, lines);
        try (Gdb g = new Gdb(script)) {
            return g.finish();
        }
    }

    /** The text between {@code echo <name>} markers. */
    private static String block(String out, String name) {
        int a = out.indexOf("<" + name + ">");
        int b = out.indexOf("</" + name + ">");
        assertTrue(a >= 0 && b > a, "no block " + name + " in:\n" + out);
        return out.substring(a + name.length() + 2, b);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void reverseStepiOverAStoreShowsTheOldValueAndRegisters(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = run(
                    mode,
                    "break *poke_store",
                    "continue",
                    "echo <regs0>\\n",
                    "info registers",
                    "echo </regs0>\\n",
                    "printf \"slot before=%#lx\\n\", slot",
                    "stepi",
                    "printf \"slot after=%#lx\\n\", slot",
                    "reverse-stepi",
                    "printf \"slot back=%#lx\\n\", slot",
                    "printf \"at store=%d\\n\", $pc == (long) &poke_store",
                    "echo <regs1>\\n",
                    "info registers",
                    "echo </regs1>\\n");
            assertContains(out, "slot before=0x7", "slot after=0x1234", "slot back=0x7", "at store=1");
            assertEquals(block(out, "regs0"), block(out, "regs1"), out);
        });
    }

    @Test
    void onAarch64ReverseStepiOverAStoreShowsTheOldValueAndRegisters() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = runOn(
                    "aarch64/",
                    "echo",
                    Mode.THREADS,
                    null,
                    "break *poke_store",
                    "continue",
                    "x/i $pc",
                    "echo <regs0>\\n",
                    "info registers",
                    "echo </regs0>\\n",
                    "printf \"slot before=%#lx\\n\", slot",
                    "stepi",
                    "printf \"slot after=%#lx\\n\", slot",
                    "reverse-stepi",
                    "printf \"slot back=%#lx\\n\", slot",
                    "printf \"at store=%d\\n\", $pc == (long) &poke_store",
                    "echo <regs1>\\n",
                    "info registers",
                    "echo </regs1>\\n");
            assertContains(out, "str\t", "slot before=0x7", "slot after=0x1234", "slot back=0x7", "at store=1");
            assertTrue(block(out, "regs0").contains("cpsr"), out);
            assertEquals(block(out, "regs0"), block(out, "regs1"), out);
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void reverseContinueStopsAtTheLastWriteOfAWatchedGlobalAndForwardComesBackToTheSameState(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = run(
                    mode,
                    "break finished",
                    "continue",
                    "echo <now>\\n",
                    "info registers",
                    "x/4gx &table",
                    "x/2gx &slot",
                    "printf \"counter=%ld\\n\", counter",
                    "echo </now>\\n",
                    "watch counter",
                    "reverse-continue",
                    "printf \"counter back=%ld\\n\", counter",
                    "bt 1",
                    "delete 2",
                    "continue",
                    "echo <again>\\n",
                    "info registers",
                    "x/4gx &table",
                    "x/2gx &slot",
                    "printf \"counter=%ld\\n\", counter",
                    "echo </again>\\n");
            assertContains(
                    out,
                    "Hardware watchpoint 2: counter",
                    "Old value = 15",
                    "New value = 10",
                    "counter back=10",
                    "in bump (by=by@entry=5)");
            assertEquals(block(out, "now"), block(out, "again"), out);
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void reverseNextAndReverseFinishInACFunction(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = run(
                    mode,
                    "break bump",
                    "continue",
                    "continue",
                    "delete 1",
                    "next",
                    "next",
                    "next",
                    "printf \"counter fwd=%ld\\n\", counter",
                    "reverse-next",
                    "printf \"counter rev=%ld\\n\", counter",
                    "info line *$pc",
                    "reverse-step",
                    "printf \"rstep line=%d\\n\", $_caller_is(\"main\")",
                    "reverse-finish",
                    "bt 1");
            assertContains(
                    out,
                    "bump (by=by@entry=2)",
                    "counter fwd=3",
                    "counter rev=1",
                    "rstep line=1",
                    "#0  0x",
                    " in main () at tests/revtest.c:" + lineOf("bump(i);"));
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void reverseStepiAtTheStartOfHistorySaysSo(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = run(
                    mode,
                    "stepi",
                    "stepi",
                    "stepi",
                    "reverse-stepi",
                    "reverse-stepi",
                    "reverse-stepi",
                    "echo <fourth>\\n",
                    "reverse-stepi",
                    "echo </fourth>\\n");
            assertContains(block(out, "fourth"), "No more reverse-execution history.");
            assertTrue(!out.substring(0, out.indexOf("<fourth>")).contains("No more reverse-execution history"), out);
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void reverseStepiBeyondTheInstructionWindowSaysNoMoreHistoryAndStaysPut(Mode mode) {
        // rewind boot --gdb-reverse-window 3: three instructions back, not four
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = run(
                    mode,
                    3L,
                    "monitor reverse-window",
                    "break *poke_store",
                    "continue",
                    "delete",
                    "stepi",
                    "stepi",
                    "echo <w0>\\n",
                    "info registers",
                    "echo </w0>\\n",
                    "stepi",
                    "stepi",
                    "stepi",
                    "echo <present>\\n",
                    "info registers",
                    "echo </present>\\n",
                    "echo <back3>\\n",
                    "reverse-stepi",
                    "reverse-stepi",
                    "reverse-stepi",
                    "echo </back3>\\n",
                    "echo <w1>\\n",
                    "info registers",
                    "echo </w1>\\n",
                    "echo <fourth>\\n",
                    "reverse-stepi",
                    "echo </fourth>\\n",
                    "printf \"slot=%#lx\\n\", slot",
                    "echo <w2>\\n",
                    "info registers",
                    "echo </w2>\\n",
                    "stepi",
                    "stepi",
                    "stepi",
                    "echo <again>\\n",
                    "info registers",
                    "echo </again>\\n");
            assertContains(out, "at most 3 instructions", "slot=0x1234");
            assertTrue(!block(out, "back3").contains("No more reverse-execution history"), out);
            assertContains(block(out, "fourth"), "No more reverse-execution history.");
            assertEquals(block(out, "w0"), block(out, "w1"), out);
            assertEquals(block(out, "w0"), block(out, "w2"), "the refused step back moved nothing:\n" + out);
            assertEquals(block(out, "present"), block(out, "again"), "forward again to the same state:\n" + out);
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void reverseContinueStopsAtTheWindowStartBeforeAWriteOutsideIt(Mode mode) {
        // the last write of counter is in bump(5), followed by a printf of far more than 20
        // instructions: with a window of 20, reverse-continue ends at the window's start
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = run(
                    mode,
                    "monitor reverse-window 20",
                    "monitor reverse-window -5",
                    "break finished",
                    "continue",
                    "echo <now>\\n",
                    "info registers",
                    "printf \"counter=%ld\\n\", counter",
                    "echo </now>\\n",
                    "watch counter",
                    "echo <rc>\\n",
                    "reverse-continue",
                    "echo </rc>\\n",
                    "printf \"counter back=%ld\\n\", counter",
                    "delete 2",
                    "continue",
                    "echo <again>\\n",
                    "info registers",
                    "printf \"counter=%ld\\n\", counter",
                    "echo </again>\\n",
                    "monitor reverse-window off");
            assertContains(
                    out,
                    "at most 20 instructions",
                    "expected a number of instructions (or off), got '-5'",
                    "counter back=15",
                    "as far as the recorded history (no instruction window)");
            assertContains(block(out, "rc"), "No more reverse-execution history.");
            assertTrue(!block(out, "rc").contains("Old value"), out);
            assertEquals(block(out, "now"), block(out, "again"), out);
        });
    }

    /** The line of guest/tests/revtest.c that holds {@code code} (so a reformatted source needs no edit here). */
    private static int lineOf(String code) {
        try {
            List<String> lines =
                    java.nio.file.Files.readAllLines(java.nio.file.Path.of("..", "guest", "tests", "revtest.c"));
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).strip().equals(code)) {
                    return i + 1;
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("revtest.c has no line '" + code + "'");
    }
}
