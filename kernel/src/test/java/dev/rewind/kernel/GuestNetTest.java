package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.NetOptions;
import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.probe.DriverKiller;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The guest network end to end: the NIC driver, the lwIP stack server and the HTTP server
 * (t_net_http_quit.toml) booted with a host port forwarded to guest port 80 through libslirp,
 * and a real HTTP client on the host: a page, a value stored in and read back from the kv
 * server, a megabyte of /big checked byte by byte, errors, keep-alive, then GET /quit ends the
 * run (ends_with).
 */
class GuestNetTest {
    @Test
    void aHostHttpClientTalksToTheGuestHttpServerThroughTheForwardedPort() throws Exception {
        Manifest m = Manifest.parse(Fixtures.manifest("t_net_http_quit.toml"), "t_net_http_quit.toml");
        KernelConfig cfg = Fixtures.CONFIG.withNet(NetOptions.parse(List.of("hostfwd=tcp:127.0.0.1:0-:80")));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (Kernel k =
                new Kernel(cfg, m, ImageSource.classpath(SystemImage.BUILTIN_FOLDER), new Uart(console), null)) {
            int port = k.netForwards().get("eth0").get(0).hostPort();
            CompletableFuture<SystemResult> run = CompletableFuture.supplyAsync(k::run);
            String base = "http://127.0.0.1:" + port;
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();

            HttpResponse<String> page = getWhenUp(http, base + "/");
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("Hello from Rewind"), page.body());

            HttpResponse<String> put = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/kv/greeting"))
                            .PUT(HttpRequest.BodyPublishers.ofString("hello, host"))
                            .timeout(Duration.ofSeconds(20))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, put.statusCode(), put.body());
            HttpResponse<String> got = http.send(get(base + "/kv/greeting"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, got.statusCode());
            assertEquals("hello, host", got.body());
            assertEquals(
                    404,
                    http.send(get(base + "/kv/nothing"), HttpResponse.BodyHandlers.ofString())
                            .statusCode());
            assertEquals(
                    404,
                    http.send(get(base + "/nowhere"), HttpResponse.BodyHandlers.ofString())
                            .statusCode());

            int n = 1_000_000;
            HttpResponse<byte[]> big = http.send(get(base + "/big?n=" + n), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, big.statusCode());
            assertEquals(
                    String.valueOf(n),
                    big.headers().firstValue("content-length").orElse(""));
            byte[] want = new byte[n];
            for (int i = 0; i < n; i++) {
                want[i] = (byte) (i * 7 + 3);
            }
            assertArrayEquals(want, big.body(), "every byte of /big");

            // A malformed request: 400 and the connection closes; two pipelined requests: two answers.
            assertTrue(raw(port, "NONSENSE\r\n\r\n").startsWith("HTTP/1.1 400 Bad Request\r\n"));
            String two = raw(
                    port, "GET /kv/greeting HTTP/1.1\r\n\r\nGET /kv/greeting HTTP/1.1\r\nConnection: close\r\n\r\n");
            assertEquals(2, two.split("hello, host", -1).length - 1, two);

            http.send(get(base + "/quit"), HttpResponse.BodyHandlers.ofString());
            SystemResult r = run.get(30, TimeUnit.SECONDS);
            String out = console.toString(StandardCharsets.UTF_8);
            assertTrue(out.contains("nic: ready (52:54:00:12:34:56, link up)"), out);
            assertTrue(out.contains("net: 10.0.2.15 netmask 255.255.255.0"), out);
            assertTrue(out.contains("http: quit"), out);
            assertEquals(SystemResult.Outcome.OK, r.outcome(), out);
        }
    }

    /**
     * UDP from the host (t_net_udp_host.toml: tests/net_udp.c's server on guest port 7, through
     * libslirp's UDP forward, with restrict=off): datagrams of several sizes come back whole
     * from the forwarded port; "quit" is answered "bye" and ends the run.
     */
    @Test
    void aHostUdpClientGetsItsDatagramsEchoedThroughTheForwardedPort() throws Exception {
        Manifest m = Manifest.parse(Fixtures.manifest("t_net_udp_host.toml"), "t_net_udp_host.toml");
        // (restricted, libslirp keeps the guest's UDP inside: the answers would never leave)
        KernelConfig cfg =
                Fixtures.CONFIG.withNet(NetOptions.parse(List.of("hostfwd=udp:127.0.0.1:0-:7", "restrict=off")));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (Kernel k = new Kernel(cfg, m, ImageSource.classpath(SystemImage.BUILTIN_FOLDER), new Uart(console), null);
                java.net.DatagramSocket udp = new java.net.DatagramSocket()) {
            java.net.InetSocketAddress to = new java.net.InetSocketAddress(
                    "127.0.0.1", k.netForwards().get("eth0").get(0).hostPort());
            CompletableFuture<SystemResult> run = CompletableFuture.supplyAsync(k::run);
            udp.setSoTimeout(500);
            byte[] in = new byte[2048];
            int[] sizes = {1, 100, 1000, 1472};
            for (int k2 = 0; k2 < sizes.length; k2++) {
                byte[] out = new byte[sizes[k2]];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (byte) (i * 31 + k2);
                }
                out[0] = 'e';
                java.net.DatagramPacket back = new java.net.DatagramPacket(in, in.length);
                // (the first datagrams may come before the guest has bound its port: sent again)
                for (int tries = 0; ; tries++) {
                    udp.send(new java.net.DatagramPacket(out, out.length, to));
                    try {
                        udp.receive(back);
                        break;
                    } catch (java.net.SocketTimeoutException e) {
                        assertTrue(tries < 60, "no echo of " + out.length + " bytes: " + console);
                    }
                }
                assertArrayEquals(out, java.util.Arrays.copyOf(in, back.getLength()), "echo of " + out.length);
                assertEquals(to, back.getSocketAddress());
            }
            byte[] quit = "quit".getBytes(StandardCharsets.US_ASCII);
            java.net.DatagramPacket bye = new java.net.DatagramPacket(in, in.length);
            udp.send(new java.net.DatagramPacket(quit, quit.length, to));
            udp.receive(bye);
            assertEquals("bye", new String(in, 0, bye.getLength(), StandardCharsets.US_ASCII));
            SystemResult r = run.get(30, TimeUnit.SECONDS);
            String out = console.toString(StandardCharsets.UTF_8);
            assertTrue(out.contains("net_udp: server ok answered=4"), out);
            assertEquals(SystemResult.Outcome.OK, r.outcome(), out);
        }
    }

    /**
     * The NIC driver killed twice in the middle of a 1 MB /big under recovery = "restart": the
     * stack reopens its session with the restarted driver (its calls answered EDEAD), TCP
     * retransmits what the driver lost, and every byte arrives.
     */
    @Test
    void aTransferSurvivesTheNicDriverKilledMidwayUnderRestart() throws Exception {
        String toml = Fixtures.manifest("t_net_http_quit.toml");
        Manifest m = Manifest.parse(toml, "t_net_http_quit.toml");
        m = m.withTasks(m.tasks().stream()
                .map(t -> t.name().equals("nic") ? t.withRecovery(dev.rewind.kernel.image.RecoveryPolicy.RESTART) : t)
                .toList()); // (the image has the shadow: here the driver restarts in plain sight)
        KernelConfig cfg = Fixtures.CONFIG.withNet(NetOptions.parse(List.of("hostfwd=tcp:127.0.0.1:0-:80")));
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        DriverKiller killer = new DriverKiller("nic", 40, 400, 900);
        try (Kernel k =
                new Kernel(cfg, m, ImageSource.classpath(SystemImage.BUILTIN_FOLDER), new Uart(console), null)) {
            k.setProbe(killer);
            int port = k.netForwards().get("eth0").get(0).hostPort();
            CompletableFuture<SystemResult> run = CompletableFuture.supplyAsync(k::run);
            String base = "http://127.0.0.1:" + port;
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
            assertEquals(200, getWhenUp(http, base + "/").statusCode());
            int n = 1_000_000;
            HttpResponse<byte[]> big = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/big?n=" + n))
                            .timeout(Duration.ofSeconds(60))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, big.statusCode());
            byte[] want = new byte[n];
            for (int i = 0; i < n; i++) {
                want[i] = (byte) (i * 7 + 3);
            }
            assertArrayEquals(want, big.body(), "every byte of /big");
            http.send(get(base + "/quit"), HttpResponse.BodyHandlers.ofString());
            SystemResult r = run.get(30, TimeUnit.SECONDS);
            String out = console.toString(StandardCharsets.UTF_8);
            assertEquals(List.of(400, 900), killer.struck(), out);
            assertEquals(3, r.task("nic").id().generation(), out);
            assertEquals(SystemResult.Outcome.OK, r.outcome(), out);
        }
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    /** GET, retried while the guest is still starting (slirp accepts before the guest listens). */
    private static HttpResponse<String> getWhenUp(HttpClient http, String url) throws Exception {
        Exception last = null;
        for (int i = 0; i < 40; i++) {
            try {
                return http.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(3))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                last = e;
                Thread.sleep(250);
            }
        }
        throw last;
    }

    /** Sends {@code request} on a fresh connection; everything until the server closes it. */
    private static String raw(int port, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            OutputStream o = s.getOutputStream();
            o.write(request.getBytes(StandardCharsets.US_ASCII));
            o.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
