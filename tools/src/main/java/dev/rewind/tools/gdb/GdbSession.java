package dev.rewind.tools.gdb;

import dev.rewind.kernel.debug.DebugTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One debugger connection. A reader thread turns the input bytes into events; this session's
 * own thread (the one calling {@link #run()}) takes them from one queue, together with the
 * target's stop events, and does all the talking: acks, replies, stop replies. Packets are
 * handed to one small handler per command family.
 *
 * <p>Robustness: every packet is answered (an error {@code Enn} for a malformed or refused
 * one, an empty reply for an unsupported one); no input can throw out of {@link #run()}.
 */
public final class GdbSession implements DebugTarget.Listener {
    static final Logger log = LoggerFactory.getLogger(GdbSession.class);

    /** Events for the session thread. */
    sealed interface Event permits PacketEvent, Control, StopEvt, ExitEvt {}

    record PacketEvent(byte[] payload) implements Event {}

    enum Control implements Event {
        ACK,
        NACK,
        BAD_CHECKSUM,
        OVERSIZED,
        INTERRUPT,
        EOF
    }

    record StopEvt(DebugTarget.StopEvent stop) implements Event {}

    record ExitEvt(int status) implements Event {}

    final DebugTarget target;
    private final InputStream in;
    private final OutputStream out;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    /** Most events from the connection queued at once (see {@link #fromReader}). */
    static final int MAX_PENDING = 256;
    /**
     * Slots for the connection's events in {@link #events}: the reader takes one per event and
     * the session gives it back once it handled it, so a client that sends faster than the
     * session answers (pipelined packets whose replies it never reads) is held back by TCP
     * instead of filling the heap (80 MB a second until the JVM ran out of memory).
     */
    private final java.util.concurrent.Semaphore pendingSlots = new java.util.concurrent.Semaphore(MAX_PENDING);

    private final QueryCommands query = new QueryCommands(this);
    private final HostIoCommands hostIo = new HostIoCommands(this);
    private final ThreadCommands threadCmds = new ThreadCommands(this);
    private final RegisterCommands registers = new RegisterCommands(this);
    private final MemoryCommands memory = new MemoryCommands(this);
    private final BreakpointCommands breakpoints = new BreakpointCommands(this);
    private final ExecutionCommands execution = new ExecutionCommands(this);
    private final MonitorCommands monitor = new MonitorCommands(this);
    /** Whether the program gdb loaded is one the system runs (qSymbol). */
    final ExecFileCheck execFileCheck = new ExecFileCheck(this);

    // session state, touched only by the session thread
    boolean noAck;
    /** gdb said it understands swbreak / hwbreak stop reasons. */
    boolean gdbSwbreak;

    boolean gdbHwbreak;
    /**
     * gdb asked for the multiprocess extensions: every task is a process of one thread
     * ({@code pP.1}, P = task slot + 1), with its own executable and its own breakpoints.
     */
    boolean multiprocess;
    /**
     * Whether to offer the multiprocess extensions when gdb asks ({@code rewind boot
     * --gdb-inferiors}): off by default, so gdb sees one inferior with a thread per task.
     */
    boolean allowMultiprocess;
    /** Multiprocess: the processes gdb detached from ({@code D;P}). */
    final java.util.Set<Integer> detached = new java.util.HashSet<>();
    /**
     * Multiprocess: the processes gdb does not see (any more): those it was told ended
     * ({@code W}/{@code X;process:P}) and those that had ended before its first stop; null
     * until that first stop.
     */
    java.util.Set<Integer> gone;
    /** The system ended with this exit status; null while it runs. */
    Integer systemStatus;
    /**
     * gdb uses the extended protocol ({@code !}: {@code target extended-remote}). Such a gdb
     * stays connected after the process exits (it asks for the thread list at once), so the
     * session outlives the end of the run until gdb disconnects, or {@link #lingerNanos} after
     * the end.
     */
    volatile boolean extended;
    /** Extended: gdb was told the run ended (the {@code W}/{@code X} reply it got), or null. */
    String endReply;
    /**
     * Extended: how long after the end of the run the session waits for gdb to disconnect
     * before it closes the connection itself ({@code rewind boot} waits for the session).
     */
    long lingerNanos = LINGER_NANOS;

    /** {@link #lingerNanos}'s default: 30 s. */
    static final long LINGER_NANOS = 30_000_000_000L;
    /** When to give up waiting for gdb to close after it heard the last process exit (nanoTime), or 0. */
    private long closeDeadline;
    /** Multiprocess: the processes the last resume named (null: every one). */
    java.util.Set<Integer> lastResumed;
    /**
     * Multiprocess: gdb was told (once a connection) that a resume of some inferiors runs the
     * others' tasks too, so that the registers it read of those are stale.
     */
    boolean toldOthersRun;
    /** Repeats the last resume (a kernel-reported end of a process gdb does not know is not a stop for gdb). */
    Runnable lastResume;
    /**
     * Multiprocess: the pc of the last stop reported in each thread, kept until gdb resumes the
     * thread's process. gdb 13.1 keeps per-thread state from a stop (the inline frames it
     * skipped at that pc) until it resumes the thread, and fails an internal assertion
     * ({@code skip_inline_frames}) when the same thread reports another stop at the same pc
     * meanwhile, which a thread of an inferior gdb did not resume can (every task runs).
     */
    final java.util.Map<Integer, Long> stopPcs = new java.util.HashMap<>();
    /**
     * Multiprocess: threads the stub keeps frozen where they stopped again at the pc of their
     * last reported stop, in a process gdb did not resume (not reported, see {@link #stopPcs}),
     * until gdb resumes or detaches their process: as gdb believes, they did not run on.
     */
    final java.util.Set<Integer> held = new java.util.TreeSet<>();
    /** The thread actions and the others' action of the last resume gdb asked for (before {@link #held}). */
    java.util.Map<Integer, DebugTarget.Action> lastActions;

    DebugTarget.Action lastOthers;
    /** The executables handed to gdb (qXfer:exec-file:read), by image: deleted when the session ends. */
    final java.util.Map<String, java.nio.file.Path> executables = new java.util.HashMap<>();
    /** Thread for register and memory access (Hg), and for step/continue (Hc); 0 = default. */
    int gThread;

    int cThread;
    /** The thread of the last stop. */
    int stopThread;
    /** A resume or '?' is waiting for the next stop. */
    boolean waitingForStop;
    /** The wait is for a resume (not the first '?'): console output may precede the stop reply. */
    boolean resumed;
    /** End the session after the current reply (detach, kill). */
    boolean closing;

    private byte[] lastSent;
    private int resends;
    private volatile boolean ended;
    /**
     * The target was attached (at the first well-formed packet): a connection that never sends
     * one (a port probe such as {@code nc -z}, or noise) neither halts a running system nor, by
     * closing, releases a system that {@code --gdb-wait} holds for its debugger.
     */
    private volatile boolean attachedTarget;

    /** True once the connection sent a well-formed packet (the target is attached to it). */
    boolean attached() {
        return attachedTarget;
    }

    /** The target description and register layout of the system's architecture. */
    TargetDescription description() {
        return TargetDescription.of(target.arch());
    }

    public GdbSession(DebugTarget target, InputStream in, OutputStream out) {
        this.target = target;
        this.in = in;
        this.out = out;
    }

    /** Serve the connection until the debugger detaches, kills or disconnects, or the system ends. */
    public void run() {
        Thread reader = new Thread(this::readLoop, "rewind-gdb-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            while (true) {
                Event e;
                try {
                    if (closeDeadline != 0) {
                        long left = closeDeadline - System.nanoTime();
                        e = left > 0 ? events.poll(left, java.util.concurrent.TimeUnit.NANOSECONDS) : null;
                        if (e == null) {
                            break; // gdb heard every process exit but kept the connection: end it
                        }
                    } else {
                        e = events.take();
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (!handle(e)) {
                    break;
                }
            }
        } finally {
            ended = true;
            for (java.nio.file.Path x : executables.values()) {
                try {
                    java.nio.file.Files.deleteIfExists(x);
                } catch (IOException ignored) {
                    // a temp file left behind
                }
            }
            if (attachedTarget && !target.killed()) {
                if (target.leaveHeld()) {
                    // gdb gave up on the handshake (say `set non-stop on`, which the stub does
                    // not support) or went away before it continued, stepped or detached: the
                    // system --gdb-wait holds stays held for the next debugger
                    log.warn("gdb: the connection ended before gdb attached (it never continued, stepped or"
                            + " detached): the system stays held before its first instruction for the next debugger");
                } else {
                    target.detach();
                }
            }
            try {
                in.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    ExecutionCommands execution() {
        return execution;
    }

    /** The system ended with {@code status}: tell the debugger and end the session. */
    public void systemEnded(int status) {
        events.add(new ExitEvt(status));
    }

    boolean ended() {
        return ended;
    }

    @Override
    public void stopped(DebugTarget.StopEvent event) {
        events.add(new StopEvt(event));
    }

    /**
     * Queue {@code e} from the reader thread once a slot is free ({@link #pendingSlots}); dropped
     * if the session ends meanwhile.
     */
    private void fromReader(Event e) {
        try {
            // (ended first: the rest of a read buffer after the session ended is dropped at once)
            while (!ended && !pendingSlots.tryAcquire(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {}
            if (ended) {
                return;
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
        }
        events.add(e);
    }

    private void readLoop() {
        PacketReader reader = new PacketReader(new PacketReader.Sink() {
            @Override
            public void packet(byte[] payload) {
                fromReader(new PacketEvent(payload));
            }

            @Override
            public void badChecksum() {
                fromReader(Control.BAD_CHECKSUM);
            }

            @Override
            public void ack() {
                fromReader(Control.ACK);
            }

            @Override
            public void nack() {
                fromReader(Control.NACK);
            }

            @Override
            public void interrupt() {
                fromReader(Control.INTERRUPT);
            }

            @Override
            public void oversized() {
                fromReader(Control.OVERSIZED);
            }
        });
        byte[] buf = new byte[8192];
        try {
            int n;
            while (!ended && (n = in.read(buf)) > 0) {
                reader.feed(buf, 0, n);
            }
        } catch (IOException e) {
            log.debug("gdb connection read failed: {}", e.toString());
        } finally {
            events.add(Control.EOF);
        }
    }

    /** Handle one event; false ends the session. */
    private boolean handle(Event e) {
        if (e instanceof PacketEvent || (e instanceof Control c && c != Control.EOF)) {
            pendingSlots.release(); // (taken by fromReader)
        }
        try {
            if (e instanceof PacketEvent p) {
                if (!attachedTarget) {
                    attachedTarget = true;
                    target.attach(this);
                }
                if (!noAck) {
                    write(new byte[] {'+'});
                }
                String reply = dispatch(p.payload());
                if (reply != null) {
                    send(reply);
                }
                return !closing;
            } else if (e instanceof StopEvt s) {
                if (waitingForStop) {
                    execution.reportStop(s.stop());
                }
                return true;
            } else if (e instanceof ExitEvt x) {
                if (multiprocess && gone != null) {
                    return systemEndedMultiprocess(x.status());
                }
                if (extended) {
                    return systemEndedExtended(x.status());
                }
                if (waitingForStop) {
                    send(systemEndReply(x.status()));
                } else {
                    send(String.format("O%s", PacketCodec.toHex("rewind: the system ended\n")));
                }
                return false;
            } else {
                switch ((Control) e) {
                    case ACK -> resends = 0;
                    case NACK -> {
                        if (!noAck && lastSent != null && resends++ < 3) {
                            write(lastSent);
                        }
                    }
                    case BAD_CHECKSUM -> {
                        if (!noAck) {
                            write(new byte[] {'-'});
                        }
                    }
                    case OVERSIZED -> {
                        if (!noAck) {
                            write(new byte[] {'+'});
                        }
                        String why = "a packet longer than " + PacketCodec.MAX_PACKET
                                + " bytes was dropped unread (the stub's PacketSize is "
                                + QueryCommands.PACKET_SIZE + " bytes: split it)";
                        log.warn("gdb: {}", why);
                        send("E." + why);
                    }
                    case INTERRUPT -> {
                        if (waitingForStop) {
                            // gdb's selected thread: where an idle system's Ctrl-C is reported
                            target.interrupt(gThread > 0 ? gThread : stopThread);
                        }
                    }
                    case EOF -> {
                        return false;
                    }
                }
                return true;
            }
        } catch (IOException io) {
            log.debug("gdb connection write failed: {}", io.toString());
            return false;
        }
    }

    /**
     * Multiprocess: the system ended. Every process gdb knows ends: each gets its own exit
     * reply, one per resume (gdb's all-stop protocol has one stop reply per resume), the first
     * now if gdb waits. The session stays while gdb knows a process; false ends it.
     */
    private boolean systemEndedMultiprocess(int status) throws IOException {
        systemStatus = status;
        if (waitingForStop) {
            send("O" + PacketCodec.toHex("rewind: the system ended (exit status " + status + "): every task ends\n"));
            String w = nextExit(lastResumed);
            waitingForStop = false;
            resumed = false;
            if (w == null) {
                return false;
            }
            send(w);
        }
        if (knownProcesses().isEmpty()) {
            closeAfterTheEnd();
        }
        return true;
    }

    /**
     * Extended, one inferior: the system ended. gdb hears it now if it waits for a stop, else at
     * its next resume; either way the session stays until gdb disconnects (an extended-remote
     * gdb stays connected after the process exited), or {@link #lingerNanos} from now.
     */
    private boolean systemEndedExtended(int status) throws IOException {
        systemStatus = status;
        if (waitingForStop) {
            waitingForStop = false;
            resumed = false;
            endReply = systemEndReply(status);
            send(endReply);
        } else {
            // gdb believes the process stopped: its next continue or step gets the exit
            send("O"
                    + PacketCodec.toHex("rewind: the system ended (exit status " + status
                            + "): the next continue or step reports the end\n"));
        }
        closeAfterTheEnd();
        return true;
    }

    /**
     * gdb heard the end of every process it knew: it closes the connection itself (gdb with
     * {@code target remote} does at once), or the session ends after a while: 5 s, or with
     * {@code target extended-remote} (gdb stays connected until it quits or disconnects)
     * {@link #lingerNanos}.
     */
    private void closeAfterTheEnd() {
        closeDeadline = System.nanoTime() + (extended ? lingerNanos : 5_000_000_000L);
    }

    /** Extended: gdb knows the run ended (it has no process left). */
    boolean toldTheEnd() {
        if (!extended || systemStatus == null) {
            return false;
        }
        return multiprocess ? gone != null && knownProcesses().isEmpty() : endReply != null;
    }

    /**
     * Extended, after gdb heard the end of the run: the reply to {@code p}, or null for the usual
     * one. There is no process: the thread list is empty, {@code ?} repeats how the run ended,
     * and nothing runs or attaches any more (an error naming why; gdb shows its own text for
     * {@code run}); detach and kill end the session.
     */
    private String afterTheEnd(String p) {
        if (p.equals("qfThreadInfo")) {
            return "l";
        }
        if (p.equals("?")) {
            return multiprocess || endReply == null ? String.format("W%02x", systemStatus & 0xff) : endReply;
        }
        if (p.equals("D") || p.startsWith("D;") || p.startsWith("vKill")) {
            closing = true;
            return "OK";
        }
        if (p.equals("k")) {
            closing = true;
            return null; // k has no reply
        }
        if ((p.startsWith("vCont") && !p.equals("vCont?")) || "cCsSb".indexOf(p.charAt(0)) >= 0) {
            return "E.the system has ended (exit status " + systemStatus + "): nothing runs any more";
        }
        return null;
    }

    /**
     * {@code vRun} ({@code run} with extended-remote) and {@code vAttach} ({@code attach PID}):
     * refused with the reason, also on the stub's stderr (gdb 13 shows its own text for a
     * refused {@code run}: "Running the default executable on the remote target failed"). An
     * empty reply would make gdb fall back to {@code R} and then believe a program runs.
     */
    private String refuseRunOrAttach(String p) {
        String what = p.startsWith("vRun") ? "run" : "attach";
        String why = systemStatus != null
                ? "the system has ended (exit status " + systemStatus + "): boot it again (rewind boot) to run it"
                        + " again"
                : "the stub cannot start or attach a process: the booted system's tasks are all there is"
                        + " (info threads); boot the system again (rewind boot) to run it again";
        log.warn("gdb: {} refused: {}", what, why);
        return "E." + why;
    }

    /**
     * After a kill that leaves gdb other inferiors: wait (up to 5 s) until the run is over, so
     * that the final state is readable again when gdb asks.
     */
    void awaitOver() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!target.over() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Multiprocess: the first stop is here; tasks that ended before it stay unknown to gdb. */
    void firstStop() {
        if (!multiprocess || gone != null) {
            return;
        }
        java.util.Set<Integer> g = new java.util.HashSet<>();
        for (DebugTarget.ThreadInfo t : target.threads()) {
            if (!alive(t)) {
                g.add(t.id());
            }
        }
        gone = g;
    }

    /** Whether gdb sees thread {@code id}: always without multiprocess, else unless it is gone or detached. */
    boolean listed(int id) {
        return !multiprocess || ((gone == null || !gone.contains(id)) && !detached.contains(id));
    }

    /** Multiprocess: the processes gdb knows (listed), in id order. */
    java.util.List<Integer> knownProcesses() {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (DebugTarget.ThreadInfo t : target.threads()) {
            if (listed(t.id())) {
                out.add(t.id());
            }
        }
        return out;
    }

    /**
     * Multiprocess: the exit reply for a process gdb resumed ({@code resumed}, null: any) that
     * has ended (any such process once the system ended; then any process gdb knows if it
     * resumed none of them), the lowest first; null if none. The process is gone for gdb from
     * then on; after the last one, the session ends when gdb closes the connection.
     */
    String nextExit(java.util.Set<Integer> resumed) {
        if (!multiprocess || gone == null) {
            return null;
        }
        java.util.List<Integer> known = knownProcesses();
        int pick = 0;
        DebugTarget.StopEvent end = null;
        for (int pass = 0; pass < 2 && pick == 0; pass++) {
            for (int id : known) {
                if (pass == 0 && resumed != null && !resumed.contains(id)) {
                    continue;
                }
                DebugTarget.StopEvent e = target.endOf(id);
                if (e != null || systemStatus != null) {
                    pick = id;
                    end = e;
                    break;
                }
            }
            if (systemStatus == null) {
                break; // while the system runs, only a resumed process's end
            }
        }
        if (pick == 0) {
            return null;
        }
        gone.add(pick);
        if (stopThread == pick) {
            stopThread = 0;
        }
        gThread = 0;
        cThread = 0;
        if (systemStatus != null && known.size() == 1) {
            closeAfterTheEnd();
        }
        return exitReply(pick, end);
    }

    /**
     * The end of the run without inferiors: {@code W} with the system's status ({@code rewind
     * boot}'s exit status), except for a system of one task (a bare ELF), which ends as that
     * task did, as one program does natively or under qemu-user: {@code W} with its own exit
     * code ({@code $_exitcode} 3 for a {@code return 3}, where the system's status is 1), or
     * {@code X} with its fault's signal when the kernel stopped it after a fault ({@code Program
     * terminated with signal SIGSEGV}).
     */
    String systemEndReply(int status) {
        try {
            if (target.over() && !target.killed()) { // the final state is readable
                List<DebugTarget.ThreadInfo> threads = target.threads();
                DebugTarget.StopEvent end =
                        threads.size() == 1 ? target.endOf(threads.get(0).id()) : null;
                if (end != null) {
                    char c = end.kind() == DebugTarget.StopKind.TERMINATED ? 'X' : 'W';
                    return c + String.format("%02x", end.signal() & 0xff);
                }
            }
        } catch (RuntimeException e) {
            log.debug("the end of the only task is unknown: {}", e.toString());
        }
        return String.format("W%02x", status & 0xff);
    }

    /** {@code W}/{@code X} with the process: how {@code end} ended, or the system's status for a task live at its end. */
    String exitReply(int id, DebugTarget.StopEvent end) {
        String process = ";process:" + Integer.toHexString(id);
        if (end == null && target.killed()) {
            return "X09" + process; // gdb killed the system: every task with it (SIGKILL)
        }
        if (end == null) {
            return String.format("W%02x", (systemStatus == null ? 0 : systemStatus) & 0xff) + process;
        }
        char c = end.kind() == DebugTarget.StopKind.TERMINATED ? 'X' : 'W';
        return c + String.format("%02x", end.signal() & 0xff) + process;
    }

    /** The reply to one packet, or null for none now (a resume: the stop reply comes later). */
    String dispatch(byte[] payload) {
        String p = new String(payload, StandardCharsets.ISO_8859_1);
        try {
            return route(p, payload);
        } catch (IllegalStateException e) {
            return "E03"; // the system is running
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            return "E01";
        } catch (IllegalArgumentException e) {
            return e.getMessage() != null && e.getMessage().startsWith("no thread") ? "E02" : "E01";
        } catch (RuntimeException e) {
            log.warn("gdb packet '{}' failed", PacketCodec.abbreviate(p), e);
            return "E01";
        }
    }

    private String route(String p, byte[] raw) {
        if (p.isEmpty()) {
            return "";
        }
        if (toldTheEnd()) {
            String r = afterTheEnd(p);
            if (r != null || closing) {
                return r;
            }
        } else if (extended && systemStatus != null && !multiprocess && isResume(p)) {
            // the system ended while gdb had it stopped: this resume's stop reply is the end
            endReply = systemEndReply(systemStatus);
            return endReply;
        }
        return switch (p.charAt(0)) {
            case '!' -> {
                extended = true; // target extended-remote: gdb stays connected after the run ends
                yield "OK";
            }
            case 'g', 'G', 'p', 'P' -> registers.handle(p);
            case 'm', 'M', 'X' -> memory.handle(p, raw);
            case 'Z', 'z' -> breakpoints.handle(p);
            case '?', 'c', 'C', 's', 'S', 'D', 'k', 'b' -> execution.handle(p);
            case 'H', 'T' -> threadCmds.handle(p);
            case 'R' -> {
                // restart (extended-remote's run where vRun is refused): not supported, and the
                // packet has no reply, so none is sent (an empty one would answer gdb's next packet)
                log.warn("gdb: restart (R) ignored: the system cannot be started again; boot it again");
                yield null;
            }
            case 'v' ->
                p.startsWith("vRun") || p.startsWith("vAttach")
                        ? refuseRunOrAttach(p)
                        : p.startsWith("vFile:")
                                ? hostIo.handle(p)
                                : p.startsWith("vCont") || p.startsWith("vKill") ? execution.handle(p) : "";
            case 'q' -> {
                if (p.startsWith("qRcmd,")) {
                    yield monitor.handle(p);
                }
                String t = threadCmds.query(p);
                yield t != null ? t : query.handle(p);
            }
            case 'Q' -> query.handle(p);
            default -> "";
        };
    }

    /** Whether {@code p} resumes the system (continue, step, reverse). */
    private static boolean isResume(String p) {
        return "cCsSb".indexOf(p.charAt(0)) >= 0 || (p.startsWith("vCont;"));
    }

    // ---- helpers for the command families --------------------------------------------------

    /** The thread for register and memory access. */
    int generalThread() {
        return resolve(gThread);
    }

    /** The thread to step or continue. */
    int continueThread() {
        return resolve(cThread);
    }

    /** A specific thread for {@code t}; 0 and -1 mean the thread of the last stop. */
    int resolve(int t) {
        if (t > 0) {
            return t;
        }
        if (stopThread > 0) {
            return stopThread;
        }
        for (DebugTarget.ThreadInfo info : target.threads()) {
            if (alive(info) && listed(info.id())) {
                return info.id();
            }
        }
        for (DebugTarget.ThreadInfo info : target.threads()) {
            if (listed(info.id())) {
                return info.id();
            }
        }
        throw new IllegalArgumentException("no thread");
    }

    /** Whether thread {@code id} is a task (live or ended). */
    boolean known(int id) {
        for (DebugTarget.ThreadInfo t : target.threads()) {
            if (t.id() == id) {
                return true;
            }
        }
        return false;
    }

    /** Whether thread {@code id} is a live task. */
    boolean alive(int id) {
        for (DebugTarget.ThreadInfo t : target.threads()) {
            if (t.id() == id) {
                return alive(t);
            }
        }
        return false;
    }

    /**
     * The reply refusing {@code what} for thread {@code id} if its task has ended (it stays in
     * the thread list, with its registers all zero, but cannot run or be changed), else null.
     * gdb shows an {@code E.} reply's text ("Could not write register "x0"; remote failure reply
     * 'E.…'", "warning: Remote failure reply: E.…"), where E02 would read as no such thread.
     */
    String endedReply(int id, String what) {
        for (DebugTarget.ThreadInfo t : target.threads()) {
            if (t.id() == id && !alive(t)) {
                return "E.thread " + id + " (task " + t.name() + ") has "
                        + (t.state().equals("exited") ? "exited" : "died") + ": " + what;
            }
        }
        return null;
    }

    /**
     * The reply refusing a change of thread {@code id}'s {@code what} (memory, registers) while
     * its task is in its past (gdb moved it back: reverse-stepi, reverse-continue, ...), else
     * null. The past is replayed from the task's history, and the task goes back to the state it
     * left the present in when it reaches the end of that history, so a change made there would
     * be lost without a word; it is refused at once instead, with the reason gdb shows
     * ("Could not write register ...; remote failure reply 'E.…'", "Cannot access memory" for
     * {@code set var} on a variable, which gdb 13 shows without the text).
     */
    String pastReply(int id, String what) {
        if (!target.inPast(id)) {
            return null;
        }
        String name = "?";
        for (DebugTarget.ThreadInfo t : target.threads()) {
            if (t.id() == id) {
                name = t.name();
            }
        }
        log.warn(
                "gdb: a write to the {} of thread {} (task {}) refused: it is in its past (reverse execution)",
                what,
                id,
                name);
        return "E.thread " + id + " (task " + name + ") is in its past (reverse execution): its " + what
                + " cannot change there, since going forward replays its recorded history and reaching"
                + " the present restores the state it left, which would drop the change; go forward to"
                + " the present first (continue, or stepi until it runs live), then change it";
    }

    /** An ended task stays in the thread list (its id is never reused), but cannot run. */
    /**
     * The temporary copy of {@code task}'s image handed to gdb ({@code qXfer:exec-file:read},
     * {@code /proc/PID/exe}), made at the first ask, one per image; null if the task has no image
     * or the copy cannot be written.
     */
    java.nio.file.Path executableCopy(DebugTarget.ThreadInfo task) {
        java.nio.file.Path path = executables.get(task.image());
        if (path == null) {
            byte[] elf = target.executable(task.id());
            if (elf == null) {
                return null;
            }
            try {
                String base = task.image().replaceAll("[^A-Za-z0-9._-]", "_");
                path = java.nio.file.Files.createTempFile("rewind-gdb-", "-" + base);
                java.nio.file.Files.write(path, elf);
                path.toFile().deleteOnExit();
            } catch (java.io.IOException e) {
                return null;
            }
            executables.put(task.image(), path);
        }
        return path;
    }

    static boolean alive(DebugTarget.ThreadInfo t) {
        return !t.state().equals("exited") && !t.state().equals("dead");
    }

    /** How a thread id is written to gdb: {@code pP.1} with multiprocess, else hex. */
    String threadId(int id) {
        return multiprocess ? "p" + Integer.toHexString(id) + ".1" : Integer.toHexString(id);
    }

    /**
     * Parse a thread id as this session's gdb writes it: with multiprocess, "pPID.TID" names
     * task PID (a task is a process of one thread: "pP", "pP.-1", "pP.0" and "pP.1" are all
     * task P); without it, hex, "-1" (all) or "0" (any), or "pPID.TID" where PID is the one
     * process (gdb's {@link #SINGLE_PROCESS_PID}, or 1), -1 or 0. Returns -1 for all, 0 for any. With
     * multiprocess, a process gdb does not know or a thread other than -1, 0 and 1 is no thread
     * ({@code IllegalArgumentException} "no thread", E02); a malformed id is E01.
     */
    int thread(String id) {
        if (multiprocess && id.startsWith("p")) {
            int dot = id.indexOf('.');
            String pidPart = dot < 0 ? id.substring(1) : id.substring(1, dot);
            int pid = pidPart.equals("-1") ? -1 : PacketCodec.parseHexInt(pidPart, 0xffff);
            String tidPart = dot < 0 ? "-1" : id.substring(dot + 1);
            int tid = tidPart.equals("-1") ? -1 : PacketCodec.parseHexInt(tidPart, 0xffff);
            if (pid > 0 && !(known(pid) && listed(pid))) {
                throw new IllegalArgumentException("no thread " + PacketCodec.abbreviate(id));
            }
            if (tid > 1) {
                throw new IllegalArgumentException(
                        "no thread " + PacketCodec.abbreviate(id) + ": one thread a process");
            }
            if (dot >= 0 && tid == -1) {
                // every thread of a process: gdb resumes only the current inferior so
                // (schedule-multiple off), but tasks serve each other, so all of them run
                return -1;
            }
            return pid;
        }
        if (id.startsWith("p")) {
            // without multiprocess gdb writes no process; one that names a process other than
            // the one there is ("pPID.TID"), as a confused client may, names no thread: before,
            // its process was ignored and `vCont;c:p99.1` resumed task 1, `vCont;c:p99` all (the
            // one process is gdb's 42000, or 1 as the first process of a client that assumes one)
            int dot = id.indexOf('.');
            String pidPart = dot < 0 ? id.substring(1) : id.substring(1, dot);
            int pid = pidPart.equals("-1") ? -1 : PacketCodec.parseHexInt(pidPart, Integer.MAX_VALUE);
            if (pid != -1 && pid != 0 && pid != 1 && pid != SINGLE_PROCESS_PID) {
                throw new IllegalArgumentException("no thread " + PacketCodec.abbreviate(id) + ": no such process");
            }
        }
        return parseThread(id);
    }

    /**
     * gdb's process id for the one process it sees without multiprocess (the stub then names
     * none, and gdb makes up 42000, its MAGIC_NULL_PID): {@code vKill;a410}.
     */
    static final int SINGLE_PROCESS_PID = 42000;

    /**
     * The process {@code D;PID} or {@code vKill;PID} names (PID in hex): with multiprocess, a
     * task gdb knows (PID = slot + 1; not one it was told ended or detached from); without it,
     * the one process, which gdb calls {@link #SINGLE_PROCESS_PID}. A malformed PID throws
     * {@code IllegalArgumentException} (E01), another PID one for "no thread" (E02).
     */
    int process(String pid) {
        int p = PacketCodec.parseHexInt(pid, Integer.MAX_VALUE);
        boolean ok = multiprocess ? p > 0 && known(p) && listed(p) : p == SINGLE_PROCESS_PID;
        if (!ok) {
            throw new IllegalArgumentException("no thread: no process " + PacketCodec.abbreviate(pid));
        }
        return p;
    }

    /**
     * Parse a thread id: hex, "-1" (all), "0" (any), or multiprocess "pPID.TID". Returns -1
     * for all, 0 for any.
     */
    static int parseThread(String s) {
        if (s.startsWith("p")) {
            int dot = s.indexOf('.');
            s = dot < 0 ? "-1" : s.substring(dot + 1);
        }
        if (s.equals("-1")) {
            return -1;
        }
        return PacketCodec.parseHexInt(s, 0xffff);
    }

    /**
     * Send a reply packet. Long replies without escapes (hex, text) are run-length encoded;
     * one with an escape is sent as is, since a run must not follow an escape byte.
     */
    void send(String payload) throws IOException {
        byte[] body = payload.getBytes(StandardCharsets.ISO_8859_1);
        boolean plain = payload.indexOf('}') < 0 && payload.indexOf('*') < 0;
        sendRaw(plain && payload.length() > 64 ? PacketCodec.encodeRle(body) : body);
    }

    /** Send a payload that is already escaped, without run-length encoding. */
    void sendRaw(byte[] body) throws IOException {
        byte[] framed = PacketCodec.frame(body);
        lastSent = framed;
        resends = 0;
        write(framed);
    }

    private void write(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }
}
