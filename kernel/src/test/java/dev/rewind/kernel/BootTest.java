package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BootTest {
    @Test
    void helloPrintsAndExitsCleanly() {
        GuestRun run = GuestRun.boot("hello.elf");
        assertTrue(run.console.contains("hello from rewind"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertEquals(0, run.result.task("hello").exitCode());
        assertTrue(run.faults.isEmpty(), run::toString);
    }
}
