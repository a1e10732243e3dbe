package dev.rewind.hw;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Text a guest controls (an abort message, a symbol name from its ELF, a line of its console)
 * made safe to embed in Rewind's own messages: a guest must not be able to end a line, move the
 * cursor or change colours there, so it cannot forge Rewind's lines. Control characters (C0, DEL,
 * C1), Unicode format characters (bidirectional overrides and the like) and line or paragraph
 * separators become escapes: {@code \n}, {@code \r}, {@code \t}, {@code \e}, {@code \xNN} or
 * {@code \}{@code u{NNNN}}; bytes that are not valid UTF-8 become {@code \xNN}.
 *
 * <p>Backslashes are left alone, so escaping is idempotent: text may pass through here more
 * than once on its way into a message. Never applied to the guest console stream itself.
 */
public final class GuestText {
    private GuestText() {}

    /** {@code s} with every unsafe character escaped (null stays null). */
    public static String escape(String s) {
        if (s == null) {
            return null;
        }
        int i = 0;
        while (i < s.length() && safe(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (safe(c)) {
                sb.append(c);
            } else {
                appendEscape(sb, c);
            }
        }
        return sb.toString();
    }

    /** {@code len} bytes of guest text at {@code off} as UTF-8, invalid bytes as {@code \xNN}, escaped. */
    public static String decode(byte[] b, int off, int len) {
        CharsetDecoder dec = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, off, len);
        CharBuffer out = CharBuffer.allocate(len);
        StringBuilder sb = new StringBuilder(len);
        while (true) {
            CoderResult r = dec.decode(in, out, true);
            out.flip();
            sb.append(out);
            out.clear();
            if (r.isError()) {
                for (int k = 0; k < r.length(); k++) {
                    sb.append(String.format("\\x%02x", in.get() & 0xff));
                }
            } else if (r.isUnderflow()) {
                break;
            }
        }
        return escape(sb.toString());
    }

    private static boolean safe(char c) {
        if (c >= 0x20 && c < 0x7f) {
            return true;
        }
        if (c < 0xa0) {
            return false; // C0, DEL, C1
        }
        int type = Character.getType(c);
        return type != Character.FORMAT
                && type != Character.LINE_SEPARATOR
                && type != Character.PARAGRAPH_SEPARATOR
                && type != Character.CONTROL
                && type != Character.UNASSIGNED
                && type != Character.PRIVATE_USE;
    }

    private static void appendEscape(StringBuilder sb, char c) {
        switch (c) {
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            case 0x1b -> sb.append("\\e");
            default -> {
                if (c < 0x100) {
                    sb.append(String.format("\\x%02x", (int) c));
                } else {
                    sb.append(String.format("\\u{%04x}", (int) c));
                }
            }
        }
    }
}
