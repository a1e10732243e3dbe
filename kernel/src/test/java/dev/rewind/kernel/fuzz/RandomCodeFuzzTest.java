package dev.rewind.kernel.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.FaultKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The random-code fuzzer (docs/TESTING.md, "Random-code fuzzing"): boots seeded systems of
 * random guest programs beside well-behaved tasks and checks that nothing a guest does ends the
 * kernel with an internal error or a hang, that the well-behaved tasks are unaffected and that
 * every fault report is well-formed ({@link FuzzSystem}).
 *
 * <p>System properties: {@code -Dfuzz.seed=N} runs the one system N; {@code -Dfuzz.start=N}
 * and {@code -Dfuzz.count=M} run systems N..N+M-1; {@code -Dfuzz.dump=DIR} writes each failing
 * system (or the one named by fuzz.seed) to DIR so that {@code ./rewind boot DIR/fuzzN.toml}
 * reproduces it.
 */
class RandomCodeFuzzTest {
    /** The default suite's fixed sample: systems 1..SAMPLE (about 3 fuzz programs each). */
    static final int SAMPLE = 80;
    /** The slow campaign's first seed; it runs systems until it has run this many programs. */
    static final long SLOW_START = 1_000_000;
    static final int SLOW_PROGRAMS = 10_000;

    @Test
    void sample() throws Exception {
        campaign("sample", 1, SAMPLE, 0);
    }

    @Test
    @Tag("slow")
    void campaign() throws Exception {
        campaign("campaign", SLOW_START, Integer.MAX_VALUE, SLOW_PROGRAMS);
    }

    private static void campaign(String what, long start, long count, int minPrograms) throws Exception {
        String one = System.getProperty("fuzz.seed");
        if (one != null && !one.isBlank()) {
            start = Long.parseLong(one.strip());
            count = 1;
            minPrograms = 0;
        } else {
            start = Long.getLong("fuzz.start", start);
            if (System.getProperty("fuzz.count") != null) {
                count = Long.getLong("fuzz.count");
                minPrograms = 0;
            }
        }
        String dump = System.getProperty("fuzz.dump");
        Path seedFile = Path.of("target", "fuzz-current-seed");
        Files.createDirectories(seedFile.getParent());
        ExecutorService[] worker = {Executors.newSingleThreadExecutor(FuzzSystem::daemon)};
        int systems = 0;
        int programs = 0;
        int internal = 0;
        int hangs = 0;
        Map<FaultKind, Integer> byKind = new EnumMap<>(FaultKind.class);
        Map<String, Integer> outcomes = new java.util.TreeMap<>();
        List<String> failures = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            for (long seed = start; seed - start < count && (minPrograms == 0 || programs < minPrograms || seed - start < 1); seed++) {
                // a JVM crash leaves the seed it died on here
                Files.writeString(seedFile, Long.toString(seed));
                FuzzSystem sys = FuzzSystem.of(seed);
                if (one != null && dump != null) {
                    System.out.println("fuzz: wrote " + sys.dump(Path.of(dump)));
                }
                FuzzSystem.Report r = sys.run(worker);
                systems++;
                programs += r.programs;
                r.faultsByKind.forEach((k, v) -> byKind.merge(k, v, Integer::sum));
                outcomes.merge(r.result == null ? "none" : r.result.outcome().name(), 1, Integer::sum);
                internal += r.internalError ? 1 : 0;
                hangs += r.hang ? 1 : 0;
                if (!r.problems.isEmpty()) {
                    String line = failureLine(what, r);
                    failures.add(line);
                    System.out.println(line);
                    if (dump != null && one == null) {
                        System.out.println("fuzz: wrote " + sys.dump(Path.of(dump)));
                    }
                }
            }
        } finally {
            worker[0].shutdownNow();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String summary = String.format("fuzz %s: seeds %d..%d: %d systems, %d programs, %d internal errors, %d hangs, "
                        + "%d failing systems, %.1f s; outcomes %s; faults by kind %s",
                what, start, start + systems - 1, systems, programs, internal, hangs, failures.size(), ms / 1000.0, outcomes, byKind);
        System.out.println(summary);
        assertTrue(failures.isEmpty(), () -> summary + "\n" + String.join("\n", failures));
    }

    private static String failureLine(String what, FuzzSystem.Report r) {
        return "fuzz FAIL seed " + r.seed + ": " + String.join("; ", r.problems)
                + "\n  reproduce: mvn -B test -pl kernel -Dtest=RandomCodeFuzzTest#" + what + " -Dfuzz.seed=" + r.seed
                + (what.equals("campaign") ? " -DexcludedGroups=none" : "")
                + " -Dsurefire.failIfNoSpecifiedTests=false [-Dfuzz.dump=/tmp/fuzz, then ./rewind boot /tmp/fuzz/fuzz"
                + r.seed + ".toml]";
    }
}
