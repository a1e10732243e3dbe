package dev.rewind.kernel.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.text.Units.BadValue;
import dev.rewind.kernel.text.Units.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {
    private static final long HOUR = 3_600_000_000_000L;

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "0|0",
                "1|1",
                "65536|65536",
                "64K|65536",
                "64k|65536",
                "8M|8388608",
                "8m|8388608",
                "1G|1073741824",
                "1g|1073741824",
                "0K|0",
                "007|7",
                "16G|17179869184",
                "9223372036854775807|9223372036854775807",
                "8589934591G|9223372035781033984",
                "000000000000000000000000000001K|1024"
            })
    void sizes(String text, long bytes) {
        assertEquals(bytes, Units.parseBytes(text));
    }

    @Test
    void surroundingWhitespaceIsIgnored() {
        assertEquals(65536, Units.parseBytes("  64K  "));
        assertEquals(1 << 20, Units.parseBytes("\t1M\n"));
        assertEquals(1_500_000_000L, Units.parseNanos("  1.5s  ", HOUR));
        assertEquals(10_000_000_000L, Units.parseNanos("\t10s\r\n", HOUR));
        assertEquals(
                Reason.MALFORMED,
                assertThrows(BadValue.class, () -> Units.parseBytes("64\nK")).reason());
        assertEquals(
                Reason.MALFORMED,
                assertThrows(BadValue.class, () -> Units.parseNanos("1.5 s", HOUR))
                        .reason());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "", " ", "K", "12Q", "1.5G", "64KB", "64KiB", "1T", "64 K", "0x100", "+4K", "4K4", "1e6", "١٢", "64K,",
                "four"
            })
    void malformedSizes(String text) {
        BadValue e = assertThrows(BadValue.class, () -> Units.parseBytes(text));
        assertEquals(Reason.MALFORMED, e.reason());
        assertEquals("not a size: '" + text + "' (examples: 65536, 64K, 8M, 1G)", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-4K", " -4K", "- 4K", "-0"})
    void negativeSizes(String text) {
        BadValue e = assertThrows(BadValue.class, () -> Units.parseBytes(text));
        assertEquals(Reason.NEGATIVE, e.reason());
        assertEquals("a size must not be negative: '" + text + "'", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "9223372036854775808",
                "8589934592G",
                "9007199254740992M",
                "99999999999999999999999K",
                "18446744073709551616"
            })
    void oversizedSizes(String text) {
        BadValue e = assertThrows(BadValue.class, () -> Units.parseBytes(text));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertEquals("size too large: '" + text + "'", e.getMessage());
    }

    @Test
    void aHugeNumberIsRefusedQuickly() {
        String digits = "9".repeat(1 << 20);
        assertEquals(
                Reason.TOO_LARGE,
                assertThrows(BadValue.class, () -> Units.parseBytes(digits)).reason());
        assertEquals(
                Reason.TOO_LARGE,
                assertThrows(BadValue.class, () -> Units.parseNanos(digits, HOUR))
                        .reason());
        String zeros = "1." + "0".repeat(1 << 20) + "1";
        assertEquals(
                Reason.TOO_PRECISE,
                assertThrows(BadValue.class, () -> Units.parseNanos(zeros, HOUR))
                        .reason());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "1|1000000000",
                "20|20000000000",
                "20s|20000000000",
                "500ms|500000000",
                "10us|10000",
                "1.5s|1500000000",
                "2m|120000000000",
                "1h|3600000000000",
                "1.5|1500000000",
                "0.5ms|500000",
                "0.001s|1000000",
                "1.000000001s|1000000001",
                "0.000001ms|1",
                "1.5m|90000000000",
                "0.25h|900000000000",
                "1.50s|1500000000",
                "1.5S|1500000000",
                "200MS|200000000",
                "10US|10000",
                "2M|120000000000",
                "1H|3600000000000",
                "0010s|10000000000",
                "60m|3600000000000"
            })
    void durations(String text, long nanos) {
        assertEquals(nanos, Units.parseNanos(text, HOUR));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "", " ", "s", "soon", "1.5.s", ".5s", "1.s", "10x", "1 s", "1ns", "1d", "10sec", "1,5s", "+1s", "0x10s",
                "1e3ms", "1s1", "1µs"
            })
    void malformedDurations(String text) {
        BadValue e = assertThrows(BadValue.class, () -> Units.parseNanos(text, HOUR));
        assertEquals(Reason.MALFORMED, e.reason());
        assertEquals("not a duration: '" + text + "' (examples: 10us, 200ms, 1.5s, 2m)", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1s", "-1", "-0.5ms", " -2m", "-0s"})
    void negativeDurations(String text) {
        BadValue e = assertThrows(BadValue.class, () -> Units.parseNanos(text, HOUR));
        assertEquals(Reason.NEGATIVE, e.reason());
        assertEquals("a duration must be positive: '" + text + "'", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0s", "0ms", "0.0s", "000us", "0h"})
    void zeroDurations(String text) {
        BadValue e = assertThrows(BadValue.class, () -> Units.parseNanos(text, HOUR));
        assertEquals(Reason.ZERO, e.reason());
        assertEquals("a duration must be positive: '" + text + "'", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0001us", "1.0000000001s", "0.00000000000001h", "1.5555us", "0.0000000015ms"})
    void durationsFinerThanANanosecond(String text) {
        BadValue e = assertThrows(BadValue.class, () -> Units.parseNanos(text, HOUR));
        assertEquals(Reason.TOO_PRECISE, e.reason());
        assertEquals("duration finer than a nanosecond: '" + text + "'", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "61m",
                "2h",
                "1.0000001h",
                "3601s",
                "9223372036854775807ms",
                "999999999h",
                "99999999999999999999999999s"
            })
    void durationsOverTheLimit(String text) {
        BadValue e = assertThrows(BadValue.class, () -> Units.parseNanos(text, HOUR));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertEquals("duration too long: '" + text + "' (at most 1h)", e.getMessage());
    }

    @Test
    void theLimitIsInclusiveAndNamedInItsUnit() {
        assertEquals(HOUR, Units.parseNanos("3600s", HOUR));
        assertEquals(1000 * HOUR, Units.parseNanos("1000h", 1000 * HOUR));
        assertTrue(assertThrows(BadValue.class, () -> Units.parseNanos("1001h", 1000 * HOUR))
                .getMessage()
                .endsWith("(at most 1000h)"));
        assertTrue(assertThrows(BadValue.class, () -> Units.parseNanos("2s", 1_500_000_000L))
                .getMessage()
                .endsWith("(at most 1500ms)"));
        assertEquals(9_223_372_036_854_775_000L, Units.parseNanos("9223372036854775us", Long.MAX_VALUE));
        assertEquals(
                Reason.TOO_LARGE,
                assertThrows(BadValue.class, () -> Units.parseNanos("9223372036854776us", Long.MAX_VALUE))
                        .reason());
    }

    @Test
    void aLabelPrefixesTheMessageAndKeepsTheReason() {
        BadValue e = assertThrows(BadValue.class, () -> Units.parseBytes("lots", "--size"));
        assertEquals("--size: not a size: 'lots' (examples: 65536, 64K, 8M, 1G)", e.getMessage());
        assertEquals(Reason.MALFORMED, e.reason());
        e = assertThrows(BadValue.class, () -> Units.parseNanos("0", HOUR, "--timeout"));
        assertEquals("--timeout: a duration must be positive: '0'", e.getMessage());
        assertEquals(Reason.ZERO, e.reason());
        assertEquals(8L << 20, Units.parseBytes("8M", "--size"));
        assertEquals(1_500_000_000L, Units.parseNanos("1.5s", HOUR, "--timeout"));
    }

    @Test
    void badValuesAreIllegalArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseBytes("x"));
        assertTrue(e instanceof BadValue);
    }

    @Test
    void formats() {
        assertEquals("0", Units.formatBytes(0));
        assertEquals("1000", Units.formatBytes(1000));
        assertEquals("4K", Units.formatBytes(4096));
        assertEquals("1536K", Units.formatBytes(1536 * 1024));
        assertEquals("16M", Units.formatBytes(16L << 20));
        assertEquals("1G", Units.formatBytes(1L << 30));
        assertEquals("1h", Units.formatNanos(HOUR));
        assertEquals("90s", Units.formatNanos(90_000_000_000L));
        assertEquals("1500ms", Units.formatNanos(1_500_000_000L));
        assertEquals("10us", Units.formatNanos(10_000));
        assertEquals("7ns", Units.formatNanos(7));
        for (long n : new long[] {1000, 10_000, 1_500_000_000L, HOUR, 1000 * HOUR, 123_456_789_000L}) {
            assertEquals(n, Units.parseNanos(Units.formatNanos(n), Long.MAX_VALUE), Units.formatNanos(n));
        }
        for (long b : new long[] {0, 1, 4096, 1536 * 1024, 16L << 20, 1L << 30, 5L << 30}) {
            assertEquals(b, Units.parseBytes(Units.formatBytes(b)));
        }
    }
}
