package dev.rewind.hw.cpu;

import static dev.rewind.hw.cpu.Asm.addi;
import static dev.rewind.hw.cpu.Asm.ld;
import static dev.rewind.hw.cpu.Asm.lui;
import static dev.rewind.hw.cpu.Asm.sd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.PhysicalMemory;
import dev.rewind.hw.unicorn.Unicorn;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Drives the CPU with hand-assembled RISC-V code. */
class RiscvCpuTest extends CpuFixture {
    static final int ECALL = 0x00000073;
    static final int NOP = 0x00000013;

    void code(int... insns) {
        ByteBuffer b = ByteBuffer.allocate(insns.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : insns) {
            b.putInt(i);
        }
        cpu.memory().write(CODE, b.array(), 0, b.capacity(), Perm.NONE);
    }

    @Test
    void ecallStopsWithArgumentsAndResumePc() {
        // a0 = 5; ecall; a0 += 1 (after the kernel's answer); ecall
        code(addi(10, 0, 5), ECALL, addi(10, 10, 1), ECALL, NOP);
        assertEquals(Exit.ECALL, cpu.run(CODE));
        assertEquals(5, cpu.args()[0]);
        assertEquals(CODE + 8, cpu.args()[8], "resume PC is past the ecall");
        cpu.writeArgs(new long[] {40}, 1);
        assertEquals(Exit.ECALL, cpu.run(cpu.args()[8]));
        assertEquals(41, cpu.args()[0]);
        assertEquals(CODE + 16, cpu.args()[8]);
    }

    @Test
    void aReadOfTheTimeCsrTrapsAndIsCompletedWithTheGivenClock() {
        // rdtime a1 (csrrs a1, time, x0); ecall
        code(Asm.csrrs(11, RiscvCpu.CSR_TIME, 0), ECALL, NOP);
        assertEquals(Exit.EXCEPTION, cpu.run(CODE), "the engine has no timer behind the CSR");
        assertEquals(Cause.ILLEGAL_INSN, cpu.exceptionCause());
        assertEquals(CODE, cpu.exceptionPc());
        assertTrue(cpu.completeTrappedInstruction(123_456_789L));
        assertEquals(1_234_567L, cpu.reg(11), "10 MHz: ns / 100");
        assertEquals(CODE + 4, cpu.pc());
        assertEquals(Exit.ECALL, cpu.run(cpu.pc()));
        assertFalse(cpu.completeTrappedInstruction(0), "only after an exception it can complete");
    }

    @Test
    void otherIllegalInstructionsAreNotCompleted() {
        code(Asm.csrrw(11, RiscvCpu.CSR_TIME, 5), NOP); // a write of the read-only CSR
        assertEquals(Exit.EXCEPTION, cpu.run(CODE));
        assertFalse(cpu.completeTrappedInstruction(1000));
        assertEquals(CODE, cpu.exceptionPc());
        code(0, NOP); // the all-zero illegal instruction
        assertEquals(Exit.EXCEPTION, cpu.run(CODE));
        assertFalse(cpu.completeTrappedInstruction(1000));
    }

    @Test
    void onlyReadOnlyAccessesOfTheTimeCsrAreCompleted() {
        int t = RiscvCpu.CSR_TIME;
        assertEquals(11, RiscvCpu.timeReadDestination(Asm.csrrs(11, t, 0)));
        assertEquals(5, RiscvCpu.timeReadDestination(Asm.csrrs(5, t, 0) ^ (1 << 12))); // csrrc
        assertEquals(6, RiscvCpu.timeReadDestination(Asm.csrrs(6, t, 0) | (4 << 12))); // csrrsi, uimm 0
        assertEquals(7, RiscvCpu.timeReadDestination(Asm.csrrs(7, t, 0) | (5 << 12))); // csrrci, uimm 0
        assertEquals(0, RiscvCpu.timeReadDestination(Asm.csrrs(0, t, 0)));
        assertEquals(-1, RiscvCpu.timeReadDestination(Asm.csrrs(11, t, 3)), "sets bits: a write");
        assertEquals(-1, RiscvCpu.timeReadDestination(Asm.csrrw(11, t, 0)), "csrrw writes");
        assertEquals(-1, RiscvCpu.timeReadDestination(Asm.csrrs(11, 0xc00, 0)), "cycle runs in the engine");
        assertEquals(-1, RiscvCpu.timeReadDestination(Asm.csrrs(11, 0xc81, 0)), "timeh is RV32 only");
        assertEquals(-1, RiscvCpu.timeReadDestination(-1), "nothing fetched");
    }

    @Test
    void stagedResultsAreSeenByEveryRegisterAccessInOrder() {
        code(addi(10, 0, 5), ECALL, addi(10, 10, 1), ECALL, NOP);
        assertEquals(Exit.ECALL, cpu.run(CODE));
        long resume = cpu.args()[8];
        cpu.writeArgs(new long[] {40, 41, 42}, 3); // staged: written by the next run...
        assertEquals(41, cpu.reg(RiscvCpu.A0 + 1), "...or first by any register access");
        cpu.writeArgs(new long[] {50}, 1); // a second write of a0 only: a1, a2 keep theirs
        cpu.setReg(RiscvCpu.A0 + 2, 7); // a direct write after the staged ones wins
        long[] regs = new long[33];
        cpu.readAll(regs);
        assertEquals(50, regs[RiscvCpu.A0]);
        assertEquals(41, regs[RiscvCpu.A0 + 1]);
        assertEquals(7, regs[RiscvCpu.A0 + 2]);
        cpu.writeArgs(new long[] {60, 61}, 2);
        assertEquals(Exit.ECALL, cpu.run(resume));
        assertEquals(61, cpu.args()[0], "a0 staged before the run, then a0 += 1");
        assertEquals(61, cpu.args()[1]);
        assertEquals(7, cpu.args()[2]);
    }

    @Test
    void runStopsAtItsUntilAddressOnlyInThatRun() {
        code(NOP, NOP, addi(10, 0, 3), ECALL, NOP);
        assertEquals(Exit.STOPPED, cpu.run(CODE, CODE + 8));
        assertEquals(CODE + 8, cpu.pc());
        assertEquals(Exit.ECALL, cpu.run(CODE), "the next run goes past it");
        assertEquals(3, cpu.args()[0]);
        assertEquals(CODE + 16, cpu.args()[8]);
        // (Unicorn checks exits when it translates: an until inside a block already translated
        // is not seen, before and after exits alike)
        cpu.dropTranslations(CODE, CODE + 16);
        assertEquals(Unicorn.ERR_OK, cpu.engine().start(CODE, CODE + 4), "the engine's own start honours until");
        assertEquals(CODE + 4, cpu.pc());
    }

    @Test
    void illegalInstructionReportsItsOwnPc() {
        code(NOP, NOP, 0x00000000);
        assertEquals(Exit.EXCEPTION, cpu.run(CODE));
        assertEquals(Cause.ILLEGAL_INSN, cpu.exceptionCause());
        assertEquals(CODE + 8, cpu.exceptionPc());
    }

    @Test
    void storeFaultIsLocatedPreciselyInsideTheBlock() {
        // t0 = 0x50000 (unmapped); t1 = DATA; sd to DATA ok; t1 += 8; sd to t0 faults; nop
        code(lui(5, 0x50), lui(6, 0x20), sd(0, 6, 0), addi(6, 6, 8), sd(0, 5, 16), NOP);
        assertEquals(Exit.MEMORY_FAULT, cpu.run(CODE));
        assertEquals(Unicorn.MEM_WRITE_UNMAPPED, cpu.memFaultType());
        assertEquals(0x50010, cpu.memFaultAddress());
        long[] regs = new long[33];
        cpu.readAll(regs);
        long pc = FaultLocator.locate(cpu.memory(), regs[32], regs, cpu.memFaultAddress(), true);
        assertEquals(CODE + 16, pc);
    }

    @Test
    void loadFromReadOnlyCodeIsFineButStoreIsProtected() {
        code(lui(5, 0x10), ld(6, 5, 0), sd(6, 5, 8), NOP);
        assertEquals(Exit.MEMORY_FAULT, cpu.run(CODE));
        assertEquals(Unicorn.MEM_WRITE_PROT, cpu.memFaultType());
        long[] regs = new long[33];
        cpu.readAll(regs);
        assertEquals(CODE + 8, FaultLocator.locate(cpu.memory(), regs[32], regs, CODE + 8, true));
    }

    @Test
    void stopFromAnotherThreadPreemptsALoop() throws Exception {
        code(0x0000006f); // j . (infinite loop)
        Thread t = Later.run(50, () -> cpu.stop());
        assertEquals(Exit.STOPPED, cpu.run(CODE));
        assertEquals(CODE, cpu.pc());
        t.join();
    }

    @Test
    void javaHookExceptionIsRethrownAfterTheRun() {
        code(NOP, NOP, ECALL);
        try (Unicorn.Hook h = cpu.engine().hookCode(CODE + 4, CODE + 4, (addr, size) -> {
            throw new IllegalStateException("boom at " + addr);
        })) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> cpu.run(CODE));
            assertEquals("boom at " + (CODE + 4), e.getMessage());
        }
    }

    @Test
    void addressSpaceChecksPermissionsAndIsolation() {
        AddressSpace m = cpu.memory();
        byte[] b = new byte[16];
        assertFalse(m.write(CODE, b, 0, 16), "code is not writable by a task copy");
        assertFalse(m.read(0x30000, b, 0, 1), "unmapped");
        assertFalse(m.read(DATA + 0xff8, b, 0, 16), "runs off the end of the region");
        try (RiscvCpu other = new RiscvCpu(ram)) {
            assertEquals(
                    -1, other.memory().translate(DATA, 8, Perm.READ), "another space does not see this one's pages");
        }
    }

    /**
     * A working set larger than the engine's TLB (256 entries until a flush resizes it: Unicorn
     * resizes only when the TLB is emptied) no longer misses on every access: after
     * RW_GROW_FILLS (16384) fills since the last flush the fill hook empties the TLB, which
     * the engine then doubles. 100 passes of stores over 512 pages took a fill per store
     * before (51,200); now ~16,400 until the flush and then only the pages again.
     */
    @Test
    void aWorkingSetLargerThanTheTlbGrowsIt() {
        assumeTrue(cpu.virtualTlb(), "needs the virtual TLB");
        cpu.close();
        ram.close();
        ram = new PhysicalMemory(4 << 20);
        cpu = new RiscvCpu(ram);
        cpu.memory().map("code", CODE, 0x1000, Perm.RX);
        cpu.memory().map("big", 0x100000, 0x200000, Perm.RW);
        int add = (2 << 20) | (1 << 15) | (4 << 7) | 0x33; // add x4, x1, x2
        code(
                lui(1, 0x100), // x1 = the region
                lui(5, 1), // x5 = 4096
                lui(6, 0x200), // x6 = 2 MiB
                addi(3, 0, 100), // x3 = passes
                addi(2, 0, 0), // 1: x2 = 0
                add, // 2: x4 = x1 + x2
                sd(3, 4, 0), // one store a page
                (5 << 20) | (2 << 15) | (2 << 7) | 0x33, // add x2, x2, x5
                Asm.bne(2, 6, CODE + 32, CODE + 20), // bne x2, x6, 2b
                addi(3, 3, -1),
                Asm.bne(3, 0, CODE + 40, CODE + 16), // bne x3, x0, 1b
                ECALL);
        long before = cpu.engine().tlbFills();
        assertEquals(Exit.ECALL, cpu.run(CODE));
        long fills = cpu.engine().tlbFills() - before;
        assertEquals(1, cpu.memory().load(0x100000 + 0x1ff000, 8, Perm.NONE), "the last pass stored 1");
        assertTrue(fills > 16384 && fills < 20000, "TLB fills for 100 x 512 pages, one store each: " + fills);
    }
}
