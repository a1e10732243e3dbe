package dev.rewind.tools.gdb;

import dev.rewind.kernel.debug.DebugTarget;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gdb stub's TCP server: one debugger connection at a time, each served by a
 * {@link GdbSession} on a thread of its own. After a detach or a disconnect the server serves
 * the next connection, so a user can attach again; a connection that never sent a packet gives
 * way to the next at once.
 */
public final class GdbServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GdbServer.class);

    private final DebugTarget target;
    private final boolean inferiors;
    private final ServerSocket socket;
    private final Thread thread;
    private volatile GdbSession session;
    private volatile Integer endedStatus;
    private volatile boolean closed;

    /** {@link #systemEnded(int, java.util.function.Consumer)} with nothing told. */
    public void systemEnded(int status) {
        systemEnded(status, m -> {});
    }

    public GdbServer(DebugTarget target, InetSocketAddress address) throws IOException {
        this(target, address, false);
    }

    /** @param inferiors offer gdb one inferior per task (the multiprocess extensions) */
    public GdbServer(DebugTarget target, InetSocketAddress address, boolean inferiors) throws IOException {
        this.inferiors = inferiors;
        this.target = target;
        this.socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(address, 16);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        this.thread = new Thread(this::acceptLoop, "rewind-gdb");
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** The port listened on (useful after binding port 0). */
    public int port() {
        return socket.getLocalPort();
    }

    /**
     * Accept connections: each is served by a {@link GdbSession} on a thread of its own, one at
     * a time. A connection that has not sent a well-formed packet (a port probe, a forgotten
     * {@code nc}) gives way at once to the next one, so gdb is not kept waiting behind it (gdb
     * gives up on a stub that does not answer within about two seconds). A new connection while
     * a debugger is attached is refused (each packet it sends answered with an error naming the
     * reason) unless that debugger's session ends within {@link #BUSY_GRACE_MS}.
     */
    private void acceptLoop() {
        Thread serving = null;
        Socket servingSocket = null;
        while (!closed) {
            Socket c;
            try {
                c = socket.accept();
            } catch (IOException e) {
                break; // closed
            }
            if (serving != null && serving.isAlive()) {
                GdbSession s = session;
                if (s != null && !s.attached()) {
                    log.info("gdb: a connection that sent no packet gives way to a new one");
                    closeQuietly(servingSocket);
                }
                try {
                    if (s != null && s.attached()) {
                        // a debugger that has just quit (an IDE restarting its session) is
                        // given a moment to go; one still attached after it keeps the stub
                        serving.join(BUSY_GRACE_MS);
                        if (serving.isAlive()) {
                            refuse(c);
                            continue;
                        }
                    }
                    serving.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    closeQuietly(c);
                    break;
                }
            }
            GdbSession next;
            try {
                c.setTcpNoDelay(true);
                next = new GdbSession(target, c.getInputStream(), new BufferedOutputStream(c.getOutputStream()));
            } catch (IOException | RuntimeException e) {
                log.warn("gdb session failed: {}", e.toString());
                closeQuietly(c);
                continue;
            }
            next.allowMultiprocess = inferiors;
            session = next; // (before its thread starts: the next connection may ask whether it attached)
            servingSocket = c;
            serving = new Thread(() -> serve(c, next), "rewind-gdb-session");
            serving.setDaemon(true);
            serving.start();
        }
    }

    /** How long a new connection waits for an attached debugger's session to end before it is refused. */
    static final int BUSY_GRACE_MS = 1_000;

    /** The error a connection gets while another debugger is attached. */
    static final String BUSY_REPLY = "E.another debugger is attached to this system (the stub serves one at a time):"
            + " detach or quit it, then connect again";

    /**
     * A connection while another debugger is attached: every packet it sends is answered with
     * {@link #BUSY_REPLY} until it closes (gdb shows the reply and gives up at once: `Remote
     * replied unexpectedly to 'vMustReplyEmpty': E.another debugger is attached ...`), for at
     * most a few seconds. Left waiting, gdb gave up only after about 28 seconds of timeouts, with
     * no reason given, and what it had sent stayed in the socket to be served as a debugger once
     * the first one detached.
     */
    private void refuse(Socket c) {
        Thread t = new Thread(
                () -> {
                    try (c) {
                        c.setSoTimeout(5_000);
                        var in = c.getInputStream();
                        var out = new BufferedOutputStream(c.getOutputStream());
                        boolean[] warned = {false};
                        int[] answered = {0};
                        PacketReader reader = new PacketReader(payload -> {
                            try {
                                if (!warned[0]) {
                                    warned[0] = true;
                                    log.warn(
                                            "gdb: a second debugger connected from {} while one is attached:"
                                                    + " refused (one debugger at a time)",
                                            c.getRemoteSocketAddress());
                                }
                                out.write('+');
                                out.write(PacketCodec.frame(BUSY_REPLY));
                                out.flush();
                                answered[0]++;
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
                        byte[] buf = new byte[4096];
                        int n;
                        while (answered[0] < 64 && (n = in.read(buf)) > 0) {
                            reader.feed(buf, 0, n);
                        }
                    } catch (IOException | RuntimeException e) {
                        // the refused connection went away or timed out: nothing to do
                    }
                },
                "rewind-gdb-refuse");
        t.setDaemon(true);
        t.start();
    }

    private void serve(Socket c, GdbSession s) {
        try (c) {
            Integer st = endedStatus;
            if (st != null) {
                s.systemEnded(st);
            }
            log.info("gdb connected from {}", c.getRemoteSocketAddress());
            s.run();
            log.info("gdb session ended");
        } catch (IOException | RuntimeException e) {
            log.warn("gdb session failed: {}", e.toString());
        } finally {
            session = null;
        }
    }

    private static void closeQuietly(Socket c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }

    /**
     * The system ended with exit status {@code status}: tell a connected debugger (it sees the
     * process exit), waiting up to a second for the message to go out. A debugger with one
     * inferior per task hears each task's exit on its own resume: then this waits until it has
     * heard them all, detached, killed or disconnected; one with {@code target extended-remote}
     * stays connected after the end: then this waits until it detaches, kills or disconnects, at
     * most {@link GdbSession#LINGER_NANOS} after it heard the end; {@code notice} is told once if
     * either takes longer than a second.
     */
    public void systemEnded(int status, java.util.function.Consumer<String> notice) {
        endedStatus = status;
        GdbSession s = session;
        if (s != null) {
            s.systemEnded(status);
            long deadline = System.nanoTime() + 1_000_000_000L;
            boolean told = false;
            while (!s.ended()) {
                if (System.nanoTime() >= deadline) {
                    if (!s.multiprocess && !s.extended) {
                        break;
                    }
                    if (!told) {
                        told = true;
                        notice.accept(
                                s.multiprocess
                                        ? "the system ended; gdb has one inferior per task: each exits when gdb"
                                                + " resumes it (`inferior N` then `continue`), or detach or kill to"
                                                + " end now"
                                        : "the system ended (exit status " + status + "); gdb (target"
                                                + " extended-remote) stays connected: rewind boot ends when gdb"
                                                + " disconnects (quit, detach or kill), at the latest "
                                                + s.lingerNanos / 1_000_000_000L + " s after the end");
                    }
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
