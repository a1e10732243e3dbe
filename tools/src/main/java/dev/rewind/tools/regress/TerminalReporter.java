package dev.rewind.tools.regress;

import dev.rewind.tools.regress.CaseResult.FaultEvent;
import dev.rewind.tools.regress.CaseResult.Status;
import java.io.PrintStream;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The report on the terminal: one line per case (status, name, time); for a case that did not
 * pass, what did not hold, the faults seen and the last console lines; then a summary line
 * {@code N passed, M failed[, K skipped]}. With {@code verbose}, every case's whole console too.
 */
public final class TerminalReporter {
    /** Console lines shown for a case that did not pass. */
    public static final int TAIL_LINES = 20;

    private static final String INDENT = "      ";

    private final PrintStream out;
    private final boolean verbose;
    private final long defaultTimeoutNanos;
    private int nameWidth = 20;
    /** Where each suite of the run was read from, by suite name (names are unique in a run). */
    private final java.util.Map<String, String> locations = new java.util.HashMap<>();

    public TerminalReporter(PrintStream out, boolean verbose) {
        this(out, verbose, CaseRunner.DEFAULT_TIMEOUT_NANOS);
    }

    /** @param defaultTimeoutNanos the time limit of cases that set none, as the runner applies it */
    public TerminalReporter(PrintStream out, boolean verbose, long defaultTimeoutNanos) {
        this.out = out;
        this.verbose = verbose;
        this.defaultTimeoutNanos = defaultTimeoutNanos > 0 ? defaultTimeoutNanos : CaseRunner.DEFAULT_TIMEOUT_NANOS;
    }

    /** Announces the run. */
    public void start(List<Suite> suites, List<TestCase> selected, int jobs) {
        for (Suite s : suites) {
            locations.put(s.name(), s.location());
        }
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
            // (--verbose: the whole console, as a passing case's; without it the last lines)
            for (String line : details(r, verbose ? Integer.MAX_VALUE : TAIL_LINES)) {
                out.println(INDENT + line);
            }
            String location = locations.get(r.testCase().suite());
            if (location != null) {
                for (String line : reproduce(r.testCase(), location, defaultTimeoutNanos)) {
                    out.println(INDENT + line);
                }
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

    /**
     * How to run case {@code c} again: alone ({@code rerun: rewind test SUITE --filter NAME}),
     * and, where {@code rewind boot} can boot the same system, as a boot with the case's time
     * limit, wall clock and input ({@code debug: ...}), to which {@code --trace} or {@code --gdb}
     * can be added. {@code suite} is where the case's suite was read from, as the user named it.
     */
    public static List<String> reproduce(TestCase c, String suite, long defaultTimeoutNanos) {
        List<String> lines = new java.util.ArrayList<>();
        lines.add("rerun: rewind test " + shellWord(suite) + " --filter " + shellWord(globLiteral(c.fullName())));
        if (c.bootImage() == null) {
            return lines;
        }
        StringBuilder cmd = new StringBuilder();
        byte[] in = c.input();
        if (in != null && c.inputFile() == null) {
            if (in.length > MAX_SHOWN_INPUT) {
                return lines; // (text too long to show on one line)
            }
            cmd.append("printf ").append(printfFormat(in)).append(" | ");
        }
        long timeout = c.timeoutNanos() > 0 ? c.timeoutNanos() : defaultTimeoutNanos;
        cmd.append("rewind boot --timeout ").append(Durations.format(timeout));
        if (c.wallClock() != null) {
            cmd.append(" --wall-clock ").append(c.wallClock());
        }
        for (String k : c.kills()) {
            cmd.append(" --kill ").append(shellWord(k));
        }
        if (in != null && c.inputFile() != null) {
            cmd.append(" --input ").append(shellWord(c.inputFile()));
        }
        cmd.append(' ').append(shellWord(c.bootImage()));
        if (in == null) {
            cmd.append(" < /dev/null"); // (the case's stdin is at its end at once)
        }
        lines.add("debug: " + cmd + "   (add --trace, or --gdb 1234 --gdb-wait: docs/DEBUGGING.md)");
        return lines;
    }

    /** Text input longer than this is not shown as a printf in a case's debug line. */
    static final int MAX_SHOWN_INPUT = 200;

    /** {@code s} as one word of a POSIX shell: as it is if it needs no quotes, else in single quotes. */
    static String shellWord(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_./:=@%+,-]+")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** A glob matching exactly {@code name}: {@code * ? [} put in brackets. */
    static String globLiteral(String name) {
        return name.replaceAll("([*?\\[])", "[$1]");
    }

    /** A printf format, in single quotes, that prints exactly {@code bytes}. */
    static String printfFormat(byte[] bytes) {
        StringBuilder sb = new StringBuilder("'");
        for (byte b : bytes) {
            int c = b & 0xff;
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                case '%' -> sb.append("%%");
                default -> {
                    if (c >= 0x20 && c < 0x7f && c != '\'') {
                        sb.append((char) c);
                    } else {
                        sb.append(String.format("\\%03o", c));
                    }
                }
            }
        }
        return sb.append('\'').toString();
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
            lines.add("| " + Text.escaped(l, 200));
        }
        return lines;
    }
}
