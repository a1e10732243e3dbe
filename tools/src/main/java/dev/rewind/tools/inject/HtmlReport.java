package dev.rewind.tools.inject;

import dev.rewind.kernel.probe.FaultInjector;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * A fault-injection campaign report as one self-contained HTML page: inline CSS and SVG, no
 * script, no external resource, so that it can be mailed, archived or opened offline. Several
 * campaigns (typically one server under several policies) are shown side by side: a summary
 * per campaign, the verdict shares per fault type as stacked bars, the recovery times and the
 * history replays' depths as histograms, and the runs that did not end well with the command
 * that replays each.
 */
public final class HtmlReport {
    /** Rows of the failures table, all campaigns together, before the rest is only counted. */
    static final int MAX_FAILURE_ROWS = 500;
    /** Longest text shown in a table cell (guest console lines can be long). */
    static final int MAX_CELL_CHARS = 400;

    /** Width of a full stacked bar, in SVG units. */
    static final int BAR_WIDTH = 600;

    /**
     * One campaign of the report.
     *
     * @param image         the image as given to the campaign (a path or builtin:NAME)
     * @param server        the server faults were injected into
     * @param policy        its recovery policy's configuration name (txipc, restart, ...)
     * @param options       other options that shaped the campaign (e.g. {@code --replay-depth 0}),
     *                      or empty
     * @param firstSeed     the campaign's first seed
     * @param count         the injections it planned (runs may hold fewer, e.g. one shard)
     * @param replayCommand the command line that replays one seed of it
     * @param runs          its runs
     */
    public record Section(
            String image,
            String server,
            String policy,
            String options,
            long firstSeed,
            int count,
            LongFunction<String> replayCommand,
            List<Campaign.Run> runs) {
        public Section {
            Objects.requireNonNull(image, "image");
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(policy, "policy");
            options = options == null ? "" : options.strip();
            Objects.requireNonNull(replayCommand, "replayCommand");
            runs = List.copyOf(runs);
        }

        /** How the report names the campaign: server, policy and options. */
        public String label() {
            return server + " / " + policy + (options.isEmpty() ? "" : " " + options);
        }
    }

    /**
     * The usual replay command of a campaign's seed: {@code rewind inject IMAGE --server S
     * --policy P [OPTIONS] --seed N -n 1 -v}, the image quoted for a POSIX shell if it needs it.
     */
    public static LongFunction<String> replayCommand(String image, String server, String policy, String options) {
        String opts = options == null || options.isBlank() ? "" : " " + options.strip();
        String prefix = "rewind inject " + shellQuote(image) + " --server " + shellQuote(server) + " --policy "
                + shellQuote(policy) + opts + " --seed ";
        return seed -> prefix + seed + " -n 1 -v";
    }

    /** {@code s} as one word for a POSIX shell. */
    static String shellQuote(String s) {
        if (!s.isEmpty()
                && s.chars().allMatch(c -> Character.isLetterOrDigit(c) && c < 128 || "-_./:=,+@%".indexOf(c) >= 0)) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private HtmlReport() {}

    /** The report of {@code sections}, generated now. */
    public static String render(String title, List<Section> sections) {
        return render(title, sections, Instant.now());
    }

    /** The report of {@code sections}, saying it was generated at {@code generated}. */
    static String render(String title, List<Section> sections, Instant generated) {
        if (sections.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one campaign");
        }
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta name=\"color-scheme\" content=\"light\">\n")
                .append("<title>")
                .append(esc(title))
                .append("</title>\n<style>\n")
                .append(CSS)
                .append("</style>\n</head>\n<body>\n");
        header(h, title, sections, generated);
        summaries(h, sections);
        bars(h, sections);
        recoveryTimes(h, sections);
        replayDepths(h, sections);
        failures(h, sections);
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    // ---------------------------------------------------------------- verdicts and colours

    /** Verdicts in the order of the bars and the legend. */
    static final Campaign.Verdict[] ORDER = Campaign.Verdict.values();

    static String verdictLabel(Campaign.Verdict v) {
        return v.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    /** The CSS class of a verdict ("v-recovered", "v-wrong-reply", ...). */
    static String verdictClass(Campaign.Verdict v) {
        return "v-" + v.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Fill colour of a verdict: recovered green, wrong reply orange, failed red, silent purple, ... */
    static String colour(Campaign.Verdict v) {
        return switch (v) {
            case RECOVERED -> "#2e8b3e";
            case WRONG_REPLY -> "#f28c1a";
            case FAILED -> "#d13232";
            case SILENT -> "#7b3fa8";
            case FALSE_DETECTION -> "#6d87a8";
            case BENIGN -> "#d6d6d6";
        };
    }

    private static final String CSS;

    static {
        StringBuilder c = new StringBuilder("""
                :root { color-scheme: light; }
                body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
                  color: #1d1d1f; background: #fff; margin: 0 auto; padding: 16px 24px 48px; max-width: 1400px; }
                h1 { font-size: 24px; margin: 8px 0 4px; }
                h2 { font-size: 19px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #e2e2e2; }
                h3 { font-size: 16px; margin: 0 0 6px; }
                p.meta, .muted { color: #555; }
                .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
                .grid.types { grid-template-columns: repeat(auto-fit, minmax(700px, 1fr)); }
                .wide { overflow-x: auto; }
                h3.sub { margin: 18px 0 8px; }
                table.overview td.rate { font-weight: 600; }
                .card { border: 1px solid #dcdcdc; border-radius: 6px; padding: 12px 14px; background: #fff;
                  break-inside: avoid; overflow-x: auto; }
                dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0 12px; margin: 0 0 8px; }
                dl.facts dt { color: #555; } dl.facts dd { margin: 0; word-break: break-all; }
                table { border-collapse: collapse; font-size: 13px; }
                th, td { padding: 3px 7px; border-bottom: 1px solid #e6e6e6; text-align: right; vertical-align: top; }
                th { background: #f3f3f5; font-weight: 600; }
                th:first-child, td:first-child { text-align: left; }
                tr.total td { font-weight: 600; border-top: 2px solid #bbb; }
                ul.rates { margin: 8px 0 0; padding-left: 18px; }
                .legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 6px 0 10px; }
                .legend span::before { content: ""; display: inline-block; width: 12px; height: 12px;
                  margin-right: 5px; vertical-align: -1px; border: 1px solid rgba(0,0,0,.25); background: var(--c); }
                svg { display: block; max-width: 100%; height: auto; font-family: inherit; }
                svg text { fill: #1d1d1f; font-size: 12px; }
                svg text.small { font-size: 11px; fill: #555; }
                table.failures { width: 100%; }
                table.failures td, table.failures th { text-align: left; }
                table.failures td.num { text-align: right; white-space: nowrap; }
                table.failures td.text { min-width: 10em; max-width: 30em; overflow-wrap: anywhere; }
                table.failures td.cmd { min-width: 19em; }
                code { font: 12px/1.3 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
                  background: #f4f4f6; padding: 2px 4px; border-radius: 3px; user-select: all;
                  overflow-wrap: break-word; }
                code .w { white-space: nowrap; }
                .badge { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; white-space: nowrap; }
                .more { font-style: italic; color: #555; }
                * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
                @media print {
                  body { padding: 0; max-width: none; font-size: 11px; }
                  .grid { display: block; }
                  .card { margin-bottom: 10px; border-color: #999; overflow: visible; }
                  h2 { break-after: avoid; }
                  tr { break-inside: avoid; }
                  code { user-select: text; }
                }
                """);
        for (Campaign.Verdict v : ORDER) {
            c.append('.')
                    .append(verdictClass(v))
                    .append(" { --c: ")
                    .append(colour(v))
                    .append("; }\n.badge.")
                    .append(verdictClass(v))
                    .append(" { background: ")
                    .append(colour(v))
                    .append(";")
                    .append(v == Campaign.Verdict.BENIGN ? " color: #1d1d1f;" : "")
                    .append(" }\n");
        }
        CSS = c.toString();
    }

    // ---------------------------------------------------------------- sections of the page

    private static void header(StringBuilder h, String title, List<Section> sections, Instant generated) {
        int runs = sections.stream().mapToInt(s -> s.runs().size()).sum();
        String version = HtmlReport.class.getPackage().getImplementationVersion();
        h.append("<header>\n<h1>")
                .append(esc(title))
                .append("</h1>\n<p class=\"meta\">Fault-injection campaign report: ")
                .append(sections.size())
                .append(sections.size() == 1 ? " campaign, " : " campaigns, ")
                .append(runs)
                .append(runs == 1 ? " run" : " runs")
                .append(". Generated ")
                .append(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
                        .format(generated.atOffset(ZoneOffset.UTC)))
                .append(" by rewind ")
                .append(esc(version == null ? "(development build)" : version))
                .append(
                        ".</p>\n<p class=\"muted\">A run is <em>recovered</em> only if the injected fault was activated,"
                                + " manifested (a trap, an abort, a deadline or a hang, or a verification mismatch) and the"
                                + " system still ended normally with every client check passing and no wrong reply given;"
                                + " <em>wrong reply</em>: as recovered, but a history replay found replies already given were"
                                + " wrong; <em>failed</em>: it manifested and the system did not end normally;"
                                + " <em>silent</em>: no trap, wrong results delivered; <em>false detection</em>: a fault"
                                + " reported before anything was activated; <em>benign</em>: no visible effect."
                                + " The strict rate is recovered / (manifested + silent).</p>\n</header>\n");
    }

    private static void summaries(StringBuilder h, List<Section> sections) {
        h.append("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"wide\">\n<table class=\"overview\">\n")
                .append("<thead><tr><th>campaign</th><th>seeds</th>");
        for (String col : InjectCommand.COLUMNS) {
            h.append("<th>").append(esc(col.replace('_', ' '))).append("</th>");
        }
        h.append("<th>recovered of manifested</th><th>strict rate</th><th>wrong results delivered</th></tr></thead>\n")
                .append("<tbody>\n");
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            int[] all = InjectCommand.totals(InjectCommand.summarize(s.runs()));
            h.append("<tr data-campaign=\"")
                    .append(i + 1)
                    .append("\"><td><strong>")
                    .append(esc(s.label()))
                    .append("</strong><br><span class=\"muted\">")
                    .append(esc(s.image()))
                    .append("</span></td><td>")
                    .append(s.firstSeed())
                    .append(" .. ")
                    .append(s.firstSeed() + s.count() - 1)
                    .append(s.runs().size() == s.count() ? "" : " (" + s.runs().size() + " here)")
                    .append("</td>");
            for (int c = 0; c < InjectCommand.COLUMNS.length; c++) {
                h.append("<td>").append(all[c]).append("</td>");
            }
            for (String r : rates(all)) {
                h.append("<td class=\"rate\">").append(r).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n</div>\n<h3 class=\"sub\">By fault type</h3>\n<div class=\"grid types\">\n");
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            h.append("<div class=\"card campaign\" id=\"campaign-")
                    .append(i + 1)
                    .append("\">\n<h3>")
                    .append(esc(s.label()))
                    .append("</h3>\n<dl class=\"facts\">")
                    .append("<dt>image</dt><dd>")
                    .append(esc(s.image()))
                    .append("</dd><dt>server</dt><dd>")
                    .append(esc(s.server()))
                    .append("</dd><dt>policy</dt><dd>")
                    .append(esc(s.policy()))
                    .append("</dd>");
            if (!s.options().isEmpty()) {
                h.append("<dt>options</dt><dd>").append(esc(s.options())).append("</dd>");
            }
            h.append("<dt>seeds</dt><dd>")
                    .append(s.firstSeed())
                    .append(" .. ")
                    .append(s.firstSeed() + s.count() - 1)
                    .append(" (")
                    .append(s.count())
                    .append(" planned, ")
                    .append(s.runs().size())
                    .append(" in this report)</dd></dl>\n");
            Map<FaultInjector.Type, int[]> table = InjectCommand.summarize(s.runs());
            h.append("<table class=\"summary\">\n<thead><tr><th>fault type</th>");
            for (String col : InjectCommand.COLUMNS) {
                h.append("<th>").append(esc(col.replace('_', ' '))).append("</th>");
            }
            h.append("</tr></thead>\n<tbody>\n");
            for (Map.Entry<FaultInjector.Type, int[]> e : table.entrySet()) {
                summaryRow(h, "", e.getKey().label(), e.getValue());
            }
            summaryRow(h, " class=\"total\"", "total", InjectCommand.totals(table));
            h.append("</tbody>\n</table>\n<ul class=\"rates\">\n");
            // The rates exactly as 'rewind inject' prints them.
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            InjectCommand.printRates(new PrintStream(b, true, StandardCharsets.UTF_8), table);
            for (String line : b.toString(StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    h.append("<li>").append(esc(line.strip())).append("</li>\n");
                }
            }
            h.append("</ul>\n</div>\n");
        }
        h.append("</div>\n</section>\n");
    }

    /**
     * The three rates of {@link InjectCommand#printRates} from a row of {@link InjectCommand#totals}:
     * recovered / manifested, the strict rate recovered / (manifested + silent), and the share of
     * injections after which a client had been given wrong results ((silent + wrong reply + failed
     * after a wrong reply) / injected). The test checks them against what printRates prints.
     */
    static String[] rates(int[] all) {
        return new String[] {
            pct(all[3], all[2]), pct(all[3], all[2] + all[6]), pct(InjectCommand.wrongResults(all), all[0])
        };
    }

    private static void summaryRow(StringBuilder h, String attrs, String label, int[] row) {
        h.append("<tr").append(attrs).append("><td>").append(esc(label)).append("</td>");
        for (int c = 0; c < InjectCommand.COLUMNS.length; c++) {
            h.append("<td>").append(row[c]).append("</td>");
        }
        h.append("</tr>\n");
    }

    private static void legend(StringBuilder h) {
        h.append("<div class=\"legend\">");
        for (Campaign.Verdict v : ORDER) {
            h.append("<span class=\"")
                    .append(verdictClass(v))
                    .append("\">")
                    .append(verdictLabel(v))
                    .append("</span>");
        }
        h.append("</div>\n");
    }

    /** Per fault type (and all together), one stacked bar of verdict shares per campaign. */
    private static void bars(StringBuilder h, List<Section> sections) {
        h.append("<section id=\"verdicts\">\n<h2>Verdicts by fault type</h2>\n")
                .append("<p class=\"muted\">Share of each verdict among the injections of each type, one bar per")
                .append(" campaign; hover over a segment for its count.</p>\n");
        legend(h);
        Set<FaultInjector.Type> types = EnumSet.noneOf(FaultInjector.Type.class);
        for (Section s : sections) {
            for (Campaign.Run r : s.runs()) {
                types.add(r.type());
            }
        }
        // All types together first (null), then each type.
        List<FaultInjector.Type> groups = new ArrayList<>();
        groups.add(null);
        groups.addAll(types);
        int labelW = 230;
        int countW = 70;
        int barH = 16;
        int gap = 4;
        int headH = 20;
        int groupGap = 12;
        int n = sections.size();
        int groupH = headH + n * (barH + gap) + groupGap;
        int height = groups.size() * groupH + 4;
        int width = labelW + BAR_WIDTH + countW;
        h.append("<svg class=\"bars\" role=\"img\" aria-label=\"verdict shares by fault type\" viewBox=\"0 0 ")
                .append(width)
                .append(' ')
                .append(height)
                .append("\" width=\"")
                .append(width)
                .append("\" height=\"")
                .append(height)
                .append("\">\n");
        int y = 2;
        for (FaultInjector.Type type : groups) {
            String typeLabel = type == null ? "all fault types" : type.label();
            h.append("<g class=\"type\" data-type=\"")
                    .append(esc(type == null ? "all" : type.name().toLowerCase(Locale.ROOT)))
                    .append("\">\n<text x=\"0\" y=\"")
                    .append(y + 14)
                    .append("\" font-weight=\"600\">")
                    .append(esc(typeLabel))
                    .append("</text>\n");
            int by = y + headH;
            for (int i = 0; i < n; i++) {
                Section s = sections.get(i);
                int[] counts = new int[ORDER.length];
                for (Campaign.Run r : s.runs()) {
                    if (type == null || r.type() == type) {
                        counts[r.verdict().ordinal()]++;
                    }
                }
                int total = Arrays.stream(counts).sum();
                h.append("<text class=\"small\" x=\"")
                        .append(labelW - 8)
                        .append("\" y=\"")
                        .append(by + barH - 4)
                        .append("\" text-anchor=\"end\">")
                        .append(esc(shorten(s.label(), 34)))
                        .append("</text>\n");
                if (total == 0) {
                    h.append("<rect x=\"")
                            .append(labelW)
                            .append("\" y=\"")
                            .append(by)
                            .append("\" width=\"")
                            .append(BAR_WIDTH)
                            .append("\" height=\"")
                            .append(barH)
                            .append("\" fill=\"none\" stroke=\"#ccc\" stroke-dasharray=\"3 3\"/>\n");
                } else {
                    // Segment edges from cumulative counts, so that the widths add up exactly.
                    int cum = 0;
                    for (Campaign.Verdict v : ORDER) {
                        int c = counts[v.ordinal()];
                        if (c == 0) {
                            continue;
                        }
                        double x0 = labelW + (double) BAR_WIDTH * cum / total;
                        cum += c;
                        double x1 = labelW + (double) BAR_WIDTH * cum / total;
                        h.append("<rect class=\"seg ")
                                .append(verdictClass(v))
                                .append("\" data-campaign=\"")
                                .append(i + 1)
                                .append("\" data-verdict=\"")
                                .append(v.name().toLowerCase(Locale.ROOT))
                                .append("\" data-count=\"")
                                .append(c)
                                .append("\" x=\"")
                                .append(num(x0))
                                .append("\" y=\"")
                                .append(by)
                                .append("\" width=\"")
                                .append(num(x1 - x0))
                                .append("\" height=\"")
                                .append(barH)
                                .append("\" fill=\"")
                                .append(colour(v))
                                .append("\"><title>")
                                .append(esc(s.label() + ", " + typeLabel + ": " + verdictLabel(v) + " " + c + " of "
                                        + total + " (" + pct(c, total) + ")"))
                                .append("</title></rect>\n");
                    }
                }
                h.append("<text class=\"small\" x=\"")
                        .append(labelW + BAR_WIDTH + 6)
                        .append("\" y=\"")
                        .append(by + barH - 4)
                        .append("\">n = ")
                        .append(total)
                        .append("</text>\n");
                by += barH + gap;
            }
            h.append("</g>\n");
            y += groupH;
        }
        h.append("</svg>\n</section>\n");
    }

    /** Recovery times (runs whose recovery reported one), in log-scale bins of µs, per campaign. */
    private static void recoveryTimes(StringBuilder h, List<Section> sections) {
        h.append("<section id=\"recovery-times\">\n<h2>Recovery time</h2>\n")
                .append("<p class=\"muted\">How long the kernel took to restore the server's service after the")
                .append(" injected fault (a rollback, with the history replay it started, or a shadow driver's")
                .append(" recovery), in µs on a logarithmic scale (bins 1-2-5 per decade). Runs whose recovery")
                .append(" reported no time (none happened, or a restart) are not shown.</p>\n");
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (Section s : sections) {
            for (Campaign.Run r : s.runs()) {
                if (r.recoveryNanos() >= 0) {
                    min = Math.min(min, r.recoveryNanos());
                    max = Math.max(max, r.recoveryNanos());
                }
            }
        }
        if (max < 0) {
            h.append("<p class=\"none\">No run of any campaign reported a recovery time.</p>\n</section>\n");
            return;
        }
        // Shared bin edges in ns (1, 2, 5 x 10^k µs) covering every campaign's times; under 1 µs
        // (if any) in a first bin from 0.
        List<Long> edges = new ArrayList<>();
        long e = 1000;
        if (min < 1000) {
            edges.add(0L);
        } else {
            while (nextEdge(e) <= min) {
                e = nextEdge(e);
            }
        }
        edges.add(e);
        while (edges.get(edges.size() - 1) <= max) {
            edges.add(nextEdge(edges.get(edges.size() - 1)));
        }
        h.append("<div class=\"grid\">\n");
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            long[] times = s.runs().stream()
                    .mapToLong(Campaign.Run::recoveryNanos)
                    .filter(t -> t >= 0)
                    .sorted()
                    .toArray();
            h.append("<div class=\"card\" data-campaign=\"")
                    .append(i + 1)
                    .append("\">\n<h3>")
                    .append(esc(s.label()))
                    .append("</h3>\n");
            if (times.length == 0) {
                h.append("<p class=\"none\">No run of this campaign reported a recovery time.</p>\n</div>\n");
                continue;
            }
            h.append("<p class=\"muted\">")
                    .append(times.length)
                    .append(times.length == 1 ? " run" : " runs")
                    .append(": median ")
                    .append(micros(times[(times.length - 1) / 2]))
                    .append(", 90th percentile ")
                    .append(micros(times[(int) Math.ceil(times.length * 0.9) - 1]))
                    .append(", max ")
                    .append(micros(times[times.length - 1]))
                    .append("</p>\n");
            int[] bins = new int[edges.size() - 1];
            String[] labels = new String[bins.length];
            for (int b = 0; b < bins.length; b++) {
                labels[b] = edges.get(b) == 0 ? "<1" : compactMicros(edges.get(b));
            }
            for (long t : times) {
                int b = 0;
                while (b < bins.length - 1 && t >= edges.get(b + 1)) {
                    b++;
                }
                bins[b]++;
            }
            String[] tips = new String[bins.length];
            for (int b = 0; b < bins.length; b++) {
                tips[b] = bins[b] + (bins[b] == 1 ? " run" : " runs") + " in " + micros(edges.get(b)) + " .. "
                        + micros(edges.get(b + 1));
            }
            histogram(
                    h, "recovery", bins, labels, tips, "#2e8b3e", "µs, log scale (a bar: from its label to the next)");
            h.append("</div>\n");
        }
        h.append("</div>\n</section>\n");
    }

    /** History replay depths (requests re-run) of the runs that replayed any, per campaign. */
    private static void replayDepths(StringBuilder h, List<Section> sections) {
        h.append("<section id=\"replay-depths\">\n<h2>History replay depth</h2>\n")
                .append("<p class=\"muted\">Committed requests the server's history replays re-ran in a run, of the")
                .append(" runs that replayed any (bins of powers of two).</p>\n");
        int max = 0;
        for (Section s : sections) {
            for (Campaign.Run r : s.runs()) {
                max = Math.max(max, r.replayed());
            }
        }
        if (max == 0) {
            h.append("<p class=\"none\">No history replay happened in any campaign.</p>\n</section>\n");
            return;
        }
        // Bins 1, 2-3, 4-7, ...: bin b holds [2^b, 2^(b+1)).
        int nb = 32 - Integer.numberOfLeadingZeros(max);
        String[] labels = new String[nb];
        for (int b = 0; b < nb; b++) {
            int lo = 1 << b;
            int hi = (1 << (b + 1)) - 1;
            labels[b] = lo == hi ? Integer.toString(lo) : lo + "-" + hi;
        }
        h.append("<div class=\"grid\">\n");
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            int[] bins = new int[nb];
            int runs = 0;
            long sum = 0;
            int deepest = 0;
            for (Campaign.Run r : s.runs()) {
                if (r.replayed() > 0) {
                    bins[31 - Integer.numberOfLeadingZeros(r.replayed())]++;
                    runs++;
                    sum += r.replayed();
                    deepest = Math.max(deepest, r.replayed());
                }
            }
            h.append("<div class=\"card\" data-campaign=\"")
                    .append(i + 1)
                    .append("\">\n<h3>")
                    .append(esc(s.label()))
                    .append("</h3>\n");
            if (runs == 0) {
                h.append("<p class=\"none\">No history replay happened in this campaign.</p>\n</div>\n");
                continue;
            }
            h.append("<p class=\"muted\">")
                    .append(runs)
                    .append(runs == 1 ? " run" : " runs")
                    .append(" replayed; ")
                    .append(String.format(Locale.ROOT, "%.1f", (double) sum / runs))
                    .append(" requests on average, at most ")
                    .append(deepest)
                    .append("</p>\n");
            String[] tips = new String[nb];
            for (int b = 0; b < nb; b++) {
                tips[b] = bins[b] + (bins[b] == 1 ? " run" : " runs") + " replayed " + labels[b]
                        + (labels[b].equals("1") ? " request" : " requests");
            }
            histogram(h, "replay", bins, labels, tips, "#3d6fb6", "requests replayed");
            h.append("</div>\n");
        }
        h.append("</div>\n</section>\n");
    }

    /** A vertical bar chart of {@code bins}, labelled below, each bar with its count on hover. */
    private static void histogram(
            StringBuilder h, String kind, int[] bins, String[] labels, String[] tips, String fill, String axis) {
        int maxCount = Math.max(1, Arrays.stream(bins).max().orElse(1));
        int left = 36;
        int plotH = 140;
        int top = 18;
        int slot = Math.max(30, Math.min(60, 460 / Math.max(1, bins.length)));
        int width = Math.max(400, left + slot * bins.length + 8);
        int height = top + plotH + 50;
        h.append("<svg class=\"histogram ")
                .append(kind)
                .append("\" role=\"img\" aria-label=\"")
                .append(esc(axis))
                .append(" histogram\" viewBox=\"0 0 ")
                .append(width)
                .append(' ')
                .append(height)
                .append("\" width=\"")
                .append(width)
                .append("\" height=\"")
                .append(height)
                .append("\">\n");
        // y axis: 0 and the largest bin
        h.append("<line x1=\"")
                .append(left)
                .append("\" y1=\"")
                .append(top + plotH)
                .append("\" x2=\"")
                .append(width - 4)
                .append("\" y2=\"")
                .append(top + plotH)
                .append("\" stroke=\"#888\"/>\n");
        h.append("<line x1=\"")
                .append(left)
                .append("\" y1=\"")
                .append(top)
                .append("\" x2=\"")
                .append(width - 4)
                .append("\" y2=\"")
                .append(top)
                .append("\" stroke=\"#e4e4e4\" stroke-dasharray=\"3 3\"/>\n");
        h.append("<text class=\"small\" x=\"")
                .append(left - 4)
                .append("\" y=\"")
                .append(top + 4)
                .append("\" text-anchor=\"end\">")
                .append(maxCount)
                .append("</text>\n<text class=\"small\" x=\"")
                .append(left - 4)
                .append("\" y=\"")
                .append(top + plotH)
                .append("\" text-anchor=\"end\">0</text>\n");
        for (int b = 0; b < bins.length; b++) {
            int x = left + b * slot;
            double bh = (double) plotH * bins[b] / maxCount;
            if (bins[b] > 0) {
                h.append("<rect class=\"bin\" data-count=\"")
                        .append(bins[b])
                        .append("\" x=\"")
                        .append(x + 3)
                        .append("\" y=\"")
                        .append(num(top + plotH - bh))
                        .append("\" width=\"")
                        .append(slot - 6)
                        .append("\" height=\"")
                        .append(num(bh))
                        .append("\" fill=\"")
                        .append(fill)
                        .append("\"><title>")
                        .append(esc(tips[b]))
                        .append("</title></rect>\n");
                h.append("<text class=\"small\" x=\"")
                        .append(x + slot / 2)
                        .append("\" y=\"")
                        .append(num(top + plotH - bh - 3))
                        .append("\" text-anchor=\"middle\">")
                        .append(bins[b])
                        .append("</text>\n");
            }
            h.append("<text class=\"small\" x=\"")
                    .append(x + slot / 2)
                    .append("\" y=\"")
                    .append(top + plotH + 14)
                    .append("\" text-anchor=\"middle\">")
                    .append(esc(labels[b]))
                    .append("</text>\n");
        }
        h.append("<text class=\"small\" x=\"")
                .append(left + (width - left) / 2)
                .append("\" y=\"")
                .append(height - 8)
                .append("\" text-anchor=\"middle\">")
                .append(esc(axis))
                .append("</text>\n</svg>\n");
    }

    /** The runs that neither recovered nor were benign, with the command that replays each. */
    private static void failures(StringBuilder h, List<Section> sections) {
        h.append("<section id=\"failures\">\n<h2>Runs that did not recover</h2>\n")
                .append("<p class=\"muted\">Every run whose verdict is wrong reply, failed, silent or false")
                .append(" detection, in seed order; the last column replays it.</p>\n");
        List<List<Campaign.Run>> bad = new ArrayList<>();
        int all = 0;
        for (Section s : sections) {
            List<Campaign.Run> b = s.runs().stream()
                    .filter(r -> r.verdict() != Campaign.Verdict.RECOVERED && r.verdict() != Campaign.Verdict.BENIGN)
                    .sorted((a, c) -> Long.compare(a.seed(), c.seed()))
                    .toList();
            bad.add(b);
            all += b.size();
        }
        if (all == 0) {
            h.append("<p class=\"none\">None: every run recovered or was benign.</p>\n</section>\n");
            return;
        }
        // Each campaign gets an even share of the rows, a campaign with fewer leaving the rest to others.
        int[] quota = new int[sections.size()];
        int left = MAX_FAILURE_ROWS;
        for (int pass = 0; pass < sections.size() && left > 0; pass++) {
            int open = 0;
            for (int i = 0; i < quota.length; i++) {
                open += quota[i] < bad.get(i).size() ? 1 : 0;
            }
            if (open == 0) {
                break;
            }
            int share = Math.max(1, left / open);
            for (int i = 0; i < quota.length && left > 0; i++) {
                int add = Math.min(Math.min(share, left), bad.get(i).size() - quota[i]);
                if (add > 0) {
                    quota[i] += add;
                    left -= add;
                }
            }
        }
        h.append("<table class=\"failures\">\n<thead><tr><th>campaign</th><th>seed</th><th>verdict</th>")
                .append("<th>fault type</th><th>request</th><th>fault</th><th>manifestation</th><th>detail</th>")
                .append("<th>replay</th></tr></thead>\n<tbody>\n");
        int hidden = 0;
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            List<Campaign.Run> b = bad.get(i);
            for (int k = 0; k < quota[i]; k++) {
                Campaign.Run r = b.get(k);
                h.append("<tr class=\"failure\" data-campaign=\"")
                        .append(i + 1)
                        .append("\" data-seed=\"")
                        .append(r.seed())
                        .append("\"><td>")
                        .append(esc(s.label()))
                        .append("</td><td class=\"num\">")
                        .append(r.seed())
                        .append("</td><td><span class=\"badge ")
                        .append(verdictClass(r.verdict()))
                        .append("\">")
                        .append(verdictLabel(r.verdict()))
                        .append("</span></td><td>")
                        .append(esc(r.type().label()))
                        .append("</td><td class=\"num\">")
                        .append(r.request())
                        .append("</td><td class=\"text\">")
                        .append(esc(shorten(r.what(), MAX_CELL_CHARS)))
                        .append("</td><td class=\"text\">")
                        .append(esc(shorten(r.manifestation(), MAX_CELL_CHARS)))
                        .append("</td><td class=\"text\">")
                        .append(esc(shorten(r.detail(), MAX_CELL_CHARS)))
                        .append("</td><td class=\"cmd\">")
                        .append(command(s.replayCommand().apply(r.seed())))
                        .append("</td></tr>\n");
            }
            hidden += b.size() - quota[i];
        }
        h.append("</tbody>\n</table>\n");
        if (hidden > 0) {
            h.append("<p class=\"more\">")
                    .append(hidden)
                    .append(hidden == 1 ? " more run" : " more runs")
                    .append(" not shown (the first ")
                    .append(MAX_FAILURE_ROWS)
                    .append(" of ")
                    .append(all)
                    .append(" are; the result files hold them all).</p>\n");
        }
        h.append("</section>\n");
    }

    // ---------------------------------------------------------------- text

    /**
     * A command line in a {@code <code>} element, each word unbreakable (a browser would break
     * {@code --seed} after its hyphens); the text copied from it is the command.
     */
    static String command(String cmd) {
        StringBuilder b = new StringBuilder("<code>");
        String[] words = cmd.split(" ", -1);
        for (int i = 0; i < words.length; i++) {
            b.append(i == 0 ? "" : " ");
            if (!words[i].isEmpty()) {
                b.append("<span class=\"w\">").append(esc(words[i])).append("</span>");
            }
        }
        return b.append("</code>").toString();
    }

    /** {@code s} safe as HTML text and as a quoted attribute value; control characters shown as \xNN. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                case '\n', '\t' -> b.append(c);
                default -> {
                    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else if (Character.isSurrogate(c)) {
                        if (Character.isHighSurrogate(c)
                                && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1))) {
                            b.append(c).append(s.charAt(++i));
                        } else {
                            b.append('\ufffd');
                        }
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    /** At most {@code max} characters of {@code s}, an ellipsis marking a cut. */
    static String shorten(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int cut = max - 1;
        if (Character.isHighSurrogate(s.charAt(cut - 1))) {
            cut--;
        }
        return s.substring(0, cut) + "…";
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String pct(int a, int b) {
        return b == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * a / b);
    }

    /** A time in ns as µs (or ms, s), rounded for a label. */
    static String micros(long nanos) {
        double us = nanos / 1000.0;
        if (us >= 1_000_000) {
            return trim(us / 1_000_000) + " s";
        }
        if (us >= 1000) {
            return trim(us / 1000) + " ms";
        }
        return trim(us) + " µs";
    }

    /** The bin edge after {@code e} in the 1-2-5 series. */
    static long nextEdge(long e) {
        long p = 1;
        while (p * 10 <= e) {
            p *= 10;
        }
        long d = e / p;
        return d == 1 ? 2 * p : d == 2 ? 5 * p : 10 * p;
    }

    /** A bin edge in ns as µs, short: 5, 20, 1k, 50k, 2M. */
    static String compactMicros(long nanos) {
        long us = nanos / 1000;
        return us >= 1_000_000 && us % 1_000_000 == 0
                ? us / 1_000_000 + "M"
                : us >= 1000 && us % 1000 == 0 ? us / 1000 + "k" : Long.toString(us);
    }

    private static String trim(double v) {
        String s = v >= 100 || v == Math.rint(v)
                ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.1f", v);
        return s;
    }
}
