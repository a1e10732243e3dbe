package dev.rewind.tools.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.probe.FaultInjector;
import dev.rewind.tools.CliRun;
import dev.rewind.tools.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code rewind inject} tells its user: limits, replay commands, threads. */
class InjectCommandTest {
    @TempDir
    Path dir;

    private static CliRun.Result rewind(Duration timeout, String... args) {
        return CliRun.rewind(timeout, args);
    }

    /** {@code rewind inject builtin:t_kv_oracle.toml --server kv} with {@code more}, within a minute. */
    private static CliRun.Result injectKv(String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("inject", "builtin:t_kv_oracle.toml", "--server", "kv"));
        a.addAll(Arrays.asList(more));
        return rewind(Duration.ofSeconds(60), a.toArray(new String[0]));
    }

    @Test
    void theProfilingBootMayTakeAMultipleOfAPlainBootAndAtLeastTheLimitOfEachBoot() {
        long s = 1_000_000_000L;
        assertEquals(180 * s, Campaign.profileBudget(20 * s, s / 1000 * 60, 3000));
        assertEquals(20 * s, Campaign.profileBudget(20 * s, s / 1000, 3000)); // at least the limit of each boot
        assertEquals(0, Campaign.profileBudget(0, 5 * s, 3000)); // no limit: none for the profile either
        assertEquals(Long.MAX_VALUE, Campaign.profileBudget(s, Long.MAX_VALUE / 2, 3000)); // no overflow
    }

    /** t_heap's server is all the workload: profiling it takes ~700 times a plain boot (0.06 s). */
    @Test
    void aProfilingBootPastItsLimitSaysSoAndHowToRaiseIt() {
        // (No builtin workload is slow enough to profile to run past a limit it plainly meets
        // since the count is native: the message alone.)
        String m = Campaign.profileOverrun("builtin:t_heap.toml", 3_000_000_000L, 1, 110_000_000L, 3_000_000_000L);
        assertTrue(m.startsWith("the profiling boot of builtin:t_heap.toml"), m);
        assertTrue(m.contains("ran past its limit of 3 s (1 times the 0.110 s of a plain fault-free boot"), m);
        assertTrue(m.contains("--timeout DURATION raises"), m);
    }

    /**
     * A network workload (frames come with the host's timing) is never the same twice: the
     * campaign says so, since its seeds then neither strike the planned request nor replay a run.
     * A deterministic one (t_kv_oracle) is not warned about.
     */
    @Test
    void aWorkloadThatVariesBetweenBootsIsSaidToBeNondeterministic() {
        CliRun.Result kv = injectKv("-n", "1", "--seed", "1190001", "--fault-free");
        assertEquals(0, kv.status(), kv::toString);
        assertFalse(kv.err().contains("not deterministic"), kv::toString);
        // t_net_oracle's nic answered 860 to 971 requests from boot to boot: two equal boots are
        // rare, three in a row out of the question.
        CliRun.Result net = null;
        for (int i = 0; i < 3 && (net == null || !net.err().contains("not deterministic")); i++) {
            net = rewind(
                    Duration.ofSeconds(60),
                    "inject",
                    "builtin:t_net_oracle.toml",
                    "--server",
                    "nic",
                    "--policy",
                    "shadow",
                    "-n",
                    "1",
                    "--seed",
                    "1190002",
                    "--fault-free");
        }
        CliRun.Result last = net;
        assertEquals(0, last.status(), last::toString);
        assertTrue(
                last.err()
                        .contains("rewind: the workload of builtin:t_net_oracle.toml is not deterministic: server nic"
                                + " answered "),
                last::toString);
        assertTrue(last.err().contains("'replay one run' (--verbose, --report) need not repeat a run"), last::toString);
        assertEquals(null, Campaign.nondeterministic("x", "kv", 40, 40));
        assertEquals(null, Campaign.nondeterministic("x", "kv", -1, 40));
    }

    /**
     * A workload whose boots make the same number of requests in another order (two clients whose
     * calls interleave as the host's timing falls, t_jitter) is not deterministic either: its
     * seeds strike another client's request from boot to boot. The count alone did not tell (an
     * outside scheduler's clients that slept: the same 182 requests in every boot, no warning, and
     * a seed's replay struck requests of three different clients in six tries).
     */
    /**
     * Runs {@code campaign} (ending in an option that takes a file) with {@code first}, writing
     * {@code results}, and returns the results' header line; then the same campaign with {@code
     * other} and --resume must be refused, naming {@code field} as the difference.
     */
    static String headerThenResumeRefused(String[] campaign, Path results, String first, String other, String field)
            throws Exception {
        String[] one = Arrays.copyOf(campaign, campaign.length + 1);
        one[campaign.length] = first;
        assertEquals(0, rewind(Duration.ofSeconds(120), one).status());
        String header = Files.readString(results).lines().findFirst().orElseThrow();
        String[] again = Arrays.copyOf(campaign, campaign.length + 2);
        again[campaign.length] = other;
        again[campaign.length + 1] = "--resume";
        CliRun.Result resumed = rewind(Duration.ofSeconds(120), again);
        assertEquals(2, resumed.status(), resumed::toString);
        assertTrue(resumed.err().contains(field + ": "), resumed::toString);
        return header;
    }

    /**
     * {@code --disk} runs a campaign on a team's own disk image: every boot gets a copy (the file
     * is never written, however many runs write their disk), the replay command repeats it, and a
     * missing file or an image without a block device is a one-line error (exit 2). Before, a
     * campaign always ran on a fresh blank disk (an outside driver team, helper AI).
     */
    @Test
    void aCampaignRunsOnCopiesOfTheGivenDiskAndNeverWritesIt(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("team.img");
        assertEquals(
                0,
                rewind(Duration.ofSeconds(60), "disk", "format", disk.toString(), "--size", "1M")
                        .status());
        byte[] before = java.nio.file.Files.readAllBytes(disk);
        CliRun.Result r = rewind(
                Duration.ofSeconds(120),
                "inject",
                "builtin:t_blk.toml",
                "--server",
                "blk",
                "--policy",
                "shadow",
                "-n",
                "6",
                "--seed",
                "1270101",
                "--disk",
                disk.toString(),
                "-v");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("6 injections from seed 1270101"), r::toString);
        assertTrue(r.out().contains("--disk " + disk + " --seed "), "the replay command repeats --disk: " + r);
        assertTrue(Arrays.equals(before, java.nio.file.Files.readAllBytes(disk)), "the given disk is never written");
        // a disk of another size than the manifest's boots as given
        Path big = dir.resolve("big.img");
        assertEquals(
                0,
                rewind(Duration.ofSeconds(60), "disk", "format", big.toString(), "--size", "2M")
                        .status());
        CliRun.Result two = rewind(
                Duration.ofSeconds(120),
                "inject",
                "builtin:t_blk.toml",
                "--server",
                "blk",
                "--policy",
                "shadow",
                "--fault-free",
                "-n",
                "1",
                "--disk",
                big.toString());
        assertTrue(two.out().contains("0 false detections, 0 failed"), two::toString);
        assertEquals(0, two.status(), two::toString);
        // the result file names each disk's content; a resume on another disk is refused
        Path results = dir.resolve("r.jsonl");
        String[] campaign = {
            "inject",
            "builtin:t_blk.toml",
            "--server",
            "blk",
            "--policy",
            "shadow",
            "-n",
            "1",
            "--seed",
            "1270201",
            "--results",
            results.toString(),
            "--disk"
        };
        String header = headerThenResumeRefused(campaign, results, disk.toString(), big.toString(), "disk_sha256");
        assertTrue(header.contains("\"disk_sha256\":[\"disk0=" + ImageDigest.sha256(before) + "\"]"), header);
        CliRun.Result missing = rewind(
                Duration.ofSeconds(60),
                "inject",
                "builtin:t_blk.toml",
                "--server",
                "blk",
                "-n",
                "1",
                "--disk",
                dir.resolve("none.img").toString());
        assertEquals(2, missing.status(), missing::toString);
        assertTrue(missing.err().startsWith("rewind: --disk: no disk image at "), missing::toString);
        CliRun.Result noDevice = rewind(
                Duration.ofSeconds(60),
                "inject",
                "builtin:t_kv_oracle.toml",
                "--server",
                "kv",
                "-n",
                "1",
                "--disk",
                disk.toString());
        assertEquals(2, noDevice.status(), noDevice::toString);
        assertTrue(noDevice.err().contains("has no block device"), noDevice::toString);
    }

    /**
     * {@code --input FILE} gives every boot the same input, all of it waiting in the UART when
     * the boot starts and the input ended after it, and the replay command repeats it. Before,
     * a campaign's UART input never ended, so a workload that reads its input to the end (the
     * tty echo) could not be a campaign's (helper Q's outside tty driver, session 46).
     */
    @Test
    void aCampaignFeedsEveryBootTheGivenInput(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("typed.txt");
        java.nio.file.Files.writeString(in, "first line\nsecond line\n".repeat(6));
        CliRun.Result r = rewind(
                Duration.ofSeconds(120),
                "inject",
                "builtin:t_tty_echo.toml",
                "--server",
                "tty",
                "--policy",
                "shadow",
                "-n",
                "3",
                "--seed",
                "1580101",
                "--input",
                in.toString(),
                "-v");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("3 injections from seed 1580101"), r::toString);
        assertTrue(r.out().contains("--input " + in + " --seed "), "the replay command repeats --input: " + r);
        // the result file names the input; a resume with another input is refused
        Path results = dir.resolve("r.jsonl");
        String[] campaign = {
            "inject",
            "builtin:t_tty_echo.toml",
            "--server",
            "tty",
            "--policy",
            "shadow",
            "-n",
            "2",
            "--seed",
            "1580201",
            "--results",
            results.toString(),
            "--input"
        };
        Path other = dir.resolve("other.txt");
        java.nio.file.Files.writeString(other, "another line\n");
        String header = headerThenResumeRefused(campaign, results, in.toString(), other.toString(), "input_sha256");
        assertTrue(header.matches(".*\"input_sha256\":\"[0-9a-f]{64}\".*"), header);
        // without it the echo waits for the end of its input for ever: the reference boot says so
        CliRun.Result none = rewind(
                Duration.ofSeconds(60),
                "inject",
                "builtin:t_tty_echo.toml",
                "--server",
                "tty",
                "--policy",
                "shadow",
                "-n",
                "1",
                "--timeout",
                "2s");
        assertEquals(2, none.status(), none::toString);
        assertTrue(none.err().contains("without --input FILE"), none::toString);
        CliRun.Result missing = rewind(
                Duration.ofSeconds(60),
                "inject",
                "builtin:t_tty_echo.toml",
                "--server",
                "tty",
                "-n",
                "1",
                "--input",
                dir.resolve("none.txt").toString());
        assertEquals(2, missing.status(), missing::toString);
        assertTrue(missing.err().startsWith("rewind: --input: no such file: "), missing::toString);
    }

    @Test
    void aWorkloadWhoseRequestsComeInAnotherOrderIsSaidToBeNondeterministic() {
        CliRun.Result r = null;
        for (int i = 0; i < 3 && (r == null || !r.err().contains("not deterministic")); i++) {
            r = rewind(
                    Duration.ofSeconds(60),
                    "inject",
                    "builtin:t_jitter.toml",
                    "--server",
                    "ipc_echo",
                    "-n",
                    "1",
                    "--seed",
                    "1220001",
                    "--fault-free");
        }
        assertEquals(0, r.status(), r::toString);
        assertTrue(
                r.err()
                        .matches("(?s).*rewind: the workload of builtin:t_jitter.toml is not deterministic: server"
                                + " ipc_echo's request \\d+ \\(of 60\\) came from jitter_(sleep|spin) label 0x[0-9a-f]+ in one"
                                + " fault-free boot and from jitter_(sleep|spin) label 0x[0-9a-f]+ in the next.*"),
                r::toString);
        List<String> a = List.of("c1 label 0x1", "c2 label 0x1");
        assertEquals(null, Campaign.nondeterministic("x", "s", a, a));
        String w = Campaign.nondeterministic("x", "s", a, List.of("c1 label 0x1", "c3 label 0x1"));
        assertTrue(
                w.startsWith("the workload of x is not deterministic: server s's request 2 (of 2) came from c2 label"
                        + " 0x1 in one fault-free boot and from c3 label 0x1 in the next"),
                w);
    }

    /**
     * A server whose manifest says verify = "dual" (no --verify) gets the cost line too, and how
     * many of its requests a fault-free boot ran twice: requests with a nested call are not
     * verified, which an outside scheduler's campaign never said (98 of its 186 requests).
     */
    @Test
    void aManifestsDualVerificationIsCostedAndItsUnverifiedRequestsCounted() {
        CliRun.Result r = rewind(
                Duration.ofSeconds(60),
                "inject",
                "builtin:t_dualsig.toml",
                "--server",
                "dualsig_server",
                "-n",
                "1",
                "--seed",
                "1220101",
                "--fault-free");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("verify dual (the manifest's) costs (median of 7 fault-free boots"), r::toString);
        assertTrue(
                r.out().contains("verify dual in a fault-free boot: 5 of 5 client requests run twice, 0 not verified"),
                r::toString);
    }

    @Test
    void aPlainBootPastTheLimitOfEachBootNamesTheLimitAndTheOption() {
        CliRun.Result r = rewind(
                Duration.ofSeconds(30),
                "inject",
                "builtin:t_heap.toml",
                "--server",
                "heap_server",
                "-n",
                "1",
                "--timeout",
                "1ms");
        Fixtures.assertUsageError(
                r, "plain fault-free boot", "the limit of each boot, 0.001 s (--timeout DURATION raises it)");
        assertFalse(r.err().contains("console line"), r::toString);
        Fixtures.assertUsageError(
                rewind(
                        Duration.ofSeconds(30),
                        "inject",
                        "builtin:t_heap.toml",
                        "--server",
                        "heap_server",
                        "--timeout",
                        "soon"),
                "--timeout: not a duration: 'soon'");
    }

    /**
     * The user's report: profiling t_heap takes ~45 s, past the 20 s every boot of a campaign
     * had, so no campaign could run on it although it boots in 0.2 s.
     */
    @Test
    void aWorkloadSlowToProfileRunsWithinTheLimitOfEachBoot() {
        CliRun.Result r = rewind(
                Duration.ofMinutes(10),
                "inject",
                "builtin:t_heap.toml",
                "--server",
                "heap_server",
                "--types",
                "memory-bit-flip",
                "-n",
                "1",
                "--jobs",
                "1",
                "--timeout",
                "5s");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("from seed 1"), r::toString);
    }

    /** The line of seed {@code seed} in --verbose output. */
    private static String line(CliRun.Result r, long seed) {
        return r.out()
                .lines()
                .filter(l -> l.startsWith("seed " + seed + ": "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no seed " + seed + " in: " + r));
    }

    /**
     * The user's report: a campaign's seed replayed with the --help's command, without the
     * campaign's --types, is another injection. Every replay command names them now.
     */
    @Test
    void everyReplayCommandCarriesTheOptionsThatShapedTheCampaign() throws Exception {
        CliRun.Result help = rewind(Duration.ofSeconds(10), "inject", "--help");
        assertTrue(
                help.out().contains("--verbose' with the campaign's --types, --window, --hang-ms, --timeout,"),
                help::toString);
        Path results = dir.resolve("c.jsonl");
        CliRun.Result c = rewind(
                Duration.ofSeconds(120),
                "inject",
                "builtin:t_kv_oracle.toml",
                "--server",
                "kv",
                "--types",
                "memory-bit-flip,null-pointer",
                "--hang-ms",
                "500",
                "--timeout",
                "5s",
                "--no-escalation",
                "-n",
                "2",
                "--seed",
                "5",
                "--jobs",
                "1",
                "--results",
                results.toString(),
                "-v");
        assertEquals(0, c.status(), c::toString);
        String prefix = "replay one run: rewind inject builtin:t_kv_oracle.toml --server kv --policy txipc"
                + " --types memory-bit-flip,null-pointer --hang-ms 500 --timeout 5s --no-escalation --seed ";
        String replay = c.out()
                .lines()
                .filter(l -> l.startsWith("replay one run: "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no replay command in: " + c));
        assertTrue(replay.startsWith(prefix) && replay.endsWith(" -n 1 -v"), replay);
        long seed = Long.parseLong(replay.substring(prefix.length(), replay.length() - " -n 1 -v".length()));
        assertTrue(seed == 5 || seed == 6, replay);
        // the command, run, is the same injection with the same outcome
        String[] args = replay.substring("replay one run: rewind ".length()).split(" ");
        CliRun.Result again = rewind(Duration.ofSeconds(120), args);
        assertEquals(0, again.status(), again::toString);
        assertEquals(line(c, seed), line(again, seed));
        assertTrue(again.out().contains(replay), again::toString);
        // each line ends with what exactly was struck: a flipped byte's address, a register
        assertTrue(
                line(c, seed).matches(".* \\[(flipped bit \\d+ of the byte at 0x[0-9a-f]+|set \\S+ to 0x0) .*\\]$"),
                line(c, seed));

        // the HTML report of the campaign's result file gives the same command for a failed run
        ResultFile.Header h = ResultFile.read(results).header();
        Campaign.Run failed = new Campaign.Run(
                6,
                FaultInjector.Type.NULL_POINTER,
                3,
                40,
                true,
                true,
                "kv: trap",
                Campaign.Verdict.FAILED,
                "x",
                "null",
                0,
                0,
                0,
                -1,
                0);
        String html = HtmlReport.render("t", List.of(new CampaignReport(h, List.of(failed)).section()));
        assertTrue(
                html.contains(HtmlReport.command(prefix.substring("replay one run: ".length()) + "6 -n 1 -v")), html);
        assertFalse(Arrays.asList(args).contains("--results"), replay);
    }

    @Test
    void withoutPolicyACampaignTakesTheServersOwnFromTheManifest() throws Exception {
        // t_blk's driver is shadowed: a campaign without --policy is a shadow's (before session 54
        // it was txipc's for every server, and a user got a txipc campaign of a shadowed driver)
        CliRun.Result c = rewind(
                Duration.ofSeconds(120),
                "inject",
                "builtin:t_blk.toml",
                "--server",
                "blk",
                "--types",
                "failed-assertion",
                "-n",
                "1",
                "--seed",
                "3",
                "--jobs",
                "1",
                "-v");
        assertEquals(0, c.status(), c::toString);
        assertTrue(c.out().contains("server blk, policy shadow:"), c::toString);
        assertTrue(c.out().contains("--server blk --policy shadow"), c::toString);
        CliRun.Result bad =
                rewind(Duration.ofSeconds(60), "inject", "builtin:t_blk.toml", "--server", "blk", "--verify", "dual");
        assertEquals(2, bad.status(), bad::toString);
        assertTrue(
                bad.err()
                        .contains("--verify dual applies only to --policy txipc (the manifest gives blk recovery ="
                                + " \"shadow\"; --policy chooses another)"),
                bad::toString);
    }

    @Test
    void theWindowAfterAReplyStrikesWhatAServerRunsAfterItAndIsKeptInTheResults() throws Exception {
        Path results = dir.resolve("w.jsonl");
        CliRun.Result c = rewind(
                Duration.ofSeconds(120),
                "inject",
                "builtin:t_aftercall.toml",
                "--server",
                "aftercall",
                "--window",
                "after-reply",
                "--types",
                "failed-assertion",
                "-n",
                "2",
                "--seed",
                "7",
                "--jobs",
                "1",
                "--results",
                results.toString(),
                "-v");
        assertEquals(0, c.status(), c::toString);
        assertTrue(c.out().contains("server aftercall, policy txipc, striking after replies:"), c::toString);
        assertTrue(c.out().contains("rolled back (txipc)"), c::toString);
        assertTrue(
                c.out()
                        .contains("replay one run: rewind inject builtin:t_aftercall.toml --server aftercall --policy"
                                + " txipc --types failed-assertion --window after-reply --seed "),
                c::toString);
        assertEquals("after-reply", ResultFile.read(results).header().window());
        assertTrue(Files.readString(results).lines().findFirst().orElseThrow().contains("\"window\":\"after-reply\""));

        // a server that runs nothing after its replies (reply and receive are one call): said at once
        CliRun.Result kv = rewind(
                Duration.ofSeconds(120),
                "inject",
                "builtin:t_kv_oracle.toml",
                "--server",
                "kv",
                "--window",
                "after-reply",
                "-n",
                "1");
        assertEquals(2, kv.status(), kv::toString);
        assertTrue(kv.err().contains("server 'kv' ran no instruction after any of its"), kv::toString);
        CliRun.Result bad = rewind(
                Duration.ofSeconds(30),
                "inject",
                "builtin:t_kv_oracle.toml",
                "--server",
                "kv",
                "--window",
                "later",
                "-n",
                "1");
        assertEquals(2, bad.status(), bad::toString);
        assertTrue(bad.err().contains("--window must be request or after-reply, not 'later'"), bad::toString);
    }

    /** The user's report: inject had no way to show the kernel's recovery decisions. */
    @Test
    void logLevelDebugShowsEachRunsFaultsAndRecoveryDecisions() {
        String[] run = {
            "inject",
            "builtin:t_kv_oracle.toml",
            "--server",
            "kv",
            "--types",
            "memory-bit-flip,live-memory-bit-flip",
            "--seed",
            "13",
            "-n",
            "1"
        };
        try {
            CliRun.Result quiet = rewind(Duration.ofSeconds(60), run);
            assertEquals(0, quiet.status(), quiet::toString);
            assertFalse(quiet.err().contains("faulted"), quiet::toString);
            String[] debug = Arrays.copyOf(run, run.length + 2);
            debug[run.length] = "--log-level";
            debug[run.length + 1] = "debug";
            CliRun.Result r = rewind(Duration.ofSeconds(60), debug);
            assertEquals(0, r.status(), r::toString);
            assertTrue(r.err().contains("Campaign - seed 13: live memory bit flip planned at request "), r::toString);
            assertTrue(r.err().contains("DEBUG Kernel - task kv#0.1 faulted: "), r::toString);
            assertTrue(r.err().contains("request rolled back (txipc)"), r::toString);
            Fixtures.assertUsageError(
                    rewind(
                            Duration.ofSeconds(10),
                            "inject",
                            "builtin:t_kv_oracle.toml",
                            "--server",
                            "kv",
                            "--log-level",
                            "loud"),
                    "--log-level: unknown log level 'loud'");
        } finally {
            dev.rewind.tools.Main.setLogLevel("warn");
        }
    }

    /** The user's report: "-n 1" printed "on 2 threads". */
    @Test
    void noMoreThreadsThanRuns() {
        CliRun.Result one = injectKv("-n", "1", "--jobs", "4");
        assertEquals(0, one.status(), one::toString);
        assertTrue(one.out().contains("; 1 injection from seed 1 on 1 thread\n"), one::toString);
        CliRun.Result two = injectKv("-n", "2", "--jobs", "4", "--fault-free");
        assertEquals(0, two.status(), two::toString);
        assertTrue(two.out().contains("; 2 fault-free runs from seed 1 on 2 threads\n"), two::toString);
    }
}
