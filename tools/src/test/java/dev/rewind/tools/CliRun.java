package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Runs the {@code rewind} CLI in-process for tests, capturing stdout (as bytes) and stderr. */
public final class CliRun {
    private CliRun() {}

    /** What one CLI run printed and returned. */
    public record Result(int status, byte[] stdout, String err) {
        public String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "status " + status + "\nstdout:\n" + out() + "\nstderr:\n" + err;
        }
    }

    /** Run {@code rewind args...}; fails the test if it takes longer than {@code timeout}. */
    public static synchronized Result rewind(Duration timeout, String... args) {
        return rewindTo(null, timeout, args);
    }

    /**
     * As {@link #rewind}, with stdout going to {@code stdout} (e.g. one that blocks like a full
     * pipe) instead of being captured; the result's stdout is then empty. Null: captured.
     */
    public static synchronized Result rewindTo(OutputStream stdout, Duration timeout, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(stdout != null ? stdout : out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int status = assertTimeoutPreemptively(timeout, () -> Main.run(args));
            return new Result(status, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
