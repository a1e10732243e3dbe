package dev.rewind.tools.regress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.SystemResult;
import dev.rewind.tools.CliRun.Result;
import dev.rewind.tools.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** `rewind test` as a user meets it: reports, summary line, exit status, JUnit XML, selection. */
class RegressRunnerTest {
    @TempDir
    Path dir;

    private static Result rewind(String... args) {
        return Fixtures.rewindWithin(Duration.ofSeconds(120), (Object[]) args);
    }

    /** Each case of guest/suites/failing.suite and the reason it must be reported with. */
    static final Map<String, String> FAILING = new LinkedHashMap<>();

    static {
        FAILING.put("missing_line", "missing line \"goodbye from rewind\"");
        FAILING.put("wrong_exit", "expected exit ok, got task_failed (task(s) failed: echo_server (exit 1))");
        FAILING.put("unexpected_fault", "unexpected fault in task kv (generation 1): illegal instruction");
        FAILING.put(
                "forbidden_line",
                "forbidden line contains \"hello from\" appeared at console line 1: hello from rewind");
        FAILING.put(
                "hangs_after_lines",
                "timed out after 500ms: the system did not end (expected exit ok); the expected line had appeared");
        FAILING.put(
                "out_of_order", "line \"worker: step 0\" is out of order: it does not appear after \"worker: done\"");
        FAILING.put(
                "wrong_fault_kind",
                "expected fault UNMAPPED_WRITE in task t_fault_read, but it faulted once: UNMAPPED_READ");
        FAILING.put("missing_fault", "expected fault ABORT in task hello, but it did not fault");
        FAILING.put("wrong_task_exit", "task echo_server: expected exit 0, but it exited with 1");
        FAILING.put("wrong_line_count", "expected line \"kv: ready\" once, saw it 2 times");
        FAILING.put("never_seen_line", "the run timed out after 500ms before every expected line had appeared");
        FAILING.put("boot_error", "cannot boot missing_elf.toml: task 'ghost': cannot read image");
    }

    @Test
    void theFailingSuiteFailsEveryCaseForItsReasonOnTheTerminalAndInJUnitXml() throws Exception {
        Path xml = dir.resolve("reports/failing.xml");
        Result r = rewind("test", "builtin:failing", "--arch", "riscv64", "--junit-xml", xml.toString());
        assertEquals(1, r.status(), r::toString);
        assertEquals(
                FAILING.size(),
                SuiteLoader.load("builtin:failing", EnumSet.of(Arch.RISCV64))
                        .cases()
                        .size(),
                "every case has its reason here");
        for (Map.Entry<String, String> e : FAILING.entrySet()) {
            String status = e.getKey().equals("boot_error") ? "ERROR" : "FAIL ";
            assertTrue(
                    r.out().contains(status + " failing/riscv64/" + e.getKey()),
                    () -> e.getKey() + " not reported\n" + r.out());
            assertTrue(
                    r.out().contains(e.getValue()),
                    () -> "reason of " + e.getKey() + " missing: " + e.getValue() + "\n" + r.out());
        }
        assertTrue(r.out().contains("      | hello from rewind"), "the console of a failed case is shown");
        assertTrue(r.out().contains("case defined at builtin:failing:9, boots builtin:hello.elf"), r.out());
        assertTrue(r.out().contains("kv (generation 1, at "), "the faults seen are listed");
        List<String> lines = r.out().strip().lines().toList();
        assertEquals("0 passed, 12 failed", lines.get(lines.size() - 1), "the summary is the last line");

        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        Element root = doc.getDocumentElement();
        assertEquals("testsuites", root.getTagName());
        assertEquals("12", root.getAttribute("tests"));
        assertEquals("11", root.getAttribute("failures"));
        assertEquals("1", root.getAttribute("errors"));
        Element suite = (Element) root.getElementsByTagName("testsuite").item(0);
        assertEquals("failing", suite.getAttribute("name"));
        NodeList cases = suite.getElementsByTagName("testcase");
        assertEquals(12, cases.getLength());
        for (int i = 0; i < cases.getLength(); i++) {
            Element c = (Element) cases.item(i);
            String name = c.getAttribute("name").replaceFirst("^riscv64/", "");
            assertEquals("failing", c.getAttribute("classname"));
            assertFalse(c.getAttribute("time").isEmpty());
            String tag = name.equals("boot_error") ? "error" : "failure";
            Element f = (Element) c.getElementsByTagName(tag).item(0);
            assertTrue(f != null, () -> name + " has no <" + tag + ">");
            assertTrue(
                    f.getAttribute("message").contains(FAILING.get(name)),
                    () -> name + ": message '" + f.getAttribute("message") + "' lacks '" + FAILING.get(name) + "'");
            assertTrue(f.getTextContent().contains("case defined at builtin:failing:"), f::getTextContent);
        }
        Element missing = (Element) cases.item(0);
        assertEquals("riscv64/missing_line", missing.getAttribute("name"));
        String out = missing.getElementsByTagName("system-out").item(0).getTextContent();
        assertTrue(out.startsWith("hello from rewind\n"), out);
    }

    @Test
    void aRunStoppedByABadSuiteWritesItsReasonAsTheJUnitReport() throws Exception {
        // A CI job reads the report: one left by an earlier run must not stand for this one.
        Path xml = dir.resolve("report.xml");
        Files.writeString(xml, "<testsuites name=\"rewind\" tests=\"4\" failures=\"0\" errors=\"0\"/>\n");
        Path suite = dir.resolve("broken.suite");
        Files.writeString(suite, "case a\n  boot builtin:hello.elf\n  expect nonsense\n");
        Result r = rewind("test", suite.toString(), "--junit-xml", xml.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("rewind: bad suite: "), r::toString);
        assertTrue(onlyError(xml).startsWith("bad suite: "), r::toString);
        Result none = rewind("test", "builtin:core", "--filter", "no_such_case", "--junit-xml", xml.toString());
        assertEquals(2, none.status(), none::toString);
        assertTrue(onlyError(xml).startsWith("no case matches"), none::toString);
    }

    @Test
    void aRunStoppedByABadOptionWritesItsReasonAsTheJUnitReport() throws Exception {
        // as a bad suite: a CI job that publishes the report whatever the exit status must not
        // show an earlier, green run's report for a run that stopped at its options
        Path xml = dir.resolve("options.xml");
        Map<List<String>, String> bad = new LinkedHashMap<>();
        bad.put(List.of("--jobs", "0"), "--jobs must be between 1 and 1024: 0");
        bad.put(List.of("--timeout", "0"), "--timeout: a duration must be positive");
        bad.put(List.of("--arch", "x86"), "--arch must be riscv64 or aarch64: x86");
        bad.put(List.of("--filter", "/[/"), "--filter: bad regex /[/");
        bad.put(List.of("--log-level", "loud"), "--log-level: unknown log level 'loud'");
        for (Map.Entry<List<String>, String> e : bad.entrySet()) {
            Files.writeString(xml, "<testsuites name=\"rewind\" tests=\"4\" failures=\"0\" errors=\"0\"/>\n");
            List<String> args =
                    new java.util.ArrayList<>(List.of("test", "builtin:core", "--junit-xml", xml.toString()));
            args.addAll(e.getKey());
            Result r = rewind(args.toArray(String[]::new));
            assertEquals(2, r.status(), r::toString);
            assertTrue(r.err().contains("rewind: " + e.getValue()), r::toString);
            assertEquals(1, r.err().strip().lines().count(), () -> "one line: " + r);
            assertTrue(onlyError(xml).startsWith(e.getValue()), () -> e.getKey() + ": " + r);
        }
    }

    /**
     * An expected line that never appeared, but almost did (a word changed, a typo, other case):
     * the report names the console line nearest to it, wherever it was, so that a near miss
     * shows without reading the console; a line far from all of them gets no such hint.
     */
    @Test
    void aMissingLineNamesTheNearestConsoleLine() throws Exception {
        Path suite = dir.resolve("near.suite");
        Files.writeString(suite, """
                case typo
                  boot builtin:worker.elf
                  expect line "worker: setp 2"
                case word
                  boot builtin:hello.elf
                  expect line "hello to rewind"
                case part_case
                  boot builtin:worker.elf
                  expect line contains "Step 3"
                case regex_case
                  boot builtin:hello.elf
                  expect line /^HELLO from/
                case far
                  boot builtin:hello.elf
                  expect line "the quick brown fox jumps"
                  expect line contains "nowhere at all"
                  expect line /^zebra$/
                """);
        Path xml = dir.resolve("near.xml");
        Result r = rewind("test", suite.toString(), "--arch", "riscv64", "--junit-xml", xml.toString());
        assertEquals(1, r.status(), r::toString);
        for (String want : List.of(
                "missing line \"worker: setp 2\"; nearest: console line 3: \"worker: step 2\"",
                "missing line \"hello to rewind\"; nearest: console line 1: \"hello from rewind\"",
                "missing line contains \"Step 3\"; nearest: console line 4: \"worker: step 3\"",
                "missing line /^HELLO from/; nearest: console line 1: \"hello from rewind\" (when case is ignored)")) {
            assertTrue(r.out().contains(want), () -> want + "\n" + r.out());
            assertTrue(Files.readString(xml).contains(want.replace("\"", "&quot;")), want);
        }
        for (String alone : List.of(
                "missing line \"the quick brown fox jumps\"\n",
                "missing line contains \"nowhere at all\"\n",
                "missing line /^zebra$/\n")) {
            assertTrue(r.out().contains(alone), () -> alone + "\n" + r.out());
        }
    }

    /**
     * {@code --verbose} is what a user adds to see more of a failure: the whole console of a case
     * that failed, not only the last 20 lines it shows without it (it showed whole consoles of
     * passing cases only).
     */
    @Test
    void verboseShowsTheWholeConsoleOfAFailedCase() throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = 1; i <= 30; i++) {
            in.append("row ").append(i).append('\n');
        }
        Files.writeString(dir.resolve("rows.txt"), in.toString());
        Path suite = dir.resolve("rows.suite");
        Files.writeString(
                suite, "case rows\n  boot builtin:t_tty_echo.toml\n  input rows.txt\n  expect line \"echo: row 31\"\n");
        Result quiet = rewind("test", suite.toString(), "--arch", "riscv64");
        assertEquals(1, quiet.status(), quiet::toString);
        assertTrue(quiet.out().contains("console (last 20 of 32 lines):"), quiet::toString);
        assertFalse(quiet.out().contains("| echo: row 1\n"), quiet::toString);
        Result verbose = rewind("test", suite.toString(), "--arch", "riscv64", "-v");
        assertEquals(1, verbose.status(), verbose::toString);
        assertTrue(verbose.out().contains("console (32 lines):"), verbose::toString);
        assertTrue(verbose.out().contains("      | echo: row 1\n"), verbose::toString);
        assertTrue(verbose.out().contains("      | echo: row 30\n"), verbose::toString);
    }

    /**
     * A recorded output with a part that changes from run to run (a clock, an address): {@code
     * expect output like FILE} checks every line as {@code expect output} does, each
     * {@code {{REGEX}}} of the file standing for what the regex matches.
     */
    @Test
    void anExpectedOutputMayHoldRegexParts() throws Exception {
        Files.writeString(
                dir.resolve("hello.like"),
                "hello from rewind\nhello: task {{\\d+}} generation 1, clock {{[0-9]+}} ns\n");
        Files.writeString(
                dir.resolve("wrong.like"),
                "hello from rewind\nhello: task {{\\d+}} generation {{[2-9]}}, clock {{.*}}\n");
        Files.writeString(dir.resolve("plain.like"), "hello from {{rewind}}\n");
        Path suite = dir.resolve("like.suite");
        Files.writeString(suite, """
                case like
                  boot builtin:hello.elf
                  expect output like hello.like
                case wrong
                  boot builtin:hello.elf
                  expect output like wrong.like
                case exact
                  boot builtin:hello.elf
                  expect output hello.like
                """);
        Result r = rewind("test", suite.toString());
        assertEquals(1, r.status(), r::toString);
        assertTrue(r.out().contains("PASS  like/riscv64/like "), r::toString);
        assertTrue(r.out().contains("PASS  like/aarch64/like "), r::toString);
        assertTrue(
                r.out()
                        .contains(
                                "the output differs from wrong.like at line 2: expected a line like \"hello: task"
                                        + " {{\\\\d+}} generation {{[2-9]}}, clock {{.*}}\", got \"hello: task 0 generation 1, clock "),
                r::toString);
        assertTrue(
                r.out().contains("the output differs from hello.like at line 2: expected \"hello: task {{"),
                r::toString);
        for (String[] bad : new String[][] {
            {"bad.like", "x {{(}}\n", "bad.like:1: bad regex {{(}}: Unclosed group"},
            {"open.like", "ok\nx {{y\n", "open.like:2: '{{' at column 3 has no '}}'"}
        }) {
            Files.writeString(dir.resolve(bad[0]), bad[1]);
            Files.writeString(suite, "case a\n  boot builtin:hello.elf\n  expect output like " + bad[0] + "\n");
            Result b = rewind("test", suite.toString());
            assertEquals(2, b.status(), b::toString);
            assertTrue(b.err().contains("like.suite:3: " + bad[2]), b::toString);
        }
        // a file called "like" is still a file
        Files.writeString(dir.resolve("like"), "hello from rewind\n");
        Files.writeString(suite, "case a\n  boot builtin:hello.elf\n  expect output like\n");
        Result named = rewind("test", suite.toString(), "--arch", "riscv64");
        assertTrue(
                named.out().contains("the output differs from like at line 2: like ends after 1 line"),
                named::toString);
    }

    /**
     * A testsuite's {@code timestamp} is when it ran (Ant's and Surefire's meaning: a CI system
     * shows it as the start), not when the report was written at the end of the run.
     */
    @Test
    void theJUnitTimestampIsWhenTheRunStarted() throws Exception {
        Path suite = dir.resolve("spin.suite");
        Files.writeString(suite, "case spin\n  boot builtin:spinner.elf\n  timeout 2s\n  expect exit timeout\n");
        Path xml = dir.resolve("spin.xml");
        java.time.Instant before = java.time.Instant.now();
        Result r = rewind("test", suite.toString(), "--arch", "riscv64", "--junit-xml", xml.toString());
        assertEquals(0, r.status(), r::toString);
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        String stamp = ((Element) doc.getElementsByTagName("testsuite").item(0)).getAttribute("timestamp");
        java.time.Instant at = java.time.LocalDateTime.parse(stamp).toInstant(java.time.ZoneOffset.UTC);
        // (whole seconds; the case alone took 2 s)
        assertTrue(!at.isAfter(before.plusSeconds(1)), () -> stamp + " is not the start, " + before);
        assertTrue(!at.isBefore(before.minusSeconds(1)), () -> stamp + " before " + before);
    }

    @Test
    void listWithJUnitXmlIsRefusedAndTheReportSaysWhy() throws Exception {
        // --list runs nothing: the report must neither stay an earlier run's nor read as a run
        Path xml = dir.resolve("listed.xml");
        Files.writeString(xml, "<testsuites name=\"rewind\" tests=\"4\" failures=\"0\" errors=\"0\"/>\n");
        Result r = rewind("test", "builtin:core", "--list", "--filter", "hello", "--junit-xml", xml.toString());
        assertEquals(2, r.status(), r::toString);
        assertEquals("", r.out(), "nothing listed");
        assertTrue(
                r.err().contains("rewind: --list runs no case, so --junit-xml has no results to write"), r::toString);
        assertTrue(onlyError(xml).startsWith("--list runs no case"), r::toString);
        Result help = rewind("test", "--help");
        assertTrue(help.out().contains("(not with --list, which runs no case)"), help::toString);
        Result list = rewind("test", "builtin:core", "--list", "--filter", "hello");
        assertEquals(0, list.status(), list::toString);
        assertTrue(list.out().contains("core/riscv64/hello"), list::toString);
    }

    /** The message of the one error a JUnit report holds (which must count it). */
    private static String onlyError(Path xml) throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        assertEquals("1", doc.getDocumentElement().getAttribute("errors"));
        assertEquals(1, doc.getElementsByTagName("error").getLength());
        return ((org.w3c.dom.Element) doc.getElementsByTagName("error").item(0)).getAttribute("message");
    }

    @Test
    void smokeCasesOfTheCoreSuitePassThroughTheCommand() throws Exception {
        Path xml = dir.resolve("smoke.xml");
        Result r = rewind(
                "test",
                Fixtures.coreSuiteLocation(),
                "--tag",
                "smoke",
                "--exclude-tag",
                "ipc",
                "--jobs",
                "2",
                "--junit-xml",
                xml.toString());
        assertEquals(0, r.status(), r::toString);
        for (String arch : List.of("riscv64", "aarch64")) {
            assertTrue(r.out().contains("PASS  core/" + arch + "/hello"), r.out());
            assertTrue(r.out().contains("PASS  core/" + arch + "/isolation"), r.out());
        }
        assertFalse(r.out().contains("core/demo"), "demo is tagged ipc: excluded");
        assertTrue(r.out().strip().endsWith("\n4 passed, 0 failed"), r.out());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        assertEquals("4", doc.getDocumentElement().getAttribute("tests"));
        assertEquals("0", doc.getDocumentElement().getAttribute("failures"));
        assertEquals(0, doc.getElementsByTagName("failure").getLength());
    }

    @Test
    void aFolderSuiteRunsItsElfFilesAgainstTheirExpectFiles() throws Exception {
        Files.write(dir.resolve("hello.elf"), Fixtures.builtinBytes("hello.elf"));
        Files.write(dir.resolve("t_fault_null.elf"), Fixtures.builtinBytes("t_fault_null.elf"));
        Files.writeString(dir.resolve("hello.expect"), "expect line \"hello from rewind\"\nexpect exit ok\n");
        Files.writeString(dir.resolve("t_fault_null.expect"), """
                # a NULL write, trapped and attributed
                expect line "fault: about to null"
                expect fault t_fault_null UNMAPPED_WRITE
                expect exit task_failed
                """);
        Result pass = rewind("test", dir.toString());
        String name = dir.getFileName().toString();
        assertEquals(0, pass.status(), pass::toString);
        // RISC-V ELF files: RISC-V cases only
        assertTrue(pass.out().contains("PASS  " + name + "/riscv64/hello"), pass.out());
        assertTrue(pass.out().contains("PASS  " + name + "/riscv64/t_fault_null"), pass.out());
        assertTrue(pass.out().strip().endsWith("2 passed, 0 failed"), pass.out());

        Files.writeString(dir.resolve("hello.expect"), "expect line \"hello from elsewhere\"\n");
        Result fail = rewind("test", dir.toString());
        assertEquals(1, fail.status(), fail::toString);
        assertTrue(fail.out().contains("missing line \"hello from elsewhere\""), fail.out());
        assertTrue(fail.out().strip().endsWith("1 passed, 1 failed"), fail.out());
    }

    /**
     * An expected output file: {@code X.stdout} beside {@code X.elf} (no {@code X.expect}) is a
     * case that expects exactly that console output; {@code expect output FILE} in a suite too.
     * Each kind of difference is reported with the line where the two part.
     */
    @Test
    void aCaseComparesTheWholeOutputWithAFile() throws Exception {
        Files.write(dir.resolve("capcheck.elf"), Fixtures.builtinBytes("capcheck.elf"));
        Result first = rewind("boot", "-q", dir.resolve("capcheck.elf").toString());
        List<String> lines = first.out().lines().toList();
        assertTrue(lines.size() >= 4 && lines.get(0).startsWith("capcheck: "), first::toString);
        String want = String.join("\n", lines) + "\n";
        Files.writeString(dir.resolve("capcheck.stdout"), want);
        String name = dir.getFileName().toString();
        // (capcheck alone fails one of its checks, so its task exits 1)
        Files.writeString(dir.resolve("capcheck.expect"), "expect output capcheck.stdout\nexpect exit task_failed\n");
        Result pass = rewind("test", dir.toString());
        assertEquals(0, pass.status(), pass::toString);
        assertTrue(pass.out().contains("PASS  " + name + "/riscv64/capcheck"), pass.out());

        Files.writeString(dir.resolve("capcheck.stdout"), want.replace(lines.get(1), lines.get(1) + "!"));
        Result changed = rewind("test", dir.toString());
        assertEquals(1, changed.status(), changed::toString);
        assertTrue(
                changed.out()
                        .contains("the output differs from capcheck.stdout at line 2: expected \"" + lines.get(1)
                                + "!\", got \"" + lines.get(1) + "\""),
                changed.out());

        Files.writeString(dir.resolve("capcheck.stdout"), want + "one more\n");
        Result shorter = rewind("test", dir.toString());
        assertTrue(
                shorter.out()
                        .contains("at line " + (lines.size() + 1) + ": the console ended after " + lines.size()
                                + " lines, capcheck.stdout has " + (lines.size() + 1)
                                + " lines (expected \"one more\")"),
                shorter.out());

        Files.writeString(dir.resolve("capcheck.stdout"), String.join("\n", lines.subList(0, 2)));
        Result longer = rewind("test", dir.toString());
        assertTrue(
                longer.out()
                        .contains("at line 3: capcheck.stdout ends after 2 lines, the console went on with \""
                                + lines.get(2) + "\""),
                longer.out());

        // Without the .expect file the .stdout file alone is the case (and its task's exit 1
        // fails it: the default outcome is ok).
        Files.delete(dir.resolve("capcheck.expect"));
        Files.writeString(dir.resolve("capcheck.stdout"), want);
        Result alone = rewind("test", dir.toString());
        assertEquals(1, alone.status(), alone::toString);
        assertTrue(alone.out().contains("expected exit ok, got task_failed"), alone.out());
        assertTrue(!alone.out().contains("the output differs"), alone.out());

        // In a suite file; a file that is not there is an error of the suite.
        Path suite = dir.resolve("golden.suite");
        Files.writeString(suite, "case c\n  boot capcheck.elf\n  expect output capcheck.stdout\n  expect exit 1\n");
        assertEquals(0, rewind("test", suite.toString()).status());
        Files.writeString(suite, "case c\n  boot capcheck.elf\n  expect output nothere.txt\n");
        Result missing = rewind("test", suite.toString());
        assertEquals(2, missing.status(), missing::toString);
        assertTrue(
                missing.err().contains("golden.suite:3: cannot read the expected output nothere.txt"), missing.err());
    }

    /**
     * {@code input}: the console's input for the run, which a program reads as stdin (a file
     * beside the suite, or text); without it stdin is at its end at once.
     */
    @Test
    void aCaseFeedsItsInputToTheProgramsStdin() throws Exception {
        Files.write(dir.resolve("readline.elf"), Fixtures.builtinBytes("readline.elf"));
        Files.writeString(dir.resolve("in.txt"), "first\nsecond line\n");
        Path suite = dir.resolve("stdin.suite");
        Files.writeString(suite, """
                case from_file
                  boot readline.elf
                  input in.txt
                  expect line "readline: 1: first"
                  expect line "readline: 2: second line"
                  expect line "readline: 2 lines, 18 bytes"
                case from_text
                  boot readline.elf
                  input text "no newline at the end"
                  expect line "readline: 1: no newline at the end"
                  expect line "readline: 1 lines, 21 bytes"
                case none
                  boot readline.elf
                  expect line "readline: 0 lines, 0 bytes"
                """);
        Result r = rewind("test", suite.toString());
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().strip().endsWith("3 passed, 0 failed"), r.out());
    }

    @Test
    void skippedCasesAreCountedAndTheDefaultTimeoutApplies() throws Exception {
        Path suite = dir.resolve("mixed.suite");
        Files.writeString(suite, """
                case spins
                  boot builtin:spinner.elf
                  expect line "spinner: spinning"
                  expect exit timeout
                case later
                  boot builtin:hello.elf
                  skip waiting for issue 12
                """);
        Path xml = dir.resolve("mixed.xml");
        Result r = rewind("test", suite.toString(), "--timeout", "300ms", "--junit-xml", xml.toString());
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("SKIP  mixed/riscv64/later  (waiting for issue 12)"), r.out());
        assertTrue(r.out().contains("SKIP  mixed/aarch64/later  (waiting for issue 12)"), r.out());
        assertTrue(r.out().strip().endsWith("2 passed, 0 failed, 2 skipped"), r.out());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        assertEquals("2", doc.getDocumentElement().getAttribute("skipped"));
        assertEquals(2, doc.getElementsByTagName("skipped").getLength());
    }

    @Test
    void badSuitesAndBadOptionsAreExitStatus2() throws Exception {
        Path bad = dir.resolve("bad.suite");
        Files.writeString(bad, "case a\n  boot builtin:hello.elf\n  expect lien \"x\"\n");
        Result r = rewind("test", bad.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("bad.suite:3: unknown expectation 'lien' (did you mean 'line'?)"), r.err());

        Result missing = rewind("test", dir.resolve("none.suite").toString());
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("none.suite: no such suite file or folder"), missing.err());

        Result noMatch = rewind("test", "builtin:core", "--filter", "no_such_case*");
        assertEquals(2, noMatch.status());
        assertTrue(noMatch.err().contains("no case matches"), noMatch.err());

        // a misspelt tag: the message shows what there is to select from
        Path tagged = dir.resolve("tagged.suite");
        Files.writeString(tagged, """
                case a
                  boot builtin:hello.elf
                  tags smoke fast
                case b
                  boot builtin:hello.elf
                  tags slow
                """);
        Result typo = rewind("test", tagged.toString(), "--tag", "smok");
        assertEquals(2, typo.status(), typo::toString);
        assertTrue(
                typo.err()
                        .contains("(4 cases, named like tagged/riscv64/a, tagged/aarch64/a, tagged/riscv64/b;"
                                + " their tags: fast slow smoke; --list shows them)"),
                typo.err());

        Result badTimeout = rewind("test", "builtin:core", "--timeout", "soon");
        assertEquals(2, badTimeout.status());
        assertTrue(badTimeout.err().contains("--timeout: not a duration: 'soon'"), badTimeout.err());

        Result badJobs = rewind("test", "builtin:core", "--jobs", "0");
        assertEquals(2, badJobs.status());
        assertTrue(badJobs.err().contains("--jobs"), badJobs.err());
    }

    @Test
    void helpAndList() {
        Result help = rewind("test", "--help");
        assertEquals(0, help.status());
        for (String s : List.of(
                "--filter",
                "--tag",
                "--exclude-tag",
                "--jobs",
                "--junit-xml",
                "--timeout",
                "--verbose",
                "Exit status",
                "docs/TESTING.md")) {
            assertTrue(help.out().contains(s), () -> s + " missing from\n" + help.out());
        }
        assertTrue(rewind("--help").out().contains("test"), "registered as a subcommand");
        Result list = rewind("test", "builtin:core", "--list", "--filter", "fault_*", "--filter", "/isol/");
        assertEquals(0, list.status(), list::toString);
        List<String> names = list.out().lines().map(l -> l.split(" ")[0]).toList();
        assertTrue(names.contains("core/riscv64/fault_read"), list.out());
        assertTrue(names.contains("core/aarch64/fault_read"), list.out());
        assertTrue(names.contains("core/riscv64/isolation"), list.out());
        assertFalse(names.contains("core/riscv64/hello"), list.out());
        Result arm = rewind("test", "builtin:core", "--list", "--arch", "aarch64", "--filter", "hello");
        assertEquals(0, arm.status(), arm::toString);
        assertEquals("core/aarch64/hello", arm.out().strip().split(" ")[0], arm.out());
        assertEquals(1, arm.out().strip().lines().count(), arm.out());
        Result bad = rewind("test", "builtin:core", "--list", "--arch", "mips");
        assertEquals(2, bad.status(), bad::toString);
        assertTrue(bad.err().contains("--arch must be riscv64 or aarch64"), bad::toString);
    }

    @Test
    void selectionByGlobRegexAndTags() throws Exception {
        Suite s = SuiteParser.parse("""
                suite sel
                case fault_read
                  boot builtin:hello.elf
                  tags faults
                case fault_write
                  boot builtin:hello.elf
                  tags faults slow
                case hello
                  boot builtin:hello.elf
                  tags smoke
                """, "sel.suite", "sel", ImageLocator.folder(dir));
        assertEquals(
                List.of("fault_read", "fault_write"),
                names(new Selection(List.of("fault_*"), List.of(), List.of()), s));
        assertEquals(List.of("fault_read"), names(new Selection(List.of("sel/fault_????"), List.of(), List.of()), s));
        assertEquals(List.of("fault_write"), names(new Selection(List.of("fault_[w]*"), List.of(), List.of()), s));
        assertEquals(
                List.of("fault_write", "hello"), names(new Selection(List.of("/write|hel/"), List.of(), List.of()), s));
        assertEquals(List.of("hello"), names(new Selection(List.of("/^sel/h/"), List.of(), List.of()), s));
        assertEquals(
                List.of("fault_read", "fault_write"), names(new Selection(List.of(), List.of("faults"), List.of()), s));
        assertEquals(List.of("fault_read"), names(new Selection(List.of(), List.of("faults"), List.of("slow")), s));
        assertEquals(List.of("fault_read", "hello"), names(new Selection(List.of(), List.of(), List.of("slow")), s));
        assertEquals(List.of("hello"), names(new Selection(List.of("hello", "nothing"), List.of(), List.of()), s));
        assertEquals(List.of(), names(new Selection(List.of("hello"), List.of("faults"), List.of()), s));
        assertEquals(
                List.of("aarch64/fault_read"),
                new Selection(List.of("aarch64/fault_r*"), List.of(), List.of())
                        .select(List.of(s)).stream().map(TestCase::name).toList());
        // [!...] as in the shell: none of them; a ] first in a class is one of its characters
        assertEquals(List.of("hello"), names(new Selection(List.of("[!f]ello"), List.of(), List.of()), s));
        assertEquals(List.of("hello"), names(new Selection(List.of("[]h]ello"), List.of(), List.of()), s));
        // bad globs and regexes: what is wrong, in the user's own terms
        for (String[] bad : new String[][] {
            {"[]", "unclosed [ in glob '[]'"}, {"[z-a]", "bad glob '[z-a]'"}, {"/(/", "bad regex /(/"}
        }) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> new Selection(List.of(bad[0]), List.of(), List.of()));
            assertTrue(e.getMessage().startsWith("--filter: ") && e.getMessage().contains(bad[1]), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    /**
     * --arch is a selection: a suite with no case for that architecture adds none, and the others
     * run (before, it was a "bad suite", exit 2, and nothing ran: `rewind test suites/*.suite --arch
     * aarch64` failed as soon as one suite was RISC-V only). Only when no suite has a case for it
     * is there nothing to run, which says so.
     */
    @Test
    void archLeavesOutASuiteWithNoCaseForItAndRunsTheOthers() throws Exception {
        Path rvOnly = dir.resolve("rv.suite");
        Files.writeString(rvOnly, "case fpc\n  boot builtin:t_fpc_deref_warm.elf\n  expect exit task_failed\n");
        Path both = dir.resolve("both.suite");
        Files.writeString(both, "case hello\n  boot builtin:hello.elf\n  expect line \"hello from rewind\"\n");
        Result r = rewind("test", rvOnly.toString(), both.toString(), "--arch", "aarch64", "-j", "1");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("PASS  both/aarch64/hello"), r::toString);
        assertFalse(r.out().contains("rv/"), r::toString);
        assertFalse(r.err().contains("bad suite"), r::toString);

        Result none = rewind("test", rvOnly.toString(), "--arch", "aarch64");
        assertEquals(2, none.status(), none::toString);
        assertTrue(none.err().contains("rewind: no case is built for aarch64 (--arch aarch64)"), none::toString);
        assertFalse(none.err().contains("bad suite"), none::toString);

        Result filtered = rewind("test", rvOnly.toString(), both.toString(), "--arch", "aarch64", "--filter", "fpc");
        assertEquals(2, filtered.status(), filtered::toString);
        assertTrue(
                filtered.err().contains("no case matches the --filter/--tag/--exclude-tag options on aarch64"),
                filtered::toString);
    }

    /**
     * A fault in a case's report names the faulting source line, as `rewind boot`'s fault line does
     * (the SDK builds with -g): on the terminal and in the JUnit XML. Before, the report had only
     * {@code (main+0x14)}, and a CI log reader had to rerun the case with `rewind boot` to learn it.
     */
    @Test
    void aFaultInTheReportNamesItsSourceLine() throws Exception {
        Path suite = dir.resolve("src.suite");
        Files.writeString(suite, "case read\n  boot builtin:t_fault_read.elf\n");
        Path xml = dir.resolve("src.xml");
        Result r = rewind("test", suite.toString(), "--junit-xml", xml.toString());
        assertEquals(1, r.status(), r::toString);
        for (String arch : List.of("riscv64", "aarch64")) {
            assertTrue(r.out().contains("FAIL  src/" + arch + "/read"), r::toString);
        }
        java.util.regex.Pattern at = java.util.regex.Pattern.compile(
                "unexpected fault in task t_fault_read \\(generation 1\\): read of unmapped memory at address"
                        + " 0x[0-9a-f]+, pc 0x[0-9a-f]+ \\(main\\+0x[0-9a-f]+ at tests/fault\\.c:\\d+\\)");
        assertEquals(2, at.matcher(r.out()).results().count(), r::toString);
        assertEquals(2, at.matcher(Files.readString(xml)).results().count(), "both failures in the XML");
    }

    /**
     * The stack-overflow hint of a bare ELF suggested {@code image = "stack.elf"} for a manifest,
     * which works only beside the ELF: a team's manifest next to its Makefile needs
     * {@code build/image/stack.elf}. The hint gives the path from the current folder when the ELF
     * is inside it, else the file name and says the manifest goes beside the ELF.
     */
    @Test
    void theStackOverflowHintOfABareElfNamesItFromWhereAManifestWouldBe() throws Exception {
        byte[] elf = Fixtures.builtinBytes("t_fpc_stack.elf");
        // a team's layout inside the current folder (the module's target/)
        Path team = Files.createDirectories(
                Path.of("target", "stack-hint-" + ProcessHandle.current().pid()));
        try {
            Path built = Files.createDirectories(team.resolve("build/image")).resolve("stack.elf");
            Files.write(built, elf);
            Path tests = Files.createDirectories(team.resolve("tests"));
            Files.writeString(tests.resolve("t.suite"), "case s\n  boot ../build/image/stack.elf\n");
            Result r = rewind("test", tests.resolve("t.suite").toString(), "--arch", "riscv64");
            assertEquals(1, r.status(), r::toString);
            var hint = java.util.regex.Pattern.compile(
                            "in a manifest in the current folder: image paths are relative to its folder\\):"
                                    + " \\[task\\.stack\\] image = \"([^\"]+)\" stack = \"16M\"")
                    .matcher(r.out());
            assertTrue(hint.find(), r::toString);
            assertEquals(team.resolve("build/image/stack.elf").toString(), hint.group(1));
            assertTrue(Files.isSameFile(built, Path.of(hint.group(1))), "a manifest in the current folder finds it");
        } finally {
            try (var files = Files.walk(team)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        // outside the current folder: the file name, beside the ELF
        Files.write(dir.resolve("stack.elf"), elf);
        Files.writeString(dir.resolve("t.suite"), "case s\n  boot stack.elf\n");
        Result r = rewind("test", dir.resolve("t.suite").toString(), "--arch", "riscv64");
        assertEquals(1, r.status(), r::toString);
        assertTrue(
                r.out()
                        .contains("in a manifest beside the ELF file: image paths are relative to the manifest's"
                                + " folder): [task.stack] image = \"stack.elf\" stack = \"16M\""),
                r::toString);
    }

    /**
     * With {@code -j 2 --log-level info}, the kernel log lines of cases run at once interleaved
     * and did not say which case they were of: each now names its case after the level, while
     * stdout holds only the command's output and {@code rewind boot}'s lines stay as they were.
     */
    @Test
    void kernelLogLinesNameTheirCase() throws Exception {
        Files.writeString(
                dir.resolve("logs.suite"),
                "case a\n  boot builtin:hello.elf\ncase b\n  boot builtin:t_fault_read.elf\n"
                        + "  expect fault t_fault_read UNMAPPED_READ\n  expect exit task_failed\n");
        Result r = rewind(
                "test", dir.resolve("logs.suite").toString(), "-j", "2", "--log-level", "info", "--arch", "riscv64");
        assertEquals(0, r.status(), r::toString);
        var log = java.util.regex.Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (INFO |WARN |ERROR) ");
        List<String> kernel = r.err()
                .lines()
                .filter(l -> log.matcher(l).find() && l.contains("Kernel - "))
                .toList();
        assertTrue(kernel.stream().anyMatch(l -> l.contains("[logs/riscv64/a] Kernel - booted 'hello'")), r::toString);
        assertTrue(
                kernel.stream().anyMatch(l -> l.contains("[logs/riscv64/b] Kernel - booted 't_fault_read'")),
                r::toString);
        for (String l : kernel) {
            assertTrue(l.contains(" [logs/riscv64/a] Kernel - ") || l.contains(" [logs/riscv64/b] Kernel - "), l);
        }
        assertFalse(r.out().lines().anyMatch(l -> log.matcher(l).find()), "no log line on stdout: " + r);
        assertTrue(r.out().contains("2 passed, 0 failed"), r::toString);

        Result boot = Fixtures.rewind("boot", "--log-level", "info", "builtin:hello.elf");
        assertEquals(0, boot.status(), boot::toString);
        assertTrue(
                boot.err().lines().anyMatch(l -> log.matcher(l).find() && l.contains(" Kernel - booted 'hello'")),
                boot::toString);
        assertFalse(
                boot.err().lines().anyMatch(l -> log.matcher(l).find() && l.contains("[")),
                "rewind boot's lines name no case: " + boot);
    }

    /** The selected cases without their architecture (each runs on both here). */
    private static List<String> names(Selection sel, Suite s) {
        return sel.select(List.of(s)).stream()
                .map(TestCase::baseName)
                .distinct()
                .toList();
    }

    /**
     * A regex whose matching recurses per character ((a|b)*) on a 64 KiB guest line runs Java's
     * regex engine out of stack: the case fails saying so, and nothing is thrown at the kernel
     * thread that writes the console.
     */
    @Test
    void aRegexThatRunsOutOfStackFailsTheCaseNotTheRunner() throws Exception {
        Suite s = SuiteParser.parse(
                "case deep\n  boot builtin:hello.elf\n  expect line /(a|b)*c/\n",
                "d.suite",
                "d",
                ImageLocator.folder(dir));
        ConsoleCapture con = new ConsoleCapture(s.cases().get(0).expect(), 0);
        byte[] line = "ab".repeat(32 * 1024).getBytes(StandardCharsets.US_ASCII);
        con.write(line, 0, line.length);
        con.write('\n');
        con.write("abc\n".getBytes(StandardCharsets.US_ASCII), 0, 4);
        assertTrue(
                con.regexTrouble != null && con.regexTrouble.contains("ran out of stack on console line 1"),
                String.valueOf(con.regexTrouble));
        assertEquals(1, con.count[0], "the short line still matched");
    }

    /**
     * A guest line over 64 KiB is split on the console, so no expected line can match it whole: a
     * case missing a line says so when the console split one (an outside user's {@code expect line
     * /^x{100000}$/} failed with "missing line" alone).
     */
    @Test
    void aMissingLineSaysWhenTheConsoleSplitALongLine() throws Exception {
        Suite s = SuiteParser.parse(
                "case long\n  boot builtin:hello.elf\n  expect line /^(ab){40000}$/\n",
                "l.suite",
                "l",
                ImageLocator.folder(dir));
        byte[] text = ("ab".repeat(40_000) + "\nend\n").getBytes(StandardCharsets.US_ASCII);
        SystemResult ok = new SystemResult(SystemResult.Outcome.OK, "all tasks finished", List.of(), 0);
        ConsoleCapture con = new ConsoleCapture(s.cases().get(0).expect(), 0);
        con.write(text, 0, text.length);
        con.finish();
        assertEquals(1, con.firstSplitLine);
        List<String> failures = Verdict.judge(s.cases().get(0), 1_000_000_000L, ok, false, con, List.of());
        assertEquals("missing line /^(ab){40000}$/", failures.get(0));
        assertTrue(
                failures.get(1).startsWith("note: the guest printed a line longer than 64 KiB (console line 1 is"),
                failures::toString);
        // a short line is no reason for the note
        ConsoleCapture plain = new ConsoleCapture(s.cases().get(0).expect(), 0);
        plain.write("ab\n".getBytes(StandardCharsets.US_ASCII), 0, 3);
        assertEquals(
                List.of("missing line /^(ab){40000}$/"),
                Verdict.judge(s.cases().get(0), 1_000_000_000L, ok, false, plain, List.of()));
    }

    /**
     * A guest line of exactly 64 KiB is one console line (its newline must not make an empty line
     * after it, which an {@code expect output} of the same text or {@code expect no line /^$/}
     * would trip on); a longer one is split where a UTF-8 character ends, never inside one.
     */
    @Test
    void aLineOfExactlyTheLimitIsOneLineAndALongerOneSplitsBetweenCharacters() throws Exception {
        int max = ConsoleCapture.MAX_LINE_BYTES;
        Suite s = SuiteParser.parse(
                "case long\n  boot builtin:hello.elf\n  expect line \"after\"\n  expect no line /^$/\n",
                "l.suite",
                "l",
                ImageLocator.folder(dir));
        ConsoleCapture con = new ConsoleCapture(s.cases().get(0).expect(), 0);
        String full = "y".repeat(max);
        String crlf = "w".repeat(max);
        String text =
                full + "\n" + crlf + "\r\nafter\n" + "z".repeat(max - 1) + "\u00e9tail\n" + "v".repeat(max) + "\rx\n";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        con.write(bytes, 0, bytes.length);
        con.finish();
        Console c = con.snapshot();
        List<String> want = List.of(full, crlf, "after", "z".repeat(max - 1), "\u00e9tail", "v".repeat(max), "\rx");
        // (compared by length first: a 64 KiB line in an assertion message drowns the log)
        assertEquals(
                want.stream().map(String::length).toList(),
                c.lines().stream().map(String::length).toList());
        assertEquals(want, c.lines());
        assertEquals(0, con.forbiddenLine, "no empty line appeared");
        assertEquals(1, con.count[0]);
    }

    /**
     * The two lines of an output difference never look alike: a tab in one and a space in the
     * other showed as two equal lines ({@code expected "hello from rewind", got "hello from
     * rewind"}), as did a control character and '?', or bytes that are not UTF-8 and '?'.
     */
    @Test
    void anOutputDifferenceShowsWhatDiffers() throws Exception {
        Files.write(dir.resolve("hello.elf"), Fixtures.builtinBytes("hello.elf"));
        Files.writeString(dir.resolve("hello.stdout"), "hello\tfrom rewind\n");
        Result r = rewind("test", dir.toString());
        assertEquals(1, r.status(), r::toString);
        assertTrue(
                r.out().contains("at line 1: expected \"hello\\tfrom rewind\", got \"hello from rewind\""),
                r::toString);
        assertEquals(
                "\"a\\x1b[0m?\\ufffd \\\"q\\\" \\\\ \\ufeff\\r\"",
                Text.quoted("a\u001b[0m?\ufffd \"q\" \\ \ufeff\r", 80));
        assertEquals("\"abc\"...", Text.quoted("abcdef", 3));
        assertEquals("\"abcdef\"", Text.quoted("abcdef", 6));
    }

    /**
     * An expected output file saved by an editor that writes a byte-order mark (Notepad) matches
     * the program's output; before, line 1 differed: {@code expected "\uFEFFPASS a", got "PASS a"},
     * the mark invisible in the message. A program that prints one first matches a file without.
     */
    @Test
    void aByteOrderMarkDoesNotCountInAnExpectedOutput() throws Exception {
        Files.writeString(dir.resolve("bom.out"), "\uFEFFPASS a\r\nPASS b\r\n");
        Files.writeString(dir.resolve("plain.out"), "PASS a\nPASS b\n");
        for (String[] c : new String[][] {{"bom.out", ""}, {"plain.out", "\uFEFF"}, {"bom.out", "\uFEFF"}}) {
            Suite s = SuiteParser.parse(
                    "case o\n  boot builtin:hello.elf\n  expect output " + c[0] + "\n",
                    "o.suite",
                    "o",
                    ImageLocator.folder(dir));
            ConsoleCapture con = new ConsoleCapture(s.cases().get(0).expect(), 0);
            byte[] out = (c[1] + "PASS a\nPASS b\n").getBytes(StandardCharsets.UTF_8);
            con.write(out, 0, out.length);
            con.finish();
            assertEquals(0, con.outputDiffers, c[0] + " vs console " + c[1].length() + ": " + con.outputGot);
        }
    }

    /**
     * The console tail of a failure report shows each line with the escapes of an output
     * difference: a control character, bytes that are not UTF-8 (U+FFFD) and a real '?' all
     * showed as '?', a tab as a space, and a byte-order mark was printed raw.
     */
    /**
     * Every case's result is kept until the run ends: a long console moves to a temporary file
     * once its case is over (a hundred cases printing 200,000 lines each ran out of a 256 MiB
     * heap at the 20th, an internal error with no report), and the report reads back the same
     * lines: the failure's tail, the JUnit {@code <system-out>}.
     */
    @Test
    void aLongConsoleIsKeptOnDiskWithTheSameLines() throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = 1; i <= 5000; i++) {
            in.append("line ").append(i).append(" \u00e9\u65e5\ud83c\udf89\n");
        }
        Files.writeString(dir.resolve("lines.txt"), in.toString());
        Path file = dir.resolve("long.suite");
        Files.writeString(
                file,
                "case echo\n  boot builtin:t_tty_echo.toml\n  input lines.txt\n  timeout 60s\n"
                        + "  expect line /^tty_echo: eof .* lines=5000 /\n  expect line \"never\"\n");
        Suite s = SuiteLoader.load(file.toString(), EnumSet.of(Arch.RISCV64));
        TestCase c = s.cases().get(0);
        CaseResult r = new CaseRunner(CaseRunner.DEFAULT_TIMEOUT_NANOS).run(c);
        assertEquals(CaseResult.Status.FAIL, r.status(), r::toString);
        assertEquals(List.of("missing line \"never\""), r.failures());
        Console con = r.console();
        assertTrue(con.isSpilled(), "a console of " + con.total() + " lines stays in memory");
        List<String> lines = con.lines();
        assertEquals(con.total(), lines.size());
        assertTrue(
                lines.contains("echo: line 4321 \u00e9\u65e5\ud83c\udf89"),
                () -> lines.subList(0, 5).toString());
        assertEquals(lines.subList(lines.size() - 20, lines.size()), con.tail(20));
        assertEquals(lines.subList(lines.size() - 30, lines.size()), con.tail(30), "past the lines held");
        Console inMemory = new Console(lines, con.dropped(), con.total());
        assertEquals(inMemory.text(), con.text());
        CaseResult same = new CaseResult(
                r.testCase(), r.status(), r.nanos(), r.failures(), r.result(), false, inMemory, r.faults());
        String xml = JUnitXmlReporter.render(List.of(s), List.of(r)).replaceAll("timestamp=\"[^\"]*\"", "");
        assertEquals(JUnitXmlReporter.render(List.of(s), List.of(same)).replaceAll("timestamp=\"[^\"]*\"", ""), xml);
        assertTrue(xml.contains("echo: line 5000 \u00e9\u65e5\ud83c\udf89\n"), "the last line is in the report");
        assertEquals(TerminalReporter.details(same, 20), TerminalReporter.details(r, 20));
        // what UTF-8 would not give back as it is stays in memory
        List<String> odd = new java.util.ArrayList<>(java.util.Collections.nCopies(5000, "x".repeat(20)));
        odd.add("lone \ud800 surrogate");
        assertFalse(new Console(odd, 0, odd.size()).spilled().isSpilled());
        assertTrue(new Console(odd.subList(0, 5000), 0, 5000).spilled().isSpilled());
        assertFalse(new Console(odd.subList(0, 100), 0, 100).spilled().isSpilled(), "a short console stays");
        // every console spilled goes into one file, gone from its folder as soon as it is open
        // (so that nothing is left there after a SIGKILL), and each reads back its own lines
        Path spillDir = Files.createDirectories(dir.resolve("spill"));
        Console.Spill spill = Console.Spill.openIn(spillDir);
        List<String> other = new java.util.ArrayList<>();
        for (int i = 0; i < 9000; i++) {
            other.add("other " + i);
        }
        Console a = new Console(lines, 0, lines.size()).spilledTo(spill);
        Console b = new Console(other, 3, other.size() + 3).spilledTo(spill);
        assertTrue(a.isSpilled() && b.isSpilled());
        try (java.util.stream.Stream<Path> left = Files.list(spillDir)) {
            assertEquals(List.of(), left.toList(), "a spill file is left in its folder");
        }
        assertEquals(lines, a.lines());
        assertEquals(other, b.lines());
        assertEquals(new Console(other, 3, other.size() + 3).text(), b.text());
    }

    @Test
    void theConsoleTailEscapesWhatCouldLookAlike() throws Exception {
        Suite s = SuiteParser.parse("case odd\n  boot builtin:hello.elf\n", "x.suite", "x", ImageLocator.folder(dir));
        List<String> lines = List.of(
                "\ufeffstart", "ctrl \u0001 bad \ufffd real ? tab\tend", "text \\x01 \"quoted\"", "x".repeat(300));
        CaseResult r = new CaseResult(
                s.cases().get(0),
                CaseResult.Status.FAIL,
                1_000_000,
                List.of("missing line"),
                null,
                false,
                new Console(lines, 0, lines.size()),
                List.of());
        List<String> d = TerminalReporter.details(r, 20);
        int at = d.indexOf("console (4 lines):");
        assertTrue(at >= 0, d::toString);
        assertEquals("| \\ufeffstart", d.get(at + 1));
        assertEquals("| ctrl \\x01 bad \\ufffd real ? tab\\tend", d.get(at + 2));
        assertEquals("| text \\\\x01 \"quoted\"", d.get(at + 3));
        assertEquals("| " + "x".repeat(200) + "...", d.get(at + 4));
    }

    @Test
    void junitXmlIsWellFormedWhateverTheGuestPrinted() throws Exception {
        Suite s = SuiteParser.parse("case odd\n  boot builtin:hello.elf\n", "x.suite", "x", ImageLocator.folder(dir));
        String console =
                "ok & <fine> \"quoted\" 'single' ]]> end\nctrl \u0001\u0007\u001b[0m bad\uD800 pair \uD83D\uDE00\n";
        List<String> lines = console.lines().toList();
        CaseResult r = new CaseResult(
                s.cases().get(0),
                CaseResult.Status.FAIL,
                1_000_000,
                List.of("missing line \"<&>\""),
                null,
                false,
                new Console(lines, 0, lines.size()),
                List.of());
        String xml = JUnitXmlReporter.render(List.of(s), List.of(r));
        Document doc = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        Element f = (Element) doc.getElementsByTagName("failure").item(0);
        assertEquals("missing line \"<&>\"", f.getAttribute("message"));
        String out = doc.getElementsByTagName("system-out").item(0).getTextContent();
        assertTrue(
                out.startsWith(
                        "ok & <fine> \"quoted\" 'single' ]]> end\nctrl \ufffd\ufffd\ufffd[0m bad\ufffd pair \uD83D\uDE00"),
                out);
    }

    /**
     * A failed case says how to run it again alone and how to boot the same system with
     * `rewind boot` (its time limit, wall clock and input), to debug it with --trace or --gdb:
     * both commands, pasted into a shell, do it, even from a folder with spaces and quotes.
     */
    @Test
    void aFailedCaseSaysHowToRerunItAndBootItForDebugging() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("team's suites"));
        Files.write(folder.resolve("readline.elf"), Fixtures.builtinBytes("readline.elf"));
        Files.writeString(folder.resolve("in.txt"), "from a file\n");
        String text = "50% 'quoted' back\\slash\ttab caf\u00e9";
        Path suite = folder.resolve("team one.suite");
        Files.writeString(suite, """
                case from_text
                  boot readline.elf
                  timeout 7s
                  wall_clock 2024-02-29T12:00:00Z
                  input text "50% 'quoted' back\\\\slash\\ttab caf\u00e9"
                  expect line "never printed"
                case from_file
                  boot readline.elf
                  input in.txt
                  expect line "never printed"
                case no_input
                  boot readline.elf
                  expect line "never printed"
                case passes
                  boot readline.elf
                  expect line "readline: 0 lines, 0 bytes"
                """);
        Result r = rewind("test", suite.toString(), "--arch", "riscv64", "--timeout", "9s");
        assertEquals(1, r.status(), r::toString);
        Map<String, String> rerun = new LinkedHashMap<>();
        Map<String, String> debug = new LinkedHashMap<>();
        String current = null;
        for (String line : r.out().lines().toList()) {
            if (line.startsWith("FAIL  ") || line.startsWith("PASS  ")) {
                current = line.substring(6).replaceFirst(" +\\d+\\.\\d\\ds$", "");
            } else if (line.startsWith("      rerun: ")) {
                rerun.put(current, line.substring("      rerun: ".length()));
            } else if (line.startsWith("      debug: ")) {
                debug.put(current, line.substring("      debug: ".length()).replaceFirst("   \\(add --trace.*$", ""));
            }
        }
        List<String> failed =
                List.of("team one/riscv64/from_text", "team one/riscv64/from_file", "team one/riscv64/no_input");
        assertEquals(failed, List.copyOf(rerun.keySet()), r.out());
        assertEquals(failed, List.copyOf(debug.keySet()), r.out());

        // rerun: the same suite, that case alone
        for (String name : failed) {
            List<String> words = shellWords(rerun.get(name));
            assertEquals(List.of("rewind", "test"), words.subList(0, 2), rerun.get(name));
            Result again = rewind(words.subList(1, words.size()).toArray(String[]::new));
            assertEquals(1, again.status(), again::toString);
            assertTrue(again.out().contains("1 of 4 cases"), again.out());
            assertTrue(again.out().contains("FAIL  " + name + " "), again.out());
            assertTrue(again.out().strip().endsWith("0 passed, 1 failed"), again.out());
        }

        // debug: the text input as a printf that prints exactly it, the case's time limit and clock
        String textLine = debug.get("team one/riscv64/from_text");
        assertTrue(textLine.startsWith("printf '"), textLine);
        String printf = textLine.substring(0, textLine.indexOf(" | rewind boot "));
        Process p =
                new ProcessBuilder("sh", "-c", printf).redirectErrorStream(true).start();
        assertEquals(text, new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8), printf);
        assertEquals(0, p.waitFor());
        List<String> boot = shellWords(textLine.substring(textLine.indexOf(" | ") + 3));
        assertEquals(
                List.of(
                        "rewind",
                        "boot",
                        "--timeout",
                        "7s",
                        "--wall-clock",
                        "2024-02-29T12:00:00Z",
                        folder.resolve("readline.elf").toString()),
                boot,
                textLine);
        Path in = dir.resolve("text.in");
        Files.writeString(in, text);
        List<String> args = new java.util.ArrayList<>(boot.subList(1, boot.size() - 1));
        args.addAll(List.of("--input", in.toString(), boot.get(boot.size() - 1)));
        Result booted = rewind(args.toArray(String[]::new));
        assertEquals(0, booted.status(), booted::toString);
        assertTrue(booted.out().contains("readline: 1: " + text), booted.out());

        String fileLine = debug.get("team one/riscv64/from_file");
        List<String> fileBoot = shellWords(fileLine);
        assertEquals(
                List.of(
                        "rewind",
                        "boot",
                        "--timeout",
                        "9s",
                        "--input",
                        folder.resolve("in.txt").toString(),
                        folder.resolve("readline.elf").toString()),
                fileBoot,
                fileLine);
        Result fromFile = rewind(fileBoot.subList(1, fileBoot.size()).toArray(String[]::new));
        assertTrue(fromFile.out().contains("readline: 1: from a file"), fromFile.out());

        String noneLine = debug.get("team one/riscv64/no_input");
        assertTrue(noneLine.endsWith(" < /dev/null"), noneLine);
    }

    /** The words a POSIX shell splits {@code line} into (no redirections or pipes in it). */
    private static List<String> shellWords(String line) throws Exception {
        String cmd = "for w in " + line.replace(" < /dev/null", "") + "; do printf '%s\\n' \"$w\"; done";
        Process p =
                new ProcessBuilder("sh", "-c", cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out.lines().toList();
    }

    /**
     * In a folder suite, X.in beside X.elf is case X's stdin: with an X.stdout alone (output
     * recorded with `rewind boot prog.elf < prog.in > prog.stdout`) and with an X.expect that has
     * no `input` line of its own; one that has wins.
     */
    @Test
    void aFolderCasesInFileIsItsStdin() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("recorded"));
        for (String name : List.of("recorded", "expected", "overridden")) {
            Files.write(folder.resolve(name + ".elf"), Fixtures.builtinBytes("readline.elf"));
            Files.writeString(folder.resolve(name + ".in"), "line of " + name + "\n");
        }
        Files.writeString(
                folder.resolve("recorded.stdout"), "readline: 1: line of recorded\nreadline: 1 lines, 17 bytes\n");
        Files.writeString(folder.resolve("expected.expect"), "expect line \"readline: 1: line of expected\"\n");
        Files.writeString(folder.resolve("other.txt"), "other\n");
        Files.writeString(
                folder.resolve("overridden.expect"),
                "input other.txt\nexpect line \"readline: 1: other\"\nexpect no line contains \"overridden\"\n");
        Result r = rewind("test", folder.toString());
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().strip().endsWith("3 passed, 0 failed"), r.out());
    }

    /**
     * A case's {@code kill TASK@REQUEST[:INSTRUCTION]} faults that server mid-request, as
     * {@code rewind boot --kill} does: the fault it raises is the case's own (allowed; {@code expect
     * fault TASK ABORT} checks it came), a kill that never struck fails the case, and the debug line
     * carries the {@code --kill}s. A bad value is a suite error with its line.
     */
    @Test
    void aCaseKillsAServerMidRequestToTestItsRecovery() throws Exception {
        Path suite = dir.resolve("kills.suite");
        Files.writeString(suite, """
                case rolled_back
                  boot builtin:t_kv_oracle.toml
                  kill kv@100
                  kill kv@400:50
                  expect line /^kv_oracle: ok/
                  expect fault kv ABORT times 2
                  expect task kv restarts 0
                case restarted
                  boot builtin:demo.toml
                  kill kv@100
                  expect task kv restarts 1
                  expect exit task_failed
                case never_struck
                  boot builtin:t_kv_oracle.toml
                  kill kv@100000
                  expect line /^kv_oracle: ok/
                case counted_slices
                  boot builtin:t_slices.toml
                  kill ipc_echo@2
                  expect line /^slice_call: FAIL call 0: ERECOVERED/
                  expect line /^slice_work: ok/
                  expect exit task_failed
                """);
        Result r = rewind("test", suite.toString(), "--arch", "riscv64");
        assertEquals(1, r.status(), r::toString);
        assertTrue(r.out().contains("PASS  kills/riscv64/rolled_back"), r::toString);
        assertTrue(r.out().contains("PASS  kills/riscv64/restarted"), r::toString);
        assertTrue(r.out().contains("FAIL  kills/riscv64/never_struck"), r::toString);
        // (request 2 is the second client's first call, as in a campaign's boots and rewind boot
        // --kill: the slices are counted in syscalls; under t_slices' 1 ms quantum it was call 1)
        assertTrue(r.out().contains("PASS  kills/riscv64/counted_slices"), r::toString);
        assertTrue(
                r.out().contains("kill: task kv was not struck in request [100000]: it was handed 846 requests"),
                r::toString);
        assertTrue(
                r.out().contains("debug: rewind boot --timeout 30s --kill kv@100000 builtin:t_kv_oracle.toml"),
                r::toString);

        Files.writeString(suite, "case a\n  boot builtin:demo.toml\n  kill hello@1\n");
        Result bad = rewind("test", suite.toString());
        assertEquals(2, bad.status(), bad::toString);
        assertTrue(bad.err().contains("kills.suite:3: kill hello@1: task 'hello' serves no endpoint"), bad::toString);
    }

    /**
     * The main thread goes on while the interrupt hook writes the report: it must print nothing
     * after the hook took over. A run stopped among quick cases printed cases the report then
     * called interrupted, and a closing summary of the whole run ("Ran 34 cases ... 29 passed")
     * above exit status 143.
     */
    @Test
    void anInterruptedRunPrintsNoCaseAfterItsInterruptLine() throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            in.append("a line of input to echo, number ").append(i).append('\n');
        }
        Files.writeString(dir.resolve("in.txt"), in.toString());
        StringBuilder text = new StringBuilder("case big\n  boot builtin:t_tty_echo.toml\n  input in.txt\n");
        for (int i = 0; i < 60; i++) {
            text.append("case q").append(i).append("\n  boot builtin:hello.elf\n");
        }
        Path suite = dir.resolve("many.suite");
        Files.writeString(suite, text.toString());
        Path xml = dir.resolve("many.xml");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = new ProcessBuilder(
                        javaBin,
                        "-cp",
                        System.getProperty("java.class.path"),
                        dev.rewind.tools.Main.class.getName(),
                        "test",
                        suite.toString(),
                        "--arch",
                        "riscv64",
                        "--jobs",
                        "1",
                        "--junit-xml",
                        xml.toString())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (p.isAlive()
                    && System.nanoTime() < deadline
                    && !Files.readString(out).contains("many/riscv64/q3 ")) {
                Thread.sleep(5);
            }
            assertTrue(p.isAlive(), () -> "ended before the signal: " + p.exitValue());
            new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).start().waitFor();
            assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "still running after the signal");
        } finally {
            p.destroyForcibly();
        }
        String e = Files.readString(err);
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile(": (\\d+) of 61 cases ended").matcher(e);
        assertTrue(m.find(), e);
        String o = Files.readString(out);
        long shown = o.lines().filter(l -> l.matches("^(PASS|FAIL|ERROR) .*")).count();
        long ended = Long.parseLong(m.group(1));
        // (a case may have ended and not yet been shown; none is shown that the report calls interrupted)
        assertTrue(shown <= ended, () -> "a case shown after the interrupt\n" + o + e);
        assertFalse(o.contains(" passed, "), () -> "no summary of a run that did not end\n" + o);
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        assertEquals("61", doc.getDocumentElement().getAttribute("tests"));
        assertEquals(
                String.valueOf(61 - ended), doc.getDocumentElement().getAttribute("errors"), "the others interrupted");
    }

    /**
     * Ctrl-C (or a CI job's time limit, SIGTERM) in the middle of a run: the JUnit XML is this
     * run's, with the cases that ended and the others as interrupted errors, never an earlier
     * run's report left in place, and stderr says how far it got.
     */
    @Test
    void anInterruptedRunWritesThePartialJUnitXml() throws Exception {
        Path suite = dir.resolve("long.suite");
        Files.writeString(
                suite,
                "case quick\n  boot builtin:hello.elf\n  expect line \"hello from rewind\"\n"
                        + "case slow\n  boot builtin:spinner.elf\n  timeout 10m\n  expect exit timeout\n");
        Path xml = dir.resolve("report.xml");
        Files.writeString(xml, "<testsuites name=\"an earlier run\"/>");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = new ProcessBuilder(
                        javaBin,
                        "-cp",
                        System.getProperty("java.class.path"),
                        dev.rewind.tools.Main.class.getName(),
                        "test",
                        suite.toString(),
                        "--arch",
                        "riscv64",
                        "--jobs",
                        "1",
                        "--junit-xml",
                        xml.toString())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (p.isAlive()
                    && System.nanoTime() < deadline
                    && !Files.readString(out).contains("PASS")) {
                Thread.sleep(50);
            }
            Thread.sleep(300); // the slow case is running
            assertTrue(p.isAlive(), () -> "ended before the signal: " + p.exitValue());
            // SIGINT unless whoever started us ignores it (then the JVM does too): SIGTERM, the same hook
            String sig = "INT";
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")
                        && (Long.parseUnsignedLong(line.substring(7).strip(), 16) & 2) != 0) {
                    sig = "TERM";
                }
            }
            new ProcessBuilder("kill", "-" + sig, String.valueOf(p.pid()))
                    .start()
                    .waitFor();
            assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "still running after the signal");
        } finally {
            p.destroyForcibly();
        }
        String e = Files.readString(err);
        assertTrue(e.contains("rewind: interrupted after "), e);
        assertTrue(e.contains(": 1 of 2 cases ended (0 failed)"), e);
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        Element root = doc.getDocumentElement();
        assertEquals("rewind", root.getAttribute("name"));
        assertEquals("2", root.getAttribute("tests"));
        assertEquals("1", root.getAttribute("errors"));
        NodeList cases = doc.getElementsByTagName("testcase");
        assertEquals(2, cases.getLength());
        Element quick = (Element) cases.item(0);
        assertEquals("riscv64/quick", quick.getAttribute("name"));
        assertEquals(0, quick.getElementsByTagName("error").getLength());
        Element slow = (Element) cases.item(1);
        assertEquals("riscv64/slow", slow.getAttribute("name"));
        Element error = (Element) slow.getElementsByTagName("error").item(0);
        assertTrue(error.getAttribute("message").startsWith("interrupted: rewind test was stopped"), error::toString);
    }
}
