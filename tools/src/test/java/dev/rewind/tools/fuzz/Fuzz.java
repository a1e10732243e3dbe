package dev.rewind.tools.fuzz;

import static org.junit.jupiter.api.Assertions.fail;

import dev.rewind.tools.CliRun;
import dev.rewind.tools.CliRun.Result;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.opentest4j.AssertionFailedError;

/**
 * Shared machinery of the host-input fuzzers: seeded inputs, one in-process run of the real CLI
 * per input, the checks every run must pass, the summary line and the failure files.
 *
 * <p>{@code -Dfuzz.seed=N} and {@code -Dfuzz.count=N} override a campaign's seed and input count
 * (e.g. to replay a reported failure: the same seed and count regenerate the same inputs). A
 * failing input is copied under {@code tools/target/fuzz-failures/FAMILY/SEED-INDEX/} with a
 * {@code replay.sh} holding the {@code ./rewind ...} command line that reproduces it.
 */
final class Fuzz {
    /** Exit statuses the CLI documents (0 ok, 1 task failed, 2 usage/unbootable, 3 deadlock, 4 budget). */
    static final Set<Integer> DOCUMENTED = Set.of(0, 1, 2, 3, 4);

    /** What a Java stack trace or exception report looks like on stderr. */
    private static final Pattern JAVA_LEAK = Pattern.compile(
            "(?m)^\\s*at [A-Za-z_$][\\w$]*(\\.[\\w$<>]+)+\\(|\\b[A-Z]\\w*(Exception|Error)\\b|\\b(java|javax|jdk|sun)\\.[a-z]+\\."
                    + "|rewind: internal error|Caused by:");

    private Fuzz() {}

    static long seed(long dflt) {
        return Long.getLong("fuzz.seed", dflt);
    }

    static int count(int dflt) {
        return Integer.getInteger("fuzz.count", dflt);
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path p, byte[] b) {
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path p, String latin1) {
        write(p, latin1.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Path mkdirs(Path p) {
        try {
            return Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path p) {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A campaign: one family of inputs, its statistics and its failures. */
    static final class Campaign {
        final String family;
        final long seed;
        final Random rnd;
        final Duration limit;
        /** Substrings of a failure report that mark a known, reported, not yet fixed bug (another area's). */
        final Map<String, String> known;

        final TreeMap<Integer, Integer> statuses = new TreeMap<>();
        final List<String> failures = new ArrayList<>();
        final List<String> knownHits = new ArrayList<>();
        final long start = System.nanoTime();
        int inputs;
        int runs;
        int internal;
        int hangs;
        int leaks;
        int claims;
        long index;

        Campaign(String family, long seed, Duration limit, Map<String, String> known) {
            this.family = family;
            this.seed = seed;
            this.rnd = new Random(seed);
            this.limit = limit;
            this.known = known;
        }

        /**
         * Run {@code rewind args} for one input whose files are all in {@code work}; checks the
         * exit status, stderr and the time; on failure keeps {@code work} for replay. Returns the
         * result, or null if the run hung or threw.
         */
        Result run(Path work, String... args) {
            runs++;
            long i = index++;
            Result r;
            String problem = null;
            try {
                r = CliRun.rewind(limit, args);
            } catch (AssertionFailedError e) {
                hangs++;
                record(i, work, args, "hang: no exit within " + limit.toMillis() + " ms", "");
                statuses.merge(-1, 1, Integer::sum);
                return null;
            } catch (Throwable t) {
                internal++;
                record(i, work, args, "threw out of Main.run: " + t, stackOf(t));
                statuses.merge(-2, 1, Integer::sum);
                return null;
            }
            statuses.merge(r.status(), 1, Integer::sum);
            if (!DOCUMENTED.contains(r.status())) {
                internal++;
                problem = "exit status " + r.status() + " (not one of 0..4)";
            } else if (JAVA_LEAK.matcher(r.err()).find()) {
                leaks++;
                problem = "stderr shows a Java exception or stack trace";
            }
            if (problem != null) {
                record(i, work, args, problem, r.toString());
            }
            return r;
        }

        /** Count one generated input (one may take several runs). */
        void input() {
            inputs++;
        }

        /** The command reported success, but what it claimed does not hold. */
        void claimFailed(Path work, String[] args, String what, Result r) {
            claims++;
            record(index - 1, work, args, "false claim: " + what, r == null ? "" : r.toString());
        }

        private void record(long i, Path work, String[] args, String problem, String output) {
            String report = problem + "\n" + output;
            String knownAs = null;
            for (Map.Entry<String, String> k : known.entrySet()) {
                if (report.contains(k.getKey())) {
                    knownAs = k.getValue();
                    knownHits.add(family + " #" + i + ": known failure (" + k.getValue() + "): " + problem);
                    if (problem.startsWith("exit status") || problem.startsWith("threw")) {
                        internal--;
                    } else if (problem.startsWith("hang")) {
                        hangs--;
                    } else if (problem.startsWith("stderr")) {
                        leaks--;
                    } else {
                        claims--;
                    }
                    break;
                }
            }
            Path dir = Path.of("target", "fuzz-failures", family, (knownAs != null ? "known-" : "") + seed + "-" + i)
                    .toAbsolutePath();
            StringBuilder cmd = new StringBuilder("./rewind");
            for (String a : args) {
                String s = work != null ? a.replace(work.toAbsolutePath().toString(), dir.toString()) : a;
                cmd.append(' ').append(shellQuote(s));
            }
            try {
                deleteTree(dir);
                mkdirs(dir);
                if (work != null && Files.isDirectory(work)) {
                    try (Stream<Path> s = Files.walk(work)) {
                        for (Path q : s.toList()) {
                            Path to = dir.resolve(work.relativize(q).toString());
                            if (Files.isDirectory(q)) {
                                Files.createDirectories(to);
                            } else if (Files.isRegularFile(q)) {
                                Files.copy(q, to, StandardCopyOption.REPLACE_EXISTING);
                            }
                        }
                    }
                }
                Files.write(
                        dir.resolve("replay.sh"),
                        ("#!/bin/sh\n# " + problem.replace('\n', ' ') + "\n"
                                        + "cd \"$(git rev-parse --show-toplevel)\" && " + cmd + "\n")
                                .getBytes(StandardCharsets.UTF_8));
                Files.write(dir.resolve("output.txt"), report.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // The report below still names the command.
            }
            if (knownAs != null) {
                return;
            }
            String line = family + " #" + i + ": " + problem + "\n  replay: " + cmd + "\n  files: " + dir + "\n  "
                    + output.replace("\n", "\n  ");
            failures.add(line.length() > 4000 ? line.substring(0, 4000) + "..." : line);
        }

        String summary() {
            StringBuilder h = new StringBuilder();
            statuses.forEach((k, v) -> h.append(h.length() == 0 ? "" : " ")
                    .append(k == -1 ? "hang" : k == -2 ? "threw" : Integer.toString(k))
                    .append(':')
                    .append(v));
            return String.format(
                    "fuzz %s: seed %d, %d inputs, %d runs, exit statuses {%s}, internal errors %d, hangs %d,"
                            + " stack traces %d, false claims %d, known failures %d, %.1f s",
                    family,
                    seed,
                    inputs,
                    runs,
                    h,
                    internal,
                    hangs,
                    leaks,
                    claims,
                    knownHits.size(),
                    (System.nanoTime() - start) / 1e9);
        }

        /** Print the summary line (and known failures); fail listing every unexpected failure. */
        void finish() {
            System.out.println(summary());
            knownHits.forEach(k -> System.out.println("  " + k));
            if (!failures.isEmpty()) {
                failures.forEach(System.out::println);
                fail(summary() + "\n" + failures.size() + " failing inputs, first:\n" + failures.get(0));
            }
        }
    }

    static String stackOf(Throwable t) {
        var sw = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(sw));
        String s = sw.toString();
        return s.length() > 3000 ? s.substring(0, 3000) : s;
    }

    static String shellQuote(String s) {
        if (s.matches("[A-Za-z0-9_./:=@%+,-]+")) {
            return s;
        }
        StringBuilder b = new StringBuilder("$'");
        for (char c : s.toCharArray()) {
            if (c == '\'' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || c > 0x7e) {
                b.append(c <= 0xff ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('\'').toString();
    }

    // ---- generic mutations of text (ISO-8859-1 strings: one char = one byte) ----

    static final String[] EXTREME_VALUES = {
        "-1",
        "0",
        "1",
        "4096",
        "2147483647",
        "2147483648",
        "-2147483649",
        "4294967296",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "99999999999999999999999",
        "0x7fffffffffffffff",
        "1e309",
        "-0.0",
        "nan",
        "inf",
        "-inf",
        "true",
        "false",
        "1979-05-27T07:32:00Z",
        "\"\"",
        "\" \"",
        "\"-1\"",
        "\"0\"",
        "\"1G\"",
        "\"16G\"",
        "\"9999999999G\"",
        "\"-1M\"",
        "\"0K\"",
        "\"1.5M\"",
        "\"64K\"",
        "\"a/../b\"",
        "\"/etc/passwd\"",
        "\"..\"",
        "\"x\\u0000y\"",
        "\"\\u00e9\\u4e2d\"",
        "\"\\ud800\"",
        "[]",
        "[1, 2, 3]",
        "[\"a\", 1]",
        "{}",
        "{ a = 1 }",
        "'''multi\nline'''",
        "\"\"\"multi\nline\"\"\"",
        "\"restart\"",
        "\"shadow\"",
        "\"none\"",
        "\"block\"",
        "\"uart\"",
        "\"kv\"",
        "\"fs\"",
        "\"hello.elf\"",
        "\"missing.elf\"",
        "[\"kv\", \"kv\"]",
        "[\"disk0\", \"nodev\"]",
    };

    static String extremeValue(Random r) {
        int k = r.nextInt(EXTREME_VALUES.length + 6);
        return switch (k - EXTREME_VALUES.length) {
            case 0 -> "\"" + "x".repeat(1 + r.nextInt(200_000)) + "\"";
            case 1 -> "[".repeat(depth(r)) + "]".repeat(depth(r));
            case 2 -> deepTable(depth(r));
            case 3 -> "\"" + controlChars(r, 1 + r.nextInt(20)) + "\"";
            case 4 -> "[" + String.join(", ", java.util.Collections.nCopies(1 + r.nextInt(50_000), "\"kv\"")) + "]";
            case 5 -> Long.toString(r.nextLong());
            default -> EXTREME_VALUES[k];
        };
    }

    /** A nesting depth, spread over 1 .. 32768 on a log scale (shallow and deep both tried). */
    static int depth(Random r) {
        return 1 + r.nextInt(1 << r.nextInt(16));
    }

    static String deepTable(int depth) {
        return "{ a = ".repeat(depth) + "1" + " }".repeat(depth);
    }

    static String controlChars(Random r, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int c = r.nextInt(4) == 0 ? 0x7f + r.nextInt(0x81) : r.nextInt(0x20);
            b.append((char) c);
        }
        return b.toString();
    }

    static List<String> lines(String s) {
        return new ArrayList<>(List.of(s.split("\n", -1)));
    }

    /**
     * One mutation of {@code text}: byte flips, deleted/duplicated/swapped lines, a value replaced by
     * an extreme one, unknown keys/tables, NULs and control characters, truncation, huge lines,
     * or a line spliced in from {@code donor}.
     */
    static String mutate(Random r, String text, String donor, String[] unknownLines) {
        List<String> ls = lines(text);
        int at = r.nextInt(Math.max(1, ls.size()));
        switch (r.nextInt(12)) {
            case 0: { // flip bits in 1..8 bytes
                if (text.isEmpty()) {
                    return "\u0000";
                }
                char[] c = text.toCharArray();
                for (int n = 1 + r.nextInt(8); n > 0; n--) {
                    int p = r.nextInt(c.length);
                    c[p] = (char) ((c[p] ^ (1 << r.nextInt(8))) & 0xff);
                }
                return new String(c);
            }
            case 1:
                if (!ls.isEmpty()) {
                    ls.remove(at);
                }
                break;
            case 2:
                ls.add(at, ls.isEmpty() ? "" : ls.get(at));
                break;
            case 3: {
                int b = r.nextInt(Math.max(1, ls.size()));
                if (ls.size() > 1) {
                    String t = ls.get(at);
                    ls.set(at, ls.get(b));
                    ls.set(b, t);
                }
                break;
            }
            case 4:
            case 5: { // replace a value (the part after the first '=' or ' ') by an extreme one
                for (int tries = 0; tries < 20; tries++) {
                    int i = r.nextInt(Math.max(1, ls.size()));
                    String l = ls.isEmpty() ? "" : ls.get(i);
                    int eq = l.indexOf('=');
                    int sp = l.strip().indexOf(' ');
                    int cut = eq >= 0 ? eq + 1 : sp >= 0 ? l.indexOf(l.strip()) + sp + 1 : -1;
                    if (cut > 0 && !l.strip().startsWith("#")) {
                        ls.set(i, l.substring(0, cut) + " " + extremeValue(r));
                        break;
                    }
                }
                break;
            }
            case 6:
                ls.add(at, unknownLines[r.nextInt(unknownLines.length)]);
                break;
            case 7: { // control characters / NUL at a random position
                int p = text.isEmpty() ? 0 : r.nextInt(text.length() + 1);
                return text.substring(0, p) + controlChars(r, 1 + r.nextInt(4)) + text.substring(p);
            }
            case 8: // truncate
                return text.substring(0, text.isEmpty() ? 0 : r.nextInt(text.length()));
            case 9: { // a huge line
                String base = ls.isEmpty() ? "" : ls.get(at);
                ls.set(at, base + "y".repeat(1 + r.nextInt(300_000)));
                break;
            }
            case 10: { // a line from another file of the family
                List<String> d = lines(donor);
                ls.add(at, d.get(r.nextInt(d.size())));
                break;
            }
            default: { // deep nesting on its own line
                int d = depth(r);
                ls.add(
                        at,
                        "deep = "
                                + (r.nextBoolean()
                                        ? "[".repeat(d) + "]".repeat(r.nextBoolean() ? d : depth(r))
                                        : deepTable(d)));
                break;
            }
        }
        return String.join("\n", ls);
    }
}
