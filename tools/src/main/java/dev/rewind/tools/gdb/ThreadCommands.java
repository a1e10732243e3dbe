package dev.rewind.tools.gdb;

import dev.rewind.kernel.debug.DebugTarget;
import java.util.List;

/**
 * Threads (one per task, id = slot + 1 for the whole run): {@code H g/c} selection,
 * {@code T} (alive?), {@code qC}, {@code qfThreadInfo}/{@code qsThreadInfo} and
 * {@code qThreadExtraInfo} (task name, generation and state).
 *
 * <p>Every task is listed, also once it has ended (state {@code exited} or {@code dead}, all
 * registers zero, no memory): gdb numbers threads in the order it first sees them, so listing
 * every slot keeps gdb's thread numbers equal to the ids (slot + 1) for the whole session,
 * and also for a debugger that attaches after a task ended. An ended thread cannot be resumed.
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
            int t = s.thread(p.substring(2));
            if (t > 0 && (!s.known(t) || !s.listed(t))) {
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
        int t = s.thread(p.substring(1));
        return t > 0 && s.known(t) && s.listed(t) ? "OK" : "E02";
    }

    /** A thread query's reply, or null if {@code p} is not one. */
    String query(String p) {
        if (p.equals("qfThreadInfo")) {
            s.firstStop();
            List<DebugTarget.ThreadInfo> threads = s.target.threads();
            StringBuilder sb = new StringBuilder("m");
            for (DebugTarget.ThreadInfo t : threads) {
                if (!s.listed(t.id())) {
                    continue; // multiprocess: gdb was told it ended (or it ended before gdb came)
                }
                if (sb.length() > 1) {
                    sb.append(',');
                }
                sb.append(s.threadId(t.id()));
            }
            return sb.length() > 1 ? sb.toString() : "l";
        }
        if (p.equals("qsThreadInfo")) {
            return "l";
        }
        if (p.startsWith("qThreadExtraInfo,")) {
            int id = s.thread(p.substring("qThreadExtraInfo,".length()));
            for (DebugTarget.ThreadInfo t : s.target.threads()) {
                if (t.id() == id) {
                    return PacketCodec.toHex(describe(t));
                }
            }
            return "E02";
        }
        if (p.equals("qC")) {
            return "QC" + s.threadId(s.generalThread());
        }
        return null;
    }

    /** What `info threads` shows beside a thread: "kv gen 2, receiving". */
    static String describe(DebugTarget.ThreadInfo t) {
        return t.name() + " gen " + t.generation() + ", " + t.state();
    }
}
