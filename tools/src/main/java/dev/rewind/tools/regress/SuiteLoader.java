package dev.rewind.tools.regress;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.image.InputFiles;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds and reads suites: a suite file, a folder of {@code X.elf} + {@code X.expect} pairs, or a
 * built-in suite ({@code builtin:NAME}, the class-path folder {@code rewind/suites}, packaged
 * from guest/suites).
 */
public final class SuiteLoader {
    public static final String BUILTIN_PREFIX = "builtin:";
    /** Class-path folder of the built-in suites. */
    public static final String BUILTIN_SUITES = "rewind/suites";

    public static final String SUITE_EXTENSION = ".suite";
    public static final String EXPECT_EXTENSION = ".expect";
    /** A folder suite's X.stdout without an X.expect: the case boots X and expects exactly this output. */
    public static final String STDOUT_EXTENSION = ".stdout";
    /** A folder suite's X.in: the stdin of case X, unless its X.expect has an {@code input} line. */
    public static final String INPUT_EXTENSION = ".in";

    private SuiteLoader() {}

    /** Reads the suite {@code spec} names (see the class comment), with its cases for every architecture. */
    public static Suite load(String spec) throws SuiteException {
        return load(spec, EnumSet.allOf(Arch.class));
    }

    /**
     * Reads the suite {@code spec} names; each case is one case per architecture of
     * {@code archs} that its image is built for.
     */
    public static Suite load(String spec, Set<Arch> archs) throws SuiteException {
        if (spec.startsWith(BUILTIN_PREFIX)) {
            return builtin(spec.substring(BUILTIN_PREFIX.length()), spec, archs);
        }
        if (spec.isEmpty()) {
            // (Path.of("") is the current folder: "no cases: a folder suite needs..." would puzzle)
            throw new SuiteException("''", 0, "an empty suite name (name a .suite file, a folder or builtin:NAME)");
        }
        Path path;
        try {
            path = Path.of(spec);
        } catch (java.nio.file.InvalidPathException e) {
            throw new SuiteException(spec, 0, "not a file name: " + e.getReason());
        }
        if (Files.isDirectory(path)) {
            return folder(path, spec, archs);
        }
        if (!Files.exists(path)) {
            throw new SuiteException(spec, 0, "no such suite file or folder" + nearMiss(spec));
        }
        byte[] bytes;
        try {
            bytes = InputFiles.read(path, InputFiles.MAX_TEXT_BYTES, "a suite file");
        } catch (IOException | RuntimeException e) {
            throw new SuiteException(spec, 0, "cannot read: " + e.getMessage());
        }
        String text = decode(bytes, spec);
        Path dir = path.toAbsolutePath().getParent();
        return SuiteParser.parse(text, spec, baseName(path.getFileName().toString()), ImageLocator.folder(dir), archs);
    }

    /**
     * What {@code spec}, which names no file, may have meant: the same name with {@code .suite}
     * added, or a built-in suite ({@code rewind test core} for {@code builtin:core}); else "".
     */
    private static String nearMiss(String spec) {
        if (!spec.endsWith(SUITE_EXTENSION)) {
            try {
                if (Files.isRegularFile(Path.of(spec + SUITE_EXTENSION))) {
                    return " (did you mean " + spec + SUITE_EXTENSION + "?)";
                }
            } catch (java.nio.file.InvalidPathException e) {
                // not a file name either way
            }
        }
        String name =
                spec.endsWith(SUITE_EXTENSION) ? spec.substring(0, spec.length() - SUITE_EXTENSION.length()) : spec;
        if (!spec.contains("/") && builtinNames().contains(name)) {
            return " (did you mean the built-in suite " + BUILTIN_PREFIX + name + "?)";
        }
        return "";
    }

    /** A built-in suite, e.g. {@code core} for rewind/suites/core.suite. */
    public static Suite builtin(String name, String spec) throws SuiteException {
        return builtin(name, spec, EnumSet.allOf(Arch.class));
    }

    /** A built-in suite, with its cases for {@code archs}. */
    public static Suite builtin(String name, String spec, Set<Arch> archs) throws SuiteException {
        String file = name.endsWith(SUITE_EXTENSION) ? name : name + SUITE_EXTENSION;
        if (name.isEmpty() || file.contains("/") || file.contains("\\")) {
            throw new SuiteException(spec, 0, "bad built-in suite name (built-in suites: " + builtinList() + ")");
        }
        byte[] bytes;
        try (InputStream in = SuiteLoader.class.getClassLoader().getResourceAsStream(BUILTIN_SUITES + "/" + file)) {
            if (in == null) {
                throw new SuiteException(spec, 0, "no such built-in suite (built-in suites: " + builtinList() + ")");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new SuiteException(spec, 0, "cannot read: " + e.getMessage());
        }
        return SuiteParser.parse(
                new String(bytes, StandardCharsets.UTF_8),
                spec,
                baseName(file),
                ImageLocator.classpath(BUILTIN_SUITES),
                archs);
    }

    /** A folder: every X.expect beside an X.elf (or X.toml) is the case X, which boots that file. */
    public static Suite folder(Path dir, String spec) throws SuiteException {
        return folder(dir, spec, EnumSet.allOf(Arch.class));
    }

    /** A folder suite, with its cases for {@code archs}. */
    public static Suite folder(Path dir, String spec, Set<Arch> archs) throws SuiteException {
        List<Path> expects;
        try (Stream<Path> s = Files.list(dir)) {
            // every X.expect, whatever it is: one that is a folder or a FIFO is an error below, never
            // a case left out without a word
            expects = s.filter(p -> p.getFileName().toString().endsWith(EXPECT_EXTENSION)
                            || p.getFileName().toString().endsWith(STDOUT_EXTENSION))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new SuiteException(spec, 0, "cannot list the folder: " + e.getMessage());
        }
        if (expects.isEmpty()) {
            List<String> suites;
            try (Stream<Path> s = Files.list(dir)) {
                suites = s.filter(p -> p.getFileName().toString().endsWith(SUITE_EXTENSION))
                        .map(p -> p.getFileName().toString())
                        .sorted()
                        .toList();
            } catch (IOException e) {
                suites = List.of();
            }
            String base = spec.endsWith("/") ? spec : spec + "/";
            throw new SuiteException(
                    spec,
                    0,
                    "no cases: a folder suite needs X.elf files with X.expect (or X.stdout) files beside them"
                            + (suites.isEmpty()
                                    ? " (to run a .suite file, name the file)"
                                    : " (a .suite file in it is run by naming the file: it holds "
                                            + suites.stream()
                                                    .limit(5)
                                                    .map(f -> base + f)
                                                    .collect(java.util.stream.Collectors.joining(", "))
                                            + (suites.size() > 5 ? " and " + (suites.size() - 5) + " more" : "")
                                            + ")"));
        }
        Path name = dir.toAbsolutePath().normalize().getFileName();
        String suiteName = name == null ? "suite" : name.toString().replaceAll("[^A-Za-z0-9_.-]", "_");
        if (!SuiteParser.NAME.matcher(suiteName).matches()) {
            suiteName = "suite";
        }
        ImageLocator images = ImageLocator.folder(dir.toAbsolutePath());
        List<TestCase> cases = new ArrayList<>();
        for (Path expect : expects) {
            String fileName = expect.getFileName().toString();
            boolean stdout = fileName.endsWith(STDOUT_EXTENSION);
            String caseName =
                    stdout ? fileName.substring(0, fileName.length() - STDOUT_EXTENSION.length()) : baseName(fileName);
            if (stdout && Files.exists(dir.resolve(caseName + EXPECT_EXTENSION))) {
                continue; // (X.expect says what X's case expects; it may name X.stdout)
            }
            String shown = dir.resolve(fileName).toString();
            if (!SuiteParser.NAME.matcher(caseName).matches()) {
                throw new SuiteException(
                        shown,
                        0,
                        "bad case name '" + caseName + "' (the file name: letters, digits, '_', '.', '-'; up to 64)");
            }
            boolean elf = present(dir.resolve(caseName + ".elf"), shown);
            boolean toml = present(dir.resolve(caseName + ".toml"), shown);
            if (elf == toml) {
                throw new SuiteException(
                        shown,
                        0,
                        elf
                                ? "both " + caseName + ".elf and " + caseName
                                        + ".toml are beside it: which one does the case boot?"
                                : "no " + caseName + ".elf (or " + caseName + ".toml) beside it to boot");
            }
            String text;
            // X.in beside it is the program's stdin (an `input` line in X.expect says otherwise)
            String input = Files.exists(dir.resolve(caseName + INPUT_EXTENSION)) ? caseName + INPUT_EXTENSION : null;
            if (stdout) {
                text = "expect output \"" + quote(fileName) + "\"\n"
                        + (input == null ? "" : "input \"" + quote(input) + "\"\n");
            } else {
                byte[] bytes;
                try {
                    bytes = InputFiles.read(expect, InputFiles.MAX_TEXT_BYTES, "an expect file");
                } catch (IOException | RuntimeException e) {
                    throw new SuiteException(shown, 0, "cannot read: " + e.getMessage());
                }
                text = decode(bytes, shown);
            }
            cases.addAll(SuiteParser.parseExpect(
                    text,
                    shown,
                    suiteName,
                    caseName,
                    caseName + (elf ? ".elf" : ".toml"),
                    stdout ? null : input,
                    images,
                    archs));
        }
        // (none when no image is built for one of archs: not a bad suite, see SuiteParser.parse)
        return new Suite(suiteName, spec, cases);
    }

    /** {@code s} inside a suite's double-quoted string. */
    private static String quote(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** Whether {@code p} is there; a SuiteException if it is, but is not a regular file. */
    private static boolean present(Path p, String shown) throws SuiteException {
        if (!Files.exists(p) && !Files.isSymbolicLink(p)) {
            return false;
        }
        if (!Files.isRegularFile(p)) {
            throw new SuiteException(
                    shown,
                    0,
                    p.getFileName() + " beside it is "
                            + (Files.isDirectory(p)
                                    ? "a folder"
                                    : Files.exists(p)
                                            ? "not a regular file (a FIFO, socket or device)"
                                            : "a dangling link")
                            + ", not an image to boot");
        }
        return true;
    }

    /**
     * A suite or expect file's text: UTF-8 (a leading byte-order mark is dropped); bytes that are
     * not UTF-8 are an error naming where, not characters silently replaced.
     */
    static String decode(byte[] bytes, String shown) throws SuiteException {
        int from =
                bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf
                        ? 3
                        : 0;
        java.nio.charset.CharsetDecoder d = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes, from, bytes.length - from);
        try {
            return d.decode(in).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            int at = in.position(); // where the decoder stopped: the first bad byte
            int line = 1;
            for (int i = from; i < at && i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new SuiteException(
                    shown,
                    line,
                    "not UTF-8 text (byte 0x" + Integer.toHexString(at < bytes.length ? bytes[at] & 0xff : 0)
                            + " at offset " + at + "): save the file as UTF-8");
        }
    }

    /** The names of the built-in suites, sorted ("core, failing"), or "none" if there are none. */
    public static String builtinList() {
        List<String> names = builtinNames();
        return names.isEmpty() ? "none in this build" : String.join(", ", names);
    }

    /** The names of the built-in suites, sorted. */
    public static List<String> builtinNames() {
        TreeSet<String> names = new TreeSet<>();
        try {
            var urls = SuiteLoader.class.getClassLoader().getResources(BUILTIN_SUITES);
            while (urls.hasMoreElements()) {
                URL url = urls.nextElement();
                for (String f : listFolder(url.toURI())) {
                    if (f.endsWith(SUITE_EXTENSION)) {
                        names.add(baseName(f));
                    }
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            // listing is best effort; loading by name still works
        }
        return List.copyOf(names);
    }

    private static List<String> listFolder(URI uri) throws IOException {
        if (uri.getScheme().equals("jar")) {
            FileSystem fs;
            boolean close = false;
            try {
                fs = FileSystems.newFileSystem(uri, Map.of());
                close = true;
            } catch (FileSystemAlreadyExistsException e) {
                fs = FileSystems.getFileSystem(uri);
            }
            try (Stream<Path> s = Files.list(fs.provider().getPath(uri))) {
                return s.map(p -> p.getFileName().toString().replace("/", "")).toList();
            } finally {
                if (close) {
                    fs.close();
                }
            }
        }
        try (Stream<Path> s = Files.list(Path.of(uri))) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static String baseName(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }
}
