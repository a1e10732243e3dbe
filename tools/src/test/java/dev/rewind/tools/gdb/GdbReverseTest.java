package dev.rewind.tools.gdb;

import static dev.rewind.tools.gdb.GdbIntegrationTest.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.gdb.GdbIntegrationTest.Booted;
import dev.rewind.tools.gdb.GdbIntegrationTest.Gdb;
import java.io.IOException;
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

/**
 * Reverse execution as users meet it: gdb-multiarch's reverse-stepi, reverse-continue,
 * reverse-next and reverse-finish against {@code revtest.elf} (guest/tests/revtest.c), then
 * forward again. Skipped when gdb-multiarch is not installed.
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

    private String run(String... commands) throws Exception {
        Booted sys = new Booted("revtest.elf", true);
        Path elf = tmp.resolve("revtest.elf");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("rewind/image/revtest.elf")) {
            assertTrue(in != null, "revtest.elf");
            Files.copy(in, elf);
        }
        List<String> lines = new ArrayList<>(List.of("set pagination off", "set confirm off", "set width 0", "set remotetimeout 30",
                "set architecture riscv:rv64", "file " + elf, "target remote 127.0.0.1:" + sys.port));
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

    @Test
    void reverseStepiOverAStoreShowsTheOldValueAndRegisters() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = run("break *poke_store", "continue",
                    "echo <regs0>\\n", "info registers", "echo </regs0>\\n",
                    "printf \"slot before=%#lx\\n\", slot",
                    "stepi",
                    "printf \"slot after=%#lx\\n\", slot",
                    "reverse-stepi",
                    "printf \"slot back=%#lx\\n\", slot",
                    "printf \"at store=%d\\n\", $pc == (long) &poke_store",
                    "echo <regs1>\\n", "info registers", "echo </regs1>\\n");
            assertContains(out, "slot before=0x7", "slot after=0x1234", "slot back=0x7", "at store=1");
            assertEquals(block(out, "regs0"), block(out, "regs1"), out);
        });
    }

    @Test
    void reverseContinueStopsAtTheLastWriteOfAWatchedGlobalAndForwardComesBackToTheSameState() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = run("break finished", "continue",
                    "echo <now>\\n", "info registers", "x/4gx &table", "x/2gx &slot", "printf \"counter=%ld\\n\", counter", "echo </now>\\n",
                    "watch counter",
                    "reverse-continue",
                    "printf \"counter back=%ld\\n\", counter",
                    "bt 1",
                    "delete 2",
                    "continue",
                    "echo <again>\\n", "info registers", "x/4gx &table", "x/2gx &slot", "printf \"counter=%ld\\n\", counter", "echo </again>\\n");
            assertContains(out, "Hardware watchpoint 2: counter", "Old value = 15", "New value = 10", "counter back=10", "in bump (by=by@entry=5)");
            assertEquals(block(out, "now"), block(out, "again"), out);
        });
    }

    @Test
    void reverseNextAndReverseFinishInACFunction() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = run("break bump", "continue", "continue", "delete 1",
                    "next", "next", "next",
                    "printf \"counter fwd=%ld\\n\", counter",
                    "reverse-next",
                    "printf \"counter rev=%ld\\n\", counter",
                    "info line *$pc",
                    "reverse-step",
                    "printf \"rstep line=%d\\n\", $_caller_is(\"main\")",
                    "reverse-finish",
                    "bt 1");
            assertContains(out, "bump (by=by@entry=2)", "counter fwd=3", "counter rev=1", "rstep line=1", "#0  0x0000000000010078 in main () at tests/revtest.c:35");
        });
    }

    @Test
    void reverseStepiAtTheStartOfHistorySaysSo() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            String out = run("stepi", "stepi", "stepi", "reverse-stepi", "reverse-stepi", "reverse-stepi",
                    "echo <fourth>\\n", "reverse-stepi", "echo </fourth>\\n");
            assertContains(block(out, "fourth"), "No more reverse-execution history.");
            assertTrue(!out.substring(0, out.indexOf("<fourth>")).contains("No more reverse-execution history"), out);
        });
    }
}
