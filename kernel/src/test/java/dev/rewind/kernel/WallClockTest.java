package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.Uart;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** WALL_CLOCK: the time of day at boot plus the monotonic clock, as the SDK's time functions read it. */
class WallClockTest {
    private static String boot(String builtin, Instant at) throws Exception {
        SystemImage img = SystemImage.builtin(builtin);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Kernel k = new Kernel(Fixtures.CONFIG, img.manifest(), img.source(), new Uart(out), null)) {
            if (at != null) {
                k.setWallClockAtBoot(at);
            }
            SystemResult r = k.run();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), () -> r + "\n" + out);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aFixedStartIsWhatTheProgramReadsPlusTheTimeItRan() throws Exception {
        String out = boot("timeofday.elf", Instant.parse("2038-01-19T03:14:07Z"));
        // (past 2^31 seconds: time_t is 64 bits on both architectures)
        assertTrue(out.matches("(?s)timeofday: 2038-01-19 03:14:0[7-9] UTC, 214748364[7-9] s\ntimeofday: ok\n"), out);
    }

    @Test
    void byDefaultItIsTheHostsTimeOfDay() throws Exception {
        long before = Instant.now().getEpochSecond();
        String out = boot("aarch64/timeofday.elf", null);
        long after = Instant.now().getEpochSecond();
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("UTC, (\\d+) s").matcher(out);
        assertTrue(m.find() && out.contains("timeofday: ok"), out);
        long t = Long.parseLong(m.group(1));
        assertTrue(before <= t && t <= after, before + " <= " + t + " <= " + after);
    }

    @Test
    void aStartPastWhatSixtyFourBitNanosecondsHoldIsRefused() {
        assertThrows(ArithmeticException.class, () -> Kernel.epochNanos(Instant.parse("2300-01-01T00:00:00Z")));
        assertEquals(1_000_000_001L, Kernel.epochNanos(Instant.ofEpochSecond(1, 1)));
    }
}
