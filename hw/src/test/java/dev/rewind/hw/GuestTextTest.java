package dev.rewind.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GuestTextTest {
    @Test
    void plainTextIsUnchanged() {
        String s = "assertion failed: x == 1 (größe) \\n";
        assertSame(s, GuestText.escape(s));
    }

    @Test
    void controlAndFormatCharactersAreEscaped() {
        assertEquals(
                "a\\nb\\r\\t\\e[2J\\x07\\x7f\\x85\\u{202e}\\u{2028}",
                GuestText.escape("a\nb\r\t\u001b[2J\u0007\u007f\u0085\u202e\u2028"));
    }

    @Test
    void escapingIsIdempotent() {
        String once = GuestText.escape("x\ny\u001b");
        assertEquals(once, GuestText.escape(once));
    }

    @Test
    void invalidUtf8BecomesHexBytes() {
        byte[] b = "ok \u00e9".getBytes(StandardCharsets.UTF_8);
        byte[] bad = new byte[b.length + 3];
        System.arraycopy(b, 0, bad, 0, b.length);
        bad[b.length] = (byte) 0xff;
        bad[b.length + 1] = (byte) 0xc3; // truncated sequence
        bad[b.length + 2] = '\n';
        assertEquals("ok \u00e9\\xff\\xc3\\n", GuestText.decode(bad, 0, bad.length));
    }
}
