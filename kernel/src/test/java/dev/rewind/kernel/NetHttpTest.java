package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.NetOptions;
import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.image.RecoveryPolicy;
import dev.rewind.kernel.image.TaskSpec;
import dev.rewind.kernel.probe.DriverKiller;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The network end to end (issue 17): t_net_http boots with a host port forwarded to the guest's
 * port 80 (user-mode networking, nothing leaves this machine), and a real HTTP client on the
 * host (java.net.http) talks to the guest's HTTP server through the NIC driver task and the lwIP
 * stack server; then the NIC driver is killed in the middle of a transfer under shadow, restart
 * and none.
 */
class NetHttpTest {
    /** The /big?n= pattern of http_server.c: byte i is (i * 7 + 3) & 0xff. */
    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ((i * 7 + 3) & 0xff);
        }
        return b;
    }

    /** A booted t_net_http, its kernel running on its own thread until {@link #close}. */
    static final class Net implements AutoCloseable {
        final Kernel kernel;
        final int port;
        final ByteArrayOutputStream console = new ByteArrayOutputStream();
        final List<String> faults = Collections.synchronizedList(new ArrayList<>());
        final List<String> recoveries = Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;
        private volatile SystemResult result;

        Net(RecoveryPolicy nicPolicy, KernelProbe probe) throws Exception {
            this("nic", nicPolicy, probe);
        }

        /** t_net_http with task {@code task}'s recovery policy replaced. */
        Net(String task, RecoveryPolicy policy, KernelProbe probe) throws Exception {
            this(task, policy, probe, "hostfwd=tcp:127.0.0.1:0-:80");
        }

        /** ... with these --net specs (the first forward: the HTTP port). */
        Net(String task, RecoveryPolicy policy, KernelProbe probe, String... netSpecs) throws Exception {
            this("t_net_http.toml", task, policy, probe, netSpecs);
        }

        /** The built-in image {@code image}, booted as above (the first forward: its server's port). */
        Net(String image, String task, RecoveryPolicy policy, KernelProbe probe, String... netSpecs) throws Exception {
            SystemImage img = SystemImage.builtin(image);
            List<TaskSpec> tasks = new ArrayList<>();
            for (TaskSpec t : img.manifest().tasks()) {
                tasks.add(t.name().equals(task) ? t.withRecovery(policy) : t);
            }
            KernelObserver obs = new KernelObserver() {
                @Override
                public void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {
                    faults.add(task.name() + ": " + fault.kind() + " -> " + outcome);
                }

                @Override
                public void driverRecovered(
                        Task driver, Fault fault, int replayed, int reissued, int held, long nanos) {
                    recoveries.add(driver.name() + " replayed=" + replayed + " reissued=" + reissued);
                }
            };
            KernelConfig cfg = Fixtures.CONFIG.withNet(NetOptions.parse(List.of(netSpecs)));
            kernel = new Kernel(cfg, img.manifest().withTasks(tasks), img.source(), new Uart(console), obs);
            if (probe != null) {
                kernel.setProbe(probe);
            }
            port = kernel.netForwards().get("eth0").get(0).hostPort();
            thread = new Thread(() -> result = kernel.run(), "net-http-kernel");
            thread.start();
        }

        String console() {
            synchronized (console) {
                return console.toString(StandardCharsets.UTF_8);
            }
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        @Override
        public void close() throws Exception {
            kernel.requestStop();
            thread.join(30_000);
            kernel.close();
        }

        @Override
        public String toString() {
            return "console:\n" + console() + "\nfaults: " + faults + "\nrecoveries: " + recoveries + "\nresult: "
                    + result;
        }
    }

    static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * GET {@code path}, the whole body within {@code timeoutSeconds} (HttpRequest's own timeout
     * ends at the headers: a body that stops coming would hang the test).
     */
    static HttpResponse<byte[]> get(Net net, String path, int timeoutSeconds) throws IOException, InterruptedException {
        var future = CLIENT.sendAsync(
                HttpRequest.newBuilder(net.uri(path))
                        .timeout(Duration.ofSeconds(timeoutSeconds))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        try {
            return future.get(timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            future.cancel(true);
            throw new java.net.http.HttpTimeoutException(
                    "no complete answer to GET " + path + " in " + timeoutSeconds + " s");
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /** Wait until the guest answers GET / (the stack takes its address, the server listens). */
    static void awaitServing(Net net) throws Exception {
        long end = System.nanoTime() + 30_000_000_000L;
        Exception last = null;
        while (System.nanoTime() < end) {
            try {
                HttpResponse<byte[]> r = get(net, "/", 5);
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the guest never answered GET /: " + last + "\n" + net);
    }

    @Test
    void aHostHttpClientGetsPagesAndKvValuesFromTheGuest() throws Exception {
        try (Net net = new Net(RecoveryPolicy.SHADOW, null)) {
            awaitServing(net);
            HttpResponse<byte[]> page = get(net, "/", 10);
            assertEquals(200, page.statusCode(), net::toString);
            assertTrue(new String(page.body(), StandardCharsets.UTF_8).contains("Hello from Rewind"), net::toString);

            HttpResponse<String> put = CLIENT.send(
                    HttpRequest.newBuilder(net.uri("/kv/greeting"))
                            .timeout(Duration.ofSeconds(10))
                            .PUT(HttpRequest.BodyPublishers.ofString("hello over lwIP"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(put.statusCode() / 100 == 2, () -> put.statusCode() + " " + put.body() + "\n" + net);
            HttpResponse<byte[]> value = get(net, "/kv/greeting", 10);
            assertEquals("hello over lwIP", new String(value.body(), StandardCharsets.UTF_8).trim(), net::toString);
            assertEquals(404, get(net, "/kv/absent", 10).statusCode(), net::toString);
            assertEquals(404, get(net, "/nothing-here", 10).statusCode(), net::toString);

            HttpResponse<byte[]> big = get(net, "/big?n=500000", 30);
            assertEquals(200, big.statusCode(), net::toString);
            assertArrayEquals(pattern(500_000), big.body(), "every byte of /big");
            // "Connection: close" with more requests pipelined behind it: the server closes with
            // data it never read, and the whole answer still arrives (no RST cutting it short)
            for (int i = 0; i < 5; i++) {
                try (java.net.Socket c = new java.net.Socket("127.0.0.1", net.port)) {
                    c.setSoTimeout(20_000);
                    String req = "GET /big?n=20000 HTTP/1.1\r\nConnection: close\r\n\r\n" + "GET / HTTP/1.1\r\nX-Pad: "
                            + "p".repeat(200) + "\r\n\r\n".repeat(1);
                    c.getOutputStream()
                            .write((req + ("GET / HTTP/1.1\r\n\r\n").repeat(300)).getBytes(StandardCharsets.US_ASCII));
                    byte[] all = c.getInputStream().readAllBytes();
                    String text = new String(all, StandardCharsets.ISO_8859_1);
                    int body = text.indexOf("\r\n\r\n") + 4;
                    assertTrue(
                            text.startsWith("HTTP/1.1 200 OK\r\n") && body > 4,
                            text.substring(0, Math.min(200, text.length())));
                    assertArrayEquals(
                            pattern(20_000), java.util.Arrays.copyOfRange(all, body, all.length), "round " + i);
                }
            }
            assertTrue(net.faults.isEmpty(), net::toString);
        }
    }

    /**
     * Clients that connect and send nothing (or half a request) take every connection slot of
     * http_server; it closes the one waiting longest once every slot is taken, so a real client
     * is still served, and a half-sent request head is answered 408.
     */
    @Test
    void idleConnectionsCannotDenyService() throws Exception {
        try (Net net = new Net(RecoveryPolicy.SHADOW, null)) {
            awaitServing(net);
            List<java.net.Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 12; i++) { // more than http_server's 8 slots
                    java.net.Socket c = new java.net.Socket("127.0.0.1", net.port);
                    c.setSoTimeout(20_000);
                    if (i == 0) {
                        c.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    idle.add(c);
                }
                for (int i = 0; i < 3; i++) {
                    assertEquals(200, get(net, "/", 20).statusCode(), net::toString);
                }
                // the half-sent head was the first to wait: closed with 408
                String answer = new String(idle.get(0).getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(answer.startsWith("HTTP/1.1 408 Request Timeout\r\n"), answer);
                // a head with a NUL byte (binary, TLS) is refused at once, not left to time out
                try (java.net.Socket bin = new java.net.Socket("127.0.0.1", net.port)) {
                    bin.setSoTimeout(20_000);
                    bin.getOutputStream()
                            .write("GET / HTTP/1.1\r\nX: a\u0000b\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    String bad = new String(bin.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                    assertTrue(bad.startsWith("HTTP/1.1 400 Bad Request\r\n"), bad);
                }
            } finally {
                for (java.net.Socket c : idle) {
                    c.close();
                }
            }
            assertTrue(net.faults.isEmpty(), net::toString);
        }
    }

    /**
     * A client that asks for a huge answer and never reads it delays nobody (http_server never
     * waits on one connection), and is dropped once its answer has made no progress for 10 s.
     */
    @Test
    void aClientThatStopsReadingDelaysNobodyAndIsDropped() throws Exception {
        try (Net net = new Net(RecoveryPolicy.SHADOW, null)) {
            awaitServing(net);
            try (java.net.Socket stuck = new java.net.Socket()) {
                stuck.setReceiveBufferSize(4096);
                stuck.connect(new java.net.InetSocketAddress("127.0.0.1", net.port));
                stuck.getOutputStream()
                        .write("GET /big?n=1000000000 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(500); // its answer has begun, and stopped
                for (int i = 0; i < 3; i++) {
                    assertEquals(200, get(net, "/", 5).statusCode(), net::toString);
                }
                // after 10 s without progress it is dropped: what it reads then ends (EOF or a
                // reset) with what the stacks had buffered, far short of its billion bytes
                Thread.sleep(12_000);
                // (the guest's 10 s are its clock's: on a loaded machine the drop comes later, so
                // the read waits long; it ends at the drop, not at the timeout, when all is well)
                stuck.setSoTimeout(90_000);
                long read = 0;
                try {
                    byte[] b = new byte[65536];
                    for (int n; (n = stuck.getInputStream().read(b)) > 0; ) {
                        read += n;
                    }
                } catch (java.net.SocketException e) {
                    // reset by the guest's stack: dropped as well
                }
                assertTrue(read < 100_000_000, "read " + read);
            }
            assertTrue(net.faults.isEmpty(), net::toString);
        }
    }

    /**
     * More clients connect at once than http_server has slots and the stack holds for it: each
     * is answered, none is reset (a full accept queue drops the SYN, which the peer sends again,
     * as on any other host).
     */
    @Test
    void aBurstOfConnectionsIsAnsweredWithoutResets() throws Exception {
        try (Net net = new Net(RecoveryPolicy.SHADOW, null)) {
            awaitServing(net);
            int n = 150; // beyond the backlog (128) and http_server's 8 slots
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
            try {
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    answers.add(pool.submit(() -> {
                        go.await();
                        try (java.net.Socket c = new java.net.Socket("127.0.0.1", net.port)) {
                            c.setSoTimeout(40_000);
                            c.getOutputStream()
                                    .write("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
                                            .getBytes(StandardCharsets.US_ASCII));
                            String a = new String(c.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                            return a.substring(0, Math.min(15, a.length()));
                        } catch (IOException e) {
                            return e.toString();
                        }
                    }));
                }
                go.countDown();
                for (var a : answers) {
                    assertEquals("HTTP/1.1 200 OK", a.get(60, java.util.concurrent.TimeUnit.SECONDS), net::toString);
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(net.faults.isEmpty(), net::toString);
        }
    }

    /**
     * Clients that are slow but steady (one reading a long answer a little at a time, one
     * trickling a PUT body) hold nobody else up: http_server serves its connections interleaved
     * and never waits on one of them.
     */
    @Test
    void slowClientsDelayNobody() throws Exception {
        try (Net net = new Net(RecoveryPolicy.SHADOW, null)) {
            awaitServing(net);
            try (java.net.Socket reader = new java.net.Socket();
                    java.net.Socket putter = new java.net.Socket("127.0.0.1", net.port)) {
                reader.setReceiveBufferSize(4096);
                reader.connect(new java.net.InetSocketAddress("127.0.0.1", net.port));
                reader.setSoTimeout(20_000);
                int n = 4_000_000;
                reader.getOutputStream()
                        .write(("GET /big?n=" + n + " HTTP/1.1\r\nHost: x\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                byte[] body = "trickled".getBytes(StandardCharsets.US_ASCII);
                putter.setSoTimeout(20_000);
                putter.getOutputStream()
                        .write(("PUT /kv/slow HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                java.io.InputStream in = reader.getInputStream();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] b = new byte[4096];
                int sent = 0;
                for (int round = 0; round < 6; round++) {
                    // the reader takes 4 KiB and the putter one byte per round; the others come first
                    long t0 = System.nanoTime();
                    assertEquals(200, get(net, "/", 5).statusCode(), net::toString);
                    assertEquals(404, get(net, "/kv/absent", 5).statusCode(), net::toString);
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    assertTrue(ms < 3000, "two requests took " + ms + " ms beside slow clients\n" + net);
                    int k = in.read(b);
                    assertTrue(k > 0);
                    got.write(b, 0, k);
                    putter.getOutputStream().write(body, sent++, 1);
                    Thread.sleep(300);
                }
                putter.getOutputStream().write(body, sent, body.length - sent);
                String put = new String(putter.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertEquals("HTTP/1.1 201", put);
                assertEquals("trickled", new String(get(net, "/kv/slow", 5).body(), StandardCharsets.US_ASCII));
                // the slow reader still gets every byte of its answer
                String head;
                int at;
                while ((at = (head = got.toString(StandardCharsets.ISO_8859_1)).indexOf("\r\n\r\n")) < 0) {
                    got.write(b, 0, in.read(b));
                }
                assertTrue(
                        head.startsWith("HTTP/1.1 200 OK\r\n") && head.contains("Content-Length: " + n + "\r\n"), head);
                got.write(in.readNBytes(at + 4 + n - got.size()));
                byte[] all = got.toByteArray();
                assertArrayEquals(
                        pattern(n), java.util.Arrays.copyOfRange(all, at + 4, all.length), "every byte of /big");
            }
            assertTrue(net.faults.isEmpty(), net::toString);
        }
    }

    /**
     * A client that sends to the echo server without reading its echo delays nobody (the server
     * never waits on one connection), and is dropped after 10 s without progress.
     */
    @Test
    void theEchoServerDelaysNobodyForAClientThatDoesNotReadAndDropsIt() throws Exception {
        try (Net net = new Net("t_net_echo.toml", "nic", RecoveryPolicy.SHADOW, null, "hostfwd=tcp:127.0.0.1:0-:7")) {
            long end = System.nanoTime() + 30_000_000_000L;
            while (!echoes(net.port) && System.nanoTime() < end) {
                Thread.sleep(200);
            }
            assertTrue(echoes(net.port), net::toString);
            try (java.net.Socket hog = new java.net.Socket()) {
                hog.setReceiveBufferSize(4096);
                hog.connect(new java.net.InetSocketAddress("127.0.0.1", net.port));
                Thread writer = new Thread(() -> {
                    try {
                        byte[] b = new byte[65536];
                        for (int i = 0; i < 200; i++) {
                            hog.getOutputStream().write(b);
                        }
                    } catch (IOException e) {
                        // dropped by the server: expected
                    }
                });
                writer.setDaemon(true);
                writer.start();
                Thread.sleep(1000);
                // the server never waits on the hog: the others are echoed at once
                for (int i = 0; i < 3; i++) {
                    assertTrue(echoes(net.port), () -> "no echo beside a client that does not read\n" + net);
                }
                long until = System.nanoTime() + 40_000_000_000L;
                while (!net.console().contains("ETIMEDOUT") && System.nanoTime() < until) {
                    Thread.sleep(200);
                }
            }
            assertTrue(net.console().contains("ETIMEDOUT"), net::toString);
        }
    }

    /** Whether a fresh connection gets "hello" echoed within 5 s. */
    private static boolean echoes(int port) {
        try (java.net.Socket c = new java.net.Socket()) {
            c.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
            c.setSoTimeout(5000);
            c.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            byte[] b = c.getInputStream().readNBytes(5);
            return new String(b, StandardCharsets.US_ASCII).equals("hello");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A UDP flood into a forwarded port, faster than the guest can take it: the NIC driver keeps
     * posting buffers (slow, not stalled: no false detection), and the stack serves its clients
     * between batches of frames instead of draining the card for as long as the flood lasts (no
     * starved client, no unit of work past its deadline).
     */
    @Test
    void aUdpFloodNeitherLooksLikeAStalledDriverNorStarvesTheClients() throws Exception {
        try (Net net = new Net(
                "nic", RecoveryPolicy.SHADOW, null, "hostfwd=tcp:127.0.0.1:0-:80", "hostfwd=udp:127.0.0.1:0-:7")) {
            awaitServing(net);
            int udp = net.kernel.netForwards().get("eth0").get(1).hostPort();
            java.util.concurrent.atomic.AtomicBoolean flooding = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
            Thread flood = new Thread(
                    () -> {
                        try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
                            byte[] b = new byte[1000];
                            var p = new java.net.DatagramPacket(
                                    b, b.length, java.net.InetAddress.getLoopbackAddress(), udp);
                            while (flooding.get()) {
                                s.send(p);
                                sent.incrementAndGet();
                            }
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    },
                    "udp-flood");
            flood.start();
            try {
                Thread.sleep(1500); // past the driver's stall limit and the stack's request deadline
                for (int i = 0; i < 3; i++) {
                    HttpResponse<byte[]> page = get(net, "/", 20);
                    assertEquals(200, page.statusCode(), net::toString);
                }
                Thread.sleep(1500);
            } finally {
                flooding.set(false);
                flood.join(10_000);
            }
            assertTrue(sent.get() > 10_000, "a flood: " + sent.get() + " datagrams");
            assertEquals(200, get(net, "/", 10).statusCode(), net::toString);
            assertTrue(net.faults.isEmpty(), () -> sent.get() + " datagrams\n" + net);
            assertTrue(net.recoveries.isEmpty(), net::toString);
        }
    }

    /**
     * Kills {@code task} once, {@code after} requests after the test {@link #arm}s it (the HTTP
     * server polls the stack while idle, so fixed request numbers would land before the transfer).
     */
    static final class ArmedKiller extends dev.rewind.kernel.probe.RequestStrike {
        private final int after;
        private volatile boolean armed;
        private int target = -1;
        final List<Integer> struck = Collections.synchronizedList(new ArrayList<>());

        ArmedKiller(String task, int after) {
            super(task, 40);
            this.after = after;
        }

        void arm() {
            armed = true;
        }

        @Override
        protected boolean strikes(int request) {
            if (armed && target < 0) {
                target = request + after;
            }
            return request == target;
        }

        @Override
        protected void reached(int request) {
            struck.add(request);
        }

        @Override
        protected Fault strike(Task task, int request) {
            return DriverKiller.killed(task);
        }
    }

    /** Kill the NIC driver at these of its requests (delivery numbers), 40 instructions in. */
    static DriverKiller killer(Integer... at) {
        return new DriverKiller("nic", 40, at);
    }

    @Test
    void underShadowATransferCompletesWithTheRightBytesThoughTheNicDriverIsKilledTwice() throws Exception {
        DriverKiller kill = killer(600, 1500);
        try (Net net = new Net(RecoveryPolicy.SHADOW, kill)) {
            awaitServing(net);
            HttpResponse<byte[]> big = get(net, "/big?n=2000000", 60);
            assertEquals(200, big.statusCode(), net::toString);
            assertArrayEquals(pattern(2_000_000), big.body(), "every byte of /big");
            assertEquals(List.of(600, 1500), kill.struck(), net::toString);
            assertEquals(2, net.recoveries.size(), net::toString);
            assertEquals(3, net.kernel.task("nic").generation(), net::toString);
            // Still serving afterwards.
            assertEquals(200, get(net, "/", 10).statusCode(), net::toString);
        }
    }

    @Test
    void underNoneTheTransferNeverCompletes() throws Exception {
        // none: the driver stays dead; the stack's calls fail, the transfer never completes.
        try (Net net = new Net(RecoveryPolicy.NONE, killer(600))) {
            awaitServing(net);
            boolean complete;
            try {
                HttpResponse<byte[]> big = get(net, "/big?n=2000000", 8);
                complete = big.body().length == 2_000_000;
            } catch (IOException e) {
                complete = false; // (a timeout: what the client sees)
            }
            assertFalse(complete, net::toString);
            assertEquals(TaskState.DEAD, net.kernel.task("nic").state(), net::toString);
        }
        // (restart: GuestNetTest.aTransferSurvivesTheNicDriverKilledMidwayUnderRestart.)
    }

    /**
     * The stack server faulted in the middle of a transfer. Under txipc the request is rolled back
     * and the HTTP server's call answers ERECOVERED, which the socket library makes again (it had
     * no effect): the connection, whose state lives in the stack, survives and every byte
     * arrives. Under restart the stack comes back empty: every connection it had is gone (the
     * client's transfer fails), and the HTTP server, told EDEAD, listens again on the new stack.
     */
    @Test
    void aStackFaultMidTransferIsInvisibleUnderTxipcAndCostsTheConnectionsUnderRestart() throws Exception {
        ArmedKiller txKill = new ArmedKiller("net", 150);
        try (Net net = new Net("net", RecoveryPolicy.TXIPC, txKill)) {
            awaitServing(net);
            txKill.arm();
            HttpResponse<byte[]> big = get(net, "/big?n=2000000", 60);
            assertArrayEquals(pattern(2_000_000), big.body(), net::toString);
            assertEquals(1, txKill.struck.size(), net::toString);
            assertEquals(0, net.kernel.task("net").restarts(), net::toString);
            assertTrue(
                    net.faults.stream().anyMatch(f -> f.startsWith("net: ABORT -> request rolled back")),
                    net::toString);
        }
        ArmedKiller restartKill = new ArmedKiller("net", 150);
        try (Net net = new Net("net", RecoveryPolicy.RESTART, restartKill)) {
            awaitServing(net);
            restartKill.arm();
            boolean complete;
            try {
                complete = get(net, "/big?n=2000000", 10).body().length == 2_000_000;
            } catch (IOException e) {
                complete = false;
            }
            assertFalse(complete, net::toString);
            assertEquals(1, restartKill.struck.size(), net::toString);
            assertEquals(1, net.kernel.task("net").restarts(), net::toString);
            awaitServing(net); // a new connection to the new stack
            assertTrue(net.console().contains("http: the stack restarted; listening again on port 80"), net::toString);
        }
    }
}
