package dev.rewind.tools.gdb;

import dev.rewind.kernel.debug.DebugTarget;

/**
 * Registers of the selected thread ({@code Hg}): {@code g}/{@code G} (all of x0..x31 and pc,
 * in the target description's order) and {@code p}/{@code P} (one, by number). The trap CSRs
 * (mepc, mcause, mtval: {@link Csrs}) are read-only and only read one by one.
 */
final class RegisterCommands {
    private final GdbSession s;

    RegisterCommands(GdbSession s) {
        this.s = s;
    }

    String handle(String p) {
        int thread = s.generalThread();
        switch (p.charAt(0)) {
            case 'g' -> {
                if (p.length() != 1) {
                    return "E01";
                }
                long[] r = s.target.readRegisters(thread);
                StringBuilder sb = new StringBuilder(r.length * 16);
                for (long v : r) {
                    sb.append(PacketCodec.le64(v));
                }
                return sb.toString();
            }
            case 'G' -> {
                String hex = p.substring(1);
                if (hex.isEmpty() || hex.length() % 16 != 0 || hex.length() > 16 * DebugTarget.REGISTER_COUNT) {
                    return "E01";
                }
                long[] cur = s.target.readRegisters(thread);
                for (int i = 0; i < hex.length() / 16; i++) {
                    cur[i] = PacketCodec.parseLe64(hex.substring(16 * i, 16 * i + 16));
                }
                s.target.writeRegisters(thread, cur);
                return "OK";
            }
            case 'p' -> {
                int reg = PacketCodec.parseHexInt(p.substring(1), Integer.MAX_VALUE);
                if (reg >= DebugTarget.REGISTER_COUNT && reg < Csrs.COUNT) {
                    return PacketCodec.le64(Csrs.of(s.target.lastFault(thread)).get(reg));
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
                if (reg >= DebugTarget.REGISTER_COUNT) {
                    return "E01";
                }
                s.target.writeRegister(thread, reg, PacketCodec.parseLe64(p.substring(eq + 1)));
                return "OK";
            }
        }
    }
}
