package dev.rewind.tools.regress;

import dev.rewind.tools.regress.CaseResult.FaultEvent;
import dev.rewind.tools.regress.CaseResult.Status;
import java.io.PrintStream;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The report on the terminal: one line per case (status, name, time); for a case that did not
 * pass, what did not hold, the faults seen and the last console lines; then a summary line
 * {@code N passed, M failed[, K skipped]}. With {@code verbose}, every case's console too.
 */
public final class TerminalReporter {
    /** Console lines shown for a case that did not pass. */
    public static final int TAIL_LINES = 20;

    private static final String INDENT = "      ";

    private final PrintStream out;
    private final boolean verbose;
    private int nameWidth = 20;

    public TerminalReporter(PrintStream out, boolean verbose) {
        this.out = out;
        this.verbose = verbose;
    }

    /** Announces the run. */
    public void start(List<Suite> suites, List<TestCase> selected, int jobs) {
        int total = suites.stream().mapToInt(s -> s.cases().size()).sum();
        nameWidth = Math.max(
                nameWidth,
                selected.stream().mapToInt(c -> c.fullName().length()).max().orElse(0));
        String names = suites.stream()
                .map(s -> s.name().equals(s.location()) ? s.name() : s.name() + " (" + s.location() + ")")
                .collect(Collectors.joining(", "));
        out.printf(
                "rewind test: %s%d case%s from %s, %d job%s%n",
                selected.size() == total ? "" : selected.size() + " of ",
                total,
                total == 1 ? "" : "s",
                names,
                jobs,
                jobs == 1 ? "" : "s");
        out.flush();
    }

    /** Reports one finished case. */
    public void caseDone(CaseResult r) {
        String status = r.status().name();
        if (r.status() == Status.SKIP) {
            out.printf(
                    "%-5s %s  (%s)%n", status, r.testCase().fullName(), dev.rewind.tools.Printable.escape(r.message()));
        } else {
            out.printf(
                    "%-5s %-" + nameWidth + "s %7s%n", status, r.testCase().fullName(), Durations.seconds(r.nanos()));
        }
        if (!r.status().ok()) {
            for (String line : details(r, TAIL_LINES)) {
                out.println(INDENT + line);
            }
        } else if (verbose && r.status() == Status.PASS) {
            for (String line : consoleLines(r, Integer.MAX_VALUE)) {
                out.println(INDENT + line);
            }
        }
        out.flush();
    }

    /** The closing lines: the cases that did not pass, the time, and the summary line (last). */
    public void finish(List<CaseResult> results, long nanos) {
        List<CaseResult> bad = results.stream().filter(r -> !r.status().ok()).toList();
        out.println();
        if (!bad.isEmpty()) {
            out.println("Not passed:");
            for (CaseResult r : bad) {
                out.println(
                        "  " + r.status() + " " + r.testCase().fullName() + ": " + Text.printable(r.message(), 300));
            }
        }
        out.println("Ran " + results.size() + " case" + (results.size() == 1 ? "" : "s") + " in "
                + Durations.seconds(nanos));
        out.println(summary(results));
        out.flush();
    }

    /** {@code N passed, M failed} and {@code , K skipped} if any were skipped; errors count as failed. */
    public static String summary(List<CaseResult> results) {
        long passed = results.stream().filter(r -> r.status() == Status.PASS).count();
        long skipped = results.stream().filter(r -> r.status() == Status.SKIP).count();
        long failed = results.size() - passed - skipped;
        return passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : "");
    }

    /**
     * Why a case did not pass, for people: each failure, where the case is defined, the faults
     * seen, and the last {@code tail} console lines (none if {@code tail} is 0).
     */
    public static List<String> details(CaseResult r, int tail) {
        List<String> lines = new java.util.ArrayList<>();
        for (String f : r.failures()) {
            lines.add(Text.printable(f, 500));
        }
        TestCase c = r.testCase();
        lines.add("case defined at " + c.file() + ":" + c.line() + ", boots " + c.boot());
        List<FaultEvent> faults = r.faults();
        if (faults.isEmpty()) {
            lines.add("faults: none");
        } else {
            lines.add("faults (" + faults.size() + "):");
            int shown = 0;
            for (FaultEvent f : faults) {
                if (shown++ == 5 && faults.size() > 6) {
                    lines.add("  ... " + (faults.size() - 5) + " more");
                    break;
                }
                lines.add("  " + Text.printable(f.toString(), 300));
            }
        }
        if (tail > 0) {
            lines.addAll(consoleLines(r, tail));
        }
        return lines;
    }

    private static List<String> consoleLines(CaseResult r, int tail) {
        Console con = r.console();
        List<String> lines = new java.util.ArrayList<>();
        if (con.total() == 0) {
            lines.add("console: empty");
            return lines;
        }
        List<String> shown = con.tail(tail);
        lines.add(
                shown.size() == con.total()
                        ? "console (" + con.total() + " line" + (con.total() == 1 ? "" : "s") + "):"
                        : "console (last " + shown.size() + " of " + con.total() + " lines):");
        for (String l : shown) {
            lines.add("| " + Text.printable(l, 200));
        }
        return lines;
    }
}
