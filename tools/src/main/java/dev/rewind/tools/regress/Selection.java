package dev.rewind.tools.regress;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which cases to run. A case is selected when it matches at least one filter (if any are
 * given), has at least one of the tags (if any are given), and has none of the excluded tags.
 *
 * <p>A filter is a glob ({@code *} any characters, {@code ?} one, {@code [abc]} one of, {@code [!abc]} none of) matched
 * against the case's name ({@code riscv64/hello}), its full name {@code suite/riscv64/hello}, or
 * either without the architecture ({@code hello}, {@code suite/hello}: the case on every
 * architecture), or a regular expression written
 * between slashes ({@code /fault_(read|write)/}), searched in the full name with and without
 * the architecture.
 */
public final class Selection {
    private final List<Pattern> filters = new ArrayList<>();
    private final List<String> tags;
    private final List<String> excludedTags;

    /** @throws IllegalArgumentException for a bad regular expression or glob */
    public Selection(List<String> filters, List<String> tags, List<String> excludedTags) {
        for (String f : filters) {
            this.filters.add(compile(f));
        }
        this.tags = List.copyOf(tags);
        this.excludedTags = List.copyOf(excludedTags);
    }

    public static Selection all() {
        return new Selection(List.of(), List.of(), List.of());
    }

    public boolean selects(TestCase c) {
        if (!filters.isEmpty()
                && filters.stream()
                        .noneMatch(p -> p.matcher(c.name()).matches()
                                || p.matcher(c.fullName()).matches()
                                || p.matcher(c.baseName()).matches()
                                || p.matcher(c.suite() + "/" + c.baseName()).matches()
                                || (isRegex(p)
                                        && (p.matcher(c.fullName()).find()
                                                || p.matcher(c.suite() + "/" + c.baseName())
                                                        .find())))) {
            return false;
        }
        if (!tags.isEmpty() && c.tags().stream().noneMatch(tags::contains)) {
            return false;
        }
        return c.tags().stream().noneMatch(excludedTags::contains);
    }

    public List<TestCase> select(List<Suite> suites) {
        List<TestCase> out = new ArrayList<>();
        for (Suite s : suites) {
            for (TestCase c : s.cases()) {
                if (selects(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    private static final String REGEX_MARK = "(?:)";

    private static boolean isRegex(Pattern p) {
        return p.pattern().startsWith(REGEX_MARK);
    }

    private static Pattern compile(String filter) {
        String shown =
                dev.rewind.tools.Printable.escape(filter.length() > 80 ? filter.substring(0, 80) + "..." : filter);
        if (filter.length() >= 2 && filter.startsWith("/") && filter.endsWith("/")) {
            try {
                return Pattern.compile(REGEX_MARK + filter.substring(1, filter.length() - 1));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("--filter: bad regex " + shown + ": " + e.getDescription());
            } catch (StackOverflowError e) {
                throw new IllegalArgumentException("--filter: bad regex " + shown + ": nested too deeply");
            }
        }
        StringBuilder re = new StringBuilder();
        int classStart = -1; // where the [ ... ] being read began in re, or -1
        for (int i = 0; i < filter.length(); i++) {
            char ch = filter.charAt(i);
            if (classStart >= 0) {
                boolean first = re.length() == classStart + 1;
                if (first && (ch == '!' || ch == '^')) {
                    re.append('^'); // [!abc], as in the shell: none of them
                } else if (ch == ']' && !(first || re.length() == classStart + 2 && re.charAt(classStart + 1) == '^')) {
                    classStart = -1;
                    re.append(']');
                } else if (ch == '\\' || ch == '[' || ch == '&' || ch == ']' || ch == '^') {
                    re.append('\\').append(ch); // (a ] first in the class is one of its characters)
                } else {
                    re.append(ch);
                }
                continue;
            }
            switch (ch) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[' -> {
                    classStart = re.length();
                    re.append('[');
                }
                default -> re.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        if (classStart >= 0) {
            throw new IllegalArgumentException("--filter: unclosed [ in glob '" + shown + "'");
        }
        try {
            return Pattern.compile(re.toString());
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(
                    "--filter: bad glob '" + shown + "' (a range such as [z-a]" + " runs backwards?)");
        }
    }
}
