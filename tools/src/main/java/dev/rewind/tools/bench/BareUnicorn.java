package dev.rewind.tools.bench;

import dev.rewind.hw.cpu.Exit;
import dev.rewind.hw.cpu.RiscvCpu;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.PhysicalMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The baseline: code run on a bare Unicorn engine with no kernel, no watchdog, no syscalls.
 * Used to show what the kernel costs on top of the emulator.
 */
final class BareUnicorn implements AutoCloseable {
    static final long STACK_TOP = 0x7ffe0000L;
    private final PhysicalMemory ram = new PhysicalMemory(64L << 20);
    private final RiscvCpu cpu = new RiscvCpu(ram);

    /**
     * Where a called function returns to: an {@code ecall}, so that a bare run ends the way a
     * task's does (a trap, with no {@code until} address: Unicorn treats a run with a real
     * {@code until} differently, and the kernel never uses one).
     */
    static final long RETURN_PAD = 0x1000;

    /** Load an ELF's segments, a stack and the return pad. */
    void load(ElfImage image) {
        cpu.memory().map("return", RETURN_PAD, 4096, Perm.RX);
        byte[] ecall = {0x73, 0, 0, 0};
        cpu.memory().write(RETURN_PAD, ecall, 0, ecall.length, Perm.NONE);
        for (ElfImage.Segment s : image.segments()) {
            long start = s.vaddr() & -4096L;
            long end = (s.vaddr() + s.memSize() + 4095) & -4096L;
            int perms = (s.read() ? Perm.READ : 0) | (s.write() ? Perm.WRITE : 0) | (s.exec() ? Perm.EXEC : 0);
            cpu.memory().map("seg", start, end - start, perms);
            byte[] data = image.segmentBytes(s);
            cpu.memory().write(s.vaddr(), data, 0, data.length, Perm.NONE);
        }
        cpu.memory().map("stack", STACK_TOP - (64 << 10), 64 << 10, Perm.RW);
    }

    /** Call {@code fn(arg)} and return the nanoseconds it took; it returns to {@link #RETURN_PAD}. */
    long call(long fn, long arg, long gp) {
        cpu.setReg(RiscvCpu.SP, STACK_TOP);
        cpu.setReg(RiscvCpu.GP, gp);
        cpu.setReg(RiscvCpu.A0, arg);
        cpu.setReg(RiscvCpu.RA, RETURN_PAD);
        long t0 = System.nanoTime();
        Exit e = cpu.run(fn);
        long t1 = System.nanoTime();
        if (e != Exit.ECALL || cpu.args()[8] != RETURN_PAD + 4) {
            throw new IllegalStateException("bare run ended with " + e + " at pc 0x" + Long.toHexString(cpu.pc())
                    + (e == Exit.MEMORY_FAULT
                            ? String.format(" (access type %d at 0x%x)", cpu.memFaultType(), cpu.memFaultAddress())
                            : ""));
        }
        return t1 - t0;
    }

    private static byte[] ecallLoop() {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x00000073); // ecall
        b.putInt(0xffdff06f); // j -4
        return b.array();
    }

    /**
     * One engine trapping on ecall {@code n} times, resumed by Java after each trap with no
     * kernel work: the floor under a syscall that is answered at once.
     */
    double ecallNanos(int n) {
        long code = 0x10000;
        cpu.memory().map("loop", code, 4096, Perm.RX);
        byte[] loop = ecallLoop();
        cpu.memory().write(code, loop, 0, loop.length, Perm.NONE);
        long pc = code;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (cpu.run(pc) != Exit.ECALL) {
                throw new IllegalStateException("expected an ecall");
            }
            pc = cpu.args()[8];
        }
        long t1 = System.nanoTime();
        cpu.memory().clear();
        return (double) (t1 - t0) / n;
    }

    /**
     * Two engines taking turns, each running until its next ecall: the floor under a null IPC
     * round trip (caller traps, server runs and traps, caller resumes) with no kernel work.
     */
    static double pingPongNanos(int n) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu a = new RiscvCpu(ram);
                RiscvCpu b = new RiscvCpu(ram)) {
            byte[] loop = ecallLoop();
            for (RiscvCpu c : new RiscvCpu[] {a, b}) {
                c.memory().map("loop", 0x10000, 4096, Perm.RX);
                c.memory().write(0x10000, loop, 0, loop.length, Perm.NONE);
            }
            long pa = 0x10000;
            long pb = 0x10000;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                a.run(pa);
                pa = a.args()[8];
                b.run(pb);
                pb = b.args()[8];
            }
            return (double) (System.nanoTime() - t0) / n;
        }
    }

    @Override
    public void close() {
        cpu.close();
        ram.close();
    }
}
