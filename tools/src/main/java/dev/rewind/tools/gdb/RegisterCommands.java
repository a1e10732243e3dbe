package dev.rewind.tools.gdb;

import dev.rewind.kernel.debug.DebugTarget;

/**
 * Registers of the selected thread ({@code Hg}) in the layout of the system's
 * {@link TargetDescription}: {@code g}/{@code G} (the general registers and pc, and on AArch64
 * the 32-bit cpsr after them) and {@code p}/{@code P} (one, by number). RISC-V's trap CSRs
 * (mepc, mcause, mtval: {@link Csrs}) are read-only and only read one by one.
 */
final class RegisterCommands {
    private static final int GENERAL_HEX = 16 * DebugTarget.REGISTER_COUNT;

    private final GdbSession s;

    RegisterCommands(GdbSession s) {
        this.s = s;
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
                return sb.toString();
            }
            case 'G' -> {
                String hex = p.substring(1);
                int general = Math.min(hex.length(), GENERAL_HEX);
                String rest = hex.substring(general);
                boolean cpsr = td.hasCpsr() && rest.length() == 8;
                if (hex.isEmpty() || general % 16 != 0 || !(rest.isEmpty() || cpsr)) {
                    return "E01";
                }
                long[] cur = s.target.readRegisters(thread);
                for (int i = 0; i < general / 16; i++) {
                    cur[i] = PacketCodec.parseLe64(hex.substring(16 * i, 16 * i + 16));
                }
                s.target.writeRegisters(thread, cur);
                if (cpsr) {
                    s.target.writeFlags(thread, PacketCodec.parseLe32(rest));
                }
                return "OK";
            }
            case 'p' -> {
                int reg = PacketCodec.parseHexInt(p.substring(1), Integer.MAX_VALUE);
                if (td.isCsr(reg)) {
                    return PacketCodec.le64(Csrs.of(s.target.lastFault(thread)).get(reg));
                }
                if (td.hasCpsr() && reg == TargetDescription.FIRST_EXTRA) {
                    return PacketCodec.le32(s.target.readFlags(thread));
                }
                if (reg >= DebugTarget.REGISTER_COUNT) {
                    return "E01";
                }
                return PacketCodec.le64(s.target.readRegister(thread, reg));
            }
            default -> { // P n=value
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
                if (reg >= DebugTarget.REGISTER_COUNT) {
                    return "E01";
                }
                s.target.writeRegister(thread, reg, PacketCodec.parseLe64(value));
                return "OK";
            }
        }
    }
}
