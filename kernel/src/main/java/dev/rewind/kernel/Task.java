package dev.rewind.kernel;

import dev.rewind.abi.Abi;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.hw.mem.OutOfMemoryException;
import dev.rewind.hw.mem.Perm;
import dev.rewind.kernel.image.TaskSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A task: one program in its own address space, with its own CPU context (a {@link dev.rewind.hw.cpu.Cpu},
 * i.e. one Unicorn engine), capability table and scheduling state.
 *
 * <p>The task owns its state: every field is private, and the kernel changes it only through
 * the methods below, each named for what happens to the task and each leaving it consistent
 * (a load, a restart, an IPC transition, a heap step, a fault, a slice's accounting). The
 * relations with other tasks (endpoint queues, notifications' waiters) belong to {@link Ipc},
 * which calls these methods for each side. All of it is touched only by the kernel thread,
 * except what the watchdog thread reads: the time of the last syscall (volatile) and the
 * request clock ({@link RequestClock}, volatile inside).
 */
public final class Task {
    private final TaskSpec spec;
    private final int index;
    private final ElfImage image;
    private int generation = 1;
    private TaskState state = TaskState.READY;
    private Cpu cpu;
    private long pc;
    private Capability[] caps = new Capability[0];

    /** Registers a0..a(resultCount-1) to write before the task next runs. */
    private final long[] result = new long[8];

    private int resultCount;

    /**
     * The pending results are a delivered request (8) or a call's reply (7) whose sum goes into
     * a0 as the task asked ({@link Abi#SYS_SUM_BACK}): added when they are written
     * to the CPU, so that the recovery policy sees the status as the kernel gave it.
     */
    private boolean resultSummed;

    /** The receive it is in (or a rollback puts it back into) asked for its request's sum in a0. */
    private boolean receiveSumBack;

    /** Its last CALL asked for its reply's sum in a0. */
    private boolean callSumBack;

    // ---- IPC: this task as a client --------------------------------------------------------
    /** The message of a call waiting to be received (buffer data stays in this task's IPC buffer). */
    private final long[] msg = new long[6];
    /** The badge of the capability the pending call was made through. */
    private long sendBadge;
    /** The endpoint this task is queued on (SENDING) or waits on (RECEIVING). */
    private Endpoint blockedOn;
    /** For a client in AWAITING_REPLY: the server serving it. */
    private Task servedBy;
    /** The notification this task waits on. */
    private Notification waitingOn;
    /** WAIT_ANY: the task waits for whichever comes first (a request, the notification, its timeout). */
    private boolean waitingAny;
    /** WAIT_ANY's timeout: {@link Kernel#now} at which it ends; 0 = none. */
    private long wakeAt;
    /** The arguments (a0..a2) of the task's last WAIT_ANY: what a rolled-back wake waits for again. */
    private final long[] waitAnyArgs = new long[3];
    /** When the last WAIT_ANY's timeout ends (0: none). */
    private long waitAnyDeadline;
    // ---- IPC: this task as a server --------------------------------------------------------
    /** The caller it owes a reply, and that caller's generation. */
    private Task replyTo;

    private int replyToGeneration;

    private long heapStart;
    private long brk;
    private long heapMappedEnd;
    /** This task's heap has been refused growth once ({@link #noteHeapRefused}). */
    private boolean heapRefused;

    private long exitCode;
    /** A fault raised inside a syscall (abort), handled once the CPU has stopped. */
    private Fault pendingFault;

    private Fault lastFault;
    private int restarts;
    private int faults;

    /** The task's recovery policy (null for an agent, which never runs). */
    private Recovery recovery;
    /** CPU time spent on the open request, for the policy's deadline. Read by the watchdog. */
    private final RequestClock request = new RequestClock();

    /** Devices this task owns (drives), in manifest order. */
    private final List<BoundDevice> devices = new ArrayList<>();

    private final List<BoundDevice> devicesView = Collections.unmodifiableList(devices);
    /** Non-null for a pseudo-client through which the kernel sends requests (never scheduled). */
    private final Agent agentFor;
    /** For such an agent: the bytes its request carries (else it carries none). */
    private final byte[] agentPayload;

    /** Slices in a row that started with no other task ready (see Kernel.adjustPreemption). */
    private int uncontendedSlices;

    /** CPU time accounting, nanoseconds. */
    private long cpuNanos;
    /** Runaway accounting: CPU time since the last syscall, banked at the end of each slice. */
    private long quietNanos;
    /** When the task last made a syscall (System.nanoTime; 0: not since it was loaded). Read by the watchdog. */
    private volatile long lastSyscallAt;

    Task(TaskSpec spec, int index, ElfImage image) {
        this(spec, index, image, null, null);
    }

    private Task(TaskSpec spec, int index, ElfImage image, Agent agentFor, byte[] agentPayload) {
        this.spec = spec;
        this.index = index;
        this.image = image;
        this.agentFor = agentFor;
        this.agentPayload = agentPayload;
    }

    /**
     * A pseudo-client of {@code server}'s for {@code owner}: never scheduled, it carries one
     * request (label and words {@code words[0..6)}, the badge, and {@code payload} as its buffer,
     * or none) that the kernel queues on one of the server's endpoints.
     */
    static Task agent(Task server, Agent owner, long[] words, long badge, byte[] payload) {
        Task a = new Task(server.spec, -1, server.image, owner, payload);
        System.arraycopy(words, 0, a.msg, 0, a.msg.length);
        a.sendBadge = badge;
        return a;
    }

    // ---- identity and public view ------------------------------------------------------------

    public String name() {
        return spec.name();
    }

    public TaskId id() {
        return new TaskId(index, generation);
    }

    /**
     * For a server: which request it is handling, as "CLIENT label 0xL" (the caller it owes a
     * reply and the label that caller sent), or null when it owes none. What a probe compares to
     * tell one boot's sequence of requests from another's.
     */
    public String requestFrom() {
        Task c = replyTo;
        return c == null ? null : c.name() + " label 0x" + Long.toHexString(c.msg(0));
    }

    /**
     * For a txipc server: its client requests so far that verification ran twice and found equal,
     * those it left unverified (a nested call, or a syscall a run cannot repeat) and those whose
     * runs disagreed; null for another policy.
     */
    public long[] verifyCounts() {
        return recovery instanceof TxIpc tx ? new long[] {tx.verified, tx.unverified, tx.mismatched} : null;
    }

    /** The task's index in the system (its slot in the manifest's order; -1 for an agent). */
    public int index() {
        return index;
    }

    public int generation() {
        return generation;
    }

    public TaskState state() {
        return state;
    }

    public int priority() {
        return spec.priority();
    }

    public TaskSpec spec() {
        return spec;
    }

    public long exitCode() {
        return exitCode;
    }

    public Fault lastFault() {
        return lastFault;
    }

    public int restarts() {
        return restarts;
    }

    public int faults() {
        return faults;
    }

    public long cpuNanos() {
        return cpuNanos;
    }

    public ElfImage image() {
        return image;
    }

    /** The task's CPU, or null while it has none (ended, dead, or between teardown and reload). */
    public Cpu cpu() {
        return cpu;
    }

    /**
     * Where the task resumes. Meaningful while its CPU is stopped (in a {@link KernelProbe}
     * callback); part of the probes' surface ({@code dev.rewind.kernel.probe}).
     */
    public long pc() {
        return pc;
    }

    /**
     * Make the task resume at {@code pc}: the fault injector's instruction skip, from a
     * {@link KernelProbe#stopped} callback (the kernel writes it back to the CPU), and a
     * debugger's PC writes while the task is stopped.
     */
    public void resumeAt(long pc) {
        this.pc = pc;
    }

    /** The task's program break (the end of the heap it has asked for). */
    public long brk() {
        return brk;
    }

    /** True for a task that serves at least one endpoint. */
    public boolean isServer() {
        return !spec.serves().isEmpty();
    }

    /** The task's capability table, by slot (a copy). */
    public List<Capability> capabilities() {
        return Collections.unmodifiableList(Arrays.asList(caps.clone()));
    }

    /** For a client awaiting a reply: the server serving its call; else null. */
    public Task servedBy() {
        return servedBy;
    }

    /** True while the task (a server) handles a request its recovery policy times and can undo. */
    public boolean inRequest() {
        return request.isOpen();
    }

    /**
     * Which request the task handles ({@link #inRequest}) or handled last: a number that grows
     * with each request the recovery policy opens (0: none yet).
     */
    public long requestSerial() {
        return request.serial();
    }

    /**
     * The syscall results the kernel writes to a0, a1, ... when the task next runs (a copy;
     * empty if none): part of its registers as a debugger shows them.
     */
    public long[] pendingResults() {
        long[] r = Arrays.copyOf(result, resultCount);
        if (resultSummed && resultCount > 0) {
            r[0] = SyscallFrame.summedStatus(result, resultCount == 8);
        }
        return r;
    }

    /**
     * Replace the pending syscall results (at most 8 values; none: empty). For a debugger, while
     * the task is stopped (it edits registers, or moves the task in its history).
     */
    public void setPendingResults(long[] values) {
        if (values.length > result.length) {
            throw new IllegalArgumentException("at most " + result.length + " results, not " + values.length);
        }
        System.arraycopy(values, 0, result, 0, values.length);
        resultCount = values.length;
        resultSummed = false; // (as given: pendingResults showed a sum already in a0)
    }

    // ---- boot, load and restart ---------------------------------------------------------------

    /** Boot: give the task its capability table. */
    void grant(List<Capability> table) {
        caps = table.toArray(new Capability[0]);
    }

    /** Boot: the task owns (drives) {@code bd}. */
    void bind(BoundDevice bd) {
        devices.add(bd);
    }

    /** Boot: the task's recovery policy (set once). */
    void recoverBy(Recovery r) {
        if (recovery != null) {
            throw new IllegalStateException("task " + this + " already has a recovery policy");
        }
        recovery = r;
    }

    /**
     * The task was (re)loaded into {@code cpu} (its image mapped, its stack pointer set): it
     * starts at {@code entry} with an empty heap at {@code heapStart}. Used by the first load
     * and by every restart's reload.
     */
    void loaded(Cpu cpu, long entry, long heapStart) {
        this.heapStart = heapStart;
        this.brk = heapStart;
        this.heapMappedEnd = heapStart;
        this.pc = entry;
        this.cpu = cpu;
    }

    /**
     * A restart begins: the task becomes a new generation (callers failed from now on see it),
     * counts the restart, and forgets what belonged to the old instance: a pending fault, an
     * open request, the runaway accounting and pending syscall results. Kernel.restart then
     * tears the old instance down (its relations with other tasks, {@link Ipc#forget}) and
     * reloads it ({@link #loaded}).
     */
    void reinitialize() {
        generation++;
        restarts++;
        pendingFault = null;
        request.close();
        quietNanos = 0;
        lastSyscallAt = 0;
        resultCount = 0;
    }

    /** Close and drop the task's CPU and address space (ended, dead, or about to be reloaded). */
    void releaseCpu() {
        if (cpu != null) {
            cpu.close();
            cpu = null;
        }
    }

    // ---- scheduling and life ------------------------------------------------------------------

    /** The task is in a run queue. */
    void madeReady() {
        state = TaskState.READY;
    }

    /** The task is on the CPU: it first gets its pending syscall results in its registers. */
    void running() {
        state = TaskState.RUNNING;
        if (resultCount > 0) {
            recovery.resumedWith(result, resultCount);
            if (resultSummed) {
                result[0] = SyscallFrame.summedStatus(result, resultCount == 8);
                resultSummed = false;
            }
            cpu.writeArgs(result, resultCount);
            resultCount = 0;
        }
    }

    /** The task called EXIT with {@code code} (all 64 bits of a0: a code is not cut to 0). */
    void exited(long code) {
        exitCode = code;
        state = TaskState.EXITED;
    }

    /** The task is dead for good (its policy stopped it, or its reload failed). */
    void died() {
        state = TaskState.DEAD;
    }

    /** A slice found another task ready (or a device that may wake one): the count starts over. */
    void contended() {
        uncontendedSlices = 0;
    }

    /** One more slice in a row that found no other task ready; returns how many in a row. */
    int uncontendedSlice() {
        return ++uncontendedSlices;
    }

    // ---- accounting (the watchdog reads lastSyscallAt and the request clock) -------------------

    /** A slice of the task starts at {@code now}. */
    void sliceStarted(long now) {
        request.sliceStarted(now);
    }

    /**
     * The task's slice ran from {@code start} to {@code end}, and it has run {@code quiet}
     * nanoseconds since its last syscall: charge the CPU time and bank the request's share.
     */
    void chargeSlice(long start, long end, long quiet) {
        cpuNanos += end - start;
        quietNanos = quiet;
        request.sliceEnded(end);
    }

    /** Runaway accounting banked at the end of the last slice. */
    long quietNanos() {
        return quietNanos;
    }

    /** The task made a syscall at {@code now} (System.nanoTime). */
    void madeSyscall(long now) {
        lastSyscallAt = now;
    }

    long lastSyscallAt() {
        return lastSyscallAt;
    }

    /** A request the recovery policy times (and may undo) begins at {@code now}. */
    void openRequest(long now) {
        request.open(now);
    }

    /** The open request is over (committed, undone, or given up on). */
    void closeRequest() {
        request.close();
    }

    /** The task blocked inside its open request at {@code now} ({@code held}: the kernel's debugger-held total). */
    void requestBlocked(long now, long held) {
        request.blocked(now, held);
    }

    /** The task was woken at {@code now}: the time it was blocked inside its open request counts. */
    void requestUnblocked(long now, long held) {
        request.unblocked(now, held);
    }

    /** While blocked inside its open request: has the request used more than {@code limit} ns? */
    boolean requestOverranBlocked(long now, long held, long limit) {
        return request.overranBlocked(now, held, limit);
    }

    /** Before its slice starts: has its open request used more than {@code limit} ns, CPU and banked waits? */
    boolean requestOverranBetweenSlices(long limit) {
        return request.overranBetweenSlices(limit);
    }

    /** How long the task has been blocked inside its open request (0: it is not). */
    long requestBlockedFor(long now, long held) {
        return request.blockedFor(now, held);
    }

    /** While a request is open: has it used more than {@code limit} ns of CPU at {@code now}? (watchdog thread) */
    boolean requestOverran(long now, long limit) {
        return request.overran(now, limit);
    }

    // ---- faults ------------------------------------------------------------------------------

    /** Count and record {@code f} (before its recovery). */
    void recordFault(Fault f) {
        faults++;
        lastFault = f;
    }

    /** Raise {@code f} (found inside a syscall) once the CPU has stopped. */
    void faultWhenStopped(Fault f) {
        pendingFault = f;
    }

    /** The fault raised inside the last syscall, now to be handled, or null; it is cleared. */
    Fault takePendingFault() {
        Fault f = pendingFault;
        pendingFault = null;
        return f;
    }

    Recovery recovery() {
        return recovery;
    }

    // ---- capabilities ------------------------------------------------------------------------

    /** The capability in {@code slot}, or null if there is no such slot. */
    Capability cap(long slot) {
        slot = slot(slot);
        return slot < 0 || slot >= caps.length ? null : caps[(int) slot];
    }

    /** A capability slot argument without {@link Abi#SLOT_TAG}, which the kernel ignores. */
    static long slot(long arg) {
        return arg >= 0 ? arg & ~Abi.SLOT_TAG : arg;
    }

    /** True if one of this task's capabilities calls {@code ep} with {@code badge}. */
    boolean callsWith(Endpoint ep, long badge) {
        for (Capability c : caps) {
            if (c != null && c.kind() == Capability.Kind.ENDPOINT_SEND && c.endpoint() == ep && c.badge() == badge) {
                return true;
            }
        }
        return false;
    }

    /** Put {@code c} in {@code slot} (a refreshed or followed capability). */
    void replaceCap(int slot, Capability c) {
        caps[slot] = c;
    }

    /** The first slot holding a capability named {@code name}, or -1. */
    int capSlot(String name) {
        for (int i = 0; i < caps.length; i++) {
            if (caps[i].name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** A copy of the capability table (a policy's snapshot). */
    Capability[] capsSnapshot() {
        return caps.clone();
    }

    // ---- heap --------------------------------------------------------------------------------

    long heapStart() {
        return heapStart;
    }

    long heapMappedEnd() {
        return heapMappedEnd;
    }

    /**
     * Map the heap up to {@code end}; null if done, else why not (the machine's RAM has no room
     * for it, or the address space no room for another region).
     */
    String growHeap(long end) {
        try {
            cpu.memory().map("heap", heapMappedEnd, end - heapMappedEnd, Perm.RW);
        } catch (OutOfMemoryException e) {
            return e.getMessage();
        }
        heapMappedEnd = end;
        return null;
    }

    /** True the first time this task's heap could not grow (the failure is logged at WARN once a task). */
    boolean noteHeapRefused() {
        if (heapRefused) {
            return false;
        }
        heapRefused = true;
        return true;
    }

    /** Move the break to {@code newBrk} (within the mapped heap); returns the old one. */
    long moveBreak(long newBrk) {
        long old = brk;
        brk = newBrk;
        return old;
    }

    /**
     * Put the kernel-side state back to a snapshot a policy took (TxIPC's undo): resume at
     * {@code pc} with break {@code brk} and capability table {@code table}; the open request is
     * over and no syscall result is pending. (The registers and memory are the policy's.)
     */
    void rollBackTo(long pc, long brk, Capability[] table) {
        this.pc = pc;
        this.brk = brk;
        this.caps = table;
        request.close();
        resultCount = 0;
    }

    List<BoundDevice> devices() {
        return devicesView;
    }

    // ---- IPC ---------------------------------------------------------------------------------
    // Client side: beginCall -> (queueOn) -> awaitReply -> replied / callFailed.
    // Server side: blockReceiving -> beginServing -> endServing.

    /** The task calls through {@code ep} with badge {@code badge} and message {@code words[from..from+6)}. */
    void beginCall(Endpoint ep, long badge, long[] words, int from) {
        System.arraycopy(words, from, msg, 0, msg.length);
        sendBadge = badge;
        blockedOn = ep;
    }

    /** The task's call waits in {@code ep}'s queue (the caller puts it there). */
    void queueOn(Endpoint ep) {
        state = TaskState.SENDING;
        blockedOn = ep;
    }

    /** The task's call was handed to {@code server}: it waits for the reply. */
    void awaitReply(Task server) {
        state = TaskState.AWAITING_REPLY;
        blockedOn = null;
        servedBy = server;
    }

    /** The task's call is over (answered, failed, or taken back): it is bound to no endpoint or server. */
    void callEnded() {
        blockedOn = null;
        servedBy = null;
    }

    /** An agent's call was answered: it is done (agents are never scheduled). */
    void agentAnswered() {
        servedBy = null;
        state = TaskState.READY;
    }

    /** Word {@code i} of the pending call's message (0: label; 5: buffer length). */
    long msg(int i) {
        return msg[i];
    }

    /** The pending call's message (a copy). */
    long[] message() {
        return msg.clone();
    }

    /** Copy the pending call's message into {@code out[from..from+6)}. */
    void copyMessage(long[] out, int from) {
        System.arraycopy(msg, 0, out, from, msg.length);
    }

    /** Change word {@code i} of the pending call's message (a shadow's fix-up before a re-issue). */
    void amendMessage(int i, long value) {
        msg[i] = value;
    }

    long sendBadge() {
        return sendBadge;
    }

    /** The endpoint the task is queued on (SENDING) or waits on (RECEIVING), or null. */
    Endpoint blockedOn() {
        return blockedOn;
    }

    Agent agentFor() {
        return agentFor;
    }

    byte[] agentPayload() {
        return agentPayload;
    }

    /** The task (a server) waits in receive on {@code ep} (the caller makes it the endpoint's receiver). */
    void blockReceiving(Endpoint ep) {
        state = TaskState.RECEIVING;
        blockedOn = ep;
    }

    /** The task (a server) got {@code client}'s call: it owes that caller (this generation of it) a reply. */
    void beginServing(Task client) {
        replyTo = client;
        replyToGeneration = client.generation;
        blockedOn = null;
    }

    /** The caller the task owes a reply, or null. */
    Task replyOwed() {
        return replyTo;
    }

    /** The task owes no reply any more (it replied, or the request was undone or cut). */
    void endServing() {
        replyTo = null;
    }

    /**
     * Is {@code client} (the caller this task owed, or owes, a reply) the same generation and
     * still waiting for this task's reply?
     */
    boolean isServing(Task client) {
        return client.generation == replyToGeneration
                && client.state == TaskState.AWAITING_REPLY
                && client.servedBy == this;
    }

    /** The task waits on {@code n} (the caller makes it the notification's waiter). */
    void blockWaiting(Notification n) {
        state = TaskState.WAITING;
        waitingOn = n;
    }

    /** The notification the task waits on, or null. */
    Notification waitingOn() {
        return waitingOn;
    }

    /**
     * WAIT_ANY: besides receiving on an endpoint ({@link #blockReceiving}, or
     * {@link #blockWaiting} with no notification when it has none), the task waits for {@code n}
     * (or null) until {@code wakeAt} (0: no timeout). The caller makes it {@code n}'s waiter and
     * queues the timeout.
     */
    void waitAny(Notification n, long wakeAt) {
        waitingAny = true;
        waitingOn = n;
        this.wakeAt = wakeAt;
    }

    /** The task's last receive was a WAIT_ANY on an endpoint (not a RECV): what it is put back into after a rollback. */
    private boolean receivesByWaitAny;

    boolean receivesByWaitAny() {
        return receivesByWaitAny;
    }

    void receivesByWaitAny(boolean b) {
        receivesByWaitAny = b;
    }

    /**
     * Remember the arguments of a WAIT_ANY the task makes at {@code now} ({@link #lastWaitAnyArgs}),
     * and when its timeout ends ({@link #lastWaitAnyDeadline}).
     */
    void madeWaitAny(long a0, long a1, long a2, long now) {
        waitAnyArgs[0] = a0;
        waitAnyArgs[1] = a1;
        waitAnyArgs[2] = a2;
        long end = now + a2;
        waitAnyDeadline = a2 <= 0 ? 0 : end < now ? Long.MAX_VALUE : end;
    }

    /** When the timeout of the task's last WAIT_ANY ends ({@link Kernel#now} time; 0: it had none). */
    long lastWaitAnyDeadline() {
        return waitAnyDeadline;
    }

    /** a0..a2 of the task's last WAIT_ANY. */
    long[] lastWaitAnyArgs() {
        return waitAnyArgs.clone();
    }

    /** True while the task waits in WAIT_ANY. */
    boolean waitingAny() {
        return waitingAny;
    }

    /** WAIT_ANY's timeout ({@link Kernel#now} time), 0 if none. */
    long wakeAt() {
        return wakeAt;
    }

    /** The WAIT_ANY is over (a request, the notification or the timeout ended it). */
    void waitAnyEnded() {
        waitingAny = false;
        waitingOn = null;
        wakeAt = 0;
        if (state == TaskState.RECEIVING) {
            blockedOn = null;
        }
    }

    /** WAIT_ANY ended with {@code status} (WOKEN with the notification's bits, or ETIMEDOUT). */
    void waitAnyResult(long status, long bits) {
        result[0] = status;
        result[1] = bits;
        resultCount = 2;
    }

    /** The task's wait ended with {@code bits}: it gets OK and them. */
    void notified(long bits) {
        waitingOn = null;
        result[0] = Abi.OK;
        result[1] = bits;
        resultCount = 2;
    }

    /**
     * Withdraw the task from every IPC relation of its own (it is exiting, dying or restarting):
     * no call pending or served, no wait. The other side (endpoint queue, notification waiter,
     * callers it owed) is {@link Ipc#forget}'s.
     */
    void leaveIpc() {
        blockedOn = null;
        servedBy = null;
        waitingOn = null;
        waitingAny = false;
        wakeAt = 0;
    }

    // ---- results of a blocking syscall ---------------------------------------------------------

    /** Wake with a0 = {@code a0} (other pending results stay). */
    void setResult(long a0) {
        result[0] = a0;
        resultSummed = false;
        resultCount = Math.max(resultCount, 1);
    }

    /** Wake with a0, a1 (other pending results stay). */
    void setResult2(long a0, long a1) {
        result[0] = a0;
        resultSummed = false;
        result[1] = a1;
        resultCount = Math.max(resultCount, 2);
    }

    /** Wake with exactly {@code values[0..n)} in a0.. (a delivered message: the receive's 8 results). */
    void setResults(long[] values, int n) {
        System.arraycopy(values, 0, result, 0, n);
        resultCount = n;
        resultSummed = receiveSumBack && n == 8 && values[0] == Abi.OK;
    }

    /** Wake with a reply: a0 = {@code status}, a1..a6 = {@code reply[1..6]}. */
    void setReply(long status, long[] reply) {
        result[0] = status;
        System.arraycopy(reply, 1, result, 1, 6);
        resultCount = 7;
        resultSummed = callSumBack && status == Abi.OK;
    }

    /**
     * The receive the task makes now (a RECV or REPLY_RECV that got past its refusals, a
     * WAIT_ANY made by the task) asked for its request's sum in a0 or not ({@link
     * Abi#SYS_SUM_BACK}): kept, as {@link #receivesByWaitAny} is, for the request it is given,
     * then or later, and for the same request delivered again after a rollback, which puts the
     * task back into this receive.
     */
    void receiveSumBack(boolean sumBack) {
        receiveSumBack = sumBack;
    }

    /** Whether the task's receive asked for its request's sum in a0 ({@link #receiveSumBack(boolean)}). */
    boolean receivesSumBack() {
        return receiveSumBack;
    }

    /** The CALL the task makes now asked for its reply's sum in a0 or not ({@link Abi#SYS_SUM_BACK}). */
    void callSumBack(boolean sumBack) {
        callSumBack = sumBack;
    }

    @Override
    public String toString() {
        return name() + "#" + index + "." + generation;
    }
}
