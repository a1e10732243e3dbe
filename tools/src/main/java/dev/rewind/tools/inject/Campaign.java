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
import dev.rewind.kernel.probe.RequestStrike;
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
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Campaign.class);

    /**
     * What happened in one injection run.
     *
     * @param falseDetections faults the kernel reported before the injected fault was activated
     *                        (or in a run where it never was): detections of nothing
     * @param wrongReplies    replies a history replay found to differ from what their clients
     *                        had been told (wrong results delivered, found late)
     * @param recoveryNanos   how long the kernel took to restore the server's service after the
     *                        injected fault, as its recovery reported it (a rollback, a rollback and
     *                        the history replay it started, a shadow driver's recovery; summed over
     *                        the faults of the run), or -1 if no recovery reported a time (none
     *                        happened, or a restart, which reports none)
     * @param replayed        committed requests the server's history replays re-ran in this run
     *                        (0 if no replay happened)
     */
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
            String what,
            int falseDetections,
            int wrongReplies,
            int verifyCaught,
            long recoveryNanos,
            int replayed) {}

    /**
     * How one run ended, strictest first:
     * <ul>
     *   <li>recovered: the fault was activated and manifested (a trap, an abort, a hang, or under
     *       {@code verify = "dual"} two runs of a request that disagreed followed it), and the system still ended normally with every client check passing and no
     *       client ever given a wrong reply;
     *   <li>wrong reply: as recovered, but a history replay showed that replies given to clients
     *       before the detection were wrong (a detected corruption of earlier replies);
     *   <li>failed: it manifested and the system did not end normally (a hang without a trap,
     *       a deadlock included, is a failure);
     *   <li>silent: activated, no trap, and a client check failed: wrong results delivered;
     *   <li>false detection: the kernel reported a fault although nothing had been activated;
     *   <li>benign: nothing manifested and every check passed.
     * </ul>
     */
    public enum Verdict {
        RECOVERED,
        WRONG_REPLY,
        FAILED,
        SILENT,
        FALSE_DETECTION,
        BENIGN
    }

    /** The verdict of a run from what was observed in it (see {@link Verdict}). */
    static Verdict classify(
            boolean activated,
            int faultsAfterActivation,
            int faultsBefore,
            boolean hang,
            boolean ok,
            int wrongReplies) {
        return classify(activated, faultsAfterActivation, faultsBefore, hang, ok, wrongReplies, 0);
    }

    /** As above; {@code verifyCaught}: mismatches verification found after activation (a detection). */
    static Verdict classify(
            boolean activated,
            int faultsAfterActivation,
            int faultsBefore,
            boolean hang,
            boolean ok,
            int wrongReplies,
            int verifyCaught) {
        if (!activated) {
            if (faultsBefore > 0 || faultsAfterActivation > 0 || hang || verifyCaught > 0) {
                return Verdict.FALSE_DETECTION;
            }
            return ok ? Verdict.BENIGN : Verdict.FAILED; // (a failure without any fault: the workload itself)
        }
        boolean manifested = faultsAfterActivation > 0 || hang || verifyCaught > 0;
        if (manifested) {
            return !ok ? Verdict.FAILED : wrongReplies > 0 ? Verdict.WRONG_REPLY : Verdict.RECOVERED;
        }
        if (!ok) {
            return Verdict.SILENT;
        }
        return faultsBefore > 0 ? Verdict.FALSE_DETECTION : Verdict.BENIGN;
    }

    private final SystemImage image;
    private final Manifest manifest;
    /** The profiling run's manifest: the server without a policy or hang limits. */
    private final Manifest original;

    private final String server;
    private final KernelConfig config;
    private long[] lengths;
    /** Instructions after each reply of the profiling boot (for {@link RequestStrike.Window#AFTER_REPLY}). */
    private long[] gaps;

    private RequestStrike.Window window = RequestStrike.Window.REQUEST;
    /** Every boot's input ({@link #input}); null: none. */
    private byte[] input;

    /**
     * @param hangMs CPU time after which a hung server is faulted: txipc's request deadline, or
     *               the runaway limit under none and restart
     */
    public Campaign(SystemImage image, String server, RecoveryPolicy policy, long hangMs, KernelConfig config) {
        this(image, server, policy, hangMs, -1, false, config);
    }

    /**
     * Every boot's input: {@code data} waits in the image's console UART when it starts and the
     * input ends after it (with no UART: its programs' stdin), all of it before the boot begins,
     * so that every boot sees the same. Null (the default): a UART's input never ends and a
     * program's stdin is empty. Set before {@link #profile}.
     */
    public Campaign input(byte[] data) {
        this.input = data == null ? null : data.clone();
        return this;
    }

    /** Give {@code k} the campaign's input (see {@link #input(byte[])}). */
    private void feed(Kernel k) {
        if (input == null) {
            return;
        }
        dev.rewind.hw.dev.UartDevice u = k.consoleUart();
        if (u != null) {
            u.input(input, 0, input.length); // (never blocks: the inbox is empty)
            u.closeInput();
        } else {
            k.setConsoleInput(dev.rewind.kernel.ConsoleInput.of(input));
        }
    }

    /**
     * Where faults strike: in {@link RequestStrike.Window#REQUEST} (the default) between a
     * request's delivery and the server's reply, in {@link RequestStrike.Window#AFTER_REPLY} in what
     * it runs after a reply until its next request. Set before {@link #profile}.
     */
    public Campaign window(RequestStrike.Window w) {
        this.window = w;
        return this;
    }

    /**
     * As above, with the server's txipc {@code replay_depth} set to {@code replayDepth} (-1:
     * as its manifest says). The server's escalation (txipc {@code max_aborts} within
     * {@code abort_window_ms}) is its manifest's, or with {@code noEscalation} effectively off
     * (1000 aborts a second), to measure the mechanism alone.
     */
    public Campaign(
            SystemImage image,
            String server,
            RecoveryPolicy policy,
            long hangMs,
            int replayDepth,
            boolean noEscalation,
            KernelConfig config) {
        this(image, server, policy, hangMs, replayDepth, noEscalation, false, config);
    }

    /**
     * As above, with {@code verifyDual}: the server runs under txipc with {@code verify =
     * "dual"} (each request run twice and compared), whatever its manifest says.
     */
    public Campaign(
            SystemImage image,
            String server,
            RecoveryPolicy policy,
            long hangMs,
            int replayDepth,
            boolean noEscalation,
            boolean verifyDual,
            KernelConfig config) {
        this(image, server, policy, hangMs, replayDepth, noEscalation, verifyDual ? "dual" : null, config);
    }

    /**
     * As above, with {@code verify} the server's txipc verification: {@code "dual"},
     * {@code "refusals"} or {@code "none"} whatever its manifest says, or null for the
     * manifest's.
     */
    public Campaign(
            SystemImage image,
            String server,
            RecoveryPolicy policy,
            long hangMs,
            int replayDepth,
            boolean noEscalation,
            String verify,
            KernelConfig config) {
        if (verify != null && !TaskSpec.TxipcLimits.VERIFY_MODES.contains(verify)) {
            throw new IllegalArgumentException("verification must be dual, errors, refusals or none, not " + verify);
        }
        if (verify != null && policy != RecoveryPolicy.TXIPC) {
            throw new IllegalArgumentException("verification (verify = \"" + verify + "\") needs the txipc policy");
        }
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
                        noEscalation ? 1000 : t.txipc().maxAborts(),
                        noEscalation ? 1000 : t.txipc().abortWindowMs(),
                        replayDepth >= 0 ? replayDepth : t.txipc().replayDepth(),
                        verify == null ? t.txipc().verifyDual() : verify.equals("dual"),
                        t.txipc().scrub(), // (as the manifest says)
                        t.txipc().codeCheck(),
                        t.txipc().keepCopy(),
                        t.txipc().repeatableCalls(),
                        verify == null ? t.txipc().verifyRefusals() : !verify.equals("none"),
                        verify == null ? t.txipc().verifyErrors() : verify.equals("errors"),
                        t.txipc().refusals());
                long runaway = policy == RecoveryPolicy.TXIPC ? t.runawayMs() : hangMs;
                if (policy == RecoveryPolicy.SHADOW && t.shadow() == null) {
                    throw new IllegalArgumentException(
                            "task '" + server + "' has no shadow class: policy shadow needs a"
                                    + " driver whose manifest says recovery = \"shadow\" and shadow = \"block\", \"char\" or \"net\"");
                }
                if (policy == RecoveryPolicy.TXIPC) {
                    for (dev.rewind.kernel.image.DeviceSpec d : m.devices()) {
                        String problem = t.devices().contains(d.name()) ? d.txipcProblem(server) : null;
                        if (problem != null) {
                            throw new IllegalArgumentException(problem + " (--policy txipc)");
                        }
                    }
                }
                t = t.withRecovery(policy, runaway, tx);
            }
            tasks.add(t);
        }
        this.manifest = m.withTasks(tasks);
        List<TaskSpec> plain = new ArrayList<>();
        for (TaskSpec t : m.tasks()) {
            if (t.name().equals(server)) {
                t = t.withRecovery(RecoveryPolicy.NONE, 0, TaskSpec.TxipcLimits.DEFAULT);
            }
            plain.add(t);
        }
        this.original = m.withTasks(plain);
    }

    /**
     * How many times a plain fault-free boot's wall time the profiling boot may take. Its
     * per-instruction hook (native since 2026-12-04: a few ns an instruction; a call into Java,
     * ~0.5 us, before) slows the server's code: t_heap 0.11 s plain, 0.35 s profiled (43 s with
     * the hook into Java). A generous bound: what it guards against is a workload that never ends.
     */
    static final int PROFILE_SLOWDOWN = 3000;

    /**
     * The profiling boot's time budget: {@code slowdown} times the reference boot's
     * {@code referenceNanos}, at least the budget of every boot ({@code budgetNanos}); 0 (none)
     * if the boots have none.
     */
    static long profileBudget(long budgetNanos, long referenceNanos, int slowdown) {
        if (budgetNanos <= 0) {
            return 0;
        }
        long scaled = referenceNanos > Long.MAX_VALUE / slowdown ? Long.MAX_VALUE : referenceNanos * slowdown;
        return Math.max(budgetNanos, scaled);
    }

    /** The wall time of the fault-free reference boot {@link #profile} made, in ns (-1 before it). */
    private long referenceNanos = -1;

    /** Requests the server answered in the fault-free reference boot of {@link #profile}; -1 if it made none. */
    private int referenceRequests = -1;

    /** Who sent each request of that boot and its label, in order; null if it made none. */
    private List<String> referenceOrder;

    /** The same of the profiling boot. */
    private List<String> profiledOrder = List.of();

    /** Counts the requests {@code server} answers, as {@link InstructionProfiler} does. */
    private static final class RequestCounter implements dev.rewind.kernel.KernelProbe {
        private final String server;
        private boolean open;
        int answered;
        final List<String> order = new ArrayList<>();

        RequestCounter(String server) {
            this.server = server;
        }

        @Override
        public void requestDelivered(Task t) {
            if (t.name().equals(server)) {
                open = true;
                order.add(String.valueOf(t.requestFrom()));
            }
        }

        @Override
        public void replied(Task t) {
            if (t.name().equals(server) && open) {
                answered++;
                open = false;
            }
        }
    }

    /**
     * Boot once without faults, counting the server's instructions per request. With a time
     * budget per boot, a plain fault-free boot comes first (the reference): it must end within
     * the budget, and the profiling boot may take {@link #PROFILE_SLOWDOWN} times as long.
     */
    public long[] profile() throws BootException {
        return profile(PROFILE_SLOWDOWN);
    }

    /** As {@link #profile()}, the profiling boot allowed {@code slowdown} times the reference boot's time. */
    long[] profile(int slowdown) throws BootException {
        long budget = config.budgetNanos();
        if (budget > 0) {
            log.info("{}: a plain fault-free boot (the reference for the profile's time limit)", image.location());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (FreshDisks disks = new FreshDisks(original, config, true);
                    Kernel k = new Kernel(disks.config(), original, image.source(), new Uart(out), null)) {
                k.setCountedSlices(true);
                feed(k);
                RequestCounter counter = new RequestCounter(server);
                k.setProbe(counter);
                SystemResult r = k.run();
                referenceRequests = counter.answered;
                referenceOrder = counter.order;
                if (r.outcome() != SystemResult.Outcome.OK) {
                    throw new IllegalArgumentException(
                            "the workload of " + image.location() + " fails without any injected fault in a plain"
                                    + " fault-free boot (the reference boot before profiling): "
                                    + (r.outcome() == SystemResult.Outcome.BUDGET_EXCEEDED
                                            ? "it ran past the limit of each boot, " + seconds(budget)
                                                    + " (--timeout DURATION raises it): "
                                            : "")
                                    + r.summary() + consoleNote(out)
                                    + (input == null
                                                    && k.consoleUart() != null
                                                    && r.outcome() == SystemResult.Outcome.BUDGET_EXCEEDED
                                            ? "; a UART's input never ends in a campaign without --input FILE (if"
                                                    + " the workload reads it to its end)"
                                            : ""));
                }
                referenceNanos = r.nanos();
            }
        }
        long profileBudget = profileBudget(budget, referenceNanos, slowdown);
        InstructionProfiler p = new InstructionProfiler(server);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        log.info(
                "{}: the profiling boot (fault-free, counting {}'s instructions per request)",
                image.location(),
                server);
        // The profiler's per-instruction hook slows the server: run it without the
        // campaign's hang limits, which would take the slowness for a hang, and with a budget
        // scaled to the reference boot.
        try (FreshDisks disks = new FreshDisks(original, config.withBudgetNanos(profileBudget), true);
                Kernel k = new Kernel(disks.config(), original, image.source(), new Uart(out), null)) {
            k.setCountedSlices(true);
            feed(k);
            k.setProbe(p);
            SystemResult r = k.run();
            p.finish();
            if (r.outcome() == SystemResult.Outcome.BUDGET_EXCEEDED) {
                throw new IllegalArgumentException(
                        profileOverrun(image.location(), profileBudget, slowdown, referenceNanos, budget)
                                + r.summary()
                                + consoleNote(out));
            }
            if (r.outcome() != SystemResult.Outcome.OK) {
                // The image is unusable for a campaign: bad input (exit 2), in one line.
                throw new IllegalArgumentException("the workload of " + image.location() + " fails without any injected"
                        + " fault in the profiling boot (fault-free, counting the server's instructions per request): "
                        + r.summary() + consoleNote(out));
            }
        }
        lengths = p.lengths();
        gaps = p.gaps();
        profiledOrder = p.requests();
        if (lengths.length == 0) {
            throw new IllegalArgumentException("server '" + server + "' handled no requests: nothing to inject into");
        }
        if (window == RequestStrike.Window.AFTER_REPLY) {
            FaultInjector.Plan.after(0, FaultInjector.Type.DEFAULTS, server, gaps); // (a server with none: said now)
        }
        return lengths;
    }

    /** Requests the server answered in the plain fault-free boot before the profile; -1 if none was made. */
    public int referenceRequests() {
        return referenceRequests;
    }

    /**
     * The warning for a workload whose two fault-free boots of {@link #profile} differ: in how
     * many requests the server answered, or in who sent them in which order; null if they agree.
     */
    public String nondeterminism() {
        String counts = nondeterministic(image.location().toString(), server, referenceRequests, lengths.length);
        return counts != null || referenceOrder == null
                ? counts
                : nondeterministic(image.location().toString(), server, referenceOrder, profiledOrder);
    }

    /**
     * The warning for a workload whose two fault-free boots made its server answer the same number
     * of requests, {@code reference} and {@code profiled} (who sent each and its label), but not
     * the same ones in the same order: clients whose calls interleave as the host's timing falls
     * (a client that sleeps while others call). Null if they agree.
     */
    static String nondeterministic(String location, String server, List<String> reference, List<String> profiled) {
        int n = Math.min(reference.size(), profiled.size());
        for (int i = 0; i < n; i++) {
            if (!reference.get(i).equals(profiled.get(i))) {
                return "the workload of " + location + " is not deterministic: server " + server + "'s request "
                        + (i + 1) + " (of " + reference.size() + ") came from " + reference.get(i)
                        + " in one fault-free boot and from " + profiled.get(i) + " in the next. A seed names a"
                        + " request and an instruction of the profiling boot, so its injection strikes another request"
                        + " in other boots, and 'replay one run' (--verbose, --report) need not repeat a run. Clients"
                        + " whose calls interleave as the host's timing falls (one that sleeps while others call) do"
                        + " this: give them distinct priorities and no sleeps (docs/RECOVERY.md)";
            }
        }
        return null;
    }

    /**
     * The warning for a workload whose two fault-free boots (the reference, the profile) made the
     * server answer {@code reference} and {@code profiled} requests; null if they agree (or no
     * reference boot was made).
     */
    static String nondeterministic(String location, String server, int reference, int profiled) {
        if (reference < 0 || reference == profiled) {
            return null;
        }
        return "the workload of " + location + " is not deterministic: server " + server + " answered " + reference
                + " requests in one fault-free boot and " + profiled + " in the next. A seed names a request and an"
                + " instruction of the profiling boot, so its injection strikes elsewhere in other boots (or not at"
                + " all: not activated), and 'replay one run' (--verbose, --report) need not repeat a run. A network"
                + " workload, whose frames come with the host's timing, is never the same twice (docs/RECOVERY.md)";
    }

    /** The start of the message for a profiling boot that ran past {@code profileBudget}. */
    static String profileOverrun(String location, long profileBudget, int slowdown, long referenceNanos, long budget) {
        return "the profiling boot of " + location + " (fault-free, counting the server's instructions per request,"
                + " several times slower than a plain boot) ran past its limit of " + seconds(profileBudget) + " ("
                + slowdown + " times the " + seconds(referenceNanos) + " of a plain fault-free boot, at least the "
                + seconds(budget) + " limit of each boot; --timeout DURATION raises both): ";
    }

    /** The wall time of the fault-free reference boot of {@link #profile}, in ns; -1 if it made none. */
    public long referenceNanos() {
        return referenceNanos;
    }

    /** "; its console: LINE" (its FAIL lines, or its last line), or nothing if the boot printed nothing. */
    private static String consoleNote(ByteArrayOutputStream out) {
        String line = failLines(out.toString(StandardCharsets.UTF_8));
        return line.isEmpty() ? "" : "; its console: " + dev.rewind.tools.Printable.escape(line);
    }

    /** {@code nanos} as seconds for a message: "20 s", "0.263 s". */
    static String seconds(long nanos) {
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + " s";
        }
        return String.format(java.util.Locale.ROOT, nanos < 10_000_000_000L ? "%.3f s" : "%.1f s", nanos / 1e9);
    }

    /** With a [HOST:]PORT: each run serves gdb there (rewind inject --gdb); null: none. */
    private String gdb;
    /** Where the stub's lines and the strike's go (rewind's stderr). */
    private java.io.PrintStream gdbErr = System.err;

    /**
     * Run the injections under gdb at {@code spec} ([HOST:]PORT; null: none), halting before each
     * strike; the stub's lines ("listening on ...") and what each strike did go to {@code err}.
     */
    public Campaign gdb(String spec, java.io.PrintStream err) {
        this.gdb = spec;
        this.gdbErr = err;
        return this;
    }

    /** One injection, fully determined by {@code seed}. */
    public Run inject(long seed, List<FaultInjector.Type> types) throws BootException {
        return run(seed, types, false);
    }

    /**
     * A fault-free run (the same boot with nothing injected): any fault the kernel reports is a
     * false detection.
     */
    public Run faultFree(long seed) throws BootException {
        return run(seed, FaultInjector.Type.DEFAULTS, true);
    }

    private Run run(long seed, List<FaultInjector.Type> types, boolean faultFree) throws BootException {
        FaultInjector.Plan plan = window == RequestStrike.Window.AFTER_REPLY && !faultFree
                ? FaultInjector.Plan.after(seed, types, server, gaps)
                : FaultInjector.Plan.of(seed, types, server, lengths);
        FaultInjector inj = faultFree ? null : new FaultInjector(plan);
        if (log.isInfoEnabled()) {
            log.info(
                    "seed {}: {}",
                    seed,
                    faultFree ? "a fault-free run" : plan.type().label() + " planned at " + plan.where());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> faults = new ArrayList<>();
        List<String> early = new ArrayList<>();
        List<String> replays = new ArrayList<>();
        int[] wrong = {0};
        int[] caught = {0};
        int[] replayed = {0};
        // Recovery time: a rollback's time, replaced by the history replay it started (whose
        // time counts from the same abort), plus each driver recovery; -1 while none reported.
        long[] recovery = {-1, -1}; // {closed total, the open rollback}
        KernelObserver obs = new KernelObserver() {
            // The campaign reports every fault and its recovery itself (verdicts, --verbose, the
            // result files): the kernel and the policies log them at DEBUG, not WARN lines on stderr.
            @Override
            public boolean reportsFaults() {
                return true;
            }

            @Override
            public boolean reportsRecoveries() {
                return true;
            }

            @Override
            public void verifyMismatch(Task task, long badge, long label, boolean decided) {
                if (inj != null && inj.activated()) {
                    caught[0]++;
                } else {
                    early.add(task.name() + ": verification mismatch before activation");
                }
            }

            @Override
            public void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {
                // Without the rollback's measured time: a run's text is the same every time it runs.
                String line = task.name() + ": " + fault.kind().name().toLowerCase() + " -> "
                        + (outcome instanceof RecoveryOutcome.RolledBack rb ? rb.describe(false) : outcome);
                (inj != null && inj.activated() ? faults : early).add(line);
            }

            @Override
            public void taskRecovered(Task task, Fault fault, long badge, int pages, long nanos) {
                close(recovery);
                recovery[1] = nanos;
            }

            @Override
            public void driverRecovered(Task driver, Fault fault, int replayed, int reissued, int held, long nanos) {
                close(recovery);
                recovery[0] = Math.max(recovery[0], 0) + nanos;
            }

            @Override
            public void historyReplayed(Task task, int requests, int pages, int differed, long nanos) {
                recovery[1] = nanos;
                replayed[0] += requests;
                wrong[0] += differed;
                replays.add(String.format(
                        "%s replayed %d committed request%s%s",
                        task.name(),
                        requests,
                        requests == 1 ? "" : "s",
                        differed == 0 ? "" : ", " + differed + " of whose replies differed"));
            }
        };
        SystemResult r;
        try (FreshDisks disks = new FreshDisks(manifest, config, true);
                Kernel k = new Kernel(disks.config(), manifest, image.source(), new Uart(out), obs)) {
            k.setCountedSlices(true);
            feed(k);
            if (inj != null) {
                k.setProbe(inj);
            }
            if (gdb == null) {
                r = k.run();
            } else {
                // rewind inject --gdb: the system waits for gdb, and halts where the fault strikes
                String what = "seed " + seed + ": " + plan.type().label() + " is about to strike task " + server
                        + " here (" + plan.where() + "); continue or step and it strikes";
                r = dev.rewind.tools.gdb.GdbBoot.run(k, gdb, true, false, null, gdbErr, d -> {
                    d.waitIn(server);
                    if (inj != null) {
                        inj.onStrike(t -> d.haltBeforeInjection(t, what), () -> {
                            gdbErr.println(
                                    "rewind: seed " + seed + " struck task " + server + ": " + inj.description());
                            gdbErr.flush();
                        });
                    }
                });
                if (inj != null && !inj.activated()) {
                    gdbErr.println("rewind: seed " + seed + ": the injection never struck (" + plan.where()
                            + " was not reached in this run)");
                }
            }
        }
        // A hang: the time budget ran out, or nothing could run any more with tasks still
        // blocked (a deadlock: a hang that no trap announced).
        boolean hang =
                r.outcome() == SystemResult.Outcome.BUDGET_EXCEEDED || r.outcome() == SystemResult.Outcome.DEADLOCK;
        boolean ok = r.outcome() == SystemResult.Outcome.OK;
        boolean activated = inj != null && inj.activated();
        Verdict v = classify(activated, faults.size(), early.size(), hang, ok, wrong[0], caught[0]);
        boolean manifested = activated && (!faults.isEmpty() || hang || caught[0] > 0);
        String manifestation = !early.isEmpty()
                ? "before activation: " + early.get(0)
                : hang && faults.isEmpty()
                        ? (r.outcome() == SystemResult.Outcome.DEADLOCK ? "hang (deadlock)" : "hang")
                        : !faults.isEmpty()
                                ? faults.get(0)
                                : caught[0] > 0 ? "caught by verification (two runs of a request disagreed)" : "";
        if (faults.size() + early.size() > 1) {
            manifestation += " [" + (faults.size() + early.size()) + " faults in all]";
        }
        for (String rp : replays) {
            manifestation += " [" + rp + "]";
        }
        String detail = ok
                ? ""
                : r.summary() + (hang ? " (" + states(r) + ")" : "") + " | "
                        + dev.rewind.hw.GuestText.escape(failLines(out.toString(StandardCharsets.UTF_8)));
        return new Run(
                seed,
                plan.type(),
                plan.request(),
                plan.instruction(),
                activated,
                manifested,
                manifestation,
                v,
                detail,
                inj == null ? "nothing (fault-free run)" : inj.description(),
                early.size(),
                wrong[0],
                caught[0],
                close(recovery),
                replayed[0]);
    }

    /** Adds an open rollback's time to the total ({@code r = {total, open}}); the total, or -1. */
    private static long close(long[] r) {
        if (r[1] >= 0) {
            r[0] = Math.max(r[0], 0) + r[1];
            r[1] = -1;
        }
        return r[0];
    }

    /**
     * What the server and the whole workload cost in a fault-free boot of the campaign's
     * manifest: the median of {@code boots} boots of the server's CPU time and of the boot's
     * wall time, in ns ({server, wall}).
     */
    public long[] cost(int boots) throws BootException {
        long[] cpu = new long[boots];
        long[] wall = new long[boots];
        for (int i = 0; i < boots; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (FreshDisks disks = new FreshDisks(manifest, config, true);
                    Kernel k = new Kernel(disks.config(), manifest, image.source(), new Uart(out), null)) {
                k.setCountedSlices(true);
                feed(k);
                SystemResult r = k.run();
                if (r.outcome() != SystemResult.Outcome.OK) {
                    throw new IllegalArgumentException("the workload of " + image.location() + " fails without any"
                            + " injected fault (" + r.summary() + ")");
                }
                cpu[i] = k.task(server).cpuNanos();
                wall[i] = r.nanos();
                verifyCounts = k.task(server).verifyCounts();
            }
        }
        java.util.Arrays.sort(cpu);
        java.util.Arrays.sort(wall);
        return new long[] {cpu[boots / 2], wall[boots / 2]};
    }

    /** Where each task was when a run ended: "nic receiving, net ready, ...". */
    static String states(SystemResult r) {
        StringBuilder b = new StringBuilder();
        for (SystemResult.TaskReport t : r.tasks()) {
            b.append(b.length() == 0 ? "" : ", ")
                    .append(t.name())
                    .append(' ')
                    .append(t.state().name().toLowerCase());
        }
        return b.toString();
    }

    /** The server's verification counts ({@link Task#verifyCounts}) after the last boot of {@link #cost}. */
    private long[] verifyCounts;

    /** As {@link Task#verifyCounts}, for the last fault-free boot {@link #cost} made; null before one. */
    public long[] verifyCounts() {
        return verifyCounts;
    }

    /** Most FAIL lines a run's detail keeps. */
    static final int FAIL_LINES = 4;

    /**
     * What the console says went wrong: its lines with "FAIL" in them (each failing client's,
     * in console order, at most {@link #FAIL_LINES}, joined by " | "), or else its last line.
     */
    static String failLines(String console) {
        String[] lines = console.strip().split("\n");
        StringBuilder b = new StringBuilder();
        int n = 0;
        for (String line : lines) {
            if (line.contains("FAIL")) {
                if (n == FAIL_LINES) {
                    b.append(" | ...");
                    break;
                }
                b.append(n == 0 ? "" : " | ").append(line.strip());
                n++;
            }
        }
        if (n > 0) {
            return b.toString();
        }
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }

    /** Run injections for seeds first..first+n-1 on {@code jobs} threads, in seed order. */
    public List<Run> run(long first, int n, List<FaultInjector.Type> types, int jobs) throws Exception {
        return run(first, n, types, jobs, false);
    }

    /** As {@link #run(long, int, List, int)}; {@code faultFree}: inject nothing (false-detection runs). */
    public List<Run> run(long first, int n, List<FaultInjector.Type> types, int jobs, boolean faultFree)
            throws Exception {
        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            seeds.add(first + i);
        }
        return run(seeds, types, jobs, faultFree, r -> {});
    }

    /**
     * Run the injections of {@code seeds} on {@code jobs} threads; {@code done} is called with
     * each run as it finishes (in any order, from the thread that ran it, one call at a time).
     * The runs are returned in the order of {@code seeds}.
     */
    public List<Run> run(
            List<Long> seeds,
            List<FaultInjector.Type> types,
            int jobs,
            boolean faultFree,
            java.util.function.Consumer<Run> done)
            throws Exception {
        if (lengths == null) {
            profile();
        }
        ExecutorService pool = Executors.newFixedThreadPool(jobs, r -> {
            Thread t = new Thread(r, "rewind-inject");
            t.setDaemon(true);
            return t;
        });
        Object lock = new Object();
        try {
            List<Future<Run>> futures = new ArrayList<>();
            for (long seed : seeds) {
                futures.add(pool.submit(() -> {
                    Run r = run(seed, types, faultFree);
                    synchronized (lock) {
                        done.accept(r);
                    }
                    return r;
                }));
            }
            List<Run> runs = new ArrayList<>();
            for (Future<Run> f : futures) {
                try {
                    runs.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Exception x) {
                        throw x; // the run's own exception (a BootException, a bad path), not the wrapper
                    }
                    throw e;
                }
            }
            return runs;
        } finally {
            pool.shutdownNow();
        }
    }
}
