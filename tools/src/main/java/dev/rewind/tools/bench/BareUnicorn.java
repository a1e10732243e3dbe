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

    /** Load an ELF's segments and a stack. */
    void load(ElfImage image) {
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

    /** Call {@code fn(arg)} and return the nanoseconds it took; returns to {@code stopAt}. */
    long call(long fn, long arg, long stopAt, long gp) {
        cpu.setReg(RiscvCpu.SP, STACK_TOP);
        cpu.setReg(RiscvCpu.GP, gp);
        cpu.setReg(RiscvCpu.A0, arg);
        cpu.setReg(RiscvCpu.RA, stopAt);
        long t0 = System.nanoTime();
        Exit e = cpu.run(fn, stopAt);
        long t1 = System.nanoTime();
        if (e != Exit.STOPPED || cpu.pc() != stopAt) {
            throw new IllegalStateException("bare run ended with " + e + " at pc 0x" + Long.toHexString(cpu.pc()));
        }
        return t1 - t0;
    }

    /**
     * A loop of {@code n} ecalls at 0x10000 answered by an empty Java hook: the cost of one
     * trap into Java and back. With {@code stopEach}, the hook also stops the engine and the
     * loop restarts it, as the kernel does when a syscall blocks.
     */
    double ecallNanos(int n, boolean stopEach) {
        long code = 0x10000;
        cpu.memory().map("loop", code, 4096, Perm.RX);
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x00000073); // ecall
        b.putInt(0xfff28293); // addi t0, t0, -1
        b.putInt(0xfe029ce3); // bnez t0, -8
        b.putInt(0x00000013); // nop: the stop address
        cpu.memory().write(code, b.array(), 0, 16, Perm.NONE);
        long end = code + 12;
        cpu.setEcallHandler(stopEach ? RiscvCpu::stop : c -> { });
        cpu.setReg(5, n);
        long pc = code;
        long t0 = System.nanoTime();
        while (true) {
            cpu.run(pc, end);
            pc = cpu.pc();
            if (pc == end) {
                break;
            }
        }
        long t1 = System.nanoTime();
        cpu.memory().clear();
        return (double) (t1 - t0) / n;
    }

    @Override
    public void close() {
        cpu.close();
        ram.close();
    }
}
