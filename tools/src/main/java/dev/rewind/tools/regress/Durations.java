package dev.rewind.tools.regress;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as written in suite files and on the command line: {@code 500ms}, {@code 20s}, {@code 1.5s}, {@code 2m}. */
public final class Durations {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(?:\\.(\\d{1,3}))?(ms|s|m)?");
    /** The longest timeout a case may ask for. */
    public static final long MAX_NANOS = 3_600_000_000_000L;

    private Durations() {}

    /**
     * Parses a duration; a bare number is seconds.
     *
     * @throws IllegalArgumentException with a message naming the text and giving examples
     */
    public static long parseNanos(String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (examples: 500ms, 20s, 1.5s, 2m)");
        }
        String unit = m.group(3) == null ? "s" : m.group(3);
        long scale = switch (unit) {
            case "ms" -> 1_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 1_000_000_000L;
        };
        long whole = Long.parseLong(m.group(1));
        long nanos = whole * scale;
        if (m.group(2) != null) {
            String frac = (m.group(2) + "00").substring(0, 3);
            nanos += Long.parseLong(frac) * (scale / 1000);
        }
        if (nanos <= 0) {
            throw new IllegalArgumentException("a duration must be positive: '" + text + "'");
        }
        if (nanos > MAX_NANOS) {
            throw new IllegalArgumentException("duration too long: '" + text + "' (at most 60m)");
        }
        return nanos;
    }

    /** A short human form: {@code 500ms}, {@code 20s}, {@code 1.5s}, {@code 2m}. */
    public static String format(long nanos) {
        if (nanos < 1_000_000_000L) {
            return (nanos / 1_000_000L) + "ms";
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
