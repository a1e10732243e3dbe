package dev.rewind.tools.regress;

import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.TaskState;
import java.util.List;
import java.util.Locale;

/**
 * Everything a case expects of its run. A case passes when all of it holds.
 *
 * @param outcome     how the system must end (default OK)
 * @param lines       console lines that must appear
 * @param inOrder     the {@code lines} must appear in the order written
 * @param forbidden   console lines that must not appear
 * @param faults      faults that must happen
 * @param allowed     faults that may happen; any other fault fails the case
 * @param tasks       per-task checks of the final state
 * @param untilLines  end the run as soon as every expected line has appeared
 * @param output      the whole console output, line by line, or null
 */
public record Expectations(
        SystemResult.Outcome outcome,
        List<LineExpectation> lines,
        boolean inOrder,
        List<LineMatcher> forbidden,
        List<FaultExpectation> faults,
        List<FaultAllowance> allowed,
        List<TaskExpectation> tasks,
        boolean untilLines,
        Output output) {

    public Expectations {
        lines = List.copyOf(lines);
        forbidden = List.copyOf(forbidden);
        faults = List.copyOf(faults);
        allowed = List.copyOf(allowed);
        tasks = List.copyOf(tasks);
    }

    /**
     * The console output must be exactly {@code lines} ({@code expect output FILE}): as many
     * lines, each equal, compared as the console's lines are kept (a carriage return before a
     * newline dropped; a last line without a newline is a line).
     *
     * @param file  the file as the suite names it
     * @param lines its lines
     * @param line  the suite line of the expectation
     */
    /**
     * {@code expect output [like] FILE}: the console must be exactly {@code lines}; with
     * {@code like}, {@code patterns} holds each line as a whole-line pattern ({@code {{REGEX}}}
     * parts are regular expressions, the rest is literal); null for an exact comparison.
     */
    public record Output(String file, List<String> lines, int line, List<java.util.regex.Pattern> patterns) {
        public Output {
            lines = List.copyOf(lines);
            patterns = patterns == null ? null : List.copyOf(patterns);
        }

        public Output(String file, List<String> lines, int line) {
            this(file, lines, line, null);
        }

        /** The console line {@code got} is what line {@code i} (0-based) of the file asks for. */
        boolean matches(int i, String got) {
            return patterns == null
                    ? lines.get(i).equals(got)
                    : patterns.get(i).matcher(got).matches();
        }

        /**
         * The whole-line pattern of {@code line} of an {@code expect output like} file: its
         * {@code {{REGEX}}} parts as they are, the text between them literal.
         *
         * @throws java.util.regex.PatternSyntaxException for a bad regex
         * @throws IllegalArgumentException for a {@code {{} without its {@code }}}
         */
        static java.util.regex.Pattern pattern(String line) {
            StringBuilder re = new StringBuilder();
            int from = 0;
            while (true) {
                int open = line.indexOf("{{", from);
                if (open < 0) {
                    break;
                }
                int close = line.indexOf("}}", open + 2);
                if (close < 0) {
                    throw new IllegalArgumentException("'{{' at column " + (open + 1) + " has no '}}'");
                }
                if (open > from) {
                    re.append(java.util.regex.Pattern.quote(line.substring(from, open)));
                }
                String part = line.substring(open + 2, close);
                java.util.regex.Pattern.compile(part); // (its own errors, with its own index)
                re.append("(?:").append(part).append(')');
                from = close + 2;
            }
            if (from < line.length()) {
                re.append(java.util.regex.Pattern.quote(line.substring(from)));
            }
            return java.util.regex.Pattern.compile(re.toString());
        }

        /** A byte-order mark, which does not count at the start of the file nor of the console. */
        static final String BOM = "\uFEFF";

        /**
         * {@code text} split as the console splits its bytes into lines, without a leading
         * byte-order mark (an editor's, as a suite file may have one).
         */
        public static List<String> lines(String text) {
            List<String> out = new java.util.ArrayList<>();
            int from = text.startsWith(BOM) ? 1 : 0;
            while (from < text.length()) {
                int nl = text.indexOf('\n', from);
                int end = nl < 0 ? text.length() : nl;
                String line = text.substring(from, end);
                out.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
                from = end + 1;
            }
            return out;
        }
    }

    /**
     * A line that must appear.
     *
     * @param times exactly this many times, or {@link #AT_LEAST_ONCE}
     */
    public record LineExpectation(LineMatcher matcher, int times, int line) {
        public static final int AT_LEAST_ONCE = -1;

        @Override
        public String toString() {
            return matcher + (times == AT_LEAST_ONCE ? "" : " times " + times);
        }
    }

    /**
     * A fault that must happen: {@code task} faults with {@code kind} (null: any kind), at least
     * once or exactly {@code times} times.
     */
    public record FaultExpectation(String task, FaultKind kind, int times, int line) {
        public boolean covers(String taskName, FaultKind k) {
            return task.equals(taskName) && (kind == null || kind == k);
        }

        @Override
        public String toString() {
            return "fault " + task + " " + (kind == null ? "any" : kind.name())
                    + (times == LineExpectation.AT_LEAST_ONCE ? "" : " times " + times);
        }
    }

    /** Faults that do not fail the case: {@code task} ("*": any task) with {@code kind} (null: any). */
    public record FaultAllowance(String task, FaultKind kind) {
        public boolean covers(String taskName, FaultKind k) {
            return (task.equals("*") || task.equals(taskName)) && (kind == null || kind == k);
        }
    }

    /** A check of one task's final state. */
    public record TaskExpectation(String task, Property property, int number, TaskState state, int line) {
        public enum Property {
            EXIT,
            STATE,
            RESTARTS,
            GENERATION
        }

        @Override
        public String toString() {
            return "task " + task + " " + property.name().toLowerCase(Locale.ROOT) + " "
                    + (property == Property.STATE ? state.name().toLowerCase(Locale.ROOT) : Integer.toString(number));
        }
    }

    /** The suite-file name of an outcome: ok, task_failed, deadlock, timeout, stopped. */
    public static String outcomeName(SystemResult.Outcome o) {
        return switch (o) {
            case OK -> "ok";
            case TASK_FAILED -> "task_failed";
            case DEADLOCK -> "deadlock";
            case BUDGET_EXCEEDED -> "timeout";
            case STOPPED -> "stopped";
        };
    }
}
