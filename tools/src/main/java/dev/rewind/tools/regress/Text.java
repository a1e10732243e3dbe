package dev.rewind.tools.regress;

/** Making guest output safe to show: guests may print anything, including binary garbage. */
final class Text {
    private Text() {}

    /** {@code s} with control characters shown as '?', cut to {@code max} characters with "...". */
    static String printable(String s, int max) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max + 3));
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            sb.append(c == '\t' ? ' ' : (dev.rewind.tools.Printable.isControl(c) || c == '\ufffd') ? '?' : c);
        }
        if (s.length() > max) {
            sb.append("...");
        }
        return sb.toString();
    }

    /**
     * {@code s} between double quotes, written so that two different lines never look alike (as
     * {@link #printable} may make them: a tab and a space, a control character and '?'): in the
     * escapes of a suite's strings, {@code \" \\ \t}, and {@code \r}, {@code \xNN} for other
     * control characters, {@code \\uXXXX} for characters that show nothing (a byte-order mark,
     * a zero-width space) and for U+FFFD, which stands for bytes that are not UTF-8; cut to about
     * {@code max} characters with "..." after the closing quote.
     */
    static String quoted(String s, int max) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 8).append('"');
        int i = escape(s, max + 1, true, sb);
        sb.append('"');
        if (i < s.length()) {
            sb.append("...");
        }
        return sb.toString();
    }

    /**
     * {@code s} as a console line in a report: the escapes of {@link #quoted} without the quotes
     * (a {@code "} stays as it is; a backslash is {@code \\}, so that the text {@code \x01}
     * and the control character differ), cut to about {@code max} characters with "...".
     */
    static String escaped(String s, int max) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 8);
        int i = escape(s, max, false, sb);
        if (i < s.length()) {
            sb.append("...");
        }
        return sb.toString();
    }

    /** Appends {@code s} escaped to {@code sb} until it holds {@code max} characters; the index reached. */
    private static int escape(String s, int max, boolean quote, StringBuilder sb) {
        int i = 0;
        for (; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append(quote ? "\\\"" : "\"");
                case '\\' -> sb.append("\\\\");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (dev.rewind.tools.Printable.isControl(c)) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else if (c == '\ufffd' || Character.getType(c) == Character.FORMAT) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return i;
    }
}
