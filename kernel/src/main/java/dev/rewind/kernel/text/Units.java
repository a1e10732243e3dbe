package dev.rewind.kernel.text;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one parser of sizes and durations written by people: on the command line ({@code boot --ram 256M},
 * {@code boot --timeout 1.5s}, {@code disk format --size 8M}), in manifests ({@code stack = "64K"}) and in
 * suite files ({@code timeout 500ms}).
 *
 * <ul>
 *   <li>A size is a whole number of bytes with an optional binary suffix: {@code 65536}, {@code 64K},
 *       {@code 8M}, {@code 1G} (K = 1024, M = 1024 K, G = 1024 M; either case).</li>
 *   <li>A duration is a number with an optional unit: {@code 10us}, {@code 200ms}, {@code 1.5s},
 *       {@code 2m}, {@code 1h}; a bare number is seconds. Units in either case, a decimal point allowed,
 *       and the value must come to a whole number of nanoseconds greater than zero.</li>
 * </ul>
 *
 * <p>Leading and trailing whitespace is ignored; nothing may stand between the number and its unit.
 * Values that do not fit (overflow) are errors, never wrapped or clamped. Every error is a
 * {@link BadValue}: an {@link IllegalArgumentException} whose message names the text and whose
 * {@link BadValue#reason() reason} lets a caller word its own message (a manifest does).
 */
public final class Units {
    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmg]?)");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(?:\\.(\\d+))?(us|ms|s|m|h)?");
    private static final Pattern NEGATIVE = Pattern.compile("-\\s*[\\d.].*", Pattern.DOTALL);

    /** Examples shown when a size cannot be read. */
    public static final String SIZE_EXAMPLES = "65536, 64K, 8M, 1G";
    /** Examples shown when a duration cannot be read. */
    public static final String DURATION_EXAMPLES = "10us, 200ms, 1.5s, 2m";

    private static final long US = 1_000L;
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;
    private static final long M = 60 * S;
    private static final long H = 60 * M;

    private Units() {}

    /** Why a value was refused. */
    public enum Reason {
        /** Not a size / duration at all ("12Q", "soon", ""). */
        MALFORMED,
        /** A minus sign ("-4K", "-1s"). */
        NEGATIVE,
        /** More than the largest value accepted (for a size: more than {@link Long#MAX_VALUE} bytes). */
        TOO_LARGE,
        /** A duration of zero ("0s"). */
        ZERO,
        /** A duration finer than a nanosecond ("0.5ns" worth, e.g. "1.0000000001s"). */
        TOO_PRECISE
    }

    /** A size or duration that was refused; the message names the text as written. */
    public static final class BadValue extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final Reason reason;

        BadValue(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    /**
     * The number of bytes in {@code text} ({@code "64K"} is 65536); zero is allowed.
     *
     * @throws BadValue with a message such as {@code not a size: '12Q' (examples: 65536, 64K, 8M, 1G)}
     */
    public static long parseBytes(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (NEGATIVE.matcher(s).matches()) {
            throw new BadValue(Reason.NEGATIVE, "a size must not be negative: '" + text + "'");
        }
        Matcher m = SIZE.matcher(s);
        if (!m.matches()) {
            throw new BadValue(Reason.MALFORMED, "not a size: '" + text + "' (examples: " + SIZE_EXAMPLES + ")");
        }
        int shift = switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        BigInteger bytes = new BigInteger(stripLeadingZeros(m.group(1), 20)).shiftLeft(shift);
        if (bytes.bitLength() > 63) {
            throw new BadValue(Reason.TOO_LARGE, "size too large: '" + text + "'");
        }
        return bytes.longValueExact();
    }

    /**
     * The nanoseconds in {@code text} ({@code "1.5s"} is 1_500_000_000), at most {@code maxNanos}.
     *
     * @throws BadValue with a message such as {@code not a duration: 'soon' (examples: ...)} or
     *     {@code duration too long: '2h' (at most 1h)}
     */
    public static long parseNanos(String text, long maxNanos) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (NEGATIVE.matcher(s).matches()) {
            throw new BadValue(Reason.NEGATIVE, "a duration must be positive: '" + text + "'");
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new BadValue(
                    Reason.MALFORMED, "not a duration: '" + text + "' (examples: " + DURATION_EXAMPLES + ")");
        }
        long unit = switch (m.group(3) == null ? "s" : m.group(3)) {
            case "us" -> US;
            case "ms" -> MS;
            case "m" -> M;
            case "h" -> H;
            default -> S;
        };
        String whole = stripLeadingZeros(m.group(1), 20);
        String fraction = m.group(2) == null ? "" : stripTrailingZeros(m.group(2));
        if (fraction.length() > 18) {
            throw new BadValue(Reason.TOO_PRECISE, "duration finer than a nanosecond: '" + text + "'");
        }
        BigDecimal nanos =
                new BigDecimal(whole + (fraction.isEmpty() ? "" : "." + fraction)).multiply(BigDecimal.valueOf(unit));
        if (nanos.signum() == 0) {
            throw new BadValue(Reason.ZERO, "a duration must be positive: '" + text + "'");
        }
        if (nanos.compareTo(BigDecimal.valueOf(maxNanos)) > 0) {
            throw new BadValue(
                    Reason.TOO_LARGE, "duration too long: '" + text + "' (at most " + formatNanos(maxNanos) + ")");
        }
        if (nanos.stripTrailingZeros().scale() > 0) {
            throw new BadValue(Reason.TOO_PRECISE, "duration finer than a nanosecond: '" + text + "'");
        }
        return nanos.longValueExact();
    }

    /** {@link #parseBytes(String)} for an option or setting: the message starts with {@code "LABEL: "}. */
    public static long parseBytes(String text, String label) {
        try {
            return parseBytes(text);
        } catch (BadValue e) {
            throw new BadValue(e.reason(), label + ": " + e.getMessage());
        }
    }

    /** {@link #parseNanos(String, long)} for an option or setting: the message starts with {@code "LABEL: "}. */
    public static long parseNanos(String text, long maxNanos, String label) {
        try {
            return parseNanos(text, maxNanos);
        } catch (BadValue e) {
            throw new BadValue(e.reason(), label + ": " + e.getMessage());
        }
    }

    /** {@code bytes} in the largest unit that divides it exactly: {@code 64K}, {@code 8M}, {@code 1G}, {@code 1000}. */
    public static String formatBytes(long bytes) {
        for (int shift = 30; shift >= 10; shift -= 10) {
            if (bytes != 0 && bytes % (1L << shift) == 0) {
                return (bytes >> shift) + (shift == 30 ? "G" : shift == 20 ? "M" : "K");
            }
        }
        return Long.toString(bytes);
    }

    /** {@code nanos} in the largest unit that divides it exactly: {@code 1h}, {@code 90s}, {@code 200ms}, {@code 7ns}. */
    public static String formatNanos(long nanos) {
        long[] units = {H, M, S, MS, US};
        String[] names = {"h", "m", "s", "ms", "us"};
        for (int i = 0; i < units.length; i++) {
            if (nanos != 0 && nanos % units[i] == 0) {
                return nanos / units[i] + names[i];
            }
        }
        return nanos + "ns";
    }

    /**
     * {@code digits} without its leading zeros ("0" if all are), or a number past any long if more than
     * {@code max} significant digits remain (so that a huge string costs no big-number arithmetic).
     */
    private static String stripLeadingZeros(String digits, int max) {
        int i = 0;
        while (i < digits.length() - 1 && digits.charAt(i) == '0') {
            i++;
        }
        return digits.length() - i > max ? "1" + "0".repeat(max) : digits.substring(i);
    }

    private static String stripTrailingZeros(String digits) {
        int end = digits.length();
        while (end > 0 && digits.charAt(end - 1) == '0') {
            end--;
        }
        return digits.substring(0, end);
    }
}
