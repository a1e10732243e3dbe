package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CLI's stderr ({@link Main#lineBufferedStderr}) reaches its file a whole line per write, so
 * that a line cannot be cut by the guest console written to the same terminal or pipe meanwhile
 * (a "rewind: task ... faulted" line was 9 writes, and came out in pieces).
 */
class StderrLinesTest {
    /** Records each write that reaches it. */
    private static final class Writes extends OutputStream {
        final List<String> writes = new ArrayList<>();

        @Override
        public void write(int b) {
            writes.add(String.valueOf((char) b));
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes.add(new String(b, off, len, StandardCharsets.UTF_8));
        }
    }

    @Test
    void aPrintfLineIsOneWriteAndAFlushWritesWhatWaits() {
        Writes fd = new Writes();
        PrintStream err = new PrintStream(new Main.LineBuffered(fd), false, StandardCharsets.UTF_8);
        err.printf("rewind: task %s (generation %d) faulted: %s; %s%n", "srv", 1, "a fault", "rolled back");
        err.println("second line");
        assertEquals(
                List.of("rewind: task srv (generation 1) faulted: a fault; rolled back\n", "second line\n"), fd.writes);

        // A progress line drawn with \r and no newline waits for its flush, and then goes at once.
        err.print("\r12 of 300 runs");
        assertEquals(2, fd.writes.size(), fd.writes::toString);
        err.flush();
        assertEquals("\r12 of 300 runs", fd.writes.get(2));

        // Two lines in one print: one write, whole lines.
        err.print("a\nb\n");
        assertEquals("a\nb\n", fd.writes.get(3));
    }
}
