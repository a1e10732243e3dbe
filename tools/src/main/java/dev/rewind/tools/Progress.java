package dev.rewind.tools;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A progress line for long commands: "inject: 37/200 (18%), 4.2 runs/s, ETA 0:39, 3 failures",
 * redrawn in place on stderr (at most ten times a second) and erased before the command prints
 * its results. Shown only when stdout is a terminal; otherwise it prints nothing at all.
 */
public final class Progress implements AutoCloseable {
    /** The shortest time between two redraws. */
    static final long REDRAW_NANOS = 100_000_000L;

    private final String what;
    private final String unit;
    private final long total;
    private final boolean terminal;
    private final PrintStream out;
    private final LongSupplier clock;
    private final long start;
    private final long startDone;
    private long done;
    private long failures;
    private long lastDraw = Long.MIN_VALUE;
    private int drawn; // length of the line on screen, 0: none
    private boolean closed;
    private String item = "";

    /**
     * @param what     what runs ("inject")
     * @param unit     what is counted, plural ("runs")
     * @param total    how many in all
     * @param already  how many were done before this started (a resumed campaign): not in the rate
     */
    public Progress(
            String what, String unit, long total, long already, boolean terminal, PrintStream out, LongSupplier clock) {
        this.what = what;
        this.unit = unit;
        this.total = total;
        this.terminal = terminal;
        this.out = out;
        this.clock = clock;
        this.start = clock.getAsLong();
        this.startDone = already;
        this.done = already;
    }

    /** A progress line on stderr, shown if stdout is a terminal. */
    public static Progress start(String what, String unit, long total, long already) {
        return new Progress(what, unit, total, already, System.console() != null, System.err, System::nanoTime);
    }

    /** One more done ({@code failed}: and it failed). */
    public synchronized void step(boolean failed) {
        done++;
        failures += failed ? 1 : 0;
        redraw(false);
    }

    /** Set the counts (done includes those done before), redrawing if it is time. */
    public synchronized void set(long doneNow, long failuresNow) {
        done = doneNow;
        failures = failuresNow;
        redraw(false);
    }

    /** Name what runs now ("txipc"), shown at the end of the line; redrawn at once. */
    public synchronized void item(String now) {
        item = now;
        redraw(true);
    }

    /**
     * Erase the line for other output (drawn again at the next step): a command that prints
     * while it runs prints through {@link #guard}.
     */
    public synchronized void suspend() {
        if (terminal && drawn > 0) {
            out.print("\r" + " ".repeat(drawn) + "\r");
            out.flush();
            drawn = 0;
        }
    }

    /** {@code target}, erasing the progress line before anything is written to it. */
    public PrintStream guard(PrintStream target) {
        if (!terminal) {
            return target;
        }
        return new PrintStream(
                new java.io.OutputStream() {
                    @Override
                    public void write(int b) {
                        suspend();
                        target.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        suspend();
                        target.write(b, off, len);
                    }

                    @Override
                    public void flush() {
                        target.flush();
                    }
                },
                true,
                java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Count {@code n} failures among those done earlier (a resumed campaign's). */
    public synchronized void addFailures(long n) {
        failures += n;
    }

    /** The line as it would be drawn now. */
    synchronized String line() {
        long now = clock.getAsLong();
        double secs = (now - start) / 1e9;
        long fresh = done - startDone;
        StringBuilder b =
                new StringBuilder(what).append(": ").append(done).append('/').append(total);
        if (total > 0) {
            b.append(String.format(Locale.ROOT, " (%d%%)", 100 * done / total));
        }
        if (fresh > 0 && secs > 0) {
            double rate = fresh / secs;
            b.append(String.format(Locale.ROOT, ", %.1f %s/s", rate, unit));
            if (done < total) {
                b.append(", ETA ").append(clockTime((long) Math.ceil((total - done) / rate)));
            }
        }
        b.append(", ").append(failures).append(failures == 1 ? " failure" : " failures");
        if (!item.isEmpty()) {
            b.append(", ").append(item);
        }
        return b.toString();
    }

    private void redraw(boolean force) {
        if (!terminal || closed) {
            return;
        }
        long now = clock.getAsLong();
        if (!force && drawn > 0 && now - lastDraw < REDRAW_NANOS && done < total) {
            return;
        }
        lastDraw = now;
        String l = line();
        StringBuilder b = new StringBuilder("\r").append(l);
        for (int i = l.length(); i < drawn; i++) {
            b.append(' '); // wipe the rest of a longer line
        }
        out.print(b);
        out.flush();
        drawn = l.length();
    }

    /** Erase the line (before the command's own output); nothing is drawn after. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        suspend();
    }

    /** "0:39", "12:05", "1:02:03". */
    static String clockTime(long secs) {
        long h = secs / 3600;
        long m = secs / 60 % 60;
        long s = secs % 60;
        return h > 0
                ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
