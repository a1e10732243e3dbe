package dev.rewind.tools.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kubernetes Indexed Job for a sharded campaign (scripts/k8s/inject-indexed-job.yaml), checked
 * without a cluster: the manifest's shape (an Indexed Job whose completions equal the N of its
 * {@code --shard}, results on a mounted volume), and its container command run by a real shell
 * with the environment Kubernetes gives pod I, against a stand-in {@code ./rewind} that records its
 * arguments: pod I must run {@code rewind inject ... --shard I/N --results /results/shard-I.jsonl
 * --resume}, the same arguments as Slurm array task I (scripts/slurm/inject-array.sbatch).
 */
class KubernetesJobTest {
    @TempDir
    Path tmp;

    static Path manifest() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path m = p.resolve("scripts/k8s/inject-indexed-job.yaml");
            if (Files.isRegularFile(m)) {
                return m;
            }
        }
        throw new IllegalStateException("scripts/k8s/inject-indexed-job.yaml not found above " + Path.of(""));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o, String what) {
        assertInstanceOf(Map.class, o, what + " is not a mapping: " + o);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o, String what) {
        assertInstanceOf(List.class, o, what + " is not a list: " + o);
        return (List<Object>) o;
    }

    record Job(int completions, Map<String, Object> container, Map<String, Object> podSpec, String script) {}

    static Job load() throws IOException {
        Map<String, Object> doc = map(new Yaml().load(Files.readString(manifest())), "the manifest");
        assertEquals("batch/v1", doc.get("apiVersion"));
        assertEquals("Job", doc.get("kind"));
        Map<String, Object> spec = map(doc.get("spec"), "spec");
        assertEquals("Indexed", spec.get("completionMode"), "JOB_COMPLETION_INDEX is set only in Indexed mode");
        int completions = (Integer) spec.get("completions");
        int parallelism = (Integer) spec.get("parallelism");
        assertTrue(completions >= 1 && parallelism >= 1 && parallelism <= completions, spec.toString());
        Map<String, Object> pod = map(map(spec.get("template"), "template").get("spec"), "template.spec");
        List<Object> containers = list(pod.get("containers"), "containers");
        assertEquals(1, containers.size());
        Map<String, Object> c = map(containers.get(0), "container");
        assertEquals(List.of("/bin/sh", "-c"), c.get("command"), "the index is expanded by a shell");
        List<Object> args = list(c.get("args"), "args");
        assertEquals(1, args.size());
        return new Job(completions, c, pod, (String) args.get(0));
    }

    @Test
    void manifestIsAnIndexedJobWhoseShardCountIsItsCompletions() throws IOException {
        Job job = load();
        Matcher m =
                Pattern.compile("--shard \"\\$JOB_COMPLETION_INDEX/(\\d+)\"").matcher(job.script());
        assertTrue(m.find(), "no --shard \"$JOB_COMPLETION_INDEX/N\" in: " + job.script());
        assertEquals(job.completions(), Integer.parseInt(m.group(1)), "completions and the N of --shard differ");
        assertTrue(job.script().contains("--resume"), job.script());

        // --results goes to a directory that is a mounted volume, and the volume is defined.
        Matcher r = Pattern.compile("--results \"([^\"]+)\"").matcher(job.script());
        assertTrue(r.find(), job.script());
        String results = r.group(1);
        assertTrue(results.contains("$JOB_COMPLETION_INDEX"), "one results file per index: " + results);
        String mountPath = null;
        String volume = null;
        for (Object o : list(job.container().get("volumeMounts"), "volumeMounts")) {
            Map<String, Object> vm = map(o, "volumeMount");
            String path = (String) vm.get("mountPath");
            if (results.startsWith(path.endsWith("/") ? path : path + "/")) {
                mountPath = path;
                volume = (String) vm.get("name");
            }
        }
        assertNotNull(mountPath, results + " is not under a mounted volume");
        boolean defined = false;
        for (Object o : list(job.podSpec().get("volumes"), "volumes")) {
            defined |= volume.equals(map(o, "volume").get("name"));
        }
        assertTrue(defined, "volume " + volume + " is mounted but not defined");
    }

    /** Pod I's command, run by /bin/sh as Kubernetes would: the arguments rewind gets. */
    @Test
    void podCommandRunsShardIOfN() throws Exception {
        Job job = load();
        Path dir = Files.createDirectories(tmp.resolve("opt-rewind"));
        Path recorded = tmp.resolve("args");
        Path rewind = dir.resolve("rewind");
        Files.writeString(rewind, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$RECORD\"\n");
        Files.setPosixFilePermissions(rewind, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> env = new java.util.HashMap<>();
        for (Object o : list(job.container().get("env"), "env")) {
            Map<String, Object> e = map(o, "env entry");
            env.put((String) e.get("name"), String.valueOf(e.get("value")));
        }
        for (int index = 0; index < job.completions(); index++) {
            ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", job.script())
                    .directory(dir.toFile())
                    .redirectErrorStream(true);
            pb.environment().putAll(env);
            pb.environment().put("JOB_COMPLETION_INDEX", Integer.toString(index));
            pb.environment().put("RECORD", recorded.toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
            List<String> expected = new ArrayList<>(List.of(
                    "inject",
                    env.get("IMAGE"),
                    "--server",
                    env.get("SERVER"),
                    "--policy",
                    env.get("POLICY"),
                    "-n",
                    env.get("COUNT"),
                    "--seed",
                    env.get("SEED"),
                    "--shard",
                    index + "/" + job.completions(),
                    "--results",
                    "/results/shard-" + index + ".jsonl",
                    "--resume",
                    "--jobs",
                    "1"));
            assertEquals(expected, Files.readAllLines(recorded), "pod " + index);
        }
    }
}
