package dev.rewind.kernel.image;

import static dev.rewind.kernel.image.Manifest.MAX_NAME_LENGTH;
import static dev.rewind.kernel.image.Manifest.MAX_NESTING;
import static dev.rewind.kernel.image.Manifest.NAME_PATTERN;
import static dev.rewind.kernel.image.Manifest.escape;

import dev.rewind.hw.dev.GuestForward;
import dev.rewind.hw.dev.NetDevice;
import dev.rewind.kernel.text.Suggestions;
import dev.rewind.kernel.text.Units;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Reads a manifest's TOML text into a {@link Manifest}: the format, every key and every check are in
 * {@code docs/MANIFEST.md} (the one description of the format; keep it in step with the key lists below).
 *
 * <p>Checking runs in two phases: every key on its own (types, ranges, names), then the names across
 * tasks and devices (one server per endpoint, uses that resolve, one owner per device). Each phase
 * collects its problems and the one with the lowest line is reported, as a {@link ManifestException}
 * whose message is {@code "SOURCE:LINE: problem"}.
 */
final class ManifestParser {
    static final List<String> TOP_KEYS =
            List.of("name", "quantum_ms", "task", "device", "max_tasks", "arch", "ends_with");
    static final List<String> DEVICE_KEYS = List.of("kind", "size", "mac", "guestfwd", "loopback");
    static final List<String> TASK_KEYS = List.of(
            "image",
            "priority",
            "stack",
            "heap",
            "serves",
            "uses",
            "notifications",
            "recovery",
            "runaway_ms",
            "deadline_ms",
            "max_aborts",
            "abort_window_ms",
            "replay_depth",
            "verify",
            "scrub",
            "code_check",
            "keep_copy",
            "repeatable_calls",
            "refusals",
            "devices",
            "shadow");

    /**
     * Reads and parses a manifest file (a regular file of at most {@link InputFiles#MAX_TEXT_BYTES});
     * messages name the file by its file name.
     */
    static Manifest load(Path file) throws ManifestException {
        Path fileName = file.getFileName();
        String source = fileName == null ? file.toString() : fileName.toString();
        String text;
        try {
            text = new String(InputFiles.read(file, InputFiles.MAX_TEXT_BYTES, "a manifest"), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new ManifestException(source, 1, "cannot read manifest " + file + ": " + e.getMessage(), e);
        }
        return parse(text, source);
    }

    /**
     * Parses and validates a manifest.
     *
     * @param sourceName used as the {@code SOURCE} part of error messages
     */
    static Manifest parse(String text, String sourceName) throws ManifestException {
        if (text.length() > InputFiles.MAX_TEXT_BYTES) {
            throw new ManifestException(
                    sourceName,
                    1,
                    "manifest too large (" + text.length() + " characters; the limit is "
                            + InputFiles.formatBytes(InputFiles.MAX_TEXT_BYTES) + ")");
        }
        checkNesting(text, sourceName);
        TomlParseResult toml;
        try {
            toml = Toml.parse(text);
        } catch (StackOverflowError | AssertionError | RuntimeException e) {
            // checkNesting keeps the parser's recursion shallow and checks escapes; this is the
            // last line of defence against the parser's own failures
            throw new ManifestException(
                    sourceName,
                    1,
                    "TOML syntax error: the parser gave up on this file ("
                            + e.getClass().getSimpleName() + ")");
        }
        if (toml.hasErrors()) {
            TomlParseError e = toml.errors().stream()
                    .min(Comparator.comparingInt(
                                    (TomlParseError x) -> x.position().line())
                            .thenComparingInt(x -> x.position().column()))
                    .orElseThrow();
            throw new ManifestException(
                    sourceName,
                    e.position().line(),
                    "TOML syntax error at column " + e.position().column() + ": " + e.getMessage());
        }
        return new ManifestParser(sourceName, text, toml).check();
    }

    /**
     * Rejects text whose arrays and inline tables nest deeper than {@link Manifest#MAX_NESTING} before it
     * reaches the TOML parser, which recurses once per level (a few thousand levels overflow the
     * stack). Brackets inside strings and comments do not count. Also checks that every
     * {@code \\u}/{@code \\U} escape in a basic string has its hexadecimal digits.
     */
    static void checkNesting(String text, String sourceName) throws ManifestException {
        int depth = 0;
        int line = 1;
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
                i++;
            } else if (c == '#') {
                while (i < n && text.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '"' || c == '\'') {
                boolean multi = text.startsWith(c == '"' ? "\"\"\"" : "'''", i);
                i += multi ? 3 : 1;
                while (i < n) {
                    char d = text.charAt(i);
                    if (d == '\n') {
                        if (!multi) {
                            break; // unterminated: leave it to the parser
                        }
                        line++;
                    }
                    if (d == '\\' && c == '"') {
                        char e = i + 1 < n ? text.charAt(i + 1) : ' ';
                        int digits = e == 'u' ? 4 : e == 'U' ? 8 : 0;
                        for (int k = 0; k < digits; k++) {
                            char h = i + 2 + k < n ? text.charAt(i + 2 + k) : ' ';
                            if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) {
                                // tomlj fails an assertion on a non-ASCII digit here (an internal error under -ea)
                                throw new ManifestException(
                                        sourceName,
                                        line,
                                        "invalid unicode escape \\" + e + ": it needs " + digits
                                                + " hexadecimal digits");
                            }
                        }
                        i += 2 + digits;
                        continue;
                    }
                    if (d == c && (!multi || text.startsWith(c == '"' ? "\"\"\"" : "'''", i))) {
                        i += multi ? 3 : 1;
                        break;
                    }
                    i++;
                }
            } else {
                if (c == '[' || c == '{') {
                    if (++depth > MAX_NESTING) {
                        throw new ManifestException(
                                sourceName,
                                line,
                                "arrays or inline tables nested more than " + MAX_NESTING + " levels deep");
                    }
                } else if ((c == ']' || c == '}') && depth > 0) {
                    depth--;
                }
                i++;
            }
        }
    }

    /** One problem found while checking; the one with the lowest line is reported. */
    private record Problem(int line, String message) {}

    /** A list entry with the line it was written on. */
    private record Entry(String value, int line) {}

    private final String source;
    private final String text;
    private final TomlParseResult toml;
    private final List<Problem> problems = new ArrayList<>();

    private ManifestParser(String source, String text, TomlParseResult toml) {
        this.source = source;
        this.text = text;
        this.toml = toml;
    }

    /** Checks every key, then the names across tasks and devices, and builds the manifest. */
    private Manifest check() throws ManifestException {
        // Phase 1: every key on its own.
        boolean unknownTop = false;
        for (String key : keysInFileOrder(toml)) {
            if (!TOP_KEYS.contains(key)) {
                unknownTop = true;
                String hint = TASK_KEYS.contains(key)
                        ? "; task settings belong in a [task.NAME] table"
                        : suggestion(key, TOP_KEYS);
                problem(
                        lineOf(toml, key),
                        "unknown top-level key '" + escape(key) + "' (allowed keys: " + String.join(", ", TOP_KEYS)
                                + ")" + hint);
            }
        }

        String name = null;
        if (!toml.contains(List.of("name"))) {
            problem(1, "missing required key 'name' (the system name, e.g. name = \"demo\")");
        } else {
            Object v = toml.get(List.of("name"));
            if (!(v instanceof String s)) {
                problem(lineOf(toml, "name"), "'name' must be a string, not " + describe(v));
            } else if (s.isBlank()) {
                problem(lineOf(toml, "name"), "'name' must not be empty");
            } else if (s.chars().anyMatch(Character::isISOControl)) {
                problem(lineOf(toml, "name"), "'name' = \"" + escape(s) + "\" contains a control character");
            } else if (s.codePointCount(0, s.length()) > MAX_NAME_LENGTH) { // characters, not UTF-16 units
                problem(
                        lineOf(toml, "name"),
                        "'name' is " + s.codePointCount(0, s.length()) + " characters long (at most " + MAX_NAME_LENGTH
                                + ")");
            } else {
                name = s;
            }
        }

        long quantum = integer(
                toml, "quantum_ms", "", Manifest.DEFAULT_QUANTUM_MS, Manifest.MIN_QUANTUM_MS, Manifest.MAX_QUANTUM_MS);
        long maxTasks = integer(toml, "max_tasks", "", 0, 1, TaskLimit.MAX_TASKS);
        String arch = null;
        if (toml.contains(List.of("arch"))) {
            Object v = toml.get(List.of("arch"));
            if (!(v instanceof String s) || !Manifest.ARCHES.contains(s)) {
                problem(
                        lineOf(toml, "arch"),
                        "'arch' must be one of " + String.join(", ", Manifest.ARCHES) + ", not "
                                + (v instanceof String s ? "\"" + escape(s) + "\"" : describe(v)));
            } else {
                arch = s;
            }
        }

        List<Entry> endsWith = nameList(toml, "ends_with", "", "task");

        List<TaskBuilder> tasks = new ArrayList<>();
        Object taskValue = toml.get(List.of("task"));
        if (taskValue == null) {
            if (!unknownTop) { // (else that key's problem says more: a misspelt [task.NAME], say)
                problem(1, "no tasks defined: add at least one [task.NAME] table");
            }
        } else if (!(taskValue instanceof TomlTable taskTable)) {
            problem(
                    lineOf(toml, "task"),
                    "'task' must be a table of tasks written as [task.NAME], not " + describe(taskValue));
        } else if (taskTable.isEmpty()) {
            problem(lineOf(toml, "task"), "no tasks defined: add at least one [task.NAME] table");
        } else {
            for (String taskName : keysInFileOrder(taskTable)) {
                TaskBuilder t = task(taskTable, taskName);
                if (t != null) {
                    tasks.add(t);
                }
            }
        }
        List<DeviceSpec> devices = new ArrayList<>();
        Object devValue = toml.get(List.of("device"));
        if (devValue != null) {
            if (!(devValue instanceof TomlTable devTable)) {
                problem(
                        lineOf(toml, "device"),
                        "'device' must be a table of devices written as [device.NAME], not " + describe(devValue));
            } else {
                for (String devName : keysInFileOrder(devTable)) {
                    DeviceSpec d = device(devTable, devName);
                    if (d != null) {
                        devices.add(d);
                    }
                }
            }
        }
        failIfProblems();

        // Phase 2: endpoints, notifications and devices across tasks.
        crossCheck(tasks);
        checkDevices(tasks, devices);
        Set<String> taskNames = new HashSet<>();
        tasks.forEach(t -> taskNames.add(t.name));
        for (Entry e : endsWith) {
            if (!taskNames.contains(e.value())) {
                problem(
                        e.line(),
                        "'ends_with' names '" + e.value() + "', which is no task of this image"
                                + Suggestions.closest(e.value(), taskNames)
                                        .map(k -> "; did you mean '" + k + "'?")
                                        .orElse(""));
            }
        }
        failIfProblems();

        return new Manifest(
                name,
                (int) quantum,
                tasks.stream().map(TaskBuilder::build).toList(),
                devices,
                (int) maxTasks,
                arch,
                endsWith.stream().map(Entry::value).toList());
    }

    private TaskBuilder task(TomlTable taskTable, String taskName) {
        int line = lineOf(taskTable, taskName);
        Object v = taskTable.get(List.of(taskName));
        if (!NAME_PATTERN.matcher(taskName).matches()) {
            problem(line, "task name '" + escape(taskName) + "' is invalid: " + nameRule());
            return null;
        }
        if (!(v instanceof TomlTable t)) {
            problem(
                    line,
                    "task '" + taskName + "' must be a table of settings written as [task." + taskName + "], not "
                            + describe(v));
            return null;
        }
        String ctx = "task '" + taskName + "': ";
        TaskBuilder b = new TaskBuilder(taskName, line);

        for (String key : keysInFileOrder(t)) {
            if (!TASK_KEYS.contains(key)) {
                problem(
                        lineOf(t, key),
                        ctx + "unknown key '" + escape(key) + "' (allowed keys: " + String.join(", ", TASK_KEYS) + ")"
                                + suggestion(key, TASK_KEYS));
            }
        }

        if (!t.contains(List.of("image"))) {
            problem(
                    line,
                    ctx + "missing required key 'image' (the task's ELF file, e.g. image = \"" + taskName + ".elf\")");
        } else {
            Object img = t.get(List.of("image"));
            int l = lineOf(t, "image");
            if (!(img instanceof String s)) {
                problem(l, ctx + "'image' must be a string (a file path), not " + describe(img));
            } else {
                String bad = checkImagePath(s);
                if (bad != null) {
                    problem(l, ctx + bad);
                } else {
                    b.image = s;
                }
            }
        }

        b.priority = (int) integer(
                t,
                "priority",
                ctx,
                TaskSpec.DEFAULT_PRIORITY,
                TaskSpec.MIN_PRIORITY_VALUE,
                TaskSpec.MAX_PRIORITY_VALUE);
        b.stack = size(t, "stack", ctx, TaskSpec.DEFAULT_STACK, TaskSpec.MIN_STACK, TaskSpec.MAX_STACK);
        b.heap = size(t, "heap", ctx, TaskSpec.DEFAULT_HEAP, 0, TaskSpec.MAX_HEAP);
        b.serves = nameList(t, "serves", ctx, "endpoint");
        b.uses = nameList(t, "uses", ctx, "endpoint or notification");
        b.notifications = nameList(t, "notifications", ctx, "notification");
        b.runawayMs = integer(t, "runaway_ms", ctx, 0, 0, TaskSpec.MAX_RUNAWAY_MS);

        if (t.contains(List.of("recovery"))) {
            Object r = t.get(List.of("recovery"));
            int l = lineOf(t, "recovery");
            if (!(r instanceof String s)) {
                problem(
                        l,
                        ctx + "'recovery' must be a string (one of: " + RecoveryPolicy.allConfigNames() + "), not "
                                + describe(r));
            } else {
                try {
                    b.recovery = RecoveryPolicy.parse(s);
                } catch (IllegalArgumentException e) {
                    problem(l, ctx + e.getMessage());
                }
            }
        }
        b.devices = nameList(t, "devices", ctx, "device");
        if (t.contains(List.of("shadow"))) {
            Object sv = t.get(List.of("shadow"));
            int l = lineOf(t, "shadow");
            if (b.recovery != RecoveryPolicy.SHADOW) {
                problem(l, ctx + "'shadow' applies only to recovery = \"shadow\"");
            } else if (!(sv instanceof String s)) {
                problem(l, ctx + "'shadow' must be a string (block, char or net), not " + describe(sv));
            } else {
                try {
                    b.shadow = ShadowClass.parse(s);
                } catch (IllegalArgumentException e) {
                    problem(l, ctx + e.getMessage());
                }
            }
        } else if (b.recovery == RecoveryPolicy.SHADOW) {
            problem(
                    lineOf(t, "recovery"),
                    ctx + "recovery = \"shadow\" needs 'shadow' = \"block\" or \"char\""
                            + " (the class of driver the shadow understands)");
        }
        if (b.recovery == RecoveryPolicy.SHADOW && b.serves.isEmpty()) {
            problem(
                    lineOf(t, "recovery"),
                    ctx + "recovery = \"shadow\" is for drivers: the task must serve an endpoint");
        }
        if (b.recovery == RecoveryPolicy.TXIPC && b.serves.isEmpty() && b.notifications.isEmpty()) {
            // (its transactions are the requests it handles and the wakes of its notifications:
            // with neither, every fault is outside one, and txipc would act as restart unsaid)
            problem(
                    lineOf(t, "recovery"),
                    ctx + "recovery = \"txipc\" needs a task that serves an endpoint or owns a notification"
                            + " (its transactions are the requests and wakes it handles); use \"restart\"");
        }
        TaskSpec.TxipcLimits d = TaskSpec.TxipcLimits.DEFAULT;
        for (String key : List.of("deadline_ms", "max_aborts", "abort_window_ms", "replay_depth")) {
            boolean applies = b.recovery == RecoveryPolicy.TXIPC
                    || (key.equals("deadline_ms") && b.recovery == RecoveryPolicy.SHADOW);
            if (t.contains(List.of(key)) && !applies) {
                problem(
                        lineOf(t, key),
                        ctx + "'" + key + "' applies only to recovery = \"txipc\""
                                + (key.equals("deadline_ms") ? " or \"shadow\"" : ""));
            }
        }
        String verify = verify(t, b, ctx);
        b.txipc = new TaskSpec.TxipcLimits(
                integer(t, "deadline_ms", ctx, d.deadlineMs(), 1, TaskSpec.TxipcLimits.MAX_DEADLINE_MS),
                (int) integer(t, "max_aborts", ctx, d.maxAborts(), 1, TaskSpec.TxipcLimits.MAX_ABORTS),
                integer(t, "abort_window_ms", ctx, d.abortWindowMs(), 1, TaskSpec.TxipcLimits.MAX_WINDOW_MS),
                (int) integer(t, "replay_depth", ctx, d.replayDepth(), 0, TaskSpec.TxipcLimits.MAX_REPLAY_DEPTH),
                verify.equals("dual"),
                scrub(t, b, ctx),
                codeCheck(t, b, ctx),
                recoveryFlag(t, b, ctx, "keep_copy", true, RecoveryPolicy.TXIPC),
                recoveryFlag(t, b, ctx, "repeatable_calls", false, RecoveryPolicy.TXIPC),
                !verify.equals("none"),
                verify.equals("errors"),
                refusals(t, b, ctx));
        if (b.recovery == RecoveryPolicy.SHADOW && !t.contains(List.of("runaway_ms"))) {
            // A driver that loops between its reply and its next receive is in no request, so
            // its request deadline never ends it, and at its (usually high) priority it starves
            // its clients for good: by default a shadow driver is faulted after deadline_ms of
            // CPU without a syscall wherever it runs (restarted by its shadow), as campaigns'
            // --hang-ms always did.
            b.runawayMs = b.txipc.deadlineMs();
        }
        return b;
    }

    /**
     * {@code refusals = [-40, ...]} (txipc only; default none): statuses with which the server
     * refuses a request before acting on it, besides the kernel's own (EINVAL, EFAULT, ENOSYS,
     * ETOOBIG, ESTATE); each a negative integer, at most {@link TaskSpec.TxipcLimits#MAX_REFUSALS}.
     */
    private List<Long> refusals(TomlTable t, TaskBuilder b, String ctx) {
        if (!t.contains(List.of("refusals"))) {
            return List.of();
        }
        int line = lineOf(t, "refusals");
        if (b.recovery != RecoveryPolicy.TXIPC) {
            problem(line, ctx + "'refusals' applies only to recovery = \"txipc\"");
            return List.of();
        }
        Object v = t.get(List.of("refusals"));
        if (!(v instanceof TomlArray a)) {
            problem(line, ctx + "'refusals' must be a list of negative integers (statuses), e.g. [-40, -43]");
            return List.of();
        }
        if (a.size() > TaskSpec.TxipcLimits.MAX_REFUSALS) {
            problem(
                    line,
                    ctx + "'refusals' lists " + a.size() + " statuses, more than " + TaskSpec.TxipcLimits.MAX_REFUSALS);
            return List.of();
        }
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            Object e = a.get(i);
            if (!(e instanceof Long x) || x >= 0 || x < Integer.MIN_VALUE) {
                problem(
                        line,
                        ctx + "'refusals' must be a list of negative integers (statuses), e.g. [-40, -43]: "
                                + (e instanceof String str ? "\"" + escape(str) + "\"" : String.valueOf(e))
                                + " is not one");
                return List.of();
            }
            if (out.contains(x)) {
                problem(line, ctx + "'refusals' lists " + x + " twice");
                return List.of();
            }
            out.add(x);
        }
        return List.copyOf(out);
    }

    /** {@code code_check = true | false} (txipc and shadow; default true). */
    private boolean codeCheck(TomlTable t, TaskBuilder b, String ctx) {
        return recoveryFlag(t, b, ctx, "code_check", true, RecoveryPolicy.TXIPC, RecoveryPolicy.SHADOW);
    }

    /** {@code scrub = true | false} (txipc only; default false). */
    private boolean scrub(TomlTable t, TaskBuilder b, String ctx) {
        return recoveryFlag(t, b, ctx, "scrub", false, RecoveryPolicy.TXIPC);
    }

    /** A true/false setting {@code key} that only the recovery policies {@code for_} take; {@code dflt} if absent. */
    private boolean recoveryFlag(
            TomlTable t, TaskBuilder b, String ctx, String key, boolean dflt, RecoveryPolicy... for_) {
        if (!t.contains(List.of(key))) {
            return dflt;
        }
        Object v = t.get(List.of(key));
        int l = lineOf(t, key);
        if (!List.of(for_).contains(b.recovery)) {
            List<String> names = java.util.Arrays.stream(for_)
                    .map(p -> "\"" + p.name().toLowerCase(java.util.Locale.ROOT) + "\"")
                    .toList();
            problem(l, ctx + "'" + key + "' applies only to recovery = " + String.join(" or ", names));
            return dflt;
        }
        if (!(v instanceof Boolean on)) {
            problem(l, ctx + "'" + key + "' must be true or false, not " + describe(v));
            return dflt;
        }
        return on;
    }

    /** {@code verify = "dual" | "errors" | "refusals" | "none"} (txipc only; default "refusals"). */
    private String verify(TomlTable t, TaskBuilder b, String ctx) {
        if (!t.contains(List.of("verify"))) {
            return "refusals";
        }
        Object v = t.get(List.of("verify"));
        int l = lineOf(t, "verify");
        if (b.recovery != RecoveryPolicy.TXIPC) {
            problem(l, ctx + "'verify' applies only to recovery = \"txipc\"");
            return "refusals";
        }
        if (!(v instanceof String s) || !TaskSpec.TxipcLimits.VERIFY_MODES.contains(s)) {
            problem(
                    l,
                    ctx + "'verify' must be \"dual\", \"errors\", \"refusals\" or \"none\", not "
                            + (v instanceof String str ? "\"" + escape(str) + "\"" : describe(v)));
            return "refusals";
        }
        return s;
    }

    private void crossCheck(List<TaskBuilder> tasks) {
        Map<String, Owner> endpoints = new LinkedHashMap<>();
        Map<String, Owner> notifications = new LinkedHashMap<>();
        for (TaskBuilder t : tasks) {
            for (Entry e : t.serves) {
                Owner prev = endpoints.putIfAbsent(e.value(), new Owner(t.name, e.line()));
                if (prev != null) {
                    problem(
                            e.line(),
                            "endpoint '" + e.value() + "' is served by both task '" + prev.task()
                                    + "' (line " + prev.line() + ") and task '" + t.name
                                    + "'; each endpoint must have exactly one server");
                }
            }
            for (Entry e : t.notifications) {
                Owner prev = notifications.putIfAbsent(e.value(), new Owner(t.name, e.line()));
                if (prev != null) {
                    problem(
                            e.line(),
                            "notification '" + e.value() + "' is owned by both task '" + prev.task()
                                    + "' (line " + prev.line() + ") and task '" + t.name
                                    + "'; each notification must have exactly one owner");
                }
            }
        }
        for (Map.Entry<String, Owner> n : notifications.entrySet()) {
            Owner ep = endpoints.get(n.getKey());
            if (ep != null) {
                Owner no = n.getValue();
                problem(
                        Math.max(ep.line(), no.line()),
                        "'" + n.getKey()
                                + "' is declared both as an endpoint (served by task '" + ep.task() + "', line "
                                + ep.line() + ") and as a notification (owned by task '" + no.task() + "', line "
                                + no.line() + "); endpoint and notification names must be distinct");
            }
        }
        for (TaskBuilder t : tasks) {
            for (Entry e : t.uses) {
                Owner served = endpoints.get(e.value());
                Owner owned = notifications.get(e.value());
                if (served != null && served.task().equals(t.name)) {
                    // (its name finds the receive capability, so the use could only be reached by a
                    // raw slot number, and a call there waits for an answer only its caller can give)
                    problem(
                            e.line(),
                            "task '" + t.name + "': uses '" + e.value() + "', which it serves itself: a task"
                                    + " cannot call its own endpoint (the call would wait for a reply only it could"
                                    + " give); leave it out of 'uses'");
                    continue;
                }
                if (owned != null && owned.task().equals(t.name)) {
                    problem(
                            e.line(),
                            "task '" + t.name + "': uses '" + e.value() + "', a notification it owns: its owner"
                                    + " waits on it and the tasks that use it signal it (docs/MANIFEST.md); leave it"
                                    + " out of 'uses'");
                    continue;
                }
                if (!endpoints.containsKey(e.value()) && !notifications.containsKey(e.value())) {
                    problem(
                            e.line(),
                            "task '" + t.name + "': uses '" + e.value()
                                    + "', which is neither an endpoint served by any task nor a notification owned by"
                                    + " any task (endpoints: " + listOrNone(endpoints.keySet()) + "; notifications: "
                                    + listOrNone(notifications.keySet()) + ")");
                }
            }
        }
    }

    private record Owner(String task, int line) {}

    private DeviceSpec device(TomlTable devTable, String devName) {
        int line = lineOf(devTable, devName);
        Object v = devTable.get(List.of(devName));
        if (!NAME_PATTERN.matcher(devName).matches()) {
            problem(line, "device name '" + escape(devName) + "' is invalid: " + nameRule());
            return null;
        }
        if (!(v instanceof TomlTable t)) {
            problem(
                    line,
                    "device '" + devName + "' must be a table written as [device." + devName + "], not " + describe(v));
            return null;
        }
        String ctx = "device '" + devName + "': ";
        for (String key : keysInFileOrder(t)) {
            if (!DEVICE_KEYS.contains(key)) {
                problem(
                        lineOf(t, key),
                        ctx + "unknown key '" + escape(key) + "' (allowed keys: " + String.join(", ", DEVICE_KEYS) + ")"
                                + suggestion(key, DEVICE_KEYS));
            }
        }
        DeviceSpec.Kind kind = null;
        Object k = t.get(List.of("kind"));
        if (k == null) {
            problem(line, ctx + "missing required key 'kind' (uart, block, timer or net)");
        } else if (!(k instanceof String s)) {
            problem(lineOf(t, "kind"), ctx + "'kind' must be a string (uart, block, timer or net), not " + describe(k));
        } else {
            try {
                kind = DeviceSpec.Kind.parse(s);
            } catch (IllegalArgumentException e) {
                problem(lineOf(t, "kind"), ctx + e.getMessage());
            }
        }
        if (t.contains(List.of("size")) && kind != null && kind != DeviceSpec.Kind.BLOCK) {
            problem(lineOf(t, "size"), ctx + "'size' applies only to kind = \"block\"");
        }
        long size = size(t, "size", ctx, DeviceSpec.DEFAULT_DISK, DeviceSpec.MIN_DISK, DeviceSpec.MAX_DISK);
        long mac = DeviceSpec.NO_MAC;
        Object m = t.get(List.of("mac"));
        if (m != null) {
            if (kind != null && kind != DeviceSpec.Kind.NET) {
                problem(lineOf(t, "mac"), ctx + "'mac' applies only to kind = \"net\"");
            } else if (!(m instanceof String ms)) {
                problem(
                        lineOf(t, "mac"),
                        ctx + "'mac' must be a string such as \"52:54:00:12:34:56\", not " + describe(m));
            } else {
                try {
                    mac = NetDevice.parseMac(ms);
                } catch (IllegalArgumentException e) {
                    // parseMac's messages start with the value quoted: escape (and cut) only that,
                    // never the explanation after it.
                    String why = e.getMessage();
                    String head = "'" + ms + "'";
                    why = why.startsWith(head) ? why.substring(head.length()) : " " + why;
                    problem(lineOf(t, "mac"), ctx + "'mac' '" + escape(ms) + "'" + why);
                }
            }
        }
        List<GuestForward> guestFwd = new ArrayList<>();
        Object g = t.get(List.of("guestfwd"));
        if (g != null) {
            int gl = lineOf(t, "guestfwd");
            if (kind != null && kind != DeviceSpec.Kind.NET) {
                problem(gl, ctx + "'guestfwd' applies only to kind = \"net\"");
            } else if (!(g instanceof TomlArray arr)) {
                problem(
                        gl,
                        ctx + "'guestfwd' must be a list of strings such as [\"tcp:10.0.2.100:7-echo\"], not "
                                + describe(g));
            } else {
                for (int i = 0; i < arr.size(); i++) {
                    Object e = arr.get(i);
                    if (!(e instanceof String rule)) {
                        problem(
                                gl,
                                ctx + "'guestfwd' entries must be strings such as \"tcp:10.0.2.100:7-echo\", not "
                                        + describe(e));
                        continue;
                    }
                    try {
                        GuestForward f = GuestForward.parse(rule);
                        boolean twice = false;
                        for (GuestForward h : guestFwd) {
                            twice |= h.guestPort() == f.guestPort()
                                    && h.guestAddr().equals(f.guestAddr());
                        }
                        if (twice) {
                            problem(
                                    gl,
                                    ctx + "'guestfwd': " + f.guestAddr().getHostAddress() + ":" + f.guestPort()
                                            + " is forwarded twice");
                        } else {
                            guestFwd.add(f);
                        }
                    } catch (IllegalArgumentException ex) {
                        // GuestForward's messages start "guestfwd 'RULE': "; the rule is quoted escaped
                        String why = ex.getMessage();
                        String head = "guestfwd '" + rule + "': ";
                        if (why.startsWith(head)) {
                            why = why.substring(head.length());
                        }
                        problem(gl, ctx + "'guestfwd' '" + escape(rule) + "': " + why);
                    }
                }
            }
        }
        boolean loopback = false;
        Object lb = t.get(List.of("loopback"));
        if (lb != null) {
            if (kind != null && kind != DeviceSpec.Kind.UART) {
                problem(lineOf(t, "loopback"), ctx + "'loopback' applies only to kind = \"uart\"");
            } else if (!(lb instanceof Boolean b)) {
                problem(lineOf(t, "loopback"), ctx + "'loopback' must be true or false, not " + describe(lb));
            } else {
                loopback = b;
            }
        }
        return kind == null ? null : new DeviceSpec(devName, kind, size, line, mac, guestFwd, loopback);
    }

    private void checkDevices(List<TaskBuilder> tasks, List<DeviceSpec> devices) {
        Map<String, DeviceSpec> byName = new LinkedHashMap<>();
        for (DeviceSpec d : devices) {
            byName.put(d.name(), d);
        }
        Set<String> other = new HashSet<>();
        for (TaskBuilder t : tasks) {
            t.serves.forEach(e -> other.add(e.value()));
            t.notifications.forEach(e -> other.add(e.value()));
        }
        for (DeviceSpec d : devices) {
            if (other.contains(d.name())) {
                problem(
                        d.line(),
                        "device '" + d.name() + "' has the name of an endpoint or notification;"
                                + " device names must be distinct from them");
            }
        }
        Map<String, Owner> owners = new LinkedHashMap<>();
        for (TaskBuilder t : tasks) {
            for (Entry e : t.devices) {
                if (!byName.containsKey(e.value())) {
                    problem(
                            e.line(),
                            "task '" + t.name + "': devices lists '" + e.value() + "', which is not a"
                                    + " device of this manifest (devices: " + listOrNone(byName.keySet()) + ")");
                    continue;
                }
                String txipc = t.recovery == RecoveryPolicy.TXIPC
                        ? byName.get(e.value()).txipcProblem(t.name)
                        : null;
                if (txipc != null) {
                    problem(e.line(), txipc);
                }
                Owner prev = owners.putIfAbsent(e.value(), new Owner(t.name, e.line()));
                if (prev != null) {
                    problem(
                            e.line(),
                            "device '" + e.value() + "' is owned by both task '" + prev.task()
                                    + "' (line " + prev.line() + ") and task '" + t.name + "'; a device has exactly one"
                                    + " owner (its driver)");
                }
            }
            for (Entry e : t.uses) {
                if (byName.containsKey(e.value())) {
                    problem(
                            e.line(),
                            "task '" + t.name + "': uses '" + e.value() + "', which is a device;"
                                    + " only its owner reaches it (list it in the owner's 'devices')");
                }
            }
        }
        for (DeviceSpec d : devices) {
            if (!owners.containsKey(d.name())) {
                problem(d.line(), "device '" + d.name() + "' has no owner: add it to one task's 'devices'");
            }
        }
    }

    // --- value readers -------------------------------------------------------------------

    /** An optional integer key in [min, max]; returns the default when absent or invalid. */
    private long integer(TomlTable t, String key, String ctx, long dflt, long min, long max) {
        if (!t.contains(List.of(key))) {
            return dflt;
        }
        Object v = t.get(List.of(key));
        int l = lineOf(t, key);
        if (!(v instanceof Long n)) {
            problem(l, ctx + "'" + key + "' must be an integer (" + min + ".." + max + "), not " + describe(v));
            return dflt;
        }
        if (n < min || n > max) {
            problem(l, ctx + "'" + key + "' = " + n + " is out of range (allowed: " + min + ".." + max + ")");
            return dflt;
        }
        return n;
    }

    /** An optional size key: integer bytes or a string such as "64K" / "1M". */
    private long size(TomlTable t, String key, String ctx, long dflt, long min, long max) {
        if (!t.contains(List.of(key))) {
            return dflt;
        }
        Object v = t.get(List.of(key));
        int l = lineOf(t, key);
        String range = "allowed: " + Units.formatBytes(min) + ".." + Units.formatBytes(max) + ", a multiple of 4K";
        long bytes;
        String shown;
        if (v instanceof Long n) {
            bytes = n;
            shown = Long.toString(n);
        } else if (v instanceof String s) {
            shown = "\"" + escape(s) + "\"";
            try {
                bytes = Units.parseBytes(s);
            } catch (Units.BadValue e) {
                problem(
                        l,
                        ctx + "'" + key + "' = " + shown
                                + switch (e.reason()) {
                                    case NEGATIVE -> " is negative (" + range + ")";
                                    case TOO_LARGE -> " is too large (" + range + ")";
                                    default ->
                                        " is not a valid size: write a number of bytes,"
                                                + " or a number with a K, M or G suffix such as \"64K\", \"1M\" or \"1G\"";
                                });
                return dflt;
            }
        } else {
            problem(
                    l,
                    ctx + "'" + key + "' must be a size, either an integer number of bytes or a string such as"
                            + " \"64K\" or \"1M\", not " + describe(v));
            return dflt;
        }
        if (bytes < 0) {
            problem(l, ctx + "'" + key + "' = " + shown + " is negative (" + range + ")");
            return dflt;
        }
        if (bytes < min || bytes > max) {
            problem(
                    l,
                    ctx + "'" + key + "' = " + shown + " is too " + (bytes < min ? "small" : "large") + " (" + range
                            + ")");
            return dflt;
        }
        if (bytes % TaskSpec.SIZE_ALIGN != 0) {
            problem(
                    l,
                    ctx + "'" + key + "' = " + shown + " (" + bytes + " bytes) is not a multiple of 4K (4096 bytes)");
            return dflt;
        }
        return bytes;
    }

    /** An optional array of names; bad entries are reported and left out. */
    private List<Entry> nameList(TomlTable t, String key, String ctx, String what) {
        if (!t.contains(List.of(key))) {
            return List.of();
        }
        Object v = t.get(List.of(key));
        int l = lineOf(t, key);
        if (!(v instanceof TomlArray arr)) {
            problem(
                    l,
                    ctx + "'" + key + "' must be an array of " + what + " names such as [\"kv\"], not " + describe(v));
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < arr.size(); i++) {
            Object e = arr.get(i);
            int el = elementLine(arr.inputPositionOf(i), l);
            if (!(e instanceof String s)) {
                problem(
                        el,
                        ctx + "'" + key + "' must be an array of " + what + " names (strings), but entry " + (i + 1)
                                + " is " + describe(e));
            } else if (!NAME_PATTERN.matcher(s).matches()) {
                problem(el, ctx + "'" + key + "': " + what + " name '" + escape(s) + "' is invalid: " + nameRule());
            } else if (!seen.add(s)) {
                problem(el, ctx + "'" + key + "' lists '" + s + "' more than once");
            } else {
                out.add(new Entry(s, el));
            }
        }
        return out;
    }

    /** Null if {@code path} is an acceptable image path, else the problem. */
    private static String checkImagePath(String path) {
        if (path.isBlank()) {
            return "'image' must not be empty";
        }
        for (int i = 0; i < path.length(); i++) {
            if (Character.isISOControl(path.charAt(i))) {
                return "image path '" + escape(path) + "' contains a control character";
            }
        }
        if (path.startsWith("/")
                || path.startsWith("\\")
                || path.startsWith("~")
                || (path.length() >= 2 && path.charAt(1) == ':' && Character.isLetter(path.charAt(0)))) {
            return "image path '" + escape(path)
                    + "' is absolute; image paths must be relative to the manifest's folder";
        }
        for (String part : path.split("[/\\\\]")) {
            if (part.equals("..")) {
                return "image path '" + escape(path)
                        + "' contains '..'; images must be in or below the manifest's folder";
            }
        }
        return null;
    }

    // --- helpers -------------------------------------------------------------------------

    private void problem(int line, String message) {
        problems.add(new Problem(line, message));
    }

    private void failIfProblems() throws ManifestException {
        Optional<Problem> first = problems.stream().min(Comparator.comparingInt(Problem::line));
        if (first.isPresent()) {
            throw new ManifestException(source, first.get().line(), first.get().message());
        }
    }

    private static List<String> keysInFileOrder(TomlTable t) {
        List<String> keys = new ArrayList<>(t.keySet());
        keys.sort(Comparator.comparingInt((String k) -> positionKey(t, k)));
        return keys;
    }

    private static int positionKey(TomlTable t, String key) {
        TomlPosition p = t.inputPositionOf(List.of(key));
        return p == null ? Integer.MAX_VALUE : p.line() * 10_000 + Math.min(p.column(), 9_999);
    }

    /**
     * The line of an array element. tomlj 1.1.1 reports an element's position as just after the
     * preceding '[' or ',', so skip whitespace, newlines and comments from there to the value.
     */
    private int elementLine(TomlPosition p, int fallback) {
        if (p == null) {
            return fallback;
        }
        int line = 1, i = 0;
        while (i < text.length() && line < p.line()) {
            if (text.charAt(i++) == '\n') {
                line++;
            }
        }
        if (line != p.line()) {
            return p.line();
        }
        i = Math.min(text.length(), i + Math.max(0, p.column() - 1));
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '#') {
                while (i < text.length() && text.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '\n') {
                line++;
                i++;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                i++;
            } else {
                break;
            }
        }
        return line;
    }

    private static int lineOf(TomlTable t, String key) {
        TomlPosition p = t.inputPositionOf(List.of(key));
        return p == null ? 1 : p.line();
    }

    private static String nameRule() {
        return "use 1 to 32 characters from a-z, 0-9, '_' and '-'";
    }

    private static String listOrNone(Set<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private static String describe(Object v) {
        if (v instanceof String s) {
            return "a string (\"" + escape(s) + "\")";
        } else if (v instanceof Long n) {
            return "an integer (" + n + ")";
        } else if (v instanceof Double d) {
            return "a float (" + d + ")";
        } else if (v instanceof Boolean b) {
            return "a boolean (" + b + ")";
        } else if (v instanceof TomlArray) {
            return "an array";
        } else if (v instanceof TomlTable) {
            return "a table";
        } else if (v instanceof TemporalAccessor) {
            return "a date/time";
        }
        return "a " + (v == null ? "missing value" : v.getClass().getSimpleName());
    }

    /** "; did you mean 'priority'?" for a near miss, else "". */
    private static String suggestion(String key, List<String> allowed) {
        return Suggestions.closest(key, allowed)
                .map(k -> "; did you mean '" + k + "'?")
                .orElse("");
    }

    /** Mutable task under construction. */
    private static final class TaskBuilder {
        final String name;
        final int line;
        String image;
        int priority = TaskSpec.DEFAULT_PRIORITY;
        long stack = TaskSpec.DEFAULT_STACK;
        long heap = TaskSpec.DEFAULT_HEAP;
        List<Entry> serves = List.of();
        List<Entry> uses = List.of();
        List<Entry> notifications = List.of();
        RecoveryPolicy recovery = TaskSpec.DEFAULT_RECOVERY;
        long runawayMs;
        TaskSpec.TxipcLimits txipc = TaskSpec.TxipcLimits.DEFAULT;
        List<Entry> devices = List.of();
        ShadowClass shadow;

        TaskBuilder(String name, int line) {
            this.name = name;
            this.line = line;
        }

        TaskSpec build() {
            return new TaskSpec(
                    name,
                    image,
                    priority,
                    stack,
                    heap,
                    values(serves),
                    values(uses),
                    values(notifications),
                    recovery,
                    runawayMs,
                    txipc,
                    line,
                    values(devices),
                    shadow);
        }

        private static List<String> values(List<Entry> entries) {
            return entries.stream().map(Entry::value).collect(Collectors.toList());
        }
    }
}
