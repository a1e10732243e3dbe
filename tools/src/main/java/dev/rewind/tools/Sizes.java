package dev.rewind.tools;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of sizes ("64M") and durations ("500ms") given on the command line. */
final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,12})([kKmMgG]?)");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");

    /** Longest duration accepted (1000 hours): beyond it a run would not end in practice anyway. */
    static final long MAX_DURATION_NANOS = 1000 * 3_600_000_000_000L;

    private Sizes() {}

    static long parseBytes(String text, String option) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + ": not a size: '" + text + "' (examples: 65536, 64K, 256M, 1G)");
        }
        return scaled(Long.parseLong(m.group(1)), m.group(2), text, option);
    }

    /** {@code n} times the unit's multiple (K, M, G or none); an overflow is an error, never a wrapped value. */
    static long scaled(long n, String unit, String text, String option) {
        int shift = switch (unit.toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException(option + ": size too large: '" + text + "'");
        }
        return n << shift;
    }

    static long parseDurationNanos(String text, String option) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + ": not a duration: '" + text + "' (examples: 500ms, 10s, 2m)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        long unitNanos = switch (unit) {
            case "ms" -> 1_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 1_000_000_000L;
        };
        if (n > MAX_DURATION_NANOS / unitNanos) {
            throw new IllegalArgumentException(option + ": too long: '" + text + "' (at most 1000h)");
        }
        long nanos = n * unitNanos;
        if (nanos <= 0) {
            throw new IllegalArgumentException(option + " must be positive: '" + text + "'");
        }
        return nanos;
    }
}
