package dev.rewind.tools.inject;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rewind inject report}: the HTML report of campaigns, from their result files. */
@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Write one self-contained HTML page from the --results files of one or more campaigns.",
            "",
            "Files of the same campaign (its shards) are merged as 'rewind inject merge' merges them; different",
            "campaigns (say, one server under txipc, restart and none) are shown side by side, in the order given.",
            "The page needs no network: open it in any browser.",
            ""
        },
        footer = {
            "",
            "Example: rewind inject builtin:t_kv_oracle.toml --server kv --policy txipc -n 1000 --results kv-txipc.jsonl",
            "         rewind inject builtin:t_kv_oracle.toml --server kv --policy none -n 1000 --results kv-none.jsonl",
            "         rewind inject report -o kv.html kv-txipc.jsonl kv-none.jsonl"
        })
public final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Result files (rewind inject ... --results FILE).")
    List<Path> files;

    @Option(
            names = {"-o", "--output"},
            required = true,
            paramLabel = "FILE",
            description = "The HTML file to write.")
    Path output;

    @Option(
            names = "--partial",
            description = "Also report campaigns that are not finished (missing shards or seeds, a cut-short last"
                    + " line): their runs so far. Without it such a campaign is refused, as by merge.")
    boolean partial;

    @Option(
            names = "--title",
            paramLabel = "TEXT",
            description = "The page's title (default: the servers and policies).")
    String title;

    @Override
    public Integer call() throws Exception {
        dev.rewind.tools.HostFiles.checkWritable(output, "--output");
        for (Path f : files) {
            dev.rewind.tools.HostFiles.checkReadable(f, "result file");
            if (f.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("the output would overwrite the result file " + f);
            }
        }
        // One campaign per header (shard index aside), in the order first seen.
        Map<ResultFile.Header, List<Path>> campaigns = new LinkedHashMap<>();
        for (Path f : files) {
            ResultFile.Contents c = ResultFile.read(f);
            if (c.header() == null) {
                throw new IllegalArgumentException(f + ": its header line is cut short: not a result file yet");
            }
            campaigns
                    .computeIfAbsent(c.header().shard(0, c.header().shardCount()), k -> new ArrayList<>())
                    .add(f);
        }
        List<CampaignReport> reports = new ArrayList<>();
        for (Map.Entry<ResultFile.Header, List<Path>> e : campaigns.entrySet()) {
            reports.add(partial ? runsSoFar(e.getKey(), e.getValue()) : merged(e.getValue()));
        }
        List<HtmlReport.Section> sections =
                reports.stream().map(CampaignReport::section).toList();
        String html = HtmlReport.render(title != null ? title : CampaignReport.title(reports), sections);
        Files.writeString(output, html, StandardCharsets.UTF_8);
        int runs = reports.stream().mapToInt(r -> r.runs().size()).sum();
        System.out.printf(
                "report: %d campaign%s, %d runs -> %s%n", reports.size(), reports.size() == 1 ? "" : "s", runs, output);
        return 0;
    }

    private static CampaignReport merged(List<Path> shards) throws java.io.IOException {
        ResultFile.Contents c;
        try {
            c = ResultFile.merge(shards);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (--partial reports the runs so far)");
        }
        return new CampaignReport(c.header(), c.runs());
    }

    /** The runs found so far in a campaign's files (each seed once; what a cut-short line held is left out). */
    private static CampaignReport runsSoFar(ResultFile.Header h, List<Path> shards) throws java.io.IOException {
        Map<Long, Campaign.Run> bySeed = new TreeMap<>();
        for (Path f : shards) {
            for (Campaign.Run r : ResultFile.read(f).runs()) {
                if (h.owns(r.seed()) || h.shardCount() > 1) {
                    bySeed.putIfAbsent(r.seed(), r);
                }
            }
        }
        return new CampaignReport(h, new ArrayList<>(bySeed.values()));
    }
}
