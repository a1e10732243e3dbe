package dev.rewind.tools.regress;

import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.TaskState;
import dev.rewind.tools.regress.CaseResult.FaultEvent;
import dev.rewind.tools.regress.Expectations.FaultExpectation;
import dev.rewind.tools.regress.Expectations.LineExpectation;
import dev.rewind.tools.regress.Expectations.TaskExpectation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Judges a finished run against a case's expectations; each failure is one line for people. */
final class Verdict {
    private Verdict() {}

    /**
     * @param result  how the system ended, or null when {@code until lines} stopped it
     * @param stopped {@code until lines} stopped the run once every expected line had appeared
     * @return what did not hold, the most telling first; empty if the case passed
     */
    static List<String> judge(
            TestCase c,
            long timeout,
            SystemResult result,
            boolean stopped,
            ConsoleCapture con,
            List<FaultEvent> faults) {
        Expectations ex = c.expect();
        List<String> out = new ArrayList<>();
        List<LineExpectation> lines = ex.lines();
        SystemResult.Outcome actual = result == null ? null : result.outcome();
        boolean timedOut = actual == SystemResult.Outcome.BUDGET_EXCEEDED;

        // How the run ended. With `until lines` only the lines matter.
        if (ex.untilLines()) {
            if (!stopped) {
                out.add("the run "
                        + (timedOut
                                ? "timed out after " + Durations.format(timeout)
                                : "ended (" + Expectations.outcomeName(actual) + ": " + result.summary() + ")")
                        + " before every expected line had appeared; " + lineSummary(lines, con));
            }
        } else if (actual != ex.outcome()) {
            if (timedOut) {
                out.add("timed out after " + Durations.format(timeout) + ": the system did not end (expected exit "
                        + Expectations.outcomeName(ex.outcome()) + ")"
                        + (lines.isEmpty() ? "" : "; " + lineSummary(lines, con)));
            } else {
                out.add("expected exit " + Expectations.outcomeName(ex.outcome()) + ", got "
                        + Expectations.outcomeName(actual) + " (" + result.summary() + ")");
            }
        }

        // Lines.
        Console kept = null;
        for (int i = 0; i < lines.size(); i++) {
            LineExpectation le = lines.get(i);
            int n = con.count[i];
            if (le.times() == LineExpectation.AT_LEAST_ONCE) {
                if (n == 0) {
                    if (kept == null) {
                        kept = con.snapshot();
                    }
                    String near = NearMiss.find(le.matcher(), kept);
                    out.add("missing line " + le.matcher()
                            + (timedOut ? " (waited " + Durations.format(timeout) + ")" : "")
                            + (near == null ? "" : "; nearest: " + near));
                }
            } else if (n != le.times()) {
                out.add("expected line " + le.matcher() + " " + times(le.times()) + ", saw it " + times(n));
            }
        }
        if (con.splitLines > 0
                && out.stream().anyMatch(f -> f.startsWith("missing line ") || f.startsWith("expected line "))) {
            // a line the guest printed whole may be what was expected: say that it was cut
            out.add("note: the guest printed a line longer than 64 KiB (console line " + con.firstSplitLine
                    + " is the first part of the first), and the console splits such a line into lines of at"
                    + " most 65,536 bytes: no expected line can match one whole");
        }
        if (ex.inOrder() && con.inOrderNext < lines.size()) {
            int k = con.inOrderNext;
            if (con.count[k] > 0) {
                out.add("line " + lines.get(k).matcher() + " is out of order: "
                        + (k == 0
                                ? ""
                                : "it does not appear after " + lines.get(k - 1).matcher() + " (console line "
                                        + con.inOrderLine[k - 1] + "); ")
                        + "first seen at console line " + con.firstLine[k]);
            } // else it never appeared at all: reported above as missing
        }
        Expectations.Output want = ex.output();
        if (want != null) {
            String differs = outputDiffers(want, con);
            if (differs != null) {
                out.add(differs);
            }
        }
        if (con.regexTrouble != null) {
            out.add(con.regexTrouble);
        }
        if (con.forbiddenLine > 0) {
            out.add("forbidden line " + con.forbiddenMatcher + " appeared at console line " + con.forbiddenLine + ": "
                    + excerpt(con.forbiddenText, con.forbiddenMatcher));
        }

        // Faults: each expected one must have happened; any other is unexpected.
        for (FaultExpectation fe : ex.faults()) {
            List<FaultEvent> mine =
                    faults.stream().filter(f -> f.task().equals(fe.task())).toList();
            long n = mine.stream().filter(f -> fe.covers(f.task(), f.kind())).count();
            String kind = fe.kind() == null ? "a fault" : "fault " + fe.kind();
            if (fe.times() == LineExpectation.AT_LEAST_ONCE ? n == 0 : n != fe.times()) {
                String seen = mine.isEmpty()
                        ? "it did not fault"
                        : "it faulted " + times(mine.size()) + ": "
                                + String.join(
                                        ", ",
                                        mine.stream()
                                                .map(f -> f.kind().name())
                                                .distinct()
                                                .toList());
                out.add("expected " + kind + " in task " + fe.task()
                        + (fe.times() == LineExpectation.AT_LEAST_ONCE ? "" : " " + times(fe.times())) + ", but "
                        + seen);
            }
        }
        Map<String, List<FaultEvent>> unexpected = new LinkedHashMap<>();
        for (FaultEvent f : faults) {
            boolean expected = ex.faults().stream().anyMatch(fe -> fe.covers(f.task(), f.kind()))
                    || ex.allowed().stream().anyMatch(a -> a.covers(f.task(), f.kind()));
            if (!expected) {
                unexpected
                        .computeIfAbsent(f.task() + " " + f.kind(), k -> new ArrayList<>())
                        .add(f);
            }
        }
        for (List<FaultEvent> same : unexpected.values()) {
            FaultEvent f = same.get(0);
            out.add("unexpected fault in task " + f.task() + " (generation " + f.generation() + "): " + f.description()
                    + "; " + f.action() + (same.size() > 1 ? " (and " + (same.size() - 1) + " more like it)" : ""));
        }

        // Tasks' final states.
        if (result != null) {
            for (TaskExpectation te : ex.tasks()) {
                SystemResult.TaskReport r = result.tasks().stream()
                        .filter(t -> t.name().equals(te.task()))
                        .findFirst()
                        .orElse(null);
                if (r == null) {
                    out.add("no task " + te.task() + " in the system");
                    continue;
                }
                String problem = switch (te.property()) {
                    case EXIT ->
                        r.state() == TaskState.EXITED && r.exitCode() == te.number()
                                ? null
                                : "expected exit " + te.number() + ", but it " + describe(r);
                    case STATE ->
                        r.state() == te.state()
                                ? null
                                : "expected state " + name(te.state()) + ", but it " + describe(r);
                    case RESTARTS ->
                        r.restarts() == te.number()
                                ? null
                                : "expected " + te.number() + " restart(s), got " + r.restarts();
                    case GENERATION ->
                        r.id().generation() == te.number()
                                ? null
                                : "expected generation " + te.number() + ", got " + r.id().generation();
                };
                if (problem != null) {
                    out.add("task " + te.task() + ": " + problem);
                }
            }
        }
        return out;
    }

    /** The line, or for a long one the part around the match. */
    private static String excerpt(String line, LineMatcher m) {
        int at = switch (m.kind()) {
            case EXACT -> 0;
            case CONTAINS -> line.indexOf(m.text());
            case REGEX -> {
                java.util.regex.Matcher x = m.pattern().matcher(line);
                yield x.find() ? x.start() : 0;
            }
        };
        int from = Math.max(0, at - 40);
        return (from > 0 ? "..." : "") + Text.printable(line.substring(from), 160);
    }

    /** How the console differs from {@code expect output}'s file, or null if it does not. */
    private static String outputDiffers(Expectations.Output want, ConsoleCapture con) {
        List<String> w = want.lines();
        int at = con.outputDiffers;
        int have = con.lines();
        String head = "the output differs from " + want.file() + " at line ";
        // (quoted: the two lines differ, so they must not look alike; Text.printable shows a tab
        // as a space and any control character as '?')
        if (at > 0 && at <= w.size()) {
            return head + at + ": expected " + (want.patterns() == null ? "" : "a line like ")
                    + Text.quoted(w.get(at - 1), 160) + ", got "
                    + Text.quoted(con.outputGot, 160);
        }
        if (at > 0) {
            return head + at + ": " + want.file() + " ends after " + lines(w.size()) + ", the console went on with "
                    + Text.quoted(con.outputGot, 160);
        }
        if (have < w.size()) {
            return head + (have + 1) + ": the console ended after " + lines(have) + ", " + want.file() + " has "
                    + lines(w.size()) + " (expected " + Text.quoted(w.get(have), 160) + ")";
        }
        return null;
    }

    private static String lines(int n) {
        return n == 1 ? "1 line" : n + " lines";
    }

    /** "all 3 expected lines appeared (by 0.12s)" or "2 of 3 expected lines never appeared". */
    private static String lineSummary(List<LineExpectation> lines, ConsoleCapture con) {
        int missing = 0;
        for (int n : con.count) {
            if (n == 0) {
                missing++;
            }
        }
        if (missing == 0) {
            long last = 0;
            for (long t : con.firstNanos) {
                last = Math.max(last, t);
            }
            return (lines.size() == 1 ? "the expected line" : "all " + lines.size() + " expected lines")
                    + " had appeared (by " + Durations.seconds(last) + ")";
        }
        return lines.size() == 1
                ? "the expected line never appeared"
                : missing + " of " + lines.size() + " expected lines never appeared";
    }

    private static String describe(SystemResult.TaskReport r) {
        return switch (r.state()) {
            case EXITED -> "exited with " + r.exitCode();
            case DEAD -> "died" + (r.lastFault() == null ? "" : " (" + r.lastFault() + ")");
            default -> "is still " + name(r.state());
        };
    }

    private static String name(TaskState s) {
        return s.name().toLowerCase(Locale.ROOT);
    }

    private static String times(long n) {
        return n == 1 ? "once" : n + " times";
    }
}
