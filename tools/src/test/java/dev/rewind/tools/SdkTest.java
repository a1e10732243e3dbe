package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest SDK as its users see it: its string functions (guest/sdk/string.c) checked in the
 * guest against byte references, and an external program built with guest/sdk/rewind.mk from a
 * Makefile of its own (warnings are not errors; changing flags rebuilds).
 */
class SdkTest {
    /** memtest.elf: every size 0..300, every alignment pair, overlap both ways, against references. */
    @Test
    void stringFunctionsMatchByteReferences() {
        CliRun.Result r = CliRun.rewind(Duration.ofSeconds(120), "boot", "builtin:memtest.elf");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().matches("(?s)memtest: ok \\d{6,} cases\\n"), r::toString);
    }

    /**
     * Every {@code docs/NAME.md} that a header, a source file or a document points its reader to
     * exists (rewind.h, Arch and Aarch64Cpu once sent users to a docs/ABI.md there never was).
     */
    @Test
    void everyDocumentTheSourcesPointToExists() throws IOException {
        Path root = Fixtures.projectRoot();
        java.util.regex.Pattern ref = java.util.regex.Pattern.compile("docs/([A-Za-z0-9_-]+\\.md)");
        List<String> missing = new ArrayList<>();
        int refs = 0;
        List<Path> files = new ArrayList<>(List.of(root.resolve("README.md")));
        for (String dir : List.of("docs", "guest", "hw/src", "kernel/src", "tools/src", "scripts")) {
            try (var walk = Files.walk(root.resolve(dir))) {
                walk.filter(Files::isRegularFile)
                        .filter(f -> !f.toString().contains("/build/"))
                        .filter(f -> !f.getFileName().toString().equals("SdkTest.java")) // (this file)
                        .filter(f -> f.toString().matches(".*\\.(md|java|c|h|S|mk|toml|proto|def|sh|suite)$")
                                || f.getFileName().toString().equals("Makefile"))
                        .forEach(files::add);
            }
        }
        for (Path f : files) {
            java.util.regex.Matcher m = ref.matcher(Files.readString(f, StandardCharsets.ISO_8859_1));
            while (m.find()) {
                refs++;
                if (!Files.isRegularFile(root.resolve("docs").resolve(m.group(1)))) {
                    missing.add(root.relativize(f) + ": docs/" + m.group(1));
                }
            }
        }
        assertTrue(refs > 100, "found only " + refs + " references: the scan is broken");
        assertEquals(List.of(), missing);
    }

    /** Runs make in {@code dir} with {@code args}; returns its output, failing on a non-zero exit. */
    private static String make(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("make", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("CFLAGS"); // as if from a clean shell; rewind.mk ignores it anyway
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "make timed out");
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }

    /**
     * Plain {@code make} builds the programs whatever the Makefile's order: the README's snippet
     * (include first, then {@code all:}), and one with no {@code all} at all.
     */
    @Test
    void plainMakeBuildsTheProgramsWithoutAnAllRuleFirst(@TempDir Path dir) throws Exception {
        Path sdk = Fixtures.projectRoot().resolve("guest/sdk");
        Files.writeString(dir.resolve("hello.c"), "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n");
        String[][] makefiles = {
            {
                "REWIND_SDK := " + sdk,
                "include $(REWIND_SDK)/rewind.mk",
                "$(eval $(call rewind_program,hello,hello.c))",
                "all: $(REWIND_PROGRAMS)"
            },
            {"REWIND_SDK := " + sdk, "include $(REWIND_SDK)/rewind.mk", "$(eval $(call rewind_program,hello,hello.c))"}
        };
        for (String[] lines : makefiles) {
            Files.writeString(dir.resolve("Makefile"), String.join("\n", lines) + "\n");
            String out = make(dir);
            Path elf = dir.resolve("build/image/hello.elf");
            assertTrue(Files.isRegularFile(elf), out);
            CliRun.Result run = CliRun.rewind(Duration.ofSeconds(60), "boot", elf.toString());
            assertEquals("hi\n", run.out(), run::toString);
            Files.delete(elf);
        }
    }

    @Test
    void externalProgramWithWarningsBuildsAndFlagChangesRebuild(@TempDir Path dir) throws Exception {
        Path sdk = Fixtures.projectRoot().resolve("guest/sdk");
        Files.writeString(
                dir.resolve("Makefile"),
                String.join(
                        "\n",
                        "all:",
                        "REWIND_SDK := " + sdk,
                        "include $(REWIND_SDK)/rewind.mk",
                        "$(eval $(call rewind_program,third,third.c))",
                        "all: $(REWIND_PROGRAMS)",
                        ""));
        // Third-party style: an unused variable, an unused parameter, a signed/unsigned compare.
        Files.writeString(
                dir.resolve("third.c"),
                String.join(
                        "\n",
                        "#include <stdio.h>",
                        "#include <string.h>",
                        "static int helper(int used, int unused) { int spare; return used * 2; }",
                        "int main(int argc, char **argv)",
                        "{",
                        "\tchar buf[64];",
                        "\tunsigned n = 3;",
                        "\tmemset(buf, 'x', sizeof buf);",
                        "\tmemmove(buf + 1, buf + 2, 40);",
                        "\tbuf[10] = 0;",
                        "\tif (argc < n) printf(\"third: %d %zu\\n\", helper(21, 0), strlen(buf));",
                        "\treturn 0;",
                        "}",
                        ""));
        String first = make(dir);
        assertTrue(first.contains("warning:"), "warnings are shown:\n" + first);
        Path elf = dir.resolve("build/image/third.elf");
        Path obj = dir.resolve("build/obj/third/third.o");
        assertTrue(Files.isRegularFile(elf), first);

        CliRun.Result run = CliRun.rewind(Duration.ofSeconds(60), "boot", elf.toString());
        assertEquals(0, run.status(), run::toString);
        assertEquals("third: 42 10\n", run.out(), run::toString);

        // Nothing changed: nothing is rebuilt.
        byte[] o2 = Files.readAllBytes(obj);
        String again = make(dir);
        assertFalse(again.contains("CC") || again.contains("LD"), again);

        // New flags on the command line: the object is rebuilt and differs (-Og code).
        String og = make(dir, "CFLAGS=-Og");
        assertTrue(og.contains("CC      build/obj/third/third.o") && og.contains("LD      build/image/third.elf"), og);
        byte[] o3 = Files.readAllBytes(obj);
        assertFalse(java.util.Arrays.equals(o2, o3), "the -Og object must differ from the -O2 one");
        assertFalse(make(dir, "CFLAGS=-Og").contains("CC"), "same flags again: up to date");

        // Per-program flags in the Makefile count too; and back to the defaults rebuilds the -O2 object.
        Files.writeString(
                dir.resolve("Makefile"),
                Files.readString(dir.resolve("Makefile")).replace("third,third.c)", "third,third.c,-DEXTRA=1)"));
        assertTrue(make(dir).contains("CC      build/obj/third/third.o"));
        Files.writeString(
                dir.resolve("Makefile"),
                Files.readString(dir.resolve("Makefile")).replace("third,third.c,-DEXTRA=1)", "third,third.c)"));
        assertTrue(make(dir).contains("CC      build/obj/third/third.o"));
        assertArrayEquals(o2, Files.readAllBytes(obj), "back to the default flags: the same object as the first build");

        // Link-time optimisation for every program links (the SDK's own objects stay plain
        // objects, which libc's references can see), and make -s prints nothing of it.
        String lto = make(dir, "-s", "CFLAGS=-O2 -flto", "LDFLAGS=-flto");
        assertFalse(lto.contains("  CC ") || lto.contains("  LD ") || lto.contains("  FLAGS "), lto);
        CliRun.Result ltoRun = CliRun.rewind(Duration.ofSeconds(60), "boot", elf.toString());
        assertEquals("third: 42 10\n", ltoRun.out(), ltoRun::toString);

        // The same program with REWIND_WERROR := -Werror (as the project's own guests) fails.
        ProcessBuilder pb = new ProcessBuilder("make", "-C", dir.toString(), "REWIND_WERROR=-Werror", "CFLAGS=-O1")
                .redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertTrue(p.exitValue() != 0 && out.contains("error:"), out);
    }
}
