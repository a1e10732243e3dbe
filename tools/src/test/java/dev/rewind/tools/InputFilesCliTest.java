package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rewind.tools.CliRun.Result;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile input files through the CLI: exit status 2 and one line on stderr, at once. */
class InputFilesCliTest {
    @TempDir
    Path dir;

    private static Result rewind(String... args) {
        return Fixtures.rewindWithin(Duration.ofSeconds(20), (Object[]) args);
    }

    private Path mkfifo(String name) throws Exception {
        Path p = dir.resolve(name);
        assertEquals(0, new ProcessBuilder("mkfifo", p.toString()).start().waitFor());
        return p;
    }

    private Path sparse(String name) throws Exception {
        Path p = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(3L << 30);
        }
        return p;
    }

    @Test
    void deeplyNestedManifest() throws Exception {
        Path f = dir.resolve("deep.toml");
        Files.writeString(f, "name = \"x\"\nq = " + "[".repeat(1_000) + "]".repeat(1_000) + "\n");
        Fixtures.assertUsageError(
                rewind("boot", f.toString()), "deep.toml:2: arrays or inline tables nested more than 32");
    }

    @Test
    void specialAndHugeBootImages() throws Exception {
        Fixtures.assertUsageError(rewind("boot", "/dev/zero"), "not a regular file but a character device");
        Fixtures.assertUsageError(rewind("boot", mkfifo("img.toml").toString()), "not a regular file but a FIFO");
        Fixtures.assertUsageError(
                rewind("boot", sparse("big.elf").toString()),
                "too large: 3221225472 bytes",
                "the limit for a boot image is 64 MiB");
    }

    @Test
    void emptyElfAndBareBuiltin() throws Exception {
        Path empty = Files.createFile(dir.resolve("prog.elf"));
        Fixtures.assertUsageError(rewind("boot", empty.toString()), "prog.elf: empty file");
        Fixtures.assertUsageError(rewind("boot", "builtin:"), "builtin: needs a name; see `rewind images`");
        Fixtures.assertUsageError(rewind("boot", "builtin:helo"), "did you mean 'builtin:hello.elf'?");
    }

    @Test
    void specialAndHugeSuiteFiles() throws Exception {
        Fixtures.assertUsageError(rewind("test", mkfifo("s.suite").toString()), "not a regular file but a FIFO");
        Fixtures.assertUsageError(rewind("test", sparse("big.suite").toString()), "too large: 3221225472 bytes");
    }

    @Test
    void aSuiteCaseBootingAHugeManifest() throws Exception {
        sparse("big.toml");
        Path suite = dir.resolve("s.suite");
        Files.writeString(suite, "suite s\ncase big\n  boot big.toml\n  expect exit ok\n");
        Fixtures.assertUsageError(
                rewind("test", suite.toString()),
                "s.suite:3: cannot boot big.toml",
                "too large: 3221225472 bytes (the limit for a manifest is 1 MiB)");
    }
}
