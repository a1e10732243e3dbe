package dev.rewind.tools.gdb;

import dev.rewind.kernel.DebugTarget;
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
            monitor scope                 show which tasks breakpoints and watchpoints apply to
            monitor scope all             apply them to every task (the default)
            monitor scope NAME...         apply them only to these tasks (task or image names)
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
                StringBuilder sb = new StringBuilder(String.format("%-4s %-16s %-4s %-15s %-18s %s%n",
                        "id", "task", "gen", "state", "pc", "image"));
                for (DebugTarget.ThreadInfo t : s.target.threads()) {
                    sb.append(String.format("%-4d %-16s %-4d %-15s 0x%-16x %s%n",
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
                return PacketCodec.toHex("breakpoints and watchpoints apply to "
                        + (scope.isEmpty() ? "every task" : String.join(", ", scope)) + "\n");
            }
            default -> {
                return PacketCodec.toHex("unknown monitor command '" + PacketCodec.abbreviate(cmd) + "'\n" + HELP);
            }
        }
    }
}
