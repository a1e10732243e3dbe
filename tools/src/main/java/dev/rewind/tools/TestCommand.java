package dev.rewind.tools;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.text.Units;
import dev.rewind.tools.regress.CaseResult;
import dev.rewind.tools.regress.CaseRunner;
import dev.rewind.tools.regress.Durations;
import dev.rewind.tools.regress.JUnitXmlReporter;
import dev.rewind.tools.regress.Selection;
import dev.rewind.tools.regress.Suite;
import dev.rewind.tools.regress.SuiteException;
import dev.rewind.tools.regress.SuiteLoader;
import dev.rewind.tools.regress.SuiteRunner;
import dev.rewind.tools.regress.TerminalReporter;
import dev.rewind.tools.regress.TestCase;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rewind test SUITE...}: run suites of guest systems as regression tests. */
@Command(
        name = "test",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Run suites of guest systems as regression tests.",
            "",
            "Boots each case's image, checks the console lines (or the whole output), faults and exit",
            "status it expects, and reports PASS or FAIL for each case. Cases run in parallel.",
            ""
        },
        footer = {
            "",
            "SUITE is a suite file (.suite), a folder of X.elf files each with an",
            "X.expect file beside it (or an X.stdout file: the output X must print), or",
            "builtin:NAME: builtin:core is the project's own",
            "regression suite (the default), builtin:failing fails on purpose.",
            "The suite format is in docs/TESTING.md.",
            "",
            "Each case runs once per architecture its image is built for, named ARCH/CASE",
            "(riscv64/hello, aarch64/hello); --arch picks one. A case of your own ELF files names",
            "one per architecture: boot riscv64 build/image/x.elf + boot aarch64 build/aarch64/image/x.elf.",
            "",
            "A case that does not pass is reported with what did not hold, its faults and its last 20",
            "console lines, written with escapes (\\t \\\\ \\r \\xNN \\uXXXX: a '?' is a '?').",
            "",
            "--filter takes a glob (* ? [abc] [!abc]) matched against CASE, ARCH/CASE, SUITE/CASE or",
            "SUITE/ARCH/CASE, or a /regex/ searched in SUITE/ARCH/CASE and SUITE/CASE. With several",
            "--filter (or --tag) options, a case needs to match one of them.",
            "",
            "Exit status: 0 every selected case passed (or was skipped); 1 a case failed",
            "or could not run; 2 bad usage, a bad suite, or no case selected; 70 an internal error;",
            "74 stdout could not be written (otherwise 0)."
        })
public final class TestCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SUITE", arity = "0..*", description = "Suites to run (default: builtin:core).")
    List<String> suites = new ArrayList<>();

    @Option(names = "--filter", paramLabel = "GLOB|/REGEX/", description = "Run only the cases whose name matches.")
    List<String> filters = new ArrayList<>();

    @Option(names = "--tag", paramLabel = "TAG", description = "Run only the cases with this tag.")
    List<String> tags = new ArrayList<>();

    @Option(names = "--exclude-tag", paramLabel = "TAG", description = "Leave out the cases with this tag.")
    List<String> excludedTags = new ArrayList<>();

    @Option(
            names = "--arch",
            paramLabel = "ARCH",
            description = "Run the cases on this architecture only: riscv64 or aarch64 (default: each case on"
                    + " every architecture its image is built for).")
    String arch;

    @Option(
            names = {"-j", "--jobs"},
            paramLabel = "N",
            description = "Cases to run at once (default: the number of processors).")
    Integer jobs;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            description = "Time limit of each case that sets none in its suite, e.g. 10s (default: 30s).")
    String timeout;

    @Option(
            names = "--junit-xml",
            paramLabel = "FILE",
            description = "Also write the results as JUnit XML to FILE (not with --list, which runs no case).")
    Path junitXml;

    @Option(
            names = "--list",
            description = "List the selected cases (with their tags) instead of running them (not with --junit-xml).")
    boolean list;

    @Option(
            names = {"-v", "--verbose"},
            description = "Show the whole console of every case (without it: the last 20 lines of a case that fails).")
    boolean verbose;

    @Option(
            names = "--log-level",
            paramLabel = "LEVEL",
            description = "Kernel log level on stderr (default: error); each line names its case ([SUITE/ARCH/CASE]).")
    String logLevel = "error";

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        if (junitXml != null) {
            // first: a bad option below is then this run's report too (exit status 2), not an
            // earlier run's report left in its place for CI to publish
            HostFiles.checkWritable(junitXml, "--junit-xml", true);
        }
        long defaultTimeout;
        int n;
        Selection selection;
        Set<Arch> archs = EnumSet.allOf(Arch.class);
        try {
            Main.setLogLevel(logLevel);
            defaultTimeout = timeout == null
                    ? CaseRunner.DEFAULT_TIMEOUT_NANOS
                    : Units.parseNanos(timeout, Durations.MAX_NANOS, "--timeout");
            n = jobs == null ? SuiteRunner.defaultJobs() : jobs;
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException("--jobs must be between 1 and 1024: " + n);
            }
            selection = new Selection(filters, tags, excludedTags);
            if (arch != null) {
                Arch a = Arch.named(arch);
                if (a == null) {
                    throw new IllegalArgumentException("--arch must be riscv64 or aarch64: " + Printable.escape(arch));
                }
                archs = EnumSet.of(a);
            }
        } catch (IllegalArgumentException e) {
            return stopped(List.of(Printable.escape(e.getMessage())));
        }
        if (junitXml != null) {
            if (list) {
                // a report of cases that did not run would read as a run in CI (all skipped, or
                // none: green); an earlier run's report must not stay in its place either
                return stopped(List.of("--list runs no case, so --junit-xml has no results to write:"
                        + " drop --junit-xml to list the cases, or --list to run them"));
            }
        }

        List<Suite> loaded = new ArrayList<>();
        java.util.Map<String, String> names = new java.util.HashMap<>();
        List<String> problems = new ArrayList<>();
        for (String spec : suites.isEmpty() ? List.of("builtin:core") : suites) {
            try {
                Suite suite = SuiteLoader.load(spec, archs);
                String other = names.putIfAbsent(suite.name(), spec);
                if (other != null) {
                    // SUITE/CASE names a case in reports, JUnit XML and --filter: two suites of one
                    // name would make them ambiguous
                    problems.add("bad suite: " + Printable.escape(spec) + ": its name '"
                            + Printable.escape(suite.name()) + "' is also the name of " + Printable.escape(other)
                            + (other.equals(spec) ? " (the same suite given twice)" : " (rename one: 'suite NAME')"));
                    continue;
                }
                loaded.add(suite);
            } catch (SuiteException e) {
                for (SuiteException each : e.all()) {
                    problems.add("bad suite: " + each.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            return stopped(problems);
        }
        List<TestCase> selected = selection.select(loaded);
        if (loaded.stream().allMatch(s -> s.cases().isEmpty())) {
            // (only --arch leaves a suite without cases: its images are built for the other one)
            return stopped(List.of("no case is built for " + arch + " (--arch " + arch
                    + "): the images of every case are built for another architecture"));
        }
        if (selected.isEmpty()) {
            // what there is to select from, so that a misspelt tag or name is seen at once
            java.util.TreeSet<String> tags = new java.util.TreeSet<>();
            List<String> some = new ArrayList<>();
            for (Suite s : loaded) {
                for (TestCase c : s.cases()) {
                    tags.addAll(c.tags());
                    if (some.size() < 3) {
                        some.add(c.fullName());
                    }
                }
            }
            int total = loaded.stream().mapToInt(s -> s.cases().size()).sum();
            return stopped(List.of("no case matches the --filter/--tag/--exclude-tag options"
                    + (arch == null ? "" : " on " + arch) + " (" + total + " case" + (total == 1 ? "" : "s")
                    + ", named like " + Printable.escape(String.join(", ", some))
                    + "; their tags: " + (tags.isEmpty() ? "none" : Printable.escape(String.join(" ", tags)))
                    + "; --list shows them)"));
        }
        if (list) {
            for (TestCase c : selected) {
                out.println(c.fullName()
                        + (c.tags().isEmpty() ? "" : "  [" + String.join(" ", c.tags()) + "]")
                        + (c.skipped() ? "  (skip: " + Printable.escape(c.skipReason()) + ")" : ""));
            }
            return 0;
        }

        // On a terminal, a progress line (cases done, failures) below the case lines.
        Progress progress = Progress.start("test", "cases", selected.size(), 0);
        TerminalReporter report = new TerminalReporter(progress.guard(out), verbose, defaultTimeout);
        report.start(loaded, selected, Math.min(n, selected.size()));
        long start = System.nanoTime();
        java.time.Instant started = java.time.Instant.now();
        SuiteRunner runner = new SuiteRunner(n, new CaseRunner(defaultTimeout));
        List<CaseResult> results = new ArrayList<>();
        List<java.util.concurrent.CompletableFuture<CaseResult>> running = runner.start(selected);
        // Ctrl-C, or a CI job's time limit (SIGTERM): the cases that ended are reported, the others
        // as interrupted errors, so that the JUnit XML is this run's (never an earlier run's, nor none)
        Thread hook = new Thread(
                () -> {
                    // The main thread goes on while this runs: it must print no case, summary or
                    // report after this point (a summary of a whole run above "interrupted", and
                    // two writers of one report, were seen), and if it is writing the report of a
                    // run whose cases all ended, that report stands.
                    boolean locked = false;
                    try {
                        locked = writingReport
                                ? lockReport()
                                : reportLock.tryLock(2, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    try {
                        boolean reported = reportWritten;
                        stopReporting = true;
                        if (!reported) {
                            progress.close();
                            interrupted(selected, running, loaded, System.nanoTime() - start, started);
                        }
                    } finally {
                        if (locked) {
                            reportLock.unlock();
                        }
                    }
                },
                "rewind-test-interrupted");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            try (progress) {
                for (int i = 0; i < running.size(); i++) {
                    CaseResult r = resultOf(selected.get(i), running.get(i));
                    if (r.failures().stream().anyMatch(m -> m.startsWith(INTERNAL_ERROR))) {
                        internalError = true;
                    }
                    results.add(r);
                    reportOrHalt();
                    try {
                        report.caseDone(r);
                        progress.step(!r.status().ok());
                    } finally {
                        reportLock.unlock();
                    }
                }
            }
            reportOrHalt();
            try {
                writingReport = true;
                report.finish(results, System.nanoTime() - start);
                if (junitXml != null) {
                    try {
                        JUnitXmlReporter.write(junitXml, loaded, results, started);
                    } catch (IOException e) {
                        System.err.println("rewind: cannot write " + Printable.escape(junitXml.toString()) + ": "
                                + HostFiles.reason(e));
                        return Main.EXIT_USAGE;
                    }
                }
                reportWritten = true;
            } finally {
                reportLock.unlock();
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down: the hook reports
            }
        }
        if (internalError) {
            System.err.println(
                    "rewind: internal error in a case (its report says which): exit status " + Main.EXIT_INTERNAL);
            return Main.EXIT_INTERNAL;
        }
        return results.stream().allMatch(r -> r.status().ok()) ? 0 : 1;
    }

    static final String INTERNAL_ERROR = "internal error in rewind test: ";

    static final String INTERRUPTED = "interrupted: ";

    /** Held while the main thread prints a case or the summary, or writes the report. */
    private final java.util.concurrent.locks.ReentrantLock reportLock = new java.util.concurrent.locks.ReentrantLock();
    /** Set by the interrupt hook: the JVM is halting, and the hook reports the run. */
    private volatile boolean stopReporting;
    /** The main thread is writing the closing lines and the report of a run whose cases all ended. */
    private volatile boolean writingReport;

    private volatile boolean reportWritten;

    /**
     * Takes {@link #reportLock} for the main thread's next piece of the report; once the run is
     * interrupted, never returns (the JVM halts when the interrupt hook is done).
     */
    private void reportOrHalt() {
        reportLock.lock();
        if (stopReporting) {
            reportLock.unlock();
            while (true) {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    // the JVM is halting
                }
            }
        }
    }

    private boolean lockReport() {
        reportLock.lock();
        return true;
    }

    private boolean internalError;

    /**
     * The result of case {@code c}, or when running it threw (a bug of Rewind's, or the JVM out
     * of memory) an ERROR saying so: the run goes on and its report is written, never an earlier
     * run's left in place nor none (the stack trace is logged on stderr).
     */
    static CaseResult resultOf(TestCase c, java.util.concurrent.CompletableFuture<CaseResult> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            org.slf4j.LoggerFactory.getLogger(TestCommand.class).error("internal error in case " + c.fullName(), cause);
            return new CaseResult(
                    c,
                    CaseResult.Status.ERROR,
                    0,
                    List.of(INTERNAL_ERROR + cause),
                    null,
                    false,
                    dev.rewind.tools.regress.Console.EMPTY,
                    List.of());
        }
    }

    /**
     * The run was interrupted (SIGINT, SIGTERM): says on stderr how many cases ended, and writes
     * the JUnit XML of the cases that ended, each other one an error saying it was interrupted.
     */
    private void interrupted(
            List<TestCase> selected,
            List<java.util.concurrent.CompletableFuture<CaseResult>> running,
            List<Suite> loaded,
            long nanos,
            java.time.Instant started) {
        List<CaseResult> partial = partialResults(selected, running, nanos);
        // (counted in what the report holds: cases go on ending while this runs)
        long ended = partial.stream()
                .filter(r -> !r.message().startsWith(INTERRUPTED))
                .count();
        long failed = partial.stream()
                .filter(r -> !r.message().startsWith(INTERRUPTED) && !r.status().ok())
                .count();
        System.err.println("rewind: interrupted after " + Durations.seconds(nanos) + ": " + ended + " of "
                + selected.size() + " cases ended (" + failed + " failed)"
                + (junitXml == null
                        ? ""
                        : "; " + Printable.escape(junitXml.toString())
                                + " holds them, and the other cases as errors (interrupted)"));
        if (junitXml != null) {
            try {
                JUnitXmlReporter.write(junitXml, loaded, partial, started);
            } catch (IOException | RuntimeException e) {
                System.err.println("rewind: cannot write " + Printable.escape(junitXml.toString()) + ": "
                        + (e instanceof IOException io ? HostFiles.reason(io) : e.toString()));
            }
        }
    }

    /** The results of the cases that ended, and for each other one an ERROR saying the run was interrupted. */
    static List<CaseResult> partialResults(
            List<TestCase> selected, List<java.util.concurrent.CompletableFuture<CaseResult>> running, long nanos) {
        List<CaseResult> out = new ArrayList<>();
        for (int i = 0; i < selected.size(); i++) {
            java.util.concurrent.CompletableFuture<CaseResult> f = running.get(i);
            CaseResult r = f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
            out.add(
                    r != null
                            ? r
                            : new CaseResult(
                                    selected.get(i),
                                    CaseResult.Status.ERROR,
                                    0,
                                    List.of(INTERRUPTED + "rewind test was stopped (SIGINT or SIGTERM) after "
                                            + Durations.seconds(nanos) + ", before this case ended"),
                                    null,
                                    false,
                                    dev.rewind.tools.regress.Console.EMPTY,
                                    List.of()));
        }
        return out;
    }

    /**
     * The run stops before any case for {@code reasons} (each a line on stderr): with
     * {@code --junit-xml}, the report says so (one error), so that a report of an earlier run is
     * not left in its place for CI to read. Returns the exit status (2).
     */
    private int stopped(List<String> reasons) {
        for (String r : reasons) {
            System.err.println("rewind: " + r);
        }
        if (junitXml != null) {
            try {
                JUnitXmlReporter.writeStopped(junitXml, reasons);
            } catch (IOException e) {
                System.err.println(
                        "rewind: cannot write " + Printable.escape(junitXml.toString()) + ": " + HostFiles.reason(e));
            }
        }
        return Main.EXIT_USAGE;
    }
}
