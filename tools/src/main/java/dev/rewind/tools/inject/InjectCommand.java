package dev.rewind.tools.inject;

import dev.rewind.kernel.BootException;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.image.RecoveryPolicy;
import dev.rewind.kernel.image.TaskSpec;
import dev.rewind.kernel.probe.FaultInjector;
import dev.rewind.tools.Printable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rewind inject}: a fault-injection campaign against one server. */
@Command(
        name = "inject",
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
            "Every injection is reproducible from its seed:",
            "'rewind inject IMAGE --server S --seed N -n 1 --verbose' replays seed N.",
            "",
            "Example: rewind inject builtin:t_kv_oracle.toml --server kv --policy txipc -n 1000 --json kv.json"
        })
public final class InjectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE", description = "The system image (manifest, ELF or builtin:NAME).")
    String image;

    @Option(names = "--server", required = true, paramLabel = "TASK", description = "The server to inject faults into.")
    String server;

    @Option(
            names = "--policy",
            paramLabel = "POLICY",
            description =
                    "Recovery policy for the server: none, restart, txipc, or shadow for a driver whose manifest names its shadow class (default: txipc).")
    String policy = "txipc";

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

    @Option(names = "--jobs", paramLabel = "N", description = "Parallel boots (default: the number of cores).")
    int jobs = Runtime.getRuntime().availableProcessors();

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
                    "txipc: committed requests the server keeps to replay when corruption escaped them (0 = none; default: the manifest's replay_depth, 512 if it has none).")
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
                    "txipc: 'dual' runs each request of the server twice from the same state and compares reply and memory written before the reply leaves (a third run decides a mismatch); 'none' (default): as its manifest says. Also measures what dual costs in fault-free boots.")
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
            names = {"-v", "--verbose"},
            description = "Print one line per injection.")
    boolean verbose;

    @Option(
            names = "--trace",
            description = "Log every syscall of every run to stderr (use with -n 1 to study one seed).")
    boolean trace;

    @Override
    public Integer call() throws Exception {
        if (count < 1 || count > 1_000_000) {
            throw new IllegalArgumentException("-n must be between 1 and 1000000");
        }
        if (jobs < 1 || jobs > 256) {
            throw new IllegalArgumentException("--jobs must be between 1 and 256");
        }
        if (hangMs < 1 || hangMs > 600_000) {
            throw new IllegalArgumentException("--hang-ms must be between 1 and 600000");
        }
        RecoveryPolicy pol = RecoveryPolicy.parse(policy);
        if (replayDepth != null
                && (replayDepth < 0 || replayDepth > dev.rewind.kernel.image.TaskSpec.TxipcLimits.MAX_REPLAY_DEPTH)) {
            throw new IllegalArgumentException("--replay-depth must be between 0 and "
                    + dev.rewind.kernel.image.TaskSpec.TxipcLimits.MAX_REPLAY_DEPTH);
        }
        if (replayDepth != null && pol != RecoveryPolicy.TXIPC) {
            throw new IllegalArgumentException("--replay-depth applies only to --policy txipc");
        }
        boolean dual = false;
        if (verify != null) {
            if (!verify.equals("dual") && !verify.equals("none")) {
                throw new IllegalArgumentException(
                        "--verify must be dual or none, not '" + Printable.escape(verify) + "'");
            }
            dual = verify.equals("dual");
            if (dual && pol != RecoveryPolicy.TXIPC) {
                throw new IllegalArgumentException("--verify dual applies only to --policy txipc");
            }
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
        }
        // Every output is checked before the campaign runs: a bad path fails now, not after it.
        if (json != null) {
            dev.rewind.tools.HostFiles.checkWritable(json, "--json");
        }
        if (csv != null) {
            dev.rewind.tools.HostFiles.checkWritable(csv, "--csv");
        }
        if (json != null
                && csv != null
                && json.toAbsolutePath().normalize().equals(csv.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--json and --csv name the same file: " + json);
        }
        SystemImage img;
        try {
            img = SystemImage.open(image);
        } catch (BootException e) {
            System.err.println(
                    "rewind: cannot boot " + Printable.escape(image) + ": " + Printable.escape(e.getMessage()));
            return 2;
        }
        checkServer(img, server);
        KernelConfig cfg = KernelConfig.defaults()
                .withRamBytes(64L << 20)
                .withBudgetNanos(20_000_000_000L)
                .withTrace(trace);
        if (trace) {
            dev.rewind.tools.Main.setLogLevel("info");
        }
        int depth = replayDepth == null ? -1 : replayDepth;
        Campaign c = new Campaign(img, server, pol, hangMs, depth, noEscalation, dual, cfg);
        long t0 = System.nanoTime();
        long[] lengths = c.profile();
        long total = 0;
        for (long l : lengths) {
            total += l;
        }
        System.out.printf(
                "inject: %s, server %s, policy %s%s%s: %d requests in the workload (%.0f instructions each on average); %d %s from seed %d on %d threads%n",
                img.location(),
                server,
                pol.configName(),
                noEscalation ? " (no escalation)" : "",
                dual ? ", verify dual" : "",
                lengths.length,
                (double) total / lengths.length,
                count,
                faultFree ? "fault-free runs" : "injections",
                seed,
                jobs);
        if (dual) {
            // What verification costs: fault-free boots of the same workload with and without it.
            int boots = 7;
            Campaign plain = new Campaign(img, server, pol, hangMs, depth, noEscalation, false, cfg);
            plain.cost(3); // warm-up of both (the JIT), so that neither is measured cold
            c.cost(3);
            long[] without = plain.cost(boots);
            long[] with = c.cost(boots);
            System.out.printf(
                    "verify dual costs (median of %d fault-free boots): server CPU %.1f ms -> %.1f ms (x%.2f);"
                            + " whole workload %.1f ms -> %.1f ms (x%.2f)%n",
                    boots,
                    without[0] / 1e6,
                    with[0] / 1e6,
                    (double) with[0] / without[0],
                    without[1] / 1e6,
                    with[1] / 1e6,
                    (double) with[1] / without[1]);
        }
        List<Campaign.Run> runs = c.run(seed, count, ts, jobs, faultFree);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (verbose) {
            for (Campaign.Run r : runs) {
                System.out.printf(
                        "seed %d: %s, request %d, instruction %d: %s%s%s%n",
                        r.seed(),
                        r.type().label(),
                        r.request(),
                        r.instruction(),
                        r.verdict().name().toLowerCase(Locale.ROOT),
                        r.manifestation().isEmpty() ? "" : " (" + r.manifestation() + ")",
                        r.detail().isEmpty() ? "" : " -- " + r.detail());
            }
        }
        Map<FaultInjector.Type, int[]> table = summarize(runs);
        if (faultFree) {
            int[] all = totals(table);
            System.out.printf(
                    "%d fault-free runs: %d false detection%s, %d failed, %d benign; %.1f s%n",
                    all[0], all[7], all[7] == 1 ? "" : "s", all[5], all[8], secs);
        } else {
            printTable(System.out, table);
            printRates(System.out, table);
            if (dual) {
                long caught = runs.stream().filter(r -> r.verifyCaught() > 0).count();
                long caughtRecovered = runs.stream()
                        .filter(r -> r.verifyCaught() > 0 && r.verdict() == Campaign.Verdict.RECOVERED)
                        .count();
                System.out.printf(
                        "caught by verification (two runs of a request disagreed): %d run%s, %d of them recovered%n",
                        caught, caught == 1 ? "" : "s", caughtRecovered);
            }
            System.out.printf("%.1f s%n", secs);
        }
        try {
            if (json != null) {
                writeJson(json, img.location(), pol, runs, table);
            }
            if (csv != null) {
                writeCsv(csv, runs);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the results: " + dev.rewind.tools.HostFiles.reason(e));
        }
        return 0;
    }

    /** The --server task exists and serves an endpoint (faults are injected into its requests). */
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
     * Per type: injected, activated, manifested, then one count per verdict (recovered, wrong
     * reply, failed, silent, false detection, benign), as {@link #COLUMNS}.
     */
    static Map<FaultInjector.Type, int[]> summarize(List<Campaign.Run> runs) {
        Map<FaultInjector.Type, int[]> m = new EnumMap<>(FaultInjector.Type.class);
        for (Campaign.Run r : runs) {
            int[] row = m.computeIfAbsent(r.type(), k -> new int[COLUMNS.length]);
            row[0]++;
            row[1] += r.activated() ? 1 : 0;
            row[2] += r.manifested() ? 1 : 0;
            row[3 + r.verdict().ordinal()]++;
        }
        return m;
    }

    static int[] totals(Map<FaultInjector.Type, int[]> table) {
        int[] t = new int[COLUMNS.length];
        for (int[] row : table.values()) {
            for (int i = 0; i < t.length; i++) {
                t[i] += row[i];
            }
        }
        return t;
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
     * share of injections after which a client had been given wrong results (silent or wrong
     * reply); false detections; and the first two again without the trivially caught types.
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
        out.printf(
                "wrong results delivered to a client after %d of %d injections (%s: %d silent, %d wrong replies);"
                        + " %d false detection%s%n",
                all[6] + all[4], all[0], pct(all[6] + all[4], all[0]), all[6], all[4], all[7], all[7] == 1 ? "" : "s");
        if (!hard.isEmpty() && hard.size() < table.size()) {
            out.printf(
                    "without infinite loops and failed assertions: recovered %d of %d manifested (%s); strict %s%n",
                    h[3], h[2], pct(h[3], h[2]), pct(h[3], h[2] + h[6]));
        }
    }

    private static String pct(int a, int b) {
        return b == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * a / b);
    }

    private static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private void writeJson(
            Path file,
            String location,
            RecoveryPolicy pol,
            List<Campaign.Run> runs,
            Map<FaultInjector.Type, int[]> table)
            throws IOException {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"image\": ")
                .append(q(location))
                .append(",\n  \"server\": ")
                .append(q(server))
                .append(",\n  \"policy\": ")
                .append(q(pol.configName()))
                .append(",\n  \"first_seed\": ")
                .append(seed)
                .append(",\n  \"summary\": {\n");
        String[] cols = COLUMNS;
        List<String> rows = new ArrayList<>();
        for (Map.Entry<FaultInjector.Type, int[]> e : table.entrySet()) {
            StringBuilder r = new StringBuilder("    ")
                    .append(q(e.getKey().name().toLowerCase(Locale.ROOT)))
                    .append(": {");
            for (int i = 0; i < cols.length; i++) {
                r.append(i == 0 ? "" : ", ").append(q(cols[i])).append(": ").append(e.getValue()[i]);
            }
            rows.add(r.append('}').toString());
        }
        b.append(String.join(",\n", rows)).append("\n  },\n  \"runs\": [\n");
        List<String> rs = new ArrayList<>();
        for (Campaign.Run r : runs) {
            rs.add(String.format(
                    "    {\"seed\": %d, \"type\": %s, \"request\": %d, \"instruction\": %d, \"activated\": %b, "
                            + "\"manifested\": %b, \"verdict\": %s, \"false_detections\": %d, \"wrong_replies\": %d, "
                            + "\"verify_caught\": %d, \"replayed\": %d, \"manifestation\": %s, \"fault\": %s, "
                            + "\"detail\": %s}",
                    r.seed(),
                    q(r.type().name().toLowerCase(Locale.ROOT)),
                    r.request(),
                    r.instruction(),
                    r.activated(),
                    r.manifested(),
                    q(r.verdict().name().toLowerCase(Locale.ROOT)),
                    r.falseDetections(),
                    r.wrongReplies(),
                    r.verifyCaught(),
                    r.replayed(),
                    q(r.manifestation()),
                    q(r.what()),
                    q(r.detail())));
        }
        b.append(String.join(",\n", rs)).append("\n  ]\n}\n");
        Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
    }

    private static void writeCsv(Path file, List<Campaign.Run> runs) throws IOException {
        StringBuilder b = new StringBuilder(
                "seed,type,request,instruction,activated,manifested,verdict,manifestation,fault,detail,false_detections,wrong_replies,verify_caught,recovery_ns,replayed\n");
        for (Campaign.Run r : runs) {
            b.append(r.seed())
                    .append(',')
                    .append(r.type().name().toLowerCase(Locale.ROOT))
                    .append(',')
                    .append(r.request())
                    .append(',')
                    .append(r.instruction())
                    .append(',')
                    .append(r.activated())
                    .append(',')
                    .append(r.manifested())
                    .append(',')
                    .append(r.verdict().name().toLowerCase(Locale.ROOT))
                    .append(',')
                    .append(csvField(r.manifestation()))
                    .append(',')
                    .append(csvField(r.what()))
                    .append(',')
                    .append(csvField(r.detail()))
                    .append(',')
                    .append(r.falseDetections())
                    .append(',')
                    .append(r.wrongReplies())
                    .append(',')
                    .append(r.verifyCaught())
                    .append(',')
                    .append(r.recoveryNanos())
                    .append(',')
                    .append(r.replayed())
                    .append('\n');
        }
        Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
    }

    private static String csvField(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }
}
