package dev.rewind.hw.cpu;

import dev.rewind.hw.mem.PhysicalMemory;
import java.util.Locale;

/**
 * An instruction-set architecture the machine can run, and what the kernel must know of it
 * without naming a CPU class: the ELF machine that selects it, where the stack pointer, the
 * syscall arguments and results live in the {@link Cpu#readAll} layout, the registers a serve
 * loop keeps across requests, and the registers' names for traces.
 *
 * <p>{@link Cpu#readAll} has 33 slots on both: the 32 general registers (RISC-V x0..x31, where
 * x0 reads 0; AArch64 x0..x30 and, in slot 31, sp) and, in slot 32, the PC.
 *
 * <p>Syscalls see eight argument slots and eight result slots ({@link Cpu#args()},
 * {@link Cpu#writeArgs}): RISC-V a0..a7 both ways (a7 = the number); AArch64 x0..x6 and, in
 * slot 7, x8 (the number) in, x0..x7 out (guest/sdk/README.md, "ABI summary").
 */
public enum Arch {
    RISCV64("riscv64", 243, 2, 10, new int[] {3, 4}, new int[] {2, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27}),
    AARCH64("aarch64", 183, 31, 0, new int[0], new int[] {31, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29});

    /** The slot of the PC in {@link Cpu#readAll}'s layout. */
    public static final int PC = 32;

    /** Slots in {@link Cpu#readAll}'s layout. */
    public static final int REGISTERS = 33;

    private static final String[] RISCV_NAMES = {
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
        "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6", "pc"
    };

    private final String id;
    private final int elfMachine;
    private final int sp;
    private final int firstArg;
    private final int[] invariant;
    private final int[] kept;

    Arch(String id, int elfMachine, int sp, int firstArg, int[] invariant, int[] kept) {
        this.id = id;
        this.elfMachine = elfMachine;
        this.sp = sp;
        this.firstArg = firstArg;
        this.invariant = invariant;
        this.kept = kept;
    }

    /** The name used in manifests, build directories and messages: "riscv64" or "aarch64". */
    public String id() {
        return id;
    }

    /** The ELF header's e_machine for this architecture (EM_RISCV 243, EM_AARCH64 183). */
    public int elfMachine() {
        return elfMachine;
    }

    /** The stack pointer's slot. */
    public int sp() {
        return sp;
    }

    /** The link register's slot, which a call sets to its return address: RISC-V ra (x1), AArch64 x30. */
    public int link() {
        return this == RISCV64 ? 1 : 30;
    }

    /**
     * The register slot of syscall result {@code n} (0..7): where the guest finds it after the
     * trap, and where a pending result lies in a register dump. RISC-V a0+n, AArch64 x0+n.
     */
    public int result(int n) {
        return firstArg + n;
    }

    /** The register slot of the system call's number: RISC-V a7, AArch64 x8. */
    public int syscallNumber() {
        return this == RISCV64 ? 17 : 8;
    }

    /**
     * Registers that a correct program never changes once it runs (RISC-V gp and tp; none on
     * AArch64): txipc repairs them between requests.
     */
    public int[] invariantRegisters() {
        return invariant.clone();
    }

    /** The stack pointer and the callee-saved registers, which a serve loop keeps across requests. */
    public int[] keptRegisters() {
        return kept.clone();
    }

    /** The conventional name of slot {@code i} of the readAll layout ("a0", "x19", "sp", "pc"). */
    public String registerName(int i) {
        if (i == PC) {
            return "pc";
        }
        if (this == RISCV64) {
            return RISCV_NAMES[i];
        }
        return i == 31 ? "sp" : i == 30 ? "lr" : i == 29 ? "fp" : "x" + i;
    }

    /** True where slot 0 is a register that always reads 0 and ignores writes (RISC-V x0). */
    public boolean hasZeroRegister() {
        return this == RISCV64;
    }

    /**
     * The length of the instruction whose first 16 bits (little endian) are {@code low16}:
     * AArch64 always 4; RISC-V 4, or 2 for a compressed one (low two bits not 11).
     */
    public int instructionLength(int low16) {
        return this == AARCH64 || (low16 & 3) == 3 ? 4 : 2;
    }

    /** The bytes a trapping instruction takes (AArch64: always 4; RISC-V: 2 or 4, see FaultLocator). */
    public int maxInstructionBytes() {
        return 4;
    }

    /**
     * The registers a fault may corrupt, as readAll slots: every general register but a
     * hard-wired zero (RISC-V x1..x31; AArch64 x0..x30 and sp, slot 31).
     */
    public int[] corruptibleRegisters() {
        int[] r = new int[this == RISCV64 ? 31 : 32];
        for (int i = 0; i < r.length; i++) {
            r[i] = this == RISCV64 ? i + 1 : i;
        }
        return r;
    }

    /**
     * The FP/SIMD data registers a fault may corrupt when the task's unit is on ({@link
     * Cpu#extendedLength} above 0): RISC-V f0..f31, AArch64 v0..v31. Their control and status
     * registers (fcsr; fpsr, fpcr) are left out, as pc is among the general ones.
     */
    public int fpRegisters() {
        return 32;
    }

    /** The bits of one of {@link #fpRegisters}: RISC-V 64 (F and D), AArch64 128. */
    public int fpRegisterBits() {
        return this == AARCH64 ? 128 : 64;
    }

    /** FP register {@code i}'s name, for reports: "f5" or "v5". */
    public String fpRegisterName(int i) {
        return (this == AARCH64 ? "v" : "f") + i;
    }

    /**
     * The slot of {@link Cpu#readExtended}'s layout that holds {@code bit} of FP register
     * {@code i} (at bit {@code bit % 64} of that long): RISC-V f{@code i} is slot {@code i};
     * AArch64 q{@code i} is slots 2i (bits 63..0) and 2i+1 (bits 127..64).
     */
    public int fpExtendedSlot(int i, int bit) {
        return this == AARCH64 ? 2 * i + bit / 64 : i;
    }

    /** Slot {@code i}'s name by number, for reports: "x5" (AArch64 slot 31: "sp"). */
    public String numberedName(int i) {
        return this == AARCH64 && i == 31 ? "sp" : i == PC ? "pc" : "x" + i;
    }

    /**
     * An instruction of {@code length} bytes (see {@link #instructionLength}) that jumps to
     * itself, as memory bytes: RISC-V {@code c.j .} or {@code j .}; AArch64 {@code b .}.
     */
    public byte[] jumpToSelf(int length) {
        if (this == AARCH64) {
            return new byte[] {0, 0, 0, 0x14}; // b . (0x14000000)
        }
        return length == 2 ? new byte[] {0x01, (byte) 0xa0} : new byte[] {0x6f, 0, 0, 0};
    }

    /**
     * The readAll slot of the base register of load or store {@code insn} (its first four
     * bytes, little-endian; for a 2-byte RISC-V instruction only the low 16 bits count), or -1
     * if it is none or has no base register. RISC-V: loads, stores (also FP) and AMOs (rs1,
     * unless x0), compressed register and sp-relative loads and stores. AArch64: the forms
     * {@link Aarch64Cpu} decodes for faults (single register, pair, exclusive, atomic: Rn,
     * where 31 is sp); literal loads and prefetches have none.
     */
    public int loadStoreBase(int insn) {
        if (this == AARCH64) {
            return Aarch64Cpu.loadStoreBase(insn);
        }
        if ((insn & 3) == 3) {
            int op = insn & 0x7f;
            if (op == 0x03 || op == 0x23 || op == 0x07 || op == 0x27 || op == 0x2f) {
                int rs1 = (insn >>> 15) & 31;
                return rs1 != 0 ? rs1 : -1;
            }
            return -1;
        }
        int q = insn & 3;
        int f3 = (insn >>> 13) & 7;
        if (q == 0 && f3 != 0 && f3 != 4) {
            return 8 + ((insn >>> 7) & 7);
        }
        if (q == 2 && f3 != 0 && f3 != 4) {
            return 2; // sp-relative
        }
        return -1;
    }

    /**
     * Registers likely to hold a pointer, for a pointer fault where the next instruction is no
     * load or store: the first argument registers and two callee-saved ones (RISC-V a0..a5,
     * s0, s1; AArch64 x0..x5, x19, x20).
     */
    public int[] pointerRegisters() {
        return this == RISCV64 ? new int[] {10, 11, 12, 13, 14, 15, 8, 9} : new int[] {0, 1, 2, 3, 4, 5, 19, 20};
    }

    /** A new CPU of this architecture over {@code ram}. */
    public Cpu newCpu(PhysicalMemory ram) {
        return this == RISCV64 ? new RiscvCpu(ram) : new Aarch64Cpu(ram);
    }

    /** The architecture of ELF machine {@code machine}, or null if the machine cannot run here. */
    public static Arch ofElfMachine(int machine) {
        for (Arch a : values()) {
            if (a.elfMachine == machine) {
                return a;
            }
        }
        return null;
    }

    /** The architecture named {@code name} ("riscv64", "aarch64"; case-insensitive), or null. */
    public static Arch named(String name) {
        for (Arch a : values()) {
            if (a.id.equals(name.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return id;
    }
}
