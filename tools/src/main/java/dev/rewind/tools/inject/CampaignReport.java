package dev.rewind.tools.inject;

import dev.rewind.kernel.probe.FaultInjector;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a campaign's runs add up to: the table and rates printed, the --json and --csv files.
 * A whole run and a merge of its shards both come here, so that they print and write the same
 * (the JSON holds no measured time, so it is byte-identical; recovery_ns is in the CSV only).
 */
public final class CampaignReport {
    private final ResultFile.Header header;
    private final List<Campaign.Run> runs;
    private final Map<FaultInjector.Type, int[]> table;
    /** Options of the campaign its results file does not record (--disk), for the replay commands. */
    private String extraOptions = "";

    /** The report of {@code runs} (any order: they are sorted by seed) of campaign {@code header}. */
    public CampaignReport(ResultFile.Header header, List<Campaign.Run> runs) {
        this.header = header;
        List<Campaign.Run> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingLong(Campaign.Run::seed));
        this.runs = List.copyOf(sorted);
        this.table = InjectCommand.summarize(this.runs);
    }

    /**
     * Options the replay commands repeat besides those the results header records: the
     * campaign's {@code --disk} arguments, already shell-quoted (e.g. {@code --disk 'my disk.img'}).
     */
    public CampaignReport withExtraOptions(String options) {
        this.extraOptions = options == null ? "" : options;
        return this;
    }

    private String allOptions(ResultFile.Header h) {
        String o = options(h);
        return extraOptions.isEmpty() ? o : o.isEmpty() ? extraOptions : o + " " + extraOptions;
    }

    public ResultFile.Header header() {
        return header;
    }

    /** The runs, by seed. */
    public List<Campaign.Run> runs() {
        return runs;
    }

    /** Per fault type, the counts of {@link InjectCommand#COLUMNS}. */
    public Map<FaultInjector.Type, int[]> table() {
        return table;
    }

    /** The summary: the table and rates, or for fault-free runs the one line that counts them. */
    public void print(PrintStream out) {
        if (header.faultFree()) {
            int[] all = InjectCommand.totals(table);
            out.printf(
                    "%d fault-free runs: %d false detection%s, %d failed, %d benign%n",
                    all[0], all[7], all[7] == 1 ? "" : "s", all[5], all[8]);
            return;
        }
        InjectCommand.printTable(out, table);
        InjectCommand.printRates(out, table);
        long caught = runs.stream().filter(r -> r.verifyCaught() > 0).count();
        if (header.verify().equals("dual") || caught > 0) {
            long caughtRecovered = runs.stream()
                    .filter(r -> r.verifyCaught() > 0 && r.verdict() == Campaign.Verdict.RECOVERED)
                    .count();
            out.printf(
                    "caught by verification (two runs of a request disagreed): %d run%s, %d of them recovered%n",
                    caught, caught == 1 ? "" : "s", caughtRecovered);
        }
    }

    /**
     * One line per run (--verbose), by seed, then the command that replays one of them (the
     * first that neither recovered nor was benign, else the first): with every option that
     * shaped the campaign, --types included, since a seed alone names another injection.
     */
    public void printRuns(PrintStream out) {
        for (Campaign.Run r : runs) {
            out.printf(
                    "seed %d: %s, request %d, instruction %d: %s%s%s%s%n",
                    r.seed(),
                    r.type().label(),
                    r.request(),
                    r.instruction(),
                    r.verdict().name().toLowerCase(Locale.ROOT),
                    r.manifestation().isEmpty() ? "" : " (" + r.manifestation() + ")",
                    r.detail().isEmpty() ? "" : " -- " + r.detail(),
                    // what exactly was struck (a flipped byte's address, the register, the
                    // instruction), as the results file's "fault": to tell runs apart unreplayed
                    r.what() == null || r.what().isEmpty() ? "" : " [" + r.what() + "]");
        }
        if (!runs.isEmpty()) {
            long seed = runs.stream()
                    .filter(r -> r.verdict() != Campaign.Verdict.RECOVERED && r.verdict() != Campaign.Verdict.BENIGN)
                    .findFirst()
                    .orElse(runs.get(0))
                    .seed();
            out.println("replay one run: " + replayCommand(seed));
        }
    }

    /** The command that replays run {@code seed} of this campaign alone, with the options that shaped it. */
    public String replayCommand(long seed) {
        return HtmlReport.replayCommand(header.image(), header.server(), header.policy(), allOptions(header))
                .apply(seed);
    }

    /** The --json document: campaign, summary and every run, without measured times. */
    public String json() {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"image\": ")
                .append(Json.quote(header.image()))
                .append(",\n  \"server\": ")
                .append(Json.quote(header.server()))
                .append(",\n  \"policy\": ")
                .append(Json.quote(header.policy()))
                .append(",\n  \"first_seed\": ")
                .append(header.firstSeed())
                .append(",\n  \"summary\": {\n");
        String[] cols = InjectCommand.COLUMNS;
        List<String> rows = new ArrayList<>();
        for (Map.Entry<FaultInjector.Type, int[]> e : table.entrySet()) {
            StringBuilder r = new StringBuilder("    ")
                    .append(Json.quote(e.getKey().name().toLowerCase(Locale.ROOT)))
                    .append(": {");
            for (int i = 0; i < cols.length; i++) {
                r.append(i == 0 ? "" : ", ")
                        .append(Json.quote(cols[i]))
                        .append(": ")
                        .append(e.getValue()[i]);
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
                    Json.quote(r.type().name().toLowerCase(Locale.ROOT)),
                    r.request(),
                    r.instruction(),
                    r.activated(),
                    r.manifested(),
                    Json.quote(r.verdict().name().toLowerCase(Locale.ROOT)),
                    r.falseDetections(),
                    r.wrongReplies(),
                    r.verifyCaught(),
                    r.replayed(),
                    Json.quote(r.manifestation()),
                    Json.quote(r.what()),
                    Json.quote(r.detail())));
        }
        b.append(String.join(",\n", rs)).append("\n  ]\n}\n");
        return b.toString();
    }

    /** The --csv document: every run, recovery_ns included. */
    public String csv() {
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
        return b.toString();
    }

    /**
     * Write the files asked for (null: not asked). The one place outputs of a finished campaign
     * are written: a further format (an HTML report) is added here and to both commands' options.
     */
    public void write(Path json, Path csv, Path html) {
        try {
            if (json != null) {
                Files.writeString(json, json(), StandardCharsets.UTF_8);
            }
            if (csv != null) {
                Files.writeString(csv, csv(), StandardCharsets.UTF_8);
            }
            if (html != null) {
                Files.writeString(
                        html, HtmlReport.render(title(List.of(this)), List.of(section())), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the results: " + dev.rewind.tools.HostFiles.reason(e));
        }
    }

    /** This campaign as a section of the HTML report ({@link HtmlReport}). */
    public HtmlReport.Section section() {
        ResultFile.Header h = header;
        String opts = allOptions(h);
        return new HtmlReport.Section(
                h.image(),
                h.server(),
                h.policy(),
                opts,
                h.firstSeed(),
                h.count(),
                HtmlReport.replayCommand(h.image(), h.server(), h.policy(), opts),
                runs);
    }

    /** The inject options (besides image, server, policy, seeds) that shaped campaign {@code h}. */
    static String options(ResultFile.Header h) {
        List<String> o = new java.util.ArrayList<>();
        List<String> defaults = FaultInjector.Type.DEFAULTS.stream()
                .map(t -> t.name().toLowerCase(java.util.Locale.ROOT))
                .toList();
        if (!h.types().equals(defaults)) {
            o.add("--types " + String.join(",", h.types()).replace('_', '-'));
        }
        if (!h.window().equals("request")) {
            o.add("--window " + h.window());
        }
        if (h.hangMs() != 1000) {
            o.add("--hang-ms " + h.hangMs());
        }
        if (h.timeoutNanos() != ResultFile.DEFAULT_TIMEOUT_NANOS) {
            o.add("--timeout " + duration(h.timeoutNanos()));
        }
        if (h.replayDepth() != null) {
            o.add("--replay-depth " + h.replayDepth());
        }
        if (!h.escalation()) {
            o.add("--no-escalation");
        }
        if (dev.rewind.kernel.image.TaskSpec.TxipcLimits.VERIFY_MODES.contains(h.verify())) {
            o.add("--verify " + h.verify());
        }
        if (h.faultFree()) {
            o.add("--fault-free");
        }
        return String.join(" ", o);
    }

    /** {@code nanos} as --timeout reads it back exactly ("90s", "1500ms", "2.5us"). */
    static String duration(long nanos) {
        if (nanos % 1000 == 0) {
            return dev.rewind.kernel.text.Units.formatNanos(nanos);
        }
        String frac = String.format("%03d", nanos % 1000).replaceAll("0+$", "");
        return nanos / 1000 + "." + frac + "us";
    }

    /** The HTML report's title for {@code reports}. */
    static String title(List<CampaignReport> reports) {
        java.util.LinkedHashSet<String> servers = new java.util.LinkedHashSet<>();
        java.util.LinkedHashSet<String> policies = new java.util.LinkedHashSet<>();
        for (CampaignReport r : reports) {
            servers.add(r.header.server());
            policies.add(r.header.policy());
        }
        return "Rewind fault injection: " + String.join(", ", servers) + " (" + String.join(" vs ", policies) + ")";
    }

    private static String csvField(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }
}
