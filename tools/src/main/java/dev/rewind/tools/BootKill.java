package dev.rewind.tools;

import dev.rewind.kernel.Fault;
import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.KernelProbe;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.TaskSpec;
import dev.rewind.kernel.probe.RequestStrike;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code rewind boot --kill TASK@REQUEST[:INSTRUCTION]}: fault a server of a running system in
 * the middle of its REQUEST-th request (counting every request it is handed, from 1), at its
 * INSTRUCTION-th instruction of that request (default 1), with an ABORT ("killed by --kill"),
 * so that a user sees its recovery policy at work while the system runs as usual (a host client
 * on a forwarded port, a console session). The striking is {@link RequestStrike}'s, as for
 * {@code rewind survival}; one {@link Strike} per task and instruction, all behind one probe.
 */
final class BootKill implements KernelProbe {
    /** One task's strikes. */
    static final class Strike extends RequestStrike {
        final String task;
        final long instruction;
        final TreeSet<Integer> requests = new TreeSet<>();
        final List<Integer> struck = new ArrayList<>();

        Strike(String task, long instruction) {
            super(task, instruction);
            this.task = task;
            this.instruction = instruction;
        }

        @Override
        protected boolean strikes(int request) {
            return requests.contains(request);
        }

        @Override
        protected void reached(int request) {
            struck.add(request);
        }

        @Override
        protected Fault strike(Task t, int request) {
            return new Fault(
                    FaultKind.ABORT,
                    t.pc(),
                    0,
                    t.image().describe(t.pc()),
                    "killed by --kill " + task + "@" + request + (instruction == 1 ? "" : ":" + instruction));
        }
    }

    private final List<Strike> strikes = new ArrayList<>();

    /**
     * Parse the {@code --kill} values against the system's manifest: each names a task that
     * serves an endpoint (only a server is handed requests), a request number from 1 and an
     * instruction from 1; a request of a task at most once. One {@link Strike} per task and
     * instruction (each counts the task's requests itself).
     */
    static BootKill parse(List<String> values, Manifest m) {
        BootKill k = new BootKill();
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
            if (k.strikes.stream().anyMatch(x -> x.task.equals(name) && x.requests.contains(request))) {
                throw new IllegalArgumentException(
                        "--kill " + Printable.escape(v) + ": " + name + "'s request " + request + " is given twice");
            }
            Strike s = k.strikes.stream()
                    .filter(x -> x.task.equals(name) && x.instruction == instruction)
                    .findFirst()
                    .orElse(null);
            if (s == null) {
                s = new Strike(name, instruction);
                k.strikes.add(s);
            }
            s.requests.add(request);
        }
        return k;
    }

    /** One line per task on what was struck and what was not (the request came too late or ended first). */
    List<String> summary() {
        List<String> lines = new ArrayList<>();
        for (Strike s : strikes) {
            List<Integer> missed = new ArrayList<>(s.requests);
            missed.removeAll(s.struck);
            if (missed.isEmpty()) {
                continue;
            }
            lines.add("--kill: task " + s.task + " was not struck in request" + (missed.size() == 1 ? " " : "s ")
                    + missed + ": it was handed " + s.delivered() + " request" + (s.delivered() == 1 ? "" : "s")
                    + (s.delivered() >= missed.get(0)
                            ? ", and a request ended before its instruction " + s.instruction
                            : ""));
        }
        return lines;
    }

    @Override
    public void requestDelivered(Task server) {
        for (Strike s : strikes) {
            s.requestDelivered(server);
        }
    }

    @Override
    public void replied(Task server) {
        for (Strike s : strikes) {
            s.replied(server);
        }
    }

    @Override
    public Fault stopped(Task task) {
        for (Strike s : strikes) {
            Fault f = s.stopped(task);
            if (f != null) {
                return f;
            }
        }
        return null;
    }
}
