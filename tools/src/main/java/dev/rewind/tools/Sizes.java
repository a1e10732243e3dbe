package dev.rewind.tools;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of sizes ("64M") and durations ("500ms") given on the command line. */
final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,12})([kKmMgG]?)");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");

    private Sizes() {}

    static long parseBytes(String text, String option) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + ": not a size: '" + text + "' (examples: 65536, 64K, 256M, 1G)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> n << 10;
            case "M" -> n << 20;
            case "G" -> n << 30;
            default -> n;
        };
    }

    static long parseDurationNanos(String text, String option) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(option + ": not a duration: '" + text + "' (examples: 500ms, 10s, 2m)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        long nanos = switch (unit) {
            case "ms" -> n * 1_000_000L;
            case "m" -> n * 60_000_000_000L;
            case "h" -> n * 3_600_000_000_000L;
            default -> n * 1_000_000_000L;
        };
        if (nanos <= 0) {
            throw new IllegalArgumentException(option + " must be positive: '" + text + "'");
        }
        return nanos;
    }
}
