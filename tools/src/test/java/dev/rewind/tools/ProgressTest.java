package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The progress line: drawn on a terminal only, at most ten times a second, erased at the end. */
class ProgressTest {
    private final long[] now = {0};
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void quietWhenNotATerminal() {
        try (Progress p = new Progress("inject", "runs", 10, 0, false, out, () -> now[0])) {
            for (int i = 0; i < 10; i++) {
                now[0] += 1_000_000_000L;
                p.step(i % 2 == 0);
            }
        }
        assertEquals("", text());
    }

    @Test
    void redrawsInPlaceAtMostTenTimesASecondAndErases() {
        Progress p = new Progress("inject", "runs", 200, 0, true, out, () -> now[0]);
        now[0] = 500_000_000L;
        p.step(false); // first step: drawn
        String first = text();
        assertEquals("\rinject: 1/200 (0%), 2.0 runs/s, ETA 1:40, 0 failures", first);
        for (int i = 0; i < 50; i++) {
            now[0] += 1_000_000L; // 50 steps within 50 ms: none redrawn
            p.step(true);
        }
        assertEquals(first, text());
        now[0] += 100_000_000L;
        p.step(false); // 100 ms after the last draw
        String second = text().substring(first.length());
        assertTrue(second.startsWith("\rinject: 52/200 (26%), "), second);
        assertTrue(second.endsWith(", 50 failures"), second);
        assertEquals(2, text().chars().filter(c -> c == '\r').count());
        p.close();
        String all = text();
        assertTrue(all.endsWith("\r" + " ".repeat(second.length() - 1) + "\r"), all);
        p.step(false); // nothing after close
        assertEquals(all, text());
    }

    @Test
    void aResumedCountStartsFromWhatWasDoneAndRatesOnlyTheNew() {
        Progress p = new Progress("inject", "runs", 10, 6, true, out, () -> now[0]);
        p.addFailures(2);
        now[0] = 2_000_000_000L;
        p.step(true);
        assertEquals("\rinject: 7/10 (70%), 0.5 runs/s, ETA 0:06, 3 failures", text());
        now[0] += 2_000_000_000L;
        p.set(10, 3); // the last one is always drawn
        assertTrue(text().stripTrailing().endsWith("\rinject: 10/10 (100%), 1.0 runs/s, 3 failures"), text());
    }

    @Test
    void clockTimes() {
        assertEquals("0:39", Progress.clockTime(39));
        assertEquals("12:05", Progress.clockTime(725));
        assertEquals("1:02:03", Progress.clockTime(3723));
    }
}
