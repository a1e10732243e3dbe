package dev.rewind.kernel.image;

/**
 * How many tasks one machine boots (docs/MANIFEST.md, "Limits"). Every task costs host memory
 * outside the guest's RAM (its own CPU engine, page tables, kernel records): about
 * {@link #HOST_BYTES_PER_TASK} when idle. By default a machine boots at most as many tasks as its
 * RAM holds mebibytes, so the tasks' host overhead stays within the size of the guest RAM; a
 * manifest raises or lowers that with {@code max_tasks}, up to {@link #MAX_TASKS}.
 */
public final class TaskLimit {
    /** Host memory an idle task costs, on which the default limit is based: 1 MiB. */
    public static final long HOST_BYTES_PER_TASK = 1L << 20;
    /** The default limit is never below this (small machines still boot small systems). */
    public static final int MIN_DEFAULT = 16;
    /** The most tasks any manifest may ask for with {@code max_tasks}. */
    public static final int MAX_TASKS = 4096;

    private TaskLimit() {}

    /** The limit for a machine with {@code ramBytes} of RAM when the manifest sets none. */
    public static int defaultFor(long ramBytes) {
        return (int) Math.max(MIN_DEFAULT, Math.min(MAX_TASKS, ramBytes / HOST_BYTES_PER_TASK));
    }

    /** The limit that applies to {@code m} on a machine with {@code ramBytes} of RAM. */
    public static int of(Manifest m, long ramBytes) {
        return m.maxTasks() > 0 ? m.maxTasks() : defaultFor(ramBytes);
    }

    /**
     * Null if {@code m} may boot on a machine with {@code ramBytes} of RAM, else the one-line
     * reason, naming the figures and how to raise the limit.
     */
    public static String check(Manifest m, long ramBytes) {
        int n = m.tasks().size();
        int limit = of(m, ramBytes);
        if (n <= limit) {
            return null;
        }
        String why = m.maxTasks() > 0
                ? "set by max_tasks = " + m.maxTasks() + " in the manifest"
                : "the default for a machine with " + InputFiles.formatBytes(ramBytes) + " of RAM at "
                        + InputFiles.formatBytes(HOST_BYTES_PER_TASK) + " of host memory per task";
        String raise = n <= MAX_TASKS
                ? "raise it with max_tasks = " + n + " in the manifest (at most " + MAX_TASKS
                        + ") or give the machine more RAM"
                : "no machine boots more than " + MAX_TASKS + " tasks";
        return "image '" + Manifest.escape(m.name()) + "' has " + n + " tasks, more than the limit of " + limit + " ("
                + why + "); " + raise;
    }
}
