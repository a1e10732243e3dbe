package dev.rewind.hw.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.PhysicalMemory;
import dev.rewind.hw.unicorn.Unicorn;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DebugHooksTest {
    static final long CODE = 0x10000;
    static final long DATA = 0x20000;
    PhysicalMemory ram;
    RiscvCpu cpu;

    @BeforeEach
    void setUp() {
        ram = new PhysicalMemory(1 << 20);
        cpu = new RiscvCpu(ram);
        cpu.memory().map("code", CODE, 0x1000, Perm.RX);
        cpu.memory().map("data", DATA, 0x1000, Perm.RW);
    }

    @AfterEach
    void tearDown() {
        cpu.close();
        ram.close();
    }

    void code(int... insns) {
        ByteBuffer b = ByteBuffer.allocate(insns.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : insns) {
            b.putInt(i);
        }
        cpu.memory().write(CODE, b.array(), 0, b.capacity(), Perm.NONE);
    }

    static int addi(int rd, int rs1, int imm) {
        return (imm << 20) | (rs1 << 15) | (rd << 7) | 0x13;
    }

    static int lui(int rd, int imm20) {
        return (imm20 << 12) | (rd << 7) | 0x37;
    }

    static int sd(int rs2, int rs1, int imm) {
        return ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (3 << 12) | ((imm & 31) << 7) | 0x23;
    }

    @Test
    void experiment() {
        // x5 = 1; x6 = 2; x7 = 3; x8 = DATA; sd x5, 0(x8); x9 = 4; x10 = 5; ebreak... ecall
        code(addi(5, 0, 1), addi(6, 0, 2), addi(7, 0, 3), lui(8, 0x20), sd(5, 8, 0), addi(9, 0, 4), addi(10, 0, 5),
                addi(11, 0, 6), 0x00000073);
        Exit e = cpu.run(CODE);
        System.out.println("plain: " + e);
        // code hook at CODE+8 added after translation, no flush
        Unicorn.Hook h = cpu.engine().hookCode(CODE + 8, CODE + 8, (a, s) -> cpu.stop());
        cpu.setReg(7, 0);
        e = cpu.run(CODE);
        System.out.println("hook no flush: " + e + " pc=" + Long.toHexString(cpu.pc()) + " x7=" + cpu.reg(7));
        cpu.engine().flushTranslations();
        cpu.setReg(7, 0);
        e = cpu.run(CODE);
        System.out.println("hook flushed: " + e + " pc=" + Long.toHexString(cpu.pc()) + " x7=" + cpu.reg(7));
        h.close();
        cpu.engine().flushTranslations();
        // watch
        long[] where = new long[2];
        Unicorn.Hook w = cpu.engine().hookMemAccess(Unicorn.HOOK_DATA_WRITE, DATA, DATA + 7, (t, a, s, v) -> {
            where[0] = cpu.pc();
            where[1] = cpu.reg(5);
            cpu.stop();
        });
        for (int i = 5; i < 12; i++) cpu.setReg(i, 0);
        e = cpu.run(CODE);
        System.out.println("watch: " + e + " pc=" + Long.toHexString(cpu.pc()) + " x9=" + cpu.reg(9) + " x11=" + cpu.reg(11)
                + " pcInHook=" + Long.toHexString(where[0]) + " x5InHook=" + where[1]);
        System.out.println("mem after watch: " + cpu.memory().load(DATA, 8, Perm.NONE));
        w.close();
        // non-idempotent: x5 += 1; sd x5; x9 = 4 ...
        code(addi(5, 5, 1), addi(6, 0, 2), addi(7, 0, 3), lui(8, 0x20), sd(5, 8, 0), addi(9, 0, 4), addi(10, 0, 5),
                addi(11, 0, 6), 0x00000073);
        cpu.engine().flushTranslations();
        for (int i = 5; i < 12; i++) cpu.setReg(i, 0);
        cpu.memory().write(DATA, new byte[8], 0, 8, Perm.NONE);
        w = cpu.engine().hookMemAccess(Unicorn.HOOK_DATA_WRITE, DATA, DATA + 7, (t, a, s, v) -> {
            where[0] = cpu.pc();
            where[1] = v;
            cpu.stop();
        });
        e = cpu.run(CODE);
        System.out.println("watch2: " + e + " pc=" + Long.toHexString(cpu.pc()) + " x5=" + cpu.reg(5) + " x9=" + cpu.reg(9)
                + " mem=" + cpu.memory().load(DATA, 8, Perm.NONE) + " v=" + where[1]);
        w.close();
        cpu.engine().flushTranslations();
        e = cpu.run(cpu.pc());
        System.out.println("resumed: " + e + " x5=" + cpu.reg(5) + " mem=" + cpu.memory().load(DATA, 8, Perm.NONE));
        // load watch: x12 = ld 0(x8); x13 = x12 + 1; x9 = 4; c.sd x9? ; ecall
        int ld12 = (0 << 20) | (8 << 15) | (3 << 12) | (12 << 7) | 0x03;
        code(addi(5, 0, 7), lui(8, 0x20), addi(6, 0, 1), ld12, addi(13, 12, 1), addi(9, 0, 4), 0x00000073);
        cpu.engine().flushTranslations();
        for (int i = 5; i < 14; i++) cpu.setReg(i, 0);
        long[] regsInHook = new long[33];
        w = cpu.engine().hookMemAccess(Unicorn.HOOK_DATA_READ, DATA, DATA + 7, (t, a, s, v) -> {
            cpu.readAll(regsInHook);
            cpu.stop();
        });
        e = cpu.run(CODE);
        System.out.println("loadwatch: " + e + " pc=" + Long.toHexString(cpu.pc()) + " x12=" + cpu.reg(12) + " x13=" + cpu.reg(13)
            + " x6=" + cpu.reg(6) + " pcInHook=" + Long.toHexString(regsInHook[32]) + " x12InHook=" + regsInHook[12]
            + " located=" + Long.toHexString(FaultLocator.locate(cpu.memory(), regsInHook[32], regsInHook, DATA, false)));
        w.close();
        cpu.engine().flushTranslations();
        // single step with counter
        int[] n = new int[1];
        Unicorn.Hook st = cpu.engine().hookCode(1, 0, (a, s) -> {
            if (n[0]++ >= 1) {
                cpu.stop();
            }
        });
        cpu.engine().flushTranslations();
        for (int i = 5; i < 12; i++) cpu.setReg(i, 0);
        e = cpu.run(CODE + 4);
        System.out.println("step: " + e + " pc=" + Long.toHexString(cpu.pc()) + " x6=" + cpu.reg(6) + " x7=" + cpu.reg(7));
        n[0] = 0;
        e = cpu.run(CODE + 32);
        System.out.println("step ecall: " + e + " pc=" + Long.toHexString(cpu.pc()));
        st.close();
        cpu.engine().flushTranslations();
        e = cpu.run(CODE);
        System.out.println("after: " + e + " pc=" + Long.toHexString(cpu.pc()));
        assertEquals(1, 1);
    }
}
