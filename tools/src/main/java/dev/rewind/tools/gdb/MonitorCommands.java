package dev.rewind.tools.gdb;

import dev.rewind.kernel.Fault;
import dev.rewind.kernel.debug.DebugTarget;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * {@code qRcmd} (gdb's {@code monitor} command): {@code tasks} lists the tasks, {@code scope}
 * limits breakpoints and watchpoints to some tasks (every task links at the same addresses,
 * so a breakpoint meant for one program would otherwise also stop others that run code at
 * that address).
 */
final class MonitorCommands {
    static final String HELP = """
            monitor tasks                 list the tasks (thread id, name, generation, state, pc, image)
            monitor scope                 show which tasks breakpoints and watchpoints apply to (by default
                                          the tasks running the program gdb loaded, every task if unknown)
            monitor scope all             apply them to every task
            monitor scope NAME...         apply them only to these tasks (task or image names)
            monitor endpoints             list the endpoints, their servers and waiting callers
            monitor caps TASK             list the capabilities of a task (name or thread id)
            monitor notifications         list the notifications, their owners and pending bits
            monitor fault [TASK]          the last fault of a task (default: every task that faulted)
            monitor restart TASK          restart a task now (new generation, fresh from its image)
            monitor recovery              the recovery log: each fault and what the kernel did
            monitor reverse-window [N|off] how many instructions back reverse execution goes (tasks that serve no endpoint)
            """;

    private final GdbSession s;

    MonitorCommands(GdbSession s) {
        this.s = s;
    }

    String handle(String p) {
        String cmd = new String(PacketCodec.fromHex(p.substring("qRcmd,".length())), StandardCharsets.UTF_8).strip();
        String[] words = cmd.isEmpty() ? new String[0] : cmd.split("\\s+");
        if (words.length == 0 || words[0].equals("help")) {
            return PacketCodec.toHex(HELP);
        }
        switch (words[0]) {
            case "tasks" -> {
                StringBuilder sb = new StringBuilder(
                        String.format("%-4s %-16s %-4s %-15s %-18s %s%n", "id", "task", "gen", "state", "pc", "image"));
                for (DebugTarget.ThreadInfo t : s.target.threads()) {
                    sb.append(String.format(
                            "%-4d %-16s %-4d %-15s 0x%-16x %s%n",
                            t.id(), t.name(), t.generation(), t.state(), t.pc(), t.image()));
                }
                return PacketCodec.toHex(sb.toString());
            }
            case "scope" -> {
                if (words.length > 1) {
                    List<String> names = Arrays.asList(words).subList(1, words.length);
                    try {
                        s.target.setScope(names.equals(List.of("all")) ? List.of() : names);
                    } catch (IllegalArgumentException e) {
                        return PacketCodec.toHex(e.getMessage() + "\n");
                    }
                }
                List<String> scope = s.target.scope();
                List<String> programs = s.target.programScope();
                String to = !scope.isEmpty()
                        ? String.join(", ", scope)
                        : programs.isEmpty()
                                ? "every task"
                                : "the tasks running " + String.join(", ", programs)
                                        + ", the program gdb loaded (monitor scope all: every task)";
                return PacketCodec.toHex("breakpoints and watchpoints apply to " + to + "\n");
            }
            case "endpoints" -> {
                StringBuilder sb = new StringBuilder();
                for (DebugTarget.EndpointInfo e : s.target.endpoints()) {
                    sb.append(String.format(
                            "%-16s server %s%s; %s%n",
                            e.name(),
                            e.server(),
                            e.serverReceiving() ? " (receiving)" : "",
                            e.callers().isEmpty()
                                    ? "no callers waiting"
                                    : "callers: " + String.join(", ", e.callers())));
                }
                return PacketCodec.toHex(sb.length() == 0 ? "no endpoints\n" : sb.toString());
            }
            case "notifications" -> {
                StringBuilder sb = new StringBuilder();
                for (DebugTarget.NotificationInfo n : s.target.notifications()) {
                    sb.append(String.format(
                            "%-16s owner %s, bits 0x%x%s%n",
                            n.name(), n.owner(), n.bits(), n.ownerWaiting() ? ", owner waiting" : ""));
                }
                return PacketCodec.toHex(sb.length() == 0 ? "no notifications\n" : sb.toString());
            }
            case "caps", "fault", "restart" -> {
                if (words.length > 2 || (words.length == 1 && !words[0].equals("fault"))) {
                    return PacketCodec.toHex(
                            "usage: monitor " + words[0] + (words[0].equals("fault") ? " [TASK]" : " TASK") + "\n");
                }
                Integer thread = null;
                if (words.length == 2) {
                    thread = thread(words[1]);
                    if (thread == null) {
                        return PacketCodec.toHex(
                                "no task '" + PacketCodec.abbreviate(words[1]) + "' (monitor tasks lists them)\n");
                    }
                }
                return PacketCodec.toHex(
                        switch (words[0]) {
                            case "caps" -> caps(thread);
                            case "fault" -> fault(thread);
                            default -> restart(thread);
                        });
            }
            case "reverse-window" -> {
                if (words.length > 2) {
                    return PacketCodec.toHex("usage: monitor reverse-window [N|off]\n");
                }
                try {
                    if (words.length == 2) {
                        s.target.setReverseWindow(words[1].equals("off") ? 0 : parseCount(words[1]));
                    }
                    long w = s.target.reverseWindow();
                    return PacketCodec.toHex("reverse execution goes back "
                            + (w == 0
                                    ? "as far as the recorded history (no instruction window)"
                                    : "at most " + w + " instructions")
                            + " in a task that serves no endpoint; a server keeps its whole request\n");
                } catch (IllegalArgumentException | UnsupportedOperationException e) {
                    return PacketCodec.toHex(e.getMessage() + "\n");
                }
            }
            case "recovery" -> {
                StringBuilder sb = new StringBuilder();
                for (DebugTarget.RecoveryEntry e : s.target.recoveryLog()) {
                    sb.append(String.format(
                            "%8d ms  %s gen %d: %s%s%n",
                            e.millis(),
                            e.task(),
                            e.generation(),
                            e.fault() == null ? "" : e.fault() + "; ",
                            e.action()));
                }
                return PacketCodec.toHex(sb.length() == 0 ? "no recoveries yet\n" : sb.toString());
            }
            default -> {
                return PacketCodec.toHex("unknown monitor command '" + PacketCodec.abbreviate(cmd) + "'\n" + HELP);
            }
        }
    }

    /** A count of instructions: a decimal number from 0 up. */
    static long parseCount(String w) {
        long n;
        try {
            n = Long.parseLong(w.replace("_", ""));
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0) {
            throw new IllegalArgumentException(
                    "expected a number of instructions (or off), got '" + PacketCodec.abbreviate(w) + "'");
        }
        return n;
    }

    /** A task by name or thread id, or null. */
    private Integer thread(String word) {
        for (DebugTarget.ThreadInfo t : s.target.threads()) {
            if (t.name().equals(word) || Integer.toString(t.id()).equals(word)) {
                return t.id();
            }
        }
        return null;
    }

    private String name(int thread) {
        for (DebugTarget.ThreadInfo t : s.target.threads()) {
            if (t.id() == thread) {
                return t.name();
            }
        }
        return "thread " + thread;
    }

    private String caps(int thread) {
        if (!s.alive(thread)) {
            return "task " + name(thread) + " has ended: no capabilities\n";
        }
        List<String> caps = s.target.capabilities(thread);
        StringBuilder sb = new StringBuilder(
                String.format("capabilities of %s:%n%-4s %-12s %s%n", name(thread), "slot", "kind", "name"));
        for (String c : caps) {
            sb.append(c).append('\n');
        }
        return caps.isEmpty() ? "task " + name(thread) + " holds no capabilities\n" : sb.toString();
    }

    private String fault(Integer thread) {
        StringBuilder sb = new StringBuilder();
        for (DebugTarget.ThreadInfo t : s.target.threads()) {
            if (thread != null && t.id() != thread) {
                continue;
            }
            Fault f = s.target.lastFault(t.id());
            if (f != null) {
                sb.append(String.format("%s (thread %d): %s%n", t.name(), t.id(), f));
                if (s.description().hasTrapCsrs()) {
                    Csrs c = Csrs.of(f);
                    sb.append(String.format("    mcause %d, mtval 0x%x, mepc 0x%x%n", c.mcause(), c.mtval(), c.mepc()));
                }
            } else if (thread != null) {
                sb.append(t.name()).append(" has not faulted\n");
            }
        }
        return sb.length() == 0 ? "no task has faulted\n" : sb.toString();
    }

    private String restart(int thread) {
        if (!s.alive(thread)) {
            return "task " + name(thread) + " has ended and cannot be restarted\n";
        }
        try {
            return "task " + name(thread) + ": " + s.target.restart(thread) + "\n";
        } catch (IllegalArgumentException e) {
            return e.getMessage() + "\n";
        }
    }
}
