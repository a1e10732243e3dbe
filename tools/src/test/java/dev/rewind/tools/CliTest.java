package dev.rewind.tools;

import static dev.rewind.tools.Fixtures.rewind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.CliRun.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a user meets it: output, exit statuses and error messages. */
class CliTest {
    @Test
    void bootWithoutArgumentsRunsTheDemo() {
        Result r = rewind("boot");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("kv_demo: ok"), r::toString);
        assertTrue(r.out().contains("fs_demo: ok"), r::toString);
        assertTrue(r.err().contains("all tasks finished"), r::toString);
    }

    @Test
    void exitStatusReflectsHowTheSystemEnded() {
        Result fault = rewind("boot", "builtin:t_fault_illegal.elf");
        assertEquals(1, fault.status(), fault::toString);
        assertTrue(fault.err().contains("illegal instruction"), fault::toString);
        Result timeout = rewind("boot", "--timeout", "300ms", "builtin:spinner.elf");
        assertEquals(4, timeout.status(), timeout::toString);
        assertTrue(timeout.err().contains("time budget"), timeout::toString);
    }

    @Test
    void helpExplainsUsageAndExitStatus() {
        Result r = rewind("boot", "--help");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("Exit status"), r::toString);
        assertTrue(r.out().contains("--timeout"), r::toString);
        Result top = rewind("--help");
        assertTrue(
                top.out().contains("boot")
                        && top.out().contains("bench")
                        && top.out().contains("images"),
                top::toString);
    }

    @Test
    void badUsageIsExitStatus2WithAMessage() {
        Result unknown = rewind("boot", "--frobnicate");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("--frobnicate"), unknown::toString);
        Result timeout = rewind("boot", "--timeout", "soon", "builtin:hello.elf");
        assertEquals(2, timeout.status(), timeout::toString);
        assertTrue(timeout.err().contains("not a duration"), timeout::toString);
        Result missing = rewind("boot", "/nonexistent/image.toml");
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("no such image file"), missing::toString);
    }

    @Test
    void aBadManifestIsRejectedNamingTheLine(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("bad.toml");
        Files.writeString(m, "name = \"x\"\n[task.a]\nimage = \"a.elf\"\nrecovery = \"sometimes\"\n");
        Result r = rewind("boot", m.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("bad.toml:4:"), r::toString);
        assertTrue(r.err().contains("sometimes"), r::toString);
    }

    @Test
    void malformedElfFilesGetClearErrors(@TempDir Path dir) throws Exception {
        Path garbage = dir.resolve("garbage.elf");
        Files.write(garbage, new byte[] {1, 2, 3, 4, 0, 0, 0, 0});
        Result r = rewind("boot", garbage.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("garbage.elf") && r.err().toLowerCase().contains("magic"), r::toString);

        byte[] hello = Fixtures.builtinBytes("hello.elf");
        Path truncated = dir.resolve("truncated.elf");
        Files.write(truncated, java.util.Arrays.copyOf(hello, 200));
        Result t = rewind("boot", truncated.toString());
        assertEquals(2, t.status(), t::toString);
        assertTrue(t.err().contains("truncated.elf"), t::toString);

        Path manifest = dir.resolve("sys.toml");
        Files.writeString(manifest, "name = \"sys\"\n[task.a]\nimage = \"truncated.elf\"\n");
        Result viaManifest = rewind("boot", manifest.toString());
        assertEquals(2, viaManifest.status(), viaManifest::toString);
        assertTrue(viaManifest.err().contains("task 'a'"), viaManifest::toString);
    }

    /**
     * time(), gettimeofday and clock_gettime read the wall clock: the host's time of day at
     * boot, or --wall-clock's (on both architectures), which a bad value cannot set.
     */
    @Test
    void theProgramsClockIsTheHostsTimeOfDayOrTheOneGiven() {
        for (String elf : new String[] {"builtin:timeofday.elf", "builtin:aarch64/timeofday.elf"}) {
            long before = java.time.Instant.now().getEpochSecond();
            Result host = rewind("boot", "-q", elf);
            long after = java.time.Instant.now().getEpochSecond();
            assertEquals(0, host.status(), host::toString);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("timeofday: \\S+ \\S+ UTC, (\\d+) s")
                    .matcher(host.out());
            assertTrue(m.find() && host.out().contains("timeofday: ok"), host::toString);
            long t = Long.parseLong(m.group(1));
            assertTrue(before <= t && t <= after, before + " <= " + t + " <= " + after);

            Result fixed = rewind("boot", "-q", "--wall-clock", "2001-02-03T04:05:06Z", elf);
            assertEquals(0, fixed.status(), fixed::toString);
            assertTrue(
                    fixed.out().matches("(?s).*timeofday: 2001-02-03 04:05:0[6-9] UTC, 98117310[6-9] s\n.*"),
                    fixed::toString);
        }
        Result bad = rewind("boot", "--wall-clock", "noon", "builtin:timeofday.elf");
        assertEquals(2, bad.status(), bad::toString);
        assertTrue(bad.err().contains("--wall-clock: not a UTC time: 'noon'"), bad::toString);
        Result early = rewind("boot", "--wall-clock", "1969-07-20T20:17:40Z", "builtin:timeofday.elf");
        assertEquals(2, early.status(), early::toString);
        assertTrue(early.err().contains("outside 1970-01-01 .. 2199-12-31"), early::toString);
    }

    @Test
    void imagesListsTheBuiltIns() {
        Result r = rewind("images");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("builtin:demo.toml"), r::toString);
        assertTrue(r.out().contains("builtin:hello.elf"), r::toString);
    }

    /**
     * A case whose run threw inside Rewind (a bug, the JVM out of memory: 30 cases of 200,000
     * console lines each did, before consoles were spilled) is an ERROR of that case saying so,
     * and the run goes on to its report, where it used to end the whole run with no JUnit XML.
     */
    @Test
    void aCaseThatThrewInsideRewindIsAnErrorOfThatCase() throws Exception {
        dev.rewind.tools.regress.Suite suite = dev.rewind.tools.regress.SuiteLoader.load("builtin:core");
        dev.rewind.tools.regress.TestCase c = suite.cases().get(0);
        java.util.concurrent.CompletableFuture<dev.rewind.tools.regress.CaseResult> threw =
                new java.util.concurrent.CompletableFuture<>();
        threw.completeExceptionally(new OutOfMemoryError("Java heap space"));
        dev.rewind.tools.regress.CaseResult r = TestCommand.resultOf(c, threw);
        assertEquals(dev.rewind.tools.regress.CaseResult.Status.ERROR, r.status());
        assertEquals("internal error in rewind test: java.lang.OutOfMemoryError: Java heap space", r.message());
        String xml = dev.rewind.tools.regress.JUnitXmlReporter.render(java.util.List.of(suite), java.util.List.of(r));
        assertTrue(xml.contains("<error message=\"internal error in rewind test: java.lang.OutOfMemoryError"), xml);
        java.util.concurrent.CompletableFuture<dev.rewind.tools.regress.CaseResult> fine =
                java.util.concurrent.CompletableFuture.completedFuture(r);
        assertTrue(TestCommand.resultOf(c, fine) == r);
    }
}
