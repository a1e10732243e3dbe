package dev.rewind.tools;

import dev.rewind.kernel.Fault;
import dev.rewind.kernel.KernelProbe;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.TaskSpec;
import dev.rewind.kernel.probe.DriverKiller;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code rewind boot --kill TASK@REQUEST[:INSTRUCTION]}: fault a server of a running system in
 * the middle of its REQUEST-th request (counting every request it is handed, from 1), at its
 * INSTRUCTION-th instruction of that request (default 1), with an ABORT ("killed by --kill"),
 * so that a user sees its recovery policy at work while the system runs as usual (a host client
 * on a forwarded port, a console session). The striking is {@link DriverKiller}'s, as for
 * {@code rewind survival}: one per task and instruction, all behind one probe. A suite case's
 * {@code kill} lines do the same under {@code rewind test}.
 */
public final class BootKill implements KernelProbe {
    /** One task's strikes at one instruction. */
    private record Strike(String task, long instruction, TreeSet<Integer> requests, DriverKiller killer) {}

    private final List<Strike> strikes = new ArrayList<>();

    /**
     * Parse the {@code --kill} values against the system's manifest: each names a task that
     * serves an endpoint (only a server is handed requests), a request number from 1 and an
     * instruction from 1; a request of a task at most once.
     */
    public static BootKill parse(List<String> values, Manifest m) {
        java.util.Map<String, java.util.Map<Long, TreeSet<Integer>>> plan = new java.util.LinkedHashMap<>();
        for (String v : values) {
            java.util.regex.Matcher mt = java.util.regex.Pattern.compile("([^@]+)@(\\d{1,9})(?::(\\d{1,12}))?")
                    .matcher(v);
            if (!mt.matches()) {
                throw new IllegalArgumentException("--kill " + Printable.escape(v)
                        + ": write TASK@REQUEST[:INSTRUCTION], e.g. --kill kv@100 (kv's 100th request, at its"
                        + " first instruction) or --kill blk@20:40");
            }
            String name = mt.group(1);
            int request = Integer.parseInt(mt.group(2));
            long instruction = mt.group(3) == null ? 1 : Long.parseLong(mt.group(3));
            TaskSpec spec = m.tasks().stream()
                    .filter(t -> t.name().equals(name))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--kill " + Printable.escape(v) + ": system '"
                            + m.name() + "' has no task '" + Printable.escape(name) + "' (tasks: "
                            + String.join(
                                    ", ", m.tasks().stream().map(TaskSpec::name).toList())
                            + ")"));
            if (spec.serves().isEmpty()) {
                throw new IllegalArgumentException("--kill " + Printable.escape(v) + ": task '" + name
                        + "' serves no endpoint, so it is never handed a request (--kill strikes a server)");
            }
            if (request < 1 || instruction < 1) {
                throw new IllegalArgumentException(
                        "--kill " + Printable.escape(v) + ": the request and the instruction count from 1");
            }
            java.util.Map<Long, TreeSet<Integer>> byInstruction =
                    plan.computeIfAbsent(name, x -> new java.util.LinkedHashMap<>());
            if (byInstruction.values().stream().anyMatch(r -> r.contains(request))) {
                throw new IllegalArgumentException(
                        "--kill " + Printable.escape(v) + ": " + name + "'s request " + request + " is given twice");
            }
            byInstruction.computeIfAbsent(instruction, x -> new TreeSet<>()).add(request);
        }
        BootKill k = new BootKill();
        plan.forEach((name, byInstruction) -> byInstruction.forEach((instruction, requests) -> {
            java.util.function.IntFunction<String> detail =
                    r -> "killed by --kill " + name + "@" + r + (instruction == 1 ? "" : ":" + instruction);
            k.strikes.add(
                    new Strike(name, instruction, requests, new DriverKiller(name, instruction, detail, requests)));
        }));
        return k;
    }

    /** One line per task and instruction on the strikes that never came (too few requests, or one ended first). */
    public List<String> summary() {
        List<String> lines = new ArrayList<>();
        for (Strike s : strikes) {
            List<Integer> missed = new ArrayList<>(s.requests());
            missed.removeAll(s.killer().struck());
            if (missed.isEmpty()) {
                continue;
            }
            int delivered = s.killer().delivered();
            lines.add("--kill: task " + s.task() + " was not struck in request" + (missed.size() == 1 ? " " : "s ")
                    + missed + ": it was handed " + delivered + " request" + (delivered == 1 ? "" : "s")
                    + (delivered >= missed.get(0)
                            ? ", and a request ended before its instruction " + s.instruction()
                            : ""));
        }
        return lines;
    }

    @Override
    public void requestDelivered(Task server) {
        for (Strike s : strikes) {
            s.killer().requestDelivered(server);
        }
    }

    @Override
    public void replied(Task server) {
        for (Strike s : strikes) {
            s.killer().replied(server);
        }
    }

    @Override
    public void replyHeld(Task server) {
        for (Strike s : strikes) {
            s.killer().replyHeld(server);
        }
    }

    @Override
    public Fault stopped(Task task) {
        for (Strike s : strikes) {
            Fault f = s.killer().stopped(task);
            if (f != null) {
                return f;
            }
        }
        return null;
    }
}
