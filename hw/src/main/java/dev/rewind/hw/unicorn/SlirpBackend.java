package dev.rewind.hw.unicorn;

import com.sun.jna.Callback;
import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import dev.rewind.hw.dev.FrameSink;
import dev.rewind.hw.dev.GuestForward;
import dev.rewind.hw.dev.HostForward;
import dev.rewind.hw.dev.NetBackend;
import dev.rewind.hw.dev.NetOptions;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * User-mode networking for a {@link dev.rewind.hw.dev.NetDevice}: Debian's libslirp0 (4.7, the
 * library QEMU's {@code -netdev user} uses) through JNA, with host forwards (docs/DEVICES.md,
 * "Host side"). No root, no TAP device: the guest's TCP/UDP is terminated in this process and
 * re-made with ordinary host sockets.
 *
 * <p>Network: 10.0.2.0/24, host (gateway) 10.0.2.2, DNS 10.0.2.3, DHCP hands out 10.0.2.15;
 * {@code restricted} by default (the guest reaches nothing beyond the forwards and slirp's own
 * services); no IPv6.
 *
 * <p>Threading: slirp is not thread-safe, so one thread ("rewind-slirp-NAME") owns the instance:
 * it creates it, binds the forwards, and loops: {@code slirp_pollfds_fill}, libc {@code poll} on
 * slirp's sockets plus a wake-up pipe, frames the card queued ({@link #send}, at most
 * {@link #OUTBOX} waiting, beyond that dropped and counted) into {@code slirp_input},
 * {@code slirp_pollfds_poll}, due timers. Frames slirp emits go to the {@link FrameSink} from that
 * thread. Every JNA callback object is held in a field for the life of the instance.
 *
 * <p>Bound ports: a forward for host port 0 lets the kernel pick. Right after binding each rule
 * the thread asks slirp for its poll set; the one descriptor that is new is the rule's socket,
 * and {@code getsockname} on it gives the port actually bound ({@link #forwards}). This uses only
 * slirp's public API and the kernel's answer, no text parsing.
 *
 * <p>Guest forwards ({@link GuestForward}, {@code guestfwd=tcp:10.0.2.100:7-echo}): slirp accepts
 * the guest's connection itself ({@code slirp_add_guestfwd}) and hands the bytes the guest writes
 * to a write callback; the built-in echo keeps them in a bounded ring ({@link #ECHO_BUFFER}) and,
 * after every loop turn, gives back as many as {@code slirp_socket_can_recv} allows with
 * {@code slirp_socket_recv}, all on the slirp thread.
 */
public final class SlirpBackend implements NetBackend {
    public static final String LIBRARY = "libslirp.so.0";

    /** The listen backlog of a forwarded TCP port (libslirp's own is 1). */
    static final int LISTEN_BACKLOG = 64;
    /** Frames from the card waiting for the slirp thread. */
    public static final int OUTBOX = 256;
    /**
     * Bytes an echo guest forward holds that slirp could not yet take back (the guest's TCP window
     * towards the guest was full); beyond that, bytes the guest writes are dropped and counted.
     */
    public static final int ECHO_BUFFER = 256 << 10;
    /** Most bytes handed to slirp in one {@code slirp_socket_recv}. */
    static final int ECHO_CHUNK = 16 << 10;

    private static final Logger log = LoggerFactory.getLogger(SlirpBackend.class);

    private static final int POLLIN = 1, POLLPRI = 2, POLLOUT = 4, POLLERR = 8, POLLHUP = 16;
    private static final int SLIRP_POLL_IN = 1, SLIRP_POLL_OUT = 2, SLIRP_POLL_PRI = 4, SLIRP_POLL_ERR = 8;
    private static final int SLIRP_POLL_HUP = 16;
    private static final int O_NONBLOCK = 04000, O_CLOEXEC = 02000000;

    // ---- the binding ----

    interface SendPacket extends Callback {
        long invoke(Pointer buf, long len, Pointer opaque);
    }

    interface GuestError extends Callback {
        void invoke(Pointer msg, Pointer opaque);
    }

    interface ClockGetNs extends Callback {
        long invoke(Pointer opaque);
    }

    interface TimerNew extends Callback {
        Pointer invoke(Pointer cb, Pointer cbOpaque, Pointer opaque);
    }

    interface TimerFree extends Callback {
        void invoke(Pointer timer, Pointer opaque);
    }

    interface TimerMod extends Callback {
        void invoke(Pointer timer, long expireMs, Pointer opaque);
    }

    interface FdCallback extends Callback {
        void invoke(int fd, Pointer opaque);
    }

    interface Notify extends Callback {
        void invoke(Pointer opaque);
    }

    interface AddPoll extends Callback {
        int invoke(int fd, int events, Pointer opaque);
    }

    interface GetREvents extends Callback {
        int invoke(int idx, Pointer opaque);
    }

    interface GuestWrite extends Callback {
        long invoke(Pointer buf, long len, Pointer opaque);
    }

    interface Lib extends Library {
        Pointer slirp_new(Pointer cfg, Pointer callbacks, Pointer opaque);

        void slirp_cleanup(Pointer slirp);

        void slirp_pollfds_fill(Pointer slirp, Pointer timeout, AddPoll addPoll, Pointer opaque);

        void slirp_pollfds_poll(Pointer slirp, int selectError, GetREvents getRevents, Pointer opaque);

        void slirp_input(Pointer slirp, byte[] pkt, int len);

        int slirp_add_hostfwd(Pointer slirp, int isUdp, int hostAddr, int hostPort, int guestAddr, int guestPort);

        int slirp_add_guestfwd(Pointer slirp, GuestWrite writeCb, Pointer opaque, Pointer guestAddr, int guestPort);

        long slirp_socket_can_recv(Pointer slirp, int guestAddr, int guestPort);

        void slirp_socket_recv(Pointer slirp, int guestAddr, int guestPort, Pointer buf, int size);

        String slirp_version_string();
    }

    interface Libc extends Library {
        int poll(Pointer fds, long nfds, int timeout);

        int pipe2(int[] fds, int flags);

        long read(int fd, byte[] buf, long n);

        long write(int fd, byte[] buf, long n);

        int close(int fd);

        int getsockname(int fd, Pointer addr, IntByReference len);

        int listen(int fd, int backlog);
    }

    private static volatile Lib lib;
    private static volatile Libc libc;

    /**
     * Loads libslirp (once per JVM).
     *
     * @throws IllegalStateException saying how to install it if it is missing
     */
    static Lib library() {
        Lib l = lib;
        if (l == null) {
            synchronized (SlirpBackend.class) {
                if (lib == null) {
                    JnaSetup.apply();
                    try {
                        libc = Native.load("c", Libc.class);
                        lib = Native.load(LIBRARY, Lib.class);
                    } catch (UnsatisfiedLinkError e) {
                        throw new IllegalStateException("cannot load " + LIBRARY + " (user-mode networking): "
                                + e.getMessage() + "; install it with: sudo apt-get install -y libslirp0");
                    }
                }
                l = lib;
            }
        }
        return l;
    }

    /** libslirp's version, e.g. "4.7.0" (loads the library). */
    public static String version() {
        return library().slirp_version_string();
    }

    // ---- the instance ----

    private final String name;
    private final NetOptions options;
    private final long clockBase = System.nanoTime();

    private final ArrayBlockingQueue<byte[]> outbox = new ArrayBlockingQueue<>(OUTBOX);
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final AtomicLong outboxDropped = new AtomicLong();
    private final AtomicLong framesToGuest = new AtomicLong();
    private final AtomicLong framesFromGuest = new AtomicLong();

    private volatile boolean running;
    private volatile boolean closing;
    private volatile List<HostForward> bound = List.of();
    private volatile FrameSink sink;
    private final java.util.concurrent.atomic.AtomicLong held = new java.util.concurrent.atomic.AtomicLong();
    /** While holding the host's input back, the longest wait before asking the card again. */
    private static final int HOLD_RECHECK_MS = 20;

    private Thread thread;
    private final int[] pipe = {-1, -1};

    // Slirp thread only.
    private Pointer slirp;
    private Memory config;
    private Memory callbacks;
    private Memory pollfds = new Memory(8 * 64);
    private int npoll;
    private final Memory timeout = new Memory(4);
    private final Map<Long, long[]> timers = new HashMap<>(); // id -> {expireMs (-1 off)}
    private final Map<Long, Pointer[]> timerFns = new HashMap<>(); // id -> {cb, cbOpaque}
    private long nextTimer = 1;
    private final byte[] drain = new byte[256];
    private final List<Echo> echoes = new ArrayList<>();
    private final Memory staging = new Memory(ECHO_CHUNK);

    // Callbacks: held for the life of the instance (JNA frees a callback's stub with its object).
    private final SendPacket sendPacket = (buf, len, opaque) -> {
        try {
            if (len <= 0 || len > 65536) {
                return len;
            }
            byte[] f = buf.getByteArray(0, (int) len);
            framesToGuest.incrementAndGet();
            FrameSink s = sink;
            if (s != null) {
                s.frame(f);
            }
        } catch (Throwable t) {
            log.warn("{}: slirp frame to the guest lost", name(), t);
        }
        return len;
    };
    private final GuestError guestError = (msg, opaque) -> {
        try {
            log.debug("{}: slirp: guest error: {}", name(), msg == null ? "?" : msg.getString(0));
        } catch (Throwable ignored) {
            // a log line is not worth a crash
        }
    };
    private final GuestWrite guestWrite = (buf, len, opaque) -> {
        try {
            int i = (int) Pointer.nativeValue(opaque);
            if (i >= 0 && i < echoes.size() && len > 0) {
                echoes.get(i).take(buf, len);
            }
        } catch (Throwable t) {
            log.warn("{}: guest forward lost bytes", name(), t);
        }
        // Always "all taken": slirp keeps what a write callback refuses in the socket's buffer and
        // never offers it again for a guest forward (it has no host socket to poll).
        return len;
    };
    private final ClockGetNs clock = opaque -> System.nanoTime() - clockBase;
    private final TimerNew timerNew = (cb, cbOpaque, opaque) -> {
        long id = nextTimer++;
        timers.put(id, new long[] {-1});
        timerFns.put(id, new Pointer[] {cb, cbOpaque});
        return new Pointer(id);
    };
    private final TimerFree timerFree = (timer, opaque) -> {
        long id = Pointer.nativeValue(timer);
        timers.remove(id);
        timerFns.remove(id);
    };
    private final TimerMod timerMod = (timer, expireMs, opaque) -> {
        long[] t = timers.get(Pointer.nativeValue(timer));
        if (t != null) {
            t[0] = expireMs;
        }
    };
    private final FdCallback registerFd = (fd, opaque) -> {};
    private final FdCallback unregisterFd = (fd, opaque) -> {};
    private final Notify notify = opaque -> wake();
    private final AddPoll addPoll = (fd, events, opaque) -> {
        int idx = npoll++;
        if ((long) npoll * 8 > pollfds.size()) {
            Memory bigger = new Memory(pollfds.size() * 2);
            bigger.write(0, pollfds.getByteArray(0, idx * 8), 0, idx * 8);
            pollfds = bigger;
        }
        short ev = 0;
        ev |= (events & SLIRP_POLL_IN) != 0 ? POLLIN : 0;
        ev |= (events & SLIRP_POLL_OUT) != 0 ? POLLOUT : 0;
        ev |= (events & SLIRP_POLL_PRI) != 0 ? POLLPRI : 0;
        ev |= (events & SLIRP_POLL_ERR) != 0 ? POLLERR : 0;
        ev |= (events & SLIRP_POLL_HUP) != 0 ? POLLHUP : 0;
        pollfds.setInt(idx * 8L, fd);
        pollfds.setShort(idx * 8L + 4, ev);
        pollfds.setShort(idx * 8L + 6, (short) 0);
        return idx;
    };
    private final GetREvents getREvents = (idx, opaque) -> {
        if (idx < 0 || idx >= npoll) {
            return 0;
        }
        int re = pollfds.getShort(idx * 8L + 6);
        int r = 0;
        r |= (re & POLLIN) != 0 ? SLIRP_POLL_IN : 0;
        r |= (re & POLLOUT) != 0 ? SLIRP_POLL_OUT : 0;
        r |= (re & POLLPRI) != 0 ? SLIRP_POLL_PRI : 0;
        r |= (re & POLLERR) != 0 ? SLIRP_POLL_ERR : 0;
        r |= (re & POLLHUP) != 0 ? SLIRP_POLL_HUP : 0;
        return r;
    };

    private String name() {
        return name;
    }

    /** A backend for the card named {@code name} (used in thread names and messages). */
    public SlirpBackend(String name, NetOptions options) {
        this.name = name;
        this.options = options == null ? NetOptions.defaults() : options;
    }

    /**
     * Creates the slirp instance on its own thread and binds every forward; returns when all are
     * bound.
     *
     * @throws IllegalStateException if libslirp is missing, a port is busy or cannot be bound
     */
    @Override
    public synchronized void start(FrameSink toGuest) {
        if (thread != null) {
            throw new IllegalStateException(name + ": slirp backend already started");
        }
        library();
        sink = toGuest;
        CompletableFuture<Void> ready = new CompletableFuture<>();
        // the logging context of the thread that starts the network (`rewind test`'s case name)
        java.util.Map<String, String> mdc = org.slf4j.MDC.getCopyOfContextMap();
        thread = new Thread(
                () -> {
                    if (mdc != null) {
                        org.slf4j.MDC.setContextMap(mdc);
                    }
                    run(ready);
                },
                "rewind-slirp-" + name);
        thread.setDaemon(true);
        thread.start();
        try {
            ready.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            close();
            Throwable c = e.getCause();
            throw c instanceof IllegalStateException ise ? ise : new IllegalStateException(c.getMessage(), c);
        } catch (TimeoutException e) {
            close();
            throw new IllegalStateException(name + ": slirp did not start within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException(name + ": interrupted while starting slirp");
        }
    }

    @Override
    public void sinkHasRoom() {
        wake();
    }

    /** Loop turns that left the host's input in its sockets (the card's queue nearly full). */
    public long heldTurns() {
        return held.get();
    }

    @Override
    public void send(byte[] frame, int len) {
        if (!running) {
            return;
        }
        byte[] f = len == frame.length ? frame : java.util.Arrays.copyOf(frame, len);
        if (!outbox.offer(f)) {
            outboxDropped.incrementAndGet();
            return;
        }
        wake();
    }

    @Override
    public boolean linkUp() {
        return running;
    }

    @Override
    public List<HostForward> forwards() {
        return bound;
    }

    /** Frames the card sent that were dropped because the slirp thread had {@link #OUTBOX} waiting. */
    public long outboxDropped() {
        return outboxDropped.get();
    }

    /** Frames slirp emitted towards the guest. */
    public long framesToGuest() {
        return framesToGuest.get();
    }

    /** Frames from the guest handed to slirp. */
    public long framesFromGuest() {
        return framesFromGuest.get();
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closing = true;
            t = thread;
        }
        if (t == null) {
            return;
        }
        wake();
        if (t != Thread.currentThread()) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                log.warn("{}: slirp thread did not stop within 10 s", name);
            }
        }
        log.debug(
                "{}: slirp closed: {} frames from the guest, {} dropped (outbox full); {} turns held the host's input back",
                name,
                framesFromGuest.get(),
                outboxDropped.get(),
                held.get());
    }

    private final Object pipeLock = new Object();

    /** Wakes the slirp thread's poll (any thread); the pipe is closed under the same lock. */
    private void wake() {
        if (!wakePending.compareAndSet(false, true)) {
            return;
        }
        synchronized (pipeLock) {
            if (pipe[1] >= 0) {
                libc.write(pipe[1], new byte[] {1}, 1);
            }
        }
    }

    /** Bytes the guest wrote to echo guest forwards that were dropped ({@link #ECHO_BUFFER} full). */
    public long echoDropped() {
        long n = 0;
        synchronized (echoStats) {
            for (long[] e : echoStats) {
                n += e[1];
            }
        }
        return n;
    }

    /** Bytes echoed back to the guest by echo guest forwards. */
    public long echoedBytes() {
        long n = 0;
        synchronized (echoStats) {
            for (long[] e : echoStats) {
                n += e[0];
            }
        }
        return n;
    }

    /** Per echo: {echoed, dropped}; read from any thread. */
    private final List<long[]> echoStats = new ArrayList<>();

    /**
     * The echo service of one guest forward (slirp thread only). libslirp addresses a guest
     * forward's connection by the forward's address and port, so connections to one forward share
     * this buffer: each connection should read its echo before the next one writes (the newest
     * connection gets what is pushed). Bytes go back only as far as {@code slirp_socket_can_recv}
     * allows (the guest's TCP window and slirp's send buffer), so slirp never buffers beyond its
     * own limits; this ring holds at most {@link #ECHO_BUFFER} bytes.
     */
    private final class Echo {
        final GuestForward rule;
        final int addr;
        final byte[] ring = new byte[ECHO_BUFFER];
        final long[] stats;
        int head;
        int count;
        boolean warned;

        Echo(GuestForward rule, long[] stats) {
            this.rule = rule;
            this.addr = inAddr(rule.guestAddr());
            this.stats = stats;
        }

        void take(Pointer buf, long len) {
            int n = (int) Math.min(len, ECHO_BUFFER - count);
            int tail = (head + count) % ECHO_BUFFER;
            int first = Math.min(n, ECHO_BUFFER - tail);
            buf.read(0, ring, tail, first);
            if (n > first) {
                buf.read(first, ring, 0, n - first);
            }
            count += n;
            if (n < len) {
                synchronized (echoStats) {
                    stats[1] += len - n;
                }
                if (!warned) {
                    warned = true;
                    log.warn(
                            "{}: guest forward {}: the guest writes without reading the echo; {} bytes held,"
                                    + " the rest is dropped",
                            name,
                            rule,
                            ECHO_BUFFER);
                }
            }
        }

        /** Hands slirp what it can take now; true if anything moved. */
        boolean pump() {
            boolean moved = false;
            while (count > 0) {
                long can = lib.slirp_socket_can_recv(slirp, addr, rule.guestPort());
                if (can <= 0) {
                    break;
                }
                int n = (int) Math.min(Math.min(can, count), Math.min(ECHO_CHUNK, ECHO_BUFFER - head));
                staging.write(0, ring, head, n);
                lib.slirp_socket_recv(slirp, addr, rule.guestPort(), staging, n);
                head = (head + n) % ECHO_BUFFER;
                count -= n;
                synchronized (echoStats) {
                    stats[0] += n;
                }
                moved = true;
            }
            if (count == 0) {
                head = 0;
            }
            return moved;
        }
    }

    private boolean echoesPending() {
        for (Echo e : echoes) {
            if (e.count > 0) {
                return true;
            }
        }
        return false;
    }

    private void pumpEchoes() {
        for (Echo e : echoes) {
            e.pump();
        }
    }

    /** Adds one guest forward to slirp. */
    private void bindGuest(GuestForward g) {
        long[] stats = new long[2];
        Echo e = new Echo(g, stats);
        Memory a = new Memory(4);
        a.setInt(0, e.addr);
        int rc = lib.slirp_add_guestfwd(slirp, guestWrite, new Pointer(echoes.size()), a, g.guestPort());
        if (rc != 0) {
            throw new IllegalStateException(name + ": libslirp refused the guest forward " + g
                    + " (an address slirp itself uses, or the same address and port twice)");
        }
        echoes.add(e);
        synchronized (echoStats) {
            echoStats.add(stats);
        }
    }

    // ---- the slirp thread ----

    private void run(CompletableFuture<Void> ready) {
        try {
            int[] p = {-1, -1};
            if (libc.pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
                throw new IllegalStateException(name + ": cannot create the slirp wake-up pipe");
            }
            synchronized (pipeLock) {
                pipe[0] = p[0];
                pipe[1] = p[1];
            }
            slirp = create();
            List<HostForward> got = new ArrayList<>();
            for (HostForward f : options.forwards()) {
                got.add(bind(f));
            }
            bound = List.copyOf(got);
            for (GuestForward g : options.guestForwards()) {
                bindGuest(g);
            }
            running = true;
            log.info(
                    "{}: slirp {} up (10.0.2.0/24, restricted={}, {} forwards, {} guest forwards)",
                    name,
                    lib.slirp_version_string(),
                    options.restricted(),
                    got.size(),
                    echoes.size());
            ready.complete(null);
        } catch (Throwable t) {
            cleanup();
            ready.completeExceptionally(t);
            return;
        }
        try {
            loop();
        } catch (Throwable t) {
            log.warn("{}: slirp thread failed; the link is down", name, t);
        } finally {
            running = false;
            cleanup();
        }
    }

    private Pointer create() {
        config = new Memory(256);
        config.clear();
        config.setInt(0, 1); // version 1: the fields up to enable_emu
        config.setInt(4, options.restricted() ? 1 : 0);
        config.setByte(8, (byte) 1); // in_enabled
        config.write(12, new byte[] {10, 0, 2, 0}, 0, 4); // vnetwork
        config.write(16, new byte[] {(byte) 255, (byte) 255, (byte) 255, 0}, 0, 4); // vnetmask
        config.write(20, new byte[] {10, 0, 2, 2}, 0, 4); // vhost
        config.setByte(24, (byte) 0); // in6_enabled
        config.write(96, new byte[] {10, 0, 2, 15}, 0, 4); // vdhcp_start
        config.write(100, new byte[] {10, 0, 2, 3}, 0, 4); // vnameserver
        // if_mtu, if_mru 0: slirp's defaults (1500); disable_host_loopback, enable_emu false
        Callback[] cbs = {sendPacket, guestError, clock, timerNew, timerFree, timerMod, registerFd, unregisterFd, notify
        };
        callbacks = new Memory(16 * 8); // 4.7's SlirpCb has 12 pointers; the rest stay NULL
        callbacks.clear();
        for (int i = 0; i < cbs.length; i++) {
            callbacks.setPointer(i * 8L, com.sun.jna.CallbackReference.getFunctionPointer(cbs[i]));
        }
        Pointer s = lib.slirp_new(config, callbacks, null);
        if (s == null) {
            throw new IllegalStateException(name + ": slirp_new failed");
        }
        return s;
    }

    /** The descriptors slirp polls now. */
    private Set<Integer> polledFds() {
        npoll = 0;
        timeout.setInt(0, 0);
        lib.slirp_pollfds_fill(slirp, timeout, addPoll, null);
        Set<Integer> fds = new HashSet<>();
        for (int i = 0; i < npoll; i++) {
            fds.add(pollfds.getInt(i * 8L));
        }
        return fds;
    }

    /** Binds one forward; returns it with the port actually bound. */
    private HostForward bind(HostForward f) {
        Set<Integer> before = polledFds();
        int rc = lib.slirp_add_hostfwd(
                slirp, f.udp() ? 1 : 0, inAddr(f.hostAddr()), f.hostPort(), inAddr(f.guestAddr()), f.guestPort());
        if (rc != 0) {
            throw new IllegalStateException("cannot forward " + f + ": " + whyNotBindable(f));
        }
        Set<Integer> after = polledFds();
        after.removeAll(before);
        if (after.size() != 1) {
            if (f.hostPort() != 0) {
                log.debug("{}: forward {}: its socket was not found; its listen backlog stays libslirp's (1)", name, f);
                return f;
            }
            throw new IllegalStateException(
                    name + ": forward " + f + " bound, but its socket could not be found to learn the port");
        }
        int fd = after.iterator().next();
        if (!f.udp() && libc.listen(fd, LISTEN_BACKLOG) != 0) {
            // libslirp listens with a backlog of 1: clients connecting together beyond it see
            // their SYN dropped and retried a second or more later. Linux lets a listening
            // socket's backlog be raised by listening again.
            log.debug("{}: forward {}: listen(backlog {}) failed; the backlog stays 1", name, f, LISTEN_BACKLOG);
        }
        Memory sa = new Memory(128);
        sa.clear();
        IntByReference len = new IntByReference(128);
        if (libc.getsockname(fd, sa, len) != 0) {
            throw new IllegalStateException(name + ": forward " + f + ": getsockname failed");
        }
        int port = ((sa.getByte(2) & 0xff) << 8) | (sa.getByte(3) & 0xff);
        if (f.hostPort() != 0 && port != f.hostPort()) {
            throw new IllegalStateException(name + ": forward " + f + " bound port " + port);
        }
        return f.withHostPort(port);
    }

    /** Why slirp could not bind {@code f}, found by trying the same bind from Java. */
    private static String whyNotBindable(HostForward f) {
        InetSocketAddress at = new InetSocketAddress(f.hostAddr(), f.hostPort());
        String where = f.hostAddr().getHostAddress() + ":" + f.hostPort();
        try {
            if (f.udp()) {
                try (DatagramSocket s = new DatagramSocket(null)) {
                    s.bind(at);
                }
            } else {
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(true);
                    s.bind(at);
                }
            }
        } catch (IOException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            if (m.toLowerCase(java.util.Locale.ROOT).contains("in use")) {
                return "host port " + where + " is already in use (pick another port, or 0 for any free one)";
            }
            return "cannot bind host address " + where + ": " + m;
        }
        return "libslirp refused to bind " + where;
    }

    /** A {@code struct in_addr} passed by value: the address bytes in memory order. */
    private static int inAddr(java.net.Inet4Address a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    private void loop() {
        while (!closing) {
            long nowMs = (System.nanoTime() - clockBase) / 1_000_000;
            long wait = 1000;
            for (long[] t : timers.values()) {
                if (t[0] >= 0) {
                    wait = Math.min(wait, Math.max(0, t[0] - nowMs));
                }
            }
            npoll = 0;
            addPoll.invoke(pipe[0], SLIRP_POLL_IN, null);
            timeout.setInt(0, (int) wait);
            lib.slirp_pollfds_fill(slirp, timeout, addPoll, null);
            int ms = (int) Math.min(Integer.toUnsignedLong(timeout.getInt(0)), 1000);
            if (!outbox.isEmpty()) {
                ms = 0;
            } else if (echoesPending()) {
                ms = Math.min(ms, 5); // slirp's notify normally wakes us when the window opens
            }
            // The card's queue nearly full: leave what the host sends in slirp's sockets (the
            // host's flow control and socket limits apply there) until the card's sinkHasRoom
            // wakes us through the pipe. Otherwise a flood on one socket fills the queue on
            // every turn, and a SYN or segment for another socket finds it full and is lost.
            FrameSink s = sink;
            boolean hold = s != null && !s.accepting();
            if (hold) {
                held.incrementAndGet();
                ms = Math.min(ms, HOLD_RECHECK_MS);
                clearReads(4); // events: writes to the host go on
            }
            int n = libc.poll(pollfds, npoll, ms);
            if (closing) {
                break;
            }
            if (!hold && s != null && !s.accepting()) { // (the card filled up during the wait)
                held.incrementAndGet();
                clearReads(6); // revents: unread now, still readable at the next poll
            }
            if (n > 0 && (pollfds.getShort(6) & POLLIN) != 0) {
                while (libc.read(pipe[0], drain, drain.length) > 0) {
                    // drained
                }
                wakePending.set(false);
            }
            byte[] f;
            int budget = OUTBOX;
            while (budget-- > 0 && (f = outbox.poll()) != null) {
                framesFromGuest.incrementAndGet();
                lib.slirp_input(slirp, f, f.length);
            }
            lib.slirp_pollfds_poll(slirp, n < 0 ? 1 : 0, getREvents, null);
            runTimers();
            pumpEchoes();
        }
    }

    /**
     * Clears POLLIN and POLLPRI in the short at {@code offset} (4: events, 6: revents) of every
     * slirp socket's pollfd (all but entry 0, the wake-up pipe).
     */
    private void clearReads(int offset) {
        for (int i = 1; i < npoll; i++) {
            short v = pollfds.getShort(i * 8L + offset);
            pollfds.setShort(i * 8L + offset, (short) (v & ~(POLLIN | POLLPRI)));
        }
    }

    private void runTimers() {
        long nowMs = (System.nanoTime() - clockBase) / 1_000_000;
        for (Map.Entry<Long, long[]> e : new ArrayList<>(timers.entrySet())) {
            long[] t = e.getValue();
            if (t[0] >= 0 && t[0] <= nowMs) {
                t[0] = -1;
                Pointer[] fn = timerFns.get(e.getKey());
                if (fn != null) {
                    Function.getFunction(fn[0]).invoke(Void.class, new Object[] {fn[1]});
                }
            }
        }
    }

    private void cleanup() {
        if (slirp != null) {
            lib.slirp_cleanup(slirp);
            slirp = null;
        }
        synchronized (pipeLock) {
            for (int i = 0; i < 2; i++) {
                if (pipe[i] >= 0) {
                    libc.close(pipe[i]);
                    pipe[i] = -1;
                }
            }
        }
    }
}
