package dev.rewind.tools.regress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.TaskState;
import dev.rewind.kernel.text.Units;
import dev.rewind.tools.Fixtures;
import dev.rewind.tools.regress.Expectations.TaskExpectation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The suite format: what a good file means, and what a bad one is told (file and line). */
class SuiteParserTest {
    @TempDir
    Path dir;

    @org.junit.jupiter.api.BeforeEach
    void anOutputFile() throws java.io.IOException {
        java.nio.file.Files.writeString(dir.resolve("out.txt"), "a line\n");
    }

    private Suite parse(String text) throws SuiteException {
        return SuiteParser.parse(text, "t.suite", "t", ImageLocator.folder(dir));
    }

    /**
     * Every suite example of the user's documents that boots only built-in images (the others
     * name the reader's own files) is a suite the parser accepts, task names and all; and the
     * errors docs/TESTING.md shows are what the parser says (its list of directives was two
     * short once).
     */
    @Test
    void theDocumentsSuiteExamplesParseAndTheirErrorsAreTheParsers() throws Exception {
        Path root = Fixtures.projectRoot();
        List<Path> docs =
                new java.util.ArrayList<>(List.of(root.resolve("README.md"), root.resolve("guest/sdk/README.md")));
        try (Stream<Path> s = Files.list(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        java.util.regex.Pattern block = java.util.regex.Pattern.compile(
                "^```[a-z]*\\n(.*?)^```", java.util.regex.Pattern.MULTILINE | java.util.regex.Pattern.DOTALL);
        java.util.regex.Pattern caseLine = java.util.regex.Pattern.compile("^case ", java.util.regex.Pattern.MULTILINE);
        java.util.regex.Pattern boot =
                java.util.regex.Pattern.compile("^\\s*boot\\s+(\\S+)", java.util.regex.Pattern.MULTILINE);
        List<String> failures = new java.util.ArrayList<>();
        int examples = 0;
        for (Path doc : docs) {
            java.util.regex.Matcher m = block.matcher(Files.readString(doc));
            while (m.find()) {
                String text = m.group(1);
                if (!caseLine.matcher(text).find()
                        || boot.matcher(text)
                                .results()
                                .anyMatch(b -> !b.group(1).startsWith("builtin:"))) {
                    continue;
                }
                examples++;
                try {
                    parse(text);
                } catch (SuiteException e) {
                    failures.add(root.relativize(doc) + ": " + e.getMessage());
                }
            }
        }
        assertEquals(List.of(), failures);
        assertTrue(examples >= 1, "found no suite example");

        String testing = Files.readString(root.resolve("docs/TESTING.md"));
        // (the example's bad.suite, its first case booting a built-in image instead of a missing file)
        SuiteException typo = assertThrows(
                SuiteException.class,
                () -> parse("case a\n  boot builtin:hello.elf\ncase b\n  boot builtin:hello.elf\n  expekt line \"x\"\n"
                        + "  timeout soon\n"));
        assertEquals(2, typo.all().size(), typo.all()::toString);
        for (SuiteException each : typo.all()) {
            String shown = "rewind: bad suite: " + each.getMessage().replace("t.suite:", "bad.suite:");
            assertTrue(testing.contains(shown), () -> "docs/TESTING.md does not show: " + shown);
        }
        SuiteException task = assertThrows(
                SuiteException.class, () -> parse("case a\n  boot builtin:hello.elf\n  expect task nobody exit 0\n"));
        String shownTask = "rewind: bad suite: " + task.getMessage().replace("t.suite:", "bad.suite:");
        assertTrue(testing.contains(shownTask), () -> "docs/TESTING.md does not show: " + shownTask);
    }

    @Test
    void aGoodSuiteMeansWhatItSays() throws Exception {
        Suite s = parse("""
                # a comment
                suite mysuite
                timeout 5s
                tags all

                case first            # trailing comment
                  boot builtin:hello.elf
                  tags smoke quick
                  expect line "hello from rewind"
                  expect line contains "generation 1"
                  expect line /^hello: task \\d+ .*NS$/i times 1
                  expect lines in order
                  expect no line "goodbye"
                  expect no line /FAIL|SURVIVED/
                  expect exit ok
                  expect task hello exit 0
                  expect task hello state exited
                case second
                  boot builtin:t_restart.toml
                  timeout 1.5s
                  expect fault kv ILLEGAL_INSTRUCTION times 1
                  expect fault kv any
                  allow fault restart_client
                  allow fault * unmapped_read
                  expect task kv restarts 1
                  expect task kv generation 2
                  expect exit 1
                case third
                  boot builtin:spinner.elf
                  until lines
                  expect line "spinner: spinning"
                  skip not today, thanks
                """);
        assertEquals("mysuite", s.name());
        assertEquals(6, s.cases().size(), "each case on RISC-V and on AArch64");

        TestCase a = s.cases().get(0);
        assertEquals("mysuite/riscv64/first", a.fullName());
        assertEquals("first", a.baseName());
        assertEquals(Arch.RISCV64, a.arch());
        TestCase a64 = s.cases().get(1);
        assertEquals("mysuite/aarch64/first", a64.fullName());
        assertEquals(Arch.AARCH64, a64.arch());
        assertEquals(a.tags(), a64.tags());
        assertTrue(
                a64.image().location().startsWith("builtin:aarch64/"),
                a64.image().location());
        assertEquals(6, a.line());
        assertEquals(List.of("all", "smoke", "quick"), a.tags());
        assertEquals(5_000_000_000L, a.timeoutNanos());
        assertEquals("hello", a.image().manifest().tasks().get(0).name());
        Expectations e = a.expect();
        assertEquals(SystemResult.Outcome.OK, e.outcome());
        assertEquals(3, e.lines().size());
        assertTrue(e.lines().get(0).matcher().matches("hello from rewind"));
        assertFalse(e.lines().get(0).matcher().matches("hello from rewind!"), "a plain string is the whole line");
        assertTrue(e.lines().get(1).matcher().matches("hello: task 0 generation 1, clock 5 ns"));
        assertTrue(e.lines().get(2).matcher().matches("hello: task 0 generation 1, clock 5 ns"), "flag i");
        assertEquals(1, e.lines().get(2).times());
        assertTrue(e.inOrder());
        assertEquals(2, e.forbidden().size());
        assertTrue(e.forbidden().get(1).matches("fault: SURVIVED"));
        assertEquals(TaskExpectation.Property.STATE, e.tasks().get(1).property());
        assertEquals(TaskState.EXITED, e.tasks().get(1).state());
        assertFalse(e.untilLines());

        TestCase b = s.cases().get(2);
        assertEquals(1_500_000_000L, b.timeoutNanos());
        assertEquals(SystemResult.Outcome.TASK_FAILED, b.expect().outcome());
        assertEquals(FaultKind.ILLEGAL_INSTRUCTION, b.expect().faults().get(0).kind());
        assertEquals(1, b.expect().faults().get(0).times());
        assertNull(b.expect().faults().get(1).kind(), "any");
        assertTrue(b.expect().allowed().get(0).covers("restart_client", FaultKind.ABORT));
        assertTrue(b.expect().allowed().get(1).covers("kv", FaultKind.UNMAPPED_READ));
        assertFalse(b.expect().allowed().get(1).covers("kv", FaultKind.UNMAPPED_WRITE));
        assertEquals(2, b.expect().tasks().get(1).number());

        TestCase c = s.cases().get(4);
        assertTrue(c.expect().untilLines());
        assertEquals("not today, thanks", c.skipReason());
        assertEquals(List.of("all"), c.tags());
    }

    static Stream<Arguments> badSuites() {
        String head = "case a\n  boot builtin:hello.elf\n";
        return Stream.of(
                Arguments.of(
                        head + "  expekt line \"x\"\n",
                        "t.suite:3: unknown directive 'expekt' (did you mean 'expect'?)"),
                Arguments.of(
                        "boot builtin:hello.elf\n", "t.suite:1: 'boot' outside a case (start one with 'case NAME')"),
                Arguments.of(
                        "case a\n  boot builtin:no_such.elf\n",
                        "t.suite:2: cannot boot builtin:no_such.elf: no built-in image"),
                Arguments.of(
                        "case a\n\n  boot missing.elf\n", "t.suite:3: cannot boot missing.elf: no such image file"),
                Arguments.of(head + "  expect line /a(b/\n", "t.suite:3: bad regex /a(b/: Unclosed group"),
                // an empty regex or contains "" matches any line: vacuous, and 'expect no line' of it always fails
                Arguments.of(head + "  expect line //\n", "t.suite:3: an empty // matches any line"),
                Arguments.of(head + "  expect no line //\n", "t.suite:3: an empty // matches any line"),
                Arguments.of(head + "  expect line contains \"\"\n", "t.suite:3: every line contains \"\""),
                Arguments.of(
                        head + "case b\n  boot builtin:hello.elf\ncase a\n",
                        "t.suite:5: duplicate case name 'a' (first defined at line 1)"),
                Arguments.of("case a\n  expect exit ok\ncase b\n", "t.suite:1: case 'a' has no 'boot IMAGE' line"),
                Arguments.of(
                        head + "  boot builtin:hello.elf\n",
                        "t.suite:3: case 'a' already boots builtin:hello.elf (line 2)"),
                Arguments.of(head + "  expect line \"unterminated\n", "t.suite:3: unterminated string"),
                Arguments.of(head + "  expect line \"a\\qb\"\n", "t.suite:3: unknown escape \\q"),
                // a console line holds no newline: the text could never match, "expect no line" never fail
                Arguments.of(
                        head + "  expect line \"a\\nb\"\n",
                        "t.suite:3: a console line holds no newline, so \"a\\nb\" can never match one"),
                Arguments.of(
                        head + "  expect no line contains \"x\\ny\"\n",
                        "t.suite:3: a console line holds no newline, so \"x\\ny\" can never match one"),
                Arguments.of(
                        head + "  expect line hello\n",
                        "t.suite:3: expected \"text\", contains \"text\" or /regex/, got 'hello'"),
                Arguments.of(
                        head + "  expect exit fine\n",
                        "t.suite:3: unknown exit 'fine' (expected one of: ok, task_failed"),
                Arguments.of(
                        head + "  expect exit ok please\n", "t.suite:3: unexpected 'please' at the end of the line"),
                Arguments.of(
                        head + "  expect exit ok\n  expect exit 1\n",
                        "t.suite:4: duplicate 'expect exit' (first at line 3)"),
                Arguments.of(head + "  expect fault hello SEGV\n", "t.suite:3: unknown fault kind 'SEGV'"),
                Arguments.of(
                        head + "  expect fault nobody ABORT\n",
                        "t.suite:3: no task 'nobody' in builtin:hello.elf (its tasks: hello)"),
                Arguments.of(head + "  expect task hello mood happy\n", "t.suite:3: unknown task check 'mood'"),
                Arguments.of(head + "  expect task hello state sleepy\n", "t.suite:3: unknown task state 'sleepy'"),
                Arguments.of(head + "  expect lines sorted\n", "t.suite:3: expected 'expect lines in order'"),
                Arguments.of(
                        head + "  expect lines \"x\"\n",
                        "t.suite:3: expected 'expect lines in order' (the lines expected after it are in that order)"
                                + " or, for one line, 'expect line MATCH'"),
                Arguments.of(head + "  timeout soon\n", "t.suite:3: not a duration: 'soon'"),
                Arguments.of(head + "  until lines\n", "t.suite:3: 'until lines' needs at least one 'expect line'"),
                Arguments.of(
                        head + "  until lines\n  expect line \"x\"\n  expect exit ok\n",
                        "t.suite:5: 'expect exit' cannot be combined with 'until lines'"),
                Arguments.of(
                        head + "  expect output missing.txt\n",
                        "t.suite:3: cannot read the expected output missing.txt: no such file: "),
                Arguments.of(head + "  expect output /x/\n", "t.suite:3: expected a file name, got /x/"),
                Arguments.of(
                        head + "  expect output out.txt\n  expect output out.txt\n",
                        "t.suite:4: duplicate 'expect output' (first at line 3)"),
                Arguments.of(
                        head + "  until lines\n  expect line \"x\"\n  expect output out.txt\n",
                        "t.suite:5: 'expect output' cannot be combined with 'until lines'"),
                Arguments.of(
                        head + "  input nothere.txt\n", "t.suite:3: cannot read the input nothere.txt: no such file: "),
                Arguments.of(
                        head + "  input text abc\n", "t.suite:3: expected the input text in quotes after 'input text'"),
                Arguments.of(head + "  input /x/\n", "t.suite:3: expected a file, or text \"...\", got /x/"),
                Arguments.of(
                        head + "  input out.txt\n  input text \"x\"\n",
                        "t.suite:4: duplicate 'input' (first at line 3)"),
                Arguments.of(head + "  input text \"a\\qb\"\n", "t.suite:3: unknown escape \\q"),
                Arguments.of(
                        head + "  wall_clock tomorrow\n",
                        "t.suite:3: wall_clock: not a UTC time: 'tomorrow' (examples: 2001-02-03T04:05:06Z"),
                Arguments.of(
                        head + "  wall_clock 1969-12-31\n",
                        "t.suite:3: wall_clock: 1969-12-31 is outside 1970-01-01 .. 2199-12-31"),
                Arguments.of(head + "  wall_clock /x/\n", "t.suite:3: expected a UTC time, got /x/"),
                Arguments.of(
                        head + "  wall_clock 2001-02-03\n  wall_clock 2001-02-04\n",
                        "t.suite:4: duplicate 'wall_clock' (first at line 3)"),
                Arguments.of(
                        head + "  wall_clock 2001-02-03 now\n", "t.suite:3: unexpected 'now' at the end of the line"),
                Arguments.of("case a/b\n", "t.suite:1: bad case name 'a/b'"),
                Arguments.of(head + "suite late\n", "t.suite:3: 'suite' must come before the first case"),
                Arguments.of("# nothing but a comment\n", "t.suite: no cases"));
    }

    @Test
    void aCaseMayFixTheWallClockItsSystemStartsAt() throws Exception {
        Suite s = parse("case fixed\n  boot builtin:hello.elf\n  wall_clock 2001-02-03T04:05:06.5Z\n"
                + "case day\n  boot builtin:hello.elf\n  wall_clock 2001-02-03\n"
                + "case host\n  boot builtin:hello.elf\n");
        assertEquals(
                java.time.Instant.parse("2001-02-03T04:05:06.500Z"),
                s.cases().get(0).wallClock());
        assertEquals(
                java.time.Instant.parse("2001-02-03T00:00:00Z"),
                s.cases().get(2).wallClock());
        assertEquals(null, s.cases().get(4).wallClock(), "without wall_clock: the host's time of day");
    }

    @ParameterizedTest
    @MethodSource("badSuites")
    void aBadSuiteIsReportedWithItsFileAndLine(String text, String expected) {
        SuiteException e = assertThrows(SuiteException.class, () -> parse(text));
        assertTrue(
                e.getMessage().startsWith(expected), () -> "expected: " + expected + "\n     got: " + e.getMessage());
    }

    @Test
    void everyBadLineOfAFileIsReportedInOneGoWithoutTheProblemsItCauses() {
        SuiteException e = assertThrows(
                SuiteException.class,
                () -> parse(
                        "case a\n  boot builtin:no_such.elf\n  expect task hello exit 0\n" // no boot: no more
                                + "case b\n  boot builtin:hello.elf\n  expekt line \"x\"\n"
                                + "case c\n  boot builtin:hello.elf\n  expect exit ok\n" // fine: not reported
                                + "case b\n  boot builtin:hello.elf\n" // duplicate: its lines are not b's
                                + "case d!\n  timeout soon\n" // a bad name: its lines not c's
                                + "case e\n  expect exit ok\n")); // whole-case check of a good case
        List<String> all = e.all().stream().map(SuiteException::getMessage).toList();
        assertEquals(6, all.size(), () -> String.join("\n", all));
        assertTrue(all.get(0).startsWith("t.suite:2: cannot boot builtin:no_such.elf"), all.get(0));
        assertTrue(all.get(1).startsWith("t.suite:6: unknown directive 'expekt'"), all.get(1));
        assertTrue(all.get(2).startsWith("t.suite:10: duplicate case name 'b' (first defined at line 4)"), all.get(2));
        assertTrue(all.get(3).startsWith("t.suite:12: bad case name"), all.get(3));
        assertTrue(all.get(4).startsWith("t.suite:13: not a duration: 'soon'"), all.get(4));
        assertEquals("t.suite:14: case 'e' has no 'boot IMAGE' line", all.get(5));
        assertEquals(all.get(0), e.getMessage(), "the first problem is the exception's own");

        StringBuilder many = new StringBuilder("case a\n  boot builtin:hello.elf\n");
        for (int i = 0; i < 30; i++) {
            many.append("  expect exit fine\n");
        }
        List<SuiteException> capped =
                assertThrows(SuiteException.class, () -> parse(many.toString())).all();
        assertEquals(SuiteParser.MAX_ERRORS + 1, capped.size());
        assertTrue(capped.get(SuiteParser.MAX_ERRORS).getMessage().contains("reading stopped after 20"));
    }

    @Test
    void relativeImagesAreFoundBesideTheSuiteAndManifestsFallBackToBuiltinPrograms() throws Exception {
        Files.writeString(
                dir.resolve("two.toml"),
                "name = \"two\"\n[task.w]\nimage = \"worker.elf\"\n[task.h]\nimage = \"hello.elf\"\n");
        Files.write(dir.resolve("mine.elf"), Fixtures.builtinBytes("hello.elf"));
        Suite s = parse(
                "case m\n  boot two.toml\n  expect task w exit 0\ncase e\n  boot mine.elf\n  expect task mine exit 0\n");
        assertEquals(
                List.of("w", "h"),
                s.cases().get(0).image().manifest().tasks().stream()
                        .map(t -> t.name())
                        .toList());
        assertEquals(
                Fixtures.builtinBytes("worker.elf").length,
                s.cases().get(0).image().source().read("worker.elf").length);
        // the manifest beside the suite runs on AArch64 too, with AArch64's built-in programs;
        // the RISC-V ELF file beside it only on RISC-V
        assertEquals(
                List.of("riscv64/m", "aarch64/m", "riscv64/e"),
                s.cases().stream().map(TestCase::name).toList());
        assertArrayEquals(
                Fixtures.builtinBytes("aarch64/worker.elf"),
                s.cases().get(1).image().source().read("worker.elf"));
        assertEquals("mine", s.cases().get(2).image().manifest().tasks().get(0).name());
    }

    @Test
    void archOnlyCasesStayOnTheirArchitectureAndASuiteCanBeReadForOne() throws Exception {
        String text = "case fpc\n  boot builtin:t_fpc_deref_warm.elf\n"
                + "case arm\n  boot builtin:aarch64/hello.elf\n"
                + "case both\n  boot builtin:hello.elf\n";
        assertEquals(
                List.of("riscv64/fpc", "aarch64/arm", "riscv64/both", "aarch64/both"),
                parse(text).cases().stream().map(TestCase::name).toList());
        Suite arm = SuiteParser.parse(text, "t.suite", "t", ImageLocator.folder(dir), EnumSet.of(Arch.AARCH64));
        assertEquals(
                List.of("aarch64/arm", "aarch64/both"),
                arm.cases().stream().map(TestCase::name).toList());
        // a suite with no case for the architecture asked for is not a bad suite, only an empty one
        // (`rewind test` refuses to run when every suite is: RegressRunnerTest)
        Suite none = SuiteParser.parse(
                "case fpc\n  boot builtin:t_fpc_deref_warm.elf\n",
                "t.suite",
                "t",
                ImageLocator.folder(dir),
                EnumSet.of(Arch.AARCH64));
        assertEquals(List.of(), none.cases());
    }

    /**
     * A team's own ELF files are built per architecture into different folders (the SDK:
     * build/image and build/aarch64/image), so one suite could not cover both: it needed a
     * suite per architecture. {@code boot ARCH IMAGE} lines give a case its image for each.
     */
    /**
     * {@code boot ARCH x.toml} of a manifest whose programs do not make one system of ARCH: the
     * message names the program that is missing, is not an ELF file or is built for another
     * architecture than the others (it said "its programs are not all built for one
     * architecture" for a program that was only missing).
     */
    @Test
    void aManifestBootedOnOneArchitectureNamesTheProgramThatStopsIt() throws Exception {
        Files.createDirectories(dir.resolve("build/image"));
        Files.createDirectories(dir.resolve("build/aarch64/image"));
        Files.write(dir.resolve("build/image/mine.elf"), Fixtures.builtinBytes("hello.elf"));
        Files.write(dir.resolve("build/aarch64/image/mine.elf"), Fixtures.builtinBytes("aarch64/hello.elf"));
        Files.writeString(dir.resolve("build/image/text.elf"), "not an ELF file\n");
        Map<String, String> manifests = new LinkedHashMap<>();
        manifests.put(
                "missing.toml",
                "[task.a]\nimage = \"build/image/mine.elf\"\n[task.b]\nimage = \"build/image/gone.elf\"\n");
        manifests.put(
                "mixed.toml",
                "[task.a]\nimage = \"build/image/mine.elf\"\n[task.b]\nimage = \"build/aarch64/image/mine.elf\"\n");
        manifests.put(
                "text.toml",
                "[task.a]\nimage = \"build/image/mine.elf\"\n[task.b]\nimage = \"build/image/text.elf\"\n");
        manifests.put("says.toml", "arch = \"aarch64\"\n[task.a]\nimage = \"build/image/mine.elf\"\n");
        for (Map.Entry<String, String> m : manifests.entrySet()) {
            Files.writeString(dir.resolve(m.getKey()), "name = \"sys\"\n" + m.getValue());
        }
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put(
                "boot riscv64 missing.toml",
                "t.suite:2: cannot boot missing.toml on riscv64: task 'b': cannot read image ");
        expected.put(
                "boot aarch64 missing.toml",
                "t.suite:2: cannot boot missing.toml on aarch64: task 'b': cannot read image ");
        expected.put(
                "boot riscv64 mixed.toml",
                "t.suite:2: cannot boot mixed.toml on riscv64: task 'b': build/aarch64/image/mine.elf is built for"
                        + " aarch64, but task 'a' (build/image/mine.elf) is built for riscv64; a system has one"
                        + " architecture");
        expected.put(
                "boot riscv64 text.toml",
                "t.suite:2: cannot boot text.toml on riscv64: task 'b': build/image/text.elf is not an ELF file");
        expected.put(
                "boot riscv64 says.toml",
                "t.suite:2: cannot boot says.toml on riscv64: task 'a': build/image/mine.elf is built for riscv64,"
                        + " but the manifest says arch = \"aarch64\"; a system has one architecture");
        for (Map.Entry<String, String> e : expected.entrySet()) {
            SuiteException x = assertThrows(SuiteException.class, () -> parse("case a\n  " + e.getKey() + "\n"));
            assertTrue(x.getMessage().contains(e.getValue()), () -> e.getKey() + ": " + x.getMessage());
            assertFalse(x.getMessage().contains("not all built for one"), x::getMessage);
        }
        // the read error names the file as booting it would
        SuiteException gone = assertThrows(SuiteException.class, () -> parse("case a\n  boot riscv64 missing.toml\n"));
        assertTrue(gone.getMessage().contains("gone.elf"), gone::getMessage);
    }

    @Test
    void aCaseMayBootOneImagePerArchitecture() throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("build/image"));
        java.nio.file.Files.createDirectories(dir.resolve("build/aarch64/image"));
        java.nio.file.Files.write(dir.resolve("build/image/hello.elf"), Fixtures.builtinBytes("hello.elf"));
        java.nio.file.Files.write(
                dir.resolve("build/aarch64/image/hello.elf"), Fixtures.builtinBytes("aarch64/hello.elf"));
        String text = """
                case hello
                  boot riscv64 build/image/hello.elf
                  boot aarch64 build/aarch64/image/hello.elf
                  expect task hello exit 0
                case rv_only
                  boot riscv64 build/image/hello.elf
                """;
        Suite s = parse(text);
        assertEquals(
                List.of("riscv64/hello", "aarch64/hello", "riscv64/rv_only"),
                s.cases().stream().map(TestCase::name).toList());
        assertEquals(Arch.AARCH64, ImageLocator.archOf(s.cases().get(1).image()));
        assertEquals("build/aarch64/image/hello.elf", s.cases().get(1).boot());
        assertEquals(
                dir.resolve("build/aarch64/image/hello.elf").toString(),
                s.cases().get(1).bootImage());
        assertEquals("build/image/hello.elf", s.cases().get(0).boot());
        // --arch: an architecture not selected is not opened (its image need not be built)
        java.nio.file.Files.delete(dir.resolve("build/aarch64/image/hello.elf"));
        Suite rv = SuiteParser.parse(text, "t.suite", "t", ImageLocator.folder(dir), EnumSet.of(Arch.RISCV64));
        assertEquals(
                List.of("riscv64/hello", "riscv64/rv_only"),
                rv.cases().stream().map(TestCase::name).toList());

        java.nio.file.Files.write(
                dir.resolve("build/aarch64/image/hello.elf"), Fixtures.builtinBytes("aarch64/hello.elf"));
        for (String[] bad : new String[][] {
            {
                "case a\n  boot x86 build/image/hello.elf\n",
                "t.suite:2: 'boot' takes IMAGE or ARCH IMAGE, and 'x86' is no architecture (expected one of: riscv64, aarch64)"
            },
            {
                "case a\n  boot riscv64 build/image/hello.elf\n  boot riscv64 build/image/hello.elf\n",
                "t.suite:3: case 'a' already boots build/image/hello.elf on riscv64 (line 2)"
            },
            {
                "case a\n  boot build/image/hello.elf\n  boot aarch64 build/aarch64/image/hello.elf\n",
                "t.suite:3: case 'a' already boots build/image/hello.elf on every architecture (line 2)"
            },
            {
                "case a\n  boot aarch64 build/aarch64/image/hello.elf\n  boot build/image/hello.elf\n",
                "t.suite:3: case 'a' already boots build/aarch64/image/hello.elf on aarch64 (line 2)"
            },
            {
                "case a\n  boot aarch64 build/image/hello.elf\n",
                "t.suite:2: cannot boot build/image/hello.elf on aarch64: it is built for riscv64 (ELF machine 243),"
                        + " not aarch64 (183)"
            },
            {
                "case a\n  boot riscv64 build/image/nothere.elf\n",
                "t.suite:2: cannot boot build/image/nothere.elf on riscv64: no such image file"
            },
            {
                "case a\n  boot riscv64 build/image/hello.elf\n  expect task nobody exit 0\n",
                "t.suite:3: no task 'nobody' in build/image/hello.elf (its tasks: hello)"
            },
        }) {
            SuiteException e = assertThrows(SuiteException.class, () -> parse(bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void aFolderIsASuiteOfElfFilesWithExpectFiles() throws Exception {
        Files.write(dir.resolve("hello.elf"), Fixtures.builtinBytes("hello.elf"));
        Files.write(dir.resolve("spare.elf"), Fixtures.builtinBytes("worker.elf")); // no .expect: not a case
        Files.writeString(dir.resolve("hello.expect"), "tags smoke\nexpect line \"hello from rewind\"\n");
        Suite s = SuiteLoader.load(dir.toString());
        assertEquals(1, s.cases().size(), "a RISC-V ELF file: a RISC-V case only");
        TestCase c = s.cases().get(0);
        assertEquals("riscv64/hello", c.name());
        assertEquals("hello.elf", c.boot());
        assertEquals(List.of("smoke"), c.tags());
        assertTrue(c.file().endsWith("hello.expect"), c.file());

        Files.writeString(dir.resolve("bad.expect"), "expect exit ok\n");
        SuiteException orphan = assertThrows(SuiteException.class, () -> SuiteLoader.load(dir.toString()));
        assertTrue(orphan.getMessage().contains("bad.expect: no bad.elf (or bad.toml) beside it"), orphan.getMessage());
        Files.delete(dir.resolve("bad.expect"));

        Files.writeString(dir.resolve("hello.expect"), "expect exit ok\nboot other.elf\n");
        SuiteException boot = assertThrows(SuiteException.class, () -> SuiteLoader.load(dir.toString()));
        assertTrue(
                boot.getMessage().contains("hello.expect:2: 'boot' is not allowed in an .expect file"),
                boot.getMessage());
    }

    /** Every X.expect of a folder is a case or an error: never one left out without a word. */
    @Test
    void aFolderSuiteLeavesNoExpectFileOut() throws Exception {
        Files.write(dir.resolve("hello.elf"), Fixtures.builtinBytes("hello.elf"));
        Files.writeString(dir.resolve("hello.expect"), "expect exit ok\n");
        Files.write(dir.resolve("odd.elf"), Fixtures.builtinBytes("hello.elf"));
        Files.createDirectory(dir.resolve("odd.expect"));
        SuiteException folder = assertThrows(SuiteException.class, () -> SuiteLoader.load(dir.toString()));
        assertTrue(folder.getMessage().contains("odd.expect: cannot read: not a regular file"), folder.getMessage());
        Files.delete(dir.resolve("odd.expect"));
        Files.writeString(dir.resolve("odd.expect"), "expect exit ok\n");
        Files.delete(dir.resolve("odd.elf"));
        Files.createDirectory(dir.resolve("odd.elf"));
        SuiteException elf = assertThrows(SuiteException.class, () -> SuiteLoader.load(dir.toString()));
        assertTrue(elf.getMessage().contains("odd.elf beside it is a folder"), elf.getMessage());
    }

    /** Suite text: a BOM is dropped, CR-only lines are lines, bytes that are not UTF-8 are an error. */
    @Test
    void suiteTextIsUtf8WithAnyLineEnd() throws Exception {
        Path bom = dir.resolve("bom.suite");
        byte[] body = "case a\r  boot builtin:hello.elf# the image\r".getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xef;
        withBom[1] = (byte) 0xbb;
        withBom[2] = (byte) 0xbf;
        System.arraycopy(body, 0, withBom, 3, body.length);
        Files.write(bom, withBom);
        Suite s = SuiteLoader.load(bom.toString());
        assertEquals("a", s.cases().get(0).baseName());
        assertEquals("builtin:hello.elf", s.cases().get(0).boot());
        Path latin1 = dir.resolve("latin1.suite");
        Files.write(
                latin1,
                "case a\n  boot builtin:hello.elf\n  expect line \"caf\u00e9\"\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
        SuiteException e = assertThrows(SuiteException.class, () -> SuiteLoader.load(latin1.toString()));
        assertTrue(e.getMessage().contains("latin1.suite:3: not UTF-8 text (byte 0xe9"), e.getMessage());
    }

    /**
     * A NUL byte in a file a suite names (the image, an input, an expected output) is a bad suite
     * at its line, like any other file that is not there, not "Nul character not allowed" with
     * neither file nor line (the JVM's InvalidPathException escaping to the command).
     */
    @Test
    void aNulByteInAFileNameIsAnErrorAtItsLine() throws Exception {
        String[][] cases = {
            {"case a\n  boot hello\u0000.elf\n", "t.suite:2: cannot boot hello\\x00.elf: not a file name"},
            {"case a\n  boot hello\u0000.toml\n", "t.suite:2: cannot boot hello\\x00.toml: not a file name"},
            {
                "case a\n  boot builtin:hello.elf\n  input in\u0000.txt\n",
                "t.suite:3: cannot read the input in\\x00.txt: not a file name"
            },
            {
                "case a\n  boot builtin:hello.elf\n  expect output o\u0000ut.txt\n",
                "t.suite:3: cannot read the expected output o\\x00ut.txt: not a file name"
            },
        };
        for (String[] c : cases) {
            SuiteException e = assertThrows(SuiteException.class, () -> parse(c[0]));
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void anEmptyOrMissingSuiteIsAnError() throws Exception {
        SuiteException none = assertThrows(SuiteException.class, () -> SuiteLoader.load(dir.toString()));
        assertTrue(none.getMessage().contains("no cases"), none.getMessage());
        SuiteException missing = assertThrows(
                SuiteException.class,
                () -> SuiteLoader.load(dir.resolve("x.suite").toString()));
        assertTrue(missing.getMessage().endsWith("x.suite: no such suite file or folder"), missing.getMessage());
        // "" is no suite, not the current folder ("no cases: a folder suite needs..." puzzled)
        SuiteException empty = assertThrows(SuiteException.class, () -> SuiteLoader.load(""));
        assertEquals("'': an empty suite name (name a .suite file, a folder or builtin:NAME)", empty.getMessage());
        SuiteException builtin = assertThrows(SuiteException.class, () -> SuiteLoader.load("builtin:nope"));
        assertTrue(builtin.getMessage().contains("built-in suites: core, failing"), builtin.getMessage());
    }

    /**
     * What a user new to the runner types first: a built-in suite's bare name, a suite file
     * without its extension, a folder of .suite files. Each message says what would have run.
     */
    @Test
    void aSuiteNamedAlmostRightSaysWhatWouldHaveRun() throws Exception {
        SuiteException core = assertThrows(SuiteException.class, () -> SuiteLoader.load("core"));
        assertEquals(
                "core: no such suite file or folder (did you mean the built-in suite builtin:core?)",
                core.getMessage());
        Path mine = dir.resolve("mine.suite");
        Files.writeString(mine, "case a\n  boot builtin:hello.elf\n");
        Path stem = dir.resolve("mine");
        SuiteException noExt = assertThrows(SuiteException.class, () -> SuiteLoader.load(stem.toString()));
        assertEquals(stem + ": no such suite file or folder (did you mean " + mine + "?)", noExt.getMessage());
        Files.writeString(dir.resolve("other.suite"), "case b\n  boot builtin:hello.elf\n");
        SuiteException folder = assertThrows(SuiteException.class, () -> SuiteLoader.load(dir + "/"));
        assertTrue(
                folder.getMessage()
                        .endsWith("(a .suite file in it is run by naming the file: it holds " + dir + "/mine.suite, "
                                + dir + "/other.suite)"),
                folder.getMessage());
        SuiteException plain = assertThrows(
                SuiteException.class, () -> SuiteLoader.load(dir.resolve("gone").toString()));
        assertTrue(plain.getMessage().endsWith("gone: no such suite file or folder"), plain.getMessage());
    }

    @Test
    void theBuiltInSuitesReadCleanly() throws Exception {
        Suite core = SuiteLoader.load("builtin:core");
        assertTrue(
                core.cases().size() >= 20, "at least 20 cases: " + core.cases().size());
        assertTrue(core.cases().stream().noneMatch(c -> c.tags().contains("failing")));
        Suite failing = SuiteLoader.load("builtin:failing");
        assertTrue(failing.cases().stream().allMatch(c -> c.tags().contains("failing")));
    }

    /** A suite's timeouts are read by the shared parser, with the suite's limit of one hour. */
    private static long nanos(String text) {
        return Units.parseNanos(text, Durations.MAX_NANOS);
    }

    @Test
    void durations() throws Exception {
        assertEquals(500_000_000L, nanos("500ms"));
        assertEquals(20_000_000_000L, nanos("20s"));
        assertEquals(20_000_000_000L, nanos("20"));
        assertEquals(1_500_000_000L, nanos("1.5s"));
        assertEquals(120_000_000_000L, nanos("2m"));
        assertEquals(3_600_000_000_000L, nanos("1h"));
        assertThrows(IllegalArgumentException.class, () -> nanos("0s"));
        assertThrows(IllegalArgumentException.class, () -> nanos("-1s"));
        assertThrows(IllegalArgumentException.class, () -> nanos("2h"));
        assertEquals("500ms", Durations.format(500_000_000L));
        assertEquals("1.5s", Durations.format(1_500_000_000L));
        assertEquals("2m", Durations.format(120_000_000_000L));
        assertEquals("10us", Durations.format(10_000L));
        assertEquals("1500us", Durations.format(1_500_000L));
        Suite s = parse("case a\n  boot builtin:hello.elf\n  timeout 250US\ncase b\n  boot builtin:hello.elf\n"
                + "  timeout 1.25M\n");
        assertEquals(250_000L, s.cases().get(0).timeoutNanos());
        assertEquals(75_000_000_000L, s.cases().get(2).timeoutNanos());
        SuiteException tooLong =
                assertThrows(SuiteException.class, () -> parse("case a\n  boot builtin:hello.elf\n  timeout 61m\n"));
        assertTrue(
                tooLong.getMessage().startsWith("t.suite:3: duration too long: '61m' (at most 1h)"),
                tooLong.getMessage());
    }

    /**
     * The cases of a suite that boot the same image share one opening of it (and one reading of
     * its programs' architecture): a suite of 3,000 cases on one built-in image read and parsed it
     * some 9,000 times to list them (13 s of CPU); an image that cannot be opened is the same
     * error at each case that names it.
     */
    @Test
    void casesThatBootTheSameImageOpenItOnce() throws Exception {
        ImageLocator plain = ImageLocator.folder(dir);
        java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
        ImageLocator counting = (spec, builtinPrograms) -> {
            opens.incrementAndGet();
            return plain.open(spec, builtinPrograms);
        };
        StringBuilder text = new StringBuilder("suite t\n");
        for (int i = 0; i < 40; i++) {
            text.append("case c").append(i).append("\n  boot builtin:hello.elf\n  expect exit ok\n");
        }
        Suite s = SuiteParser.parse(text.toString(), "t.suite", "t", counting);
        assertEquals(80, s.cases().size(), "40 cases on each architecture");
        assertEquals(1, opens.get(), "opened once for 40 cases");
        assertTrue(s.cases().stream()
                .allMatch(c -> c.image() == s.cases().get(0).image()
                        || c.arch() != s.cases().get(0).arch()));
        SuiteException e = assertThrows(
                SuiteException.class,
                () -> SuiteParser.parse(
                        "suite t\ncase a\n  boot nope.elf\ncase b\n  boot nope.elf\n", "t.suite", "t", counting));
        assertTrue(e.getMessage().contains("no such image file"), e.getMessage());
    }
}
