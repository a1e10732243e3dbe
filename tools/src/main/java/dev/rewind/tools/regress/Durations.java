package dev.rewind.tools.regress;

import dev.rewind.kernel.text.Units;
import java.util.Locale;

/**
 * Durations in suite results and reports ({@code 500ms}, {@code 20s}, {@code 1.5s}, {@code 2m}) and the
 * longest timeout a case may ask for; they are read by {@link dev.rewind.kernel.text.Units#parseNanos}.
 */
public final class Durations {
    /** The longest timeout a case may ask for. */
    public static final long MAX_NANOS = 3_600_000_000_000L;

    private Durations() {}

    /** A short human form: {@code 500ms}, {@code 20s}, {@code 1.5s}, {@code 2m}. */
    public static String format(long nanos) {
        if (nanos < 1_000_000_000L) {
            // whole milliseconds, or a finer unit for a timeout such as 10us
            return nanos % 1_000_000L == 0 ? (nanos / 1_000_000L) + "ms" : Units.formatNanos(nanos);
        }
        if (nanos % 60_000_000_000L == 0) {
            return (nanos / 60_000_000_000L) + "m";
        }
        if (nanos % 1_000_000_000L == 0) {
            return (nanos / 1_000_000_000L) + "s";
        }
        return String.format(Locale.ROOT, "%.3fs", nanos / 1e9).replaceAll("0+s$", "s");
    }

    /** Seconds with two decimals, for timings: {@code 0.42s}. */
    public static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2fs", nanos / 1e9);
    }
}
