package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which Unicorn `rewind` loads, and that `--version` says where it came from: the provisioned
 * engine (scripts/engine.sh's cache), an explicit override, or the system's with its notice.
 * Each case is a new JVM, as the choice is made once per process from the environment.
 */
class EngineSelectionTest {
    /** The system's library, which bookworm's libunicorn2 package installs. */
    static final Path SYSTEM_LIB = Path.of("/usr/lib/x86_64-linux-gnu/libunicorn.so.2");

    record Run(int status, String out, String err) {}

    static Run version(Map<String, String> env) throws IOException, InterruptedException {
        return rewind(env, "--version");
    }

    static Run rewind(Map<String, String> env, String... args) throws IOException, InterruptedException {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        java.util.List<String> cmd = new java.util.ArrayList<>(
                java.util.List.of(javaBin, "-cp", System.getProperty("java.class.path"), "dev.rewind.tools.Main"));
        cmd.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("REWIND_UNICORN_LIBRARY");
        pb.environment().remove("REWIND_ENGINE");
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "rewind --version finished");
            return new Run(
                    p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void theProvisionedEngineIsUsedAndNamedWithItsOrigin(@TempDir Path cache) throws Exception {
        Path dir = Files.createDirectories(cache.resolve("unicorn-test"));
        Files.createSymbolicLink(dir.resolve("libunicorn.so.2"), SYSTEM_LIB);
        Files.writeString(dir.resolve("ORIGIN"), "a test engine, line one\nsecond line\n");
        Files.createSymbolicLink(cache.resolve("current"), Path.of("unicorn-test"));
        Run r = version(Map.of("REWIND_ENGINE_CACHE", cache.toString()));
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("from a test engine, line one, cached in " + cache.resolve("current")), r.out());
        assertTrue(!r.err().contains("WARN"), "no fallback notice for a provisioned engine: " + r.err());
    }

    @Test
    void versionNamesAProvisionedEngineFromItsRecordWithoutLoadingIt(@TempDir Path cache) throws Exception {
        // The record says 2.1.4 while the file is the system's library: --version believes the
        // record (it does not load the library, to start faster); boot loads the file itself.
        Path dir = Files.createDirectories(cache.resolve("unicorn-2.1.4-4"));
        Files.createSymbolicLink(dir.resolve("libunicorn.so.2"), SYSTEM_LIB);
        Files.writeString(dir.resolve("ORIGIN"), "Debian unstable libunicorn2t64 2.1.4-4\npackage-sha256 0\n");
        Files.createSymbolicLink(cache.resolve("current"), Path.of("unicorn-2.1.4-4"));
        Run r = version(Map.of("REWIND_ENGINE_CACHE", cache.toString()));
        assertEquals(0, r.status(), r::toString);
        assertTrue(
                r.out()
                        .contains("unicorn 2.1.4 from Debian unstable libunicorn2t64 2.1.4-4, cached in "
                                + cache.resolve("current") + ": "
                                + cache.resolve("current").resolve("libunicorn.so.2") + "\n"),
                r.out());
        assertEquals("", r.err(), "nothing loaded, nothing logged");
    }

    @Test
    void withoutAProvisionedEngineTheSystemsIsUsedWithAOneLineNotice(@TempDir Path empty) throws Exception {
        Run r = version(Map.of("REWIND_ENGINE_CACHE", empty.toString()));
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("from the system's libunicorn.so.2"), r.out());
        if (!r.out().contains("unicorn 2.1")) {
            long notices =
                    r.err().lines().filter(l -> l.contains("guest stores cost")).count();
            assertEquals(1, notices, "one notice saying what the old engine costs: " + r.err());
            assertTrue(r.out().contains("no virtual TLB"), r.out());
        }
    }

    @Test
    void anOverrideWinsAndRewindEngineSystemSilencesTheNotice(@TempDir Path cache) throws Exception {
        Run r = version(
                Map.of("REWIND_UNICORN_LIBRARY", SYSTEM_LIB.toString(), "REWIND_ENGINE_CACHE", cache.toString()));
        assertTrue(r.out().contains("from environment variable REWIND_UNICORN_LIBRARY: " + SYSTEM_LIB), r.out());
        r = version(Map.of("REWIND_ENGINE", "system"));
        assertTrue(r.out().contains("from the system's libunicorn.so.2"), r.out());
        assertTrue(!r.err().contains("guest stores cost"), r.err());
    }

    @Test
    void aMissingOverrideIsAClearError() throws Exception {
        Run r = version(Map.of("REWIND_UNICORN_LIBRARY", "/nonexistent/libunicorn.so.2"));
        assertTrue(
                r.out()
                        .contains(
                                "unicorn not loadable: cannot load the Unicorn library '/nonexistent/libunicorn.so.2'"),
                r.toString());
        r = rewind(Map.of("REWIND_UNICORN_LIBRARY", "/nonexistent/libunicorn.so.2"), "boot");
        assertEquals(Main.EXIT_ENGINE, r.status(), r::toString);
        assertTrue(
                r.err().startsWith("rewind: cannot load the Unicorn library '/nonexistent/libunicorn.so.2'"), r.err());
        assertTrue(!r.err().contains("internal error") && !r.err().contains("\tat "), "no stack trace: " + r.err());
    }
}
