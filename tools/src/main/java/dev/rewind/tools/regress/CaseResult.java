package dev.rewind.tools.regress;

import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.SystemResult;
import java.util.List;

/**
 * What became of one case.
 *
 * @param testCase the case
 * @param status   PASS, FAIL, ERROR (it could not be run to an end) or SKIP
 * @param nanos    wall-clock time of the case
 * @param failures what did not hold, the most telling first (empty when it passed); for ERROR, what went wrong
 * @param result   how the system ended, or null (stopped by {@code until lines}, not booted, hung)
 * @param stoppedEarly the run was ended by {@code until lines}
 * @param console  the guest console
 * @param faults   every fault the kernel reported, in order
 */
public record CaseResult(
        TestCase testCase,
        Status status,
        long nanos,
        List<String> failures,
        SystemResult result,
        boolean stoppedEarly,
        Console console,
        List<FaultEvent> faults) {

    public enum Status {
        PASS,
        FAIL,
        ERROR,
        SKIP;

        /** PASS and SKIP are fine; FAIL and ERROR fail the run. */
        public boolean ok() {
            return this == PASS || this == SKIP;
        }
    }

    /** A fault as the kernel reported it: {@code task} was generation {@code generation} when it faulted. */
    public record FaultEvent(
            String task, int generation, FaultKind kind, String description, String action, long atNanos) {
        @Override
        public String toString() {
            return task + " (generation " + generation + ", at " + Durations.seconds(atNanos) + "): " + description
                    + "; " + action;
        }
    }

    public CaseResult {
        failures = List.copyOf(failures);
        faults = List.copyOf(faults);
    }

    /** The first failure (for one-line reports and JUnit's failure message), or "". */
    public String message() {
        return failures.isEmpty() ? "" : failures.get(0);
    }

    /** The guest console as text. */
    public String consoleText() {
        return console.text();
    }

    /** The guest console lines kept (the last ones if it was very long). */
    public List<String> consoleLines() {
        return console.lines();
    }
}
