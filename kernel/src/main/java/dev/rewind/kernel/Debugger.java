package dev.rewind.kernel;

/**
 * What the kernel calls on an attached debugger (the kernel's only view of it; the debugger
 * itself lives in {@code dev.rewind.kernel.debug}, which the kernel does not depend on). A
 * debugger attaches with {@link Kernel#attachDebugger} before {@link Kernel#run()} and gets a
 * {@link DebugPort} back. Every method runs on the kernel thread, between slices or in a
 * stopped CPU's syscall path.
 */
public interface Debugger {

    /**
     * The run loop's choice of the next task, in place of the scheduler's (the debugger may stop
     * the system here first, and picks through {@link DebugPort#pickNext()}). Null when no task
     * may run now; then {@link #holding()} says whether that is because the debugger keeps the
     * tasks that could run frozen.
     */
    Task pickNext();

    /** The last {@link #pickNext()} found only tasks the debugger keeps frozen: not the end of the run. */
    boolean holding();

    /** {@code t} made a syscall and goes on at {@code pc} in the same slice (a checkpoint for reverse execution). */
    void record(Task t, long pc);

    /**
     * {@code t} faulted with {@code f}, before the kernel counts it or applies the recovery
     * policy. True if the debugger took the fault (the task resumes from its registers, and the
     * kernel does nothing more); false to recover as usual.
     */
    boolean faulted(Task t, Fault f);

    /** {@code t}'s fault {@code f} at generation {@code generation} was recovered: {@code outcome} says how. */
    void recovered(Task t, int generation, Fault f, String outcome);
}
