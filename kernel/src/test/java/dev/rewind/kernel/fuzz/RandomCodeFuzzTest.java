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
 * system (or the one named by fuzz.seed) to DIR/fuzzN/ so that
 * {@code ./rewind boot DIR/fuzzN/fuzzN.toml} reproduces it; {@code -Dfuzz.budgetMs=MS} changes
 * the budget of a system (default 2000; 3x that with the built-in reference pair).
 */
class RandomCodeFuzzTest {
    /** The default suite's fixed sample: systems 1..SAMPLE (about 3 fuzz programs each). */
    static final int SAMPLE = 80;
    /** The slow campaign's first seed; it runs systems until it has run this many programs. */
    static final long SLOW_START = 1_000_000;

    static final int SLOW_PROGRAMS = 10_000;

    /** The AArch64 sample: systems 1..SAMPLE_A64 of {@link A64Gen}'s programs. */
    static final int SAMPLE_A64 = 40;
    /** The AArch64 slow campaign's first seed and its number of programs. */
    static final long SLOW_START_A64 = 2_000_000;

    static final int SLOW_PROGRAMS_A64 = 5_000;

    /**
     * The default suite's sample: no internal error, no hang, the reference pair and the
     * well-behaved helpers unaffected.
     */
    @Test
    void sample() throws Exception {
        Outcome o = results("sample", false, 1, SAMPLE, 0);
        assertTrue(o.failures.isEmpty(), () -> o.summary + "\n" + String.join("\n", o.failures));
    }

    /** The same sample's fault reports are well-formed (a kind; a pc at an instruction that can fault so). */
    @Test
    void sampleFaultReports() throws Exception {
        Outcome o = results("sample", false, 1, SAMPLE, 0);
        assertTrue(o.reportFailures.isEmpty(), () -> o.summary + "\n" + String.join("\n", o.reportFailures));
    }

    /** The slow campaign: at least SLOW_PROGRAMS programs, checked as {@link #sample()}. */
    @Test
    @Tag("slow")
    void campaign() throws Exception {
        Outcome o = results("campaign", false, SLOW_START, Integer.MAX_VALUE, SLOW_PROGRAMS);
        assertTrue(o.failures.isEmpty(), () -> o.summary + "\n" + String.join("\n", o.failures));
    }

    @Test
    @Tag("slow")
    void campaignFaultReports() throws Exception {
        Outcome o = results("campaign", false, SLOW_START, Integer.MAX_VALUE, SLOW_PROGRAMS);
        assertTrue(o.reportFailures.isEmpty(), () -> o.summary + "\n" + String.join("\n", o.reportFailures));
    }

    /** The AArch64 sample ({@link A64Gen}'s programs, the AArch64 helpers), checked as {@link #sample()}. */
    @Test
    void sampleAarch64() throws Exception {
        Outcome o = results("sampleAarch64", true, 1, SAMPLE_A64, 0);
        assertTrue(o.failures.isEmpty(), () -> o.summary + "\n" + String.join("\n", o.failures));
    }

    @Test
    void sampleAarch64FaultReports() throws Exception {
        Outcome o = results("sampleAarch64", true, 1, SAMPLE_A64, 0);
        assertTrue(o.reportFailures.isEmpty(), () -> o.summary + "\n" + String.join("\n", o.reportFailures));
    }

    /** The AArch64 slow campaign: at least SLOW_PROGRAMS_A64 programs. */
    @Test
    @Tag("slow")
    void campaignAarch64() throws Exception {
        Outcome o = results("campaignAarch64", true, SLOW_START_A64, Integer.MAX_VALUE, SLOW_PROGRAMS_A64);
        assertTrue(o.failures.isEmpty(), () -> o.summary + "\n" + String.join("\n", o.failures));
    }

    @Test
    @Tag("slow")
    void campaignAarch64FaultReports() throws Exception {
        Outcome o = results("campaignAarch64", true, SLOW_START_A64, Integer.MAX_VALUE, SLOW_PROGRAMS_A64);
        assertTrue(o.reportFailures.isEmpty(), () -> o.summary + "\n" + String.join("\n", o.reportFailures));
    }

    /** What a campaign found: one line per failing system, per kind of check. */
    record Outcome(String summary, List<String> failures, List<String> reportFailures) {}

    private static final Map<String, Outcome> RUNS = new java.util.HashMap<>();

    /** Each campaign runs once per JVM; its two tests share the result. */
    private static synchronized Outcome results(String what, boolean a64, long start, long count, int minPrograms)
            throws Exception {
        Outcome o = RUNS.get(what);
        if (o == null) {
            o = campaign(what, a64, start, count, minPrograms);
            RUNS.put(what, o);
        }
        return o;
    }

    private static Outcome campaign(String what, boolean a64, long start, long count, int minPrograms)
            throws Exception {
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
        List<String> reportFailures = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            for (long seed = start; seed - start < count && (minPrograms == 0 || programs < minPrograms); seed++) {
                // a JVM crash leaves the seed it died on here
                Files.writeString(seedFile, Long.toString(seed));
                FuzzSystem sys = FuzzSystem.of(seed, a64);
                if (one != null && dump != null) {
                    System.out.println("fuzz: wrote " + sys.dump(Path.of(dump)));
                }
                FuzzSystem.Report r = sys.run(worker);
                systems++;
                if (one != null) {
                    System.out.println("fuzz: seed " + seed + ": "
                            + (r.result == null
                                    ? "no result"
                                    : r.result.outcome() + " (" + r.result.summary() + ") " + r.result.tasks())
                            + " in " + r.nanos / 1_000_000 + " ms\n" + sys.toml);
                }
                programs += r.programs;
                r.faultsByKind.forEach((k, v) -> byKind.merge(k, v, Integer::sum));
                outcomes.merge(r.result == null ? "none" : r.result.outcome().name(), 1, Integer::sum);
                internal += r.internalError ? 1 : 0;
                hangs += r.hang ? 1 : 0;
                if (!r.problems.isEmpty()) {
                    failures.add(failureLine(what, r, r.problems));
                    System.out.println(failures.get(failures.size() - 1));
                }
                if (!r.reportProblems.isEmpty()) {
                    reportFailures.add(failureLine(what, r, r.reportProblems));
                    System.out.println(reportFailures.get(reportFailures.size() - 1));
                }
                if (dump != null && one == null && !(r.problems.isEmpty() && r.reportProblems.isEmpty())) {
                    System.out.println("fuzz: wrote " + sys.dump(Path.of(dump)));
                }
            }
        } finally {
            worker[0].shutdownNow();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String summary = String.format(
                "fuzz %s: seeds %d..%d: %d systems, %d programs, %d internal errors, %d hangs, "
                        + "%d systems with other failures, %d with malformed fault reports, %.1f s; outcomes %s; faults by kind %s",
                what,
                start,
                start + systems - 1,
                systems,
                programs,
                internal,
                hangs,
                failures.size() - internal - hangs,
                reportFailures.size(),
                ms / 1000.0,
                outcomes,
                byKind);
        System.out.println(summary);
        System.err.println(summary);
        return new Outcome(summary, failures, reportFailures);
    }

    private static String failureLine(String what, FuzzSystem.Report r, List<String> problems) {
        return "fuzz FAIL seed " + r.seed + ": "
                + String.join("; ", problems.size() > 3 ? problems.subList(0, 3) : problems)
                + (problems.size() > 3 ? "; ... (" + problems.size() + " problems)" : "")
                + "\n  reproduce: mvn -B test -pl kernel -Dtest='RandomCodeFuzzTest#" + what + "+" + what
                + "FaultReports' -Dfuzz.seed="
                + r.seed
                + (what.startsWith("campaign") ? " -DexcludedGroups=none" : "")
                + " -Dsurefire.failIfNoSpecifiedTests=false [-Dfuzz.dump=/tmp/fuzz, then ./rewind boot /tmp/fuzz/fuzz"
                + r.seed + "/fuzz" + r.seed + ".toml]";
    }
}
