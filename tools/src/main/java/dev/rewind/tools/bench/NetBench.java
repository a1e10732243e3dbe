package dev.rewind.tools.bench;

import dev.rewind.hw.dev.NetOptions;
import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.KernelObserver;
import dev.rewind.kernel.RecoveryOutcome;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.RecoveryPolicy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code rewind bench net}: HTTP through a forwarded host port into t_net_http (the NIC driver
 * task, the lwIP stack server, the HTTP server), with the NIC driver under a shadow and without
 * one. A plain socket client on the host speaks HTTP/1.1 with keep-alive, so the numbers are the
 * guest's and the emulated network's, not a client library's.
 */
final class NetBench {
    /** Requests per rate measurement, and the bytes of the throughput transfer. */
    static final int REQUESTS = 300;

    static final int BYTES = 8 << 20;

    private NetBench() {}

    /** One boot under {@code policy}: {requests per second, bytes per second}. */
    static double[] run(RecoveryPolicy policy) throws Exception {
        SystemImage img = SystemImage.builtin("t_net_http.toml");
        Manifest m = img.manifest();
        m = m.withTasks(m.tasks().stream()
                .map(t -> t.name().equals("nic") ? t.withRecovery(policy) : t)
                .toList());
        List<String> faults = Collections.synchronizedList(new ArrayList<>());
        KernelObserver obs = new KernelObserver() {
            @Override
            public void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {
                faults.add(task.name() + ": " + fault);
            }
        };
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        KernelConfig cfg = KernelConfig.defaults().withNet(NetOptions.parse(List.of("hostfwd=tcp:127.0.0.1:0-:80")));
        try (Kernel k = new Kernel(cfg, m, img.source(), new Uart(console), obs)) {
            int port = k.netForwards().get("eth0").get(0).hostPort();
            Thread kernel = new Thread(k::run, "bench-net-kernel");
            kernel.start();
            try (Socket s = connect(port, console)) {
                s.setTcpNoDelay(true);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                get(in, out, "/"); // (warm: the first request pays for ARP and the connection)
                long t0 = System.nanoTime();
                for (int i = 0; i < REQUESTS; i++) {
                    get(in, out, "/");
                }
                long t1 = System.nanoTime();
                long n = get(in, out, "/big?n=" + BYTES);
                long t2 = System.nanoTime();
                if (n != BYTES) {
                    throw new IllegalStateException("/big answered " + n + " bytes, not " + BYTES);
                }
                if (!faults.isEmpty()) {
                    throw new IllegalStateException("faults during bench net: " + faults);
                }
                return new double[] {REQUESTS / ((t1 - t0) / 1e9), BYTES / ((t2 - t1) / 1e9)};
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException(
                        "bench net under " + policy.configName() + ": " + e.getMessage() + "\n"
                                + console.toString(StandardCharsets.UTF_8),
                        e);
            } finally {
                k.requestStop();
                kernel.join(30_000);
            }
        }
    }

    /**
     * Connect once the guest listens (it takes its address and starts its server first: a
     * connection made before that waits for slirp to send its SYN again, seconds later).
     */
    private static Socket connect(int port, ByteArrayOutputStream console) throws Exception {
        long end = System.nanoTime() + 30_000_000_000L;
        while (!listening(console) && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        while (true) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(30_000);
                // slirp accepts before the guest answers: prove the guest is there.
                get(s.getInputStream(), s.getOutputStream(), "/");
                return s;
            } catch (IOException e) {
                s.close();
                if (System.nanoTime() > end) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static boolean listening(ByteArrayOutputStream console) {
        synchronized (console) {
            return console.toString(StandardCharsets.UTF_8).contains("http: listening");
        }
    }

    /** GET {@code path} on a kept-alive connection; returns the body's length (read and dropped). */
    private static long get(InputStream in, OutputStream out, String path) throws IOException {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: bench\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        long length = -1;
        String status = null;
        while (true) {
            String line = readLine(in);
            if (status == null) {
                status = line;
                if (!line.startsWith("HTTP/1.1 200")) {
                    throw new IOException("GET " + path + ": " + line);
                }
            } else if (line.isEmpty()) {
                break;
            } else if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Long.parseLong(line.substring(15).trim());
            }
        }
        if (length < 0) {
            throw new IOException("GET " + path + ": no Content-Length");
        }
        byte[] buf = new byte[65536];
        long left = length;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new IOException("GET " + path + ": connection closed " + left + " bytes short");
            }
            left -= r;
        }
        return length;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed in the headers");
            }
            if (c != '\r') {
                b.append((char) c);
            }
            if (b.length() > 8192) {
                throw new IOException("header line too long");
            }
        }
        return b.toString();
    }
}
