package dev.rewind.tools.inject;

import dev.rewind.kernel.BootException;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.image.RecoveryPolicy;
import dev.rewind.kernel.image.TaskSpec;
import dev.rewind.kernel.probe.FaultInjector;
import dev.rewind.tools.Printable;
import dev.rewind.tools.Progress;
import dev.rewind.tools.disk.DiskArgs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rewind inject}: a fault-injection campaign against one server. */
@Command(
        name = "inject",
        subcommands = {MergeCommand.class, ReportCommand.class},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Run a seeded fault-injection campaign against one server of an image.",
            "",
            "Reports, per fault type, how many faults were injected, activated, manifested, recovered, failed",
            "or silently corrupted state. Each injection boots the image afresh; all cores are used.",
            ""
        },
        footer = {
            "",
            "A run counts as recovered only if the injected fault was activated and manifested (a trap,",
            "abort or hang followed it), and the system still ended normally with every client check passing and",
            "no client given a wrong reply ('wrong reply': a history replay found replies a client had already got",
            "were wrong). 'silent': no trap, wrong results delivered. 'false det.': the kernel reported a fault",
            "before anything was activated. The strict rate is recovered / (manifested + silent).",
            "Every injection is reproducible from its seed: 'rewind inject IMAGE --server S --policy P --seed N -n 1",
            "--verbose' with the campaign's --types, --window, --hang-ms, --timeout, --replay-depth, --no-escalation,",
            "--verify, --fault-free, --disk and --input, those it used, replays seed N (without its --types or --window a seed",
            "names another injection).",
            "--verbose ends with that command, and --report gives it for each run that did not recover.",
            "This needs a deterministic workload: the target (a request and an instruction in it) is chosen from",
            "one fault-free boot, so clients that vary their requests between boots (seeded from rw_clock_ns(), say)",
            "make injections miss, and such runs count as not activated.",
            "",
            "Example: rewind inject builtin:t_kv_oracle.toml --server kv --policy txipc -n 1000 --json kv.json",
            "Across machines: 'rewind inject ... --shard I/4 --results kv-I.jsonl' on each, then",
            "'rewind inject merge kv-*.jsonl --json kv.json' prints and writes what one run of the whole would."
        })
public final class InjectCommand implements Callable<Integer> {
    /** The wall-clock limit of each boot of a campaign without --timeout. */
    static final long DEFAULT_BUDGET_NANOS = ResultFile.DEFAULT_TIMEOUT_NANOS;

    /** The longest --timeout (1000 hours, as rewind boot's). */
    static final long MAX_BUDGET_NANOS = 1000 * 3_600_000_000_000L;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "IMAGE",
            description = "The system image (manifest, ELF or builtin:NAME).")
    String image;

    @Option(names = "--server", paramLabel = "TASK", description = "The server to inject faults into.")
    String server;

    @Option(
            names = "--policy",
            paramLabel = "POLICY",
            description =
                    "Recovery policy for the server: none, restart, txipc, or shadow for a driver whose manifest names its shadow class (default: the server's recovery in the manifest; txipc if it has none).")
    String policy;

    @Option(
            names = {"-n", "--count"},
            paramLabel = "N",
            description = "Number of injections (default: 1000).")
    int count = 1000;

    @Option(
            names = "--seed",
            paramLabel = "SEED",
            description = "Seed of the first injection; injection i uses SEED+i (default: 1).")
    long seed = 1;

    @Option(
            names = "--types",
            paramLabel = "TYPE,...",
            split = ",",
            description =
                    "Fault types (default: all but live-memory-bit-flip): register-bit-flip, memory-bit-flip, instruction-corruption, instruction-skip, null-pointer, wild-pointer, infinite-loop, failed-assertion, live-memory-bit-flip (a byte the server read or wrote in its last 16 requests).")
    List<String> types;

    @Option(
            names = "--window",
            paramLabel = "WINDOW",
            description =
                    "Where in the server's work faults strike: request (the default: from a request's delivery to the server's reply) or after-reply (what the server runs after a reply until its next request: a txipc server's work between a plain REPLY and its next receive, its work after a call, a wake's handling, a driver's work after its reply, the serve loop's way back to its receive; a server on the SDK's rw_serve or rw_serve_ops replies and receives in one system call and runs none: the campaign then stops with exit 2, so give it a loop of its own for this window).")
    String window = "request";

    @Option(
            names = "--jobs",
            paramLabel = "N",
            description = "Parallel boots (default: the number of cores; never more than the runs).")
    int jobs = Runtime.getRuntime().availableProcessors();

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            description =
                    "Wall-clock limit of each boot, e.g. 90s or 5m (at most 1000h; default 20s): a run past it counts as a hang. The campaign first boots the workload once fault-free (which must end within it), then profiles it in a boot allowed "
                            + Campaign.PROFILE_SLOWDOWN
                            + " times as long as that one, at least DURATION.")
    String timeout;

    @Option(
            names = "--hang-ms",
            paramLabel = "MS",
            description =
                    "CPU ms after which a hung server is faulted (txipc deadline, else runaway limit; default 1000).")
    long hangMs = 1000;

    @Option(
            names = "--replay-depth",
            paramLabel = "N",
            description =
                    "txipc: committed requests the server keeps to replay when corruption escaped them (0 = none; default: the manifest's replay_depth, 4096 if it has none; the undo log may hold fewer).")
    Integer replayDepth;

    @Option(
            names = "--no-escalation",
            description =
                    "txipc: never escalate repeated aborts to a restart (max_aborts 1000 a second) instead of the manifest's max_aborts / abort_window_ms.")
    boolean noEscalation;

    @Option(
            names = "--verify",
            paramLabel = "MODE",
            description =
                    "txipc: 'dual' runs each request of the server twice from the same state and compares reply and memory written before the reply leaves (a third run decides a mismatch); 'errors' does so only for requests the server answers with an error (a negative label: ENOENT and a protocol's own errors too); 'refusals' only for requests the server refuses (EINVAL, EFAULT, ENOSYS, ETOOBIG, ESTATE), the manifests' default; 'none' for none. Without it: as the server's manifest says. dual, errors and refusals also print what they cost against none in fault-free boots.")
    String verify;

    @Option(
            names = "--fault-free",
            description =
                    "Inject nothing: N fault-free boots of the same workload, each of which must end benign (any fault reported is a false detection).")
    boolean faultFree;

    @Option(names = "--json", paramLabel = "FILE", description = "Write every run and the summary as JSON.")
    Path json;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write every run as CSV.")
    Path csv;

    @Option(
            names = "--report",
            paramLabel = "FILE",
            description = "Write a self-contained HTML report (charts per fault type, recovery times, failures with"
                    + " the command that replays each).")
    Path report;

    @Option(
            names = "--disk",
            paramLabel = "[DEVICE=]FILE",
            description = "Boot every run on a copy of this disk image (as 'rewind boot --disk' takes it; the file is"
                    + " only read, never written): a campaign on a team's own disk instead of a fresh blank one per"
                    + " boot. Repeat for several block devices. The replay commands repeat it.")
    List<String> disks = new ArrayList<>();

    @Option(
            names = "--input",
            paramLabel = "FILE",
            description = "Every boot's input: the bytes of FILE (at most 16 MiB) are waiting in the image's UART when"
                    + " it starts, and the input ends after them (or, with no UART, they are its programs' stdin), as"
                    + " 'rewind boot --input FILE' feeds them but all at once, so that each boot sees the same input."
                    + " Without it a UART's input never ends and a program's stdin is empty. The replay commands"
                    + " repeat it.")
    Path input;

    @Option(
            names = "--shard",
            paramLabel = "I/N",
            description =
                    "Run only shard I of N (0 <= I < N <= 100000): the injections i (seed SEED+i) with i mod N = I. The shards of a campaign are disjoint; merge their --results with 'rewind inject merge'.")
    String shard;

    @Option(
            names = "--results",
            paramLabel = "FILE",
            description =
                    "Append each finished run to FILE (JSON Lines after a header naming the campaign and shard; docs/CAMPAIGNS.md), flushed as it finishes.")
    Path results;

    @Option(
            names = "--resume",
            description =
                    "Continue the campaign of an existing --results FILE: its header must match this command; seeds already in it are not run again.")
    boolean resume;

    @Option(
            names = {"-v", "--verbose"},
            description =
                    "Print one line per injection (its verdict, how it manifested, and in [...] what exactly was struck), then the command that replays one alone.")
    boolean verbose;

    @Option(
            names = "--gdb",
            paramLabel = "[HOST:]PORT",
            description = "With -n 1: replay that one injection under gdb. After the profiling boots the run"
                    + " serves the GDB remote protocol on PORT (as 'rewind boot --gdb'), waits for gdb in the"
                    + " server's thread (gdb started without a program loads the server's), and halts (SIGTRAP)"
                    + " at the planned instruction before the fault strikes; continue or step and it strikes"
                    + " (see docs/DEBUGGING.md).")
    String gdb;

    @Option(
            names = "--trace",
            description = "Log every syscall of every run to stderr (use with -n 1 to study one seed).")
    boolean trace;

    @Option(
            names = "--log-level",
            paramLabel = "LEVEL",
            description = "error, warn, info, debug or trace (default: warn; --trace implies info). info names each"
                    + " boot on stderr (the plain and the profiling boot, then each seed with its fault); debug adds"
                    + " every fault and each recovery decision of the kernel (rollbacks, history replays, why one"
                    + " gives up). Use with -n 1 or --jobs 1: the lines of parallel runs interleave.")
    String logLevel;

    @Override
    public Integer call() throws Exception {
        if (image == null) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(),
                    "Missing required parameter: 'IMAGE' (or 'merge FILES...', 'report -o FILE FILES...')");
        }
        if (server == null) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "Missing required option: '--server=TASK'");
        }
        dev.rewind.tools.Main.setLogLevel(logLevel != null ? logLevel : trace ? "info" : "warn");
        if (count < 1 || count > 1_000_000) {
            throw new IllegalArgumentException("-n must be between 1 and 1000000");
        }
        if (seed > Long.MAX_VALUE - (count - 1)) {
            throw new IllegalArgumentException(String.format(
                    "--seed %d with -n %d runs past the largest seed (%d): the seeds SEED..SEED+n-1 must not wrap",
                    seed, count, Long.MAX_VALUE));
        }
        if (jobs < 1 || jobs > 256) {
            throw new IllegalArgumentException("--jobs must be between 1 and 256");
        }
        long budget = timeout == null
                ? DEFAULT_BUDGET_NANOS
                : dev.rewind.kernel.text.Units.parseNanos(timeout, MAX_BUDGET_NANOS, "--timeout");
        if (hangMs < 1 || hangMs > 600_000) {
            throw new IllegalArgumentException("--hang-ms must be between 1 and 600000");
        }
        int[] sh = parseShard(shard);
        if (gdb != null) {
            if (count != 1 || faultFree) {
                throw new IllegalArgumentException("--gdb replays one injection: use it with -n 1 (and --seed N),"
                        + " without --fault-free (rewind boot --gdb debugs a fault-free boot)");
            }
            dev.rewind.tools.gdb.GdbBoot.checkOptions(gdb, true);
        }
        RecoveryPolicy pol = policy == null ? null : RecoveryPolicy.parse(policy);
        if (pol != null) {
            checkPolicyOptions(pol, "");
        }
        if (replayDepth != null
                && (replayDepth < 0 || replayDepth > dev.rewind.kernel.image.TaskSpec.TxipcLimits.MAX_REPLAY_DEPTH)) {
            throw new IllegalArgumentException("--replay-depth must be between 0 and "
                    + dev.rewind.kernel.image.TaskSpec.TxipcLimits.MAX_REPLAY_DEPTH);
        }
        boolean dual = false;
        if (verify != null) {
            if (!dev.rewind.kernel.image.TaskSpec.TxipcLimits.VERIFY_MODES.contains(verify)) {
                throw new IllegalArgumentException(
                        "--verify must be dual, errors, refusals or none, not '" + Printable.escape(verify) + "'");
            }
            dual = verify.equals("dual");
        }
        List<FaultInjector.Type> ts = new ArrayList<>();
        if (types == null) {
            ts = FaultInjector.Type.DEFAULTS;
        } else {
            for (String t : types) {
                if (!t.isBlank()) {
                    ts.add(FaultInjector.Type.parse(t.strip()));
                }
            }
            if (ts.isEmpty()) {
                throw new IllegalArgumentException("--types names no fault type; leave it out for all types");
            }
            if (faultFree) {
                throw new IllegalArgumentException("--types chooses the faults injected; --fault-free injects none");
            }
        }
        dev.rewind.kernel.probe.RequestStrike.Window win;
        if (window.equals("request") || window.equals("after-reply")) {
            win = dev.rewind.kernel.probe.RequestStrike.Window.parse(window);
        } else {
            throw new IllegalArgumentException(
                    "--window must be request or after-reply, not '" + Printable.escape(window) + "'");
        }
        if (faultFree && win != dev.rewind.kernel.probe.RequestStrike.Window.REQUEST) {
            throw new IllegalArgumentException("--window chooses where faults strike; --fault-free injects none");
        }
        if (resume && results == null) {
            throw new IllegalArgumentException("--resume needs --results FILE (the campaign's result file)");
        }
        // Every output is checked before the campaign runs: a bad path fails now, not after it.
        checkOutputs(json, csv, results, report);
        byte[] inputBytes = input == null ? null : readInput(input);

        SystemImage img;
        try {
            img = SystemImage.open(image);
        } catch (BootException e) {
            System.err.println(
                    "rewind: cannot boot " + Printable.escape(image) + ": " + Printable.escape(e.getMessage()));
            return 2;
        }
        checkServer(img, server);
        if (pol == null) {
            // (the manifest's own policy for the server: a shadowed driver's campaign is a shadow's)
            RecoveryPolicy own = img.manifest().task(server).orElseThrow().recovery();
            pol = own == RecoveryPolicy.NONE ? RecoveryPolicy.TXIPC : own;
            checkPolicyOptions(
                    pol,
                    " (the manifest gives " + Printable.escape(server) + " recovery = \"" + pol.configName()
                            + "\"; --policy chooses another)");
        }
        String arch;
        try {
            arch = img.arch().id();
        } catch (BootException e) {
            System.err.println(
                    "rewind: cannot boot " + Printable.escape(image) + ": " + Printable.escape(e.getMessage()));
            return 2;
        }
        KernelConfig cfg = DiskArgs.attach(
                KernelConfig.defaults()
                        .withRamBytes(64L << 20)
                        .withBudgetNanos(budget)
                        .withTrace(trace),
                img.manifest(),
                disks,
                false);
        ResultFile.Header header = new ResultFile.Header(
                rewindVersion(),
                engineVersion(),
                arch,
                img.location(),
                ImageDigest.sha256(img),
                server,
                pol.configName(),
                count,
                seed,
                ts.stream().map(t -> t.name().toLowerCase(Locale.ROOT)).toList(),
                hangMs,
                budget,
                replayDepth,
                !noEscalation,
                verify == null ? "manifest" : verify,
                faultFree,
                sh[0],
                sh[1],
                win.id(),
                inputBytes == null ? null : ImageDigest.sha256(inputBytes),
                diskDigests(cfg));
        // The runs a --results file already holds (--resume), checked against this campaign.
        List<Campaign.Run> old = results == null ? List.of() : earlierRuns(header);
        int depth = replayDepth == null ? -1 : replayDepth;
        Campaign c = new Campaign(img, server, pol, hangMs, depth, noEscalation, verify, cfg)
                .window(win)
                .input(inputBytes)
                .gdb(gdb, System.err);
        long t0 = System.nanoTime();
        long[] lengths = c.profile();
        if (c.referenceNanos() > budget / 2) {
            System.err.printf(
                    "rewind: a fault-free boot of the workload took %s, more than half the %s limit of each boot: runs"
                            + " slowed by a recovery may pass it and count as hangs (--timeout DURATION raises it)%n",
                    Campaign.seconds(c.referenceNanos()), Campaign.seconds(budget));
        }
        String varies = c.nondeterminism();
        if (varies != null) {
            System.err.println("rewind: " + Printable.escape(varies));
        }
        long total = 0;
        for (long l : lengths) {
            total += l;
        }
        List<Long> seeds = header.seeds();
        Set<Long> have = new HashSet<>();
        old.forEach(r -> have.add(r.seed()));
        List<Long> todo = seeds.stream().filter(s -> !have.contains(s)).toList();
        // No more threads than runs to do: -n 1 runs on one.
        int threads = Math.max(1, Math.min(jobs, todo.size()));
        System.out.printf(
                "inject: %s (%s), server %s, policy %s%s%s%s: %d requests in the workload (%.0f instructions each on average); %d %s from seed %d%s on %d thread%s%n",
                img.location(),
                arch,
                server,
                pol.configName(),
                noEscalation ? " (no escalation)" : "",
                verify != null ? ", verify " + verify : "",
                win == dev.rewind.kernel.probe.RequestStrike.Window.AFTER_REPLY ? ", striking after replies" : "",
                lengths.length,
                (double) total / lengths.length,
                count,
                faultFree ? "fault-free run" + (count == 1 ? "" : "s") : count == 1 ? "injection" : "injections",
                seed,
                sh[1] == 1 ? "" : ", shard " + sh[0] + "/" + sh[1] + " (" + seeds.size() + " of them)",
                threads,
                threads == 1 ? "" : "s");
        if (!old.isEmpty()) {
            System.out.printf(
                    "resuming %s: %d run%s already done, %d to go%n",
                    results, old.size(), old.size() == 1 ? "" : "s", todo.size());
        }
        boolean manifestDual = verify == null
                && pol == RecoveryPolicy.TXIPC
                && img.manifest().tasks().stream()
                        .anyMatch(t -> t.name().equals(server) && t.txipc().verifyDual());
        if (gdb == null && (dual || manifestDual || "refusals".equals(verify) || "errors".equals(verify))) {
            // What verification costs: fault-free boots of the same workload with and without it.
            int boots = 7;
            Campaign plain = new Campaign(img, server, pol, hangMs, depth, noEscalation, "none", cfg);
            plain.cost(3); // warm-up of both (the JIT), so that neither is measured cold
            c.cost(3);
            long[] without = plain.cost(boots);
            long[] with = c.cost(boots);
            System.out.printf(
                    "verify %s costs (median of %d fault-free boots, against verify none): server CPU %.1f ms -> %.1f ms"
                            + " (x%.2f); whole workload %.1f ms -> %.1f ms (x%.2f)%n",
                    verify != null ? verify : "dual (the manifest's)",
                    boots,
                    without[0] / 1e6,
                    with[0] / 1e6,
                    (double) with[0] / without[0],
                    without[1] / 1e6,
                    with[1] / 1e6,
                    (double) with[1] / without[1]);
            long[] v = c.verifyCounts();
            if ((dual || manifestDual) && v != null && v[0] + v[1] + v[2] > 0) {
                // (a request with a nested call is not run twice: dual catches nothing there)
                System.out.printf(
                        "verify dual in a fault-free boot: %d of %d client requests run twice, %d not verified (a nested"
                                + " call, or a syscall a run cannot repeat: docs/RECOVERY.md)%n",
                        v[0] + v[2], v[0] + v[1] + v[2], v[1]);
            }
        }
        List<Campaign.Run> fresh;
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        ResultFile.Appender out = null;
        Thread hook = null;
        try (Progress progress = Progress.start("inject", "runs", seeds.size(), old.size())) {
            progress.addFailures(old.stream().filter(InjectCommand::failure).count());
            if (results != null) {
                out = old.isEmpty() && !nonEmpty(results)
                        ? new ResultFile.Appender(results, header, 0)
                        : new ResultFile.Appender(results, null, old.size());
                hook = interruptHook(out, seeds.size(), progress);
            } else {
                hook = lossHook(done, todo.size(), progress);
            }
            Runtime.getRuntime().addShutdownHook(hook);
            ResultFile.Appender sink = out;
            fresh = c.run(todo, ts, threads, faultFree, r -> {
                done.incrementAndGet();
                if (sink != null) {
                    try {
                        sink.append(r);
                    } catch (IOException e) {
                        throw new IllegalArgumentException(
                                "cannot write " + sink.file() + ": " + dev.rewind.tools.HostFiles.reason(e));
                    }
                }
                progress.step(failure(r));
            });
        } finally {
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // shutting down already: the hook reports
                }
            }
            if (out != null) {
                out.close();
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        List<Campaign.Run> runs = new ArrayList<>(old);
        runs.addAll(fresh);
        CampaignReport campaignReport = new CampaignReport(header, runs)
                .withExtraOptions(String.join(
                        " ",
                        java.util.stream.Stream.concat(
                                        disks.stream().map(d -> "--disk " + HtmlReport.shellQuote(d)),
                                        input == null
                                                ? java.util.stream.Stream.<String>empty()
                                                : java.util.stream.Stream.of(
                                                        "--input " + HtmlReport.shellQuote(input.toString())))
                                .toList()));
        if (verbose) {
            campaignReport.printRuns(System.out);
        }
        campaignReport.print(System.out);
        System.out.printf("%.1f s%n", secs);
        campaignReport.write(json, csv, report);
        return 0;
    }

    /** Largest --input file: every boot holds it in memory. */
    static final long MAX_INPUT_BYTES = 16L << 20;

    /** The --input file's bytes, or a clear error. */
    static byte[] readInput(Path file) throws IOException {
        dev.rewind.tools.HostFiles.checkReadable(file, "--input");
        long size = Files.size(file);
        if (size > MAX_INPUT_BYTES) {
            throw new IllegalArgumentException("--input " + Printable.escape(file.toString()) + " holds " + size
                    + " bytes, more than the 16 MiB each boot of a campaign can be given");
        }
        return Files.readAllBytes(file);
    }

    /** A run that counts as a failure on the progress line: failed, silent or a wrong reply. */
    static boolean failure(Campaign.Run r) {
        return r.verdict() == Campaign.Verdict.FAILED
                || r.verdict() == Campaign.Verdict.SILENT
                || r.verdict() == Campaign.Verdict.WRONG_REPLY;
    }

    /** "I/N" as {I, N}; null: {0, 1}. */
    static int[] parseShard(String s) {
        if (s == null) {
            return new int[] {0, 1};
        }
        String[] p = s.strip().split("/", -1);
        try {
            if (p.length == 2) {
                int i = Integer.parseInt(p[0].strip());
                int n = Integer.parseInt(p[1].strip());
                if (i >= 0 && i < n && n <= 100_000) {
                    return new int[] {i, n};
                }
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new IllegalArgumentException("--shard must be I/N with 0 <= I < N <= 100000, not '" + Printable.escape(s)
                + "' (e.g. --shard 0/4 ... --shard 3/4)");
    }

    static void checkOutputs(Path json, Path csv, Path results, Path report) {
        java.util.Map<Path, String> seen = new java.util.HashMap<>();
        String[] names = {"--json", "--csv", "--results", "--report"};
        Path[] paths = {json, csv, results, report};
        for (int i = 0; i < paths.length; i++) {
            if (paths[i] == null) {
                continue;
            }
            dev.rewind.tools.HostFiles.checkWritable(paths[i], names[i]);
            String other = seen.put(paths[i].toAbsolutePath().normalize(), names[i]);
            if (other != null) {
                throw new IllegalArgumentException(other + " and " + names[i] + " name the same file: " + paths[i]);
            }
        }
    }

    private static boolean nonEmpty(Path f) throws IOException {
        return Files.exists(f) && Files.size(f) > 0;
    }

    /**
     * The runs already in the --results file: none if it is missing or empty; with --resume, its
     * runs after checking its header (and cutting a half-written last line); without, an error.
     */
    private List<Campaign.Run> earlierRuns(ResultFile.Header header) throws IOException {
        // checkOutputs has made sure it is a regular file that can be written, or can be created
        if (!nonEmpty(results)) {
            return List.of();
        }
        if (!resume) {
            throw new IllegalArgumentException(
                    results + " exists: --resume continues that campaign, or choose another file");
        }
        ResultFile.Contents c = ResultFile.read(results);
        ResultFile.Header h = c.header();
        if (h != null) {
            if (!h.rewind().equals(header.rewind()) || !h.engine().equals(header.engine())) {
                throw new IllegalArgumentException(results + " was written by rewind " + h.rewind() + " with engine "
                        + h.engine() + "; this is rewind " + header.rewind() + " with engine " + header.engine()
                        + ": runs of different versions do not make one campaign; choose another file");
            }
            List<String> d = header.differences(h, "this command", results.toString(), false);
            if (!d.isEmpty()) {
                throw new IllegalArgumentException(
                        results + " holds another campaign; what differs: " + String.join("; ", d));
            }
        }
        if (c.cutAt() >= 0) {
            ResultFile.truncate(results, c.cutAt());
            System.err.println("rewind: " + results + ": dropped its cut-short last line " + c.cutLine()
                    + " (a run being written when it was stopped; it runs again)");
            if (h == null) {
                return List.of(); // only the header was cut: start afresh
            }
        }
        Set<Long> seen = new HashSet<>();
        for (Campaign.Run r : c.runs()) {
            if (!h.owns(r.seed()) || !seen.add(r.seed())) {
                throw new IllegalArgumentException(results + ": seed " + r.seed()
                        + (seen.contains(r.seed()) && h.owns(r.seed()) ? " twice" : " is not in this shard")
                        + ": not a file this command wrote");
            }
        }
        return c.runs();
    }

    /**
     * On Ctrl-C (or a kill): stop appending, and say how many runs are saved and how to resume.
     * The JVM then exits 130 (SIGINT) or 143 (SIGTERM).
     */
    /** On Ctrl-C (or a kill) without --results: say that the finished runs are lost, and how to keep them. */
    private static Thread lossHook(java.util.concurrent.atomic.AtomicInteger done, int total, Progress progress) {
        return new Thread(
                () -> {
                    progress.close();
                    System.err.println("rewind: interrupted after " + done.get() + " of " + total
                            + " runs; none is saved (without --results FILE a campaign's runs live only until"
                            + " its table; with it they are kept as they finish, and --resume continues)");
                },
                "rewind-inject-interrupted");
    }

    private Thread interruptHook(ResultFile.Appender out, int total, Progress progress) {
        String command = resumeCommand();
        return new Thread(
                () -> {
                    progress.close();
                    try {
                        out.close();
                    } catch (IOException e) {
                        // the lines written are flushed already
                    }
                    System.err.println("rewind: interrupted: " + out.runs() + " of " + total + " runs saved in "
                            + out.file() + "; resume with: " + command);
                },
                "rewind-inject-interrupted");
    }

    /** This command line with --resume. */
    private String resumeCommand() {
        List<String> args = new ArrayList<>(List.of("rewind"));
        List<String> orig =
                spec == null ? List.of() : spec.commandLine().getParseResult().originalArgs();
        args.addAll(orig);
        if (!orig.contains("--resume")) {
            args.add("--resume");
        }
        StringBuilder b = new StringBuilder();
        for (String a : args) {
            b.append(b.length() == 0 ? "" : " ");
            b.append(a.matches("[A-Za-z0-9_./:=,@%+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return Printable.escape(b.toString());
    }

    /** The Rewind version the result files name. */
    static String rewindVersion() {
        String v = dev.rewind.tools.Main.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }

    /** The engine version the result files name ("unicorn 2.1.4"). */
    static String engineVersion() {
        return "unicorn " + dev.rewind.hw.cpu.Engine.version();
    }

    /** The --server task exists and serves an endpoint (faults are injected into its requests). */
    /** The options that apply to txipc alone, given {@code pol}. */
    private void checkPolicyOptions(RecoveryPolicy pol, String why) {
        if (replayDepth != null && pol != RecoveryPolicy.TXIPC) {
            throw new IllegalArgumentException("--replay-depth applies only to --policy txipc" + why);
        }
        if (verify != null && pol != RecoveryPolicy.TXIPC) {
            throw new IllegalArgumentException("--verify " + verify + " applies only to --policy txipc" + why);
        }
        if (noEscalation && pol != RecoveryPolicy.TXIPC) {
            throw new IllegalArgumentException("--no-escalation applies only to --policy txipc" + why);
        }
    }

    static void checkServer(SystemImage img, String server) {
        List<TaskSpec> tasks = img.manifest().tasks();
        List<String> servers = tasks.stream()
                .filter(t -> !t.serves().isEmpty())
                .map(TaskSpec::name)
                .toList();
        String choices =
                servers.isEmpty() ? "this image has no server" : "servers of this image: " + String.join(", ", servers);
        TaskSpec t = img.manifest()
                .task(server)
                .orElseThrow(() -> new IllegalArgumentException(
                        "--server: image " + img.location() + " has no task '" + server + "' (" + choices + ")"));
        if (t.serves().isEmpty()) {
            throw new IllegalArgumentException("--server: task '" + server + "' serves no endpoint, so it handles no"
                    + " requests to inject faults into (" + choices + ")");
        }
    }

    /** The summary's columns, in the order of {@link #summarize}'s rows. */
    static final String[] COLUMNS = {
        "injected",
        "activated",
        "manifested",
        "recovered",
        "wrong_reply",
        "failed",
        "silent",
        "false_detection",
        "benign"
    };

    /**
     * The slot after {@link #COLUMNS} in {@link #summarize}'s rows: failed runs in which a client had
     * been given a wrong reply (a history replay found that replies already given came from
     * corrupted state, and then the system did not end normally). Such a run counts as failed, the
     * worse verdict, and also toward the share of injections after which a client had been given
     * wrong results, as a wrong reply or a silent run does: before, that share left it out (an
     * outside store checked lazily behind a cache, seed 1790124: the store's replay found one of its
     * replies wrong, its client then failed on it, and the campaign said "0 wrong replies").
     */
    static final int FAILED_AFTER_WRONG_REPLY = 9;

    /**
     * Per type: injected, activated, manifested, then one count per verdict (recovered, wrong
     * reply, failed, silent, false detection, benign), as {@link #COLUMNS}, then {@link
     * #FAILED_AFTER_WRONG_REPLY}.
     */
    static Map<FaultInjector.Type, int[]> summarize(List<Campaign.Run> runs) {
        Map<FaultInjector.Type, int[]> m = new EnumMap<>(FaultInjector.Type.class);
        for (Campaign.Run r : runs) {
            int[] row = m.computeIfAbsent(r.type(), k -> new int[COLUMNS.length + 1]);
            row[0]++;
            row[1] += r.activated() ? 1 : 0;
            row[2] += r.manifested() ? 1 : 0;
            row[3 + r.verdict().ordinal()]++;
            row[FAILED_AFTER_WRONG_REPLY] += r.verdict() == Campaign.Verdict.FAILED && r.wrongReplies() > 0 ? 1 : 0;
        }
        return m;
    }

    static int[] totals(Map<FaultInjector.Type, int[]> table) {
        int[] t = new int[COLUMNS.length + 1];
        for (int[] row : table.values()) {
            for (int i = 0; i < Math.min(t.length, row.length); i++) {
                t[i] += row[i];
            }
        }
        return t;
    }

    /**
     * Injections after which a client had been given wrong results: silent runs, wrong replies, and
     * failed runs with a wrong reply ({@link #FAILED_AFTER_WRONG_REPLY}) in a row of {@link #totals}.
     */
    static int wrongResults(int[] all) {
        return all[6] + all[4] + (all.length > FAILED_AFTER_WRONG_REPLY ? all[FAILED_AFTER_WRONG_REPLY] : 0);
    }

    static void printTable(PrintStream out, Map<FaultInjector.Type, int[]> table) {
        String fmt = "%-24s %9s %10s %11s %10s %12s %7s %7s %11s %7s%n";
        out.printf(
                fmt,
                "fault type",
                "injected",
                "activated",
                "manifested",
                "recovered",
                "wrong reply",
                "failed",
                "silent",
                "false det.",
                "benign");
        for (Map.Entry<FaultInjector.Type, int[]> e : table.entrySet()) {
            int[] r = e.getValue();
            out.printf(fmt, e.getKey().label(), r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]);
        }
        int[] t = totals(table);
        out.printf(fmt, "total", t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8]);
    }

    /** Fault types that announce themselves (a loop the deadline stops, an explicit abort). */
    private static boolean trivial(FaultInjector.Type t) {
        return t == FaultInjector.Type.INFINITE_LOOP || t == FaultInjector.Type.FAILED_ASSERTION;
    }

    /**
     * The rates: recovered of manifested; the strict rate recovered / (manifested + silent); the
     * share of injections after which a client had been given wrong results (silent, wrong reply,
     * or failed after a wrong reply); false detections; and the first two again without the trivially caught types.
     */
    static void printRates(PrintStream out, Map<FaultInjector.Type, int[]> table) {
        int[] all = totals(table);
        Map<FaultInjector.Type, int[]> hard = new EnumMap<>(FaultInjector.Type.class);
        table.forEach((k, v) -> {
            if (!trivial(k)) {
                hard.put(k, v);
            }
        });
        int[] h = totals(hard);
        out.printf(
                "recovered %d of %d manifested faults (%s); strict: %d of %d manifested + silent (%s)%n",
                all[3], all[2], pct(all[3], all[2]), all[3], all[2] + all[6], pct(all[3], all[2] + all[6]));
        int failedWrong = all[FAILED_AFTER_WRONG_REPLY];
        out.printf(
                "wrong results delivered to a client after %d of %d injections (%s: %d silent, %d wrong replies%s);"
                        + " %d false detection%s%n",
                wrongResults(all),
                all[0],
                pct(wrongResults(all), all[0]),
                all[6],
                all[4],
                failedWrong == 0
                        ? ""
                        : ", " + failedWrong + " failed run" + (failedWrong == 1 ? "" : "s") + " after a wrong reply",
                all[7],
                all[7] == 1 ? "" : "s");
        if (!hard.isEmpty() && hard.size() < table.size()) {
            out.printf(
                    "without infinite loops and failed assertions: recovered %d of %d manifested (%s); strict %s%n",
                    h[3], h[2], pct(h[3], h[2]), pct(h[3], h[2] + h[6]));
        }
    }

    private static String pct(int a, int b) {
        return b == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * a / b);
    }

    /**
     * The --disk files as "DEVICE=SHA-256 of the file", by device: part of what decides the runs
     * (a --resume or merge with other disks is refused, as with another --input).
     */
    private static List<String> diskDigests(KernelConfig cfg) {
        List<String> out = new ArrayList<>();
        for (var e : new java.util.TreeMap<>(cfg.disks()).entrySet()) {
            try {
                out.add(e.getKey() + "=" + ImageDigest.sha256(e.getValue()));
            } catch (java.io.IOException ex) {
                throw new IllegalArgumentException("--disk: cannot read the disk image "
                        + Printable.escape(e.getValue().toString()) + ": "
                        + Printable.escape(String.valueOf(ex.getMessage())));
            }
        }
        return out;
    }
}
