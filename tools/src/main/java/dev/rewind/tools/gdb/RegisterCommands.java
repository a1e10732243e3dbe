package dev.rewind.tools.gdb;

import dev.rewind.hw.cpu.RiscvCpu;
import dev.rewind.kernel.debug.DebugTarget;

/**
 * Registers of the selected thread ({@code Hg}) in the layout of the system's
 * {@link TargetDescription}: {@code g}/{@code G} (the general registers and pc, and on AArch64
 * the 32-bit cpsr, v0..v31, fpsr and fpcr after them; a {@code G} may stop after pc or cpsr)
 * and {@code p}/{@code P} (one, by number). RISC-V's trap CSRs
 * (mepc, mcause, mtval: {@link Csrs}) are read-only and only read one by one.
 */
final class RegisterCommands {
    private static final int GENERAL_HEX = 16 * DebugTarget.REGISTER_COUNT;
    /** v0..v31 (32 hex digits each), fpsr and fpcr (8 each). */
    private static final int FPU_HEX = 32 * 32 + 2 * 8;
    /** Where fpsr and fpcr are in {@link DebugTarget#readExtended}'s layout (after q0..q31). */
    private static final int EXT_FPSR = 64;

    private static final int EXT_FPCR = 65;

    private final GdbSession s;

    RegisterCommands(GdbSession s) {
        this.s = s;
    }

    /** The thread's extended registers; all zero where the target has none (an ended task). */
    private long[] extended(int thread) {
        long[] e = s.target.readExtended(thread);
        return e.length > EXT_FPCR ? e : java.util.Arrays.copyOf(e, EXT_FPCR + 1);
    }

    /** {@code p} of a RISC-V FPU register: its value, or x's (unavailable) in a task whose FPU is off. */
    private String readRiscvFpu(int thread, int reg) {
        boolean narrow = reg >= TargetDescription.RV_FFLAGS;
        long[] e = s.target.readExtended(thread);
        if (e.length < RiscvCpu.EXTENDED_LENGTH) {
            return "x".repeat(narrow ? 8 : 16);
        }
        long fcsr = e[RiscvCpu.FCSR];
        return switch (reg) {
            case TargetDescription.RV_FFLAGS -> PacketCodec.le32(fcsr & 0x1f);
            case TargetDescription.RV_FRM -> PacketCodec.le32((fcsr >>> 5) & 7);
            case TargetDescription.RV_FCSR -> PacketCodec.le32(fcsr & 0xff);
            default -> PacketCodec.le64(e[reg - TargetDescription.RV_F0]);
        };
    }

    /**
     * The reply to writing an FPU register of a task whose FPU is off. gdb shows an {@code E.}
     * reply's text ("Could not write register "fa0"; remote failure reply 'E.…'"), where E01
     * would read as a malformed packet.
     */
    static final String FPU_OFF =
            "E.the task's FPU is off: it was built soft-float (make FLOAT=hard gives it f registers)";

    /** Why a register of an ended task cannot be written ({@link GdbSession#endedReply}). */
    static final String NO_REGISTERS = "it has no registers to write";

    /**
     * The reply refusing a change of {@code thread}'s general registers (pc included) while its
     * task is blocked in a system call that has not returned (it receives, sends, awaits a reply
     * or waits), else null. The kernel resumes such a task only when the call is answered, with
     * the call's results in its argument registers: a changed pc would run nothing until then
     * (an inferior call, {@code call f()}, would wait, and then run with the results of a request
     * meant for the task's own code, which it swallows), a changed a0..a7 would be overwritten
     * unseen. Writing back the values it has (gdb restoring registers) is no change and allowed.
     */
    private String blockedReply(int thread, long[] cur, long[] next) {
        if (java.util.Arrays.equals(cur, next)) {
            return null;
        }
        for (DebugTarget.ThreadInfo t : s.target.threads()) {
            if (t.id() == thread && BLOCKED.contains(t.state())) {
                return "E.thread " + thread + " (task " + t.name() + ") is blocked in a system call ("
                        + t.state().replace('_', ' ') + "): its registers cannot change until the call"
                        + " returns, so gdb cannot run code in it (call, print f(), jump, return);"
                        + " stop it in its own code first (a breakpoint there, or finish out of the call)";
            }
        }
        return null;
    }

    /** The states ({@link DebugTarget.ThreadInfo#state}) of a task blocked in a system call. */
    private static final java.util.Set<String> BLOCKED =
            java.util.Set.of("sending", "awaiting_reply", "receiving", "waiting");

    /** {@code P} of a RISC-V FPU register; {@link #FPU_OFF} in a task whose FPU is off, E01 for a value of the wrong size. */
    private String writeRiscvFpu(int thread, int reg, String value) {
        boolean narrow = reg >= TargetDescription.RV_FFLAGS;
        long[] e = s.target.readExtended(thread);
        if (e.length < RiscvCpu.EXTENDED_LENGTH) {
            return FPU_OFF;
        }
        if (value.length() != (narrow ? 8 : 16)) {
            return "E01";
        }
        long v = narrow ? PacketCodec.parseLe32(value) : PacketCodec.parseLe64(value);
        long fcsr = e[RiscvCpu.FCSR];
        switch (reg) {
            case TargetDescription.RV_FFLAGS -> e[RiscvCpu.FCSR] = (fcsr & ~0x1fL) | (v & 0x1f);
            case TargetDescription.RV_FRM -> e[RiscvCpu.FCSR] = (fcsr & ~0xe0L) | ((v & 7) << 5);
            case TargetDescription.RV_FCSR -> e[RiscvCpu.FCSR] = v & 0xff;
            default -> e[reg - TargetDescription.RV_F0] = v;
        }
        s.target.writeExtended(thread, e);
        return "OK";
    }

    String handle(String p) {
        int thread = s.generalThread();
        TargetDescription td = s.description();
        switch (p.charAt(0)) {
            case 'g' -> {
                if (p.length() != 1) {
                    return "E01";
                }
                long[] r = s.target.readRegisters(thread);
                StringBuilder sb = new StringBuilder(r.length * 16 + 8);
                for (long v : r) {
                    sb.append(PacketCodec.le64(v));
                }
                if (td.hasCpsr()) {
                    sb.append(PacketCodec.le32(s.target.readFlags(thread)));
                }
                if (td.hasFpu()) {
                    long[] e = extended(thread);
                    for (int i = 0; i < 32; i++) {
                        sb.append(PacketCodec.le64(e[2 * i])).append(PacketCodec.le64(e[2 * i + 1]));
                    }
                    sb.append(PacketCodec.le32(e[EXT_FPSR])).append(PacketCodec.le32(e[EXT_FPCR]));
                }
                return sb.toString();
            }
            case 'G' -> {
                String ended = s.endedReply(thread, NO_REGISTERS);
                if (ended != null) {
                    return ended;
                }
                String past = s.pastReply(thread, "registers");
                if (past != null) {
                    return past;
                }
                String hex = p.substring(1);
                int general = Math.min(hex.length(), GENERAL_HEX);
                String rest = hex.substring(general);
                boolean cpsr = td.hasCpsr() && (rest.length() == 8 || rest.length() == 8 + FPU_HEX);
                boolean fpu = cpsr && td.hasFpu() && rest.length() == 8 + FPU_HEX;
                if (hex.isEmpty() || general % 16 != 0 || !(rest.isEmpty() || cpsr)) {
                    return "E01";
                }
                long[] cur = s.target.readRegisters(thread);
                long[] next = cur.clone();
                for (int i = 0; i < general / 16; i++) {
                    next[i] = PacketCodec.parseLe64(hex.substring(16 * i, 16 * i + 16));
                }
                String blocked = blockedReply(thread, cur, next);
                if (blocked != null) {
                    return blocked;
                }
                s.target.writeRegisters(thread, next);
                if (cpsr) {
                    s.target.writeFlags(thread, PacketCodec.parseLe32(rest.substring(0, 8)));
                }
                if (fpu) {
                    long[] e = extended(thread);
                    for (int i = 0; i < 32; i++) {
                        int at = 8 + 32 * i;
                        e[2 * i] = PacketCodec.parseLe64(rest.substring(at, at + 16));
                        e[2 * i + 1] = PacketCodec.parseLe64(rest.substring(at + 16, at + 32));
                    }
                    e[EXT_FPSR] = PacketCodec.parseLe32(rest.substring(8 + 32 * 32, 16 + 32 * 32));
                    e[EXT_FPCR] = PacketCodec.parseLe32(rest.substring(16 + 32 * 32));
                    s.target.writeExtended(thread, e);
                }
                return "OK";
            }
            case 'p' -> {
                int reg = PacketCodec.parseHexInt(p.substring(1), Integer.MAX_VALUE);
                if (td.isCsr(reg)) {
                    return PacketCodec.le64(Csrs.of(s.target.lastFault(thread)).get(reg));
                }
                if (td.isRiscvFpu(reg)) {
                    return readRiscvFpu(thread, reg);
                }
                if (td.hasCpsr() && reg == TargetDescription.FIRST_EXTRA) {
                    return PacketCodec.le32(s.target.readFlags(thread));
                }
                if (td.hasFpu() && reg >= TargetDescription.V0 && reg <= TargetDescription.FPCR) {
                    long[] e = extended(thread);
                    if (reg >= TargetDescription.FPSR) {
                        return PacketCodec.le32(e[reg == TargetDescription.FPSR ? EXT_FPSR : EXT_FPCR]);
                    }
                    int v = reg - TargetDescription.V0;
                    return PacketCodec.le64(e[2 * v]) + PacketCodec.le64(e[2 * v + 1]);
                }
                if (reg >= DebugTarget.REGISTER_COUNT) {
                    return "E01";
                }
                return PacketCodec.le64(s.target.readRegister(thread, reg));
            }
            default -> { // P n=value
                String ended = s.endedReply(thread, NO_REGISTERS);
                if (ended != null) {
                    return ended;
                }
                String past = s.pastReply(thread, "registers");
                if (past != null) {
                    return past;
                }
                int eq = p.indexOf('=');
                if (eq < 2) {
                    return "E01";
                }
                int reg = PacketCodec.parseHexInt(p.substring(1, eq), Integer.MAX_VALUE);
                String value = p.substring(eq + 1);
                if (td.hasCpsr() && reg == TargetDescription.FIRST_EXTRA) {
                    s.target.writeFlags(thread, PacketCodec.parseLe32(value));
                    return "OK";
                }
                if (td.isRiscvFpu(reg)) {
                    return writeRiscvFpu(thread, reg, value);
                }
                if (td.hasFpu() && reg >= TargetDescription.V0 && reg <= TargetDescription.FPCR) {
                    boolean narrow = reg >= TargetDescription.FPSR;
                    if (value.length() != (narrow ? 8 : 32)) {
                        return "E01";
                    }
                    long[] e = extended(thread);
                    if (narrow) {
                        e[reg == TargetDescription.FPSR ? EXT_FPSR : EXT_FPCR] = PacketCodec.parseLe32(value);
                    } else {
                        int v = reg - TargetDescription.V0;
                        e[2 * v] = PacketCodec.parseLe64(value.substring(0, 16));
                        e[2 * v + 1] = PacketCodec.parseLe64(value.substring(16));
                    }
                    s.target.writeExtended(thread, e);
                    return "OK";
                }
                if (reg >= DebugTarget.REGISTER_COUNT) {
                    return "E01";
                }
                long v = PacketCodec.parseLe64(value);
                long old = s.target.readRegister(thread, reg);
                String blocked = blockedReply(thread, new long[] {old}, new long[] {v});
                if (blocked != null) {
                    return blocked;
                }
                s.target.writeRegister(thread, reg, v);
                return "OK";
            }
        }
    }
}
