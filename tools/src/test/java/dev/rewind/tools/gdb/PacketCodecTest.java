package dev.rewind.tools.gdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PacketCodecTest {
    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void framesWithAModulo256Checksum() {
        assertEquals("$OK#9a", new String(PacketCodec.frame("OK"), StandardCharsets.ISO_8859_1));
        assertEquals("$#00", new String(PacketCodec.frame(""), StandardCharsets.ISO_8859_1));
        assertEquals("$qSupported#37", new String(PacketCodec.frame("qSupported"), StandardCharsets.ISO_8859_1));
    }

    @Test
    void escapesTheFourSpecialBytes() {
        byte[] data = {'$', '#', '}', '*', 'a', 0, (byte) 0xff};
        byte[] esc = PacketCodec.escape(data, 0, data.length);
        assertArrayEquals(new byte[] {'}', 0x04, '}', 0x03, '}', 0x5d, '}', 0x0a, 'a', 0, (byte) 0xff}, esc);
        assertArrayEquals(data, PacketCodec.unescape(esc, 0, esc.length));
        assertThrows(IllegalArgumentException.class, () -> PacketCodec.unescape(b("ab}"), 0, 3));
    }

    @Test
    void runLengthEncodingRoundTrips() {
        assertEquals("0* ", new String(PacketCodec.encodeRle(b("0000")), StandardCharsets.ISO_8859_1));
        assertEquals("000", new String(PacketCodec.encodeRle(b("000")), StandardCharsets.ISO_8859_1));
        // 7 or 8 equal bytes would need '#' or '$' as the count: never used
        for (int n = 1; n < 300; n++) {
            byte[] in = b("x".repeat(n) + "0123" + "0".repeat(n));
            byte[] enc = PacketCodec.encodeRle(in);
            for (byte c : enc) {
                if (c == '#' || c == '$') {
                    throw new AssertionError("run of " + n + " encoded with " + (char) c);
                }
            }
            assertArrayEquals(in, PacketCodec.decodeRle(enc), "n=" + n);
        }
        assertThrows(IllegalArgumentException.class, () -> PacketCodec.decodeRle(b("*!")));
    }

    @Test
    void hexHelpers() {
        assertEquals(0x102ecL, PacketCodec.parseHex("102ec"));
        assertEquals(-1L, PacketCodec.parseHex("ffffffffffffffff"));
        assertThrows(IllegalArgumentException.class, () -> PacketCodec.parseHex("1ffffffffffffffff"));
        assertThrows(IllegalArgumentException.class, () -> PacketCodec.parseHex(""));
        assertThrows(IllegalArgumentException.class, () -> PacketCodec.parseHex("xyz"));
        assertEquals("ec02010000000000", PacketCodec.le64(0x102ec));
        assertEquals(0x102ecL, PacketCodec.parseLe64("ec02010000000000"));
        assertEquals("6b76", PacketCodec.toHex("kv"));
    }

    @Test
    void readerSplitsTheStreamIntoEvents() {
        List<String> events = new ArrayList<>();
        PacketReader r = new PacketReader(new PacketReader.Sink() {
            @Override
            public void packet(byte[] payload) {
                events.add("packet " + new String(payload, StandardCharsets.ISO_8859_1));
            }

            @Override
            public void badChecksum() {
                events.add("bad");
            }

            @Override
            public void ack() {
                events.add("+");
            }

            @Override
            public void nack() {
                events.add("-");
            }

            @Override
            public void interrupt() {
                events.add("^C");
            }

            @Override
            public void oversized() {
                events.add("oversized");
            }
        });
        byte[] in = b("+$OK#9a-\u0003noise$OK#00$qC$g#67$" + "x".repeat(PacketCodec.MAX_PACKET + 5) + "#00");
        // fed one byte at a time and all at once give the same events
        for (byte x : in) {
            r.feed(x & 0xff);
        }
        List<String> one = new ArrayList<>(events);
        events.clear();
        r.feed(in, 0, in.length);
        assertEquals(one, events);
        assertEquals(List.of("+", "packet OK", "-", "^C", "bad", "packet g", "oversized"), events);
    }

    @Test
    void readerSurvivesRandomBytes() {
        Random rnd = new Random(7);
        int[] packets = new int[1];
        PacketReader r = new PacketReader(p -> packets[0]++);
        for (int i = 0; i < 2000; i++) {
            byte[] chunk = new byte[rnd.nextInt(200)];
            rnd.nextBytes(chunk);
            r.feed(chunk, 0, chunk.length);
        }
        r.feed(PacketCodec.frame("OK"), 0, 6);
        r.feed(PacketCodec.frame("OK"), 0, 6);
        assertEquals(true, packets[0] >= 1);
    }
}
