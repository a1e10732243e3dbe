package dev.rewind.tools;

/**
 * Making user-supplied text (file names, suite text, option values) safe to echo in a one-line
 * error message: control characters are shown as escapes, so a NUL, an ESC or a newline in the
 * input can neither corrupt the terminal nor split the message.
 */
public final class Printable {
    private Printable() {}

    /**
     * {@code s} with tab, CR and LF as {@code \t \r \n} and every other C0 or C1 control
     * character (NUL, ESC, DEL...) as {@code \xNN}; everything else unchanged.
     */
    /** A C0 or C1 control character, or DEL: what {@link #escape} writes as an escape. */
    public static boolean isControl(char c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
    }

    public static String escape(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = isControl(c);
            if (!control) {
                if (b != null) {
                    b.append(c);
                }
                continue;
            }
            if (b == null) {
                b = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            switch (c) {
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '\n' -> b.append("\\n");
                default -> b.append(String.format("\\x%02x", (int) c));
            }
        }
        return b == null ? s : b.toString();
    }
}
