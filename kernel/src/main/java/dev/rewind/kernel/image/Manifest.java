package dev.rewind.kernel.image;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A system manifest: the tasks of a system image, their resources, which IPC endpoints and
 * notifications each one serves, owns and uses, and the devices. Written in TOML; the format, its
 * keys, defaults, limits and checks are described once, in {@code docs/MANIFEST.md}, and read by
 * {@link ManifestParser} ({@link #load} and {@link #parse} here are the way in).
 *
 * @param name system name
 * @param quantumMs scheduler time slice in milliseconds
 * @param tasks the tasks, in file order
 * @param devices the devices, in file order (device i's registers are at MMIO_BASE + i * MMIO_STRIDE)
 * @param maxTasks the manifest's {@code max_tasks} (the most tasks the kernel boots), or 0 for the
 *     default derived from the machine's RAM ({@link TaskLimit})
 * @param arch the manifest's {@code arch} ("riscv64" or "aarch64": every image must be built for
 *     it), or null when the images decide
 */
public record Manifest(
        String name,
        int quantumMs,
        List<TaskSpec> tasks,
        List<DeviceSpec> devices,
        int maxTasks,
        String arch,
        List<String> endsWith) {

    /**
     * A manifest that ends when its tasks do. ({@code endsWith}: the tasks whose end ends the
     * system — when each has exited or died, the run is over even if servers could still be woken
     * by a timer, such as a network stack's; empty: the run ends when nothing can run any more.)
     */
    public Manifest(
            String name, int quantumMs, List<TaskSpec> tasks, List<DeviceSpec> devices, int maxTasks, String arch) {
        this(name, quantumMs, tasks, devices, maxTasks, arch, List.of());
    }

    /** A manifest whose images decide the architecture. */
    public Manifest(String name, int quantumMs, List<TaskSpec> tasks, List<DeviceSpec> devices, int maxTasks) {
        this(name, quantumMs, tasks, devices, maxTasks, null);
    }

    /** A manifest with the default task limit. */
    public Manifest(String name, int quantumMs, List<TaskSpec> tasks, List<DeviceSpec> devices) {
        this(name, quantumMs, tasks, devices, 0);
    }

    /** The architectures a manifest's {@code arch} may name. */
    public static final List<String> ARCHES = List.of("riscv64", "aarch64");

    /** A manifest without devices. */
    public Manifest(String name, int quantumMs, List<TaskSpec> tasks) {
        this(name, quantumMs, tasks, List.of());
    }

    /** This manifest with {@code tasks} instead of its own (devices and task limit kept). */
    public Manifest withTasks(List<TaskSpec> newTasks) {
        return new Manifest(name, quantumMs, newTasks, devices, maxTasks, arch, endsWith);
    }

    /** The task that owns device {@code device}. */
    public Optional<TaskSpec> ownerOfDevice(String device) {
        return tasks.stream().filter(t -> t.devices().contains(device)).findFirst();
    }

    public static final int DEFAULT_QUANTUM_MS = 10;
    public static final int MIN_QUANTUM_MS = 1;
    public static final int MAX_QUANTUM_MS = 1000;

    /** Names of tasks, endpoints and notifications. */
    public static final Pattern NAME_PATTERN = Pattern.compile("[a-z0-9_-]{1,32}");

    /** Deepest nesting of arrays and inline tables a manifest may use (it needs 2). */
    public static final int MAX_NESTING = 32;
    /** Longest system name. */
    public static final int MAX_NAME_LENGTH = 64;

    public Manifest {
        tasks = List.copyOf(tasks);
        devices = List.copyOf(devices);
        endsWith = endsWith == null ? List.of() : List.copyOf(endsWith);
    }

    /** The task with this name. */
    public Optional<TaskSpec> task(String taskName) {
        return tasks.stream().filter(t -> t.name().equals(taskName)).findFirst();
    }

    /** All endpoint names served by some task, in task order. */
    public List<String> endpoints() {
        return tasks.stream().flatMap(t -> t.serves().stream()).toList();
    }

    /** All notification names owned by some task, in task order. */
    public List<String> notifications() {
        return tasks.stream().flatMap(t -> t.notifications().stream()).toList();
    }

    /** The task that serves {@code endpoint}. */
    public Optional<TaskSpec> serverOf(String endpoint) {
        return tasks.stream().filter(t -> t.serves().contains(endpoint)).findFirst();
    }

    /** The task that owns notification {@code notification}. */
    public Optional<TaskSpec> ownerOfNotification(String notification) {
        return tasks.stream()
                .filter(t -> t.notifications().contains(notification))
                .findFirst();
    }

    /**
     * Reads and parses a manifest file (a regular file of at most {@link InputFiles#MAX_TEXT_BYTES});
     * messages name the file by its file name.
     *
     * @throws ManifestException {@code "FILE:LINE: problem"} for the first problem (lowest line)
     */
    public static Manifest load(Path file) throws ManifestException {
        return ManifestParser.load(file);
    }

    /**
     * Parses and validates a manifest.
     *
     * @param sourceName used as the {@code SOURCE} part of error messages
     * @throws ManifestException {@code "SOURCE:LINE: problem"} for the first problem (lowest line)
     */
    public static Manifest parse(String text, String sourceName) throws ManifestException {
        return ManifestParser.parse(text, sourceName);
    }

    /**
     * {@code s} safe to show in a one-line message: control characters (NUL, newline, escape...)
     * and other invisible characters written as escapes, and cut to at most 80 characters.
     */
    public static String escape(String s) {
        return escape(s, 80);
    }

    /** {@link #escape(String)} with another length limit. */
    static String escape(String s, int limit) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder();
        int shown = 0;
        for (int i = 0; i < s.length(); i++) {
            if (shown == limit) {
                b.append("...");
                break;
            }
            char c = s.charAt(i);
            switch (c) {
                case '\0' -> b.append("\\0");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(c)
                            || Character.getType(c) == Character.FORMAT
                            || Character.getType(c) == Character.SURROGATE && !validSurrogate(s, i)
                            || c == '\u2028'
                            || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
            shown++;
        }
        return b.toString();
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c)
                ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
