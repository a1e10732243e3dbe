package dev.rewind.kernel;

/** Hears what happens to tasks; the CLI and tests use it. Called on the kernel thread. */
public interface KernelObserver {
    default void taskFaulted(Task task, Fault fault, String action) {}

    default void taskRestarted(Task task) {}

    default void taskExited(Task task, int code) {}
}
