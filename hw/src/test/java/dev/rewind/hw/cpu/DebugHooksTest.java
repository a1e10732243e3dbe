package dev.rewind.hw.cpu;

import static dev.rewind.hw.cpu.Asm.addi;
import static dev.rewind.hw.cpu.Asm.ld;
import static dev.rewind.hw.cpu.Asm.lui;
import static dev.rewind.hw.cpu.Asm.sd;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.unicorn.Unicorn;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The Unicorn 2.0.1 behaviour the debugger (dev.rewind.kernel.debug.KernelDebugger) is built on:
 * where the engine stops when a code or data hook asks it to, and when hooks take effect.
 */
class DebugHooksTest extends CpuFixture {
    static final int ECALL = 0x00000073;

    void code(int... insns) {
        ByteBuffer b = ByteBuffer.allocate(insns.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : insns) {
            b.putInt(i);
        }
        cpu.memory().write(CODE, b.array(), 0, b.capacity(), Perm.NONE);
    }

    void dropTranslations() {
        cpu.engine().removeCachedCode(CODE, CODE + 0x1000);
    }

    @Test
    void codeHookStopsBeforeItsInstructionOnceTranslationsAreDropped() {
        code(addi(5, 0, 1), addi(6, 0, 2), addi(7, 0, 3), addi(8, 0, 4), ECALL);
        assertEquals(Exit.ECALL, cpu.run(CODE));
        Unicorn.Hook h = cpu.engine().hookCode(CODE + 8, CODE + 8, (a, s) -> cpu.stop());
        cpu.setReg(7, 0);
        assertEquals(Exit.ECALL, cpu.run(CODE), "the cached translation has no hook");
        dropTranslations();
        cpu.setReg(7, 0);
        assertEquals(Exit.STOPPED, cpu.run(CODE));
        assertEquals(CODE + 8, cpu.pc(), "stopped at the hooked instruction");
        assertEquals(0, cpu.reg(7), "which did not run");
        assertEquals(2, cpu.reg(6));
        h.close();
        dropTranslations();
    }

    @Test
    void aPreemptionAtAChainedBlockStartIsExactWhileACodeHookExists() {
        // x5 = 1; x6 = 2 (hooked); j +8; (x9 = 9, skipped); x7 += 1; ecall
        code(addi(5, 0, 1), addi(6, 0, 2), 0x0080006f, addi(9, 0, 9), addi(7, 7, 1), ECALL);
        cpu.enablePreemption();
        boolean[] preempt = new boolean[1];
        Unicorn.Hook h = cpu.engine().hookCode(CODE + 4, CODE + 4, (a, s) -> {
            if (preempt[0]) {
                cpu.requestPreempt(); // the block hook stops the engine at the next block
            }
        });
        dropTranslations();
        assertEquals(Exit.ECALL, cpu.run(CODE), "first run: the jump to the second block gets chained");
        assertEquals(1, cpu.reg(7));
        cpu.setReg(7, 0);
        preempt[0] = true;
        cpu.setReg(6, 0);
        assertEquals(Exit.STOPPED, cpu.run(CODE));
        if (RiscvCpu.STOP_IS_PRECISE) {
            // 2.1: preemption is uc_emu_stop, which from a code hook ends the run before the hooked instruction
            assertEquals(CODE + 4, cpu.pc(), "stopped before the hooked instruction");
            assertEquals(0, cpu.reg(6), "which did not run");
            preempt[0] = false;
            assertEquals(Exit.ECALL, cpu.run(cpu.pc()));
            assertEquals(1, cpu.reg(7), "resuming runs the rest once");
            h.close();
            dropTranslations();
            return;
        }
        // Unicorn 2.0.1 keeps the PC of the last code hook here (CODE + 4) when any code hook
        // exists: resuming there would run x6 = 2 and the jump again
        assertEquals(CODE + 16, cpu.pc(), "stopped at the start of the second block");
        assertEquals(0, cpu.reg(7), "which did not run");
        preempt[0] = false;
        assertEquals(Exit.ECALL, cpu.run(cpu.pc()));
        assertEquals(1, cpu.reg(7));
        h.close();
        dropTranslations();
    }

    @Test
    void aDeletedCodeHookIsStillCalledFromOldTranslations() {
        code(addi(5, 0, 1), addi(6, 0, 2), addi(7, 0, 3), ECALL);
        int[] hits = new int[1];
        Unicorn.Hook h = cpu.engine().hookCode(CODE + 4, CODE + 4, (a, s) -> hits[0]++);
        dropTranslations();
        cpu.run(CODE);
        assertEquals(1, hits[0]);
        h.close();
        cpu.run(CODE);
        assertEquals(2, hits[0], "Unicorn 2.0.1 calls it again: keep callbacks alive, guard them, drop translations");
        dropTranslations();
        cpu.run(CODE);
        assertEquals(2, hits[0]);
    }

    @Test
    void singleStepWithAnEveryInstructionHook() {
        code(addi(5, 0, 1), addi(6, 0, 2), addi(7, 0, 3), ECALL, addi(8, 0, 4), ECALL);
        int[] n = new int[1];
        Unicorn.Hook st = cpu.engine().hookCode(1, 0, (a, s) -> {
            if (n[0]++ >= 1) {
                cpu.stop();
            }
        });
        dropTranslations();
        assertEquals(Exit.STOPPED, cpu.run(CODE + 4));
        assertEquals(CODE + 8, cpu.pc());
        assertEquals(2, cpu.reg(6));
        assertEquals(0, cpu.reg(7));
        n[0] = 0;
        assertEquals(Exit.ECALL, cpu.run(CODE + 12), "an ecall traps as usual");
        assertEquals(CODE + 16, cpu.args()[8]);
        assertEquals(Exit.STOPPED, cpu.run(CODE + 16), "and the next instruction is where the step ends");
        assertEquals(CODE + 16, cpu.pc());
        st.close();
        dropTranslations();
    }

    @Test
    void dataHookStopEndsTheRunAfterAStoreWithThePcAtTheBlockStart() {
        // x5 += 1; x8 = DATA; sd x5, 0(x8); x9 = 4; ecall
        code(addi(5, 5, 1), lui(8, 0x20), sd(5, 8, 0), addi(9, 0, 4), ECALL);
        long[] regs = new long[33];
        long[] old = new long[1];
        Unicorn.Hook w = cpu.engine().hookMemAccess(Unicorn.HOOK_DATA_WRITE, DATA, DATA + 7, (type, a, size, v) -> {
            assertEquals(Unicorn.ACCESS_WRITE, type);
            cpu.readAll(regs);
            old[0] = cpu.memory().load(DATA, 8, Perm.NONE);
            cpu.stop();
        });
        cpu.memory().write(DATA, new byte[] {9, 0, 0, 0, 0, 0, 0, 0}, 0, 8, Perm.NONE);
        assertEquals(Exit.STOPPED, cpu.run(CODE));
        assertEquals(9, old[0], "the hook runs before the store");
        assertEquals(1, cpu.memory().load(DATA, 8, Perm.NONE), "the store has happened when the run ends");
        assertEquals(0, cpu.reg(9), "nothing after it ran");
        if (Unicorn.versionNumber() >= 0x02010000) {
            // 2.1 syncs the PC before a data hook: the store itself, already done
            assertEquals(CODE + 8, cpu.pc(), "2.1: the PC is the store's");
            assertEquals(CODE + 8, regs[32]);
        } else {
            assertEquals(CODE, cpu.pc(), "but the PC is the block start: resuming there would repeat x5 += 1");
            assertEquals(CODE, regs[32]);
        }
        assertEquals(CODE + 8, FaultLocator.locate(cpu.memory(), regs[32], regs, DATA, true), "the store is found");
        w.close();
    }

    @Test
    void dataHookStopEndsTheRunBeforeALoadWritesItsRegister() {
        // x5 = 7; x8 = DATA; x6 = 1; ld x12, 0(x8); x13 = x12 + 1; ecall
        code(addi(5, 0, 7), lui(8, 0x20), addi(6, 0, 1), ld(12, 8, 0), addi(13, 12, 1), ECALL);
        cpu.memory().write(DATA, new byte[] {42, 0, 0, 0, 0, 0, 0, 0}, 0, 8, Perm.NONE);
        long[] regs = new long[33];
        Unicorn.Hook w = cpu.engine().hookMemAccess(Unicorn.HOOK_DATA_READ, DATA, DATA + 7, (type, a, size, v) -> {
            cpu.readAll(regs);
            cpu.stop();
        });
        assertEquals(Exit.STOPPED, cpu.run(CODE));
        assertEquals(1, cpu.reg(6));
        assertEquals(0, cpu.reg(12), "the load's result is not written");
        assertEquals(CODE + 12, FaultLocator.locate(cpu.memory(), regs[32], regs, DATA, false));
        w.close();
        assertEquals(Exit.ECALL, cpu.run(CODE + 12), "resuming at the load completes it");
        assertEquals(43, cpu.reg(13));
    }

    @Test
    void dataHooksTakeEffectWithoutDroppingTranslations() {
        code(addi(5, 0, 1), lui(8, 0x20), sd(5, 8, 0), ECALL);
        assertEquals(Exit.ECALL, cpu.run(CODE));
        int[] hits = new int[1];
        Unicorn.Hook w = cpu.engine().hookMemAccess(Unicorn.HOOK_DATA_WRITE, DATA, DATA + 7, (t, a, s, v) -> hits[0]++);
        cpu.run(CODE);
        assertEquals(1, hits[0]);
        w.close();
        cpu.run(CODE);
        assertEquals(1, hits[0]);
    }
}
