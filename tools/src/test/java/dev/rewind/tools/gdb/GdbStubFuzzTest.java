package dev.rewind.tools.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.Uart;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.debug.DebugTarget;
import dev.rewind.kernel.debug.KernelDebugger;
import dev.rewind.tools.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile input: at least 10,000 random and mutated packets (seeded), framed correctly or not,
 * must never crash the stub, the kernel or the JVM, and a valid packet is still answered after.
 * {@code -Dfuzz.seed=N} replaces the seeds (as for the host-input fuzzers in tools/fuzz).
 */
class GdbStubFuzzTest {
    static final String[] TEMPLATES = {
        "?",
        "g",
        "G" + "00".repeat(33 * 8),
        "p20",
        "p0",
        "P5=0100000000000000",
        "m10000,40",
        "m7fff0000,1000",
        "M10000,4:01020304",
        "X10000,4:abcd",
        "X10000,0:",
        "Z0,102ec,2",
        "z0,102ec,2",
        "Z1,10000,4",
        "Z2,13030,8",
        "z2,13030,8",
        "Z3,13000,4",
        "Z4,13000,1",
        "Hg1",
        "Hg2",
        "Hc-1",
        "Hg0",
        "T1",
        "T2",
        "qfThreadInfo",
        "qsThreadInfo",
        "qThreadExtraInfo,1",
        "qC",
        "qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+",
        "qXfer:features:read:target.xml:0,ffb",
        "qXfer:features:read:target.xml:400,100",
        "qAttached",
        "qRcmd,7461736b73",
        "qRcmd,68656c70",
        "qRcmd,73636f7065",
        "vCont?",
        "vCont;c",
        "vCont;s:1",
        "vCont;s:2;c",
        "c",
        "s",
        "C05",
        "S0b",
        "D",
        "k",
        "vKill;1",
        "QStartNoAckMode",
        "qTStatus",
        "vMustReplyEmpty",
        "qSymbol::",
        "qOffsets",
        "Hgp1.1",
        "vCont;c:p2.-1",
        "Tp2.1",
        "vFile:open:2f6574632f706173737764,0,0",
        "vFile:setfs:0",
        "vFile:pread:3,4000,0",
        "vFile:fstat:3",
        "vFile:stat:2f746d70",
        "vFile:close:3",
        "vFile:unlink:2f746d70",
        "qGetTLSAddr:1,0,0",
        "!",
        "R00",
        "bc",
        "bs",
    };
    /** A valid packet whose reply no fuzz packet can produce. */
    static final String MARKER = "qRcmd," + PacketCodec.toHex("marker-after-fuzz");

    static final String MARKER_REPLY = PacketCodec.toHex("unknown monitor command 'marker-after-fuzz'");
    static final byte[] SPECIALS = {':', ',', ';', '#', '$', '}', '*', 3, '-', '+', '=', 0, (byte) 0xff, 'p', '.'};

    /** One packet (or raw junk) to send; never null. */
    static byte[] nextInput(Random rnd) {
        int kind = rnd.nextInt(10);
        if (kind == 0) { // raw junk, unframed; "$#z" then closes any frame it opened, with a bad checksum
            byte[] junk = new byte[rnd.nextInt(64) + 3];
            rnd.nextBytes(junk);
            junk[junk.length - 3] = '$';
            junk[junk.length - 2] = '#';
            junk[junk.length - 1] = 'z';
            return junk;
        }
        byte[] payload = mutate(rnd, TEMPLATES[rnd.nextInt(TEMPLATES.length)].getBytes(StandardCharsets.ISO_8859_1));
        byte[] framed = PacketCodec.frame(payload);
        if (kind == 1) { // bad checksum
            framed[framed.length - 1] = (byte) "0123456789abcdef".charAt(rnd.nextInt(16));
        }
        return framed;
    }

    static byte[] mutate(Random rnd, byte[] p) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int how = rnd.nextInt(8);
        switch (how) {
            case 0 -> out.writeBytes(p); // valid
            case 1 -> { // flip bytes
                byte[] q = p.clone();
                for (int i = 0; i < 1 + rnd.nextInt(3) && q.length > 0; i++) {
                    q[rnd.nextInt(q.length)] = (byte) rnd.nextInt(256);
                }
                out.writeBytes(q);
            }
            case 2 -> out.write(p, 0, rnd.nextInt(p.length + 1)); // truncate
            case 3 -> { // insert specials
                int at = rnd.nextInt(p.length + 1);
                out.write(p, 0, at);
                for (int i = 0; i < 1 + rnd.nextInt(4); i++) {
                    out.write(SPECIALS[rnd.nextInt(SPECIALS.length)]);
                }
                out.write(p, at, p.length - at);
            }
            case 4 -> { // huge or odd numbers after the command
                out.write(p, 0, Math.min(p.length, 1 + rnd.nextInt(2)));
                String[] nums = {
                    "ffffffffffffffff",
                    "fffffffffffffffff0",
                    "-1",
                    "0",
                    "7fffffff",
                    "80000000,ffffffff",
                    "0,0",
                    ",",
                    "1,ffffffff",
                    "10000,10000",
                    "ffffffffffff0000,20"
                };
                out.writeBytes(nums[rnd.nextInt(nums.length)].getBytes(StandardCharsets.ISO_8859_1));
            }
            case 5 -> { // random binary payload
                byte[] q = new byte[rnd.nextInt(100)];
                rnd.nextBytes(q);
                out.writeBytes(q);
            }
            case 6 -> { // duplicate
                out.writeBytes(p);
                out.writeBytes(p);
            }
            default -> { // long
                out.writeBytes(p);
                byte[] q = new byte[rnd.nextInt(20_000)];
                java.util.Arrays.fill(q, (byte) "0af,:;".charAt(rnd.nextInt(6)));
                out.writeBytes(q);
            }
        }
        return out.toByteArray();
    }

    /** Collects everything a stub writes, so the test can look for one reply at the end. */
    static final class Drain extends Thread {
        final InputStream in;
        final StringBuffer seen = new StringBuffer();

        Drain(InputStream in) {
            this.in = in;
            setDaemon(true);
        }

        @Override
        public void run() {
            byte[] buf = new byte[65536];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    seen.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    if (seen.length() > 1_000_000) {
                        seen.delete(0, seen.length() - 100_000);
                    }
                }
            } catch (IOException e) {
                // closed
            }
        }

        boolean awaitContains(String s, long millis) throws InterruptedException {
            long deadline = System.currentTimeMillis() + millis;
            while (System.currentTimeMillis() < deadline) {
                if (seen.indexOf(s) >= 0) {
                    return true;
                }
                Thread.sleep(5);
            }
            return false;
        }

        /** True once the other end closed the connection (within {@code millis}). */
        boolean awaitClosed(long millis) throws InterruptedException {
            join(millis);
            return !isAlive();
        }
    }

    /** A connection to the stub's server; a detach or kill ends it, and the test connects again. */
    static final class Conn implements AutoCloseable {
        final Socket sock;
        final OutputStream out;
        final Drain drain;

        Conn(int port) throws IOException {
            sock = new Socket(InetAddress.getLoopbackAddress(), port);
            sock.setTcpNoDelay(true);
            out = sock.getOutputStream();
            drain = new Drain(sock.getInputStream());
            drain.start();
        }

        @Override
        public void close() throws IOException {
            sock.close();
        }
    }

    /** With inferiors (gdb's multiprocess), threads 2 and 3 also end and come back now and then. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void fakeTargetSurvives12000HostilePacketsIncludingResumesDetachesAndKills(boolean inferiors) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Random rnd = new Random(Long.getLong("fuzz.seed", 0x5eed));
            FakeTarget target = new FakeTarget();
            try (GdbServer server =
                    new GdbServer(target, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), inferiors)) {
                server.start();
                Conn c = new Conn(server.port());
                int connections = 1;
                for (int i = 0; i < 12_000; i++) {
                    if (inferiors && i % 500 == 0) {
                        int t = 2 + rnd.nextInt(2);
                        if (target.ends.containsKey(t)) {
                            target.ends.remove(t);
                        } else {
                            target.ends.put(
                                    t,
                                    new DebugTarget.StopEvent(
                                            rnd.nextBoolean()
                                                    ? DebugTarget.StopKind.EXITED
                                                    : DebugTarget.StopKind.TERMINATED,
                                            t,
                                            rnd.nextInt(256),
                                            "fuzz end"));
                        }
                    }
                    byte[] in = nextInput(rnd);
                    try {
                        c.out.write(in);
                        if (endsSession(in)) { // D, k or vKill may have ended the session: start afresh
                            c.out.flush();
                            c.close();
                            target.killed = false;
                            c = new Conn(server.port());
                            connections++;
                        }
                    } catch (IOException e) {
                        c.close();
                        target.killed = false;
                        c = new Conn(server.port());
                        connections++;
                    }
                }
                c.out.write(PacketCodec.frame(MARKER));
                c.out.flush();
                assertTrue(c.drain.awaitContains(MARKER_REPLY, 30_000), "no answer after the fuzz");
                c.close();
                assertTrue(connections > 1);
            }
        });
    }

    /** True for input holding a frame that starts like D, k or vKill. */
    static boolean endsSession(byte[] in) {
        String s = new String(in, StandardCharsets.ISO_8859_1);
        for (String frame : s.split("\\$", -1)) {
            if (frame.startsWith("D") || frame.startsWith("k") || frame.startsWith("vKill")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void realKernelOverLoopbackSurvives10000HostilePackets() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            try (HeldSystem sys = new HeldSystem("demo.toml", 170_000_000_000L)) {
                KernelDebugger dbg = sys.dbg;
                Thread runner = sys.runner;
                try (GdbServer server = sys.serve()) {
                    try (Socket sock = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                        sock.setTcpNoDelay(true);
                        OutputStream out = sock.getOutputStream();
                        Drain drain = new Drain(sock.getInputStream());
                        drain.start();
                        out.write(PacketCodec.frame("?"));
                        out.flush();
                        assertTrue(drain.awaitContains("$T05thread:1;", 30_000), drain.seen.toString());
                        Random rnd = new Random(Long.getLong("fuzz.seed", 0xdecaf));
                        int sent = 0;
                        while (sent < 10_000) {
                            byte[] in = nextInput(rnd);
                            if (resumes(in)) {
                                continue; // the system must stay halted: no resume, detach or kill
                            }
                            out.write(in);
                            sent++;
                        }
                        out.write(PacketCodec.frame(MARKER));
                        out.flush();
                        assertTrue(drain.awaitContains(MARKER_REPLY, 30_000), "no answer after the fuzz");
                        assertTrue(dbg.halted(), "the system stayed stopped");
                        assertTrue(runner.isAlive());
                        out.write(PacketCodec.frame("D"));
                        out.flush();
                        assertTrue(drain.awaitContains("$OK#9a", 10_000));
                    }
                    runner.join(120_000);
                    assertFalse(runner.isAlive(), "the system runs on after the detach and ends");
                    assertNull(sys.crash.get());
                    assertTrue(sys.result.get() != null);
                    server.systemEnded(sys.result.get().outcome().exitStatus());
                }
            }
        });
    }

    /**
     * {@code --gdb-wait}: a connection that never speaks the protocol (a readiness probe such as
     * {@code nc -z}, noise, a bad checksum) is no debugger: the system stays held before its first
     * instruction until a real one attaches (it ran to its end before).
     */
    @Test
    void portProbesDoNotReleaseASystemThatWaitsForItsDebugger() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            try (HeldSystem sys = new HeldSystem("hello.elf", 100_000_000_000L)) {
                Thread runner = sys.runner;
                ByteArrayOutputStream console = sys.console;
                try (GdbServer server = sys.serve()) {
                    for (String probe : new String[] {"", "garbage", "$qSupported#00", "\u0003"}) {
                        try (Conn c = new Conn(server.port())) {
                            c.out.write(probe.getBytes(StandardCharsets.ISO_8859_1));
                            c.out.flush();
                        }
                    }
                    Thread.sleep(1000);
                    assertTrue(runner.isAlive(), "the system still waits for its debugger");
                    assertEquals("", console.toString(StandardCharsets.UTF_8), "no instruction ran");
                    try (Conn c = new Conn(server.port())) {
                        c.out.write(PacketCodec.frame("?"));
                        c.out.flush();
                        assertTrue(c.drain.awaitContains("$T05thread:1;", 30_000), c.drain.seen.toString());
                        c.out.write(PacketCodec.frame("D"));
                        c.out.flush();
                        assertTrue(c.drain.awaitContains("$OK#9a", 10_000));
                    }
                    runner.join(60_000);
                    assertFalse(runner.isAlive(), "the debugger detached: the system ran to its end");
                    assertTrue(
                            console.toString(StandardCharsets.UTF_8).contains("hello from rewind"), console.toString());
                    server.systemEnded(sys.result.get().outcome().exitStatus());
                }
            }
        });
    }

    /**
     * {@code --gdb-wait}: gdb connects and speaks the protocol, then gives up on the handshake and
     * closes the connection without {@code D} (what gdb-multiarch does with {@code set non-stop
     * on}: the stub has no non-stop mode). No debugger took control, so the system stays held
     * before its first instruction, and the breakpoint that connection set is forgotten: the next
     * debugger finds the system at its start, and its {@code continue} runs it to the end (it ran
     * to its end with no debugger before).
     */
    @Test
    void aHandshakeGdbGaveUpOnDoesNotReleaseASystemThatWaitsForItsDebugger() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            long main = ElfImage.parse(Fixtures.builtinBytes("hello.elf"), "hello.elf")
                    .symbol("main")
                    .getAsLong();
            try (HeldSystem sys = new HeldSystem("hello.elf", 100_000_000_000L)) {
                try (GdbServer server = sys.serve()) {
                    try (Conn c = new Conn(server.port())) {
                        // gdb 13.1's handshake with `set non-stop on`, up to where it gives up
                        for (String p : new String[] {
                            "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;"
                                    + "exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;"
                                    + "xmlRegisters=i386",
                            "vMustReplyEmpty",
                            "Hg0",
                            "qXfer:features:read:target.xml:0,1000",
                            "Z0," + Long.toHexString(main) + ",4",
                            MARKER
                        }) {
                            c.out.write(PacketCodec.frame(p));
                        }
                        c.out.flush();
                        assertTrue(c.drain.awaitContains(MARKER_REPLY, 30_000), c.drain.seen.toString());
                    }
                    Thread.sleep(1000);
                    assertTrue(sys.runner.isAlive(), "the system still waits for its debugger");
                    assertEquals("", sys.console.toString(StandardCharsets.UTF_8), "no instruction ran");
                    try (Conn c = new Conn(server.port())) {
                        c.out.write(PacketCodec.frame("?"));
                        c.out.flush();
                        assertTrue(c.drain.awaitContains("$T05thread:1;", 30_000), c.drain.seen.toString());
                        c.out.write(PacketCodec.frame("c"));
                        c.out.flush();
                        sys.runner.join(60_000);
                        assertFalse(
                                sys.runner.isAlive(),
                                "continued: the system ran to its end, past the forgotten breakpoint at main");
                        server.systemEnded(sys.result.get().outcome().exitStatus());
                        assertTrue(c.drain.awaitContains("$W00", 10_000), c.drain.seen.toString());
                    }
                    assertTrue(
                            sys.console.toString(StandardCharsets.UTF_8).contains("hello from rewind"),
                            sys.console.toString());
                }
            }
        });
    }

    /**
     * A built-in image's system held for its debugger ({@link KernelDebugger}, waiting), to run on
     * a thread of its own once {@link #runner} starts; closing kills it if it still runs.
     */
    private static final class HeldSystem implements AutoCloseable {
        final ByteArrayOutputStream console = new ByteArrayOutputStream();
        final KernelDebugger dbg;
        final AtomicReference<SystemResult> result = new AtomicReference<>();
        final AtomicReference<Throwable> crash = new AtomicReference<>();
        final Thread runner;

        HeldSystem(String image, long budgetNanos) throws Exception {
            SystemImage img = SystemImage.builtin(image);
            Kernel kernel = new Kernel(
                    KernelConfig.defaults().withBudgetNanos(budgetNanos),
                    img.manifest(),
                    img.source(),
                    new Uart(console),
                    null);
            dbg = new KernelDebugger(kernel, true);
            // the kernel thread closes its kernel: never close an engine under a running thread
            runner = new Thread(
                    () -> {
                        try (kernel) {
                            result.set(kernel.run());
                        }
                    },
                    "kernel");
            runner.setUncaughtExceptionHandler((t, e) -> crash.set(e));
            runner.setDaemon(true);
        }

        /** A stub for it on a free loopback port, started, and the system's run started. */
        GdbServer serve() throws IOException {
            GdbServer server = new GdbServer(dbg, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.start();
            runner.start();
            return server;
        }

        @Override
        public void close() {
            if (runner.isAlive()) {
                dbg.kill();
            }
        }
    }

    /**
     * A connection that sends nothing (a forgotten {@code nc}) does not hold the one debugger
     * slot: the next connection is served at once and the silent one closed (gdb waited behind
     * it, and gives up on a stub that does not answer within about two seconds).
     */
    @Test
    void aSilentConnectionGivesWayToTheNextOne() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            try (HeldSystem sys = new HeldSystem("hello.elf", 100_000_000_000L)) {
                try (GdbServer server = sys.serve()) {
                    try (Conn silent = new Conn(server.port());
                            Conn gdb = new Conn(server.port())) {
                        long t0 = System.nanoTime();
                        gdb.out.write(PacketCodec.frame("?"));
                        gdb.out.flush();
                        assertTrue(gdb.drain.awaitContains("$T05thread:1;", 30_000), gdb.drain.seen.toString());
                        long waited = (System.nanoTime() - t0) / 1_000_000;
                        assertTrue(waited < 1_500, "served at once: " + waited + " ms");
                        assertTrue(silent.drain.awaitClosed(10_000), "the silent connection was closed");
                        gdb.out.write(PacketCodec.frame("D"));
                        gdb.out.flush();
                        assertTrue(gdb.drain.awaitContains("$OK#9a", 10_000));
                    }
                    sys.runner.join(60_000);
                    assertFalse(sys.runner.isAlive(), "the debugger detached: the system ran to its end");
                    server.systemEnded(sys.result.get().outcome().exitStatus());
                }
            }
        });
    }

    /**
     * A second debugger while one is attached is refused at once, each packet answered with an
     * error that says why (gdb shows it and gives up), and the first is served on. Before, the
     * second connection was left unanswered: gdb gave up after about 28 seconds of timeouts with
     * `Remote replied unexpectedly to 'vMustReplyEmpty': timeout`, and the packets it had sent
     * stayed in the socket, to be served as a debugger once the first detached.
     */
    @Test
    void aSecondDebuggerWhileOneIsAttachedIsRefusedWithAReason() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            try (HeldSystem sys = new HeldSystem("hello.elf", 100_000_000_000L)) {
                try (GdbServer server = sys.serve()) {
                    try (Conn first = new Conn(server.port())) {
                        first.out.write(PacketCodec.frame("?"));
                        first.out.flush();
                        assertTrue(first.drain.awaitContains("$T05thread:1;", 30_000), first.drain.seen.toString());
                        try (Conn second = new Conn(server.port())) {
                            long t0 = System.nanoTime();
                            second.out.write(PacketCodec.frame("qSupported:multiprocess+;swbreak+"));
                            second.out.write(PacketCodec.frame("vMustReplyEmpty"));
                            second.out.flush();
                            String busy =
                                    new String(PacketCodec.frame(GdbServer.BUSY_REPLY), StandardCharsets.ISO_8859_1);
                            assertTrue(
                                    second.drain.awaitContains(busy, 10_000),
                                    "refused with a reason: " + second.drain.seen);
                            long waited = (System.nanoTime() - t0) / 1_000_000;
                            assertTrue(waited < 1_000 + GdbServer.BUSY_GRACE_MS, "refused at once: " + waited + " ms");
                            assertTrue(second.drain.seen.indexOf("another debugger is attached") >= 0);
                            assertTrue(second.drain.seen.indexOf("$T05") < 0, "the second was not served");
                        }
                        first.out.write(PacketCodec.frame("qC"));
                        first.out.flush();
                        assertTrue(first.drain.awaitContains("$QC", 10_000), "the first is served on");
                        first.out.write(PacketCodec.frame("D"));
                        first.out.flush();
                        assertTrue(first.drain.awaitContains("$OK#9a", 10_000));
                    }
                    sys.runner.join(60_000);
                    assertFalse(sys.runner.isAlive(), "the debugger detached: the system ran to its end");
                    server.systemEnded(sys.result.get().outcome().exitStatus());
                }
            }
        });
    }

    /** True for input that could resume, detach or kill: c C s S D k v... (and vCont, vKill). */
    static boolean resumes(byte[] in) {
        String s = new String(in, StandardCharsets.ISO_8859_1);
        for (String frame : s.split("\\$", -1)) {
            if (!frame.isEmpty() && "cCsSDkvbR".indexOf(frame.charAt(0)) >= 0) {
                return true;
            }
        }
        return false;
    }

    @Test
    void resumeFilter() {
        assertTrue(resumes(PacketCodec.frame("c")));
        assertTrue(resumes(PacketCodec.frame("vCont;c")));
        assertFalse(resumes(PacketCodec.frame("qC")));
        assertEquals(List.of(), List.of());
    }
}
