package dev.rewind.tools.bench;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.Exit;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.PhysicalMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The baseline: code run on a bare Unicorn engine of one architecture with no kernel, no
 * watchdog, no syscalls. Used to show what the kernel costs on top of the emulator.
 */
final class BareUnicorn implements AutoCloseable {
    static final long STACK_TOP = 0x7ffe0000L;
    private final Arch arch;
    private final PhysicalMemory ram = new PhysicalMemory(64L << 20);
    private final Cpu cpu;

    BareUnicorn(Arch arch) {
        this.arch = arch;
        this.cpu = arch.newCpu(ram);
    }

    /** The trap into the kernel: RISC-V {@code ecall}, AArch64 {@code svc #0}. */
    private static int trap(Arch arch) {
        return switch (arch) {
            case RISCV64 -> 0x00000073;
            case AARCH64 -> 0xd4000001;
        };
    }

    /** A jump back by one instruction: RISC-V {@code j -4}, AArch64 {@code b -4}. */
    private static int back(Arch arch) {
        return switch (arch) {
            case RISCV64 -> 0xffdff06f;
            case AARCH64 -> 0x17ffffff;
        };
    }

    /** The register a call returns through: RISC-V ra (x1), AArch64 lr (x30). */
    private static int link(Arch arch) {
        return switch (arch) {
            case RISCV64 -> 1;
            case AARCH64 -> 30;
        };
    }

    /**
     * Where a called function returns to: a trap ({@code ecall}, {@code svc}), so that a bare run ends the way a
     * task's does (a trap, with no {@code until} address: Unicorn treats a run with a real
     * {@code until} differently, and the kernel never uses one).
     */
    static final long RETURN_PAD = 0x1000;

    /** Load an ELF's segments, a stack and the return pad. */
    void load(ElfImage image) {
        cpu.memory().map("return", RETURN_PAD, 4096, Perm.RX);
        byte[] pad = ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(trap(arch))
                .array();
        cpu.memory().write(RETURN_PAD, pad, 0, pad.length, Perm.NONE);
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

    /**
     * Call {@code fn(arg)} and return the nanoseconds it took; it returns to {@link #RETURN_PAD}.
     * {@code gp}: RISC-V's global pointer (unused on AArch64).
     */
    long call(long fn, long arg, long gp) {
        cpu.setReg(arch.sp(), STACK_TOP);
        if (arch == Arch.RISCV64) {
            cpu.setReg(3, gp);
        }
        cpu.setReg(arch.result(0), arg);
        cpu.setReg(link(arch), RETURN_PAD);
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

    /** A trap, then a jump back to it. */
    private static byte[] trapLoop(Arch arch) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(trap(arch));
        b.putInt(back(arch));
        return b.array();
    }

    /**
     * One engine trapping ({@code ecall}, {@code svc}) {@code n} times, resumed by Java after each trap with no
     * kernel work: the floor under a syscall that is answered at once.
     */
    double ecallNanos(int n) {
        long code = 0x10000;
        cpu.memory().map("loop", code, 4096, Perm.RX);
        byte[] loop = trapLoop(arch);
        cpu.memory().write(code, loop, 0, loop.length, Perm.NONE);
        long pc = code;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (cpu.run(pc) != Exit.ECALL) {
                throw new IllegalStateException("expected a trap");
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
    static double pingPongNanos(Arch arch, int n) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                Cpu a = arch.newCpu(ram);
                Cpu b = arch.newCpu(ram)) {
            byte[] loop = trapLoop(arch);
            for (Cpu c : new Cpu[] {a, b}) {
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
