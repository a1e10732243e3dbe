package dev.rewind.tools.gdb;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The GDB remote serial protocol's byte-level encoding: {@code $payload#xx} framing with a
 * modulo-256 checksum, the {@code }} escape of binary data ({@code $ # } *} become
 * {@code }} followed by the byte XOR 0x20), run-length encoding of replies
 * ({@code c*N}: N - 29 more copies of c), and hex helpers. Stateless; every method is a pure
 * function that throws {@link IllegalArgumentException} on malformed input.
 */
public final class PacketCodec {
    /** Longest packet payload accepted from the client (a larger one is dropped). */
    public static final int MAX_PACKET = 64 * 1024;

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private PacketCodec() {}

    /** Sum of the bytes modulo 256. */
    public static int checksum(byte[] b, int off, int len) {
        int sum = 0;
        for (int i = off; i < off + len; i++) {
            sum += b[i] & 0xff;
        }
        return sum & 0xff;
    }

    /** {@code $payload#xx}; the payload must already be escaped if it carries binary data. */
    public static byte[] frame(byte[] payload) {
        byte[] out = new byte[payload.length + 4];
        out[0] = '$';
        System.arraycopy(payload, 0, out, 1, payload.length);
        int sum = checksum(payload, 0, payload.length);
        out[payload.length + 1] = '#';
        out[payload.length + 2] = HEX[sum >> 4];
        out[payload.length + 3] = HEX[sum & 15];
        return out;
    }

    public static byte[] frame(String payload) {
        return frame(payload.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** True for the bytes that must be escaped in binary data. */
    public static boolean needsEscape(int b) {
        return b == '$' || b == '#' || b == '}' || b == '*';
    }

    /** Escape binary data for a packet body. */
    public static byte[] escape(byte[] data, int off, int len) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(len + 16);
        for (int i = off; i < off + len; i++) {
            int b = data[i] & 0xff;
            if (needsEscape(b)) {
                out.write('}');
                out.write(b ^ 0x20);
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    /** Undo {@link #escape}; a trailing lone escape byte is an error. */
    public static byte[] unescape(byte[] data, int off, int len) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(len);
        for (int i = off; i < off + len; i++) {
            int b = data[i] & 0xff;
            if (b == '}') {
                if (++i >= off + len) {
                    throw new IllegalArgumentException("escape at the end of binary data");
                }
                out.write((data[i] & 0xff) ^ 0x20);
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    /**
     * Run-length encode a reply: a run of 4 or more equal bytes becomes the byte, '*' and a
     * count byte (29 + repeats). Counts that would encode as '#' or '$' (6 and 7 repeats) are
     * avoided, and the encoding is never applied to '#', '$', '*' or '}' themselves, so it is
     * safe for hex and text payloads.
     */
    public static byte[] encodeRle(byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length);
        int i = 0;
        while (i < payload.length) {
            int b = payload[i] & 0xff;
            int run = 1;
            while (i + run < payload.length && payload[i + run] == payload[i] && run < 98) {
                run++;
            }
            int repeats = run - 1;
            if (repeats >= 3 && !needsEscape(b)) {
                if (repeats == 6 || repeats == 7) {
                    repeats = 5;
                }
                out.write(b);
                out.write('*');
                out.write(29 + repeats);
                i += repeats + 1;
            } else {
                out.write(b);
                i++;
            }
        }
        return out.toByteArray();
    }

    /** Expand run-length encoding (what a client does with a reply). */
    public static byte[] decodeRle(byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length * 2);
        int last = -1;
        for (int i = 0; i < payload.length; i++) {
            int b = payload[i] & 0xff;
            if (b == '*') {
                if (last < 0 || i + 1 >= payload.length) {
                    throw new IllegalArgumentException("run-length marker without a byte to repeat");
                }
                int n = (payload[++i] & 0xff) - 29;
                if (n < 0 || n > 97) {
                    throw new IllegalArgumentException("bad run length " + n);
                }
                for (int k = 0; k < n; k++) {
                    out.write(last);
                }
            } else {
                out.write(b);
                last = b;
            }
        }
        return out.toByteArray();
    }

    // ---- hex -------------------------------------------------------------------------------

    static int hexDigit(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** An unsigned hex number of 1..16 digits. */
    public static long parseHex(String s) {
        if (s.isEmpty() || s.length() > 16) {
            throw new IllegalArgumentException("bad hex number '" + abbreviate(s) + "'");
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            int d = hexDigit(s.charAt(i));
            if (d < 0) {
                throw new IllegalArgumentException("bad hex number '" + abbreviate(s) + "'");
            }
            v = (v << 4) | d;
        }
        return v;
    }

    /** A hex number that must fit in an int between 0 and {@code max}. */
    public static int parseHexInt(String s, int max) {
        long v = parseHex(s);
        if (v < 0 || v > max) {
            throw new IllegalArgumentException("number out of range: " + abbreviate(s));
        }
        return (int) v;
    }

    public static String toHex(byte[] b, int off, int len) {
        byte[] out = new byte[len * 2];
        for (int i = 0; i < len; i++) {
            int v = b[off + i] & 0xff;
            out[2 * i] = HEX[v >> 4];
            out[2 * i + 1] = HEX[v & 15];
        }
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    public static String toHex(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return toHex(b, 0, b.length);
    }

    public static byte[] fromHex(String s) {
        if ((s.length() & 1) != 0) {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = hexDigit(s.charAt(2 * i));
            int lo = hexDigit(s.charAt(2 * i + 1));
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("bad hex digit");
            }
            out[i] = (byte) (hi << 4 | lo);
        }
        return out;
    }

    /** A 64-bit register value as 16 hex digits, little-endian (target byte order). */
    public static String le64(long v) {
        StringBuilder sb = new StringBuilder(16);
        for (int i = 0; i < 8; i++) {
            int b = (int) (v >>> (8 * i)) & 0xff;
            sb.append((char) HEX[b >> 4]).append((char) HEX[b & 15]);
        }
        return sb.toString();
    }

    /** A 32-bit register value (the low half of {@code v}) as 8 hex digits, little-endian. */
    public static String le32(long v) {
        return le64(v).substring(0, 8);
    }

    /** Inverse of {@link #le64}: exactly 16 hex digits. */
    public static long parseLe64(String s) {
        if (s.length() != 16) {
            throw new IllegalArgumentException("a register value needs 16 hex digits");
        }
        return parseLe(s);
    }

    /** Inverse of {@link #le32}: exactly 8 hex digits, zero-extended. */
    public static long parseLe32(String s) {
        if (s.length() != 8) {
            throw new IllegalArgumentException("a 32-bit register value needs 8 hex digits");
        }
        return parseLe(s);
    }

    private static long parseLe(String s) {
        byte[] b = fromHex(s);
        long v = 0;
        for (int i = b.length - 1; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
