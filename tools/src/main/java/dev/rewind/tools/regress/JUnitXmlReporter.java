package dev.rewind.tools.regress;

import dev.rewind.tools.regress.CaseResult.Status;
import java.io.IOException;
import java.io.Writer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes results as JUnit XML (the Ant/Surefire format CI systems read): one {@code testsuite}
 * per suite, one {@code testcase} per case (classname = the suite), with {@code failure},
 * {@code error} or {@code skipped}, and the guest console in {@code system-out}.
 */
public final class JUnitXmlReporter {
    private JUnitXmlReporter() {}

    public static void write(Path file, List<Suite> suites, List<CaseResult> results) throws IOException {
        write(file, suites, results, java.time.Instant.now());
    }

    /** {@code started}: when the run began, each {@code testsuite}'s {@code timestamp} (as Ant and Surefire). */
    public static void write(Path file, List<Suite> suites, List<CaseResult> results, java.time.Instant started)
            throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            // (streamed: the consoles of many cases need not fit in memory at once)
            render(w, suites, results, started);
        }
    }

    /**
     * The report of a run that stopped before any case ran (a bad suite, no case selected): one
     * {@code error}, so that a CI system reading the file shows why, where a report left by an
     * earlier run would show that run's results.
     */
    public static void writeStopped(Path file, List<String> reasons) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(renderStopped(reasons));
        }
    }

    static String renderStopped(List<String> reasons) {
        String counts = " tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\"";
        String first = reasons.isEmpty() ? "no case ran" : reasons.get(0);
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<testsuites name=\"rewind\"" + counts + ">\n"
                + "  <testsuite name=\"rewind\"" + counts + " timestamp=\""
                + LocalDateTime.now(ZoneOffset.UTC).withNano(0).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
                + "\" hostname=\"" + esc(hostname()) + "\">\n"
                + "    <testcase name=\"suites\" classname=\"rewind\" time=\"0.000\">\n"
                + "      <error message=\"" + esc(first) + "\" type=\"NoCaseRan\">"
                + esc(String.join("\n", reasons)) + "</error>\n"
                + "    </testcase>\n  </testsuite>\n</testsuites>\n";
    }

    public static String render(List<Suite> suites, List<CaseResult> results) {
        java.io.StringWriter w = new java.io.StringWriter();
        try {
            render(w, suites, results, java.time.Instant.now());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // (a StringWriter does not fail)
        }
        return w.toString();
    }

    private static void render(Writer x, List<Suite> suites, List<CaseResult> results, java.time.Instant started)
            throws IOException {
        String timestamp = LocalDateTime.ofInstant(started, ZoneOffset.UTC)
                .withNano(0)
                .format(DateTimeFormatter.ISO_LOCAL_DATE_TIME);
        String host = hostname();
        x.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.append("<testsuites name=\"rewind\"").append(counts(results)).append(">\n");
        for (Suite s : suites) {
            List<CaseResult> mine = new ArrayList<>();
            for (CaseResult r : results) {
                if (s.cases().stream().anyMatch(tc -> tc == r.testCase())) {
                    mine.add(r);
                }
            }
            if (mine.isEmpty()) {
                continue;
            }
            x.append("  <testsuite name=\"")
                    .append(esc(s.name()))
                    .append('"')
                    .append(counts(mine))
                    .append(" timestamp=\"")
                    .append(timestamp)
                    .append("\" hostname=\"")
                    .append(esc(host))
                    .append("\">\n");
            x.append("    <properties>\n      <property name=\"location\" value=\"")
                    .append(esc(s.location()))
                    .append("\"/>\n    </properties>\n");
            for (CaseResult r : mine) {
                testcase(x, r);
            }
            x.append("  </testsuite>\n");
        }
        x.append("</testsuites>\n");
    }

    private static void testcase(Writer x, CaseResult r) throws IOException {
        TestCase c = r.testCase();
        x.append("    <testcase name=\"")
                .append(esc(c.name()))
                .append("\" classname=\"")
                .append(esc(c.suite()))
                .append("\" time=\"")
                .append(secs(r.nanos()))
                .append("\">\n");
        switch (r.status()) {
            case FAIL, ERROR -> {
                String tag = r.status() == Status.FAIL ? "failure" : "error";
                x.append("      <")
                        .append(tag)
                        .append(" message=\"")
                        .append(esc(r.message()))
                        .append("\" type=\"")
                        .append(r.status() == Status.FAIL ? "ExpectationFailed" : "CaseError")
                        .append("\">");
                x.append(esc(String.join("\n", TerminalReporter.details(r, 0))));
                x.append("</").append(tag).append(">\n");
            }
            case SKIP ->
                x.append("      <skipped message=\"").append(esc(r.message())).append("\"/>\n");
            case PASS -> {}
        }
        Console con = r.console();
        if (con.total() > 0) {
            x.append("      <system-out>");
            if (con.dropped() > 0) {
                x.append("[... ").append(String.valueOf(con.dropped())).append(" earlier lines not kept ...]\n");
            }
            con.eachLine(l -> x.append(esc(l)).append('\n'));
            x.append("</system-out>\n");
        }
        x.append("    </testcase>\n");
    }

    private static String counts(List<CaseResult> rs) {
        long failures = rs.stream().filter(r -> r.status() == Status.FAIL).count();
        long errors = rs.stream().filter(r -> r.status() == Status.ERROR).count();
        long skipped = rs.stream().filter(r -> r.status() == Status.SKIP).count();
        long nanos = rs.stream().mapToLong(CaseResult::nanos).sum();
        return " tests=\"" + rs.size() + "\" failures=\"" + failures + "\" errors=\"" + errors + "\" skipped=\""
                + skipped + "\" time=\"" + secs(nanos) + "\"";
    }

    private static String secs(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e9);
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return "localhost";
        }
    }

    /** Escapes text for XML content and attributes; characters XML 1.0 forbids become U+FFFD. */
    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                case '\n' -> sb.append('\n');
                case '\t' -> sb.append('\t');
                case '\r' -> sb.append("&#13;");
                default -> {
                    if (Character.isHighSurrogate(c)
                            && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (c < 0x20 || Character.isSurrogate(c) || c == 0xfffe || c == 0xffff) {
                        sb.append('\ufffd');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
