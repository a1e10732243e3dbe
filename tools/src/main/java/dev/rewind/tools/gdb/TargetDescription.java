package dev.rewind.tools.gdb;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.debug.DebugTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * What gdb is told of the machine, per architecture: the target description served as
 * {@code target.xml} (a resource named after the architecture) and the register numbers it
 * gives. Both start with {@link DebugTarget#REGISTER_COUNT} 64-bit registers in the readAll
 * layout (RISC-V x0..x31, pc; AArch64 x0..x30, sp, pc), which is also the start of the
 * {@code g} packet; then:
 *
 * <ul>
 *   <li>RISC-V: the trap CSRs of the task's last fault (mepc, mcause, mtval: {@link Csrs}),
 *       read-only, by {@code p} only (not in {@code g}); then gdb's {@code org.gnu.gdb.riscv.fpu}
 *       feature, by {@code p}/{@code P} only: f0..f31 ({@value #RV_F0}..), fflags, frm and fcsr
 *       (from {@link DebugTarget#readExtended}; unavailable in a task whose FPU is off);
 *   <li>AArch64: cpsr, 32 bits, in {@code g} after pc as gdb's {@code org.gnu.gdb.aarch64.core}
 *       feature has it: the condition flags ({@link DebugTarget#readFlags}); then gdb's
 *       {@code org.gnu.gdb.aarch64.fpu} feature, also in {@code g}: v0..v31 (128 bits each,
 *       numbers {@value #V0}..{@value #V0} + 31), fpsr ({@value #FPSR}) and fpcr ({@value #FPCR}),
 *       32 bits each ({@link DebugTarget#readExtended}).
 * </ul>
 */
enum TargetDescription {
    RISCV64("riscv64.xml", false),
    AARCH64("aarch64.xml", true);

    /** The register number after the general registers and pc (AArch64's cpsr, RISC-V's mepc). */
    static final int FIRST_EXTRA = DebugTarget.REGISTER_COUNT;
    /** AArch64's FP/SIMD registers: v0..v31, then fpsr and fpcr (gdb's numbers). */
    static final int V0 = FIRST_EXTRA + 1;

    static final int FPSR = V0 + 32;
    static final int FPCR = FPSR + 1;

    /** RISC-V's FPU after the trap CSRs: f0..f31 (64 bits), then fflags, frm and fcsr (32 bits). */
    static final int RV_F0 = Csrs.COUNT;

    static final int RV_FFLAGS = RV_F0 + 32;
    static final int RV_FRM = RV_FFLAGS + 1;
    static final int RV_FCSR = RV_FRM + 1;

    private final byte[] xml;
    private final boolean cpsr;

    TargetDescription(String resource, boolean cpsr) {
        this.xml = load(resource);
        this.cpsr = cpsr;
    }

    static TargetDescription of(Arch arch) {
        return switch (arch) {
            case RISCV64 -> RISCV64;
            case AARCH64 -> AARCH64;
        };
    }

    byte[] xml() {
        return xml;
    }

    /** True if register {@link #FIRST_EXTRA} is a 32-bit cpsr that the {@code g} packet ends with. */
    boolean hasCpsr() {
        return cpsr;
    }

    /** True if the description has AArch64's FP/SIMD registers ({@link #V0}..{@link #FPCR}), in {@code g} after cpsr. */
    boolean hasFpu() {
        return cpsr;
    }

    /** True if the description has RISC-V's trap CSRs (mepc, mcause, mtval: {@link Csrs}). */
    boolean hasTrapCsrs() {
        return !cpsr;
    }

    /** True if {@code reg} is one of RISC-V's FPU registers ({@link #RV_F0}..{@link #RV_FCSR}), by {@code p}/{@code P} only. */
    boolean isRiscvFpu(int reg) {
        return !cpsr && reg >= RV_F0 && reg <= RV_FCSR;
    }

    /** True if {@code reg} is a read-only trap CSR ({@link Csrs}), read by {@code p} only. */
    boolean isCsr(int reg) {
        return !cpsr && reg >= Csrs.MEPC && reg < Csrs.COUNT;
    }

    private static byte[] load(String name) {
        try (InputStream in = TargetDescription.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
