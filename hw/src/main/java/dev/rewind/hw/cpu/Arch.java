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
 * slot 7, x8 (the number) in, x0..x7 out (docs/ABI.md).
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

    /**
     * The register slot of syscall result {@code n} (0..7): where the guest finds it after the
     * trap, and where a pending result lies in a register dump. RISC-V a0+n, AArch64 x0+n.
     */
    public int result(int n) {
        return firstArg + n;
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
