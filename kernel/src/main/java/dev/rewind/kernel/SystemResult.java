package dev.rewind.kernel;

import java.util.List;

/**
 * How a run of the system ended.
 *
 * @param outcome  the overall verdict
 * @param summary  one line for people
 * @param tasks    each task's final state
 * @param nanos    the run's wall-clock time from boot, less any time a debugger held the system
 *                 stopped
 */
public record SystemResult(Outcome outcome, String summary, List<TaskReport> tasks, long nanos) {
    public enum Outcome {
        /** Every task that ended exited 0; the rest are servers waiting for work. */
        OK(0),
        /** A task exited non-zero or died of a fault. */
        TASK_FAILED(1),
        /** Tasks are blocked waiting for each other and nothing can run. */
        DEADLOCK(3),
        /** The time budget ran out. */
        BUDGET_EXCEEDED(4),
        /** The host stopped the run ({@link Kernel#requestStop}): a test done with a server that never ends. */
        STOPPED(5);

        private final int exitStatus;

        Outcome(int exitStatus) {
            this.exitStatus = exitStatus;
        }

        /** The CLI's exit status for this outcome. */
        public int exitStatus() {
            return exitStatus;
        }
    }

    public record TaskReport(
            String name, TaskId id, TaskState state, long exitCode, int faults, int restarts, Fault lastFault) {}

    public TaskReport task(String name) {
        return tasks.stream()
                .filter(t -> t.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no task " + name));
    }
}
