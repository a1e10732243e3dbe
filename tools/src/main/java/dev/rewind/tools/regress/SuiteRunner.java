package dev.rewind.tools.regress;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs cases in parallel, {@code jobs} at a time; each case is an independent kernel on its own
 * thread (see {@link CaseRunner}). Results are delivered in the order of the cases, as soon as
 * a case and all those before it have finished.
 */
public final class SuiteRunner {
    private final int jobs;
    private final CaseRunner runner;

    /** @param jobs how many cases run at once (at least 1) */
    public SuiteRunner(int jobs, CaseRunner runner) {
        if (jobs < 1) {
            throw new IllegalArgumentException("--jobs must be at least 1: " + jobs);
        }
        this.jobs = jobs;
        this.runner = runner;
    }

    /** The number of processors, the default for {@code jobs}. */
    public static int defaultJobs() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    public CaseRunner caseRunner() {
        return runner;
    }

    /** Starts every case; one future per case, in the same order. Returns at once. */
    public List<CompletableFuture<CaseResult>> start(List<TestCase> cases) {
        if (cases.isEmpty()) {
            return List.of();
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, cases.size()), r -> {
            Thread t = new Thread(r, "rewind-test-runner-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        List<CompletableFuture<CaseResult>> futures = new ArrayList<>();
        for (TestCase c : cases) {
            futures.add(CompletableFuture.supplyAsync(() -> runner.run(c), pool));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).whenComplete((v, e) -> pool.shutdown());
        return futures;
    }

    /** Runs every case; {@code each} hears each result in case order. */
    public List<CaseResult> run(List<TestCase> cases, Consumer<CaseResult> each) {
        List<CaseResult> results = new ArrayList<>();
        for (CompletableFuture<CaseResult> f : start(cases)) {
            CaseResult r = f.join();
            results.add(r);
            each.accept(r);
        }
        return results;
    }
}
