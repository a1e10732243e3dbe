package dev.rewind.tools;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/** The time of day a system's WALL_CLOCK starts at, as {@code rewind boot --wall-clock} and a test case's {@code wall_clock} write it. */
public final class WallClock {
    private WallClock() {}

    /** The latest time accepted: WALL_CLOCK counts signed 64-bit nanoseconds from 1970 (year 2262). */
    static final Instant LATEST = Instant.parse("2200-01-01T00:00:00Z");

    /**
     * {@code text} as a UTC instant: {@code 2001-02-03T04:05:06Z} (fractions of a second
     * allowed) or a date alone, {@code 2001-02-03} (midnight UTC); from 1970 to 2199. A bad
     * value is an {@link IllegalArgumentException} naming {@code label}.
     */
    public static Instant parse(String text, String label) {
        String s = text.strip();
        Instant at;
        try {
            at = s.length() == 10 ? LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC) : Instant.parse(s);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(label + ": not a UTC time: '" + Printable.escape(text)
                    + "' (examples: 2001-02-03T04:05:06Z, 2001-02-03T04:05:06.5Z, 2001-02-03)");
        }
        if (at.isBefore(Instant.EPOCH) || !at.isBefore(LATEST)) {
            throw new IllegalArgumentException(
                    label + ": " + s + " is outside 1970-01-01 .. 2199-12-31 (the clock counts nanoseconds from 1970)");
        }
        return at;
    }
}
