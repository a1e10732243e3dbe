package dev.rewind.tools.regress;

import dev.rewind.tools.regress.Expectations.LineExpectation;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The guest console of one case. Splits the bytes into lines and matches each line against the
 * case's line expectations as it arrives, so that a line counts whenever it appears during the
 * run. Keeps the console (up to a limit; the oldest lines go first) for the report.
 *
 * <p>With {@code until lines}, the capture ends the run once every expected line has appeared:
 * it throws {@link StopRun} from the console write, which unwinds the kernel's run loop.
 *
 * <p>Written by the kernel thread; read by the runner after that thread has finished (or, when
 * it hangs, under this object's lock).
 */
final class ConsoleCapture extends OutputStream {
    /** Thrown out of a console write to end a run whose expected lines have all appeared. */
    static final class StopRun extends RuntimeException {
        StopRun() {
            super("every expected line has appeared", null, false, false);
        }
    }

    static final int MAX_LINE_BYTES = 64 * 1024;
    static final long MAX_KEPT_CHARS = 4L << 20;

    private final Expectations ex;
    private final long startNanos;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final ArrayDeque<String> kept = new ArrayDeque<>();
    private long keptChars;
    private int dropped;
    private int lineCount;

    /** Per line expectation: how often it matched, the first console line (1-based) and time. */
    final int[] count;

    final int[] firstLine;
    final long[] firstNanos;
    /** In-order progress: how many expectations matched in sequence, and the console line of each. */
    int inOrderNext;

    final int[] inOrderLine;
    /** The first forbidden line seen: its console line (0: none), text, and the matcher. */
    int forbiddenLine;

    String forbiddenText;
    LineMatcher forbiddenMatcher;
    /** When every line expectation was first satisfied, nanoseconds after the start; -1: never. */
    long allSeenNanos = -1;

    boolean stopped;

    /**
     * {@code expect output}: the first console line (1-based) that differs from the expected
     * output, or is beyond its end (0: none yet), and that line's text.
     */
    int outputDiffers;

    String outputGot;

    ConsoleCapture(Expectations ex, long startNanos) {
        this.ex = ex;
        this.startNanos = startNanos;
        int n = ex.lines().size();
        count = new int[n];
        firstLine = new int[n];
        firstNanos = new long[n];
        inOrderLine = new int[n];
        Arrays.fill(firstNanos, -1);
    }

    /**
     * A line of up to {@link #MAX_LINE_BYTES} bytes (not counting a {@code \r} before its newline)
     * is one line; a longer one is split into lines of at most that many bytes, each ended where
     * a UTF-8 character ends (the character cut at the limit starts the next line). The split
     * happens when the byte past the limit comes, so a line of exactly the limit followed by its
     * newline is one line, not that line and an empty one.
     */
    @Override
    public synchronized void write(int b) {
        if (b == '\n') {
            endLine(true);
            return;
        }
        int size = partial.size();
        // (a '\r' may sit one past the limit: it is dropped if a newline follows it)
        if (size > MAX_LINE_BYTES || (size == MAX_LINE_BYTES && b != '\r')) {
            splitLine();
        }
        partial.write(b);
    }

    /** Console lines split for being longer than {@link #MAX_LINE_BYTES}, and the first (1-based). */
    int splitLines;

    int firstSplitLine;

    /** Ends the over-long line held at a UTF-8 character boundary; the rest starts the next line. */
    private void splitLine() {
        if (splitLines++ == 0) {
            firstSplitLine = lineCount + 1;
        }
        byte[] bytes = partial.toByteArray();
        int cut = MAX_LINE_BYTES;
        // the first byte of the character that holds byte cut-1 (at most 3 continuation bytes back)
        int first = cut - 1;
        while (first > 0 && cut - 1 - first < 3 && (bytes[first] & 0xc0) == 0x80) {
            first--;
        }
        int lead = bytes[first] & 0xff;
        int length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (first > 0 && first + length > cut) {
            cut = first; // that character goes on in the bytes still to come: it starts the next line
        }
        partial.reset();
        partial.write(bytes, cut, bytes.length - cut);
        endLine(bytes, cut, false);
    }

    /** Never fails: the kernel flushes the console while it unwinds from a {@link StopRun}. */
    @Override
    public void flush() {}

    /** Ends a last line that has no newline. */
    synchronized void finish() {
        if (partial.size() > 0) {
            try {
                endLine(true);
            } catch (StopRun alreadyOver) {
                // the run is over anyway
            }
        }
    }

    /** Ends the line held; {@code newline}: at its newline (or the end), where a '\r' before it is dropped. */
    private void endLine(boolean newline) {
        byte[] bytes = partial.toByteArray();
        partial.reset();
        endLine(bytes, bytes.length, newline);
    }

    private void endLine(byte[] bytes, int len, boolean newline) {
        if (newline && len > 0 && bytes[len - 1] == '\r') {
            len--;
        }
        String line = new String(bytes, 0, len, StandardCharsets.UTF_8);
        lineCount++;
        keep(line);
        match(line);
        Expectations.Output want = ex.output();
        if (want != null && outputDiffers == 0) {
            int i = lineCount - 1;
            // (a byte-order mark the program prints first does not count, as in the file)
            String got = i == 0 && line.startsWith(Expectations.Output.BOM) ? line.substring(1) : line;
            boolean same;
            try {
                same = i < want.lines().size() && want.matches(i, got);
            } catch (StackOverflowError e) { // (as for a line's regex: see test())
                same = false;
                if (regexTrouble == null) {
                    regexTrouble = "the regex of line " + lineCount + " of " + want.file() + " ran out of stack on"
                            + " console line " + lineCount + " (" + line.length() + " characters): simplify it";
                }
            }
            if (!same) {
                outputDiffers = lineCount;
                outputGot = line;
            }
        }
        if (ex.untilLines() && !stopped && allSeenNanos >= 0) {
            stopped = true;
            throw new StopRun();
        }
    }

    private void keep(String line) {
        kept.addLast(line);
        keptChars += line.length() + 1;
        while (keptChars > MAX_KEPT_CHARS && kept.size() > 1) {
            keptChars -= kept.removeFirst().length() + 1;
            dropped++;
        }
    }

    /**
     * The first regex that could not be matched against a line (Java's regex engine recurses per
     * repetition of a group: {@code (a|b)*} on a 64 KiB line runs out of stack), as a failure of
     * the case; null if none. The run goes on: the guest is not to blame.
     */
    String regexTrouble;

    private boolean test(LineMatcher m, String line) {
        try {
            return m.matches(line);
        } catch (StackOverflowError e) {
            if (regexTrouble == null) {
                regexTrouble = "regex " + m + " ran out of stack on console line " + lineCount + " (" + line.length()
                        + " characters), so whether it matched is unknown: simplify it (e.g. [ab]* for (a|b)*)";
            }
            return false;
        }
    }

    private void match(String line) {
        List<LineExpectation> lines = ex.lines();
        long now = System.nanoTime() - startNanos;
        for (int i = 0; i < lines.size(); i++) {
            if (test(lines.get(i).matcher(), line)) {
                if (count[i]++ == 0) {
                    firstLine[i] = lineCount;
                    firstNanos[i] = now;
                }
            }
        }
        if (ex.inOrder()
                && inOrderNext < lines.size()
                && test(lines.get(inOrderNext).matcher(), line)) {
            inOrderLine[inOrderNext++] = lineCount;
        }
        if (forbiddenLine == 0) {
            for (LineMatcher m : ex.forbidden()) {
                if (test(m, line)) {
                    forbiddenLine = lineCount;
                    forbiddenText = line;
                    forbiddenMatcher = m;
                    break;
                }
            }
        }
        if (allSeenNanos < 0 && allSeen()) {
            allSeenNanos = now;
        }
    }

    /** Every expected line has appeared (enough times, and in order where asked). */
    boolean allSeen() {
        List<LineExpectation> lines = ex.lines();
        for (int i = 0; i < lines.size(); i++) {
            int times = lines.get(i).times();
            if (times == LineExpectation.AT_LEAST_ONCE ? count[i] == 0 : count[i] < times) {
                return false;
            }
        }
        return !ex.inOrder() || inOrderNext == lines.size();
    }

    /** Console lines so far (a line without its newline yet not counted). */
    synchronized int lines() {
        return lineCount;
    }

    /** A snapshot of the console lines kept. */
    synchronized Console snapshot() {
        List<String> lines = new ArrayList<>(kept);
        if (partial.size() > 0) {
            lines.add(partial.toString(StandardCharsets.UTF_8));
        }
        return new Console(List.copyOf(lines), dropped, lineCount + (partial.size() > 0 ? 1 : 0));
    }
}
