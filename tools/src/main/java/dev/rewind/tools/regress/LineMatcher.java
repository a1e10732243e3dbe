package dev.rewind.tools.regress;

import java.util.regex.Pattern;

/**
 * How a console line is matched: the whole line equals a text, the line contains a text, or a
 * regular expression is found in the line ({@code ^} and {@code $} anchor it to the whole line).
 */
public record LineMatcher(Kind kind, String text, Pattern pattern) {
    public enum Kind {
        EXACT,
        CONTAINS,
        REGEX
    }

    public static LineMatcher exact(String text) {
        return new LineMatcher(Kind.EXACT, text, null);
    }

    public static LineMatcher contains(String text) {
        return new LineMatcher(Kind.CONTAINS, text, null);
    }

    public static LineMatcher regex(Pattern pattern) {
        return new LineMatcher(Kind.REGEX, pattern.pattern(), pattern);
    }

    public boolean matches(String line) {
        return switch (kind) {
            case EXACT -> line.equals(text);
            case CONTAINS -> line.contains(text);
            case REGEX -> pattern.matcher(line).find();
        };
    }

    /** As written in a suite file: {@code "text"}, {@code contains "text"}, {@code /regex/}. */
    @Override
    public String toString() {
        return switch (kind) {
            case EXACT -> quote(text);
            case CONTAINS -> "contains " + quote(text);
            case REGEX ->
                "/" + text.replace("/", "\\/") + "/" + ((pattern.flags() & Pattern.CASE_INSENSITIVE) != 0 ? "i" : "");
        };
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
