package dev.rewind.tools.inject;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.CliRun;
import dev.rewind.tools.Fixtures;
import dev.rewind.tools.Main;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A campaign split into shards (--shard, --results), merged (inject merge), resumed (--resume)
 * and interrupted (SIGINT) gives exactly what one whole run gives.
 */
class ShardMergeTest {
    private static final String[] CAMPAIGN = {"inject", "builtin:t_kv_oracle.toml", "--server", "kv", "-n", "12"};

    @TempDir
    static Path dir;

    static CliRun.Result whole;
    static byte[] wholeJson;
    static Path[] shards = new Path[3];

    private static String[] campaign(String... more) {
        List<String> a = new ArrayList<>(Arrays.asList(CAMPAIGN));
        a.addAll(Arrays.asList(more));
        return a.toArray(new String[0]);
    }

    private static CliRun.Result rewind(String... args) {
        return CliRun.rewind(Duration.ofSeconds(120), args);
    }

    @BeforeAll
    static void runWholeAndShards() throws IOException {
        Path json = dir.resolve("whole.json");
        whole = rewind(campaign("--jobs", "2", "--json", json.toString()));
        assertEquals(0, whole.status(), whole::toString);
        wholeJson = Files.readAllBytes(json);
        for (int i = 0; i < 3; i++) {
            shards[i] = dir.resolve("shard" + i + ".jsonl");
            CliRun.Result r = rewind(campaign("--jobs", "2", "--shard", i + "/3", "--results", shards[i].toString()));
            assertEquals(0, r.status(), r::toString);
        }
    }

    /** The table and rates lines of a run's output (its first line and time line left out). */
    private static String table(CliRun.Result r, boolean timed) {
        List<String> lines = new ArrayList<>(Arrays.asList(r.out().split("\n")));
        lines.remove(0);
        if (timed) {
            assertTrue(lines.remove(lines.size() - 1).matches("[0-9.]+ s"), r::toString);
        }
        return String.join("\n", lines);
    }

    private static List<String> lines(Path f) throws IOException {
        return Files.readAllLines(f, StandardCharsets.UTF_8);
    }

    private static Path copy(String name, List<String> lines) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void shardsMergeToExactlyTheWholeRun() throws IOException {
        Set<Long> seeds = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            List<String> l = lines(shards[i]);
            assertTrue(l.get(0).startsWith("{\"record\":\"campaign\",\"schema\":1,"), l.get(0));
            assertTrue(l.get(0).endsWith("\"shard\":{\"index\":" + i + ",\"count\":3}}"), l.get(0));
            assertTrue(l.get(0).matches(".*\"image_sha256\":\"[0-9a-f]{64}\".*"), l.get(0));
            assertEquals(5, l.size()); // seeds i+1, i+4, i+7, i+10
            for (String run : l.subList(1, l.size())) {
                long seed = ResultFile.parseRun(Json.parseObject(run)).seed();
                assertEquals(i, (seed - 1) % 3, run);
                assertTrue(seeds.add(seed), "seed twice: " + run);
                assertTrue(run.contains("\"recovery_ns\":"), run);
            }
        }
        assertEquals(12, seeds.size());
        Path json = dir.resolve("merged.json");
        CliRun.Result m = rewind(
                "inject",
                "merge",
                shards[2].toString(),
                shards[0].toString(),
                shards[1].toString(),
                "--json",
                json.toString());
        assertEquals(0, m.status(), m::toString);
        assertEquals(table(whole, true), table(m, false));
        assertArrayEquals(wholeJson, Files.readAllBytes(json), "merged JSON differs from the whole run's");
        assertTrue(!new String(wholeJson, StandardCharsets.UTF_8).contains("µs"), "a measured time in the JSON");
    }

    @Test
    void theHeaderRecordsEachBootsTimeLimitAndOlderFilesReadAsTheDefault() throws IOException {
        String header = lines(shards[0]).get(0);
        assertTrue(header.contains(",\"timeout_ns\":20000000000,"), header);
        // Files written before the field existed all ran under the 20 s limit: they still merge.
        Path[] old = new Path[3];
        for (int i = 0; i < 3; i++) {
            List<String> l = lines(shards[i]);
            l.set(0, l.get(0).replace(",\"timeout_ns\":20000000000", ""));
            old[i] = copy("old" + i + ".jsonl", l);
        }
        Path json = dir.resolve("old.json");
        CliRun.Result m = rewind(
                "inject", "merge", old[0].toString(), old[1].toString(), old[2].toString(), "--json", json.toString());
        assertEquals(0, m.status(), m::toString);
        assertArrayEquals(wholeJson, Files.readAllBytes(json));
        // Another limit is another campaign (a run past it counts as a hang), and a bad value is damage.
        mergeWithThirdShardHeaderTimeout(
                "90000000000", "t90.jsonl", "not shards of one campaign", "timeout_ns: 90000000000");
        mergeWithThirdShardHeaderTimeout("0", "t0.jsonl", "t0.jsonl", "\"timeout_ns\" is not positive");
    }

    /** Merge shards 0 and 1 with shard 2 whose header's timeout_ns is {@code value}: a usage error saying {@code expected}. */
    private static void mergeWithThirdShardHeaderTimeout(String value, String name, String... expected)
            throws IOException {
        List<String> l = lines(shards[2]);
        l.set(0, l.get(0).replace("\"timeout_ns\":20000000000", "\"timeout_ns\":" + value));
        Fixtures.assertUsageError(
                rewind(
                        "inject",
                        "merge",
                        shards[0].toString(),
                        shards[1].toString(),
                        copy(name, l).toString()),
                expected);
    }

    @Test
    void theHtmlReportComesFromTheShardsAsFromOneCampaign() throws IOException {
        Path html = dir.resolve("report.html");
        CliRun.Result r = rewind(
                "inject",
                "report",
                "-o",
                html.toString(),
                shards[0].toString(),
                shards[1].toString(),
                shards[2].toString());
        assertEquals(0, r.status(), r::toString);
        assertEquals("report: 1 campaign, 12 runs -> " + html, r.out().strip());
        String page = Files.readString(html, StandardCharsets.UTF_8);
        assertTrue(page.startsWith("<!DOCTYPE html>"), page.substring(0, 40));
        assertTrue(page.contains("kv / txipc"), "the campaign's section");
        // An unfinished campaign (shard 2 missing) is refused, as merge refuses it, unless --partial.
        CliRun.Result gap =
                rewind("inject", "report", "-o", html.toString(), shards[0].toString(), shards[1].toString());
        assertEquals(2, gap.status(), gap::toString);
        assertTrue(gap.err().contains("shard 2 of 3 missing") && gap.err().contains("--partial"), gap::toString);
        CliRun.Result part = rewind(
                "inject", "report", "--partial", "-o", html.toString(), shards[0].toString(), shards[1].toString());
        assertEquals(0, part.status(), part::toString);
        assertEquals("report: 1 campaign, 8 runs -> " + html, part.out().strip());
        // The output must not overwrite an input.
        CliRun.Result self = rewind("inject", "report", "-o", shards[0].toString(), shards[0].toString());
        assertEquals(2, self.status(), self::toString);
    }

    @Test
    void mergeRefusesWhatIsNotOneWholeCampaign() throws IOException {
        String s0 = shards[0].toString();
        String s1 = shards[1].toString();
        String s2 = shards[2].toString();
        // a gap: shard 2 missing
        Fixtures.assertUsageError(rewind("inject", "merge", s0, s1), "gap", "shard 2 of 3 missing", "3, 6, 9, 12");
        // an overlap: shard 1 twice
        Fixtures.assertUsageError(rewind("inject", "merge", s0, s1, s1, s2), "both shard 1/3");
        // a different parameter
        List<String> l2 = lines(shards[2]);
        l2.set(0, l2.get(0).replace("\"hang_ms\":1000", "\"hang_ms\":999"));
        Path other = copy("other.jsonl", l2);
        Fixtures.assertUsageError(
                rewind("inject", "merge", s0, s1, other.toString()), "not shards of one campaign", "hang_ms: 999");
        // a foreign seed: a run of shard 0 in shard 1's file
        List<String> l1 = lines(shards[1]);
        l1.add(lines(shards[0]).get(1));
        Path foreign = copy("foreign.jsonl", l1);
        Fixtures.assertUsageError(
                rewind("inject", "merge", s0, foreign.toString(), s2), "foreign.jsonl", "is foreign to shard 1/3");
        // a seed twice
        List<String> twice = lines(shards[1]);
        twice.add(twice.get(1));
        Fixtures.assertUsageError(
                rewind("inject", "merge", s0, copy("twice.jsonl", twice).toString(), s2), "twice");
        // an incomplete shard
        List<String> part = lines(shards[1]);
        long gone = ResultFile.parseRun(Json.parseObject(part.remove(2))).seed();
        Fixtures.assertUsageError(
                rewind("inject", "merge", s0, copy("part.jsonl", part).toString(), s2),
                "part.jsonl",
                "incomplete",
                "seeds " + gone + ";");
        // a cut-short last line
        Path cut = dir.resolve("cut.jsonl");
        byte[] b = Files.readAllBytes(shards[1]);
        Files.write(cut, Arrays.copyOf(b, b.length - 20));
        Fixtures.assertUsageError(rewind("inject", "merge", s0, cut.toString(), s2), "cut.jsonl", "cut short");
        // a run of a type the campaign does not inject
        List<String> typed = lines(shards[1]);
        typed.set(1, typed.get(1).replaceFirst("\"type\":\"[a-z_]+\"", "\"type\":\"live_memory_bit_flip\""));
        Fixtures.assertUsageError(
                rewind("inject", "merge", s0, copy("typed.jsonl", typed).toString(), s2),
                "typed.jsonl, line 2",
                "\"live_memory_bit_flip\" is not one of the campaign's types");
        // a line nested deeper than any result file (damage): an error, not a stack overflow
        List<String> deep = lines(shards[1]);
        deep.set(2, "{\"record\":" + "[".repeat(20000) + "]".repeat(20000) + "}");
        Fixtures.assertUsageError(
                rewind("inject", "merge", s0, copy("deep.jsonl", deep).toString(), s2),
                "deep.jsonl, line 3",
                "nested more than 64 deep");
        Fixtures.assertUsageError(
                rewind(
                        "inject",
                        "report",
                        "-o",
                        dir.resolve("deep.html").toString(),
                        copy("deep2.jsonl", deep).toString()),
                "nested more");
        // a file far larger than any result file's line (a disk image given by mistake): refused, not read whole
        Path huge = dir.resolve("huge.jsonl");
        Files.write(huge, new byte[3 << 20]);
        Fixtures.assertUsageError(
                rewind("inject", "merge", huge.toString()), "huge.jsonl, line 1 is longer than 1024 KiB");
        // not a result file
        Path junk = copy("junk.jsonl", List.of("{\"record\":\"nothing\"}"));
        Fixtures.assertUsageError(rewind("inject", "merge", junk.toString()), "junk.jsonl, line 1");
    }

    @Test
    void resumeRunsOnlyTheMissingSeeds() throws IOException {
        byte[] full = Files.readAllBytes(shards[1]);
        // the header and two runs, then half of the third run (killed while writing it)
        List<String> l = lines(shards[1]);
        String kept = l.get(0) + "\n" + l.get(1) + "\n" + l.get(2) + "\n";
        Path f = dir.resolve("resumed.jsonl");
        Files.writeString(f, kept + l.get(3).substring(0, l.get(3).length() / 2), StandardCharsets.UTF_8);
        // without --resume: refused, the file untouched
        Fixtures.assertUsageError(
                rewind(campaign("--shard", "1/3", "--results", f.toString())), "exists: --resume continues");
        // another campaign: refused, naming what differs
        Fixtures.assertUsageError(
                rewind(campaign("--shard", "1/3", "--results", f.toString(), "--resume", "--hang-ms", "900")),
                "hang_ms: 900 (this command) vs 1000");
        Fixtures.assertUsageError(
                rewind(campaign("--shard", "1/3", "--results", f.toString(), "--resume", "--timeout", "90s")),
                "timeout_ns: 90000000000 (this command) vs 20000000000");
        CliRun.Result r = rewind(campaign("--jobs", "2", "--shard", "1/3", "--results", f.toString(), "--resume"));
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.err().contains("dropped its cut-short last line 4"), r::toString);
        assertTrue(r.out().contains("2 runs already done, 2 to go"), r::toString);
        String after = Files.readString(f, StandardCharsets.UTF_8);
        assertTrue(after.startsWith(kept), "the runs kept were rewritten");
        List<String> now = lines(f);
        assertEquals(5, now.size(), after);
        Set<String> a = new HashSet<>(now);
        Set<String> b = new HashSet<>(lines(shards[1]));
        // the same runs (measured recovery times aside) as the uninterrupted shard
        assertEquals(strip(b), strip(a));
        assertEquals(full.length > 0, true);
        Path json = dir.resolve("resumed.json");
        CliRun.Result m = rewind(
                "inject", "merge", shards[0].toString(), f.toString(), shards[2].toString(), "--json", json.toString());
        assertEquals(0, m.status(), m::toString);
        assertArrayEquals(wholeJson, Files.readAllBytes(json));
        // a finished campaign resumed runs nothing and prints the same table
        CliRun.Result again = rewind(campaign("--shard", "1/3", "--results", f.toString(), "--resume"));
        assertEquals(0, again.status(), again::toString);
        assertTrue(again.out().contains("4 runs already done, 0 to go"), again::toString);
        assertEquals(after, Files.readString(f, StandardCharsets.UTF_8));
    }

    private static Set<String> strip(Set<String> lines) {
        Set<String> s = new HashSet<>();
        for (String x : lines) {
            s.add(x.replaceAll("\"recovery_ns\":-?[0-9]+", ""));
        }
        return s;
    }

    @Test
    void badShardValuesAreUsageErrors() {
        for (String bad : List.of("3/3", "-1/3", "1", "1/0", "a/b", "1/2/3", "0/100001")) {
            Fixtures.assertUsageError(rewind(campaign("--shard", bad)), "--shard must be I/N with 0 <= I < N");
        }
        Fixtures.assertUsageError(rewind(campaign("--resume")), "--resume needs --results");
        CliRun.Result none = rewind("inject", "merge");
        assertEquals(2, none.status(), none::toString);
        assertTrue(none.err().startsWith("Missing required parameter: 'FILE'"), none::toString);
    }

    /** SIGINT when the JVM honours it (not ignored by whoever started us), else SIGTERM: the same hook. */
    private static String signal() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigIgn:")) {
                long mask = Long.parseUnsignedLong(line.substring(7).strip(), 16);
                return (mask & 2) != 0 ? "TERM" : "INT";
            }
        }
        return "INT";
    }

    @Test
    void interruptedCampaignWithoutAResultFileSaysItsRunsAreLost() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd =
                new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of("inject", "builtin:t_kv_oracle.toml", "--server", "kv", "-n", "500", "--jobs", "1"));
        Path out = dir.resolve("lost.out");
        Path err = dir.resolve("lost.err");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline
                && p.isAlive()
                && !Files.readString(out).startsWith("inject: ")) {
            Thread.sleep(20);
        }
        Thread.sleep(1000); // some runs done
        assertTrue(p.isAlive(), "the campaign ended before it could be interrupted");
        String sig = signal();
        new ProcessBuilder("kill", "-" + sig, String.valueOf(p.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "not stopped by SIG" + sig);
        String e = Files.readString(err);
        assertTrue(
                e.matches("(?s).*rewind: interrupted after \\d+ of 500 runs; none is saved \\(without --results.*"), e);
    }

    @Test
    void interruptedCampaignSavesItsRunsAndResumes() throws Exception {
        Path f = dir.resolve("interrupted.jsonl");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd =
                new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(Arrays.asList(campaign("--jobs", "1", "--results", f.toString())));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Path err = dir.resolve("interrupted.err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (Files.exists(f) && lines(f).size() >= 3) { // the header and two runs
                break;
            }
            Thread.sleep(20);
        }
        assertTrue(p.isAlive(), "the campaign ended before it could be interrupted");
        String sig = signal();
        new ProcessBuilder("kill", "-" + sig, String.valueOf(p.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "not stopped by SIG" + sig);
        assertEquals(sig.equals("INT") ? 130 : 143, p.exitValue());
        String e = Files.readString(err);
        byte[] b = Files.readAllBytes(f);
        assertEquals('\n', b[b.length - 1], "the file ends mid-line");
        int saved = lines(f).size() - 1;
        assertTrue(saved >= 2 && saved < 12, "runs saved: " + saved);
        assertTrue(e.contains("interrupted: " + saved + " of 12 runs saved in " + f), e);
        assertTrue(e.contains("resume with: rewind inject builtin:t_kv_oracle.toml") && e.contains("--resume"), e);
        Path json = dir.resolve("interrupted.json");
        CliRun.Result r =
                rewind(campaign("--jobs", "2", "--results", f.toString(), "--resume", "--json", json.toString()));
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains(saved + " runs already done, " + (12 - saved) + " to go"), r::toString);
        assertEquals(table(whole, true), table(r, true).replaceFirst("resuming [^\n]*\n", ""));
        assertArrayEquals(wholeJson, Files.readAllBytes(json));
    }
}
