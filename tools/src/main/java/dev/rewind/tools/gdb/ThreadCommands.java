package dev.rewind.tools.gdb;

import dev.rewind.kernel.DebugTarget;
import java.util.List;

/**
 * Threads (one per live task): {@code H g/c} selection, {@code T} (alive?), {@code qC},
 * {@code qfThreadInfo}/{@code qsThreadInfo} and {@code qThreadExtraInfo} (task name,
 * generation and state).
 */
final class ThreadCommands {
    private final GdbSession s;

    ThreadCommands(GdbSession s) {
        this.s = s;
    }

    String handle(String p) {
        if (p.startsWith("H")) {
            if (p.length() < 3) {
                return "E01";
            }
            char op = p.charAt(1);
            int t = GdbSession.parseThread(p.substring(2));
            if (t > 0 && !alive(t)) {
                return "E02";
            }
            switch (op) {
                case 'g' -> s.gThread = t;
                case 'c' -> s.cThread = t;
                default -> {
                    return "E01";
                }
            }
            return "OK";
        }
        // T thread-id: is it alive?
        int t = GdbSession.parseThread(p.substring(1));
        return t > 0 && alive(t) ? "OK" : "E02";
    }

    /** A thread query's reply, or null if {@code p} is not one. */
    String query(String p) {
        if (p.equals("qfThreadInfo")) {
            List<DebugTarget.ThreadInfo> threads = s.target.threads();
            if (threads.isEmpty()) {
                return "l";
            }
            StringBuilder sb = new StringBuilder("m");
            for (DebugTarget.ThreadInfo t : threads) {
                if (sb.length() > 1) {
                    sb.append(',');
                }
                sb.append(Integer.toHexString(t.id()));
            }
            return sb.toString();
        }
        if (p.equals("qsThreadInfo")) {
            return "l";
        }
        if (p.startsWith("qThreadExtraInfo,")) {
            int id = GdbSession.parseThread(p.substring("qThreadExtraInfo,".length()));
            for (DebugTarget.ThreadInfo t : s.target.threads()) {
                if (t.id() == id) {
                    return PacketCodec.toHex(describe(t));
                }
            }
            return "E02";
        }
        if (p.equals("qC")) {
            return "QC" + Integer.toHexString(s.generalThread());
        }
        return null;
    }

    /** What `info threads` shows beside a thread: "kv gen 2, receiving". */
    static String describe(DebugTarget.ThreadInfo t) {
        return t.name() + " gen " + t.generation() + ", " + t.state();
    }

    private boolean alive(int id) {
        for (DebugTarget.ThreadInfo t : s.target.threads()) {
            if (t.id() == id) {
                return true;
            }
        }
        return false;
    }
}
