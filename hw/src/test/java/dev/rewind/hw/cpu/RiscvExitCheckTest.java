package dev.rewind.hw.cpu;

import static dev.rewind.hw.cpu.Asm.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.unicorn.Unicorn;
import org.junit.jupiter.api.Test;

/**
 * Unicorn 2.1.4's per-access exit check switched off (Unicorn.ExitCheck): every refused access
 * still stops the run at the faulting instruction, with nothing after it run; the checks are on
 * whenever the MMU is off (refusals then go through Unicorn's invalid-memory path, which only
 * flags the error) or a hook that may stop the engine mid-block exists; and a stop from another
 * thread still ends a loop of loads and stores. On an engine without the flag the same faults
 * must be just as precise, with the checks on.
 */
class RiscvExitCheckTest extends CpuFixture {
    static final int S0 = 8, S1 = 9, T1 = 6;

    void load(Asm a) {
        byte[] b = a.bytes();
        cpu.memory().write(CODE, b, 0, b.length, Perm.NONE);
        cpu.engine().removeCachedCode(CODE, CODE + 0x1000);
    }

    long reg(int r) {
        long[] regs = new long[33];
        cpu.readAll(regs);
        return regs[r];
    }

    long[] regs() {
        long[] r = new long[33];
        cpu.readAll(r);
        return r;
    }

    /**
     * s0 = DATA; a loop that stores a byte at s0 + 0x7f0 and steps s0 by 0x400 until the store
     * leaves DATA (at its third round), then, in the same block, s1 = 77. Returns the store's pc.
     */
    long storeLoop() {
        Asm a = new Asm(CODE);
        a.w(lui(S0, (int) (DATA >> 12))); // 0
        long store = a.here();
        a.w(0x7e040823 /* sb zero, 0x7f0(s0) */); // 4: loop
        a.w(addi(S1, 0, 77)); // 8
        a.w(addi(S0, S0, 0x400)); // 12
        a.w(jal(0, a.here(), CODE + 4)); // 16
        load(a);
        return store;
    }

    void assertFaultAtTheStore(long store) {
        assertEquals(Exit.MEMORY_FAULT, cpu.run(CODE));
        assertEquals(Unicorn.MEM_WRITE_UNMAPPED, cpu.memFaultType());
        assertEquals(DATA + 0x1000 + 0x3f0, cpu.memFaultAddress());
        long[] r = regs();
        assertEquals(DATA + 0xc00, r[S0], "the loop's step after the store did not run");
        FaultLocator.Location loc = FaultLocator.find(cpu.memory(), r[32], r, cpu.memFaultAddress(), true);
        assertTrue(loc.found(), () -> String.format("faulting store not found from pc 0x%x", r[32]));
        assertEquals(store, loc.pc());
    }

    @Test
    void withTheMmuTheChecksAreOffAndAStoreFaultStopsAtTheStore() {
        assumeTrue(cpu.virtualTlb());
        long store = storeLoop();
        if (cpu.engine().exitChecksCanBeOff()) {
            assertFalse(cpu.engine().exitChecks(), "Unicorn 2.1.4 with the MMU: the checks are off");
        }
        assertFaultAtTheStore(store);
        assertEquals(store, cpu.pc(), "the fill hook's refusal leaves the block at the store");
    }

    @Test
    void withTheStoreHookTrackerTheMmuIsOffAndSoAreTheChecksNot() {
        // Found by RandomCodeFuzzTest seed 72 with the checks off everywhere: a quarter of the
        // fuzzer's transactional tasks run with this tracker, the store went to Unicorn's
        // invalid-memory path, and the block ran on to its end before the run stopped.
        cpu.enableWriteTracking(Cpu.TrackerKind.STORE_HOOK, 64, 0);
        assertFalse(cpu.virtualTlb());
        long store = storeLoop();
        assertTrue(cpu.engine().exitChecks(), "no MMU: the checks stay on");
        assertFaultAtTheStore(store);
    }

    @Test
    void withQemusOwnTlbTheChecksStayOn() {
        useGuestMmu();
        long store = storeLoop();
        assertTrue(cpu.engine().exitChecks());
        assertFaultAtTheStore(store);
    }

    @Test
    void hooksThatMayStopTurnTheChecksOnWhileTheyExist() {
        assumeTrue(cpu.virtualTlb() && cpu.engine().exitChecksCanBeOff());
        Unicorn uc = cpu.engine();
        assertFalse(uc.exitChecks());
        try (Unicorn.Countdown c = uc.stopAtInstruction(1_000_000)) {
            assertTrue(uc.exitChecks(), "the fault injector's countdown");
        }
        assertFalse(uc.exitChecks());
        try (Unicorn.Hook h = uc.hookMemAccess(Unicorn.HOOK_DATA_WRITE, DATA, DATA + 0xfff, (t, a, s, v) -> {})) {
            assertTrue(uc.exitChecks(), "a watchpoint");
            try (Unicorn.Counter n = uc.countInstructions()) {
                assertTrue(uc.exitChecks());
            }
            assertTrue(uc.exitChecks(), "while one such hook is left");
        }
        assertFalse(uc.exitChecks());
        try (Unicorn.Counter n = uc.countInstructions();
                Unicorn.PageSet p = uc.recordDataPages()) {
            assertFalse(uc.exitChecks(), "hooks that never stop the engine leave them off");
        }
        System.setProperty("rewind.exitChecks", "on");
        try {
            RiscvCpu other = new RiscvCpu(ram);
            try {
                assertTrue(other.engine().exitChecks(), "-Drewind.exitChecks=on");
            } finally {
                other.close();
            }
        } finally {
            System.clearProperty("rewind.exitChecks");
        }
    }

    @Test
    void aWatchpointAddedAfterCodeRanWithoutTheChecksStopsRightAfterItsStore() {
        storeLoop();
        assertEquals(
                Exit.MEMORY_FAULT, cpu.run(CODE)); // (the loop translated, without the checks where they can be off)
        cpu.setReg(S1, 0);
        try (Unicorn.Hook h = cpu.engine()
                .hookMemAccess(Unicorn.HOOK_DATA_WRITE, DATA + 0x7f0, DATA + 0x7f0, (t, a, s, v) -> cpu.stop())) {
            assertEquals(Exit.STOPPED, cpu.run(CODE));
            assertEquals(0, reg(S1), "the stop took effect before the store's next instruction");
            assertEquals(DATA, reg(S0));
        }
    }

    @Test
    void aStopFromAnotherThreadEndsALoopOfLoadsAndStores() throws Exception {
        Asm a = new Asm(CODE);
        a.w(lui(S0, (int) (DATA >> 12)));
        a.w(ld(T1, S0, 8)); // 4: loop
        a.w(sd(T1, S0, 16));
        a.w(jal(0, a.here(), CODE + 4));
        load(a);
        Thread t = Later.run(100, () -> cpu.stop());
        assertEquals(Exit.STOPPED, cpu.run(CODE));
        t.join();
    }

    /**
     * Preemption needs no block hook while the checks are off: the stop takes effect only at a
     * block's start. A loop adds 1 to a memory counter (load, add, store) and to s1, 2,000,000
     * times, preempted from another thread again and again and resumed at the PC it stopped at:
     * a stop inside the block (the PC then at the block's start) would run the load-add-store
     * again, and the memory counter would pass s1.
     */
    @Test
    void preemptionWithoutTheChecksNeedsNoBlockHookAndNeverRunsAnInstructionTwice() throws Exception {
        final int n = 2_000_000, t0 = 5; // (n & 0xfff < 0x800: one lui and a positive addi)
        Asm a = new Asm(CODE);
        a.w(lui(S0, (int) (DATA >> 12))); // 0
        a.w(lui(T1, n >> 12)).w(addi(T1, T1, n & 0xfff)); // 4, 8: t1 = n
        long loop = a.here();
        a.w(ld(t0, S0, 0)); // 12: loop
        a.w(addi(t0, t0, 1));
        a.w(sd(t0, S0, 0));
        a.w(addi(S1, S1, 1));
        a.w(addi(T1, T1, -1));
        a.w(bne(T1, 0, a.here(), loop));
        a.w(ECALL);
        load(a);
        cpu.enablePreemption();
        assertEquals(!cpu.engine().exitChecksCanBeOff(), cpu.engine().exitChecks(), "no block hook came");
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread t = new Thread(() -> {
            while (!done.get()) {
                cpu.requestPreempt();
                Thread.onSpinWait();
            }
        });
        t.start();
        int stops = 0;
        try {
            // (on a loaded host the asking thread may not run for a while: run the loop again
            // until it was preempted often enough)
            for (int round = 0; round < 50 && stops < 100; round++) {
                cpu.setReg(S1, 0);
                cpu.memory().write(DATA, new byte[8], 0, 8, Perm.NONE);
                long pc = CODE;
                Exit e;
                while ((e = cpu.run(pc)) == Exit.STOPPED) {
                    stops++;
                    pc = cpu.pc();
                }
                assertEquals(Exit.ECALL, e);
                assertEquals(n, reg(S1));
                assertEquals(n, cpu.memory().load(DATA, 8, Perm.NONE), "after " + stops + " preemptions");
            }
        } finally {
            done.set(true);
            t.join();
        }
        assertTrue(stops > 0, "the loop was preempted");
    }

    /**
     * A CPU made preemptible by stop while the checks were off moves to the block hook at its
     * next run once they come back (here for a data hook), and a request then stops it there.
     */
    @Test
    void whenTheChecksComeBackPreemptionMovesToTheBlockHook() throws Exception {
        assumeTrue(cpu.engine().exitChecksCanBeOff() && cpu.virtualTlb());
        Asm a = new Asm(CODE);
        a.w(jal(0, a.here(), CODE)); // j .
        load(a);
        cpu.enablePreemption();
        assertTrue(cpu.preemptsByStop());
        try (Unicorn.Hook h = cpu.engine().hookMemAccess(Unicorn.HOOK_DATA_WRITE, DATA, DATA, (t, ad, s, v) -> {})) {
            Thread t = Later.run(50, () -> cpu.requestPreempt());
            assertEquals(Exit.STOPPED, cpu.run(CODE));
            t.join();
            assertFalse(cpu.preemptsByStop(), "the block hook took over at the run");
            assertTrue(cpu.preemptible());
            assertEquals(CODE, cpu.pc());
        }
    }

    /**
     * ... and back to stops without the block hook once what brought the checks back has gone
     * (a debugger's breakpoint, deleted): before, the block hook stayed and kept the checks on
     * for the engine's life, and a task that had stopped at a breakpoint computed ~2x slower.
     */
    @Test
    void whenTheChecksGoAgainPreemptionMovesBackToStops() throws Exception {
        assumeTrue(cpu.engine().exitChecksCanBeOff() && cpu.virtualTlb());
        Asm a = new Asm(CODE);
        a.w(jal(0, a.here(), CODE)); // j .
        load(a);
        cpu.enablePreemption();
        try (Unicorn.Hook h = cpu.engine().hookMemAccess(Unicorn.HOOK_DATA_WRITE, DATA, DATA, (t, ad, s, v) -> {})) {
            Thread t = Later.run(50, () -> cpu.requestPreempt());
            assertEquals(Exit.STOPPED, cpu.run(CODE));
            t.join();
            assertFalse(cpu.preemptsByStop());
        }
        Thread t = Later.run(50, () -> cpu.requestPreempt());
        assertEquals(Exit.STOPPED, cpu.run(CODE));
        t.join();
        assertTrue(cpu.preemptsByStop(), "back to stops at the run after the hook went");
        assertTrue(cpu.engine().exitChecksOff(), "and the checks are off again");
        assertTrue(cpu.preemptible());
        assertEquals(CODE, cpu.pc());
    }
}
