package dev.rewind.tools.inject;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.BootException;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.KernelObserver;
import dev.rewind.kernel.RecoveryOutcome;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.RecoveryPolicy;
import dev.rewind.kernel.image.TaskSpec;
import dev.rewind.kernel.probe.FaultInjector;
import dev.rewind.kernel.probe.InstructionProfiler;
import dev.rewind.tools.disk.FreshDisks;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A fault-injection campaign: one image, one server, one recovery policy, N injections, each
 * a fresh boot with one fault planned from its own seed.
 */
public final class Campaign {
    /** What happened in one injection run. */
    public record Run(
            long seed,
            FaultInjector.Type type,
            int request,
            long instruction,
            boolean activated,
            boolean manifested,
            String manifestation,
            Verdict verdict,
            String detail,
            String what) {}

    /**
     * recovered: the fault manifested and the system still ended normally with every client
     * check passing; failed: it manifested and the system did not end normally; silent: no
     * trap, yet a client check failed; benign: no trap and every check passed.
     */
    public enum Verdict {
        RECOVERED,
        FAILED,
        SILENT,
        BENIGN
    }

    private final SystemImage image;
    private final Manifest manifest;
    /** The profiling run's manifest: the server without a policy or hang limits. */
    private final Manifest original;

    private final String server;
    private final KernelConfig config;
    private long[] lengths;

    /**
     * @param hangMs CPU time after which a hung server is faulted: txipc's request deadline, or
     *               the runaway limit under none and restart
     */
    public Campaign(SystemImage image, String server, RecoveryPolicy policy, long hangMs, KernelConfig config) {
        this(image, server, policy, hangMs, -1, config);
    }

    /**
     * As above, with the server's txipc {@code replay_depth} set to {@code replayDepth} (-1:
     * as its manifest says).
     */
    public Campaign(
            SystemImage image,
            String server,
            RecoveryPolicy policy,
            long hangMs,
            int replayDepth,
            KernelConfig config) {
        this.image = new SystemImage(image.manifest(), image.source().cached(), image.location());
        this.server = server;
        this.config = config;
        Manifest m = image.manifest();
        if (m.task(server).isEmpty()) {
            throw new IllegalArgumentException("image " + image.location() + " has no task '" + server + "' (tasks: "
                    + String.join(", ", m.tasks().stream().map(TaskSpec::name).toList()) + ")");
        }
        List<TaskSpec> tasks = new ArrayList<>();
        for (TaskSpec t : m.tasks()) {
            if (t.name().equals(server)) {
                TaskSpec.TxipcLimits tx = new TaskSpec.TxipcLimits(
                        hangMs,
                        1000,
                        1000,
                        replayDepth >= 0 ? replayDepth : t.txipc().replayDepth());
                long runaway = policy == RecoveryPolicy.TXIPC ? t.runawayMs() : hangMs;
                if (policy == RecoveryPolicy.SHADOW && t.shadow() == null) {
                    throw new IllegalArgumentException(
                            "task '" + server + "' has no shadow class: policy shadow needs a"
                                    + " driver whose manifest says recovery = \"shadow\" and shadow = \"block\" or \"char\"");
                }
                t = new TaskSpec(
                        t.name(),
                        t.image(),
                        t.priority(),
                        t.stackBytes(),
                        t.heapBytes(),
                        t.serves(),
                        t.uses(),
                        t.notifications(),
                        policy,
                        runaway,
                        tx,
                        t.line(),
                        t.devices(),
                        policy == RecoveryPolicy.SHADOW ? t.shadow() : null);
            }
            tasks.add(t);
        }
        this.manifest = m.withTasks(tasks);
        List<TaskSpec> plain = new ArrayList<>();
        for (TaskSpec t : m.tasks()) {
            if (t.name().equals(server)) {
                t = new TaskSpec(
                        t.name(),
                        t.image(),
                        t.priority(),
                        t.stackBytes(),
                        t.heapBytes(),
                        t.serves(),
                        t.uses(),
                        t.notifications(),
                        RecoveryPolicy.NONE,
                        0,
                        TaskSpec.TxipcLimits.DEFAULT,
                        t.line(),
                        t.devices(),
                        null);
            }
            plain.add(t);
        }
        this.original = m.withTasks(plain);
    }

    /** Boot once without faults, counting the server's instructions per request. */
    public long[] profile() throws BootException {
        InstructionProfiler p = new InstructionProfiler(server);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // The profiler's per-instruction hook slows the server a hundredfold: run it without the
        // campaign's hang limits, which would take the slowness for a hang.
        try (FreshDisks disks = new FreshDisks(original, config);
                Kernel k = new Kernel(disks.config(), original, image.source(), new Uart(out), null)) {
            k.setProbe(p);
            SystemResult r = k.run();
            if (r.outcome() != SystemResult.Outcome.OK) {
                // The image is unusable for a campaign: bad input (exit 2), in one line.
                throw new IllegalArgumentException("the workload of " + image.location() + " fails without any injected"
                        + " fault (" + r.summary() + "); its last console line: "
                        + dev.rewind.tools.Printable.escape(lastLine(out.toString(StandardCharsets.UTF_8))));
            }
        }
        lengths = p.lengths();
        if (lengths.length == 0) {
            throw new IllegalArgumentException("server '" + server + "' handled no requests: nothing to inject into");
        }
        return lengths;
    }

    /** One injection, fully determined by {@code seed}. */
    public Run inject(long seed, List<FaultInjector.Type> types) throws BootException {
        FaultInjector.Plan plan = FaultInjector.Plan.of(seed, types, server, lengths);
        FaultInjector inj = new FaultInjector(plan);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> faults = new ArrayList<>();
        List<String> replays = new ArrayList<>();
        KernelObserver obs = new KernelObserver() {
            @Override
            public void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {
                faults.add(task.name() + ": " + fault.kind().name().toLowerCase() + " -> " + outcome);
            }

            @Override
            public void historyReplayed(Task task, int requests, int pages, int differed, long nanos) {
                replays.add(String.format(
                        "%s replayed %d committed request%s%s",
                        task.name(),
                        requests,
                        requests == 1 ? "" : "s",
                        differed == 0 ? "" : ", " + differed + " of whose replies differed"));
            }
        };
        SystemResult r;
        try (FreshDisks disks = new FreshDisks(manifest, config);
                Kernel k = new Kernel(disks.config(), manifest, image.source(), new Uart(out), obs)) {
            k.setProbe(inj);
            r = k.run();
        }
        boolean hang = r.outcome() == SystemResult.Outcome.BUDGET_EXCEEDED;
        boolean manifested = !faults.isEmpty() || hang;
        boolean ok = r.outcome() == SystemResult.Outcome.OK;
        Verdict v = manifested ? (ok ? Verdict.RECOVERED : Verdict.FAILED) : (ok ? Verdict.BENIGN : Verdict.SILENT);
        String manifestation = hang ? "hang" : faults.isEmpty() ? "" : faults.get(0);
        if (faults.size() > 1) {
            manifestation += " [" + faults.size() + " faults in all]";
        }
        for (String rp : replays) {
            manifestation += " [" + rp + "]";
        }
        String detail = ok
                ? ""
                : r.summary() + " | " + dev.rewind.hw.GuestText.escape(lastLine(out.toString(StandardCharsets.UTF_8)));
        return new Run(
                seed,
                plan.type(),
                plan.request(),
                plan.instruction(),
                inj.activated(),
                manifested,
                manifestation,
                v,
                detail,
                inj.description());
    }

    private static String lastLine(String console) {
        String[] lines = console.strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].contains("FAIL")) {
                return lines[i].strip();
            }
        }
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }

    /** Run injections for seeds first..first+n-1 on {@code jobs} threads, in seed order. */
    public List<Run> run(long first, int n, List<FaultInjector.Type> types, int jobs) throws Exception {
        if (lengths == null) {
            profile();
        }
        ExecutorService pool = Executors.newFixedThreadPool(jobs, r -> {
            Thread t = new Thread(r, "rewind-inject");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Run>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long seed = first + i;
                futures.add(pool.submit(() -> inject(seed, types)));
            }
            List<Run> runs = new ArrayList<>();
            for (Future<Run> f : futures) {
                runs.add(f.get());
            }
            return runs;
        } finally {
            pool.shutdownNow();
        }
    }
}
