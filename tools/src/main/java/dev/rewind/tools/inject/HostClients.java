package dev.rewind.tools.inject;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Host-side clients of the guest network servers for {@code rewind survival}: each talks to the
 * guest through a forwarded port and says what went wrong (null: nothing). "No complete answer"
 * means the service stopped answering within the time limit.
 */
final class HostClients {
    /** Bytes of the transfer each client checks. */
    static final int BYTES = 2_000_000;

    private static final int TIMEOUT_MS = 8000;

    private HostClients() {}

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
        s.setSoTimeout(TIMEOUT_MS);
        return s;
    }

    /** http_server: GET /big?n=BYTES, every byte of the pattern checked, then GET / on a new connection. */
    static String http(int port) throws IOException {
        try (Socket s = connect(port)) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /big?n=" + BYTES + " HTTP/1.1\r\nHost: survival\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] all = readAll(s.getInputStream());
            if (all == null) {
                return "no complete answer to GET /big within " + TIMEOUT_MS / 1000 + " s";
            }
            String head = headOf(all);
            if (head == null || !head.startsWith("HTTP/1.1 200")) {
                return "GET /big answered '"
                        + (head == null ? "?" : head.lines().findFirst().orElse("")) + "'";
            }
            int body = head.length() + 4;
            if (all.length - body != BYTES) {
                return "GET /big answered " + (all.length - body) + " bytes, not " + BYTES;
            }
            for (int i = 0; i < BYTES; i++) {
                if (all[body + i] != (byte) ((i * 7 + 3) & 0xff)) {
                    return "GET /big: byte " + i + " is wrong";
                }
            }
        } catch (SocketTimeoutException e) {
            return "no complete answer to GET /big within " + TIMEOUT_MS / 1000 + " s";
        }
        try (Socket s = connect(port)) {
            s.getOutputStream()
                    .write("GET / HTTP/1.1\r\nHost: survival\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            byte[] all = readAll(s.getInputStream());
            String head = all == null ? null : headOf(all);
            return head != null && head.startsWith("HTTP/1.1 200") ? null : "GET / afterwards failed";
        } catch (SocketTimeoutException e) {
            return "no complete answer to GET / afterwards within " + TIMEOUT_MS / 1000 + " s";
        }
    }

    /** net_echo: BYTES of a pattern sent and read back (at most 64 KiB outstanding), every byte checked. */
    static String echo(int port) throws IOException {
        try (Socket s = connect(port)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] chunk = new byte[8192];
            byte[] back = new byte[65536];
            int sent = 0, got = 0;
            while (got < BYTES) {
                while (sent < BYTES && sent - got < 65536 - chunk.length) {
                    int n = Math.min(chunk.length, BYTES - sent);
                    for (int i = 0; i < n; i++) {
                        chunk[i] = (byte) (((sent + i) * 13 + 5) & 0xff);
                    }
                    out.write(chunk, 0, n);
                    sent += n;
                }
                out.flush();
                int r = in.read(back);
                if (r < 0) {
                    return "the echo connection closed after " + got + " of " + BYTES + " bytes";
                }
                for (int i = 0; i < r; i++) {
                    if (back[i] != (byte) (((got + i) * 13 + 5) & 0xff)) {
                        return "echoed byte " + (got + i) + " is wrong";
                    }
                }
                got += r;
            }
            return null;
        } catch (SocketTimeoutException e) {
            return "no complete answer: the echo stopped within " + TIMEOUT_MS / 1000 + " s";
        }
    }

    /** Everything until the peer closes, or null if it stopped sending for the time limit. */
    private static byte[] readAll(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        try {
            int r;
            while ((r = in.read(buf)) >= 0) {
                b.write(buf, 0, r);
            }
        } catch (SocketTimeoutException e) {
            return null;
        }
        return b.toByteArray();
    }

    /** The header block (without the blank line), or null if there is none. */
    private static String headOf(byte[] all) {
        for (int i = 0; i + 3 < all.length; i++) {
            if (all[i] == '\r' && all[i + 1] == '\n' && all[i + 2] == '\r' && all[i + 3] == '\n') {
                return new String(all, 0, i, StandardCharsets.US_ASCII);
            }
        }
        return null;
    }
}
