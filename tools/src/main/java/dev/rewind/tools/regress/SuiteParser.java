package dev.rewind.tools.regress;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.BootException;
import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.TaskState;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.TaskSpec;
import dev.rewind.kernel.text.Suggestions;
import dev.rewind.kernel.text.Units;
import dev.rewind.tools.regress.Expectations.FaultAllowance;
import dev.rewind.tools.regress.Expectations.FaultExpectation;
import dev.rewind.tools.regress.Expectations.LineExpectation;
import dev.rewind.tools.regress.Expectations.Output;
import dev.rewind.tools.regress.Expectations.TaskExpectation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * Reads the line-oriented suite format (see docs/TESTING.md). Every problem is reported as a
 * {@link SuiteException} naming the file and the line. Images are opened (and manifests
 * checked) while reading, so a suite that reads cleanly can boot every case.
 */
public final class SuiteParser {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final List<String> DIRECTIVES = List.of(
            "suite",
            "case",
            "boot",
            "tags",
            "tag",
            "timeout",
            "skip",
            "input",
            "wall_clock",
            "kill",
            "expect",
            "allow",
            "until");
    private static final List<String> EXPECTS = List.of("line", "no", "lines", "output", "exit", "fault", "task");
    private static final List<String> TASK_PROPERTIES = List.of("exit", "state", "restarts", "generation");
    private static final String OUTCOMES = "ok, task_failed, deadlock, timeout (or 0, 1, 3, 4)";
    /** Problems reported from one file at most; the last says how many more there were. */
    static final int MAX_ERRORS = 20;
    /** Largest input file: 16 MiB. */
    static final long MAX_INPUT_BYTES = 16L << 20;
    /** Largest expected output file: 16 MiB. */
    static final long MAX_OUTPUT_BYTES = 16L << 20;

    private final String file;
    private final ImageLocator images;
    private final boolean expectFile;
    private final Set<Arch> archs;

    private String suiteName;
    private long headerTimeout;
    private final List<String> headerTags = new ArrayList<>();
    private final List<TestCase> cases = new ArrayList<>();
    private final Map<String, Integer> caseLines = new HashMap<>();
    private CaseBuilder current;
    private int lineNo;
    /** The problems found so far: reading goes on after a bad line (see {@link #readAll}). */
    private final List<SuiteException> errors = new ArrayList<>();

    private SuiteParser(String file, ImageLocator images, boolean expectFile, Set<Arch> archs) {
        this.file = file;
        this.images = images;
        this.expectFile = expectFile;
        this.archs = archs;
    }

    /**
     * Reads a suite file.
     *
     * @param file        the file as the user named it (for messages)
     * @param defaultName the suite's name when the file has no {@code suite} line
     * @param images      resolves the images the cases boot
     */
    public static Suite parse(String text, String file, String defaultName, ImageLocator images) throws SuiteException {
        return parse(text, file, defaultName, images, EnumSet.allOf(Arch.class));
    }

    /**
     * Reads a suite file; each case becomes one case per architecture of {@code archs} that its
     * image is built for ({@code riscv64/NAME}, {@code aarch64/NAME}).
     */
    public static Suite parse(String text, String file, String defaultName, ImageLocator images, Set<Arch> archs)
            throws SuiteException {
        SuiteParser p = new SuiteParser(file, images, false, archs);
        p.suiteName = defaultName;
        p.readAll(text);
        p.finishCaseNoting();
        p.throwErrors();
        if (p.caseLines.isEmpty()) {
            throw new SuiteException(file, 0, "no cases (start one with 'case NAME')");
        }
        // (a suite none of whose cases is built for one of archs has no case here: like a suite
        // whose cases --filter leaves out, it is not a bad suite; `rewind test` says so if no
        // suite has one)
        return new Suite(p.suiteName, file, p.cases);
    }

    /**
     * Reads an {@code .expect} file of a folder suite: the directives of one case, which boots
     * {@code boot}; {@code case}, {@code boot} and {@code suite} lines are not allowed in it.
     */
    public static List<TestCase> parseExpect(
            String text,
            String file,
            String suiteName,
            String caseName,
            String boot,
            ImageLocator images,
            Set<Arch> archs)
            throws SuiteException {
        return parseExpect(text, file, suiteName, caseName, boot, null, images, archs);
    }

    /**
     * As {@link #parseExpect(String, String, String, String, String, ImageLocator, Set)}; the
     * data file {@code defaultInput}, if not null, is the case's input unless the text has an
     * {@code input} line.
     */
    public static List<TestCase> parseExpect(
            String text,
            String file,
            String suiteName,
            String caseName,
            String boot,
            String defaultInput,
            ImageLocator images,
            Set<Arch> archs)
            throws SuiteException {
        SuiteParser p = new SuiteParser(file, images, true, archs);
        p.suiteName = suiteName;
        p.current = new CaseBuilder(caseName, 1);
        p.lineNo = 1;
        p.boot(boot);
        p.readAll(text);
        if (defaultInput != null && p.current != null && p.current.input == null && !p.current.broken) {
            p.inputFile(defaultInput, 0);
        }
        p.finishCaseNoting();
        p.throwErrors();
        return p.cases;
    }

    // ---- lines -------------------------------------------------------------------------------

    /**
     * Reads every line. A bad line is noted and reading goes on, so that one run shows every
     * problem of the file; the case the bad line belongs to is then not checked as a whole (its
     * missing 'boot', its task names: those may be the bad line's consequences) nor kept. A bad
     * 'case' line starts such a case, so that its lines are not taken as the previous case's.
     */
    private void readAll(String text) throws SuiteException {
        String[] lines = text.split("\r\n|\r|\n", -1); // Unix, Windows and old Mac line ends
        for (int i = 0; i < lines.length && errors.size() < MAX_ERRORS; i++) {
            lineNo = i + 1;
            List<Token> toks;
            try {
                toks = tokenize(lines[i]);
            } catch (SuiteException e) {
                note(e);
                continue;
            }
            if (toks.isEmpty()) {
                continue;
            }
            try {
                directive(new Cursor(toks));
            } catch (SuiteException e) {
                Token first = toks.get(0);
                if (first.type == Token.Type.WORD && first.text.equals("case") && !expectFile) {
                    // the previous case is whole (unless the bad name left it open); the lines
                    // after this one belong to a case that is not run
                    errors.add(e);
                    if (current != null) {
                        finishCaseNoting();
                    }
                    current = new CaseBuilder("?", lineNo);
                    current.broken = true;
                } else {
                    note(e);
                }
            }
            if (errors.size() >= MAX_ERRORS && i + 1 < lines.length) {
                errors.add(new SuiteException(
                        file,
                        0,
                        "more problems may follow: reading stopped after " + MAX_ERRORS
                                + " (fix these and run again)"));
            }
        }
    }

    /** Notes a problem of the current line; the case it belongs to is not kept. */
    private void note(SuiteException e) {
        errors.add(e);
        if (current != null) {
            current.broken = true;
        }
    }

    /** {@link #finishCase()}, its problem noted rather than thrown. */
    private void finishCaseNoting() {
        try {
            finishCase();
        } catch (SuiteException e) {
            errors.add(e);
        }
    }

    /** Throws the first problem found, with the others in {@link SuiteException#all()}. */
    private void throwErrors() throws SuiteException {
        if (!errors.isEmpty()) {
            throw errors.get(0).withOthers(errors.subList(1, errors.size()));
        }
    }

    private void directive(Cursor c) throws SuiteException {
        Token first = c.next("a directive");
        if (first.type != Token.Type.WORD) {
            throw error("a line must start with a directive (" + String.join(", ", DIRECTIVES) + "), not " + first);
        }
        String d = first.text;
        switch (d) {
            case "suite" -> {
                if (expectFile) {
                    throw error("'suite' is not allowed in an .expect file");
                }
                if (current != null || !cases.isEmpty()) {
                    throw error("'suite' must come before the first case");
                }
                suiteName = name(c.next("the suite's name"), "suite name");
                c.end();
            }
            case "case" -> {
                if (expectFile) {
                    throw error("'case' is not allowed in an .expect file (the file is one case, named after it)");
                }
                String name = name(c.next("the case's name"), "case name");
                c.end();
                finishCaseNoting(); // the previous case's problems are its own, not this line's
                Integer before = caseLines.putIfAbsent(name, lineNo);
                if (before != null) {
                    throw error("duplicate case name '" + name + "' (first defined at line " + before + ")");
                }
                current = new CaseBuilder(name, lineNo);
            }
            case "boot" -> {
                if (expectFile) {
                    throw error(
                            "'boot' is not allowed in an .expect file (the case boots the ELF file of the same name)");
                }
                inCase(d);
                Token img = c.next("an image (builtin:NAME, a .toml manifest or an .elf file)");
                if (img.type == Token.Type.REGEX) {
                    throw error("expected an image, got " + img);
                }
                if (c.hasNext()) {
                    // boot ARCH IMAGE: the case's image for one architecture
                    Arch a = img.type == Token.Type.WORD ? Arch.named(img.text) : null;
                    if (a == null) {
                        throw error("'boot' takes IMAGE or ARCH IMAGE, and '" + img.text
                                + "' is no architecture (expected one of: " + archNames() + ")");
                    }
                    Token archImg = c.next("an image for " + a.id());
                    if (archImg.type == Token.Type.REGEX) {
                        throw error("expected an image, got " + archImg);
                    }
                    c.end();
                    if (current.boot != null && current.archBootLines.isEmpty()) {
                        throw error("case '" + current.name + "' already boots " + current.boot + " on every"
                                + " architecture (line " + current.bootLine + "): give it either one 'boot IMAGE'"
                                + " or one 'boot ARCH IMAGE' per architecture");
                    }
                    Integer before = current.archBootLines.get(a);
                    if (before != null) {
                        throw error("case '" + current.name + "' already boots " + current.archBoots.get(a) + " on "
                                + a.id() + " (line " + before + ")");
                    }
                    bootOn(a, archImg.text);
                    break;
                }
                c.end();
                if (current.boot != null) {
                    boolean perArch = !current.archBoots.isEmpty();
                    throw error("case '" + current.name + "' already boots " + current.boot
                            + (perArch
                                    ? " on "
                                            + current.archBoots
                                                    .keySet()
                                                    .iterator()
                                                    .next()
                                                    .id()
                                    : "")
                            + " (line " + current.bootLine + ")"
                            + (perArch
                                    ? ": give it either one 'boot IMAGE' or one 'boot ARCH IMAGE' per architecture"
                                    : ""));
                }
                boot(img.text);
            }
            case "tags", "tag" -> {
                List<String> tags = new ArrayList<>();
                tags.add(name(c.next("a tag"), "tag"));
                while (c.hasNext()) {
                    tags.add(name(c.next("a tag"), "tag"));
                }
                (current == null ? headerTags : current.tags).addAll(tags);
            }
            case "timeout" -> {
                long nanos = duration(c.next("a duration (e.g. 20s)"));
                c.end();
                if (current == null) {
                    headerTimeout = nanos;
                } else {
                    if (current.timeoutLine > 0) {
                        throw error("duplicate timeout (first at line " + current.timeoutLine + ")");
                    }
                    current.timeout = nanos;
                    current.timeoutLine = lineNo;
                }
            }
            case "skip" -> {
                inCase(d);
                List<String> words = new ArrayList<>();
                while (c.hasNext()) {
                    words.add(c.next("").text);
                }
                current.skip = words.isEmpty() ? "skipped" : String.join(" ", words);
            }
            case "wall_clock" -> {
                inCase(d);
                Token at = c.next("a UTC time, e.g. 2001-02-03T04:05:06Z");
                c.end();
                if (at.type == Token.Type.REGEX) {
                    throw error("expected a UTC time, got " + at);
                }
                if (current.wallClock != null) {
                    throw error("duplicate 'wall_clock' (first at line " + current.wallClockLine + ")");
                }
                try {
                    current.wallClock = dev.rewind.tools.WallClock.parse(at.text, "wall_clock");
                } catch (IllegalArgumentException e) {
                    throw error(e.getMessage());
                }
                current.wallClockLine = lineNo;
            }
            case "kill" -> {
                inCase(d);
                Token at = c.next("TASK@REQUEST[:INSTRUCTION], e.g. kv@100");
                c.end();
                if (at.type == Token.Type.REGEX) {
                    throw error("expected TASK@REQUEST[:INSTRUCTION], got " + at);
                }
                current.kills.add(at.text);
                current.killLines.add(lineNo);
                int atSign = at.text.indexOf('@');
                if (atSign > 0) {
                    // the fault the kill raises is the case's own: allowed (expect fault TASK ABORT checks it)
                    String task = at.text.substring(0, atSign);
                    current.allowed.add(new FaultAllowance(task, FaultKind.ABORT));
                }
            }
            case "input" -> {
                inCase(d);
                Token what = c.next("a file, or text \"...\"");
                if (current.input != null) {
                    throw error("duplicate 'input' (first at line " + current.inputLine + ")");
                }
                if (what.type == Token.Type.WORD && what.is("text")) {
                    Token text = c.next("the input text in quotes");
                    if (text.type != Token.Type.STRING) {
                        throw error("expected the input text in quotes after 'input text', got " + text);
                    }
                    current.input = text.text.getBytes(StandardCharsets.UTF_8);
                } else if (what.type == Token.Type.REGEX) {
                    throw error("expected a file, or text \"...\", got " + what);
                } else {
                    inputFile(what.text, lineNo);
                }
                c.end();
                current.inputLine = lineNo;
            }
            case "expect" -> {
                inCase(d);
                expect(c);
            }
            case "allow" -> {
                inCase(d);
                Token what = c.next("'fault TASK [KIND]' or 'faults'");
                if (what.is("faults")) {
                    c.end();
                    current.allowed.add(new FaultAllowance("*", null));
                } else if (what.is("fault")) {
                    String task = taskName(c.next("a task name or *"), true);
                    FaultKind kind = null;
                    if (c.hasNext()) {
                        Token k = c.next("a fault kind");
                        kind = k.is("any") ? null : faultKind(k);
                    }
                    c.end();
                    current.allowed.add(new FaultAllowance(task, kind));
                    current.taskRefs.add(new TaskRef(task, lineNo));
                } else {
                    throw error("expected 'allow fault TASK [KIND]' or 'allow faults', got " + what);
                }
            }
            case "until" -> {
                inCase(d);
                Token what = c.next("'lines'");
                if (!what.is("lines")) {
                    throw error("expected 'until lines', got " + what);
                }
                c.end();
                current.untilLine = lineNo;
            }
            default ->
                throw error("unknown directive '" + d + "'" + didYouMean(d, DIRECTIVES) + " (expected one of: "
                        + String.join(", ", DIRECTIVES) + ")");
        }
    }

    private void expect(Cursor c) throws SuiteException {
        Token kind = c.next("what to expect (" + String.join(", ", EXPECTS) + ")");
        switch (kind.type == Token.Type.WORD ? kind.text : "") {
            case "line" -> {
                LineMatcher m = matcher(c);
                int times = LineExpectation.AT_LEAST_ONCE;
                if (c.hasNext()) {
                    times = times(c);
                }
                c.end();
                current.lines.add(new LineExpectation(m, times, lineNo));
            }
            case "no" -> {
                Token what = c.next("'line'");
                if (!what.is("line")) {
                    throw error("expected 'expect no line MATCH', got 'no " + what.text + "'");
                }
                LineMatcher m = matcher(c);
                c.end();
                current.forbidden.add(m);
            }
            case "lines" -> {
                Token in = c.next("'in order'");
                Token order = in.is("in") ? c.next("'order'") : in;
                if (!in.is("in") || !order.is("order")) {
                    // ('expect lines "x"' is a likely slip for 'expect line "x"')
                    throw error("expected 'expect lines in order' (the lines expected after it are in that order)"
                            + " or, for one line, 'expect line MATCH'");
                }
                c.end();
                current.inOrder = true;
            }
            case "output" -> {
                Token f = c.next("the file the output must equal");
                boolean like = false;
                if (f.is("like") && c.hasNext()) {
                    like = true; // (`expect output like` alone names a file called "like")
                    f = c.next("the file the output must be like");
                }
                if (f.type == Token.Type.REGEX) {
                    throw error("expected a file name, got " + f);
                }
                c.end();
                if (current.output != null) {
                    throw error("duplicate 'expect output' (first at line " + current.output.line() + ")");
                }
                byte[] bytes;
                try {
                    bytes = images.data(f.text, MAX_OUTPUT_BYTES, "an expected output file");
                } catch (IOException e) {
                    throw error("cannot read the expected output " + f.text + ": " + e.getMessage());
                }
                String text = new String(bytes, StandardCharsets.UTF_8); // (as the console decodes its lines)
                List<String> lines = Output.lines(text);
                List<Pattern> patterns = null;
                if (like) {
                    patterns = new ArrayList<>();
                    for (int i = 0; i < lines.size(); i++) {
                        try {
                            patterns.add(Output.pattern(lines.get(i)));
                        } catch (PatternSyntaxException e) {
                            throw error(f.text + ":" + (i + 1) + ": bad regex {{" + e.getPattern() + "}}: "
                                    + e.getDescription()
                                    + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
                        } catch (IllegalArgumentException e) {
                            throw error(f.text + ":" + (i + 1) + ": " + e.getMessage());
                        }
                    }
                }
                current.output = new Output(f.text, lines, lineNo, patterns);
            }
            case "exit" -> {
                Token t = c.next("an outcome: " + OUTCOMES);
                c.end();
                if (current.outcomeLine > 0) {
                    throw error("duplicate 'expect exit' (first at line " + current.outcomeLine + ")");
                }
                current.outcome = outcome(t);
                current.outcomeLine = lineNo;
            }
            case "fault" -> {
                String task = taskName(c.next("a task name"), false);
                Token k = c.next("a fault kind (" + faultKinds() + ", or any)");
                FaultKind fk = k.is("any") ? null : faultKind(k);
                int times = c.hasNext() ? times(c) : LineExpectation.AT_LEAST_ONCE;
                c.end();
                current.faults.add(new FaultExpectation(task, fk, times, lineNo));
                current.taskRefs.add(new TaskRef(task, lineNo));
            }
            case "task" -> {
                String task = taskName(c.next("a task name"), false);
                Token p = c.next("what to check (" + String.join(", ", TASK_PROPERTIES) + ")");
                TaskExpectation te;
                switch (p.type == Token.Type.WORD ? p.text : "") {
                    case "exit" ->
                        te = new TaskExpectation(
                                task,
                                TaskExpectation.Property.EXIT,
                                integer(c.next("an exit code"), Integer.MIN_VALUE),
                                null,
                                lineNo);
                    case "state" ->
                        te = new TaskExpectation(
                                task, TaskExpectation.Property.STATE, 0, taskState(c.next("a task state")), lineNo);
                    case "restarts" ->
                        te = new TaskExpectation(
                                task, TaskExpectation.Property.RESTARTS, integer(c.next("a number"), 0), null, lineNo);
                    case "generation" ->
                        te = new TaskExpectation(
                                task,
                                TaskExpectation.Property.GENERATION,
                                integer(c.next("a number"), 1),
                                null,
                                lineNo);
                    default ->
                        throw error("unknown task check " + p + didYouMean(p.text, TASK_PROPERTIES)
                                + " (expected one of: " + String.join(", ", TASK_PROPERTIES) + ")");
                }
                c.end();
                current.tasks.add(te);
                current.taskRefs.add(new TaskRef(task, lineNo));
            }
            default ->
                throw error("unknown expectation " + kind + didYouMean(kind.text, EXPECTS)
                        + " (expected: line, no line, lines in order, output, exit, fault, task)");
        }
    }

    // ---- cases -------------------------------------------------------------------------------

    private void inCase(String directive) throws SuiteException {
        if (current == null) {
            throw error("'" + directive + "' outside a case (start one with 'case NAME')");
        }
    }

    private void boot(String spec) throws SuiteException {
        try {
            current.image = open(spec);
            // the image as named is the variant of its own architecture (RISC-V where that
            // cannot be read: the run reports why it does not boot)
            Arch own = archOf(current.image);
            for (Arch a : Arch.values()) {
                if (!archs.contains(a)) {
                    continue;
                }
                SystemImage v = a == own || (own == null && a == Arch.RISCV64) ? current.image : variant(spec, a);
                if (v != null) {
                    current.variants.put(a, v);
                    noteBootImage(a, v, v == current.image || spec.startsWith(SystemImage.BUILTIN_PREFIX));
                }
            }
        } catch (BootException e) {
            throw error("cannot boot " + spec + ": " + e.getMessage());
        }
        current.boot = spec;
        current.bootLine = lineNo;
    }

    /**
     * {@code boot ARCH IMAGE}: the case boots {@code spec} on {@code a} (only), which must be built
     * for it; a {@code builtin:NAME} is {@code a}'s build of NAME. An architecture that is not
     * selected ({@code --arch}) is not opened: its image need not be built.
     */
    private void bootOn(Arch a, String spec) throws SuiteException {
        current.archBootLines.put(a, lineNo);
        current.archBoots.put(a, spec);
        if (current.boot == null) {
            current.boot = spec;
            current.bootLine = lineNo;
        }
        if (!archs.contains(a)) {
            return;
        }
        try {
            SystemImage plain = open(spec);
            Arch own = archOf(plain);
            SystemImage v = own == a ? plain : variant(spec, a);
            if (v == null) {
                throw error("cannot boot " + spec + " on " + a.id() + ": "
                        + (own == null
                                ? ImageLocator.whyNoVariant(images, spec, a)
                                : "it is built for " + own.id() + " (ELF machine " + own.elfMachine() + "), not "
                                        + a.id() + " (" + a.elfMachine() + ")"));
            }
            if (current.image == null) {
                current.image = v;
            }
            current.variants.put(a, v);
            noteBootImage(a, v, v == plain || spec.startsWith(SystemImage.BUILTIN_PREFIX));
        } catch (BootException e) {
            throw error("cannot boot " + spec + " on " + a.id() + ": " + e.getMessage());
        }
    }

    /**
     * The image {@code spec} names, opened once per suite: the cases of a suite that boot the
     * same image share it (an image is only read when a case boots it), so that a suite of
     * thousands of cases on a few images is not thousands of reads and ELF parses (3,000 cases
     * on builtin:hello.elf took 13 s of CPU to --list).
     */
    private SystemImage open(String spec) throws BootException {
        Object o = opened.get(spec);
        if (o == null) {
            try {
                o = images.open(spec);
            } catch (BootException e) {
                o = e;
            }
            opened.put(spec, o);
        }
        if (o instanceof BootException e) {
            throw new BootException(e.getMessage(), e);
        }
        return (SystemImage) o;
    }

    /** {@link ImageLocator#archOf}, once per image. */
    private Arch archOf(SystemImage img) {
        return archs_.computeIfAbsent(img, i -> java.util.Optional.ofNullable(ImageLocator.archOf(i)))
                .orElse(null);
    }

    /** {@link ImageLocator#variant}, once per image and architecture. */
    private SystemImage variant(String spec, Arch a) throws BootException {
        String key = a.id() + "\0" + spec;
        Object o = variants.get(key);
        if (o == null) {
            try {
                SystemImage v = ImageLocator.variant(images, spec, a);
                o = v == null ? NONE : v;
            } catch (BootException e) {
                o = e;
            }
            variants.put(key, o);
        }
        if (o instanceof BootException e) {
            throw new BootException(e.getMessage(), e);
        }
        return o == NONE ? null : (SystemImage) o;
    }

    private static final Object NONE = new Object();
    /** {@link #open}'s images (or the BootException opening one gave), by spec. */
    private final Map<String, Object> opened = new HashMap<>();
    /** {@link #archOf}'s answers, by image. */
    private final Map<SystemImage, java.util.Optional<Arch>> archs_ = new java.util.IdentityHashMap<>();
    /** {@link #variant}'s images (NONE: no such build; or the BootException), by arch and spec. */
    private final Map<String, Object> variants = new HashMap<>();

    /**
     * {@code v}, the case's image on {@code a}, is what `rewind boot` boots to run the same system
     * if {@code same} (its location is the file the suite named, or a built-in image's build for
     * {@code a}: not a manifest whose programs come from another architecture's built-in images),
     * unless it is a built-in suite's own image or has block devices.
     */
    private void noteBootImage(Arch a, SystemImage v, boolean same) {
        if (same && !v.location().startsWith("builtin-suite:") && !hasBlockDevice(v)) {
            current.bootImages.put(a, v.location());
        }
    }

    /** The case's input from the data file {@code spec} (and its host path); an error is at {@code line}. */
    private void inputFile(String spec, int line) throws SuiteException {
        try {
            current.input = images.data(spec, MAX_INPUT_BYTES, "an input file");
        } catch (IOException e) {
            throw new SuiteException(file, line, "cannot read the input " + spec + ": " + e.getMessage());
        }
        current.inputFile = images.hostPath(spec);
    }

    private static String archNames() {
        return java.util.Arrays.stream(Arch.values()).map(Arch::id).collect(Collectors.joining(", "));
    }

    private static boolean hasBlockDevice(SystemImage img) {
        return img.manifest().devices().stream()
                .anyMatch(d -> d.kind() == dev.rewind.kernel.image.DeviceSpec.Kind.BLOCK);
    }

    private void finishCase() throws SuiteException {
        CaseBuilder b = current;
        if (b == null) {
            return;
        }
        current = null;
        if (b.broken) {
            return; // a line of it was bad: that problem is reported, the case is not run
        }
        if (b.boot == null) {
            throw new SuiteException(file, b.line, "case '" + b.name + "' has no 'boot IMAGE' line");
        }
        if (b.untilLine > 0) {
            if (b.lines.isEmpty()) {
                throw new SuiteException(file, b.untilLine, "'until lines' needs at least one 'expect line'");
            }
            if (b.outcomeLine > 0) {
                throw new SuiteException(
                        file,
                        b.outcomeLine,
                        "'expect exit' cannot be combined with 'until lines' (the run is stopped, it does not end)");
            }
            if (!b.tasks.isEmpty()) {
                throw new SuiteException(
                        file,
                        b.tasks.get(0).line(),
                        "'expect task' cannot be combined with 'until lines' (the run is stopped, it does not end)");
            }
            if (b.output != null) {
                throw new SuiteException(
                        file,
                        b.output.line(),
                        "'expect output' cannot be combined with 'until lines' (the run is stopped before its output ends)");
            }
        }
        for (Map.Entry<Arch, SystemImage> v : b.variants.entrySet()) {
            Manifest m = v.getValue().manifest();
            for (TaskRef ref : b.taskRefs) {
                if (!ref.task.equals("*") && m.task(ref.task).isEmpty()) {
                    throw new SuiteException(
                            file,
                            ref.line,
                            "no task '" + ref.task + "' in " + b.bootOf(v.getKey()) + " (its tasks: "
                                    + m.tasks().stream().map(TaskSpec::name).collect(Collectors.joining(", "))
                                    + ")");
                }
            }
        }
        for (SystemImage v : b.variants.values()) {
            for (int i = 0; i < b.kills.size(); i++) {
                try { // (the values so far: a bad one, or a request given twice, is named at its own line)
                    dev.rewind.tools.BootKill.parse(b.kills.subList(0, i + 1), v.manifest());
                } catch (IllegalArgumentException e) {
                    throw new SuiteException(
                            file, b.killLines.get(i), e.getMessage().replaceFirst("^--kill ", "kill "));
                }
            }
        }
        List<String> tags = new ArrayList<>(new LinkedHashSet<>(concat(headerTags, b.tags)));
        long timeout = b.timeout > 0 ? b.timeout : headerTimeout;
        Expectations ex = new Expectations(
                b.outcome, b.lines, b.inOrder, b.forbidden, b.faults, b.allowed, b.tasks, b.untilLine > 0, b.output);
        for (Map.Entry<Arch, SystemImage> v : b.variants.entrySet()) {
            Arch a = v.getKey();
            cases.add(new TestCase(
                    suiteName,
                    a.id() + "/" + b.name,
                    a,
                    b.bootOf(a),
                    v.getValue(),
                    tags,
                    timeout,
                    b.skip,
                    ex,
                    b.input,
                    b.wallClock,
                    b.kills,
                    file,
                    b.line,
                    b.bootImages.get(a),
                    b.inputFile));
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private record TaskRef(String task, int line) {}

    private static final class CaseBuilder {
        final String name;
        final int line;
        /** A line of the case was bad (reported): the case is neither checked whole nor kept. */
        boolean broken;

        String boot;
        int bootLine;
        SystemImage image;
        /** The image built for each architecture that has it, in {@link Arch} order. */
        final Map<Arch, SystemImage> variants = new EnumMap<>(Arch.class);
        /** What `rewind boot` boots to run the same system, per architecture where it can. */
        final Map<Arch, String> bootImages = new EnumMap<>(Arch.class);
        /** The images of {@code boot ARCH IMAGE} lines, and their lines (empty for {@code boot IMAGE}). */
        final Map<Arch, String> archBoots = new EnumMap<>(Arch.class);

        final Map<Arch, Integer> archBootLines = new EnumMap<>(Arch.class);

        /** The image as the suite names it for {@code a}. */
        String bootOf(Arch a) {
            return archBoots.getOrDefault(a, boot);
        }

        final List<String> tags = new ArrayList<>();
        long timeout;
        int timeoutLine;
        String skip;
        SystemResult.Outcome outcome = SystemResult.Outcome.OK;
        int outcomeLine;
        final List<LineExpectation> lines = new ArrayList<>();
        boolean inOrder;
        final List<LineMatcher> forbidden = new ArrayList<>();
        final List<FaultExpectation> faults = new ArrayList<>();
        final List<FaultAllowance> allowed = new ArrayList<>();
        final List<TaskExpectation> tasks = new ArrayList<>();
        final List<TaskRef> taskRefs = new ArrayList<>();
        int untilLine;
        Output output;
        byte[] input;
        String inputFile;
        int inputLine;
        java.time.Instant wallClock;
        int wallClockLine;
        final List<String> kills = new ArrayList<>();
        final List<Integer> killLines = new ArrayList<>();

        CaseBuilder(String name, int line) {
            this.name = name;
            this.line = line;
        }
    }

    // ---- values ------------------------------------------------------------------------------

    private String name(Token t, String what) throws SuiteException {
        if (t.type != Token.Type.WORD || !NAME.matcher(t.text).matches()) {
            throw error("bad " + what + " " + t + " (letters, digits, '_', '.', '-'; up to 64)");
        }
        return t.text;
    }

    private String taskName(Token t, boolean star) throws SuiteException {
        if (t.type == Token.Type.WORD && (Manifest.NAME_PATTERN.matcher(t.text).matches() || (star && t.is("*")))) {
            return t.text;
        }
        throw error("bad task name " + t + (star ? " (a task's name, or * for any task)" : ""));
    }

    private LineMatcher matcher(Cursor c) throws SuiteException {
        Token t = c.next("\"text\", contains \"text\" or /regex/");
        if (t.is("contains")) {
            Token s = c.next("a quoted \"text\" after 'contains'");
            if (s.type != Token.Type.STRING) {
                throw error("expected a quoted \"text\" after 'contains', got " + s);
            }
            if (s.text.isEmpty()) {
                throw error("every line contains \"\", so 'contains \"\"' matches any line (and 'expect no line'"
                        + " of it fails on any output): write the text the line must hold");
            }
            return LineMatcher.contains(lineText(s));
        }
        return switch (t.type) {
            case STRING -> LineMatcher.exact(lineText(t));
            case REGEX -> {
                if (t.text.isEmpty()) {
                    throw error("an empty // matches any line (and 'expect no line //' fails on any output):"
                            + " write the /regex/ the line must match (\"\" for an empty line)");
                }
                try {
                    yield LineMatcher.regex(Pattern.compile(t.text, t.flags));
                } catch (PatternSyntaxException e) {
                    throw error("bad regex /" + (t.text.length() > 80 ? t.text.substring(0, 80) + "..." : t.text)
                            + "/: " + e.getDescription()
                            + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
                }
            }
            default ->
                throw error("expected \"text\", contains \"text\" or /regex/, got " + t
                        + " (put the line in double quotes)");
        };
    }

    /**
     * The text of a line to match: a console line never holds a newline (the console is split
     * there), so a {@code \n} in it could never match, and {@code expect no line} of it could
     * never fail.
     */
    private String lineText(Token t) throws SuiteException {
        if (t.text.indexOf('\n') >= 0) {
            throw error("a console line holds no newline, so " + t
                    + " can never match one: write an 'expect line' per line (with 'expect lines in order'),"
                    + " or 'expect output FILE' for the whole output");
        }
        return t.text;
    }

    private int times(Cursor c) throws SuiteException {
        Token t = c.next("'times N'");
        if (!t.is("times")) {
            throw error("unexpected " + t + " (only 'times N' may follow)");
        }
        return integer(c.next("a count"), 0);
    }

    private int integer(Token t, int min) throws SuiteException {
        try {
            if (t.type == Token.Type.WORD) {
                int n = Integer.parseInt(t.text);
                if (n >= min) {
                    return n;
                }
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw error("expected " + (min == Integer.MIN_VALUE ? "an integer" : "a number >= " + min) + ", got " + t);
    }

    private long duration(Token t) throws SuiteException {
        try {
            return Units.parseNanos(t.text, Durations.MAX_NANOS);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    private SystemResult.Outcome outcome(Token t) throws SuiteException {
        for (SystemResult.Outcome o : SystemResult.Outcome.values()) {
            if (t.is(Expectations.outcomeName(o))
                    || t.is(Integer.toString(o.exitStatus()))
                    || t.is(o.name().toLowerCase(Locale.ROOT))) {
                return o;
            }
        }
        throw error("unknown exit " + t + " (expected one of: " + OUTCOMES + ")");
    }

    private FaultKind faultKind(Token t) throws SuiteException {
        for (FaultKind k : FaultKind.values()) {
            if (t.type == Token.Type.WORD && k.name().equalsIgnoreCase(t.text)) {
                return k;
            }
        }
        throw error("unknown fault kind " + t
                + didYouMean(
                        t.text.toUpperCase(Locale.ROOT),
                        Arrays.stream(FaultKind.values()).map(Enum::name).toList())
                + " (expected one of: " + faultKinds() + ")");
    }

    private static String faultKinds() {
        return Arrays.stream(FaultKind.values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    private TaskState taskState(Token t) throws SuiteException {
        for (TaskState s : TaskState.values()) {
            if (t.type == Token.Type.WORD && s.name().equalsIgnoreCase(t.text)) {
                return s;
            }
        }
        throw error("unknown task state " + t + " (expected one of: "
                + Arrays.stream(TaskState.values())
                        .map(s -> s.name().toLowerCase(Locale.ROOT))
                        .collect(Collectors.joining(", "))
                + ")");
    }

    private SuiteException error(String problem) {
        return new SuiteException(file, lineNo, problem);
    }

    static String didYouMean(String word, List<String> candidates) {
        return Suggestions.closest(word, candidates)
                .map(c -> " (did you mean '" + c + "'?)")
                .orElse("");
    }

    // ---- tokens ------------------------------------------------------------------------------

    /** A word, a "quoted string" (escapes \" \\ \t \n) or a /regex/ with optional flag i. */
    record Token(Type type, String text, int flags) {
        enum Type {
            WORD,
            STRING,
            REGEX
        }

        boolean is(String word) {
            return type == Type.WORD && text.equals(word);
        }

        @Override
        public String toString() {
            return switch (type) {
                case WORD -> "'" + text + "'";
                case STRING -> LineMatcher.quote(text);
                case REGEX -> "/" + text + "/";
            };
        }
    }

    private final class Cursor {
        private final List<Token> toks;
        private int i = 0;

        Cursor(List<Token> toks) {
            this.toks = toks;
        }

        boolean hasNext() {
            return i < toks.size();
        }

        Token next(String what) throws SuiteException {
            if (i >= toks.size()) {
                throw error("missing " + what + (i > 0 ? " after " + toks.get(i - 1) : ""));
            }
            return toks.get(i++);
        }

        void end() throws SuiteException {
            if (i < toks.size()) {
                throw error("unexpected " + toks.get(i) + " at the end of the line");
            }
        }
    }

    private List<Token> tokenize(String line) throws SuiteException {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (i < n) {
            char ch = line.charAt(i);
            if (Character.isWhitespace(ch)) {
                i++;
                continue;
            }
            if (ch == '#') {
                break;
            }
            int start = i;
            if (ch == '"') {
                StringBuilder sb = new StringBuilder();
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = line.charAt(i++);
                    if (c == '"') {
                        closed = true;
                        break;
                    }
                    if (c == '\\') {
                        if (i >= n) {
                            break;
                        }
                        char e = line.charAt(i++);
                        switch (e) {
                            case '"', '\\' -> sb.append(e);
                            case 't' -> sb.append('\t');
                            case 'n' -> sb.append('\n');
                            default ->
                                throw error("unknown escape \\" + e + " in a string at column " + i
                                        + " (use \\\" \\\\ \\t or \\n)");
                        }
                    } else {
                        sb.append(c);
                    }
                }
                if (!closed) {
                    throw error("unterminated string starting at column " + (start + 1));
                }
                out.add(new Token(Token.Type.STRING, sb.toString(), 0));
            } else if (ch == '/' && (out.isEmpty() || !out.get(0).is("boot"))) {
                StringBuilder sb = new StringBuilder();
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = line.charAt(i++);
                    if (c == '/') {
                        closed = true;
                        break;
                    }
                    if (c == '\\' && i < n && line.charAt(i) == '/') {
                        sb.append('/');
                        i++;
                    } else {
                        sb.append(c);
                        if (c == '\\' && i < n) {
                            sb.append(line.charAt(i++));
                        }
                    }
                }
                if (!closed) {
                    throw error("unterminated regex starting at column " + (start + 1) + " (end it with /)");
                }
                int flags = 0;
                while (i < n && !Character.isWhitespace(line.charAt(i)) && line.charAt(i) != '#') {
                    char f = line.charAt(i++);
                    if (f != 'i') {
                        throw error("unknown regex flag '" + f + "' (only i, for case-insensitive)");
                    }
                    flags |= Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
                }
                out.add(new Token(Token.Type.REGEX, sb.toString(), flags));
                continue;
            } else {
                while (i < n && !Character.isWhitespace(line.charAt(i)) && line.charAt(i) != '#') {
                    i++; // ('#' ends a word too: a comment starts there, as after a string)
                }
                out.add(new Token(Token.Type.WORD, line.substring(start, i), 0));
                continue;
            }
            if (i < n && !Character.isWhitespace(line.charAt(i)) && line.charAt(i) != '#') {
                throw error("expected a space after the string ending at column " + i);
            }
        }
        return out;
    }
}
