package dev.rewind.tools.gdb;

/**
 * Memory of the selected thread's task ({@code Hg}), in that task's own address space:
 * {@code m} (read; a read running into unmapped memory returns what could be read, or
 * {@code E14} if nothing could), {@code M} (write, hex) and {@code X} (write, binary). A write
 * to a task in its past (reverse execution) is refused ({@link GdbSession#pastReply}).
 */
final class MemoryCommands {
    /** Largest read answered in one packet (the reply is hex: twice this). */
    static final int MAX_READ = 4096;

    private final GdbSession s;

    MemoryCommands(GdbSession s) {
        this.s = s;
    }

    String handle(String p, byte[] raw) {
        int comma = p.indexOf(',');
        if (comma < 2) {
            return "E01";
        }
        long addr = PacketCodec.parseHex(p.substring(1, comma));
        int thread = s.generalThread();
        switch (p.charAt(0)) {
            case 'm' -> {
                int len = PacketCodec.parseHexInt(p.substring(comma + 1), Integer.MAX_VALUE);
                len = Math.min(len, MAX_READ);
                if (len == 0) {
                    return "";
                }
                byte[] buf = new byte[len];
                int n = s.target.readMemory(thread, addr, buf);
                return n == 0 ? "E14" : PacketCodec.toHex(buf, 0, n);
            }
            case 'M' -> {
                int colon = p.indexOf(':', comma);
                if (colon < 0) {
                    return "E01";
                }
                int len = PacketCodec.parseHexInt(p.substring(comma + 1, colon), PacketCodec.MAX_PACKET);
                byte[] data = PacketCodec.fromHex(p.substring(colon + 1));
                if (data.length != len) {
                    return "E01";
                }
                String past = s.pastReply(thread, "memory");
                return past != null ? past : s.target.writeMemory(thread, addr, data) ? "OK" : "E14";
            }
            default -> { // X addr,len:binary
                int colon = p.indexOf(':', comma);
                if (colon < 0) {
                    return "E01";
                }
                int len = PacketCodec.parseHexInt(p.substring(comma + 1, colon), PacketCodec.MAX_PACKET);
                byte[] data = PacketCodec.unescape(raw, colon + 1, raw.length - colon - 1);
                if (data.length != len) {
                    return "E01";
                }
                String past = s.pastReply(thread, "memory");
                return past != null ? past : s.target.writeMemory(thread, addr, data) ? "OK" : "E14";
            }
        }
    }
}
