package dev.rewind.kernel;

import dev.rewind.abi.Abi;
import dev.rewind.kernel.image.ShadowClass;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shadow driver (Swift et al., "Recovering Device Drivers", OSDI 2004), kept by the kernel
 * for a driver task under {@code recovery = "shadow"}.
 *
 * <p><b>Passive mode.</b> The kernel tells the shadow about every request delivered to the
 * driver and every reply. The shadow logs only the requests that build driver state: a
 * successful OPEN per client badge (replaced by a later OPEN of the same client, dropped by its
 * CLOSE), so the log never holds more entries than there are open clients. It also remembers
 * the one request in flight (IPC is synchronous: a driver serves one request at a time; every
 * other caller is still queued on the endpoint, never delivered).
 *
 * <p><b>Recovery.</b> When the driver faults: the in-flight request and the queued callers are
 * taken off the driver, so the restart does not fail them; the driver is restarted (new
 * generation) and its devices reset; the endpoint queue is rebuilt as: the logged OPENs (sent by
 * the shadow itself, replies consumed by it), then the request that was in flight (its client
 * still waiting, its message unchanged except where the driver class needs a fix-up), then the
 * callers held meanwhile, in their order. Callers arriving during recovery queue behind them.
 * Clients' capabilities stay valid across the restart. Clients see only a delay.
 *
 * <p><b>Exactly once.</b> The in-flight request is re-issued once, and its client is woken by
 * exactly one reply: either the old driver replied (the request is no longer in flight) or it
 * did not (it is re-issued). Block requests are idempotent (a re-issued WRITE writes the same
 * bytes to the same sectors). For a character device the shadow taps the UART: a WRITE cut
 * short is re-issued with {@code resume} = bytes already transmitted, and bytes a cut-short READ
 * took from the receive FIFO are pushed back, so no byte is output twice or lost. A request that
 * faults the driver a second time after being re-issued is failed with EIO instead of looping.
 *
 * <p>This class is the machinery every shadow shares; each driver class adds only what its
 * protocol needs: {@link BlockShadow} (its OPEN/CLOSE labels) and {@link CharShadow} (those
 * plus the UART tap).
 */
abstract class Shadow implements Recovery, Agent {
    private static final Logger log = LoggerFactory.getLogger(Shadow.class);

    /** A logged state-building request. */
    private record Entry(Endpoint ep, long badge, long[] msg) {}

    final Kernel k; // (subclasses log through it: Kernel#recoveryNote)
    final Task driver;
    private final long openLabel;
    private final long closeLabel;
    private final Map<Long, Entry> stateLog = new LinkedHashMap<>();
    /**
     * Device-wide configuration requests the class logs ({@link #logsConfig}): the last
     * successful one of each label, replayed after the sessions.
     */
    private final Map<Long, Entry> configLog = new LinkedHashMap<>();

    /** The request in flight: its client (or agent), endpoint and what it was. */
    private Task inflight;

    private Endpoint inflightEp;
    private boolean inflightIsReissue;
    /** The driver's registers when it received the request in flight, and what its loop keeps. */
    private final long[] begin = new long[33];

    private final KeptRegisters kept;
    /**
     * The driver's code as its image has it: checked before each reply leaves, and every
     * {@link #CODE_CHECK_EVERY} deliveries (a driver whose changed code never replies).
     */
    private CodeImage code;

    private int sinceCodeCheck;

    private long lastCodeCheck;
    /**
     * Deliveries between checks of the driver's code against its image. A bit flipped in a code
     * page that never traps can leave a driver answering wrongly forever (measured: a corrupted
     * instruction in the NIC driver's memcpy garbled every frame it copied, and TCP stalled for
     * good); found within this many requests, the driver is restarted with its code reloaded.
     * (Each reply is checked too; this also finds a driver that stopped replying.) A driver that gets few
     * requests (one whose fault stopped its traffic: only a stack's retransmissions still reach
     * it) is also checked at the first request after {@link #CODE_CHECK_NANOS}.
     */
    static final int CODE_CHECK_EVERY = 16;

    static final long CODE_CHECK_NANOS = 50_000_000L;

    /** Recovery in progress. */
    private Task pendingReissue;

    private int agentsOutstanding;
    private boolean recovering;
    private long faultAt;
    private Fault fault;
    private int replayed;
    private int reissued;
    private int held;

    /**
     * @param openLabel  the protocol's OPEN request: builds per-client driver state (logged)
     * @param closeLabel its CLOSE request: drops that state (trims the log)
     */
    Shadow(Kernel k, Task driver, long openLabel, long closeLabel) {
        this.k = k;
        this.driver = driver;
        this.kept = new KeptRegisters(driver.image(), k.arch());
        this.openLabel = openLabel;
        this.closeLabel = closeLabel;
    }

    /** The shadow for {@code driver}'s class. */
    static Shadow of(Kernel k, Task driver, ShadowClass cls) {
        return switch (cls) {
            case BLOCK -> new BlockShadow(k, driver);
            case CHAR -> new CharShadow(k, driver);
            case NET -> new NetShadow(k, driver);
        };
    }

    /**
     * Whether a successful request with {@code label} sets device-wide configuration the
     * restarted driver must be given again (a network card's MAC address). The last one of each
     * label is logged and replayed, with its client's badge, after the sessions.
     */
    boolean logsConfig(long label) {
        return false;
    }

    /**
     * How long a driver may leave its network card's received frames alone (frames waiting with
     * no receive buffer posted, or frames in the ring never followed by a buffer posted again)
     * before it counts as failed: a driver whose state or code was corrupted without a trap may
     * stop taking frames or stop telling its client about them, and the connections above it
     * stall for good (measured: a flipped register and a skipped instruction in the NIC driver).
     * A working driver hands a frame on and posts its buffer again within microseconds of its
     * client's RECV, which follows its notification; a second is far beyond any stall of a
     * healthy system.
     */
    static final long STALLED_NANOS = 1_000_000_000L;

    @Override
    public Fault watch(long now) {
        if (recovering) {
            return null;
        }
        for (BoundDevice bd : driver.devices()) {
            long since = bd.device.stalledSinceNanos();
            if (since != 0 && now - since > STALLED_NANOS) {
                return new Fault(
                        FaultKind.DEADLINE,
                        driver.pc(),
                        0,
                        driver.image().describe(driver.pc()),
                        "its device " + bd.name() + " has had received frames left alone for "
                                + (now - since) / 1_000_000 + " ms: the driver stopped taking them");
            }
        }
        return null;
    }

    /** The endpoint the request in flight came through (null when none is). */
    Endpoint inflightEndpoint() {
        return inflight == null ? null : inflightEp;
    }

    /** Class-specific tap of a request just delivered (the driver has not run yet). */
    void tapDelivery(Task client) {}

    /** Class-specific repair of a request cut short, so that re-issuing it repeats nothing. */
    void fixUp(Task client) {}

    /**
     * Class-specific: the driver failed and is about to be restarted (whether or not a request was
     * in flight): give its device back what the driver took from it and never handed on (a
     * character driver's received bytes that no READ reply carried).
     */
    void driverLost() {}

    /** Class-specific: {@code client}'s request is handed to the driver (after {@link #tapDelivery}). */
    void requestBegins(Task client) {}

    /** Class-specific: the driver answered the request in flight. */
    void requestEnds() {}

    /**
     * Class-specific: the driver answered {@code client}'s request (a client's, not one the
     * shadow replays) with {@code reply} (a1 = status, a2.. = words), after the checks before a
     * reply; called whether or not the client is still there to take it.
     */
    void answered(Task client, long[] reply) {}

    /**
     * A request the class has the shadow send to the restarted driver after the sessions and
     * configuration are replayed, before the request in flight is re-issued: label and words
     * ({@code msg}, as {@link Task#message}), the badge it is sent with and its buffer (or null).
     */
    record Replay(Endpoint ep, long badge, long[] msg, byte[] payload) {}

    /**
     * Class-specific: what else the restarted driver must be told to hold what its clients were
     * told (a block driver's acknowledged writes that may have lived only in its memory), given
     * the sessions that will have been replayed ({@code open}: badge to its OPEN request).
     * Called after {@link #undoRequest}, before anything is queued.
     */
    List<Replay> lostWork(Map<Long, long[]> open) {
        return List.of();
    }

    /**
     * Class-specific: the driver failed inside a request, before it is restarted: undo what the
     * request did to the device (the request is re-issued, or its client told it failed).
     */
    void undoRequest() {}

    /**
     * Class-specific: why the driver, in the request it is about to answer (a client's or a
     * replay), has failed although it neither trapped nor answered wrongly (a block driver that
     * wrote data to its disk that no client wrote), or null. Checked before each reply leaves.
     */
    String requestBreach() {
        return null;
    }

    // ---- the protocol's contract (generated from the driver class's .proto) -----------------

    /** The request's name ("READ"), or null for a label the protocol does not define. */
    abstract String opName(long label);

    /** The request ({@code msg}: label, w0..w3, length) passes its rule in the definition. */
    abstract boolean wellFormed(long[] msg);

    /** The definition allows {@code status} as an answer to {@code label}. */
    abstract boolean mayAnswer(long label, long status);

    /** The class protocol's own "the device failed" error (blk's, nic's EIO), or the kernel's EIO. */
    long deviceError() {
        return Abi.EIO;
    }

    /**
     * What a request that faulted the driver twice is failed with: the protocol's device error
     * where its definition lists it for the request (a blk client tells an I/O error by
     * {@code BLK_EIO}, -23), else the kernel's EIO. (Before 2026-12-06 always the kernel's
     * -11, which blk's READ, WRITE and FLUSH do not list: a client comparing with {@code
     * BLK_EIO} took it for another error.)
     */
    final long failedStatus(long label) {
        long own = deviceError();
        return mayAnswer(label, own) ? own : Abi.EIO;
    }

    /**
     * A successful reply ({@code reply[1..6]}) to {@code msg} (label, w0..w3, length) has the
     * shape the definition gives it.
     */
    abstract boolean replyWellFormed(long[] msg, long[] reply);

    /**
     * Why {@code status} cannot be the answer to request {@code msg} (label, w0..w3, length) from
     * a client whose session is {@code open} (the OPEN request the shadow logged for it, or null
     * if it has none), given what the shadow knows of the driver's state and devices; or null.
     */
    String stateBreach(long[] msg, long status, long[] open) {
        return null;
    }

    /**
     * Why the words of {@code reply}, a success (status 0) to request {@code msg}, cannot be the
     * answer, given what the shadow knows of the driver's devices; or null.
     */
    String answerBreach(long[] msg, long[] reply) {
        return null;
    }

    /** The OPEN request the shadow logged for a client's {@code badge} (its session), or null. */
    final long[] session(long badge) {
        Entry open = stateLog.get(badge);
        return open == null ? null : open.msg();
    }

    /**
     * Why {@code reply} to {@code client}'s request is one the driver's protocol rules out, or
     * null. The shadow knows the protocol's definition (each request's rule, the errors it may
     * answer, the reply's shape) and each client's session, so a driver that answers EINVAL to a
     * well-formed request, an error its request does not list, a malformed reply, or "not open"
     * to a client whose OPEN it acknowledged has failed, though it did not trap: its state or
     * code is corrupt. (Measured: corrupted instructions in the driver's request check answered
     * valid requests EINVAL for a while before trapping; docs/RECOVERY.md.) Requests the protocol
     * does not define, and malformed ones, are the driver's to answer as it likes.
     */
    private String contractBreach(Task client, long[] reply) {
        long[] msg = client.message();
        long label = msg[0];
        String op = opName(label);
        if (op == null || !wellFormed(msg)) {
            return null;
        }
        long status = reply[1];
        if (status == Abi.EINVAL) {
            return "answered EINVAL to a well-formed " + op + " request";
        }
        if (status > 0) {
            // (not in any definition, yet the client stubs take it for a success, words and
            // buffer with it: the shadow's bookkeeping of what was handed over would be wrong)
            return "answered " + status + ", which " + op + " may not answer (a success is 0)";
        }
        if (!mayAnswer(label, status)) {
            return "answered " + status + ", which " + op + " may not answer (its definition lists the errors it may)";
        }
        if (!replyWellFormed(msg, reply)) {
            return "a malformed " + op + " reply (words or length outside what the definition allows)";
        }
        Entry open = stateLog.get(client.sendBadge());
        String breach = stateBreach(msg, status, open == null ? null : open.msg());
        return breach == null && status == 0 ? answerBreach(msg, reply) : breach;
    }

    // ---- passive mode ----------------------------------------------------------------------

    /** {@code client}'s request (in client.msg) was delivered to the driver through {@code ep}. */
    @Override
    public void delivered(Task client, Endpoint ep) {
        inflight = client;
        inflightEp = ep;
        inflightIsReissue = client == pendingReissue;
        if (inflightIsReissue) {
            pendingReissue = null;
        }
        if (driver.cpu() != null) {
            driver.cpu().readAll(begin);
        }
        tapDelivery(client);
        requestBegins(client);
        driver.openRequest(System.nanoTime()); // the request deadline counts from here
        long now = System.nanoTime();
        if ((++sinceCodeCheck >= CODE_CHECK_EVERY || now - lastCodeCheck > CODE_CHECK_NANOS) && driver.cpu() != null) {
            sinceCodeCheck = 0;
            lastCodeCheck = now;
            long changed = codeImage().changedPage();
            if (changed != -1) {
                // Faulted once its CPU next stops; the request just delivered is re-issued to the
                // restarted driver, whose code is loaded afresh.
                driver.faultWhenStopped(new Fault(
                        FaultKind.CORRUPT_STATE,
                        driver.pc(),
                        changed,
                        driver.image().describe(driver.pc()),
                        "code page 0x" + Long.toHexString(changed) + " differs from the image"));
            }
        }
    }

    /** The driver answered (whether or not its client is still there): the request is over. */
    @Override
    public void committed(Task client, long[] reply) {
        driver.closeRequest();
        requestEnds();
        if (client.agentFor() == null) {
            answered(client, reply);
        }
    }

    /**
     * A request the driver spends more than {@code deadline_ms} of CPU on (a loop that never
     * finishes it) is a fault: the driver is restarted and the request re-issued, once.
     */
    @Override
    public long deadlineNanos() {
        return driver.spec().txipc().deadlineMs() * 1_000_000L;
    }

    /**
     * The driver is about to reply and receive again at {@code pc} (REPLY_RECV). If it changed a
     * register its loop keeps ({@link KeptRegisters}), it is corrupt: returns the fault to raise
     * instead of letting a possibly wrong reply out (the request is then re-issued to the
     * restarted driver). Else null.
     */
    @Override
    public Fault checkReply(long pc, long[] reply) {
        String what = kept.check(begin, driver.cpu(), pc);
        Task client = driver.replyOwed();
        if (what == null && client != null) {
            what = requestBreach();
        }
        if (what == null && client != null && client.agentFor() == null) {
            String breach = contractBreach(client, reply);
            what = breach == null ? null : "a reply the protocol rules out: " + breach;
        }
        if (what == null && driver.cpu() != null && driver.spec().txipc().codeCheck()) {
            // No reply computed by changed code leaves (a corrupted instruction that reads the
            // wrong sector answers with the right shape): the driver restarts with its code
            // reloaded, and the request is re-issued.
            long changed = codeImage().changedPage();
            if (changed != -1) {
                what = "code page 0x" + Long.toHexString(changed)
                        + " differs from the image (checked before the reply)";
            }
        }
        return what == null
                ? null
                : new Fault(FaultKind.CORRUPT_STATE, pc - 4, 0, driver.image().describe(pc - 4), what);
    }

    /**
     * The driver is about to make the syscall at {@code pc} with no reply owed (its work after a
     * reply, its serve loop's way back to its receive): its code is compared with the image first
     * (nearly free unless something wrote its read-only pages since the last compare). Changed
     * code there could make a wait that nothing ends (a flipped bit turned the NIC driver's
     * {@code li a2,0} before its WAIT_ANY into a branch, inject seed 1484026: it waited for good
     * while the stack waited for its frames), or a loop of syscalls that are not a receive (its
     * WAIT_ANY's number changed, seed 1513506: it spun for good); the compares at a reply and at a
     * delivery never came.
     */
    @Override
    public Fault beforeSyscall(long pc) {
        if (driver.cpu() == null
                || driver.replyOwed() != null
                || !driver.spec().txipc().codeCheck()) {
            // (with a reply owed, REPLY_RECV's reply is compared first: checkReply)
            return null;
        }
        long changed = codeImage().changedPage();
        return changed == -1
                ? null
                : new Fault(
                        FaultKind.CORRUPT_STATE,
                        pc - 4,
                        changed,
                        driver.image().describe(pc - 4),
                        "code page 0x" + Long.toHexString(changed) + " differs from the image (checked before a"
                                + " system call with no reply owed)");
    }

    /**
     * The driver is about to exit at {@code pc}. A driver serves until it fails: one that exits
     * with a reply owed leaves its client with EDEAD (and every later client too), as visible as
     * a wrong reply, and one whose code no longer matches its image got there by changed code
     * (measured: a flipped bit in lru_blk's code turned a branch into a way out of its loop, and
     * it exited with status 0 in the middle of a WRITE). Either is a failure: restart, re-issue.
     */
    @Override
    public Fault checkExit(long pc) {
        String what = null;
        Task client = driver.replyOwed();
        if (client != null) {
            what = "exited in the middle of a request (" + opNameOr(client.msg(0)) + " from " + client + ")";
        } else if (driver.cpu() != null) {
            long changed = codeImage().changedPage();
            if (changed != -1) {
                what = "exited with code page 0x" + Long.toHexString(changed) + " different from the image";
            }
        }
        return what == null
                ? null
                : new Fault(FaultKind.CORRUPT_STATE, pc - 4, 0, driver.image().describe(pc - 4), what);
    }

    /**
     * A driver's receive names a slot that holds no endpoint it serves: it can serve nothing any
     * more (a corrupted register that held its endpoint's slot). A driver whose own loop receives
     * again when a receive fails would spin there for good: with a reply owed, until the request
     * deadline; after a plain REPLY (work after the reply), in no request, so never, its clients
     * starved (measured: a flipped bit of lru_blk_pr's endpoint slot, campaign seeds 1445412 and
     * 1445416). A fault instead: restart, re-issue.
     */
    @Override
    public Fault receiveRefused(long slot, long pc) {
        return new Fault(
                FaultKind.CORRUPT_STATE,
                pc - 4,
                0,
                driver.image().describe(pc - 4),
                "received on slot " + slot + ", which holds no endpoint it serves");
    }

    private String opNameOr(long label) {
        String op = opName(label);
        return op != null ? op : "request 0x" + Long.toHexString(label);
    }

    private CodeImage codeImage() {
        if (code == null) {
            code = new CodeImage(driver);
        }
        return code;
    }

    /** A driver waiting forever for its device inside a request is restarted, the request re-issued. */
    @Override
    public boolean breaksDeadlocks() {
        return true;
    }

    /** Its restarts are hidden: clients' capabilities follow the driver's new generation. */
    @Override
    public boolean hidesRestarts() {
        return true;
    }

    @Override
    public void replyDelivered(Task client, long[] reply) {
        replied(client, reply);
    }

    /** The driver replied {@code reply} (a1 = status label, a2.. = words) to {@code client}. */
    private void replied(Task client, long[] reply) {
        long label = client.msg(0);
        if (reply[1] == 0 && client.agentFor() == null) {
            if (label == openLabel) {
                stateLog.put(client.sendBadge(), new Entry(inflightEp, client.sendBadge(), client.message()));
            } else if (label == closeLabel) {
                stateLog.remove(client.sendBadge());
            } else if (logsConfig(label)) {
                configLog.remove(label); // (re-inserted last: replayed in the order they were made)
                configLog.put(label, new Entry(inflightEp, client.sendBadge(), client.message()));
            }
        }
        if (client == inflight) {
            inflight = null;
        }
        if (recovering && client.agentFor() == null && agentsOutstanding == 0) {
            restored();
        }
    }

    /** A replay request sent by the shadow was answered. */
    @Override
    public void agentReplied(Task agent, long[] reply) {
        if (reply[1] != 0) {
            k.recoveryNote(
                    log,
                    "shadow of {}: replayed request 0x{} for badge {} failed with {}",
                    driver,
                    Long.toHexString(agent.msg(0)),
                    agent.sendBadge(),
                    reply[1]);
        }
        replied(agent, reply);
        agentDone();
    }

    /** A replay request could not be delivered (the driver died again). */
    @Override
    public void agentFailed(Task agent) {
        if (agent == inflight) {
            inflight = null;
        }
        agentDone();
    }

    private void agentDone() {
        agentsOutstanding = Math.max(0, agentsOutstanding - 1);
        if (recovering && agentsOutstanding == 0 && pendingReissue == null && !anyQueued()) {
            restored();
        }
    }

    private boolean anyQueued() {
        for (Endpoint ep : k.endpoints.values()) {
            if (ep.server == driver && !ep.senders.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private void restored() {
        recovering = false;
        long lastRestoreNanos = System.nanoTime() - faultAt;
        log.info(
                "shadow of {}: service restored {} µs after the fault ({}): {} replayed, {} re-issued, {} held",
                driver,
                lastRestoreNanos / 1000,
                fault.kind(),
                replayed,
                reissued,
                held);
        k.observer.driverRecovered(driver, fault, replayed, reissued, held, lastRestoreNanos);
    }

    // ---- recovery --------------------------------------------------------------------------

    /** The driver faulted: restart it behind its clients' backs, up to the restart limit. */
    @Override
    public RecoveryOutcome onFault(Fault f) {
        return driver.restarts() < k.config.maxRestarts() ? recover(f) : k.restartOrStop(driver, null);
    }

    private RecoveryOutcome recover(Fault f) {
        faultAt = System.nanoTime();
        fault = f;
        // 1. Take the request in flight and every queued caller off the driver.
        Task owed = driver.replyOwed();
        Task cut = null;
        if (owed != null && owed == inflight && driver.isServing(owed)) {
            cut = owed;
            cut.callEnded();
        }
        driver.endServing();
        if (inflight != null) {
            undoRequest();
        }
        Endpoint cutEp = inflightEp;
        boolean poisoned = cut != null && inflightIsReissue;
        inflight = null;
        Map<Endpoint, List<Task>> queued = new LinkedHashMap<>();
        held = 0;
        for (Endpoint ep : k.endpoints.values()) {
            if (ep.server == driver) {
                List<Task> q = new ArrayList<>();
                for (Task c : ep.senders) {
                    if (c.agentFor() == null) {
                        q.add(c); // replays queued by an earlier recovery are rebuilt below
                    }
                }
                ep.senders.clear();
                queued.put(ep, q);
                held += q.size();
            }
        }
        if (cut != null && !poisoned && cut.agentFor() == null) {
            fixUp(cut);
        }
        driverLost();

        // 2. Restart the driver (resets its devices). A new instance: learn its loop afresh.
        kept.reset();
        RecoveryOutcome restart = k.restart(driver, null);
        if (!driver.state().alive()) {
            // Give everything back so the kernel fails it as it would without a shadow.
            for (Map.Entry<Endpoint, List<Task>> e : queued.entrySet()) {
                e.getKey().senders.addAll(e.getValue());
            }
            if (cut != null) {
                fail(cut, Abi.EDEAD);
            }
            k.ipc.forget(driver);
            return restart;
        }

        // 3. Rebuild the queue: replayed state, the re-issued request, the held callers.
        replayed = 0;
        reissued = 0;
        agentsOutstanding = 0;
        List<Entry> toReplay = new ArrayList<>(stateLog.values());
        toReplay.addAll(configLog.values());
        for (Entry e : toReplay) {
            long[] words = e.msg().clone();
            words[5] = 0; // (the shadow's replay carries no buffer)
            Task agent = Task.agent(driver, this, words, e.badge(), null);
            queue(agent, e.ep());
            agentsOutstanding++;
            replayed++;
        }
        Map<Long, long[]> open = new LinkedHashMap<>();
        for (Entry e : stateLog.values()) {
            open.put(e.badge(), e.msg());
        }
        for (Replay r : lostWork(open)) {
            Task agent = Task.agent(driver, this, r.msg(), r.badge(), r.payload());
            queue(agent, r.ep());
            agentsOutstanding++;
            replayed++;
        }
        if (cut != null && cut.agentFor() == null) { // a replay cut short is simply replayed again above
            if (poisoned) {
                k.recoveryNote(
                        log,
                        "shadow of {}: request 0x{} from {} faulted the driver twice; failing it with EIO",
                        driver,
                        Long.toHexString(cut.msg(0)),
                        cut);
                fail(cut, failedStatus(cut.msg(0)));
            } else {
                queue(cut, cutEp);
                pendingReissue = cut;
                reissued++;
            }
        }
        for (Map.Entry<Endpoint, List<Task>> e : queued.entrySet()) {
            e.getKey().senders.addAll(e.getValue());
        }
        recovering = true;
        if (agentsOutstanding == 0 && pendingReissue == null && !anyQueued()) {
            restored();
        }
        return new RecoveryOutcome.ShadowRestarted(driver.generation(), replayed, reissued, held);
    }

    private void queue(Task caller, Endpoint ep) {
        caller.queueOn(ep);
        ep.senders.addLast(caller);
    }

    private void fail(Task client, long status) {
        client.callEnded();
        client.setResult2(status, 0);
        k.wake(client);
    }
}
