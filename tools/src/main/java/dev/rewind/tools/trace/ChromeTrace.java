package dev.rewind.tools.trace;

import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelObserver;
import dev.rewind.kernel.RecoveryOutcome;
import dev.rewind.kernel.Task;
import java.io.Closeable;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * {@code rewind boot --trace-out FILE}: the run as a Chrome trace (the Trace Event Format's JSON,
 * which ui.perfetto.dev and chrome://tracing open; docs/TRACING.md says what is in it).
 *
 * <p>The system is process 1 (named after the image); each task is a thread, tid = its slot in
 * the manifest + 1, over all its generations. On a task's thread: an {@code "X"} slice (category
 * {@code cpu}) for each stretch it ran on the CPU, an {@code "X"} slice (category {@code ipc}) for
 * each request it served, from delivery to reply (or to the fault, restart or exit that ended
 * it), flow arrows ({@code "s"}/{@code "f"}) from a client's call to the server's request and
 * from the reply back to the client's next slice, and {@code "i"} instants for faults,
 * rollbacks, history replays, restarts, verification mismatches, driver recoveries and exits.
 *
 * <p>A CPU slice is cut where a request begins or ends while the task runs, so that every CPU
 * slice lies wholly inside or wholly outside a request slice (the viewers need slices on one
 * thread to nest). Events are written as they happen (nothing is kept per event); requests
 * still open, and the slice on the CPU, are closed by {@link #close}, which also ends the JSON:
 * call it on every way out (the CLI also calls it from a shutdown hook, for Ctrl-C). Events
 * after it are dropped. Thread-safe: the kernel thread writes, any thread may close.
 *
 * <p>Also passes every non-timeline callback on to {@code next} (the CLI's own observer).
 */
public final class ChromeTrace implements KernelObserver, Closeable {
    private static final int PID = 1;

    private final Path file;
    private final Writer out;
    private final KernelObserver next;
    private Kernel kernel;
    private boolean closed;
    private boolean first = true;
    private IOException failure;
    private long events;
    private long nextFlowId = 1;

    // Per task slot; -1: none.
    private long[] pieceStart = new long[0]; // the running task's current CPU slice began here
    private int[] pieceGeneration = new int[0];
    private long[] lastEnd = new long[0]; // the task's last slice ended here
    private long[] requestStart = new long[0]; // the open request began here
    private String[] requestName = new String[0];
    private String[] requestArgs = new String[0];
    private long[] callAt = new long[0]; // the task's pending call began here
    private long[] replyAt = new long[0]; // a reply to the task was sent here (arrow drawn when it runs)
    private int[] replyFrom = new int[0]; // ... by this slot

    /**
     * Open {@code file} (created or replaced) for a run of the image {@code imageName}; callbacks
     * other than the timeline's go on to {@code next} (may be null).
     */
    public ChromeTrace(Path file, String imageName, KernelObserver next) throws IOException {
        this.file = file;
        this.next = next == null ? new KernelObserver() {} : next;
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"image\":");
        string(head, imageName);
        head.append(",\"clock\":\"ns since boot, written as µs\"},\"traceEvents\":[\n");
        try {
            out.write(head.toString());
        } catch (IOException e) {
            try {
                out.close();
            } catch (IOException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
        meta(0, "process_name", "name", imageName);
    }

    /** The file being written. */
    public Path file() {
        return file;
    }

    /** Events written so far (metadata included). */
    public synchronized long events() {
        return events;
    }

    /** The first write error, or null: after one, nothing more is written. */
    public synchronized IOException failure() {
        return failure;
    }

    /** Name the threads after {@code k}'s tasks and take its clock (right after it is built, before it runs). */
    public synchronized void attach(Kernel k) {
        kernel = k;
        List<Task> tasks = k.tasks();
        int n = tasks.size();
        pieceStart = filled(n);
        pieceGeneration = new int[n];
        lastEnd = filled(n);
        requestStart = filled(n);
        requestName = new String[n];
        requestArgs = new String[n];
        callAt = filled(n);
        replyAt = filled(n);
        replyFrom = new int[n];
        for (Task t : tasks) {
            meta(t.index() + 1, "thread_name", "name", t.name());
            meta(t.index() + 1, "thread_sort_index", "sort_index", t.index());
        }
    }

    private static long[] filled(int n) {
        long[] a = new long[n];
        Arrays.fill(a, -1);
        return a;
    }

    private long now() {
        return kernel != null ? kernel.uptimeNanos() : 0;
    }

    /** A real task's slot in the arrays, or -1 (an agent, or a task the trace was not attached to). */
    private int slot(Task t) {
        int i = t.index();
        return i >= 0 && i < pieceStart.length ? i : -1;
    }

    // ---- timeline ------------------------------------------------------------------------------

    @Override
    public boolean wantsTimeline() {
        return true;
    }

    @Override
    public synchronized void sliceStarted(Task task, long atNanos) {
        int s = slot(task);
        if (s < 0 || closed) {
            return;
        }
        long start = clampIntoRequest(s, atNanos);
        pieceStart[s] = atNanos;
        pieceGeneration[s] = task.generation();
        if (replyAt[s] >= 0) {
            long id = nextFlowId++;
            flow('s', "reply", id, replyFrom[s], replyAt[s]);
            flow('f', "reply", id, s, start);
            replyAt[s] = -1;
        }
    }

    @Override
    public synchronized void sliceEnded(Task task, long atNanos) {
        int s = slot(task);
        if (s < 0 || closed) {
            return;
        }
        if (pieceStart[s] >= 0) {
            cpu(s, pieceStart[s], atNanos);
        }
        pieceStart[s] = -1;
        lastEnd[s] = atNanos;
    }

    @Override
    public synchronized void callStarted(Task client, Task server, long atNanos) {
        int s = slot(client);
        if (s >= 0) {
            callAt[s] = atNanos;
        }
    }

    @Override
    public synchronized void requestDelivered(
            Task server, Task client, String endpoint, long label, long badge, boolean again, long atNanos) {
        int s = slot(server);
        if (s < 0 || closed) {
            return;
        }
        if (requestStart[s] >= 0) {
            // No reply: run again (verify = "dual"), or ended by a fault (txipc rollback, shadow restart)
            // whose callback comes after this delivery.
            endRequest(s, endOfUnanswered(s), again ? "run again" : "no reply (fault)");
        }
        if (pieceStart[s] >= 0) { // it received while on the CPU: cut its slice here
            cpu(s, pieceStart[s], atNanos);
            pieceStart[s] = atNanos + 1;
        }
        int c = slot(client);
        requestStart[s] = atNanos;
        String op = opName(label);
        requestName[s] =
                endpoint + " " + (op != null ? op : "0x" + Long.toHexString(label)) + (again ? " (again)" : "");
        StringBuilder args = new StringBuilder();
        args.append("\"client\":");
        string(args, c >= 0 ? client.name() : again ? "kernel (replay)" : "kernel (shadow driver replay)");
        args.append(",\"badge\":").append(badge);
        args.append(",\"label\":\"0x").append(Long.toHexString(label)).append('"');
        if (op != null) {
            args.append(",\"op\":");
            string(args, op);
        }
        args.append(",\"endpoint\":");
        string(args, endpoint);
        args.append(",\"again\":").append(again);
        requestArgs[s] = args.toString();
        if (c >= 0 && callAt[c] >= 0) {
            long id = nextFlowId++;
            flow('s', "call", id, c, callAt[c]);
            flow('f', "call", id, s, atNanos);
        }
    }

    @Override
    public synchronized void replied(Task server, Task client, long atNanos) {
        int s = slot(server);
        if (s < 0 || closed) {
            return;
        }
        if (pieceStart[s] >= 0) {
            cpu(s, pieceStart[s], atNanos);
            pieceStart[s] = atNanos;
        }
        long opened = requestStart[s];
        if (opened >= 0) {
            endRequest(s, atNanos, "replied");
        }
        int c = slot(client);
        if (c >= 0) {
            callAt[c] = -1;
            // The arrow starts just before the reply, inside the request and the slice that sent it.
            replyAt[c] = Math.max(atNanos - 1, Math.max(opened, 0));
            replyFrom[c] = s;
        }
    }

    // ---- events the CLI also hears ---------------------------------------------------------------

    @Override
    public boolean reportsFaults() {
        return next.reportsFaults();
    }

    @Override
    public boolean reportsRecoveries() {
        return next.reportsRecoveries();
    }

    @Override
    public void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {
        next.taskFaulted(task, generation, fault, outcome);
        synchronized (this) {
            int s = slot(task);
            if (s < 0 || closed) {
                return;
            }
            long at = faultTime(s);
            StringBuilder a = new StringBuilder();
            a.append("\"kind\":");
            string(a, fault.kind().name());
            a.append(",\"pc\":\"0x").append(Long.toHexString(fault.pc())).append('"');
            a.append(",\"address\":\"0x")
                    .append(Long.toHexString(fault.address()))
                    .append('"');
            a.append(",\"where\":");
            string(a, fault.where() == null ? "" : fault.where());
            a.append(",\"generation\":").append(generation);
            a.append(",\"outcome\":");
            string(a, outcome.toString());
            instant(s, "fault", "fault " + fault.kind().name(), at, a.toString());
            endRequestBy(s, at, "fault");
        }
    }

    @Override
    public void taskRestarted(Task task) {
        next.taskRestarted(task);
        synchronized (this) {
            int s = slot(task);
            if (s < 0 || closed) {
                return;
            }
            long at = faultTime(s);
            endRequestBy(s, at, "restart");
            instant(s, "recovery", "restart", now(), "\"generation\":" + task.generation());
        }
    }

    @Override
    public void taskRecovered(Task task, Fault fault, long badge, int pages, long nanos) {
        next.taskRecovered(task, fault, badge, pages, nanos);
        synchronized (this) {
            int s = slot(task);
            if (s < 0 || closed) {
                return;
            }
            long at = faultTime(s);
            endRequestBy(s, at, "rolled back");
            instant(
                    s,
                    "recovery",
                    "rollback",
                    at,
                    "\"pages\":" + pages + ",\"us\":" + micros(nanos) + ",\"badge\":" + badge + ",\"fault\":\""
                            + fault.kind().name() + "\"");
        }
    }

    @Override
    public void taskExited(Task task, long code) {
        next.taskExited(task, code);
        synchronized (this) {
            int s = slot(task);
            if (s < 0 || closed) {
                return;
            }
            long at = now();
            if (requestStart[s] >= 0) {
                endRequest(s, at, "exit");
            }
            instant(s, "task", "exit", at, "\"code\":" + code);
        }
    }

    @Override
    public void historyReplayed(Task server, int requests, int pages, int differed, long nanos) {
        next.historyReplayed(server, requests, pages, differed, nanos);
        synchronized (this) {
            int s = slot(server);
            if (s >= 0 && !closed) {
                instant(
                        s,
                        "recovery",
                        "history replay",
                        now(),
                        "\"requests\":" + requests + ",\"pages\":" + pages + ",\"differed\":" + differed + ",\"us\":"
                                + micros(nanos));
            }
        }
    }

    @Override
    public void verifyMismatch(Task server, long badge, long label, boolean decided) {
        next.verifyMismatch(server, badge, label, decided);
        synchronized (this) {
            int s = slot(server);
            if (s >= 0 && !closed) {
                instant(
                        s,
                        "recovery",
                        "verify mismatch",
                        now(),
                        "\"badge\":" + badge + ",\"label\":\"0x" + Long.toHexString(label) + "\",\"op\":\""
                                + (opName(label) == null ? "" : opName(label)) + "\",\"decided\":" + decided);
            }
        }
    }

    @Override
    public void driverRecovered(Task driver, Fault fault, int replayed, int reissued, int held, long nanos) {
        next.driverRecovered(driver, fault, replayed, reissued, held, nanos);
        synchronized (this) {
            int s = slot(driver);
            if (s >= 0 && !closed) {
                instant(
                        s,
                        "recovery",
                        "driver recovered",
                        now(),
                        "\"fault\":\"" + fault.kind().name() + "\",\"replayed\":" + replayed + ",\"reissued\":"
                                + reissued + ",\"held\":" + held + ",\"us\":" + micros(nanos));
            }
        }
    }

    /** The request name of {@code label} in the project's protocols (guest/abi/*.proto), or null. */
    static String opName(long label) {
        String n = dev.rewind.abi.Kv.opName(label);
        n = n != null ? n : dev.rewind.abi.Fs.opName(label);
        n = n != null ? n : dev.rewind.abi.Blk.opName(label);
        n = n != null ? n : dev.rewind.abi.Tty.opName(label);
        n = n != null ? n : dev.rewind.abi.Bank.opName(label);
        return n != null ? n : dev.rewind.abi.Nest.opName(label);
    }

    /** Where a fault of the task lies: the end of its last slice (it is handled right after), else now. */
    /** Ends task {@code s}'s open request at {@code at} ({@code why}), if one began by then. */
    private void endRequestBy(int s, long at, String why) {
        if (requestStart[s] >= 0 && requestStart[s] <= at) {
            endRequest(s, at, why);
        }
    }

    private long faultTime(int s) {
        return pieceStart[s] < 0 && lastEnd[s] >= 0 ? lastEnd[s] : now();
    }

    /** When an open request that got no reply ended: where its server last left the CPU, if after it began. */
    private long endOfUnanswered(int s) {
        return lastEnd[s] >= requestStart[s] && pieceStart[s] < 0 ? lastEnd[s] : now();
    }

    /** Close the trace: end the slice on the CPU and the open requests, then the JSON. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        long at = now();
        for (int s = 0; s < pieceStart.length; s++) {
            if (pieceStart[s] >= 0) {
                cpu(s, pieceStart[s], at);
                pieceStart[s] = -1;
            }
            if (requestStart[s] >= 0) {
                endRequest(s, at, "open at the end of the trace");
            }
        }
        closed = true;
        try {
            if (failure == null) {
                out.write("\n]}\n");
            }
        } catch (IOException e) {
            failure = e;
        }
        try {
            out.close();
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---- writing ---------------------------------------------------------------------------------

    /** A CPU slice of slot {@code s} from {@code start} to {@code end}, moved inside an open request that began at or after it. */
    private void cpu(int s, long start, long end) {
        start = clampIntoRequest(s, start);
        if (end <= start) {
            return;
        }
        StringBuilder b = begin('X', "cpu", "run", s + 1, start);
        b.append(",\"dur\":").append(micros(end - start));
        b.append(",\"args\":{\"generation\":").append(pieceGeneration[s]).append("}}");
        emit(b);
    }

    /** A slice must not start where the request that contains it starts: viewers could not tell which is the parent. */
    private long clampIntoRequest(int s, long start) {
        return requestStart[s] >= 0 && start <= requestStart[s] ? requestStart[s] + 1 : start;
    }

    private void endRequest(int s, long end, String how) {
        long start = requestStart[s];
        requestStart[s] = -1;
        StringBuilder b = begin('X', "ipc", requestName[s], s + 1, start);
        b.append(",\"dur\":").append(micros(Math.max(end - start, 0)));
        b.append(",\"args\":{").append(requestArgs[s]).append(",\"end\":");
        string(b, how);
        b.append("}}");
        emit(b);
        requestName[s] = null;
        requestArgs[s] = null;
    }

    private void flow(char ph, String name, long id, int s, long at) {
        StringBuilder b = begin(ph, "ipc", name, s + 1, at);
        b.append(",\"id\":").append(id);
        if (ph == 'f') {
            b.append(",\"bp\":\"e\"");
        }
        b.append('}');
        emit(b);
    }

    private void instant(int s, String cat, String name, long at, String args) {
        StringBuilder b = begin('i', cat, name, s + 1, at);
        b.append(",\"s\":\"t\",\"args\":{").append(args).append("}}");
        emit(b);
    }

    private void meta(int tid, String name, String key, Object value) {
        StringBuilder b = new StringBuilder(96);
        b.append("{\"ph\":\"M\",\"pid\":")
                .append(PID)
                .append(",\"tid\":")
                .append(tid)
                .append(",\"name\":\"");
        b.append(name).append("\",\"args\":{\"").append(key).append("\":");
        if (value instanceof String str) {
            string(b, str);
        } else {
            b.append(value);
        }
        b.append("}}");
        emit(b);
    }

    private static StringBuilder begin(char ph, String cat, String name, int tid, long at) {
        StringBuilder b = new StringBuilder(160);
        b.append("{\"ph\":\"").append(ph).append("\",\"cat\":\"").append(cat).append("\",\"name\":");
        string(b, name);
        b.append(",\"pid\":").append(PID).append(",\"tid\":").append(tid);
        b.append(",\"ts\":").append(micros(at));
        return b;
    }

    private void emit(CharSequence event) {
        if (closed || failure != null) {
            return;
        }
        try {
            if (!first) {
                out.write(",\n");
            }
            first = false;
            out.append(event);
            events++;
        } catch (IOException e) {
            failure = e;
        }
    }

    /** Nanoseconds as microseconds with three decimals: exact, so equal times stay equal. */
    static String micros(long nanos) {
        if (nanos < 0) {
            nanos = 0;
        }
        long frac = nanos % 1000;
        return (nanos / 1000) + "." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + frac;
    }

    /** {@code s} as a JSON string. */
    static void string(Appendable b, String s) {
        try {
            b.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> {
                        if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff && !validSurrogate(s, i))) {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            b.append('"');
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
