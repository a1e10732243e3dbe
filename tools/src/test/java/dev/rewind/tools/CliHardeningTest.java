package dev.rewind.tools;

import static dev.rewind.tools.Fixtures.assertUsageError;
import static dev.rewind.tools.Fixtures.rewind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.CliRun.Result;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad host input to the CLI (options out of range, files that are folders or cannot be written,
 * a stdout nobody reads): refused up front with one line and exit status 2, or, for the time
 * budget, honoured anyway.
 */
class CliHardeningTest {
    @TempDir
    Path dir;

    @Test
    void quantumOutOfItsRangeIsRefused() {
        assertUsageError(rewind("boot", "--quantum", "0", "builtin:hello.elf"), "--quantum must be between 1 and 1000");
        assertUsageError(
                rewind("boot", "--quantum", "1001", "builtin:hello.elf"), "--quantum must be between 1 and 1000");
        Result ok = rewind("boot", "--quantum", "1", "builtin:hello.elf");
        assertEquals(0, ok.status(), ok::toString);
    }

    @Test
    void aRiscvProgramBuiltForTheFpuRunsAndOneBuiltForMoreIsRefusedAtLoad() {
        // hello built with -march=rv64imafdc -mabi=lp64: its .riscv.attributes name F and D
        Result fd = rewind("boot", "builtin:t_fpu_isa.elf");
        assertEquals(0, fd.status(), fd::toString);
        assertTrue(fd.out().contains("hello"), fd::toString);
        // ... and with Zfh (half precision), which the machine does not have
        Result r = rewind("boot", "builtin:t_zfh_isa.elf");
        assertEquals(2, r.status(), r::toString);
        assertTrue(
                r.err().contains("t_zfh_isa.elf: uses floating-point extensions the machine does not have (zfh+zfhmin"),
                r::toString);
        assertTrue(r.err().contains("build with -march=rv64imafdc -mabi=lp64d"), r::toString);
        assertFalse(r.out().contains("hello"), "nothing ran: " + r);
    }

    @Test
    void inputThatIsAFolderIsRefused() {
        assertUsageError(rewind("boot", "--input", dir.toString(), "builtin:t_tty_echo.toml"), "is a directory");
        assertUsageError(
                rewind("boot", "--input", dir.resolve("none").toString(), "builtin:t_tty_echo.toml"), "no such file");
    }

    @Test
    void twoDisksForOneDeviceAreRefused() {
        Path a = dir.resolve("a.img");
        Path b = dir.resolve("b.img");
        assertEquals(0, rewind("disk", "format", a.toString(), "--size", "64K").status());
        assertEquals(0, rewind("disk", "format", b.toString(), "--size", "64K").status());
        assertUsageError(
                rewind("boot", "builtin:t_disk.toml", "--disk", a.toString(), "--disk", "disk0=" + b),
                "block device 'disk0' is given twice");
        assertUsageError(rewind("boot", "builtin:t_disk.toml", "--disk", dir.toString()), "is a directory");
        assertUsageError(rewind("boot", "builtin:t_disk.toml", "--disk", "disk0="), "--disk disk0=: no file name");
    }

    @Test
    void emptyFileNamesAreRefusedNotTakenAsTheCurrentFolder() {
        String[][] runs = {{"boot", "--input", "", "builtin:hello.elf"}, {"disk", "ls", ""}, {"inject", "merge", ""}};
        for (String[] args : runs) {
            Result r = rewind(args);
            assertEquals(Main.EXIT_USAGE, r.status(), r::toString);
            assertTrue(r.err().startsWith("Invalid value for "), r::toString);
            assertTrue(r.err().split("\n")[0].endsWith(": an empty file name"), r::toString);
        }
    }

    /** A stdout like a pipe whose reader never reads: every write blocks until released. */
    static final class BlockedStdout extends OutputStream {
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void theTimeBudgetEndsTheRunWhileStdoutIsBlocked() {
        BlockedStdout stdout = new BlockedStdout();
        try {
            long t0 = System.nanoTime();
            Result r = CliRun.rewindTo(stdout, Duration.ofSeconds(20), "boot", "--timeout", "1s", "builtin:hello.elf");
            double secs = (System.nanoTime() - t0) / 1e9;
            assertEquals(4, r.status(), r::toString);
            assertTrue(r.err().contains("not written"), r::toString);
            assertTrue(secs < 5, "ended after " + secs + " s");
        } finally {
            stdout.release.countDown();
        }
    }

    @Test
    void injectChecksTheServerAndItsOutputsBeforeRunning() {
        // kv_oracle is a client: it serves no endpoint.
        assertUsageError(
                CliRun.rewind(
                        Duration.ofSeconds(10),
                        "inject",
                        "builtin:t_kv_oracle.toml",
                        "--server",
                        "kv_oracle",
                        "-n",
                        "2"),
                "serves no endpoint");
        assertUsageError(
                CliRun.rewind(
                        Duration.ofSeconds(10), "inject", "builtin:t_kv_oracle.toml", "--server", "nobody", "-n", "2"),
                "has no task 'nobody'");
        assertUsageError(
                CliRun.rewind(
                        Duration.ofSeconds(10),
                        "inject",
                        "builtin:t_kv_oracle.toml",
                        "--server",
                        "kv",
                        "--seed",
                        "9223372036854775806",
                        "-n",
                        "3"),
                "must not wrap");
        assertUsageError(
                CliRun.rewind(
                        Duration.ofSeconds(10),
                        "inject",
                        "builtin:t_kv_oracle.toml",
                        "--server",
                        "kv",
                        "-n",
                        "2",
                        "--csv",
                        dir.toString()),
                "--csv");
        assertUsageError(
                CliRun.rewind(
                        Duration.ofSeconds(10),
                        "inject",
                        "builtin:t_kv_oracle.toml",
                        "--server",
                        "kv",
                        "-n",
                        "2",
                        "--json",
                        dir.resolve("no/such/folder/x.json").toString()),
                "--json");
        // A list with no names in it was taken as "all types".
        assertUsageError(
                CliRun.rewind(
                        Duration.ofSeconds(10),
                        "inject",
                        "builtin:t_kv_oracle.toml",
                        "--server",
                        "kv",
                        "-n",
                        "2",
                        "--types",
                        ","),
                "names no fault type");
    }

    @Test
    void testChecksItsJunitOutputBeforeRunning() throws Exception {
        Path suite = dir.resolve("one.suite");
        Files.writeString(suite, "case hello\n  boot builtin:hello.elf\n");
        // A regular file where a folder must be: the report could not be written.
        Result r = CliRun.rewind(
                Duration.ofSeconds(30),
                "test",
                suite.toString(),
                "--junit-xml",
                suite.resolve("sub/out.xml").toString());
        assertUsageError(r, "--junit-xml");
        assertFalse(r.out().contains("PASS"), () -> "nothing ran: " + r);
        Result dirAsFile =
                CliRun.rewind(Duration.ofSeconds(30), "test", suite.toString(), "--junit-xml", dir.toString());
        assertUsageError(dirAsFile, "is a directory");
    }

    @Test
    void benchChecksEveryOptionBeforeRunning() {
        Result r = CliRun.rewind(Duration.ofSeconds(20), "bench", "--runs", "1", "--idle-tasks", "0");
        assertUsageError(r, "--idle-tasks");
        assertEquals("", r.out(), r::toString);
        // options of a benchmark not named: refused, not silently ignored
        Result p = CliRun.rewind(Duration.ofSeconds(20), "bench", "ipc", "--programs", "sort");
        assertUsageError(p, "--programs chooses among the qemu benchmark's programs: name qemu too");
        assertEquals("", p.out(), p::toString);
        assertUsageError(
                CliRun.rewind(Duration.ofSeconds(20), "bench", "qemu", "--programs", "sort,nosuch"),
                "unknown bench program 'nosuch'");
        assertUsageError(
                CliRun.rewind(Duration.ofSeconds(20), "bench", "ipc", "--idle-tasks", "10"),
                "--idle-tasks sets the memory benchmark's tasks");
    }

    @Test
    void controlCharactersInASuiteAreEscapedInErrors() throws Exception {
        Path suite = dir.resolve("nul.suite");
        Files.write(
                suite, "case a\u0000b\n  boot builtin:hello.elf\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Result r = rewind("test", suite.toString());
        assertEquals(Main.EXIT_USAGE, r.status(), r::toString);
        assertFalse(r.err().contains("\u0000"), r::toString);
        assertTrue(r.err().contains("a\\x00b"), r::toString);
        // a skip reason reaches the terminal escaped, in the run and in --list
        Path skip = dir.resolve("skipesc.suite");
        Files.writeString(skip, "case a\n  boot builtin:hello.elf\n  skip \u001b[31mred\u0007\n");
        for (Result s : new Result[] {rewind("test", skip.toString()), rewind("test", "--list", skip.toString())}) {
            assertEquals(0, s.status(), s::toString);
            assertFalse(s.out().contains("\u001b") || s.out().contains("\u0007"), s::toString);
            assertTrue(s.out().contains("\\x1b[31mred\\x07"), s::toString);
        }
    }

    /** Options that would do nothing in the campaign asked for are refused, not silently ignored. */
    @Test
    void injectOptionsOfAnotherPolicyAreRefused() {
        String[] kv = {"inject", "builtin:t_kv_oracle.toml", "--server", "kv", "-n", "1"};
        java.util.function.Function<String[], Result> with = more -> {
            String[] a = java.util.Arrays.copyOf(kv, kv.length + more.length);
            System.arraycopy(more, 0, a, kv.length, more.length);
            return rewind((Object[]) a);
        };
        assertUsageError(
                with.apply(new String[] {"--policy", "none", "--no-escalation"}), "--no-escalation applies only");
        assertUsageError(with.apply(new String[] {"--policy", "restart", "--replay-depth", "3"}), "--replay-depth");
        assertUsageError(with.apply(new String[] {"--policy", "none", "--verify", "dual"}), "--verify dual");
        assertUsageError(
                with.apply(new String[] {"--fault-free", "--types", "null-pointer"}), "--fault-free injects none");
    }

    @Test
    void twoSuitesOfOneNameAreRefused() throws Exception {
        Path a = dir.resolve("ok.suite");
        Files.writeString(a, "case a\n  boot builtin:hello.elf\n");
        Path b = dir.resolve("other.suite");
        Files.writeString(b, "suite ok\ncase a\n  boot builtin:hello.elf\n");
        assertUsageError(rewind("test", a.toString(), a.toString()), "(the same suite given twice)");
        assertUsageError(rewind("test", a.toString(), b.toString()), "its name 'ok' is also the name of");
    }

    @Test
    void bootAndTestReadSizesAndDurationsAlike() {
        // one parser (kernel.text.Units): boot takes the fractions and units test always took
        Result boot = rewind("boot", "--timeout", "1.5s", "--ram", "64m", "builtin:hello.elf");
        assertEquals(0, boot.status(), boot::toString);
        assertTrue(boot.out().contains("hello"), boot::toString);
        assertEquals(0, rewind("boot", "--timeout", " 2M ", "builtin:hello.elf").status());
        assertUsageError(
                rewind("boot", "--timeout", "0.0001us", "builtin:hello.elf"),
                "--timeout: duration finer than a nanosecond");
        assertUsageError(
                rewind("boot", "--timeout", "0", "builtin:hello.elf"), "--timeout: a duration must be positive: '0'");
        assertUsageError(
                rewind("boot", "--timeout", "-1s", "builtin:hello.elf"), "--timeout: a duration must be positive");
        assertUsageError(rewind("boot", "--timeout", "1001h", "builtin:hello.elf"), "(at most 1000h)");
        assertUsageError(rewind("boot", "--ram", "-64M", "builtin:hello.elf"), "--ram: a size must not be negative");
        assertUsageError(rewind("boot", "--ram", "64MB", "builtin:hello.elf"), "--ram: not a size: '64MB'");
        assertUsageError(
                rewind("test", "--timeout", "61m", "--list"), "--timeout: duration too long: '61m' (at most 1h)");
    }

    @Test
    void sizesAndDurationsThatOverflowAreRefusedNotWrapped() {
        // 17179869185G is 2^64 + 1G bytes: wrapped, it would be a valid 1G.
        assertUsageError(rewind("boot", "--ram", "17179869185G", "builtin:hello.elf"), "too large");
        assertUsageError(rewind("boot", "--timeout", "999999999h", "builtin:hello.elf"), "too long");
        assertUsageError(
                rewind("disk", "format", dir.resolve("big.img").toString(), "--size", "17179869185G"),
                "--size must be");
        assertFalse(Files.exists(dir.resolve("big.img")));
    }

    /**
     * A JVM error inside a command (here a StackOverflowError of the TOML parser on 5000 nested
     * arrays, found by ManifestFuzzTest) escaped Main.run: the JVM printed a stack trace and exited
     * with status 1 ("a task failed"). It is reported as one "rewind: internal error" line, status 70
     * (or, once the manifest parser refuses such nesting itself, as a bad image, status 2).
     */
    @Test
    void anErrorInsideACommandIsReportedNotThrown() throws Exception {
        Files.write(
                dir.resolve("hello.elf"),
                Main.class
                        .getClassLoader()
                        .getResourceAsStream("rewind/image/hello.elf")
                        .readAllBytes());
        Path m = dir.resolve("deep.toml");
        Files.writeString(
                m,
                "name = \"deep\"\n[task.hello]\nimage = \"hello.elf\"\nx = " + "[".repeat(5000) + "]".repeat(5000)
                        + "\n");
        Result r = rewind("boot", "--timeout", "1s", m.toString());
        assertTrue(r.status() == Main.EXIT_INTERNAL || r.status() == Main.EXIT_USAGE, r::toString);
        assertTrue(r.err().startsWith("rewind: "), r::toString);
    }

    /** A file argument that no file can have (a NUL byte, found by CliArgsFuzzTest) is named plainly, without Java's exception class. */
    @Test
    void aFileNameWithANulIsRefusedWithoutAnExceptionName() {
        Result r = rewind("disk", "put", "a\u0000b", "x", "/x");
        assertEquals(Main.EXIT_USAGE, r.status(), r::toString);
        assertTrue(r.err().contains("not a file name: 'a\\x00b'"), r::toString);
        assertFalse(r.err().contains("Exception") || r.err().contains("java."), r::toString);
        Result boot = rewind("boot", "--input", "\u0000", "builtin:hello.elf");
        assertEquals(Main.EXIT_USAGE, boot.status(), boot::toString);
        assertFalse(boot.err().contains("Exception") || boot.err().contains("java."), boot::toString);
    }

    @Test
    void aSuiteThatIsADeviceIsNamedForWhatItIs() {
        assertUsageError(rewind("test", "/dev/null"), "not a regular file but a character device");
    }

    @Test
    void controlCharactersInBadArgumentsAreEscaped() {
        Result r = rewind("boot", "--quantum", "\u001b[31mred", "builtin:hello.elf");
        assertEquals(Main.EXIT_USAGE, r.status(), r::toString);
        assertFalse(r.err().contains("\u001b"), r::toString);
        assertTrue(r.err().contains("\\x1b[31mred"), r::toString);
        Result disk = rewind("disk", "ls", dir.resolve("no\u0007such.img").toString());
        assertEquals(Main.EXIT_USAGE, disk.status(), disk::toString);
        assertFalse(disk.err().contains("\u0007"), disk::toString);
    }

    @Test
    void anUnknownLogLevelIsOneLine() {
        assertUsageError(
                rewind("boot", "--log-level", "loud", "builtin:hello.elf"), "--log-level: unknown log level 'loud'");
        assertUsageError(rewind("test", "--log-level", "loud", "--list"), "--log-level: unknown log level 'loud'");
    }

    @Test
    void oneDiskFileForTwoDevicesIsRefused() throws Exception {
        byte[] driver = Main.class
                .getClassLoader()
                .getResourceAsStream("rewind/image/blk_driver.elf")
                .readAllBytes();
        Files.write(dir.resolve("blk_driver.elf"), driver);
        Path m = dir.resolve("two.toml");
        Files.writeString(m, """
                name = "two"
                [device.disk0]
                kind = "block"
                [device.disk1]
                kind = "block"
                [task.blk0]
                image = "blk_driver.elf"
                devices = ["disk0"]
                serves = ["blk0"]
                [task.blk1]
                image = "blk_driver.elf"
                devices = ["disk1"]
                serves = ["blk1"]
                """);
        Path a = dir.resolve("a.img");
        assertEquals(0, rewind("disk", "format", a.toString(), "--size", "64K").status());
        Path link = dir.resolve("link.img");
        Files.createSymbolicLink(link, a);
        assertUsageError(
                rewind("boot", "--timeout", "5s", m.toString(), "--disk", "disk0=" + a, "--disk", "disk1=" + link),
                "are given the same file");
    }

    /** A stdout that refuses every write, as /dev/full does. */
    private static final class FullStdout extends OutputStream {
        @Override
        public void write(int b) throws java.io.IOException {
            throw new java.io.IOException("No space left on device");
        }
    }

    @Test
    void unwritableStdoutFailsACommandThatOtherwiseSucceeded() {
        for (String[] args : new String[][] {{"images"}, {"--version"}, {"boot", "-q", "builtin:hello.elf"}}) {
            Result r = CliRun.rewindTo(new FullStdout(), Duration.ofSeconds(60), args);
            assertEquals(Main.EXIT_IO, r.status(), () -> String.join(" ", args) + ": " + r);
            assertTrue(r.err().contains("rewind: cannot write the standard output"), r::toString);
        }
        // a command that failed keeps its own status, and still says its output is lost
        Result bad = CliRun.rewindTo(new FullStdout(), Duration.ofSeconds(60), "boot", "builtin:t_fault_null.elf");
        assertTrue(bad.status() != 0 && bad.status() != Main.EXIT_IO, bad::toString);
    }
}
