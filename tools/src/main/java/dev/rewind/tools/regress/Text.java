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
}
