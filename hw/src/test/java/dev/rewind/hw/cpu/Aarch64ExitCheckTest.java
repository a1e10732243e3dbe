package dev.rewind.hw.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rewind.hw.unicorn.Unicorn;
import org.junit.jupiter.api.Test;

/**
 * RiscvExitCheckTest's cases on AArch64 (encodings as in Aarch64CpuTest): with the per-access
 * exit check off (Unicorn.ExitCheck) or on, a refused load or store stops the run at that instruction
 * with nothing after it run, a watchpoint added after code ran stops right after its store, a
 * stop from another thread ends a loop. The MSR hook every Aarch64Cpu installs keeps the checks
 * on while the executable memory holds an MSR it would refuse
 * (aRefusedMsrThatDoesNotEndItsBlockIsStillReportedAtTheMsr says why), and only then.
 */
class Aarch64ExitCheckTest extends Aarch64Fixture {

    long[] regs() {
        long[] r = new long[Arch.REGISTERS];
        cpu.readAll(r);
        return r;
    }

    /**
     * x0 = DATA; a loop whose access {@code access} (at x0 + 0x7f0) is followed in its block by
     * x9 = 77 and x0 += 0x400: the access leaves DATA at the fourth round. Returns its pc.
     */
    long accessLoop(int access) {
        code(
                0xd2a00040, // movz x0, #2, lsl #16
                access, // 4: loop
                0xd28009a9, // movz x9, #77
                0x91100000, // add x0, x0, #0x400
                0x17fffffd); // b loop
        return CODE + 4;
    }

    void assertFaultAt(long pc, int type) {
        assertEquals(Exit.MEMORY_FAULT, cpu.run(CODE));
        assertEquals(type, cpu.memFaultType());
        assertEquals(DATA + 0x1000 + 0x3f0, cpu.memFaultAddress());
        long[] r = regs();
        assertEquals(DATA + 0xc00, r[0], "the loop's step after the access did not run");
        assertEquals(
                pc,
                cpu.locate(r[Arch.PC], r, cpu.memFaultAddress(), type != MemFault.READ_UNMAPPED)
                        .pc());
        if (cpu.virtualTlb()) {
            assertEquals(pc, r[Arch.PC], "the fill hook's refusal leaves the block at the access");
        }
    }

    @Test
    void withTheMmuAFaultStopsAtTheLoadOrStore() {
        assumeTrue(cpu.virtualTlb());
        assertFaultAt(accessLoop(0x391fc01f /* strb wzr, [x0, #0x7f0] */), MemFault.WRITE_UNMAPPED);
        assertFaultAt(accessLoop(0xf943f802 /* ldr x2, [x0, #0x7f0] */), MemFault.READ_UNMAPPED);
    }

    @Test
    void theChecksAreOnExactlyWhileTheCodeHoldsAnMsrTheHookRefuses() {
        assumeTrue(cpu.virtualTlb());
        Unicorn uc = cpu.engine();
        assertTrue(
                uc.exitChecksCanBeOff()
                        || !Unicorn.version().startsWith("2.1.4")
                        || "on".equals(System.getProperty("rewind.exitChecks")),
                Unicorn.version());
        assumeTrue(uc.exitChecksCanBeOff());
        code(0xd51b4200, SVC); // msr nzcv, x0 (EL0's: allowed)
        assertEquals(Exit.ECALL, cpu.run(CODE));
        assertFalse(uc.exitChecks(), "no MSR the hook refuses: it cannot stop the engine mid-block");
        code(0xd2800001, 0xd5181021, SVC); // msr actlr_el1, x1 (refused)
        assertTrue(uc.exitChecks(), "the code now holds an MSR the hook refuses");
        code(0xd2800001, 0xd503201f, SVC); // the MSR gone
        assertFalse(uc.exitChecks());
    }

    @Test
    void withTheStoreHookTrackerTheMmuIsOffAndSoAreTheChecksNot() {
        cpu.enableWriteTracking(Cpu.TrackerKind.STORE_HOOK, 64, 0);
        assertFalse(cpu.virtualTlb());
        assertTrue(cpu.engine().exitChecks(), "no MMU: the checks stay on");
        assertFaultAt(accessLoop(0x391fc01f /* strb wzr, [x0, #0x7f0] */), MemFault.WRITE_UNMAPPED);
    }

    @Test
    void aWatchpointAddedAfterCodeRanWithoutTheChecksStopsRightAfterItsStore() {
        accessLoop(0x391fc01f); // strb wzr, [x0, #0x7f0]
        assertEquals(Exit.MEMORY_FAULT, cpu.run(CODE)); // (the loop translated, without the checks)
        cpu.setReg(9, 0);
        try (CpuHook h = cpu.hookData(DataHook.WRITES, DATA + 0x7f0, DATA + 0x7f0, (t, a, s, v) -> cpu.stop())) {
            assertEquals(Exit.STOPPED, cpu.run(CODE));
            assertEquals(0, cpu.reg(9), "the stop took effect before the store's next instruction");
            assertEquals(DATA, cpu.reg(0));
        }
    }

    @Test
    void aStopFromAnotherThreadEndsALoopOfLoadsAndStores() throws Exception {
        code(
                0xd2a00040, // movz x0, #2, lsl #16
                0xf9400401, // 4: ldr x1, [x0, #8]
                0xf9000801, // str x1, [x0, #16]
                0x17fffffe); // b 4
        Thread t = Later.run(100, () -> cpu.stop());
        assertEquals(Exit.STOPPED, cpu.run(CODE));
        t.join();
    }

    /**
     * A refused write to a register whose write does not end the block (ACTLR_EL1, constant in
     * the core) lets the block run on; the per-access check after the store stops it there, so
     * the run is still the refusal, reported at the MSR, and the add after the store did not run.
     * (The store itself did: that was so before the checks could be off.) With the checks off,
     * as the MSR hook not counted as a hook that may stop would allow, the block ran to its svc:
     * ECALL, x2 = 1, the refusal lost.
     */
    @Test
    void aRefusedMsrThatDoesNotEndItsBlockIsStillReportedAtTheMsr() {
        code(
                0xd2a00043, // movz x3, #2, lsl #16
                0xd28000e4, // movz x4, #7
                0xd5181021, // msr actlr_el1, x1 (refused)
                0xf9000064, // str x4, [x3]
                0x91000442, // add x2, x2, #1
                SVC);
        assertEquals(Exit.EXCEPTION, cpu.run(CODE));
        assertEquals(Cause.ILLEGAL_INSN, cpu.exceptionCause());
        assertEquals(CODE + 8, cpu.exceptionPc());
        assertEquals("S3_0_C1_C0_1", cpu.refusedSystemRegister());
        assertEquals(0, cpu.reg(2), "the add after the store did not run");
    }

    /**
     * The same MSR with no memory access after it before an svc: no exit check ran between
     * them, the svc's exception came first, and the refusal was lost (the run ended as a
     * syscall, the add done). The refusal stays the cause, reported at the MSR.
     */
    @Test
    void aRefusedMsrFollowedOnlyByArithmeticAndAnSvcIsStillTheCause() {
        code(
                0xd2800001, // movz x1, #0
                0xd5181021, // msr actlr_el1, x1 (refused)
                0xd503201f, // nop
                0x91000442, // add x2, x2, #1
                SVC);
        assertEquals(Exit.EXCEPTION, cpu.run(CODE));
        assertEquals(Cause.ILLEGAL_INSN, cpu.exceptionCause());
        assertEquals(CODE + 4, cpu.exceptionPc(), "at the MSR");
        assertEquals("S3_0_C1_C0_1", cpu.refusedSystemRegister());
    }
}
