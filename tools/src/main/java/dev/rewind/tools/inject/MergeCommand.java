package dev.rewind.tools.inject;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rewind inject merge}: the shards' result files of one campaign, as one campaign. */
@Command(
        name = "merge",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Merge the --results files of a campaign's shards (rewind inject ... --shard I/N --results FILE).",
            "",
            "Checks that they are the shards of one campaign (the same parameters, image and versions, every",
            "shard 0..N-1 once, each complete, no seed twice or out of place), then prints the table and rates",
            "that one run of the whole campaign prints, and writes the same --json (byte for byte) and --csv.",
            ""
        })
public final class MergeCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "The shards' result files (JSON Lines).")
    List<Path> files;

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
            names = {"-v", "--verbose"},
            description = "Print one line per injection, then the command that replays one alone.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        InjectCommand.checkOutputs(json, csv, null, report);
        for (Path f : files) {
            if (report != null
                    && f.toAbsolutePath()
                            .normalize()
                            .equals(report.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("the output would overwrite the result file " + f);
            }
            if (json != null
                            && f.toAbsolutePath()
                                    .normalize()
                                    .equals(json.toAbsolutePath().normalize())
                    || csv != null
                            && f.toAbsolutePath()
                                    .normalize()
                                    .equals(csv.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("the output would overwrite the result file " + f);
            }
            dev.rewind.tools.HostFiles.checkReadable(f, "result file");
        }
        ResultFile.Contents merged = ResultFile.merge(files);
        CampaignReport campaign = new CampaignReport(merged.header(), merged.runs());
        ResultFile.Header h = merged.header();
        System.out.printf(
                "merged %d shard%s of %s, server %s, policy %s: %d %s from seed %d%n",
                files.size(),
                files.size() == 1 ? "" : "s",
                h.image(),
                h.server(),
                h.policy(),
                h.count(),
                h.faultFree() ? "fault-free runs" : "injections",
                h.firstSeed());
        if (verbose) {
            campaign.printRuns(System.out);
        }
        campaign.print(System.out);
        campaign.write(json, csv, report);
        return 0;
    }
}
