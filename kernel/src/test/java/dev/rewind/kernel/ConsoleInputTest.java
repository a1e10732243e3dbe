package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * CONSOLE_READ: a program's stdin reads the console's input (rewind boot's stdin when the image
 * has no UART), waiting while none has come (EAGAIN, then the SDK sleeps and asks again), until
 * its end; without any input stdin is at its end at once, as before.
 */
class ConsoleInputTest {
    private static final String EXPECTED = "name? hello, World\n"
            + "getchar: 6 chars, 2 lines before '.'\n"
            + "read: 4 [tail]\n"
            + "end: read 0, getchar -1, feof 1\n";

    @Test
    void stdinReadsTheConsoleInputToItsEnd() {
        for (String elf : new String[] {"stdin_lines.elf", "aarch64/stdin_lines.elf"}) {
            GuestRun run = GuestRun.bootWithConsoleInput(
                    elf, ConsoleInput.of("World\nab\ncd\n.tail".getBytes(StandardCharsets.US_ASCII)));
            assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
            assertEquals(EXPECTED, run.console, run::toString);
        }
    }

    /** Input that comes slowly, a piece at a time, from a feeder started by the first read. */
    @Test
    void aReadWaitsForInputThatHasNotComeYet() {
        AtomicInteger starts = new AtomicInteger();
        ConsoleInput[] in = new ConsoleInput[1];
        in[0] = new ConsoleInput(() -> {
            starts.incrementAndGet();
            Thread t = new Thread(() -> {
                try {
                    for (String piece : new String[] {"Wor", "ld\nab\n", "cd\n", ".ta", "il"}) {
                        Thread.sleep(40);
                        if (piece.equals("il")) {
                            // (not before the guest has taken ".ta": on a loaded host its read could
                            // otherwise come late enough to find "il" too)
                            for (int i = 0; i < 1000 && in[0].unread() > 0; i++) {
                                Thread.sleep(10);
                            }
                        }
                        byte[] b = piece.getBytes(StandardCharsets.US_ASCII);
                        in[0].offer(b, 0, b.length);
                    }
                    Thread.sleep(40);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                in[0].close();
            });
            t.setDaemon(true);
            t.start();
        });
        GuestRun run = GuestRun.bootWithConsoleInput("stdin_lines.elf", in[0]);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        // read(0, ...) returns what has come ("ta" of ".ta"), as on a pipe
        assertEquals(EXPECTED.replace("read: 4 [tail]", "read: 2 [ta]"), run.console, run::toString);
        assertEquals(1, starts.get(), "the feeder is started once, by the first read");
    }

    @Test
    void withoutInputStdinIsAtItsEndAndNoFeederStarts() {
        GuestRun run = GuestRun.boot("stdin_lines.elf");
        assertEquals("name? no input: feof=1\n", run.console, run::toString);

        AtomicInteger starts = new AtomicInteger();
        ConsoleInput unused = new ConsoleInput(starts::incrementAndGet);
        GuestRun hello = GuestRun.bootWithConsoleInput("hello.elf", unused);
        assertTrue(hello.console.contains("hello from rewind"), hello::toString);
        assertEquals(0, starts.get(), "a program that never reads stdin leaves the host's stdin alone");
    }
}
