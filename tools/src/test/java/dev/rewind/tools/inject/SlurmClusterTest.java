package dev.rewind.tools.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rewind.tools.CliRun;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Slurm cluster on this machine (scripts/slurm/local-cluster: Debian's slurm-wlm, our own
 * munged, slurmctld and slurmd, all under a temp dir) running the campaign job array
 * scripts/slurm/inject-array.sbatch. The sharded campaign runs in the default suite (~25 s);
 * the array-variables check is in the slow one ({@code scripts/test --all}, or
 * {@code mvn -pl tools test -DexcludedGroups=none -Dtest=SlurmClusterTest}). As root the script
 * installs slurm-wlm and munge when missing; otherwise the tests are skipped unless they are
 * installed.
 */
class SlurmClusterTest {
    private static final Duration JOB_WAIT = Duration.ofMinutes(10);

    @TempDir
    Path tmp;

    /**
     * The cluster and the array script today: a 4-task array of inject-array.sbatch with a
     * stand-in launcher (REWIND) that records, per task, the arguments the script gives it and the
     * array variables Slurm set. Every task must complete and run {@code inject ... --shard I/4
     * --results OUT/shard-I.jsonl --resume --jobs 1} plus the extra arguments.
     */
    @Test
    @Tag("slow")
    void jobArrayRunsEveryShardWithItsIndex() throws Exception {
        Path dir = tmp.resolve("cluster");
        Path out = tmp.resolve("campaign");
        Path rewind = tmp.resolve("fake-rewind");
        Files.writeString(
                rewind,
                "#!/bin/sh\n"
                        + "{ echo \"task=$SLURM_ARRAY_TASK_ID count=$SLURM_ARRAY_TASK_COUNT host=$SLURMD_NODENAME\";"
                        + " for a in \"$@\"; do printf '%s\\n' \"$a\"; done; } > \"$OUT/args-$SLURM_ARRAY_TASK_ID\"\n");
        Files.setPosixFilePermissions(rewind, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Cluster c = Cluster.start(dir)) {
            long job = c.submit(
                    4,
                    Map.of(
                            "REWIND", rewind.toString(),
                            "IMAGE", "builtin:t_kv_oracle.toml",
                            "SERVER", "kv",
                            "POLICY", "restart",
                            "COUNT", "40",
                            "SEED", "7",
                            "OUT", out.toString()),
                    "--hang-ms",
                    "500");
            c.awaitCompleted(job, 4);
        }
        for (int i = 0; i < 4; i++) {
            List<String> expected = List.of(
                    "task=" + i + " count=4 host=localhost",
                    "inject",
                    "builtin:t_kv_oracle.toml",
                    "--server",
                    "kv",
                    "--policy",
                    "restart",
                    "-n",
                    "40",
                    "--seed",
                    "7",
                    "--shard",
                    i + "/4",
                    "--results",
                    out.resolve("shard-" + i + ".jsonl").toString(),
                    "--resume",
                    "--jobs",
                    "1",
                    "--hang-ms",
                    "500");
            assertEquals(expected, Files.readAllLines(out.resolve("args-" + i)), "array task " + i);
        }
    }

    /**
     * The whole path: a small campaign as a 2-task array of the real launcher, the shards merged
     * with {@code rewind inject merge}, compared with the same campaign run on one machine (table
     * and JSON, up to the measured recovery times). Skipped while {@code rewind inject} has no
     * {@code --shard} (issue 15).
     */
    @Test
    void shardedCampaignMergesToTheSingleMachineResult() throws Exception {
        String image = "builtin:t_kv_oracle.toml";
        List<String> campaign = List.of(image, "--server", "kv", "--policy", "txipc", "-n", "12", "--seed", "301");
        Path dir = tmp.resolve("cluster");
        Path out = tmp.resolve("campaign");
        try (Cluster c = Cluster.start(dir)) {
            long job = c.submit(
                    2,
                    Map.of(
                            "REWIND", launcher().toString(),
                            "IMAGE", image,
                            "SERVER", "kv",
                            "POLICY", "txipc",
                            "COUNT", "12",
                            "SEED", "301",
                            "OUT", out.toString()));
            c.awaitCompleted(job, 2);
        }
        List<String> shards;
        try (Stream<Path> s = Files.list(out)) {
            shards = s.filter(p -> p.getFileName().toString().matches("shard-\\d+\\.jsonl"))
                    .map(Path::toString)
                    .sorted()
                    .toList();
        }
        assertEquals(2, shards.size(), "shard files: " + shards);

        Path mergedJson = tmp.resolve("merged.json");
        List<String> mergeArgs = new ArrayList<>(List.of("inject", "merge", "--json", mergedJson.toString()));
        mergeArgs.addAll(shards);
        CliRun.Result merged = CliRun.rewind(Duration.ofMinutes(1), mergeArgs.toArray(String[]::new));
        assertEquals(0, merged.status(), merged.toString());

        Path singleJson = tmp.resolve("single.json");
        List<String> singleArgs = new ArrayList<>(List.of("inject"));
        singleArgs.addAll(campaign);
        singleArgs.addAll(List.of("--jobs", "2", "--json", singleJson.toString()));
        CliRun.Result single = CliRun.rewind(Duration.ofMinutes(5), singleArgs.toArray(String[]::new));
        assertEquals(0, single.status(), single.toString());

        assertEquals(table(single.out()), table(merged.out()), "merged table vs single-machine table");
        assertEquals(Files.readString(singleJson), Files.readString(mergedJson), "merged JSON vs single-machine JSON");
    }

    /** The result table: from its header line to the line before the run time ("2.1 s"). */
    static String table(String out) {
        int start = out.indexOf("fault type");
        assertTrue(start >= 0, "no table in:\n" + out);
        StringBuilder t = new StringBuilder();
        for (String line : out.substring(start).split("\n")) {
            if (line.matches("[0-9.]+ s")) {
                break;
            }
            t.append(line).append('\n');
        }
        return t.toString();
    }

    /**
     * A launcher for the code under test: the JVM running this test with its class path (the
     * freshly compiled classes, not a possibly stale rewind.jar that ./rewind would rebuild from
     * inside every array task at once).
     */
    private Path launcher() throws IOException {
        Path p = tmp.resolve("rewind");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(
                p,
                "#!/bin/sh\nexec '" + java + "' -cp '" + System.getProperty("java.class.path")
                        + "' dev.rewind.tools.Main \"$@\"\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    /** The project root (the folder with scripts/slurm), found from the working directory up. */
    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/slurm/local-cluster"))) {
                return p;
            }
        }
        throw new IllegalStateException("scripts/slurm/local-cluster not found above " + Path.of(""));
    }

    record Output(int status, String text) {}

    static Output exec(Map<String, String> env, Duration timeout, List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path log = Files.createTempFile("slurm-cmd", ".log");
        try {
            pb.redirectOutput(log.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", cmd) + " did not finish in " + timeout + ":\n" + Files.readString(log));
            }
            return new Output(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static boolean installed(String command) throws Exception {
        return exec(Map.of(), Duration.ofSeconds(10), List.of("sh", "-c", "command -v " + command))
                        .status()
                == 0;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A running local cluster; close() stops it (local-cluster stop). */
    static final class Cluster implements AutoCloseable {
        final Path dir;
        final Map<String, String> env = new TreeMap<>();

        private Cluster(Path dir) {
            this.dir = dir;
        }

        static Cluster start(Path dir) throws Exception {
            boolean root = exec(Map.of(), Duration.ofSeconds(10), List.of("id", "-u"))
                    .text()
                    .trim()
                    .equals("0");
            assumeTrue(
                    root || (installed("slurmctld") && installed("slurmd") && installed("munged")),
                    "Slurm is not installed and this is not root: apt-get install -y --no-install-recommends slurm-wlm munge");
            Cluster c = new Cluster(dir);
            // Free ports, so that a system Slurm (6817/6818) or another test's cluster is no obstacle.
            int ctld = freePort();
            int slurmd = freePort();
            while (slurmd == ctld) {
                slurmd = freePort();
            }
            c.env.put("REWIND_SLURMCTLD_PORT", Integer.toString(ctld));
            c.env.put("REWIND_SLURMD_PORT", Integer.toString(slurmd));
            c.env.put("SLURM_CONF", dir.resolve("slurm.conf").toString());
            Output o;
            try {
                o = exec(c.env, Duration.ofMinutes(10), List.of(c.script(), "start", dir.toString()));
            } catch (Throwable t) {
                c.close();
                throw t;
            }
            if (o.status() != 0) {
                c.close();
                fail("local-cluster start failed (" + o.status() + "):\n" + o.text());
            }
            return c;
        }

        String script() {
            return root().resolve("scripts/slurm/local-cluster").toString();
        }

        /** Submit inject-array.sbatch as an array 0..tasks-1; returns the job id. */
        long submit(int tasks, Map<String, String> campaign, String... extra) throws Exception {
            Map<String, String> e = new TreeMap<>(env);
            e.putAll(campaign);
            List<String> cmd = new ArrayList<>(List.of(
                    "sbatch",
                    "--parsable",
                    "--array=0-" + (tasks - 1),
                    "--cpus-per-task=1",
                    "--chdir=" + dir,
                    "--output=" + dir.resolve("log/array-%A_%a.out"),
                    root().resolve("scripts/slurm/inject-array.sbatch").toString()));
            cmd.addAll(List.of(extra));
            Output o = exec(e, Duration.ofMinutes(1), cmd);
            assertEquals(0, o.status(), "sbatch: " + o.text());
            return Long.parseLong(o.text().trim().split(";")[0]);
        }

        /** Wait (bounded) until no task of the job is queued or running; all must have COMPLETED. */
        void awaitCompleted(long job, int tasks) throws Exception {
            long deadline = System.nanoTime() + JOB_WAIT.toNanos();
            while (true) {
                Output q = exec(env, Duration.ofSeconds(30), List.of("squeue", "-h", "-j", Long.toString(job)));
                assertEquals(0, q.status(), "squeue: " + q.text());
                if (q.text().isBlank()) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    fail("job " + job + " not done after " + JOB_WAIT + ":\n" + q.text() + logs());
                }
                Thread.sleep(500);
            }
            // No accounting daemon (no sacct): finished jobs stay in slurmctld for MinJobAge.
            Output s = exec(env, Duration.ofSeconds(30), List.of("scontrol", "-o", "show", "job", Long.toString(job)));
            assertEquals(0, s.status(), "scontrol: " + s.text());
            Map<Integer, String> states = new TreeMap<>();
            Matcher m = Pattern.compile("ArrayTaskId=(\\d+) .*?JobState=(\\S+)").matcher(s.text());
            while (m.find()) {
                states.put(Integer.parseInt(m.group(1)), m.group(2));
            }
            Map<Integer, String> expected = new TreeMap<>();
            for (int i = 0; i < tasks; i++) {
                expected.put(i, "COMPLETED");
            }
            assertEquals(expected, states, "array task states\n" + logs());
        }

        String logs() throws IOException {
            StringBuilder b = new StringBuilder();
            try (Stream<Path> s = Files.list(dir.resolve("log"))) {
                for (Path p : s.sorted().toList()) {
                    List<String> lines = Files.readAllLines(p, StandardCharsets.ISO_8859_1);
                    b.append("\n--- ").append(p.getFileName()).append(":\n");
                    lines.subList(Math.max(0, lines.size() - 20), lines.size())
                            .forEach(l -> b.append(l).append('\n'));
                }
            }
            return b.toString();
        }

        @Override
        public void close() throws Exception {
            Output o = exec(env, Duration.ofMinutes(2), List.of(script(), "stop", dir.toString()));
            assertEquals(0, o.status(), "local-cluster stop: " + o.text());
        }
    }
}
