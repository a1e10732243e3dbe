package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.BootException;
import dev.rewind.kernel.SystemImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Helpers that more than one tools test class uses: running the CLI, checking a usage error,
 * built-in images and the project's source tree. The CLI itself runs in {@link CliRun}.
 */
public final class Fixtures {
    private Fixtures() {}

    /** How long a CLI run in a test may take unless the test says otherwise. */
    public static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);

    /** Run {@code rewind args...} (each argument as its {@code toString()}) within {@link #CLI_TIMEOUT}. */
    public static CliRun.Result rewind(Object... args) {
        return rewindWithin(CLI_TIMEOUT, args);
    }

    /** Run {@code rewind args...}; the test fails if it takes longer than {@code timeout}. */
    public static CliRun.Result rewindWithin(Duration timeout, Object... args) {
        String[] a = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            a[i] = args[i].toString();
        }
        return CliRun.rewind(timeout, a);
    }

    /**
     * A refused command line: exit status 2 and one line on stderr, starting "rewind: ", that
     * contains every phrase and no Java exception.
     */
    public static void assertUsageError(CliRun.Result r, String... phrases) {
        assertEquals(Main.EXIT_USAGE, r.status(), r::toString);
        String err = r.err().strip();
        assertTrue(err.startsWith("rewind: "), r::toString);
        assertFalse(err.contains("\n"), () -> "one line: " + r);
        for (String p : phrases) {
            assertTrue(err.contains(p), () -> "expected '" + p + "' in: " + r);
        }
        assertFalse(err.contains("Exception") || err.contains("java."), r::toString);
    }

    /** A built-in image's bytes (e.g. "hello.elf", "aarch64/hello.elf"). */
    public static byte[] builtinBytes(String name) {
        try {
            return SystemImage.builtin(name).source().read(name.substring(name.lastIndexOf('/') + 1));
        } catch (BootException e) {
            throw new IllegalStateException("no built-in image " + name, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The project's root folder (the one with guest/ and tools/), found from the working directory. */
    public static Path projectRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("guest/sdk/rewind.mk"))
                    && Files.isDirectory(p.resolve("guest/images"))
                    && Files.isDirectory(p.resolve("tools"))) {
                return p;
            }
        }
        throw new IllegalStateException(
                "project root not found from " + Path.of("").toAbsolutePath());
    }

    /** The core suite in the source tree, so edits to it are tested; else the packaged one. */
    public static String coreSuiteLocation() {
        Path source = Path.of("..", "guest", "suites", "core.suite");
        return Files.isRegularFile(source) ? source.toString() : "builtin:core";
    }
}
