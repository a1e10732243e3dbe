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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

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
     * guest/tests/libc_port.c, booted bare as an outside programmer boots theirs: printf's digits
     * are glibc's (the fixed cases and the hash of 1500 random conversions were printed by the
     * same source built with the host's gcc, -DHOST; picolibc's own engine printed 0.1 for %.17g
     * of 0.1 and 1 for %.0f of 0.5), except past the 17th significant digit (%.20f of 0.1: glibc
     * 0.10000000000000000555); clock, write, fopen and raise link and behave (they did not link);
     * a bare ELF has an 8M stack and a heap of 64 MiB (malloc(1 MiB) was NULL); and raise(SIGTERM)
     * ends the task as faulted, naming the signal.
     */
    @ParameterizedTest
    @ValueSource(strings = {"libc_port.elf", "aarch64/libc_port.elf"})
    void anOrdinaryCProgramGetsWhatItExpects(String elf) {
        CliRun.Result r = CliRun.rewind(Duration.ofSeconds(120), "boot", "builtin:" + elf);
        assertEquals(
                String.join(
                        "\n",
                        "0.10000000000000001 0.33333333333333331 0.10000000000000001000",
                        "0 2 2 4 0.12 2.67",
                        "4.941e-324 4.94066e-324 9.9999999999999992e+22 1.797693e+308",
                        "10000000000000000000000.000000 0.1 0.001 9.9",
                        "3.1415926535897931 0.300000000000000 0x1.999999999999ap-4",
                        "fuzz: 35a22f504417ced7",
                        "clock: advances",
                        "stdio before write, write: ok",
                        "write(7): EBADF",
                        "fopen r: NULL ENOENT",
                        "fopen w: NULL EROFS",
                        "getpid: positive",
                        "raise(SIGUSR1): handler ran",
                        "malloc 64 MiB: ok 90",
                        "1 MiB of stack: 64",
                        "raise(SIGTERM) next"),
                r.out(),
                r::toString);
        assertEquals(1, r.status(), r::toString);
        assertTrue(
                r.err().contains("faulted: explicit abort / failed assertion")
                        && r.err().contains("killed by signal 15 (SIGTERM)"),
                r::toString);
    }

    /**
     * guest/tests/atomics.c: {@code <stdatomic.h>} on 1-, 2-, 4-, 8- and 16-byte objects and a
     * struct, linked with {@code -latomic} as on Linux. gcc leaves RISC-V's 1- and 2-byte
     * operations, both architectures' 16-byte ones and the struct's to libatomic, which the
     * cross toolchains do not ship: the program did not link before the SDK's (sdk/atomic.c).
     */
    @ParameterizedTest
    @ValueSource(strings = {"atomics.elf", "aarch64/atomics.elf"})
    void atomicsOfEverySizeLinkAndGiveTheirResults(String elf) {
        CliRun.Result r = CliRun.rewind(Duration.ofSeconds(60), "boot", "builtin:" + elf);
        assertEquals("atomics: 23 checks, 0 failed\n", r.out(), r::toString);
        assertEquals(0, r.status(), r::toString);
    }

    /**
     * The SDK's malloc (guest/sdk/malloc.c), in place of picolibc's 8-aligned nano-malloc:
     * every block 16-byte aligned (as {@code alignof(max_align_t)} and AArch64 gcc assume),
     * 20,000 rounds of malloc / calloc / realloc / free churn against a model, the aligned
     * allocators, C's failures (ENOMEM, EINVAL), a heap that is whole again when all is
     * freed, and a heap that grows past memory another caller of sbrk took (the old top was
     * then refused by free() as "not a block in use").
     */
    @ParameterizedTest
    @ValueSource(strings = {"heap.elf", "aarch64/heap.elf"})
    void mallocGivesAlignedBlocksThatKeepTheirBytesThroughChurn(String elf) {
        CliRun.Result r = CliRun.rewind(Duration.ofSeconds(120), "boot", "builtin:" + elf);
        assertEquals("heap: 331 checks, 0 failed\n", r.out(), r::toString);
        assertEquals(0, r.status(), r::toString);
    }

    /**
     * A double free, a free of a pointer into a block, and a freed block whose list links the
     * program overwrote end the task with the allocator's message (picolibc's went on with a
     * corrupted heap): under txipc, a fault the kernel rolls back.
     */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "heap_double_free.elf| free: not a block in use (freed already, or not from malloc)",
                "heap_inner_free.elf| free: not a block in use (freed already, or not from malloc)",
                "heap_bad_links.elf| malloc: a free list is corrupted at",
                "aarch64/heap_double_free.elf| free: not a block in use (freed already, or not from malloc)",
                "aarch64/heap_bad_links.elf| malloc: a free list is corrupted at"
            })
    void heapMisuseEndsTheTaskWithTheAllocatorsMessage(String elf, String message) {
        CliRun.Result r = CliRun.rewind(Duration.ofSeconds(120), "boot", "builtin:" + elf);
        assertEquals(1, r.status(), r::toString);
        assertFalse(r.out().contains("was not caught"), r::toString);
        assertTrue(
                r.err().contains("faulted: explicit abort / failed assertion")
                        && r.err().contains(message),
                r::toString);
    }

    /**
     * A bare ELF's stdin is {@code rewind boot}'s (here its {@code --input} file): fgets, getchar
     * and read(0, ...) read it to its end (they were at the end at once).
     */
    @Test
    void aProgramReadsRewindBootsInputOnItsStdin(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "World\nab\ncd\n.tail");
        CliRun.Result r =
                CliRun.rewind(Duration.ofSeconds(60), "boot", "--input", in.toString(), "builtin:stdin_lines.elf");
        assertEquals(0, r.status(), r::toString);
        assertEquals(
                "name? hello, World\ngetchar: 6 chars, 2 lines before '.'\nread: 4 [tail]\n"
                        + "end: read 0, getchar -1, feof 1\n",
                r.out(),
                r::toString);
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

    /** Writes {@code lines} to {@code file}, each ended by a newline. */
    private static void writeLines(Path file, String... lines) throws IOException {
        Files.writeString(file, String.join("\n", lines) + "\n");
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

    /** How many RISC-V returns (c.ret, at 2-byte steps) the bytes hold, and how many a zero word follows. */
    private static int[] returnsAndTraps(byte[] b) {
        int returns = 0;
        int trapped = 0;
        for (int i = 0; i + 5 < b.length; i += 2) {
            if ((b[i] & 0xff) == 0x82 && (b[i + 1] & 0xff) == 0x80) {
                returns++;
                if (b[i + 2] == 0 && b[i + 3] == 0 && b[i + 4] == 0 && b[i + 5] == 0) {
                    trapped++;
                }
            }
        }
        return new int[] {returns, trapped};
    }

    /**
     * The SDK's assembler step (guest/sdk/trap-jumps.sh) puts a word that cannot run after every
     * return and jump of compiled C, and {@code REWIND_TRAP_JUMPS=} builds without it; the
     * program runs the same either way.
     */
    @Test
    void aWordThatCannotRunFollowsEveryReturnUnlessTurnedOff(@TempDir Path dir) throws Exception {
        Path sdk = Fixtures.projectRoot().resolve("guest/sdk");
        Files.writeString(
                dir.resolve("hello.c"),
                "#include <stdio.h>\n__attribute__((noinline)) static int twice(int x) { return x > 3 ? 2 * x : x; }\n"
                        + "int main(void) { printf(\"hi %d\\n\", twice(4)); return 0; }\n");
        Files.writeString(
                dir.resolve("Makefile"),
                String.join(
                                "\n",
                                "REWIND_SDK := " + sdk,
                                "include $(REWIND_SDK)/rewind.mk",
                                "$(eval $(call rewind_program,hello,hello.c))")
                        + "\n");
        make(dir);
        Path elf = dir.resolve("build/image/hello.elf");
        int[] with = returnsAndTraps(Files.readAllBytes(dir.resolve("build/obj/hello/hello.o")));
        assertTrue(
                with[0] >= 2 && with[1] == with[0],
                () -> "returns / followed by a zero word: " + with[0] + " / " + with[1]);
        assertTrue(Files.readString(dir.resolve("build/bin/as")).contains("trap-jumps.sh"));
        CliRun.Result run = CliRun.rewind(Duration.ofSeconds(60), "boot", elf.toString());
        assertEquals("hi 8\n", run.out(), run::toString);

        make(dir, "REWIND_TRAP_JUMPS=");
        int[] without = returnsAndTraps(Files.readAllBytes(dir.resolve("build/obj/hello/hello.o")));
        assertEquals(with[0], without[0], "the same returns");
        assertTrue(without[1] < without[0], "not every return followed by a zero word (the object's last one may be)");
        run = CliRun.rewind(Duration.ofSeconds(60), "boot", elf.toString());
        assertEquals("hi 8\n", run.out(), run::toString);
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

    /** Runs make in {@code dir} with {@code args}, expecting it to fail; returns its output. */
    private static String makeFails(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("make", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "make timed out");
        assertTrue(p.exitValue() != 0, () -> String.join(" ", cmd) + " should have failed:\n" + out);
        return out;
    }

    /**
     * A protocol of the user's own ({@code REWIND_PROTO_FILES}): its header is generated into the
     * build, the server's rules reject what the definition forbids, the client stubs work, a
     * changed definition rebuilds its programs, and wrong lists are refused with a message.
     */
    @Test
    void aUsersOwnProtocolDefinitionBuildsServerAndClient(@TempDir Path dir) throws Exception {
        Path sdk = Fixtures.projectRoot().resolve("guest/sdk");
        Files.createDirectories(dir.resolve("proto"));
        Path def = dir.resolve("proto/tally.proto");
        writeLines(
                def,
                "protocol tally 0x5459 \"TY\": a total of the user's own",
                "const MAX 1000  largest amount",
                "op ADD 1 in=amount:1..MAX,-,-,- len=0 out=total errors=EINVAL  add to the total",
                "op GET 2 in=-,-,-,- len=0 out=total errors=EINVAL  the total",
                // Bounds of 0 (decimal and hex) for a reply word and the reply's length: the
                // stubs must not compare an unsigned value with 0 (-Wtype-limits, an error
                // with -Werror, as the Makefile below builds).
                "op DIGITS 3 in=-,-,-,- len=0 out=n:0x0..20 outlen=0..20 errors=EINVAL  the total in decimal",
                // Words named as the client stub's own variables were (cap, m, r, and len_out
                // for a reply word "len" beside the reply's length): the stub must compile.
                "op PEEK 4 in=cap:0..MAX,m,r,- len=0 out=len,r outlen=0..8 errors=EINVAL  names the stubs had");
        writeLines(
                dir.resolve("server.c"),
                "#include <rewind/rewind.h>",
                "#include <tally_proto.h>",
                "static uint64_t total;",
                "static long do_add(const rw_request *r) { total += r->in->w[0]; r->out->w[0] = total; return 0; }",
                "static long do_get(const rw_request *r) { r->out->w[0] = total; return 0; }",
                "static long do_digits(const rw_request *r)",
                "{",
                "\tchar *b = rw_ipc_buf();",
                "\tuint64_t n = 0;",
                "\tfor (uint64_t t = total; t; t /= 10)",
                "\t\tn++;",
                "\tfor (uint64_t i = n, t = total; i > 0; i--, t /= 10)",
                "\t\tb[i - 1] = (char)('0' + t % 10);",
                "\tr->out->w[0] = n;",
                "\tr->out->len = n;",
                "\treturn 0;",
                "}",
                "static long do_peek(const rw_request *r)",
                "{",
                "\tr->out->w[0] = r->in->w[0] + r->in->w[1];",
                "\tr->out->w[1] = r->in->w[2];",
                "\treturn 0;",
                "}",
                "static const rw_op ops[] = { TALLY_OPS(do_) };",
                "int main(void)",
                "{",
                "\trw_cap ep;",
                "\tRW_ASSERT(rw_cap_get(\"tally\", &ep) == 0);",
                "\trw_serve_ops(ep, ops, RW_NOPS(ops), NULL);",
                "}");
        writeLines(
                dir.resolve("client.c"),
                "#include <stdio.h>",
                "#include <rewind/rewind.h>",
                "#include <tally_proto.h>",
                "int main(void)",
                "{",
                "\trw_cap c;",
                "\tuint64_t t = 0;",
                "\tRW_ASSERT(rw_cap_get(\"tally\", &c) == 0);",
                "\tfor (int i = 1; i <= 10; i++)",
                "\t\tRW_ASSERT(tally_call_add(c, i, &t) == 0);",
                // (read after an error: the stub sets its outputs on every path, or -O2 -Wall
                // warns -Wmaybe-uninitialized, an error under -Werror)
                "\tuint64_t after;",
                "\tlong big = tally_call_add(c, 5000, &after);",
                "\tRW_ASSERT(tally_call_get(c, &t) == 0);",
                "\tuint64_t n = 0, len = 0;",
                "\tRW_ASSERT(tally_call_digits(c, &n, &len) == 0 && n == len);",
                "\tuint64_t a = 0, b = 0, l = 9;",
                "\tRW_ASSERT(tally_call_peek(c, 3, 4, 5, &a, &b, &l) == 0 && a == 7 && b == 5 && l == 0);",
                "\tprintf(\"total %llu, 5000 -> %ld (MAX %d), digits %.*s, after %llu\\n\", (unsigned long long)t, big,",
                "\t       (int)TALLY_MAX, (int)len, (const char *)rw_ipc_buf(), (unsigned long long)after);",
                "\treturn 0;",
                "}");
        writeLines(
                dir.resolve("Makefile"),
                "REWIND_SDK := " + sdk,
                "REWIND_WERROR := -Werror",
                "include $(REWIND_SDK)/rewind.mk",
                "REWIND_PROTO_FILES := proto/tally.proto",
                "$(eval $(call rewind_program,server,server.c))",
                "$(eval $(call rewind_program,client,client.c))");
        writeLines(
                dir.resolve("tally.toml"),
                "name = \"tally\"",
                "[task.tally]",
                "image = \"build/image/server.elf\"",
                "serves = [\"tally\"]",
                "recovery = \"txipc\"",
                "[task.client]",
                "image = \"build/image/client.elf\"",
                "uses = [\"tally\"]");
        String first = make(dir);
        assertTrue(first.contains("GEN     build/include/tally_proto.h"), first);
        assertTrue(
                Files.readString(dir.resolve("build/include/tally_proto.h"))
                        .startsWith("/* Generated from proto/tally.proto by gen-proto.sh"),
                "the header names the user's definition");
        Path manifest = dir.resolve("tally.toml");
        CliRun.Result run = CliRun.rewind(Duration.ofSeconds(60), "boot", manifest.toString());
        assertEquals(0, run.status(), run::toString);
        assertEquals("total 55, 5000 -> " + RW_EINVAL + " (MAX 1000), digits 55, after 0\n", run.out(), run::toString);
        assertFalse(make(dir).contains("GEN"), "up to date");

        // A changed definition regenerates the header and rebuilds both programs.
        Files.writeString(def, Files.readString(def).replace("const MAX 1000", "const MAX 10000"));
        String again = make(dir);
        assertTrue(
                again.contains("GEN     build/include/tally_proto.h")
                        && again.contains("LD      build/image/server.elf")
                        && again.contains("LD      build/image/client.elf"),
                again);
        run = CliRun.rewind(Duration.ofSeconds(60), "boot", manifest.toString());
        assertEquals("total 5055, 5000 -> 0 (MAX 10000), digits 5055, after 5055\n", run.out(), run::toString);

        // Lists a user gets wrong.
        Files.copy(def, dir.resolve("proto/kv.proto"));
        assertTrue(
                makeFails(dir, "REWIND_PROTO_FILES=proto/kv.proto").contains("has the name of the SDK's protocol kv"));
        Files.createDirectories(dir.resolve("other"));
        Files.copy(def, dir.resolve("other/tally.proto"));
        assertTrue(makeFails(dir, "REWIND_PROTO_FILES=proto/tally.proto other/tally.proto")
                .contains("two definitions of protocol tally"));
        assertTrue(makeFails(dir, "REWIND_PROTO_FILES=proto/none.proto").contains("proto/none.proto does not exist"));
        assertTrue(makeFails(dir, "REWIND_PROTO_FILES=server.c").contains("server.c is not a .proto file"));
        // Word names a client stub cannot take as parameters, each refused with its line.
        String good = Files.readString(def);
        for (String[] bad : new String[][] {
            {"in=cap:0..MAX,m,r,-", "in=rw__cap,m,r,-", "names beginning rw_ are reserved for the client stubs"},
            {"in=cap:0..MAX,m,r,-", "in=int,m,r,-", "a C keyword cannot name a word"},
            {"in=cap:0..MAX,m,r,-", "in=cap:0..MAX,m,m,-", "request word \"m\" named twice"},
            {
                "in=cap:0..MAX,m,r,-",
                "in=cap:0..MAX,m,len_out,-",
                "its stub parameter len_out is the name of a request word"
            }
        }) {
            Files.writeString(def, good.replace(bad[0], bad[1]));
            String refused = makeFails(dir);
            assertTrue(refused.contains("tally.proto:6: ") && refused.contains(bad[2]), refused);
        }
        Files.writeString(def, good);
        // A definition the generator rejects fails the build with its line.
        Files.writeString(def, Files.readString(def).replace("in=-,-,-,-", "in=-,-,-"));
        String rejected = makeFails(dir);
        assertTrue(rejected.contains("tally.proto:4: in= needs exactly 4 words"), rejected);
    }

    /**
     * {@code make FLOAT=hard}: programs built for the RISC-V FPU (rv64imafdc, lp64d) run with it
     * on and compute what the soft-float build computes, and txipc restores the f registers a
     * rolled-back request changed (fp_server keeps its sum in fs0 when built so; with the f
     * registers left out of the rollback, the client sees 1010 instead of 10).
     */
    @Test
    void hardFloatProgramsRunOnTheFpuAndTxipcRestoresTheirRegisters(@TempDir Path dir) throws Exception {
        Path root = Fixtures.projectRoot();
        writeLines(
                dir.resolve("calc.c"),
                "#include <stdio.h>",
                "#include <string.h>",
                "#include <math.h>",
                "volatile double seed = 1.5;",
                "volatile float fseed = 0.25f;",
                "int main(void)",
                "{",
                "\tdouble s = 0;",
                "\tfloat f = 0;",
                "\tfor (int i = 1; i <= 2000; i++) {",
                "\t\ts += sqrt(seed * i) / i;",
                "\t\tf = f * 0.999f + fseed * (float)i;",
                "\t}",
                "\tunsigned long long sb;",
                "\tunsigned fb;",
                "\tmemcpy(&sb, &s, sizeof sb);",
                "\tmemcpy(&fb, &f, sizeof fb);",
                "\tprintf(\"calc: %llx %x\\n\", sb, fb);",
                "\treturn 0;",
                "}");
        writeLines(
                dir.resolve("Makefile"),
                "REWIND_SDK := " + root.resolve("guest/sdk"),
                "include $(REWIND_SDK)/rewind.mk",
                "$(eval $(call rewind_program,calc,calc.c,-ffp-contract=off,-lm))",
                "$(eval $(call rewind_program,fp_server," + root.resolve("guest/tests/fp_server.c") + "))",
                "$(eval $(call rewind_program,fp_client," + root.resolve("guest/tests/fp_client.c") + "))",
                "$(eval $(call rewind_program,kv_server," + root.resolve("guest/servers/kv_server.c") + " "
                        + root.resolve("guest/servers/debug_fault.c") + "))",
                "$(eval $(call rewind_program,kv_oracle," + root.resolve("guest/apps/kv_oracle.c") + " "
                        + root.resolve("guest/apps/kv_check.c") + " " + root.resolve("guest/apps/oracle.c") + "))");
        make(dir);
        make(dir, "FLOAT=hard");
        Path soft = dir.resolve("build/image/calc.elf");
        Path hard = dir.resolve("build/hardfloat/image/calc.elf");
        byte[] h = Files.readAllBytes(hard);
        assertEquals(0x5, h[0x30] & 0xff, "e_flags: RVC, double-float ABI");
        CliRun.Result softRun = CliRun.rewind(Duration.ofSeconds(60), "boot", soft.toString());
        CliRun.Result hardRun = CliRun.rewind(Duration.ofSeconds(60), "boot", hard.toString());
        assertEquals(0, hardRun.status(), hardRun::toString);
        // The same operations in Java (IEEE 754, each rounded: no fused multiply-add, as
        // -ffp-contract=off compiles them): both builds must get these bits exactly.
        double sum = 0;
        float f = 0;
        for (int i = 1; i <= 2000; i++) {
            sum += Math.sqrt(1.5 * i) / i;
            f = f * 0.999f + 0.25f * (float) i;
        }
        String want = "calc: " + Long.toHexString(Double.doubleToRawLongBits(sum)) + " "
                + Integer.toHexString(Float.floatToRawIntBits(f)) + "\n";
        assertEquals(want, softRun.out(), softRun::toString);
        assertEquals(want, hardRun.out(), hardRun::toString);

        Files.writeString(
                dir.resolve("fp.toml"),
                Files.readString(root.resolve("guest/images/t_fp_tx.toml"))
                        .replace("\"fp_server.elf\"", "\"build/hardfloat/image/fp_server.elf\"")
                        .replace("\"fp_client.elf\"", "\"build/hardfloat/image/fp_client.elf\""));
        CliRun.Result tx = CliRun.rewind(
                Duration.ofSeconds(60), "boot", dir.resolve("fp.toml").toString());
        assertEquals(0, tx.status(), tx::toString);
        assertEquals("fp_tx: all ok\n", tx.out(), tx::toString);
        assertEquals(3, tx.err().split("request rolled back \\(txipc\\)", -1).length - 1, tx::toString);

        // The injector's register flips reach the f registers of a program built for the FPU
        // (kv built hard-float: its seeds 1..8 draw both kinds).
        Files.writeString(
                dir.resolve("kv.toml"),
                Files.readString(root.resolve("guest/images/t_kv_oracle.toml"))
                        .replace("\"kv_server.elf\"", "\"build/hardfloat/image/kv_server.elf\"")
                        .replace("\"kv_oracle.elf\"", "\"build/hardfloat/image/kv_oracle.elf\""));
        Path json = dir.resolve("flips.json");
        CliRun.Result inject = CliRun.rewind(
                Duration.ofSeconds(120),
                "inject",
                dir.resolve("kv.toml").toString(),
                "--server",
                "kv",
                "--types",
                "register-bit-flip",
                "-n",
                "8",
                "--jobs",
                "1",
                "--json",
                json.toString());
        assertEquals(0, inject.status(), inject::toString);
        String runs = Files.readString(json);
        assertTrue(runs.matches("(?s).*\"fault\": ?\"flipped bit \\d+ of f\\d+ at pc.*"), runs);
        assertTrue(runs.matches("(?s).*\"fault\": ?\"flipped bit \\d+ of x\\d+ at pc.*"), runs);

        assertTrue(makeFails(dir, "FLOAT=hard", "ARCH=aarch64").contains("FLOAT=hard is for riscv64"));
        assertTrue(makeFails(dir, "FLOAT=double").contains("FLOAT=double: expected soft or hard"));
    }

    /** How many RISC-V ebreak instructions (c.ebreak or ebreak, at 2-byte steps) the bytes hold. */
    private static int ebreaks(byte[] b) {
        int n = 0;
        for (int i = 0; i + 1 < b.length; i += 2) {
            int half = (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
            if (half == 0x9002) {
                n++;
            } else if (half == 0x0073 && i + 3 < b.length && ((b[i + 2] & 0xff) | (b[i + 3] & 0xff) << 8) == 0x0010) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aServerBuiltWithTheHardeningFlagsTrapsOnNothingAndServesAsBefore(@TempDir Path dir) throws Exception {
        Path root = Fixtures.projectRoot();
        writeLines(
                dir.resolve("Makefile"),
                "REWIND_SDK := " + root.resolve("guest/sdk"),
                "include $(REWIND_SDK)/rewind.mk",
                "$(eval $(call rewind_program,bank_server," + root.resolve("guest/servers/bank_server.c")
                        + ",$(REWIND_HARDEN_CFLAGS)))",
                "$(eval $(call rewind_program,plain_bank," + root.resolve("guest/servers/bank_server.c") + "))",
                "$(eval $(call rewind_program,bank_oracle," + root.resolve("guest/apps/bank_oracle.c") + " "
                        + root.resolve("guest/apps/oracle.c") + "))");
        make(dir);
        byte[] hardened = Files.readAllBytes(dir.resolve("build/image/bank_server.elf"));
        byte[] plain = Files.readAllBytes(dir.resolve("build/image/plain_bank.elf"));
        assertTrue(
                ebreaks(hardened) > ebreaks(plain) + 100,
                "the hardened build checks its branches: " + ebreaks(hardened) + " ebreaks, " + ebreaks(plain)
                        + " without");
        assertTrue(
                Files.readString(dir.resolve("build/obj/bank_server/flags")).contains("-fharden-conditional-branches"));
        Files.writeString(
                dir.resolve("bank.toml"),
                Files.readString(root.resolve("guest/images/t_bank_oracle.toml"))
                        .replace("\"bank_server.elf\"", "\"build/image/bank_server.elf\"")
                        .replace("\"bank_oracle.elf\"", "\"build/image/bank_oracle.elf\""));
        CliRun.Result run = CliRun.rewind(
                Duration.ofSeconds(60), "boot", dir.resolve("bank.toml").toString());
        assertEquals(0, run.status(), run::toString);
        assertTrue(run.out().contains("bank_oracle: ok"), run::toString);
        assertFalse(run.err().contains("rolled back"), "no check fired on a fault-free run: " + run.err());
    }

    private static final long RW_EINVAL = dev.rewind.abi.Abi.EINVAL;
}
