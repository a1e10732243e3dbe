package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The RISC-V counters a program may read (guest/tests/counters.c): rdcycle and rdinstret run in
 * the engine; rdtime, whose CSR the engine has no timer behind (it trapped as an illegal
 * instruction, where QEMU's virt board reads its CLINT), is completed by the kernel at 10 MHz from
 * its clock, in each read-only encoding.
 */
class CounterTest {
    @Test
    void rdtimeCountsTheKernelClockAndTheOtherCountersGoForward() {
        GuestRun run = GuestRun.boot("t_counters.elf");
        assertTrue(run.console.contains("counters: ok"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertTrue(run.faults.isEmpty(), run::toString);
    }
}
