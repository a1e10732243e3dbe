package dev.rewind.kernel;

import dev.rewind.abi.Abi;
import dev.rewind.hw.mem.WriteTracker;
import dev.rewind.kernel.SyscallFrame.Next;
import dev.rewind.kernel.image.TaskSpec;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TxIPC: transactional recovery of stateful servers (after Li et al., "Efficiently Recovering
 * Stateful System Components of Multi-server Microkernels", ICDCS 2021).
 *
 * <p>Contract. For a server whose recovery policy is {@code txipc}, every request it receives
 * is a transaction:
 * <ul>
 *   <li><b>begin</b> when the kernel hands it a request (in {@link Ipc}): the server's registers,
 *       as they were where it waited in RECV / REPLY_RECV, are saved with its kernel-side state
 *       (heap break, capability table), and its write tracker starts logging the pre-image of
 *       every page written (by the server's stores, or by the kernel on its behalf);
 *   <li><b>commit</b> when it replies (after a plain REPLY, at its next receive: the reply is
 *       held until then, {@link #holdReply}): the request's writes stay. Its pre-images are dropped,
 *       unless the server keeps a history ({@code replay_depth} &gt; 0): then the tracker keeps
 *       them for the newest {@code replay_depth} replayable committed requests (as far as the
 *       log's capacity allows, oldest forgotten first), so that corruption found later can be
 *       undone past those commits and the requests run again ({@link Replay}); a request that
 *       made a syscall a replay cannot repeat cuts the history;
 *   <li><b>abort</b> when it faults while handling the request (any trapped fault, an explicit
 *       abort/assert, or the request's CPU deadline): every logged page is restored, the
 *       registers and kernel-side state are put back, the client's call returns
 *       {@code ERECOVERED} (the request had no effect), and the server waits for its next
 *       request exactly where it waited for this one (a request whose nested call reached
 *       another server is run again instead: see below).
 * </ul>
 * A fault outside a transaction (during start-up, between requests) cannot be undone and falls
 * back to a restart, as does a transaction whose undo log overflowed, and a server that
 * aborted {@code max_aborts} times within {@code abort_window_ms} (escalation).
 *
 * <p>Nested calls: a server that calls another server inside its transaction sees that callee
 * as any client would. The callee's transaction commits when it replies, and the caller cannot
 * take that back (no cross-server atomicity). So each nested call is recorded with its answer
 * ({@link Call}), and a caller that faults after one reached its callee is rolled back and run
 * again, unseen by its client, with its nested calls answered from the record: the callee is
 * sent each request once. If the runs again fail, or go another way (unless the server's callees
 * take a request twice: {@code repeatable_calls}; or the first run's call that differs was its
 * last and a txipc callee refused it, {@link #refusedUnchanged}), the client gets EINDOUBT,
 * not ERECOVERED: the caller's changes are undone, the callee's stay. Each server stays
 * internally consistent, i.e. its state is the result of the requests it committed, in order.
 * A fault in the callee aborts only the callee's transaction; the caller gets ERECOVERED from
 * its nested call and decides what to do. Effects that left the server during the transaction
 * are not undone: console output, notifications it signalled, and requests a callee committed.
 */
final class TxIpc implements Recovery {
    private static final Logger log = LoggerFactory.getLogger(TxIpc.class);
    /**
     * Without evidence of where corruption came from, a replay undoes this many of the newest
     * kept requests (all of them if fewer are kept): the rule before the depth came from evidence.
     */
    static final int FALLBACK_DEPTH = 64;
    /**
     * History room per request of {@code replay_depth}, in pages of the tracker's reckoning (the
     * native history keeps 2 KiB of undo records per page: kv logs ~4.2 pages a request, fs ~5.6,
     * most of them changed in a few words).
     */
    static final int HISTORY_PAGES_PER_REQUEST = 4;

    /**
     * The undo log's history ring is sized for this many requests of {@link
     * #HISTORY_PAGES_PER_REQUEST} pages' worth of changes (half a page each) at most, however
     * deep the replay_depth: a deeper history is kept as far as the requests' changes fit.
     */
    static final int RING_DEPTH = 512;
    /** Recorded syscalls one request may make; past this it cannot be replayed (a loop polling a notification). */
    static final int MAX_RECORDED = 1024;
    /** Longs per recorded syscall: nr, results written, a0 and a1 passed, a0 and a1 returned. */
    private static final int REC = 6;

    private final Kernel k;
    /** The server this policy recovers. */
    private final Task server;

    // ---- transaction state -------------------------------------------------------------
    private final long[] regs = new long[33];
    /**
     * The registers outside {@link #regs}' layout ({@code Cpu.readExtended}: AArch64's FP/SIMD
     * registers and flags; none on RISC-V), read and restored with them.
     */
    private long[] ext = NO_EXT;

    private static final long[] NO_EXT = new long[0];
    private Endpoint endpoint;
    private long badge;
    private long brk;
    /**
     * Whether the receive the snapshot was taken at asked for the request's sum in a0 ({@link
     * Task#receivesSumBack}): kernel state of that receive, restored with the registers.
     */
    private boolean sumBack;

    Capability[] caps;
    final ArrayDeque<Long> recentAborts = new ArrayDeque<>();
    private long requests;
    private long aborts;
    /** RISC-V gp and tp (Arch.invariantRegisters; none on AArch64). */
    private final int[] invariant;
    /** gp and tp at the server's first request: constants under the SDK's ABI. */
    private long baseGp;

    private long baseTp;
    private boolean haveBase;
    /** The registers the serve loop keeps (learned, then checked at each commit). */
    private final KeptRegisters kept;
    /** Abort by re-delivering the request to the server instead of answering ERECOVERED. */
    private boolean redeliver;
    /**
     * The registers read at the server's last REPLY_RECV (for the commit check), and the
     * CPU's register version then: while unchanged, they are where it waits, and the next
     * request's snapshot is a copy instead of another read.
     */
    private final long[] waitRegs = new long[33];

    private long waitRegsVersion = -1;

    /** Committed requests that can be run again, oldest first (their pre-images are in the tracker's history). */
    final ArrayDeque<Request> history = new ArrayDeque<>();
    /** The open transaction's request, while a history is kept. */
    private Request current;
    /** Records not in use. */
    final ArrayDeque<Request> spare = new ArrayDeque<>();
    /** The server ran with no transaction open since its last one (set by the kernel). */
    private boolean ranOutside = true;
    /**
     * The open transaction was begun by a WAIT_ANY wake (its notification or timeout), not by a
     * request: it has no client, commits at the server's next receive and, on an abort, the
     * server makes the same WAIT_ANY again.
     */
    private boolean wakeTx;
    /**
     * The open transaction is work the server resumed with none open (a continuation): after a
     * syscall that committed its request and then returned, as a nested call made after a plain
     * REPLY (the call sends the held reply first: {@link #releasesHeldReply}), or a sleep. Its
     * restart point is that resume (the call's answer in the registers and the IPC buffer); it
     * commits before the server's next syscall that leaves it ({@link #leaving}), and is not
     * kept in the history. Before, that work ran with no transaction open, and a fault there
     * restarted the server (a network stack's drain of its driver after a reply).
     */
    private boolean contTx;
    /** Continuations rolled back in a row (reset by a commit): the {@link #WAKE_RUNS}-th restarts instead. */
    private int contAborts;
    /**
     * The newest record kept in the history, as its commit kept it, until the server resumes
     * (null once anything else happened): a nested call made right after that commit, outside
     * any transaction, is recorded ({@link #preCall}) for the continuation that follows it.
     */
    private Request keptAt;
    /**
     * The nested call made right after {@link #keptAt}'s commit: its arguments, and once it
     * returned ({@link #preCallDone}) its results and reply bytes. The continuation that begins
     * when the server resumes keeps it in its record.
     */
    private final Call preCall = new Call();

    private boolean preCallMade;
    private boolean preCallDone;
    /**
     * A replay answered the server's call from this continuation's record ({@link #contCall}):
     * the work after it, when the server resumes, is that continuation run again.
     */
    private Request contSource;
    /** The server has been handed a request or a wake since it was loaded: from then on it resumes into a continuation. */
    private boolean served;
    /**
     * A plain REPLY's reply, held back until the server's next syscall that is not local to it
     * ({@link #releasesHeldReply}): its receive, as a rule. What the server does between a REPLY
     * and that receive (a server that receives with WAIT_ANY works out its next timeout there)
     * is part of the request's transaction, so the request commits, and its reply leaves, only
     * then. Before, those instructions ran with no transaction open, and every request after
     * them cut the history and made the committed copy stale.
     */
    private long[] held;
    /** The replay of the history in progress (null: none), whose wakes the server's WAIT_ANY takes ({@link #replayedWake}). */
    private Replay replay;
    /** The open wake transaction runs a wake of the history again. */
    private boolean replayingWake;

    private final long[] heldArgs = new long[9];
    private final byte[] heldBytes = new byte[(int) Abi.IPC_BUF_SIZE];
    /** Aborts since the last commit of a client's request. */
    private int abortsSinceCommit;
    /** Replays of the history since the last commit of a client's request, and the depth of the last. */
    private int replaysSinceCommit;

    private int lastReplayDepth;
    /** The open request's message (label, words, length), as its client sent it (msg[0]: its label). */
    private final long[] msg = new long[6];
    /**
     * The client request that aborted last ({@link #resentBadge}, {@link #resentMsg}), kept until a
     * request of that client commits: the same request aborting again is suspect even when other
     * clients' requests committed in between ({@link #abort}), and the replays it earned
     * ({@link #resentReplays}, {@link #resentLastDepth}) go deeper each time.
     */
    private boolean resentKept;

    private long resentBadge;
    private final long[] resentMsg = new long[6];
    private int resentReplays;
    private int resentLastDepth;
    /** Aborts found suspect only because the same client request had aborted before, for tests. */
    long resentAborts;
    // ---- verify = "dual" ------------------------------------------------------------------
    /** Which run of the client's open request is running: 0 the first, 1 and 2 again. */
    private int verifyRun;
    /**
     * The run of the open request that is running ({@link #verifyRun} > 0) has been found to
     * agree at its reply: from there on it is the request's real run, no longer a run again (a
     * plain REPLY's work up to the next receive runs only in it, so its console output and a
     * debugger's breakpoints and steps there must not be hidden as a replay's are: before, under
     * {@code verify = "dual"} the lines that work printed were lost and a step over the REPLY
     * did not stop; helper Y, session 52).
     */
    private boolean verifyAgreed;
    /**
     * A debugger changed the server (its registers or memory: a reply label set with {@code set
     * var}, a pc moved past a faulting store, an inferior call) in the open client request: the
     * run it changed is the request's answer, which no run again from the pre-state reproduces.
     */
    private boolean debuggerChangedRequest;
    /** {@link #checkReply} asked for the request to run again once the CPU has stopped. */
    private boolean rerunPending;
    /**
     * The run again that {@link #rerunPending} asks for is preceded by a replay of this many
     * kept requests ({@link #refusalReplayDepth}: a refusal both runs agreed on); 0: none.
     */
    private int refusalDepth;
    /** A refusal's replay ran: the badge, message and status of the request it refused, to compare. */
    private boolean refusalArmed;
    /** The refused request is being run again after its replay, until its reply ({@link #replaying}). */
    private boolean refusalRerun;

    private long refusalBadge;
    private long refusalStatus;
    private final long[] refusalMsg = new long[6];
    /** Client requests committed since the last {@link #refusalReplayDepth} replay (its cost's budget). */
    private long sinceRefusalReplay = Long.MAX_VALUE / 2;
    /** Refusals checked by a replay of the kept history, and those the replay answered otherwise. */
    long refusalsReplayed;

    long refusalsOverturned;
    /** The first run's record (its recorded syscalls answer the runs after it). */
    private Request verifySource;
    /** Per run: x1..x31 at the reply, the reply bytes' hash, the break, a divergence mark. */
    private final long[][] verifySigs = new long[3][34];
    /**
     * Per run: the pages it changed (those its transaction logged that differ from their
     * pre-images, {@link dev.rewind.hw.mem.WriteTracker#changedPages}, in unsigned order) and a
     * hash of how each one differs.
     */
    private final long[][] verifyPages = new long[3][];

    private final long[][] verifyHashes = new long[3][];
    /** Per run: the extended (FP/SIMD) registers at the reply (none where the task has none). */
    private final long[][] verifyExt = {NO_EXT, NO_EXT, NO_EXT};
    /** Client requests verified (two runs agreed), left unverified (a nested call), and that mismatched. */
    long verified;

    long unverified;
    long mismatched;

    // ---- nested calls ---------------------------------------------------------------------
    /** Reply bytes of nested calls the kept history holds ({@link #MAX_HISTORY_CALL_BYTES}). */
    private long historyCallBytes;
    /** The open request's nested calls so far (with a history, they go into its record at commit). */
    private Calls runCalls = new Calls();
    /** The call the open request is blocked in: its answer is recorded when the server resumes. */
    private Call pendingCall;
    /**
     * The open run is a replay, a run again or a verification run: its nested calls are answered
     * from {@link #callSource} (in order), never sent; the first {@link #callsAnswered} were.
     */
    private boolean callRerun;

    private Calls callSource;
    private int callsAnswered;
    /**
     * A client's request whose run faulted after one of its nested calls reached its server is
     * run again (at most {@link #MAX_RERUNS} times): the first run's calls, and its client.
     */
    private Calls rerunCalls = new Calls();

    private Task rerunClient;
    private int reruns;
    /**
     * The run again went another way than the first run, whose nested call had reached its
     * server: its outcome is in doubt (unless the server's calls are {@code repeatable_calls}).
     */
    private boolean inDoubt;
    /**
     * The first run's record, while it is run again (null without a history or verification,
     * or once a run again diverged from it): its recorded syscalls (CLOCK, POLL...) answer the
     * runs again, as in a replay, so that they build the same nested calls. The notification bits
     * its POLL / WAIT took stay taken meanwhile (those runs read them from the record), and go
     * back if no run commits.
     */
    private Request rerunRecord;

    private Notification[] rerunTakenFrom = new Notification[4];
    private long[] rerunTakenBits = new long[4];
    private int rerunTakenCount;
    /** Client requests run again after a fault past a nested call, and answered EINDOUBT, for tests and tools. */
    long nestedReruns;

    long inDoubtAnswers;
    /**
     * The client whose request faulted in every run again on its nested calls' answers, waiting
     * (neither queued nor answered) while the server that gave them replays its history to check
     * them ({@link #askCallee}); null if none. Its generation and endpoint then.
     */
    private Task parked;

    private int parkedGeneration;
    private Endpoint parkedEndpoint;
    /** The open run-again client's answers were checked already (once per client request). */
    private boolean calleeAsked;
    /** A check gave the parked request a new answer ({@link #correctAnswer}). */
    private boolean parkedCorrected;
    /** Requests run again with answers a callee's replay corrected, for tests and tools. */
    long calleeCorrections;

    /** The arguments (a0, a1) of the recorded syscall being handled, for its record. */
    private long recArg0;

    private long recArg1;

    /**
     * One committed request, with what it takes to run it again: the registers where the
     * server waited for it, its break and capabilities then, and the message it got. Records
     * are reused (a server keeps a pool of them), so a request costs no allocation.
     */
    static final class Request {
        final long[] regs = new long[33];
        /** The extended registers then (sized on first use; empty where there are none). */
        long[] ext = NO_EXT;

        long brk;
        /** The receive it waited in asked for its request's sum in a0 ({@link Task#receivesSumBack}). */
        boolean sumBack;

        Capability[] caps;
        Endpoint endpoint;
        final long[] msg = new long[6];
        long badge;
        /** The request's buffer bytes: payload[0, payloadLength) (grown as needed). */
        byte[] payload = new byte[64];

        int payloadLength;
        /** Cleared by a syscall whose effect cannot be repeated (CAP_REFRESH), or when its replay diverged. */
        boolean replayable;
        /**
         * The syscalls whose results a replay cannot recompute (CLOCK, WALL_CLOCK, POLL, WAIT, NOTIFY), in
         * order, {@link #REC} longs each: record[0, recorded * REC).
         */
        long[] record = new long[4 * REC];

        int recorded;
        /** While this request is a replay: the first run's record, and how many of it were answered. */
        Request source;

        int answered;
        /** The reply: a1..a6 and a hash of the bytes it carried. */
        final long[] reply = new long[6];

        long replyHash;
        /** The nested calls it made, answered from here when it is replayed, and their reply bytes. */
        Calls calls = new Calls();

        int callBytes;
        /**
         * Not a client's request: the server's work after a WAIT_ANY wake (its notification or its
         * timeout), which ended the wait with {@link #wakeA0} (WOKEN or ETIMEDOUT) and {@link
         * #wakeA1} (the bits). A replay ends the server's WAIT_ANY with them again.
         */
        boolean wake;

        long wakeA0;
        long wakeA1;
        /**
         * Its replay went another way only after its reply was made (a plain REPLY's reply is held
         * to the next receive): every recorded syscall before the reply was answered from the
         * record, so the reply can be compared with the first run's as it is.
         */
        boolean divergedAfterReply;
        /**
         * Not a client's request: a continuation, the server's work after a nested call that
         * followed the commit of the record before it in the history ({@link #contTx}). Its
         * {@link #calls} hold that call (one), answered from here when a replay makes it again;
         * the replay then runs the work again from the call's return.
         */
        boolean cont;
        /**
         * A continuation that faulted in two runs in a row, queued at the end of the history
         * replay that its second fault started: its call is answered from its record, and it runs
         * once more, as a first run, on the state the replay rebuilt.
         */
        boolean tail;
    }

    /** Nested calls one run of a request may have recorded; past this it cannot be run again. */
    static final int MAX_CALLS = 256;
    /**
     * Reply bytes of nested calls the kept history holds at most (a server reading a disk through
     * its driver keeps each block it read): past this the oldest kept requests are forgotten.
     */
    static final long MAX_HISTORY_CALL_BYTES = 8L << 20;
    /**
     * Runs again of a client's request that faulted after a nested call reached its server: one,
     * then one after each deeper replay of the history ({@link #replayDepth}: two at most).
     */
    static final int MAX_RERUNS = 3;

    /** A nested CALL made inside a request: what the server sent, and what it got back. */
    static final class Call {
        /** a0 (the capability slot) and a1..a6 (label, four words, buffer length). */
        final long[] args = new long[7];

        long argsHash;
        /** The results it resumed with: a0..a(n-1). */
        final long[] results = new long[7];

        int n;
        /** The reply's buffer bytes: reply[0, replyLength). */
        byte[] reply = new byte[0];

        int replyLength;
        /** The call reached the called server, which may have acted on it (committed a change). */
        boolean reached;

        boolean sameArgs(long[] a, long hash) {
            for (int i = 0; i < 7; i++) {
                if (args[i] != a[i]) {
                    return false;
                }
            }
            return argsHash == hash;
        }

        void copyFrom(Call o) {
            System.arraycopy(o.args, 0, args, 0, 7);
            argsHash = o.argsHash;
            System.arraycopy(o.results, 0, results, 0, 7);
            n = o.n;
            if (reply.length < o.replyLength) {
                reply = new byte[o.replyLength];
            }
            System.arraycopy(o.reply, 0, reply, 0, o.replyLength);
            replyLength = o.replyLength;
            reached = o.reached;
        }
    }

    /** The nested calls of one run of a request, in order (the Call objects are reused). */
    static final class Calls {
        Call[] list = new Call[0];
        int count;
        /** More calls were made than {@link #MAX_CALLS}: the list is not the whole run. */
        boolean overflowed;

        /** The reply bytes the calls hold. */
        int bytes() {
            int b = 0;
            for (int i = 0; i < count; i++) {
                b += list[i].replyLength;
            }
            return b;
        }

        Call add() {
            if (count == list.length) {
                list = java.util.Arrays.copyOf(list, Math.max(4, 2 * count));
            }
            if (list[count] == null) {
                list[count] = new Call();
            }
            return list[count++];
        }

        void clear() {
            count = 0;
            overflowed = false;
        }

        /** True if one of calls [from, count) reached its server. */
        boolean reached(int from) {
            for (int i = from; i < count; i++) {
                if (list[i].reached) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * A replay in progress: the kernel, through one agent per request, sends the server the
     * committed requests it undid, in their order. The server's replies go nowhere (their
     * clients have had theirs); each is compared with the reply the client got.
     */
    final class Replay implements Agent {
        final Task server;
        final int requests;
        final int pages;
        final long started;
        /** The committed requests not yet run again, in order (the server takes them in order). */
        final ArrayDeque<Request> originals;

        int differed;
        /** A replay that checks a refusal ({@link #refusalReplayDepth}): nothing suspected, logged at debug if all agree. */
        boolean quiet;
        /** Callers' checks of this server's answers that started this replay (none for others). */
        final java.util.List<AnswerCheck> checks;

        Replay(
                Task server,
                ArrayDeque<Request> originals,
                int pages,
                long started,
                java.util.List<AnswerCheck> checks) {
            this.server = server;
            this.requests = originals.size();
            this.originals = originals;
            this.pages = pages;
            this.started = started;
            this.checks = checks;
        }

        /**
         * The next request, run again as {@code again}, committed ({@code again} is null if it
         * cannot be kept: it did something the first run did not, so it counts as differing).
         */
        void compare(Request again) {
            dropSkippedConts();
            Request original = originals.pollFirst();
            if (original == null) {
                return;
            }
            for (AnswerCheck check : checks) {
                if (check.corrects(original, again)) {
                    return; // (its caller faulted on that answer and runs again with this one)
                }
            }
            if (again == null
                    || !java.util.Arrays.equals(original.reply, again.reply)
                    || original.replyHash != again.replyHash) {
                differed++;
                if (again != null) {
                    keepAmended(original, again); // (for a caller that faults on the old answer later)
                }
                k.recoveryNote(
                        log,
                        "txipc: task {}: replayed request (label 0x{}, badge {}) replied differently than it did to its client:"
                                + " that reply came from corrupted state",
                        server,
                        Long.toHexString(original.msg[0]),
                        original.badge);
            }
        }

        /** The next thing to run again is a wake (no agent sends it: the server's WAIT_ANY ends with it). */
        Request nextWake() {
            dropSkippedConts();
            Request r = originals.peekFirst();
            return r != null && r.wake ? r : null;
        }

        /** The next thing to run again is a continuation (the server's call after its commit is answered from it). */
        Request nextCont() {
            Request r = originals.peekFirst();
            return r != null && r.cont ? r : null;
        }

        /** A replayed continuation committed as {@code again} (null: it cannot be kept, or was not run again). */
        void contDone(Request again) {
            Request original = originals.pollFirst();
            if (again == null && original != null && !original.tail) {
                k.recoveryNote(
                        log, "txipc: task {}: a replayed work after a call went another way than it first did", server);
            }
            agentReplied(null, null);
        }

        /**
         * The server went on to a receive (or a wait) where its first run made a call and ran the
         * continuation after it: that work is not run again (what it changed is rebuilt only as far
         * as the requests after it rebuild it; their replies are compared as ever).
         */
        void dropSkippedConts() {
            while (!originals.isEmpty() && originals.peekFirst().cont) {
                Request r = originals.pollFirst();
                if (!r.tail) {
                    differed++;
                    k.recoveryNote(
                            log,
                            "txipc: task {}: a replay did not make the call its first run made after a commit: the"
                                    + " work after it is not run again",
                            server);
                }
            }
        }

        /** A replayed wake committed as {@code again} (null: it cannot be kept); no client saw what it did. */
        void wakeDone(Request again) {
            originals.pollFirst();
            if (again == null) {
                k.recoveryNote(log, "txipc: task {}: a replayed wake went another way than it first did", server);
            }
            agentReplied(null, null);
        }

        @Override
        public void agentReplied(Task agent, long[] reply) {
            if (originals.isEmpty()) {
                if (replay == this) {
                    replay = null;
                }
                long nanos = System.nanoTime() - started;
                noteReplay(
                        quiet && differed == 0,
                        "txipc: task {}: replayed {} committed request{} ({} page{} undone) in {} µs{}",
                        server,
                        requests,
                        requests == 1 ? "" : "s",
                        pages,
                        pages == 1 ? "" : "s",
                        String.format("%.1f", nanos / 1e3),
                        differed == 0
                                ? ", every reply as before"
                                : "; " + differed + " repl" + (differed == 1 ? "y" : "ies") + " differed");
                k.observer.historyReplayed(server, requests, pages, differed, nanos);
                for (AnswerCheck check : checks) {
                    check.done(true);
                }
            }
        }

        @Override
        public void agentFailed(Task agent) {
            originals.clear(); // the server died or restarted: the replay is over, its state gone
            if (replay == this) {
                replay = null;
            }
            for (AnswerCheck check : checks) {
                check.done(false);
            }
        }
    }

    /**
     * A caller's request faulted in every run again on the answers this server had given its
     * nested calls ({@link #checkAnswers}): the kept requests that gave them, and the caller's
     * calls each answered. As the replay runs each of them again, an answer that comes out
     * otherwise replaces the one in the caller's record; at the replay's end the caller runs its
     * request again with the new answers, or, if none changed, answers its client EINDOUBT.
     */
    final class AnswerCheck {
        final TxIpc caller;
        final java.util.IdentityHashMap<Request, Integer> calls = new java.util.IdentityHashMap<>();
        int corrected;
        boolean over;

        AnswerCheck(TxIpc caller) {
            this.caller = caller;
        }

        /**
         * {@code original}, replayed as {@code again}: if it answered one of the caller's calls,
         * give the caller the answer it gets now when that differs; true if it did (this server
         * then counts no wrong reply for it: the caller's request that got it was undone).
         */
        boolean corrects(Request original, Request again) {
            Integer call = calls.get(original);
            if (call == null || again == null) {
                return false;
            }
            long[] results = new long[7];
            results[0] = Abi.OK;
            System.arraycopy(again.reply, 0, results, 1, 6);
            int len = (int) Math.min(Math.max(again.reply[5], 0), Abi.IPC_BUF_SIZE);
            byte[] bytes = new byte[len];
            if (len > 0 && !replyBytes(bytes, len)) {
                return false;
            }
            if (!caller.correctAnswer(call, results, bytes)) {
                return false; // (the same answer as before)
            }
            corrected++;
            k.recoveryNote(
                    log,
                    "txipc: task {}: replayed request (label 0x{}, badge {}) answered its caller {} otherwise than"
                            + " before; {}'s request that faulted on the old answer runs again with the new one",
                    server,
                    Long.toHexString(original.msg[0]),
                    original.badge,
                    caller.server,
                    caller.server);
            return true;
        }

        void done(boolean replayed) {
            if (!over) {
                over = true;
                caller.calleeChecked(replayed && corrected > 0);
            }
        }
    }

    // ---- scrub = true -------------------------------------------------------------------
    /** Data pages checked per idle wait (round robin). */
    static final int SCRUB_PAGES = 16;

    /**
     * Receives of a request already queued after which the scrub runs as at an idle wait: a
     * server whose clients keep it busy (one request queued at every receive: an outside
     * broker's two clients) never waited idle, so nothing was ever scrubbed (2026-12-06).
     */
    static final int SCRUB_BUSY_EVERY = 8;

    /** Receives of a queued request since the last scrub. */
    private int busyReceives;
    /**
     * The data pages with a recorded checksum (CRC32C of the page as a commit, or the last
     * baseline, left it; -1: unreadable then), in the order first recorded; {@link #scrubIndex}
     * maps a page to its slot.
     */
    private long[] scrubPages = new long[64];

    private long[] scrubSums = new long[64];
    /**
     * Each slot's page as its checksum was recorded (null: unreadable then): what a changed page
     * that no kept request wrote is rebuilt from ({@link #scrubRecover}).
     */
    private byte[][] scrubCopies = new byte[64][];
    /**
     * The page {@link #scrubPending} names, as the commit before the one that found it changed
     * (or the baseline) left it: its clean contents, which that commit's pre-image no longer has.
     */
    private byte[] pendingCopy;

    private int scrubCount;
    private final java.util.HashMap<Long, Integer> scrubIndex = new java.util.HashMap<>();
    /** The next slot the scrub checks. */
    private int scrubCursor;
    /**
     * The checksums no longer describe memory (start-up, the server ran outside a request, a
     * replay undid commits): the next idle wait records every writable page again instead of checking.
     */
    private boolean scrubStale = true;
    /** The image's code, to find changed code pages (made at the first check). */
    private CodeImage code;
    /** This request's code was found intact before its reply left ({@link #checkReply}). */
    private boolean codeChecked;
    /** The last committed request's code was found intact before its reply left. */
    private boolean codeIntactAtCommit;
    /** Requests committed since the code was last found intact (they may have run changed code). */
    private int commitsSinceCodeCheck;
    /** The fault {@link #idle} raised, to be handled by {@link #onFault}, and its page (-1: code). */
    private Fault scrubFault;
    /**
     * A page a commit found changed before its request first wrote it (-1: none): the request's
     * pre-image of it is the changed page, so a rebuild reaches back past that request too.
     */
    private long scrubPending = -1;
    /** Kept requests, newest first, the rebuild of {@link #scrubFault}'s page passes over. */
    private int scrubSkip;

    private Endpoint scrubEndpoint;
    /** Idle waits scrubbed, pages checked, changes found; host time spent scrubbing and recording checksums. */
    long scrubs;

    long scrubbedPages;
    long scrubDetections;
    long scrubNanos;

    /** For reading request and reply bytes (the kernel is single-threaded). */
    private final byte[] scratch = new byte[(int) Abi.IPC_BUF_SIZE];

    private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();

    TxIpc(Kernel k, Task server) {
        this.k = k;
        this.server = server;
        this.kept = new KeptRegisters(server.image(), k.arch());
        this.invariant = k.arch().invariantRegisters();
    }

    /** The server's extended registers into {@link #ext} (nothing where it has none). */
    private void readExtended() {
        int n = server.cpu().extendedLength();
        if (n > 0) {
            if (ext.length != n) {
                ext = new long[n];
            }
            server.cpu().readExtended(ext);
        }
    }

    /** Restore extended registers saved by {@link #readExtended} (nothing if none were). */
    private void writeExtended(long[] saved) {
        if (saved.length > 0) {
            server.cpu().writeExtended(saved);
        }
    }

    /** The label of the request the server handles, or handled last (for tests and tools). */
    long label() {
        return msg[0];
    }

    /** Which run of the open client request is running under verify = "dual" (0: the first), for tests. */
    int verifyRun() {
        return verifyRun;
    }

    /** Committed requests kept for a replay. */
    /** Compares of the code with its image so far (0 before the first check). */
    int codeCompares() {
        return code == null ? 0 : code.compares;
    }

    int historySize() {
        return history.size();
    }

    /** Give the freshly loaded server its write tracker. (The counters and learned registers stay.) */
    @Override
    public void loaded() {
        int depth = server.spec().txipc().replayDepth();
        WriteTracker tracker = server.cpu()
                .enableWriteTracking(
                        k.config.tracker(),
                        k.config.txLogPages(),
                        HISTORY_PAGES_PER_REQUEST * Math.min(depth, RING_DEPTH));
        tracker.keepHistory(depth);
        // The scrub undoes exactly to the newest request that wrote a changed page, so that
        // request's record must be the whole page as it found it.
        tracker.keepWholePages(server.spec().txipc().scrub());
        // The IPC buffer is no state of the server's between requests: each request's message
        // is written into it when delivered (a replayed one's too), and the server's reply
        // overwrites it. Kept as history it took most of the ring for servers with long replies.
        tracker.scratch(Abi.IPC_BUF_ADDR);
        tracker.keepCopy(server.spec().txipc().keepCopy());
        keepTaken(); // (the restart cleared the notifications it owns)
        ended(); // (the restart lost what a parked request had done, and the state a check would check)
        endCalls();
        runCalls.clear();
        dropRerun(false);
        history.clear();
        historyCallBytes = 0;
        current = null;
        ranOutside = true;
        wakeTx = false;
        contTx = false;
        contAborts = 0;
        keptAt = null;
        preCallMade = false;
        preCallDone = false;
        contSource = null;
        served = false;
        held = null;
        replay = null;
        replayingWake = false;
        abortsSinceCommit = 0;
        replaysSinceCommit = 0;
        resentKept = false;
        endVerification();
        server.closeRequest();
        scrubCount = 0;
        scrubIndex.clear();
        scrubCursor = 0;
        scrubStale = true;
        scrubFault = null;
        scrubPending = -1;
        pendingCopy = null;
        commitsSinceCodeCheck = 0;
    }

    @Override
    public void resuming(long pc) {
        if (!server.inRequest()) {
            if (served && (replay == null || contSource != null)) {
                beginContinuation(pc);
                return;
            }
            preCallMade = false;
            keptAt = null;
            ranOutside = true; // its writes now are in no undo log: no replay past here
            scrubStale = true; // nor are their checksums recorded
            server.cpu().tracker().copyStale(); // nor does the committed copy see them
        }
    }

    /**
     * The server resumes at {@code pc} with no transaction open, after it has served: what it
     * does until its next syscall that leaves it is a transaction of its own ({@link #contTx}),
     * from the state it resumes in.
     */
    private void beginContinuation(long pc) {
        snapshotWithoutClient();
        regs[32] = pc;
        current = null;
        runCalls.clear();
        endCalls();
        Request source = contSource;
        contSource = null;
        if (source != null || (preCallDone && keptAt != null && keptAt == history.peekLast())) {
            // Kept in the history after the record its call followed (so newRecord cuts nothing:
            // the same endpoint), with that call, so that a replay answers it and runs this again.
            Request last = history.peekLast();
            Request r = clientlessRecord(last != null ? last.endpoint : endpoint, "");
            r.calls.add().copyFrom(source != null ? source.calls.list[0] : preCall);
            r.wake = false;
            r.cont = true;
            r.tail = false;
            r.source = source != null && !source.tail ? source : null;
            current = r;
        }
        keptAt = null;
        preCallMade = false;
        preCallDone = false;
        contTx = true;
        codeChecked = false;
        server.cpu().tracker().begin();
        server.openRequest(System.nanoTime());
    }

    /**
     * The state a transaction with no client starts from (a wake's, a continuation's): the
     * registers (FP/SIMD ones too), the break and the capabilities; no badge, no message.
     */
    private void snapshotWithoutClient() {
        server.cpu().readAll(regs);
        readExtended();
        waitRegsVersion = -1;
        brk = server.brk();
        sumBack = server.receivesSumBack();
        caps = server.capsSnapshot();
        badge = 0;
        java.util.Arrays.fill(msg, 0);
    }

    @Override
    public boolean continuing() {
        return contTx;
    }

    /**
     * The continuation's server makes a syscall that leaves it: its work commits first, once its
     * code is found intact (else {@link #answerFromRecord} faults the syscall, as for the work
     * after a wake: {@link #wakeCodeChanged}).
     */
    @Override
    public void leaving(long nr) {
        if (!contTx) {
            return;
        }
        wakeCodeChanged = codeChangedBeforeOutput();
        if (wakeCodeChanged != -1) {
            return;
        }
        contTx = false;
        contAborts = 0;
        WriteTracker tracker = commitWrites();
        codeIntactAtCommit = server.spec().txipc().codeCheck(); // (found intact just now)
        endCalls();
        runCalls.clear();
        ranOutside = false;
        Request r = current;
        current = null;
        Request source = r != null ? r.source : null;
        boolean replayed = r != null && (source != null || (replay != null && replay.nextCont() != null));
        if (r != null && source != null && r.answered < source.recorded) {
            diverged(r, -1);
        }
        if (r == null || !r.replayable || tracker.history() == 0) {
            if (r != null) {
                r.source = null;
                spare.addLast(r);
            }
            // (a replay cannot run this work again: it began at a resume after no kept record's
            // call, made a syscall a replay cannot repeat, or no history is kept)
            cutHistory(
                    r == null
                            ? "the server ran on after a syscall that committed its request (a call after a plain"
                                    + " REPLY) that no kept record's call began"
                            : tracker.history() == 0
                                    ? "no history is kept"
                                    : "the work after a call cannot be run again (a syscall a replay cannot repeat,"
                                            + " or a replay that diverged)");
        } else {
            r.source = null;
            r.callBytes = r.calls.bytes();
            keep(r, tracker);
        }
        if (replayed && replay != null) {
            replay.contDone(r != null && r.replayable ? r : null);
        }
    }

    @Override
    public void changedByDebugger() {
        ranOutside = true; // the change is in no request: the next one starts the history afresh
        scrubStale = true; // nor is it in the checksums
        if (server.inRequest() && !wakeTx && !contTx) {
            debuggerChangedRequest = true; // nor may a run again to verify the request undo it (verify)
        }
    }

    @Override
    public long deadlineNanos() {
        return server.spec().txipc().deadlineMs() * 1_000_000L;
    }

    /**
     * A transaction's deadline counts the time the server spends blocked in it too: a request
     * (or the work after a wake) that loops through nested calls, or sleeps or waits on a
     * notification forever while other tasks keep the system alive, never used a deadline's
     * worth of CPU, and its client waited for good.
     */
    @Override
    public boolean deadlineCountsWaits() {
        return true;
    }

    @Override
    public boolean holdReply(Task client, long[] reply) {
        if (!server.inRequest() || wakeTx || held != null) {
            return false;
        }
        int len = (int) Math.min(Math.max(reply[6], 0), Abi.IPC_BUF_SIZE);
        if (len > 0 && !server.cpu().memory().read(Abi.IPC_BUF_ADDR, heldBytes, 0, len)) {
            return false;
        }
        System.arraycopy(reply, 0, heldArgs, 0, heldArgs.length);
        held = heldArgs;
        return true;
    }

    @Override
    public long[] heldReply() {
        return held;
    }

    @Override
    public byte[] heldReplyBytes() {
        return heldBytes;
    }

    @Override
    public void replyReleased() {
        held = null;
    }

    /**
     * Whether syscall {@code nr}, made while a reply is held back ({@link #holdReply}), sends it
     * first: every syscall but those a request makes without leaving the server (the clock, a
     * poll or a signal, its own identity, console output, the heap, a failed assertion).
     */
    static boolean releasesHeldReply(long nr) {
        return !(nr == Abi.SYS_CLOCK
                || nr == Abi.SYS_WALL_CLOCK
                || nr == Abi.SYS_POLL
                || nr == Abi.SYS_NOTIFY
                || nr == Abi.SYS_CLIENT_ALIVE
                || nr == Abi.SYS_TASK_SELF
                || nr == Abi.SYS_DEVICE_INFO
                || nr == Abi.SYS_CONSOLE_WRITE
                || nr == Abi.SYS_SBRK
                || nr == Abi.SYS_CAP_LOOKUP
                || nr == Abi.SYS_ABORT);
    }

    /** The reply's bytes (at most {@code len}) into {@code dst}: the held ones, or the IPC buffer's. */
    private boolean replyBytes(byte[] dst, int len) {
        if (held != null) {
            System.arraycopy(heldBytes, 0, dst, 0, len);
            return true;
        }
        return server.cpu().memory().read(Abi.IPC_BUF_ADDR, dst, 0, len);
    }

    /**
     * Syscalls whose effect a replay repeats exactly (or, for console output, suppresses). The
     * {@link #recorded} ones, and nested calls ({@link Call}), are answered from the request's
     * record instead; a request that made any other (CAP_REFRESH) cannot be run again, so no
     * replay reaches back past it.
     */
    static boolean replayable(long nr) {
        return nr == Abi.SYS_REPLY_RECV
                || nr == Abi.SYS_RECV
                || nr == Abi.SYS_REPLY
                || nr == Abi.SYS_TASK_SELF
                || nr == Abi.SYS_DEVICE_INFO
                || nr == Abi.SYS_CONSOLE_WRITE
                || nr == Abi.SYS_SBRK
                || nr == Abi.SYS_YIELD
                || nr == Abi.SYS_EXIT
                || nr == Abi.SYS_ABORT
                || nr == Abi.SYS_CAP_LOOKUP;
    }

    /**
     * Syscalls whose results a replay cannot recompute, or whose effect already left the server:
     * their results are recorded while a request runs, and a replay of the request gets the same
     * answers without running them again (a NOTIFY is not signalled twice).
     */
    static boolean recorded(long nr) {
        return nr == Abi.SYS_CLOCK
                || nr == Abi.SYS_WALL_CLOCK
                || nr == Abi.SYS_POLL
                || nr == Abi.SYS_WAIT
                || nr == Abi.SYS_NOTIFY
                || nr == Abi.SYS_CLIENT_ALIVE;
    }

    /**
     * A syscall the open transaction makes that a replay cannot repeat cuts the history there.
     * The work after a wake commits at the server's next receive, once its code is found intact
     * (else {@link #answerFromRecord} faults the receive: {@link #wakeCodeChanged}).
     */
    @Override
    public void syscall(long nr) {
        if (wakeTx && (nr == Abi.SYS_WAIT_ANY || nr == Abi.SYS_RECV || nr == Abi.SYS_REPLY_RECV)) {
            wakeCodeChanged = codeChangedBeforeOutput();
            if (wakeCodeChanged == -1) {
                commitWake();
            }
        }
        if (server.inRequest()
                && current != null
                && !replayable(nr)
                && !recorded(nr)
                && nr != Abi.SYS_CALL) { // (a nested call is recorded, a wake's too: nestedCall)
            current.replayable = false;
        }
    }

    /**
     * A replayed request's recorded syscall is answered as its first run's was: the same
     * syscall, with the same arguments, in the same place of the record. Anything else means
     * the replay diverged from the first run: the request is run for real from here on and
     * counts as one that cannot be kept (as a nested call would). Otherwise its arguments are
     * kept for its record ({@link #answered}).
     */
    @Override
    public Next answerFromRecord(long nr, SyscallFrame f) {
        if (wakeCodeChanged != -1) {
            // The work after a wake ran on changed code: it must not commit (what it left in
            // memory, a received frame's data copied through a changed memcpy, would be taken for
            // good). Undone instead, the code restored, and the wake runs again.
            long page = wakeCodeChanged;
            wakeCodeChanged = -1;
            codeStops++;
            server.faultWhenStopped(corruptAtSyscall(
                    f.a[8],
                    "code page 0x" + Long.toHexString(page)
                            + " differs from the image (checked before the work after a "
                            + (contTx ? "call" : "wake") + " committed)",
                    false));
            return Next.BLOCKED;
        }
        if (nr == Abi.SYS_CALL) {
            return nestedCall(f);
        }
        Request r = current;
        if (r == null || !recorded(nr) || !server.inRequest()) {
            return null;
        }
        recArg0 = f.a[0];
        recArg1 = f.a[1];
        Request s = r.source;
        if (s == null) {
            return null;
        }
        int i = r.answered * REC;
        if (r.answered >= s.recorded
                || s.record[i] != nr
                || s.record[i + 2] != f.a[0]
                || ((nr == Abi.SYS_NOTIFY || nr == Abi.SYS_CLIENT_ALIVE) && s.record[i + 3] != f.a[1])) {
            diverged(r, nr);
            return null;
        }
        int n = (int) s.record[i + 1];
        for (int j = 0; j < n; j++) {
            f.a[j] = s.record[i + 4 + j];
        }
        r.answered++;
        record(r, nr, f.a, n);
        return f.filled(n);
    }

    /** Record the results of a recorded syscall the open transaction made. */
    @Override
    public void answered(long nr, long[] results, int n) {
        if (nr == Abi.SYS_CALL) {
            callAnswered(results, n, false); // (failed at once: it reached no server)
            return;
        }
        Request r = current;
        if (r != null && recorded(nr) && server.inRequest()) {
            record(r, nr, results, n);
        }
    }

    /**
     * A nested CALL inside a request, or in the work after a wake (kept in the history as a
     * request is, its calls with it). A first run's call goes to its server and is recorded
     * ({@link #pendingCall}, answered in {@link #resumedWith}). A replayed request, a run again
     * and a verification run are answered from their source's record instead: the called server
     * is never sent a request twice. One that asks for a call its source did not make diverged:
     * a run again of a client's request then ends in doubt (its client gets EINDOUBT), or, for a
     * server whose calls are {@code repeatable_calls}, makes it and every later call for real; a
     * replay or a verification run gets ERECOVERED for it, still without a call.
     */
    private Next nestedCall(SyscallFrame f) {
        pendingCall = null;
        if (!server.inRequest()) {
            return served ? callAfterCommit(f) : null;
        }
        long h = messageHash(f.a);
        if (callRerun) {
            Next answered = answerCall(f, h);
            if (answered != null) {
                return answered;
            }
        }
        Next stop = codeBeforeCall(f);
        if (stop != null) {
            return stop;
        }
        if (runCalls.count >= MAX_CALLS) {
            runCalls.overflowed = true;
            if (current != null) {
                current.replayable = false;
            }
            return null;
        }
        Call c = runCalls.add();
        System.arraycopy(f.a, 0, c.args, 0, 7);
        c.argsHash = h;
        c.n = 0;
        c.replyLength = 0;
        c.reached = false;
        pendingCall = c;
        return null;
    }

    /**
     * A nested call made inside a transaction (a request's, or the work after a wake) is about to
     * leave the server: with the code check on, the code is compared with its image first, as
     * before a reply ({@link #checkReply}). What the call carries leaves for good (a network
     * stack's frame: the peer takes bytes that a changed memcpy garbled, under a checksum computed
     * over them, and the request's later abort cannot take them back; a run again answers the
     * call from its record, and a resend of the same sequence numbers is a duplicate the peer
     * drops). So changed code stops the call: the transaction is undone, the code restored, and a
     * request is delivered again (unseen by its client), a wake runs again. Null: the call goes.
     */
    private Next codeBeforeCall(SyscallFrame f) {
        String fixedRegs = invariantsChangedNow();
        if (fixedRegs != null) {
            server.faultWhenStopped(corruptAtSyscall(f.a[8], fixedRegs + " (checked before a nested call left)", true));
            return Next.BLOCKED;
        }
        long page = codeChangedBeforeOutput();
        if (page == -1) {
            return null;
        }
        codeStops++;
        server.faultWhenStopped(corruptAtSyscall(
                f.a[8],
                "code page 0x" + Long.toHexString(page) + " differs from the image (checked before a nested call left)",
                true));
        return Next.BLOCKED;
    }

    /**
     * The first changed code page, or -1 if the code is the image's (or {@code code_check} is
     * off). Nearly free when nothing wrote read-only memory since the last compare
     * ({@link CodeImage#changedPage}).
     */
    private long codeChangedBeforeOutput() {
        return server.spec().txipc().codeCheck() ? codeImage().changedPage() : -1;
    }

    /** Nested calls and wake commits stopped because the code had changed ({@link #codeBeforeCall}, {@link #syscall}). */
    long codeStops;

    /** The page {@link #syscall} (or {@link #leaving}) found changed as the work after a wake (or a continuation) was to commit; -1: none. */
    private long wakeCodeChanged = -1;

    /**
     * A replayed request's, a run again's or a verification run's nested call (message hash
     * {@code h}): answered from the record, or what a divergence calls for; null if the call is
     * to be made for real after all (a run again of a {@code repeatable_calls} server).
     */
    private Next answerCall(SyscallFrame f, long h) {
        Call c = callSource != null && callsAnswered < callSource.count ? callSource.list[callsAnswered] : null;
        if (c != null && c.sameArgs(f.a, h)) {
            callsAnswered++;
            runCalls.add().copyFrom(c);
            return answerAs(c, f);
        }
        String what = c == null
                ? "a nested call where its first run made none"
                : "a nested call with other arguments than its first run made there";
        if (!(rerunClient != null && server.replyOwed() == rerunClient)) {
            k.recoveryNote(
                    log,
                    "txipc: task {}: a request run again (label 0x{}) made {}: answered ERECOVERED, not sent",
                    server,
                    Long.toHexString(msg[0]),
                    what);
            if (current != null) {
                current.replayable = false;
            }
            return f.ret(Abi.ERECOVERED);
        }
        // A client's request run again after a fault went another way than its first run: the
        // first run's call came from the fault (corrupted code or data made it) and its server may
        // have acted on it. Unless that server takes a request twice (repeatable_calls: a network
        // driver's frames), the request's outcome is in doubt; else this call is sent, and so is
        // every later call of this run.
        if (!callSource.reached(callsAnswered)) {
            // No call of the first run from here on reached a server that may have acted on it:
            // each was answered ERECOVERED (its server undid it) or failed at once, or the first
            // run made none. This call can be in doubt with nothing, and is sent, as is every later
            // one of this run. (An outside job queue's COMPLETE: its audit server hung in the
            // second nested call, and its deadline answered that call ERECOVERED as the job
            // queue's own deadline, which counts the wait, faulted it; the run again answered both
            // calls from the record and its program made the second again, its own retry of
            // ERECOVERED, beyond the record: EINDOUBT, seed 1601022 and five more.)
            return sendFromHere(what, "none of the first run's calls from there reached its server");
        }
        if (c != null && callsAnswered == callSource.count - 1 && refusedUnchanged(c)) {
            // The first run's call that differs was its last, and its server refused it, as it
            // refuses a malformed request before acting on it (a txipc server, whose refusals the
            // kernel confirms by a second run): it took nothing from it. This call is sent, and so
            // is every later one of this run. (An outside scheduler's corrupted register reached
            // its quota keeper as a wrong client id, EINVAL; the scheduler's check of the answer
            // failed, and its run again, which asked for the right client, ended in EINDOUBT:
            // seeds 1210213, 1216232, 1217084.)
            return sendFromHere(what, "its server had refused the first run's, its last");
        }
        if (!server.spec().txipc().repeatableCalls()) {
            inDoubt = true;
            server.faultWhenStopped(corruptAtSyscall(
                    f.a[8], "run again after a fault past a nested call, the request made " + what, false));
            return Next.BLOCKED;
        }
        return sendFromHere(what, "the first run's came from the fault");
    }

    /**
     * A run again's call that {@code what} describes is sent, and so is every later one of this
     * run ({@code why}: why it may be); null, for {@link #answerCall}'s caller: the call goes.
     */
    private Next sendFromHere(String what, String why) {
        k.recoveryNote(
                log,
                "txipc: task {}: run again, the request (label 0x{}) made {}: {}; this one is sent",
                server,
                Long.toHexString(msg[0]),
                what,
                why);
        callRerun = false;
        callSource = null;
        return null;
    }

    /**
     * Did the server {@code c} called refuse it (its reply a refusal, {@link #isRefusal}: EINVAL,
     * EFAULT, ENOSYS, ETOOBIG, ESTATE), as a server refuses a malformed request before acting on
     * it, and is that server one whose refusals the kernel runs again before they leave (txipc
     * with {@code verify} "refusals" or "dual"), so that the refusal is not a transient fault's?
     */
    private boolean refusedUnchanged(Call c) {
        if (c.n < 2 || c.results[0] != Abi.OK) {
            return false;
        }
        Capability cap = server.cap(c.args[0]);
        Endpoint ep = cap == null || cap.kind() != Capability.Kind.ENDPOINT_SEND ? null : cap.endpoint();
        Task callee = ep == null ? null : ep.server;
        if (callee == null || !(callee.recovery() instanceof TxIpc)) {
            return false;
        }
        TaskSpec.TxipcLimits limits = callee.spec().txipc();
        return isRefusal(c.results[1], limits) && (limits.verifyRefusals() || limits.verifyDual());
    }

    /**
     * A nested call made outside any transaction by a server that has served: right after a
     * commit (of a request whose plain REPLY the call sent, or of a continuation), the work after
     * it being the next continuation. In a replay of the history it is answered from that
     * continuation's record and never sent ({@link Replay#nextCont}); a replay with no such record
     * next answers ERECOVERED (it went another way than the first run: its call is not sent twice).
     * Outside a replay it goes to its server, recorded ({@link #preCall}) if the commit just before
     * kept its record in the history. Null: the call goes.
     */
    private Next callAfterCommit(SyscallFrame f) {
        long h = messageHash(f.a);
        if (replay != null) {
            Request next = replay.nextCont();
            Call c = next != null ? next.calls.list[0] : null;
            if (c != null && c.sameArgs(f.a, h)) {
                contSource = next;
                return answerAs(c, f);
            }
            if (next != null && next.tail && replay.originals.size() == 1) {
                // The work after this call faulted in two runs in a row on the answer to the first
                // run's call, and the history rebuilt up to it makes the call with other arguments:
                // the first run's came from a fault between the reply and the call (a register
                // flipped there: aftercall seeds 1574612, 1574685), and so did the answer the work
                // keeps faulting on. Nothing later in the history holds that answer: this call is
                // sent, and the work after it runs on its answer, a continuation of its own. (Before,
                // it was answered ERECOVERED, the work faulted on that too, and the server was
                // restarted, its state lost.) The callee got the corrupted call as well: that left
                // the server before anything trapped, as any effect of a fault that left it does.
                replay.contDone(null); // (the replay ends with it)
                contAborts = 0;
                k.recoveryNote(
                        log,
                        "txipc: task {}: the history rebuilt, its call after a commit has other arguments than the"
                                + " first run's, on whose answer the work after it faulted twice: the first came from a"
                                + " fault; this one is sent",
                        server);
                return callAfterCommitLive(f, h);
            }
            if (next != null) {
                replay.contDone(null); // (its call is not made again: the work after it is not run again either)
            }
            k.recoveryNote(
                    log,
                    "txipc: task {}: in a replay of its history, a nested call after a commit {}: answered ERECOVERED,"
                            + " not sent",
                    server,
                    next == null ? "that its first run did not make" : "with other arguments than its first run's");
            return f.ret(Abi.ERECOVERED);
        }
        return callAfterCommitLive(f, h);
    }

    /** {@link #callAfterCommit} outside a replay; {@code h}: the call's message hash. */
    private Next callAfterCommitLive(SyscallFrame f, long h) {
        Call first = rerunAfterReply;
        rerunAfterReply = null;
        if (first != null && first.sameArgs(f.a, h)) {
            // (the run again's call after its reply, which its first run made before: answered
            // from the record, not sent twice, and the work after it follows as ever)
            preCall.copyFrom(first);
            preCallMade = false;
            preCallDone = keptAt != null && keptAt == history.peekLast();
            return answerAs(first, f);
        }
        preCallMade = keptAt != null && keptAt == history.peekLast();
        preCallDone = false;
        if (preCallMade) {
            System.arraycopy(f.a, 0, preCall.args, 0, 7);
            preCall.argsHash = h;
            preCall.n = 0;
            preCall.replyLength = 0;
            preCall.reached = false;
        }
        return null;
    }

    /** A CALL's message hash: of the {@code a[6]} bytes of the IPC buffer it sends (0 for none). */
    private long messageHash(long[] a) {
        int len = (int) Math.min(Math.max(a[6], 0), Abi.IPC_BUF_SIZE);
        return len > 0 && server.cpu().memory().read(Abi.IPC_BUF_ADDR, scratch, 0, len) ? hash(scratch, len) : 0;
    }

    /** Answer the CALL in {@code f} as {@code c} was answered: its reply bytes in the IPC buffer, its results. */
    private Next answerAs(Call c, SyscallFrame f) {
        if (c.replyLength > 0) {
            server.cpu().memory().write(Abi.IPC_BUF_ADDR, c.reply, 0, c.replyLength);
        }
        System.arraycopy(c.results, 0, f.a, 0, c.n);
        return f.filled(c.n);
    }

    /**
     * Record in {@code c} that its call ended with {@code results[0, n)} ({@code blocked}: it
     * was delivered or queued), and the reply bytes it brought.
     */
    private void recordAnswer(Call c, long[] results, int n, boolean blocked) {
        int m = Math.min(n, 7);
        System.arraycopy(results, 0, c.results, 0, m);
        c.n = m;
        // A call that blocked was delivered (or queued): its server may have acted on it, unless
        // it answered that the request had no effect.
        c.reached = blocked && results[0] != Abi.ERECOVERED;
        int len = results[0] == Abi.OK && m == 7 ? (int) Math.min(Math.max(results[6], 0), Abi.IPC_BUF_SIZE) : 0;
        if (c.reply.length < len) {
            c.reply = new byte[(len + 63) & ~63];
        }
        c.replyLength = len > 0 && server.cpu().memory().read(Abi.IPC_BUF_ADDR, c.reply, 0, len) ? len : 0;
    }

    /**
     * A run again of a client's request whose first run's calls are not all answered yet sends
     * its held reply with syscall {@code nr}: if that is a CALL the same as the first run's last,
     * which reached its server (the first run made it before its reply: a REPLY skipped, say),
     * it is the same call made after the reply, answered from the record once the request
     * committed ({@link #rerunAfterReply}); anything else leaves a call of the first run that
     * reached its server not made again, and the request's outcome is in doubt.
     */
    @Override
    public Fault releasing(long nr, long[] a) {
        rerunAfterReply = null;
        if (nr == Abi.SYS_EXIT) {
            // An exit in the work after a plain REPLY would release the held reply, commit the
            // request and end the server: every client's next call EDEAD. A server that means to
            // stop replies and then exits, and does so again when its request is run again; a
            // fault that sent it out of its loop does not (an outside job queue: a skipped stp in
            // the prologue of a function it calls after its REPLY returned main through a stale
            // frame, exit 81920; AArch64 -Os, after-reply seed 1603883). So the first such exit
            // undoes the request, which is delivered again unseen; an exit in its run again is
            // the server's own and goes.
            if (!exitAfterReplyRetried) {
                exitAfterReplyRetried = true;
                exitsAfterReply++;
                return corruptAtSyscall(
                        a[8],
                        "exit after a plain REPLY, before its request committed (the request runs again: an exit"
                                + " there too is the server's own)",
                        true);
            }
        }
        exitAfterReplyRetried = false;
        long code = codeChangedBeforeOutput();
        if (code != -1) {
            // The code compare before the REPLY saw the code as it was then; an instruction changed
            // after it and run in the work between the REPLY and the release (a compaction step)
            // would commit what it did with the request, and the next request would run on it
            // (outside document store, after-reply seed 1562594: a STATS answered ENOSYS twice)
            codeStops++;
            return corruptAtSyscall(
                    a[8],
                    "code page 0x" + Long.toHexString(code)
                            + " differs from the image (checked before the held reply's release)",
                    true);
        }
        String fixedRegs = invariantsChangedNow();
        if (fixedRegs != null) {
            // (gp flipped in the work between the REPLY and the release: what it did commits
            // with the request, computed from other addresses than its globals')
            return corruptAtSyscall(a[8], fixedRegs + " (checked before the held reply's release)", true);
        }
        long changed = server.cpu().tracker().copyCheck();
        if (changed != -1) {
            // The copy check before the reply saw only the pages logged up to the REPLY; a page
            // its work after the REPLY logged (a compaction step moving a buffer) is checked here,
            // before the request commits: a flip there came before it, and the request may have
            // carried it on (an outside document store, seed 1526537)
            copyChecks++;
            return corruptAtSyscall(
                    a[8],
                    "page 0x" + Long.toHexString(changed)
                            + " changed between requests (found before the held reply's release: it differs from"
                            + " the last commit's copy)",
                    true);
        }
        if (!(callRerun
                && rerunClient != null
                && server.replyOwed() == rerunClient
                && callSource != null
                && callSource.reached(callsAnswered)
                && !server.spec().txipc().repeatableCalls())) {
            return null;
        }
        if (nr == Abi.SYS_CALL && callsAnswered == callSource.count - 1) {
            Call c = callSource.list[callsAnswered];
            if (c.sameArgs(a, messageHash(a))) {
                callsAnswered++;
                rerunAfterReply = new Call();
                rerunAfterReply.copyFrom(c);
                return null;
            }
        }
        inDoubt = true;
        return corruptAtSyscall(
                a[8],
                "run again after a fault past a nested call, the request made fewer nested calls than its first run",
                false);
    }

    /** The first run's call that a run again made after its reply ({@link #releasing}), to answer once it committed. */
    private Call rerunAfterReply;

    /** The open request's nested call ended with {@code results[0, n)}: record the answer. */
    private void callAnswered(long[] results, int n, boolean blocked) {
        if (preCallMade && !server.inRequest()) {
            // (the call after a commit that callAfterCommit recorded for the continuation after it)
            preCallMade = false;
            recordAnswer(preCall, results, n, blocked);
            preCallDone = true;
            return;
        }
        Call c = pendingCall;
        pendingCall = null;
        if (c == null || !server.inRequest()) {
            return;
        }
        recordAnswer(c, results, n, blocked);
    }

    @Override
    public void resumedWith(long[] results, int n) {
        if (pendingCall != null || (preCallMade && !server.inRequest())) {
            callAnswered(results, n, true);
        }
    }

    // ---- a callee's answers checked -------------------------------------------------------

    /**
     * {@code client}'s request faulted in every run again, each run given the answers its first
     * run's nested calls got. If those answers were wrong (the called server's state was
     * corrupted without a trap there), no run again can succeed and the client would get
     * EINDOUBT; so the server that gave the newest of them is asked to check them
     * ({@link #checkAnswers}: a txipc server waiting for a request, which undoes and replays its
     * history back past the requests that answered). The client's request waits meanwhile.
     * Returns {@link #CHECKING} if the check began (the request is parked until {@link
     * #calleeChecked}), {@link #AMENDED} if the server's replay since had already given its answers
     * otherwise (the record holds the new ones: the request runs again at once), else {@link
     * #NO_CHECK}.
     */
    private int askCallee(Task client) {
        if (calleeAsked || parked != null) {
            return NO_CHECK;
        }
        calleeAsked = true;
        Calls calls = rerunCalls;
        for (int i = calls.count - 1; i >= 0; i--) {
            Call c = calls.list[i];
            if (!c.reached || c.n != 7 || c.results[0] != Abi.OK) {
                continue;
            }
            Capability cap = server.cap(c.args[0]);
            if (cap == null || cap.kind() != Capability.Kind.ENDPOINT_SEND) {
                continue;
            }
            Endpoint ep = cap.endpoint();
            Task callee = ep.server();
            if (callee == server
                    || callee.generation() != cap.generation()
                    || !(callee.recovery() instanceof TxIpc tx)) {
                return NO_CHECK;
            }
            parked = client;
            parkedGeneration = client.generation();
            parkedEndpoint = endpoint;
            parkedCorrected = false;
            int verdict = tx.checkAnswers(this, calls, ep, cap.badge());
            if (verdict != CHECKING) {
                parked = null;
            }
            return verdict;
        }
        return NO_CHECK;
    }

    /** {@link #askCallee}, {@link #checkAnswers}: no check (the client gets EINDOUBT). */
    static final int NO_CHECK = 0;
    /** The callee checks the answers: the client's request is parked meanwhile. */
    static final int CHECKING = 1;
    /** A replay of the callee had already answered otherwise: the record holds the new answers. */
    static final int AMENDED = 2;

    /**
     * A callee's replay answered the parked request's nested call {@code call} with
     * {@code results} (a0..a6) and reply bytes {@code bytes}: if that differs from the record,
     * the record takes it. Returns true if it differed.
     */
    boolean correctAnswer(int call, long[] results, byte[] bytes) {
        if (parked == null || call >= rerunCalls.count) {
            return false;
        }
        Call c = rerunCalls.list[call];
        boolean same = c.n == 7
                && java.util.Arrays.equals(c.results, 0, 7, results, 0, 7)
                && java.util.Arrays.equals(c.reply, 0, c.replyLength, bytes, 0, bytes.length);
        if (same) {
            return false;
        }
        System.arraycopy(results, 0, c.results, 0, 7);
        c.n = 7;
        if (c.reply.length < bytes.length) {
            c.reply = new byte[(bytes.length + 63) & ~63];
        }
        System.arraycopy(bytes, 0, c.reply, 0, bytes.length);
        c.replyLength = bytes.length;
        parkedCorrected = true;
        return true;
    }

    /**
     * The callee's check of the parked request's answers is over: with an answer changed
     * ({@code corrected}), the request runs again with the new answers; otherwise its client
     * gets EINDOUBT as it would have without the check.
     */
    void calleeChecked(boolean corrected) {
        Task client = parked;
        if (client == null) {
            return;
        }
        if (!(corrected && parkedCorrected && client == rerunClient && stillWaiting(client))) {
            answerParked();
            return;
        }
        parked = null;
        calleeCorrections++;
        k.recoveryNote(
                log,
                "txipc: task {}: the called server's replay corrected the answers: the request runs again with them",
                server);
        k.ipc.resend(client, parkedEndpoint);
    }

    /**
     * The server restarts or ends: a client's request it parked is answered EINDOUBT, and a
     * caller waiting for its check of answers is told there is none.
     */
    @Override
    public void ended() {
        answerParked();
        checkDue = null;
        amended.clear();
        noCheck();
    }

    /** Drop the checks callers wait for ({@link #checkAnswers}), telling each there is none. */
    private void noCheck() {
        java.util.List<PendingCheck> asked = new java.util.ArrayList<>(checks);
        checks.clear();
        for (PendingCheck c : asked) {
            c.caller().calleeChecked(false);
        }
    }

    /** Answer the parked client (if it still waits) EINDOUBT, and forget its record. */
    private void answerParked() {
        Task client = parked;
        if (client == null) {
            return;
        }
        parked = null;
        if (client == rerunClient) {
            dropRerun(true);
        }
        if (stillWaiting(client)) {
            inDoubtAnswers++;
            k.recoveryNote(
                    log,
                    "txipc: task {}: the called server's check changed no answer: the request is answered EINDOUBT"
                            + " (its own changes undone, the called server's stay)",
                    server);
            client.setResult(Abi.EINDOUBT);
            k.wake(client);
        }
    }

    /** The parked {@code client} still waits for its call's answer (no timeout, death or restart ended it). */
    private boolean stillWaiting(Task client) {
        return client.generation() == parkedGeneration
                && client.state() == TaskState.AWAITING_REPLY
                && client.servedBy() == null
                && client.blockedOn() == null;
    }

    /**
     * {@code caller}'s request faulted in every run again on the answers this server gave to its
     * nested calls {@code calls} (those through {@code ep} with {@code badge}). If a replay of this
     * server's history since gave any of them otherwise ({@link #amended}), the caller's record
     * takes the new answers at once ({@link #AMENDED}). Else, if this server waits in receive on
     * {@code ep} and its history still holds the requests that gave those answers, put back
     * pages changed between requests (the committed copy), undo the history back past them (the
     * whole kept history) and replay it, the replay telling the caller each answer that comes
     * out otherwise ({@link AnswerCheck}): {@link #CHECKING}. A server busy in a request, or
     * with a check already waiting, checks at its next receive on {@code ep} (several callers'
     * checks then share one replay): {@link #CHECKING} too. Else {@link #NO_CHECK}.
     */
    int checkAnswers(TxIpc caller, Calls calls, Endpoint ep, long badge) {
        if (!server.state().alive() || server.receivesByWaitAny()) {
            return NO_CHECK;
        }
        if (amend(caller, calls, ep, badge) > 0) {
            return AMENDED;
        }
        if (server.spec().txipc().replayDepth() == 0) {
            return NO_CHECK;
        }
        checks.add(new PendingCheck(caller, calls, ep, badge));
        if (checks.size() > 1 || server.inRequest() || ep.receiver != server) {
            k.recoveryNote(
                    log,
                    "txipc: task {}: {} faulted on answers this server gave: they are checked before it takes its next"
                            + " request",
                    server,
                    caller.server);
            checksDeferred++;
            return CHECKING; // (busy: at its next receive on ep, holdReceive)
        }
        ep.receiver = null; // (waiting in receive: now)
        if (startCheck(ep, false)) {
            return CHECKING;
        }
        ep.receiver = server;
        return NO_CHECK;
    }

    /** Checks of this server's answers that waited for its next receive (it was busy), for tests. */
    long checksDeferred;

    /** Callers' answers corrected from {@link #amended} without a replay of their own, for tests. */
    long answersAmended;

    /** Requests aborted before their reply because a page they wrote had changed between requests. */
    long copyChecks;

    /** Replays that checked several callers' answers at once, for tests. */
    long sharedChecks;

    /** A caller's request that faulted on this server's answers, waiting for their check. */
    private record PendingCheck(TxIpc caller, Calls calls, Endpoint ep, long badge) {}

    /** Callers' checks of this server's answers that wait for its next receive, in the order asked. */
    private final java.util.ArrayList<PendingCheck> checks = new java.util.ArrayList<>();

    /** The server was held back from receiving on this endpoint for the check ({@link #runAgain}). */
    private Endpoint checkDue;

    @Override
    public boolean holdReceive(Endpoint ep) {
        if (checks.isEmpty()) {
            return false;
        }
        for (int i = checks.size() - 1; i >= 0; i--) {
            PendingCheck c = checks.get(i);
            if (c.ep() != ep || server.receivesByWaitAny()) {
                // (it receives elsewhere, or as WAIT_ANY: the requests to check are not the ones
                // a replay there would run, so there is no check; the caller is told at once)
                checks.remove(i);
                c.caller().calleeChecked(false);
            }
        }
        if (checks.isEmpty()) {
            return false;
        }
        for (Task queued : ep.senders) {
            if (queued.agentFor() instanceof Replay) {
                return false; // (a replay of its own is under way: after it)
            }
        }
        checkDue = ep;
        return true;
    }

    /**
     * Start the checks {@link #checkAnswers} took, the server out of receive on {@code ep} (its
     * CPU stopped): a caller whose answers a replay since gave otherwise ({@link #amended}) runs
     * again with them; for the others, find the kept requests that gave their answers, put back
     * pages changed between requests, undo the history back past them and replay it once for
     * all of them, the server receiving again. False if no replay began; a caller no kept request
     * answered is told so if {@code tell} (else, the one caller there is, its {@link #askCallee}
     * learns it from the result).
     */
    private boolean startCheck(Endpoint ep, boolean tell) {
        java.util.List<PendingCheck> asked = new java.util.ArrayList<>(checks);
        checks.clear();
        WriteTracker tracker = server.cpu().tracker();
        trimHistory(tracker);
        java.util.List<AnswerCheck> replayFor = new java.util.ArrayList<>();
        for (PendingCheck p : asked) {
            if (tell && amend(p.caller(), p.calls(), p.ep(), p.badge()) > 0) {
                p.caller().calleeChecked(true);
                continue;
            }
            AnswerCheck check = new AnswerCheck(p.caller());
            Calls calls = p.calls();
            boolean[] matched = new boolean[calls.count];
            for (java.util.Iterator<Request> it = history.descendingIterator(); it.hasNext(); ) {
                Request r = it.next();
                if (r.endpoint != ep || r.badge != p.badge()) {
                    continue;
                }
                for (int i = calls.count - 1; i >= 0; i--) {
                    Capability cap = p.caller().server.cap(calls.list[i].args[0]); // (to this endpoint, as this client)
                    if (!matched[i]
                            && cap != null
                            && cap.endpoint() == ep
                            && cap.badge() == p.badge()
                            && gave(r, calls.list[i])) {
                        matched[i] = true;
                        check.calls.put(r, i);
                        break;
                    }
                }
            }
            if (!check.calls.isEmpty()) {
                replayFor.add(check);
            } else if (tell) {
                check.done(false);
            }
        }
        if (replayFor.isEmpty()) {
            return false;
        }
        if (replayFor.size() > 1) {
            sharedChecks++;
        }
        // (the whole kept history: a corruption older than the requests that gave the answers
        // sits in the pages their undo restores, and the check is made once per client request;
        // a caller's own replays reach the whole history by its third run too)
        int depth = history.size();
        long now = System.nanoTime();
        StringBuilder callers = new StringBuilder();
        for (AnswerCheck c : replayFor) {
            callers.append(callers.length() == 0 ? "" : ", ").append(c.caller.server);
        }
        k.recoveryNote(
                log,
                "txipc: task {}: {} faulted on answers this server gave: undoing the newest {} committed requests"
                        + " to check them",
                server,
                callers,
                depth);
        healFromCopy(tracker);
        replayHistory(now, depth, replayFor);
        k.ipc.receiveAgain(server, ep);
        return true;
    }

    /**
     * An answer of this server that a replay of its history gave otherwise than the first run
     * had: the request as it came (endpoint, badge, message, buffer hash), the reply its caller
     * got (message words, bytes' hash) and the reply the replay gave (a0..a6, bytes). A caller
     * still holding the old answer in the record of a request that faults in every run again
     * gets the new one ({@link #amend}).
     */
    private record Amended(
            Endpoint ep,
            long badge,
            long[] msg,
            long payloadHash,
            long[] oldReply,
            long oldReplyHash,
            long[] results,
            byte[] bytes) {}

    /** The newest answers a replay changed ({@link Amended}), at most {@link #MAX_AMENDED}. */
    private final ArrayDeque<Amended> amended = new ArrayDeque<>();

    static final int MAX_AMENDED = 64;

    /**
     * Give {@code caller}'s record (its parked request's calls {@code calls} through {@code ep}
     * with {@code badge}) each answer a replay here changed since; returns how many it took.
     */
    private int amend(TxIpc caller, Calls calls, Endpoint ep, long badge) {
        if (amended.isEmpty()) {
            return 0;
        }
        int n = 0;
        for (int i = 0; i < calls.count; i++) {
            Call c = calls.list[i];
            Capability cap = caller.server.cap(c.args[0]);
            if (!c.reached
                    || c.n != 7
                    || c.results[0] != Abi.OK
                    || cap == null
                    || cap.endpoint() != ep
                    || cap.badge() != badge) {
                continue;
            }
            long reply = c.replyLength > 0 ? hash(c.reply, c.replyLength) : 0;
            for (java.util.Iterator<Amended> it = amended.iterator(); it.hasNext(); ) {
                Amended a = it.next();
                if (a.ep() == ep
                        && a.badge() == badge
                        && a.payloadHash() == c.argsHash
                        && a.oldReplyHash() == reply
                        && java.util.Arrays.equals(a.msg(), 0, 6, c.args, 1, 7)
                        && java.util.Arrays.equals(a.oldReply(), 0, 6, c.results, 1, 7)) {
                    it.remove(); // (it corrects one call once)
                    if (caller.correctAnswer(i, a.results(), a.bytes())) {
                        n++;
                        k.recoveryNote(
                                log,
                                "txipc: task {}: a replay here had answered {}'s call (label 0x{}, badge {}) otherwise"
                                        + " than before; its request that faulted on the old answer runs again with"
                                        + " the new one",
                                server,
                                caller.server,
                                Long.toHexString(a.msg()[0]),
                                badge);
                    }
                    break;
                }
            }
        }
        answersAmended += n;
        return n;
    }

    /** A replay gave {@code original} another reply, {@code again}: keep it for {@link #amend}. */
    private void keepAmended(Request original, Request again) {
        int len = (int) Math.min(Math.max(again.reply[5], 0), Abi.IPC_BUF_SIZE);
        byte[] bytes = new byte[len];
        if (len > 0 && !server.cpu().memory().read(Abi.IPC_BUF_ADDR, bytes, 0, len)) {
            return;
        }
        long[] results = new long[7];
        results[0] = Abi.OK;
        System.arraycopy(again.reply, 0, results, 1, 6);
        if (amended.size() == MAX_AMENDED) {
            amended.pollFirst();
        }
        amended.addLast(new Amended(
                original.endpoint,
                original.badge,
                original.msg.clone(),
                original.payloadLength > 0 ? hash(original.payload, original.payloadLength) : 0,
                original.reply.clone(),
                original.replyHash,
                results,
                bytes));
    }

    /** True if kept request {@code r} is the one that gave nested call {@code c} its answer. */
    private boolean gave(Request r, Call c) {
        if (!c.reached || c.n != 7 || c.results[0] != Abi.OK) {
            return false;
        }
        for (int i = 0; i < 6; i++) {
            if (r.msg[i] != c.args[i + 1] || r.reply[i] != c.results[i + 1]) {
                return false;
            }
        }
        long payload = r.payloadLength > 0 ? hash(r.payload, r.payloadLength) : 0;
        long reply = c.replyLength > 0 ? hash(c.reply, c.replyLength) : 0;
        return payload == c.argsHash && reply == r.replyHash;
    }

    private void record(Request r, long nr, long[] results, int n) {
        if (r.recorded >= MAX_RECORDED) {
            r.replayable = false;
            return;
        }
        int i = r.recorded * REC;
        if (i + REC > r.record.length) {
            r.record = java.util.Arrays.copyOf(r.record, 2 * r.record.length);
        }
        r.record[i] = nr;
        r.record[i + 1] = Math.min(n, 2);
        r.record[i + 2] = recArg0;
        r.record[i + 3] = recArg1;
        r.record[i + 4] = n > 0 ? results[0] : 0;
        r.record[i + 5] = n > 1 ? results[1] : 0;
        r.recorded++;
    }

    /** The replay of {@code r} asked for {@code nr} where its first run did not (nr -1: it asked for fewer). */
    private void diverged(Request r, long nr) {
        r.divergedAfterReply = held != null;
        Request s = r.source;
        int i = r.answered * REC;
        String first = r.answered < s.recorded ? Abi.syscallName(s.record[i]) : "nothing more";
        String format = "txipc: task {}: {} (label 0x{}) made {} where its first run made {}: it diverged";
        Object[] args = {
            server,
            s == rerunRecord
                    ? "a request run again after a fault"
                    : s == verifySource ? "a request run again to verify its answer" : "a replayed request",
            Long.toHexString(s.msg[0]),
            nr < 0 ? "no more recorded syscalls" : Abi.syscallName(nr),
            first
        };
        if (s == verifySource) {
            // (routine, no fault behind it: a stack that reads its clock for timers as it goes
            // answered a refusal with one clock read fewer the first time; outside user, netmix)
            log.debug(format, args);
        } else {
            k.recoveryNote(log, format, args);
        }
        if (s == rerunRecord) {
            dropRerunRecord(true); // (it runs for real from here: what the first run took is there to take)
        }
        r.source = null;
        r.replayable = false;
    }

    /** True while the server is running a replayed request, or a request again to verify it. */
    @Override
    public boolean replaying() {
        return replayingHistory()
                || (verifyRun > 0 && !verifyAgreed && server.inRequest())
                || (refusalRerun && server.inRequest());
    }

    /** True while the server is running a replayed request of its history. */
    @Override
    public boolean replayingHistory() {
        if (replayingWake && wakeTx) {
            return true;
        }
        if (contTx && current != null && current.cont && (current.source != null || replay != null)) {
            return true; // (a continuation run again by a replay, or its faulted tail)
        }
        Task c = server.replyOwed();
        return c != null && c.agentFor() instanceof Replay;
    }

    /**
     * Keep committed record {@code r} (its {@code callBytes} set) as the newest of the history:
     * the oldest are forgotten while the nested calls' kept reply bytes pass their bound, and
     * those whose undo records the tracker no longer holds.
     */
    private void keep(Request r, WriteTracker tracker) {
        historyCallBytes += r.callBytes;
        history.addLast(r);
        keptAt = r;
        while (historyCallBytes > MAX_HISTORY_CALL_BYTES && history.size() > 1) {
            spare.addLast(forgetOldest());
        }
        trimHistory(tracker);
    }

    /** Forget the kept requests whose undo records the tracker no longer holds (it made room for newer ones). */
    private void trimHistory(WriteTracker tracker) {
        while (history.size() > tracker.history()) {
            spare.addLast(forgetOldest());
        }
    }

    /** The oldest kept request, taken out of the history. */
    private Request forgetOldest() {
        Request r = history.pollFirst();
        historyCallBytes -= r.callBytes;
        return r;
    }

    /** The newest kept request, taken out of the history. */
    private Request takeNewest() {
        Request r = history.pollLast();
        historyCallBytes -= r.callBytes;
        return r;
    }

    /** Forget the replayable history: nothing before this point will be undone past a commit. */
    private void cutHistory() {
        cutHistory(null);
    }

    /** Why the history was last cut (for the note when a replay finds nothing to undo), or null. */
    private String historyCut;

    /** {@link #cutHistory()}, saying why ({@code why}: null keeps the last reason). */
    private void cutHistory(String why) {
        if (why != null) {
            historyCut = why;
        }
        spare.addAll(history);
        history.clear();
        historyCallBytes = 0;
        keptAt = null;
        server.cpu().tracker().dropHistory();
    }

    /**
     * A record for the history of what begins now on {@code ep} (a request, or work after a
     * wake), from the state just snapshotted (registers, break, capabilities): the history is
     * cut first if the server ran outside a request since, or if its newest record came from
     * another endpoint ({@code otherEndpoint} says why: a replay feeds one endpoint's queue, in
     * order). The caller fills in what the request or wake brought.
     */
    private Request newRecord(Endpoint ep, String otherEndpoint) {
        Request last = history.peekLast();
        if (ranOutside || (last != null && last.endpoint != ep)) {
            cutHistory(ranOutside ? "the server ran outside a request (its writes are in no log)" : otherEndpoint);
        }
        ranOutside = false;
        Request r = spare.isEmpty() ? new Request() : spare.pollFirst();
        System.arraycopy(regs, 0, r.regs, 0, 33);
        if (ext.length > 0) {
            if (r.ext.length != ext.length) {
                r.ext = new long[ext.length];
            }
            System.arraycopy(ext, 0, r.ext, 0, ext.length);
        }
        r.brk = brk;
        r.sumBack = sumBack;
        r.caps = caps;
        r.endpoint = ep;
        r.recorded = 0;
        r.answered = 0;
        r.replayable = true;
        r.divergedAfterReply = false;
        r.cont = false;
        r.tail = false;
        return r;
    }

    /** A {@link #newRecord} for work no client sent (a wake's, a continuation's): no message, calls or reply yet. */
    private Request clientlessRecord(Endpoint ep, String otherEndpoint) {
        Request r = newRecord(ep, otherEndpoint);
        java.util.Arrays.fill(r.msg, 0);
        r.badge = 0;
        r.payloadLength = 0;
        r.calls.clear();
        r.callBytes = 0;
        java.util.Arrays.fill(r.reply, 0);
        r.replyHash = 0;
        return r;
    }

    /** The server has just been handed {@code client}'s request on {@code ep}: a transaction begins. */
    @Override
    public void delivered(Task client, Endpoint ep) {
        // (the refused request again after its replay, first in the queue behind the agents: a run
        // again, as verify's are, until its reply)
        refusalRerun = false;
        if (refusalArmed && client.agentFor() == null) {
            refusalRerun = client.sendBadge() == refusalBadge;
            for (int i = 0; i < 6 && refusalRerun; i++) {
                refusalRerun = client.msg(i) == refusalMsg[i];
            }
            refusalArmed = refusalRerun; // (another request first: the refused one went, faulted or its client died)
        }
        Replay open = replay;
        if (open != null) {
            open.dropSkippedConts(); // (a continuation left at the head was not run again: the server received)
            if (open.originals.isEmpty() && !(client.agentFor() instanceof Replay)) {
                open.agentReplied(null, null); // (the replay is over)
            }
        }
        keptAt = null;
        preCallMade = false;
        startCalls(client);
        if (waitRegsVersion == server.cpu().registerVersion()) {
            System.arraycopy(waitRegs, 0, regs, 0, 33);
        } else {
            server.cpu().readAll(regs);
        }
        readExtended();
        waitRegsVersion = -1;
        checkInvariants();
        endpoint = ep;
        badge = client.sendBadge();
        client.copyMessage(msg, 0);
        brk = server.brk();
        sumBack = server.receivesSumBack();
        caps = server.capsSnapshot();
        if (verifyRun == 0) {
            requests++;
            debuggerChangedRequest = false;
        }
        TaskSpec.TxipcLimits limits = server.spec().txipc();
        // (a record for the history, and the request's record that a run again to verify it, or
        // a refusal of it, starts from: also with replay_depth = 0)
        if (limits.replayDepth() > 0 || limits.verifyDual() || limits.verifyRefusals()) {
            Request r = newRecord(ep, "a request came from another endpoint");
            client.copyMessage(r.msg, 0);
            r.badge = client.sendBadge();
            r.source = client.agentFor() instanceof Replay rp
                    ? rp.originals.peekFirst()
                    : verifyRun > 0 ? verifySource : client == rerunClient ? rerunRecord : null;
            int len = (int) Math.min(Math.max(client.msg(5), 0), Abi.IPC_BUF_SIZE);
            if (r.payload.length < len) {
                r.payload = new byte[Math.max(len, 2 * r.payload.length)];
            }
            r.payloadLength = len > 0 && server.cpu().memory().read(Abi.IPC_BUF_ADDR, r.payload, 0, len) ? len : 0;
            r.wake = false;
            current = r;
        }
        codeChecked = false;
        served = true;
        server.cpu().tracker().begin();
        server.openRequest(System.nanoTime());
    }

    /** A request from {@code client} begins: where its nested calls are answered from, if anywhere. */
    private void startCalls(Task client) {
        runCalls.clear();
        pendingCall = null;
        inDoubt = false;
        callsAnswered = 0;
        if (client.agentFor() instanceof Replay rp) {
            Request original = rp.originals.peekFirst();
            callSource = original != null ? original.calls : null;
            callRerun = true;
        } else if (verifyRun > 0) {
            callSource = null; // (a request that made nested calls is not verified)
            callRerun = true;
        } else if (client == rerunClient) {
            callSource = rerunCalls;
            callRerun = true;
        } else {
            if (parked == null) {
                dropRerun(true); // (its client is gone)
            }
            callSource = null;
            callRerun = false;
        }
    }

    /** No client's request is to be run again. */
    private void dropRerun(boolean giveBack) {
        rerunClient = null;
        reruns = 0;
        calleeAsked = false;
        rerunCalls.clear();
        dropRerunRecord(giveBack);
    }

    /** Runs again are no longer answered from the first run's record; its taken bits go back if {@code giveBack}. */
    private void dropRerunRecord(boolean giveBack) {
        for (int i = rerunTakenCount - 1; i >= 0; i--) {
            if (giveBack) {
                rerunTakenFrom[i].bits |= rerunTakenBits[i];
            }
            rerunTakenFrom[i] = null;
        }
        rerunTakenCount = 0;
        if (rerunRecord != null) {
            spare.addLast(rerunRecord);
            rerunRecord = null;
        }
    }

    /** The first run's taken bits stay taken while it is run again from its record. */
    private void keepTakenForRerun() {
        if (rerunTakenFrom.length < takenCount) {
            rerunTakenFrom = new Notification[takenFrom.length];
            rerunTakenBits = new long[takenFrom.length];
        }
        for (int i = 0; i < takenCount; i++) {
            rerunTakenFrom[i] = takenFrom[i];
            rerunTakenBits[i] = takenBits[i];
            takenFrom[i] = null;
        }
        rerunTakenCount = takenCount;
        takenCount = 0;
    }

    /** The open request's nested calls are over (it committed or was undone; {@link #runCalls} is cleared at the next). */
    private void endCalls() {
        pendingCall = null;
        inDoubt = false;
        callRerun = false;
        callSource = null;
        callsAnswered = 0;
    }

    /**
     * gp (x3) and tp (x4) are set once by crt0 and never change in a correct program, so a
     * difference at a request boundary is corruption that escaped an earlier transaction
     * (a fault that did not trap there). Put them back before it spreads, and say so.
     */
    private void checkInvariants() {
        if (invariant.length == 0) {
            return; // AArch64: no register is constant under its ABI
        }
        if (!haveBase) {
            baseGp = regs[invariant[0]];
            baseTp = regs[invariant[1]];
            haveBase = true;
            return;
        }
        if (regs[invariant[0]] != baseGp || regs[invariant[1]] != baseTp) {
            k.recoveryNote(
                    log,
                    "txipc: task {}: gp/tp changed between requests (0x{}/0x{}, expected 0x{}/0x{}): repaired",
                    server,
                    Long.toHexString(regs[invariant[0]]),
                    Long.toHexString(regs[invariant[1]]),
                    Long.toHexString(baseGp),
                    Long.toHexString(baseTp));
            regs[invariant[0]] = baseGp;
            regs[invariant[1]] = baseTp;
            server.cpu().setReg(invariant[0], baseGp);
            server.cpu().setReg(invariant[1], baseTp);
        }
    }

    /**
     * gp and tp as the registers {@code r} (the 33-slot layout) hold them, against the values the
     * serve loop had at its first request: null while they agree (or on AArch64, or before the
     * first request), else what changed. Checked before anything the transaction computed leaves
     * (a reply, its release, a nested call): a flipped gp makes every small global a load of
     * another address, without a trap (a job queue's free count read as 0 answered a SUBMIT
     * ENOMEM: outside job queue, seed 1600256), and {@link #checkInvariants} put it back only at
     * the next request, after the wrong reply had left.
     */
    private String invariantsChanged(long[] r) {
        return invariant.length == 0 ? null : invariantsChanged(r[invariant[0]], r[invariant[1]]);
    }

    /** {@link #invariantsChanged(long[])} for the server's registers now (read only when checked). */
    private String invariantsChangedNow() {
        return invariant.length == 0 || !haveBase
                ? null
                : invariantsChanged(server.cpu().reg(invariant[0]), server.cpu().reg(invariant[1]));
    }

    /** {@link #invariantsChanged(long[])} for a gp and a tp. */
    private String invariantsChanged(long gp, long tp) {
        if (!haveBase || gp == baseGp && tp == baseTp) {
            return null;
        }
        invariantStops++;
        return "gp/tp changed inside the transaction (0x" + Long.toHexString(gp) + "/0x" + Long.toHexString(tp)
                + ", expected 0x" + Long.toHexString(baseGp) + "/0x" + Long.toHexString(baseTp) + ")";
    }

    /** Replies, releases and nested calls stopped because gp or tp had changed ({@link #invariantsChanged}). */
    long invariantStops;

    /**
     * Code and read-only data never change in a correct run (the guest cannot write them), so
     * after a fault they are checked against the image and rewritten where they differ: a
     * corrupted instruction must not outlive the request that exposed it.
     */
    private int refreshReadOnly() {
        int fixed = 0;
        for (dev.rewind.hw.elf.ElfImage.Segment seg : server.image().segments()) {
            if (seg.write() || seg.fileSize() == 0) {
                continue;
            }
            byte[] want = server.image().segmentBytes(seg);
            byte[] have = new byte[want.length];
            if (server.cpu().memory().read(seg.vaddr(), have, 0, have.length) && !java.util.Arrays.equals(want, have)) {
                server.cpu().memory().write(seg.vaddr(), want, 0, want.length, dev.rewind.hw.mem.Perm.NONE);
                fixed++;
            }
        }
        if (fixed > 0) {
            server.cpu().dropCodeTranslations();
            k.recoveryNote(
                    log, "txipc: task {}: read-only segments differed from the image after a fault: restored", server);
        }
        return fixed;
    }

    /**
     * {@code server} is about to reply and receive again at {@code pc} (REPLY_RECV): may its
     * transaction commit? A server loop keeps some registers across requests (its endpoint,
     * handler and buffer pointers live in callee-saved registers, which the ABI makes every
     * handler preserve). A fault that corrupts one of them without trapping would otherwise
     * commit, and then fail every later request with nothing left to roll back to. So a
     * request that changed one ({@link KeptRegisters}) is aborted and delivered again, unseen
     * by its client. Returns null to commit, else a fault.
     */
    @Override
    public Fault checkReply(long pc, long[] reply) {
        if (!server.inRequest()) {
            return null;
        }
        if (Long.compareUnsigned(reply[6], Abi.IPC_BUF_SIZE) > 0) {
            // A reply longer than the IPC buffer is refused (ETOOBIG) and leaves nothing: the
            // request stays open and nothing commits. Verified, its run's signature (taken here)
            // would be compared with the next run's at the reply that follows, a mismatch that
            // never was (TxIpcVerifyTest: the first request was answered ERECOVERED).
            return null;
        }
        if (callRerun
                && rerunClient != null
                && server.replyOwed() == rerunClient
                && callSource != null
                && callSource.reached(callsAnswered)
                && !server.spec().txipc().repeatableCalls()
                && !(reply[7] == Abi.SYS_REPLY && held == null && !wakeTx)) { // (held: checked at its release)
            inDoubt = true; // (a call of the first run that reached its server was not made again)
            return corruptAtSyscall(
                    pc,
                    "run again after a fault past a nested call, the request made fewer nested calls than its first run",
                    false);
        }
        server.cpu().readAll(waitRegs);
        waitRegsVersion = server.cpu().registerVersion();
        String what = kept.check(regs, waitRegs, pc);
        if (what == null) {
            what = invariantsChanged(waitRegs);
        }
        if (what == null) {
            boolean check = server.spec().txipc().codeCheck();
            long changed = check ? codeImage().changedPage() : -1;
            if (changed == -1) {
                codeChecked = check;
                long page = server.cpu().tracker().copyCheck();
                if (page == -1) {
                    return verify(pc, reply[1]);
                }
                // A page this request wrote was not, when the request found it, what the last
                // commit left (a bit flipped in memory between requests), and the request may
                // have read the change: its commit would take the change into the committed copy
                // wherever it rewrote the changed words. Undo it, put the page back from the
                // copy (abort) and run it again; the client never sees this reply.
                copyChecks++;
                return corruptAtSyscall(
                        pc,
                        "page 0x" + Long.toHexString(page)
                                + " changed between requests (found before the reply: it differs from the last commit's"
                                + " copy)",
                        true);
            }
            // The code changed in memory (a bit flip: the guest cannot write it), during this
            // request or since the last reply left, which was checked like this one: only this
            // request can have run it. Undo it, restore the code (abort) and run it again; the
            // client never sees a reply computed by changed code.
            what = "code page 0x" + Long.toHexString(changed) + " differs from the image (checked before the reply)";
        }
        return corruptAtSyscall(pc, what, true);
    }

    /**
     * A reply not as the server built it, inside a request: the request is undone and delivered
     * again, unseen by its client, as for a kept register changed ({@link #checkReply}); the words
     * went wrong on their way from memory to the registers, after everything the request computed.
     * A call's request is a fault at the call, as a trap there would be.
     */
    @Override
    public Fault messageNotAsBuilt(Task t, long pc, boolean reply, String what) {
        if (reply && server.inRequest() && !wakeTx && server.replyOwed() != null) {
            return corruptAtSyscall(pc, what, true);
        }
        return Recovery.super.messageNotAsBuilt(t, pc, reply, what);
    }

    /**
     * A request whose delivery went wrong in the server (a register changed before the SDK stored
     * the message): undone and delivered again, unseen by its client, as a reply not as built is.
     */
    @Override
    public Fault deliveryNotAsSent(Task t, Fault abort) {
        if (server.inRequest() && !wakeTx && server.replyOwed() != null) {
            redeliver = true;
        }
        return abort;
    }

    /**
     * A CORRUPT_STATE fault at the syscall that {@code pc} follows, {@code what} saying why; the
     * request is delivered again after the abort if {@code again}, else its client gets ERECOVERED.
     */
    private Fault corruptAtSyscall(long pc, String what, boolean again) {
        redeliver = again;
        return new Fault(FaultKind.CORRUPT_STATE, pc - 4, 0, server.image().describe(pc - 4), what);
    }

    /**
     * The server is about to exit at {@code pc}. Inside a request, with the code check on, its
     * code is compared with the image first: a changed instruction can reach the exit call (or
     * send the server there) without trapping, and an exit is as visible to the client as a
     * wrong reply (its call fails with EDEAD). Then the request is undone, the code restored and
     * the request delivered again, as for a reply ({@link #checkReply}). With the code intact, an
     * exit while a client waits for the request's reply is a fault of the request too: it is
     * undone, and its client gets ERECOVERED (or, after a nested call, the run again).
     */
    @Override
    public Fault checkExit(long pc) {
        if (!server.inRequest()) {
            return null;
        }
        long changed = server.spec().txipc().codeCheck() ? codeImage().changedPage() : -1;
        if (changed != -1) {
            return corruptAtSyscall(
                    pc,
                    "code page 0x" + Long.toHexString(changed) + " differs from the image (checked before an exit)",
                    true);
        }
        // A client waits for this request's reply: a txipc server answers every request it took,
        // so an exit here came from a fault that did not trap (a skipped instruction or a flipped
        // register sent the server out of its loop, code intact) and would fail the client's call
        // with EDEAD and end the server's state. It is a fault of the request like any other.
        Task client = server.replyOwed();
        if (client == null || wakeTx) {
            if (contTx && exitWithoutClientRetries < 2) {
                // The work after a nested call that followed a plain REPLY (a continuation) is the
                // server's loop too, and an exit there ends its state and fails every client's next
                // call with EDEAD. A fault that did not trap can send it there: a loop's register
                // holding its receive's number zeroed made the receive an EXIT (aftercall,
                // after-reply seeds 1999036, 1999148, 1999180 of session 52). So the exit is undone
                // and the work runs again from its start; if it exits again, the state it started
                // from may be what the fault spoiled (1999036: zeroed before the nested call, which
                // committed the request with it), and the second fault in a row runs the kept
                // history again and then the work. An exit after that is the server's own and goes,
                // as after a plain REPLY. (Not after a wake: its run again waits for the wake again,
                // and a server that stops when it has been idle for a while would wait three times.)
                exitWithoutClientRetries++;
                exitsWithoutClient++;
                return corruptAtSyscall(
                        pc,
                        "exit in work no client waits on (after a nested call): it runs again, and an exit"
                                + " there too is the server's own",
                        false);
            }
            exitWithoutClientRetries = 0;
            return null;
        }
        exitsInRequest++;
        return corruptAtSyscall(pc, "exit inside a request (a client waits for its reply)", false);
    }

    /** An exit after a plain REPLY was undone and its request is run again ({@link #releasing}). */
    private boolean exitAfterReplyRetried;

    /** Exits in a continuation's work undone in a row, the work run again ({@link #checkExit}). */
    private int exitWithoutClientRetries;

    /** Exits in a continuation's work (no client waited on it), undone to run it again ({@link #checkExit}). */
    long exitsWithoutClient;

    /** Exits after a plain REPLY, before the request committed, undone to run the request again ({@link #releasing}). */
    long exitsAfterReply;

    /** Exits inside a request, while a client waited for its reply, taken for faults ({@link #checkExit}). */
    long exitsInRequest;

    /**
     * A CALL refused with ECAP inside a request a client waits on ({@link Recovery#checkRefusedCall}):
     * the first is taken for a spoiled slot and the request runs again from its start, unseen by its
     * client (the refused call reached nobody); the same call in that run is the program's own
     * and is answered ECAP. A fault that did not trap can put another slot in the register or the
     * variable a nested call takes its capability from (a null in a0 at the CALL of an outside
     * catalog server, seed 1430444): the server, which passes its callee's errors on as a careful
     * one does, answered its client an error for a good request.
     */
    @Override
    public Fault checkRefusedCall(long pc, long slot) {
        if (!server.inRequest() || wakeTx || server.replyOwed() == null) {
            return null;
        }
        if (ownRefusedSlots.contains(slot)) {
            return null; // (a run again made this call before: the program's own)
        }
        if (refusedCallRun) {
            if (ownRefusedSlots.size() < MAX_OWN_REFUSED_SLOTS) {
                ownRefusedSlots.add(slot); // (the run again made it too: the program's own)
            }
            return null;
        }
        refusedCallRun = true;
        refusedCallAbort = true;
        refusedCallsRunAgain++;
        callAnswered(new long[] {Abi.ECAP}, 1, false); // (it reached no server: the request is undone alone)
        return corruptAtSyscall(
                pc, "a call through slot " + slot + ", which holds no capability to call, inside a request", true);
    }

    /** The request runs again after a call refused with ECAP ({@link #checkRefusedCall}). */
    private boolean refusedCallRun;

    /** The abort under way is {@link #checkRefusedCall}'s: the kernel's own check, not counted toward escalation. */
    private boolean refusedCallAbort;

    /**
     * Slots a run again called too and got ECAP for: the program's own calls (a server that
     * answers "no backend" when an optional capability is missing), answered at once from then
     * on, so that such a server pays one run again per slot, not one per request.
     */
    private final Set<Long> ownRefusedSlots = new HashSet<>();

    private static final int MAX_OWN_REFUSED_SLOTS = 64;

    /** Requests run again after a call refused with ECAP inside them ({@link #checkRefusedCall}). */
    long refusedCallsRunAgain;

    private CodeImage codeImage() {
        if (code == null) {
            code = new CodeImage(server);
        }
        return code;
    }

    /**
     * {@code verify = "dual"}: the server is about to reply to a client at {@code pc}. The first
     * run's result (registers, reply bytes, the pages it wrote, its break) is noted and the
     * request runs again from the same pre-state ({@link #RUN_AGAIN}); if the second run agrees,
     * the reply leaves. If not, a third run decides: it commits if it agrees with either, else
     * the request is aborted (the client gets ERECOVERED). A request that made a syscall a run
     * cannot repeat (a nested call) is not verified. Under {@code verify = "refusals"} (the
     * default) only a request whose reply {@code status} refuses it ({@link #isRefusal}), says
     * there was no room ({@link #isNoRoom}) or is positive ({@link #isOutsideContract}) runs so,
     * under {@code "errors"} one whose reply is any error ({@link #isErrorReply}) or positive.
     */
    private Fault verify(long pc, long status) {
        Task client = server.replyOwed();
        TaskSpec.TxipcLimits limits = server.spec().txipc();
        if (client == null || client.agentFor() != null || current == null) {
            return null;
        }
        if (refusalRerun && verifyRun == 0) { // (the refused request, run on what its replay rebuilt: delivered)
            refusalArmed = false;
            refusalRerun = false;
            if (status != refusalStatus && current.recorded == 0) {
                // The request, run on the state and registers the replay rebuilt, is not refused:
                // the refusal came from a register or memory a fault had spoiled before it. (One
                // that read the clock or polled may answer otherwise now for that alone: its new
                // answer leaves, uncounted.)
                refusalsOverturned++;
                k.recoveryNote(
                        log,
                        "txipc: task {}: request (label 0x{}, badge {}) answered 0x{} after the replay, not 0x{}: the"
                                + " refusal came from corrupted state",
                        server,
                        Long.toHexString(msg[0]),
                        badge,
                        Long.toHexString(status),
                        Long.toHexString(refusalStatus));
                k.observer.verifyMismatch(server, badge, msg[0], true);
            }
        }
        if (debuggerChangedRequest) {
            // The debugger changed this run (gdb at a breakpoint or at a fault stop in the
            // request): it is the answer, as the debugger made it. A run again from the pre-state
            // would not have the change: it faulted again where gdb had moved the pc past a fault,
            // or answered otherwise than gdb had set the reply, a "mismatch" whose third run
            // committed the unchanged answer and dropped the debugger's (outside tally server,
            // `set var m->label = -1` at its reply). A run before this one did not commit.
            if (verifyRun > 0) {
                withdrawLosingRun();
                verifyAgreed = true;
            }
            return null;
        }
        boolean dual = limits.verifyDual();
        if (verifyRun == 0
                && !dual
                && !(limits.verifyErrors()
                        ? isErrorReply(status) || isOutsideContract(status)
                        : limits.verifyRefusals()
                                && (isRefusal(status, limits) || isOutsideContract(status) || isNoRoom(status)))) {
            return null;
        }
        if (verifyRun == 0 && (!current.replayable || runCalls.count > 0)) {
            if (dual) {
                unverified++;
            }
            return null;
        }
        sign(verifyRun, current.replayable ? 0 : -1 - verifyRun);
        if (verifyRun == 0) {
            if (!dual) {
                refusalsRunAgain++;
            }
            rerunPending = true;
            return RUN_AGAIN;
        }
        if (verifyRun == 1) {
            if (agree(0, 1)) {
                if (dual) {
                    verified++;
                }
                int depth = refusalReplayDepth(status);
                if (depth > 0) {
                    refusalDepth = depth;
                    refusalStatus = status;
                    rerunPending = true;
                    return RUN_AGAIN;
                }
                verifyAgreed = true;
                return null;
            }
            mismatched++;
            k.recoveryNote(
                    log,
                    "txipc: task {}: two runs of request (label 0x{}, badge {}) disagreed ({}): running it a third time",
                    server,
                    Long.toHexString(msg[0]),
                    badge,
                    difference(0, 1));
            rerunPending = true;
            return RUN_AGAIN;
        }
        boolean first = agree(0, 2);
        boolean agrees = first || agree(1, 2);
        k.recoveryNote(
                log,
                "txipc: task {}: the third run of request (label 0x{}, badge {}) {}",
                server,
                Long.toHexString(msg[0]),
                badge,
                agrees ? "agreed with run " + (first ? 1 : 2) + ": committed" : "agreed with neither: aborted");
        k.observer.verifyMismatch(server, badge, msg[0], agrees);
        if (agrees) {
            if (!first) {
                withdrawLosingRun();
            }
            verifyAgreed = true;
            return null;
        }
        return corruptAtSyscall(
                pc,
                "three runs of the request disagreed (verify = \""
                        + (dual ? "dual" : limits.verifyErrors() ? "errors" : "refusals") + "\")",
                false);
    }

    /**
     * Whether {@code status}, a reply's label, is an error (negative: a refusal, {@link
     * #isRefusal}, or any other "no": not found, exists, empty, a protocol's own errors). A fault
     * that does not trap turns a good answer into an error as easily as into a refusal (a skipped
     * load in a key compare makes a lookup miss: ENOENT for a key the server holds), and an error
     * leaves as a short reply that no seal of the server covers; so under {@code verify =
     * "errors"} every error reply is held back and the request run again first ({@link #verify}).
     * Not the default: a workload that looks up what is not there pays a second run for each
     * miss (the kv oracle's 15 % of ENOENT replies: about 0.15 of its CPU ratio, docs/PERFORMANCE.md).
     */
    static boolean isErrorReply(long status) {
        return status < 0;
    }

    /**
     * Whether {@code status}, a reply's label, says the server had no room (ENOMEM: out of
     * entries, nodes or memory). Rare in a working system, and a fault makes one easily without
     * trapping: session 56's skip sweeps found kv's PUT and fs's CREATE answering ENOMEM with room
     * to spare (a skipped instruction in a size or free-list check; the SDK's malloc checks its
     * own "no room" while serving). So under {@code verify = "refusals"} (the default) such a
     * reply is held back and the request run again first ({@link #verify}), as a refusal is; a
     * server that is really full answers it in both runs and pays the second. Not a refusal
     * otherwise: a server may have done part of the request before it ran out (a nested call's
     * refusal, {@link #isRefusal}, is one made before it acted), and its replay of the kept
     * history is for refusals only ({@link #refusalReplayDepth}).
     */
    static boolean isNoRoom(long status) {
        return status == Abi.ENOMEM;
    }

    /**
     * Whether {@code status}, a reply's label, is outside the SDK's contract for a server's
     * status (0 for success, a negative error): a positive one. No handler of the project answers
     * one, and a fault that does not trap makes one easily: on AArch64 {@code -O2} a skipped
     * {@code blr} in the SDK's dispatch (the handler never ran) answered with a stack address as
     * the status, and the client stubs take a positive status for a success with whatever words
     * the reply holds (an outside LRU cache, seed 1337307). So under {@code verify = "refusals"}
     * (the default) and {@code "errors"} such a reply is held back and the request run again
     * first, as a refusal is ({@link #verify}); a server of its own convention that answers
     * positive statuses on purpose pays a second run of each such request, and its runs agree.
     */
    static boolean isOutsideContract(long status) {
        return status > 0;
    }

    /**
     * Whether {@code status}, a reply's label, refuses the request as malformed or out of turn
     * (the kernel's EINVAL, EFAULT, ENOSYS, ETOOBIG, ESTATE): what a server answers before its
     * handler does anything, as a rule checker or a state check, and rarely in a working system.
     * A flipped register or a skipped instruction in such a check refuses a good request without
     * trapping, so under {@code verify = "refusals"} (the default) such a reply is held back and
     * the request run again first ({@link #verify}).
     */
    static boolean isRefusal(long status) {
        return status == Abi.EINVAL
                || status == Abi.EFAULT
                || status == Abi.ENOSYS
                || status == Abi.ETOOBIG
                || status == Abi.ESTATE;
    }

    /**
     * {@link #isRefusal}, or one of the statuses the server's manifest names as its own refusals
     * ({@code refusals = [...]}: a network stack's "no such socket of this client", answered after
     * a lookup that a flipped register or a skipped instruction can get wrong without trapping).
     */
    static boolean isRefusal(long status, TaskSpec.TxipcLimits limits) {
        return isRefusal(status) || limits.refusals().contains(status);
    }

    /**
     * Refusals and positive statuses (or, under {@code verify = "errors"}, all error replies and
     * positive statuses) run again before they left; their mismatches count in {@code mismatched}.
     */
    long refusalsRunAgain;

    /** True if runs {@code a} and {@code b} (a undone, b the later) gave the same result. */
    private boolean agree(int a, int b) {
        return java.util.Arrays.equals(verifySigs[a], verifySigs[b])
                && java.util.Arrays.equals(verifyExt[a], verifyExt[b])
                && sameMemory(a, b);
    }

    /**
     * True if runs {@code a} and {@code b} changed the same pages to the same contents. Both ran
     * from the same pre-state, so a page only one changed differs (the other left it as it
     * was); a page the tracker logged and a run left alone is in neither list (the tracker logs
     * a superset of the pages a run writes: pages still open from before).
     */
    private boolean sameMemory(int a, int b) {
        return java.util.Arrays.equals(verifyPages[a], verifyPages[b])
                && java.util.Arrays.equals(verifyHashes[a], verifyHashes[b]);
    }

    /** What differs between runs {@code a} and {@code b}, in words. */
    private String difference(int a, int b) {
        java.util.List<String> d = new java.util.ArrayList<>();
        for (int i = 0; i < 31; i++) {
            if (verifySigs[a][i] != verifySigs[b][i]) {
                d.add("x" + (i + 1));
            }
        }
        String[] names = {"reply bytes", "heap break", "syscalls"};
        for (int i = 0; i < names.length; i++) {
            if (verifySigs[a][31 + i] != verifySigs[b][31 + i]) {
                d.add(names[i]);
            }
        }
        if (!java.util.Arrays.equals(verifyExt[a], verifyExt[b])) {
            d.add("FP/SIMD registers");
        }
        if (!sameMemory(a, b)) {
            d.add("memory written");
        }
        return String.join(", ", d);
    }

    /** The result of the run about to reply (its registers in {@link #waitRegs}), into run {@code run}'s records. */
    private void sign(int run, long mark) {
        long[] sig = verifySigs[run];
        System.arraycopy(waitRegs, 1, sig, 0, 31);
        // the reply's length: its sixth word (RISC-V a6, AArch64 x6)
        int len = (int) Math.min(Math.max(waitRegs[server.cpu().arch().result(6)], 0), Abi.IPC_BUF_SIZE);
        sig[31] = len > 0 && server.cpu().memory().read(Abi.IPC_BUF_ADDR, scratch, 0, len) ? hash(scratch, len) : 0;
        sig[32] = server.brk();
        sig[33] = mark;
        int n = server.cpu().extendedLength();
        if (n > 0) { // (FP state a request leaves behind, as a server keeping a sum in a register)
            if (verifyExt[run].length != n) {
                verifyExt[run] = new long[n];
            }
            server.cpu().readExtended(verifyExt[run]);
        }
        long[] changed = server.cpu().tracker().changedPages(); // {page, hash, ...}
        int count = changed.length / 2;
        long[] pages = new long[count];
        long[] hashes = new long[count];
        for (int i = 0; i < count; i++) { // (a few pages: insertion, in unsigned order)
            long p = changed[2 * i];
            long h = changed[2 * i + 1];
            int at = i;
            while (at > 0 && Long.compareUnsigned(pages[at - 1], p) > 0) {
                pages[at] = pages[at - 1];
                hashes[at] = hashes[at - 1];
                at--;
            }
            pages[at] = p;
            hashes[at] = h;
        }
        verifyPages[run] = pages;
        verifyHashes[run] = hashes;
    }

    /** A hash of the page at {@code p} as it is now (-1 if unreadable). */
    private long pageHash(long p) {
        if (page == null) {
            page = new byte[(int) dev.rewind.hw.mem.AddressSpace.PAGE];
        }
        return server.cpu().memory().read(p, page, 0, page.length) ? hash(page, page.length) : -1;
    }

    private byte[] page;

    /**
     * The CPU stopped after {@link #verify} asked for another run: undo this run (memory,
     * registers, break, capabilities) and hand the server the same request again, its client
     * still waiting.
     */
    @Override
    public boolean runAgain() {
        if (checkDue != null) {
            Endpoint ep = checkDue;
            checkDue = null;
            if (!startCheck(ep, true)) {
                k.ipc.receiveAgain(server, ep); // (nothing left to check: it receives as it was about to)
            }
            return true;
        }
        if (!rerunPending) {
            return false;
        }
        rerunPending = false;
        int deep = refusalDepth;
        refusalDepth = 0;
        server.cpu().tracker().rollback();
        if (readOnlyLogged(verifyPages[verifyRun])) {
            // Code a tool changed (now restored): drop its translations, as an abort does.
            server.cpu().dropCodeTranslations();
        }
        server.cpu().writeAll(regs);
        writeExtended(ext);
        server.rollBackTo(regs[32], brk, caps); // (closes the request, drops pending results)
        if (verifyRun == 0) {
            verifySource = current;
        } else if (current != null) {
            spare.addLast(current);
        }
        current = null;
        verifyRun++;
        verifyAgreed = false;
        Task client = server.replyOwed();
        server.endServing();
        if (client != null && server.isServing(client)) {
            client.callEnded();
            client.queueOn(endpoint);
            endpoint.senders.addFirst(client);
        }
        if (deep > 0) {
            // Both runs refused the request from the same registers and memory: replay the kept
            // history from before the registers last changed, then the request (refusalReplayDepth).
            refusalArmed = true;
            refusalBadge = badge;
            System.arraycopy(msg, 0, refusalMsg, 0, 6);
            endVerification();
            sinceRefusalReplay = 0;
            refusalsReplayed++;
            int[] undone = replayHistory(System.nanoTime(), deep);
            if (replay != null) {
                replay.quiet = true;
            }
            noteReplay(
                    true,
                    "txipc: task {}: both runs refused request (label 0x{}, badge {}) with 0x{}: the {} newest kept"
                            + " request{} run again first, from the registers before the last change",
                    server,
                    Long.toHexString(refusalMsg[0]),
                    refusalBadge,
                    Long.toHexString(refusalStatus),
                    undone[0],
                    undone[0] == 1 ? "" : "s");
        }
        k.ipc.receiveAgain(server, endpoint);
        return true;
    }

    /**
     * A refusal ({@link #isRefusal}, or a status outside the contract) that two runs of the
     * request agreed on came from the same registers and memory both times, so a register the
     * server's loop keeps that a fault spoiled after an earlier reply refuses it both times (an
     * own loop keeping label 1 in a register: every ADD refused ENOSYS from then on, aftercall's
     * after-reply seeds 2069104, 2069128, 2069184 of session 53). Replaying the kept history from
     * a request that began with other values in the registers the loop keeps at this receive
     * site rebuilds them as a fault-free run would: the request is then run once more, and if it
     * is no longer refused the refusal was the fault's. A loop that changes such a register on
     * purpose (a table it rotates) refuses again after the replay, which commits as before.
     * Returns the depth to replay, 0 for none: not a refusal, nothing kept, a replay since the
     * last commit, or the budget (a replay at most every {@value #REFUSAL_REPLAY_COST} times its
     * depth in committed requests, so a server that refuses often pays at most a quarter more).
     */
    private int refusalReplayDepth(long status) {
        TaskSpec.TxipcLimits limits = server.spec().txipc();
        if (!(isRefusal(status, limits) || isOutsideContract(status))
                || history.isEmpty()
                || replaysSinceCommit > 0
                || replay != null
                || wakeTx
                || contTx
                || rerunClient != null) {
            return 0;
        }
        int depth = registerDepth(regs);
        if (depth == 0 || sinceRefusalReplay < (long) REFUSAL_REPLAY_COST * depth) {
            return 0;
        }
        return depth;
    }

    /** A recovery note, or (a refusal's replay, which suspects nothing until it answers otherwise) a debug line. */
    private void noteReplay(boolean quiet, String format, Object... args) {
        if (quiet) {
            log.debug(format, args);
        } else {
            k.recoveryNote(log, format, args);
        }
    }

    /** The registers {@link #registerDepth} compares: every general one but the system call's (found on first use). */
    private int[] loopRegs;

    /** Committed requests per replayed request a refusal's replay may cost ({@link #refusalReplayDepth}). */
    static final int REFUSAL_REPLAY_COST = 4;

    /**
     * How many of the newest kept requests a replay must undo to run the server again from
     * registers it had before one it keeps at this receive site last changed: over the kept
     * client requests that began at the receive site {@code start} began at (its pc), the
     * deepest that began with another value in a register other than the system call's (a0..a7,
     * AArch64 x0..x8), plus one; 0 if none did.
     */
    private int registerDepth(long[] start) {
        trimHistory(server.cpu().tracker());
        if (loopRegs == null) {
            dev.rewind.hw.cpu.Arch arch = server.cpu().arch();
            loopRegs = java.util.Arrays.stream(arch.corruptibleRegisters())
                    .filter(r -> (r < arch.result(0) || r > arch.result(7)) && r != arch.syscallNumber())
                    .toArray();
        }
        boolean[] open = new boolean[33];
        for (int r : loopRegs) {
            open[r] = true;
        }
        int left = loopRegs.length;
        int depth = 0;
        int back = 0;
        java.util.Iterator<Request> it = history.descendingIterator();
        while (it.hasNext() && left > 0) {
            Request r = it.next();
            back++;
            if (r.cont || r.wake || r.regs[32] != start[32]) {
                continue;
            }
            for (int i = 0; i < 32; i++) {
                if (open[i] && r.regs[i] != start[i]) {
                    open[i] = false;
                    left--;
                    depth = back;
                }
            }
        }
        return depth;
    }

    /** The client's request is over (replied or aborted): no run of it is pending. */
    private void endVerification() {
        refusalRerun = false;
        verifyRun = 0;
        verifyAgreed = false;
        debuggerChangedRequest = false;
        rerunPending = false;
        if (verifySource != null) {
            spare.addLast(verifySource);
            verifySource = null;
        }
    }

    /**
     * The server's WAIT_ANY ended with its notification or its timeout (the CPU still holds the
     * registers of the trap): what it does until it receives again is a transaction too, so a
     * fault while it handles a device's data or a timer (a network stack's received frames) is
     * undone like a fault in a request. A wait made inside a request is part of that request.
     */
    @Override
    public void woke(Endpoint ep, long a0, long a1) {
        if (server.inRequest()) {
            return;
        }
        keptAt = null;
        preCallMade = false;
        snapshotWithoutClient();
        checkInvariants();
        Request source = replay != null ? replay.nextWake() : null;
        replayingWake = source != null;
        current = null;
        // Its nested calls are recorded as a request's are (a network stack's RECVs of frames and
        // SENDs); a replayed wake's are answered from its first run's record, never sent again.
        runCalls.clear();
        pendingCall = null;
        inDoubt = false;
        callsAnswered = 0;
        callSource = source != null ? source.calls : null;
        callRerun = source != null;
        TaskSpec.TxipcLimits limits = server.spec().txipc();
        if (limits.replayDepth() > 0 || limits.verifyDual()) {
            // The wake is kept in the history like a request: its registers, its results (what
            // ended the wait) and its recorded syscalls (the clock it read), so that a replay
            // ends the WAIT_ANY with them again and runs it as it first ran. Before, every wake
            // cut the history: a server woken by its timer between requests could replay none.
            Request r = clientlessRecord(ep, "a wake on another endpoint");
            r.source = source;
            r.wake = true;
            r.wakeA0 = a0;
            r.wakeA1 = a1;
            current = r;
        } else {
            cutHistory("no history is kept");
        }
        ranOutside = false;
        wakeTx = true;
        served = true;
        codeChecked = false;
        server.cpu().tracker().begin();
        server.openRequest(System.nanoTime());
    }

    @Override
    public long[] replayedWake() {
        Request w = replay != null && !server.inRequest() ? replay.nextWake() : null;
        return w == null ? null : new long[] {w.wakeA0, w.wakeA1};
    }

    /** The server receives again after a wake: the wake's transaction commits, and is kept in the history. */
    private void commitWake() {
        wakeTx = false;
        boolean again = replayingWake;
        if (!again) { // (a wake of the history replayed is not the one whose runs are counted)
            wakeAborts = 0;
            wakeGiven.clear();
        }
        replayingWake = false;
        WriteTracker tracker = commitWrites();
        codeIntactAtCommit = server.spec().txipc().codeCheck(); // (found intact just before: syscall)
        Request r = current;
        current = null;
        boolean fewerCalls = callRerun && callSource != null && callsAnswered < callSource.count;
        Calls calls = runCalls;
        endCalls();
        if (r != null && r.source != null && r.answered < r.source.recorded) {
            diverged(r, -1);
        }
        if (r != null && fewerCalls && r.replayable) {
            k.recoveryNote(
                    log,
                    "txipc: task {}: a replayed wake made fewer nested calls than its first run: the replay diverged",
                    server);
            r.replayable = false;
        }
        if (r == null || !r.replayable || tracker.history() == 0) {
            runCalls.clear();
            if (r != null) {
                r.source = null;
                spare.addLast(r);
            }
            cutHistory(
                    r == null || tracker.history() == 0
                            ? "no history is kept"
                            : "the work after a wake cannot be run again (a call, CAP_REFRESH, too many recorded"
                                    + " syscalls, or a replay that diverged)");
            if (again && replay != null) {
                replay.wakeDone(null);
            }
            return;
        }
        r.source = null;
        runCalls = r.calls; // (the record keeps this run's calls; its old list is reused)
        r.calls = calls;
        runCalls.clear();
        r.callBytes = calls.bytes();
        keep(r, tracker);
        if (again && replay != null) {
            replay.wakeDone(r);
        }
    }

    /** Close the open transaction and keep its writes (checksummed for the scrub); returns the tracker. */
    private WriteTracker commitWrites() {
        if (replay == null) {
            // (an exit retried ran no more: the next is retried too; not in the replay an exit's
            // second try began, which runs that work again: an exit there is the server's own)
            exitWithoutClientRetries = 0;
        }
        server.closeRequest();
        keepTaken();
        WriteTracker tracker = server.cpu().tracker();
        long[] logged = server.spec().txipc().scrub() ? tracker.loggedPages().clone() : null;
        tracker.commit();
        if (logged != null) {
            scrubCommitted(tracker, logged);
        }
        return tracker;
    }

    /** The server replied {@code reply} (a1..a6 in reply[1..6]) to {@code client}: its transaction commits. */
    @Override
    public void committed(Task client, long[] reply) {
        refusedCallRun = false;
        refusedCallAbort = false;
        if (!server.inRequest()) {
            return;
        }
        WriteTracker tracker = commitWrites();
        codeIntactAtCommit = codeChecked;
        Request r = current;
        current = null;
        if (client == rerunClient) {
            dropRerun(false); // (what the first run took from notifications, the run that committed read)
        }
        boolean fewerCalls = callRerun && callSource != null && callsAnswered < callSource.count;
        Calls calls = runCalls;
        endCalls();
        boolean agent = client.agentFor() instanceof Replay;
        if (!agent) {
            abortsSinceCommit = 0;
            replaysSinceCommit = 0;
            sinceRefusalReplay++;
            if (resentKept && client.sendBadge() == resentBadge) {
                resentKept = false; // (that client's request went through, or it moved on)
            }
        }
        if (r != null && r.source != null && r.source == verifySource) {
            r.source = null; // (its runs were compared before the reply)
        }
        endVerification();
        if (r == null) {
            return;
        }
        if (r.source != null && r.answered < r.source.recorded) {
            diverged(r, -1);
        }
        if (fewerCalls && agent && r.replayable) {
            k.recoveryNote(
                    log,
                    "txipc: task {}: replayed request (label 0x{}) made fewer nested calls than its first run: the replay"
                            + " diverged",
                    server,
                    Long.toHexString(r.msg[0]));
            r.replayable = false;
        }
        r.source = null;
        if (!r.replayable || tracker.history() == 0) {
            if (agent && r.divergedAfterReply) {
                // (the reply was made as the first run made it: compare it; only the history is cut)
                System.arraycopy(reply, 1, r.reply, 0, 6);
                int len = (int) Math.min(Math.max(reply[6], 0), Abi.IPC_BUF_SIZE);
                r.replyHash = len > 0 && replyBytes(scratch, len) ? hash(scratch, len) : 0;
                ((Replay) client.agentFor()).compare(r);
            } else if (agent) {
                ((Replay) client.agentFor()).compare(null);
            }
            spare.addLast(r);
            cutHistory(
                    tracker.history() == 0
                            ? "no history is kept (replay_depth = 0, or a transaction overflowed the log)"
                            : "request label 0x" + Long.toHexString(r.msg[0])
                                    + " cannot be run again (CAP_REFRESH, too many recorded syscalls or nested"
                                    + " calls, or a replay that diverged)");
            return;
        }
        System.arraycopy(reply, 1, r.reply, 0, 6);
        int len = (int) Math.min(Math.max(reply[6], 0), Abi.IPC_BUF_SIZE);
        r.replyHash = len > 0 && replyBytes(scratch, len) ? hash(scratch, len) : 0;
        runCalls = r.calls; // (the record keeps this run's calls; its old list is reused)
        r.calls = calls;
        runCalls.clear();
        r.callBytes = calls.bytes();
        keep(r, tracker);
        if (agent) {
            ((Replay) client.agentFor()).compare(r);
        }
    }

    private long hash(byte[] b, int len) {
        crc.reset();
        crc.update(b, 0, len);
        return crc.getValue();
    }

    /**
     * The server faulted: undo its open transaction, or, if the fault cannot be handled by an
     * abort (the reason is logged), restart it.
     */
    @Override
    public RecoveryOutcome onFault(Fault fault) {
        if (fault == scrubFault) {
            scrubFault = null;
            return scrubRecover(fault);
        }
        cannotUndo = "not inside a request that can be undone";
        RecoveryOutcome rolledBack = abort(fault);
        return rolledBack != null ? rolledBack : k.restartOrStop(server, cannotUndo);
    }

    /**
     * A server blocked waiting inside a request while nothing else can run will never answer:
     * the kernel withdraws its wait and faults it, and the request is rolled back like any
     * other (the wait was made at a trap, from which the snapshot is restored).
     */
    @Override
    public boolean breaksDeadlocks() {
        return true;
    }

    /** Why the last {@link #abort} could not undo its request (the restart's reason). */
    private String cannotUndo;

    /** Undo the open transaction after {@code fault}; null if it cannot be ({@link #cannotUndo} says why). */
    private RecoveryOutcome.RolledBack abort(Fault fault) {
        if (!server.inRequest()) {
            return null;
        }
        held = null; // (a fault after a plain REPLY: the request did not commit, its client still waits)
        WriteTracker tracker = server.cpu().tracker();
        endVerification();
        if (replayingHistory()) {
            k.recoveryNote(log, "txipc: task {}: a replayed request faulted; its state cannot be rebuilt", server);
            cannotUndo = "a replayed request faulted: the history cannot rebuild the state";
            server.closeRequest();
            tracker.commit();
            cutHistory();
            return null;
        }
        // A transaction larger than the log wrote pages it could not log; with the committed
        // copy valid it is undone all the same: the logged pages from the log, the others (every
        // page that differs from the copy) from the copy of the last commit.
        boolean overflowed = tracker.overflowed();
        if (overflowed && !tracker.copyValid()) {
            k.recoveryNote(
                    log,
                    "txipc: task {}: the request wrote more than {} pages; it cannot be undone",
                    server,
                    k.config.txLogPages());
            cannotUndo = "the request wrote more than " + k.config.txLogPages() + " pages: it cannot be undone";
            server.closeRequest();
            tracker.commit();
            return null;
        }
        if (contTx && (contAborts + 1 >= WAKE_RUNS || server.state() != TaskState.RUNNING)) {
            // (the same work from the same state faulted each time: no rollback can mend it)
            contTx = false;
            contAborts = 0;
            cannotUndo = server.state() != TaskState.RUNNING
                    ? "its work after a call faulted while it waited"
                    : "its work after a call faulted " + WAKE_RUNS + " times in a row";
            server.closeRequest();
            tracker.commit();
            return null;
        }
        TaskSpec.TxipcLimits limits = server.spec().txipc();
        long now = System.nanoTime();
        long window = limits.abortWindowMs() * 1_000_000L;
        while (!recentAborts.isEmpty() && now - recentAborts.peekFirst() > window) {
            recentAborts.pollFirst();
        }
        // A run again of a request past its nested call is the kernel's own retry of one client
        // request, not another fault of the server's: it counts once toward escalation (a restart
        // loses the server's state, and cannot mend a callee's answers the runs are given).
        boolean rerunOfOne = rerunClient != null && server.replyOwed() == rerunClient;
        // (nor does a run again after a call refused with ECAP: it reached nobody, and a server
        // whose own calls are refused so would otherwise be restarted for them, checkRefusedCall)
        if (!rerunOfOne && !refusedCallAbort) {
            recentAborts.addLast(now);
        }
        refusedCallAbort = false;
        if (recentAborts.size() >= limits.maxAborts()) {
            k.recoveryNote(
                    log,
                    "txipc: task {} aborted {} requests within {} ms: escalating to a restart",
                    server,
                    recentAborts.size(),
                    limits.abortWindowMs());
            cannotUndo = String.format(
                    "%d requests aborted within %d ms (max_aborts): escalated",
                    recentAborts.size(), limits.abortWindowMs());
            recentAborts.clear();
            server.closeRequest();
            tracker.commit();
            return null;
        }

        boolean codeTouched = readOnlyLogged(tracker.loggedPages());
        healedPages = 0;
        int pages = tracker.rollback();
        if (overflowed) {
            int beyond = tracker.healFromCopy(healed);
            k.recoveryNote(
                    log,
                    "txipc: task {}: the request wrote more than {} pages (the log's size): {} logged pages put back"
                            + " from the log, {} more from the copy of the last commit",
                    server,
                    k.config.txLogPages(),
                    pages,
                    Math.max(beyond, 0));
            if (beyond > 0) {
                copyHeals++;
                copyHealedPages += beyond;
                pages += beyond;
            }
        } else {
            healFromCopy(tracker);
        }
        long nanos = System.nanoTime() - now;
        if (codeTouched) {
            // Pages the guest cannot write were changed behind Unicorn's back (by a tool such as
            // the fault injector) and are now restored: drop translations of the changed code.
            server.cpu().dropCodeTranslations();
        }
        boolean codeRepaired = refreshReadOnly() > 0;
        server.cpu().writeAll(regs);
        writeExtended(ext);
        server.rollBackTo(regs[32], brk, caps); // (closes the request, drops pending results)
        Request faulted = current;
        current = null;
        aborts++;
        // Was the state this request started from already corrupt? Corrupted code may have run
        // in requests that committed; a second abort in a row suggests a fault that did not
        // trap where it struck. Either way, undo the kept history and run it again.
        // (Code found intact when the last request committed cannot have misled the requests
        // before it: then repaired code ran in this request only.)
        boolean suspect = (codeRepaired && !codeIntactAtCommit) || abortsSinceCommit > 0;
        abortsSinceCommit++;
        // A server shared by several clients: corruption that only one client's requests read
        // (its own entry) makes that client's request abort each time it is sent, while the
        // other clients' requests commit in between, so no two aborts come in a row. The same
        // request (client and message) aborting again is suspect as well, and its replays go
        // deeper each time as if nothing had committed since its first abort.
        if (!wakeTx && !contTx && !replayingHistory()) {
            boolean resent = resentKept && resentBadge == badge && java.util.Arrays.equals(resentMsg, msg);
            if (resent && !suspect) {
                suspect = true;
                resentAborts++;
                replaysSinceCommit = Math.max(replaysSinceCommit, resentReplays);
                lastReplayDepth = Math.max(lastReplayDepth, resentLastDepth);
                k.recoveryNote(
                        log,
                        "txipc: task {}: the request (label 0x{}, badge {}) aborted again after other requests committed:"
                                + " corruption from an earlier request is suspected",
                        server,
                        Long.toHexString(msg[0]),
                        badge);
            } else if (!resent) {
                resentKept = true;
                resentBadge = badge;
                System.arraycopy(msg, 0, resentMsg, 0, 6);
                resentReplays = 0;
                resentLastDepth = 0;
            }
        }

        if (contTx) {
            // No client: the server runs the work again from where it resumed (the registers and
            // memory it resumed with are back); what it polled goes back to be polled again.
            contTx = false;
            contAborts++;
            giveBackTaken();
            endCalls();
            runCalls.clear();
            redeliver = false;
            if (contAborts >= 2 && faulted != null && faulted.cont && !history.isEmpty()) {
                // The second fault in a row from the same resume: the state it resumed with (the
                // registers the request before it left, or memory it committed) may be corrupt.
                // The kept history is undone and run again, its call answered from the records,
                // and then this work once more, on the state the replay rebuilt.
                int depth = replayDepth(fault);
                Endpoint ep = history.peekLast().endpoint;
                int[] undone = depth > 0 ? replayHistory(now, depth, java.util.List.of(), faulted) : new int[] {0, 0};
                if (undone[0] > 0) {
                    current = null;
                    k.recoveryNote(
                            log,
                            "txipc: task {}: its work after a call faulted again: the {} newest kept record{} undone and"
                                    + " run again, then that work",
                            server,
                            undone[0],
                            undone[0] == 1 ? "" : "s");
                    k.ipc.receiveAgain(server, ep);
                    k.observer.taskRecovered(server, fault, RecoveryOutcome.RolledBack.RESUMED, pages, nanos);
                    return new RecoveryOutcome.RolledBack(
                            RecoveryOutcome.RolledBack.RESUMED, 0, pages, nanos, false, undone[0], undone[1]);
                }
            }
            if (faulted != null) {
                if (faulted.cont) {
                    // (run again from the same resume, after the same kept record: kept as well)
                    preCall.copyFrom(faulted.calls.list[0]);
                    preCallDone = true;
                    keptAt = history.peekLast();
                }
                spare.addLast(faulted);
            }
            k.wake(server); // (its next resume begins the continuation again: resuming)
            k.observer.taskRecovered(server, fault, RecoveryOutcome.RolledBack.RESUMED, pages, nanos);
            return RecoveryOutcome.RolledBack.resumed(pages, nanos);
        }
        if (wakeTx) {
            // No client: the server waits again as it did. A wake that faults again (its wait was
            // due: it runs again at once, Ipc.waitAnyAgain) is suspect as a request is, and
            // replays the history (wakes are kept in it too).
            // The bits that woke it (and those it polled) go back, so that it wakes again at once and
            // runs the work again, as a wake by its timeout does (its wait was due); before, they were
            // lost with the first abort (an outside scheduler missed a "quota refilled" for good
            // after a flipped bit its check found, seed 1214139). A wake that faults WAKE_RUNS times
            // in a row (again after the history replay of its second abort) brought an event it
            // cannot handle: its bits are dropped, and the server waits again as it did.
            if (++wakeAborts < WAKE_RUNS) {
                for (int i = 0; i < takenCount; i++) {
                    wakeGiven.merge(takenFrom[i], takenBits[i], (a, b) -> a | b);
                }
                giveBackTaken();
            } else {
                wakeAborts = 0;
                dropTaken();
                k.recoveryNote(
                        log,
                        "txipc: task {}: its work after a wake faulted {} times in a row: what woke it is dropped",
                        server,
                        WAKE_RUNS);
            }
            if (faulted != null) {
                spare.addLast(faulted);
            }
            endCalls(); // (its calls were made for real: a frame it took from its driver is lost)
            runCalls.clear();
            wakeTx = false;
            server.endServing();
            redeliver = false;
            int wakeDepth = suspect && !history.isEmpty() ? replayDepth(fault) : 0;
            if (suspect && history.isEmpty()) {
                k.recoveryNote(
                        log,
                        "txipc: task {}: its work after a wake faulted again: corruption from an earlier request is"
                                + " suspected, but nothing committed is kept to replay ({})",
                        server,
                        historyCut != null ? "the history was cut: " + historyCut : "none has committed yet");
            }
            if (wakeDepth > 0) {
                replayHistory(now, wakeDepth);
            }
            k.ipc.waitAnyAgain(server);
            k.observer.taskRecovered(server, fault, RecoveryOutcome.RolledBack.WAKE, pages, nanos);
            return RecoveryOutcome.RolledBack.wake(pages, nanos);
        }
        // (replayHistory delivers the first replayed request, which overwrites badge and label)
        long faultedBadge = badge;
        long faultedLabel = msg[0];
        Task client = server.replyOwed();
        server.endServing();
        boolean again = redeliver;
        redeliver = false;
        if (!again) {
            refusedCallRun = false;
        }
        int asked = NO_CHECK;
        int depth = suspect && !history.isEmpty() ? replayDepth(fault) : 0;
        if (depth == 0 && replaysSinceCommit == 0) {
            depth = healedDepth(server.cpu().tracker());
            if (depth > 0) {
                k.recoveryNote(
                        log,
                        "txipc: task {}: pages changed outside any request were put back; the {} requests committed"
                                + " since one last changed them may have read the change: replayed",
                        server,
                        depth);
            }
        }
        healedPages = 0;
        if (suspect && history.isEmpty()) {
            k.recoveryNote(
                    log,
                    "txipc: task {}: faulted again: corruption from an earlier request is suspected, but no committed"
                            + " request is kept to replay ({})",
                    server,
                    historyCut != null ? "the history was cut: " + historyCut : "none has committed yet");
        }
        if (client != null && server.isServing(client)) {
            client.callEnded();
            // A nested call of this request (of its first run, for a run again) reached its
            // server, which may have committed its part: undone here alone, the request would
            // be half done, and ERECOVERED would say it had no effect. So it is run again, its
            // nested calls answered from the first run's record; if that cannot be, or fails
            // again, its client is told the outcome is in doubt.
            boolean reached = client == rerunClient || pendingCall != null || runCalls.reached(0);
            if (reached) {
                // (a run again from the same state as the last would fault as it did: after the
                // first, only a replay of the history, which changes that state, earns another)
                again = !inDoubt
                        && pendingCall == null
                        && !runCalls.overflowed
                        && (client != rerunClient
                                ? parked == null // (one client's record at a time)
                                : reruns < MAX_RERUNS && depth > 0);
                if (again) {
                    if (client != rerunClient) {
                        Calls first = runCalls;
                        runCalls = rerunCalls;
                        rerunCalls = first;
                        rerunClient = client;
                        reruns = 0;
                        if (faulted != null) { // (its recorded syscalls answer the runs again)
                            rerunRecord = faulted;
                            faulted = null;
                            keepTakenForRerun();
                            keepSent();
                        }
                    }
                    reruns++;
                    nestedReruns++;
                    k.recoveryNote(
                            log,
                            "txipc: task {}: the request (label 0x{}, badge {}) faulted after a nested call reached its"
                                    + " server: run again ({} of {}), its nested calls answered as before",
                            server,
                            Long.toHexString(msg[0]),
                            badge,
                            reruns,
                            MAX_RERUNS);
                } else if (client == rerunClient
                        && !inDoubt
                        && pendingCall == null
                        && !rerunCalls.overflowed
                        && (asked = askCallee(client)) == AMENDED) {
                    again = true; // (once: calleeAsked)
                    calleeCorrections++;
                    k.recoveryNote(
                            log,
                            "txipc: task {}: the request (label 0x{}, badge {}) runs again with the answers its called"
                                    + " server's replay corrected",
                            server,
                            Long.toHexString(msg[0]),
                            badge);
                } else if (asked == CHECKING) {
                    k.recoveryNote(
                            log,
                            "txipc: task {}: the request (label 0x{}, badge {}) faulted in every run again on the answers"
                                    + " of its nested calls: their server checks them by replaying its history, the"
                                    + " request waits",
                            server,
                            Long.toHexString(msg[0]),
                            badge);
                } else {
                    inDoubtAnswers++;
                    k.recoveryNote(
                            log,
                            "txipc: task {}: the request (label 0x{}, badge {}) faulted after a nested call reached its"
                                    + " server{}: answered EINDOUBT (its own changes undone, the called server's stay)",
                            server,
                            Long.toHexString(msg[0]),
                            badge,
                            inDoubt
                                    ? ", and its run again went another way"
                                    : pendingCall != null
                                            ? ", before the call was answered"
                                            : client == rerunClient ? ", in every run again" : "");
                    dropRerun(true);
                }
            }
            if (again) {
                // The client never sees it: its request (still in its message and IPC buffer)
                // goes back to the head of the queue and is handled again from the snapshot.
                client.queueOn(endpoint);
                endpoint.senders.addFirst(client);
            } else if (client == parked) {
                kept.noSecondChance(); // (answered, or sent again, when the check ends)
            } else {
                kept.noSecondChance();
                client.setResult(reached ? Abi.EINDOUBT : Abi.ERECOVERED);
                k.wake(client);
            }
        }
        endCalls();
        runCalls.clear();
        giveBackTaken(); // (what this run took from notifications, unless its runs again read it from the record)
        if (faulted != null) {
            spare.addLast(faulted);
        }
        int[] undone = {0, 0};
        if (depth > 0 && !history.isEmpty()) {
            undone = replayHistory(now, depth);
        }
        if (resentKept && resentBadge == faultedBadge) {
            resentReplays = replaysSinceCommit;
            resentLastDepth = lastReplayDepth;
        }
        k.ipc.receiveAgain(server, endpoint);

        k.observer.taskRecovered(server, fault, faultedBadge, pages, nanos);
        return new RecoveryOutcome.RolledBack(faultedBadge, faultedLabel, pages, nanos, again, undone[0], undone[1]);
    }

    /**
     * After a rollback, memory should be as the last commit left it: put back each page that
     * differs from the committed copy ({@code keep_copy}). Such a change was made outside any
     * request (a bit flipped in memory between requests, or during this one in a place it had
     * not written), so no undo log holds it; in a page no kept request wrote, no replay of the
     * history could undo it either.
     */
    private void healFromCopy(WriteTracker tracker) {
        int n = tracker.healFromCopy(healed);
        healedPages = Math.max(n, 0);
        if (n <= 0) {
            return;
        }
        copyHeals++;
        copyHealedPages += n;
        StringBuilder where = new StringBuilder();
        for (int i = 0; i < Math.min(n, healed.length); i++) {
            where.append(i == 0 ? "0x" : ", 0x").append(Long.toHexString(healed[i]));
        }
        k.recoveryNote(
                log,
                "txipc: task {}: {} page{} ({}{}) differed from the copy of the last commit: changed between"
                        + " requests, put back",
                server,
                n,
                n == 1 ? "" : "s",
                where,
                n > healed.length ? ", ..." : "");
    }

    /**
     * Notification bits the open request's WAIT / POLL / WAIT_ANY took (a notification and its
     * bits, {@link #takenCount} of them): an abort gives them back, as it undoes the request's
     * other effects, so the request run again sees them (a poll inside a request that faulted
     * would otherwise lose the events it read). In a wake's transaction too, the bits that woke the
     * server first among them: they go back with its first {@link #WAKE_RUNS} - 1 aborts in a row,
     * so that the wake runs again (docs/RECOVERY.md, "Work after a wake").
     */
    private Notification[] takenFrom = new Notification[4];

    private long[] takenBits = new long[4];
    private int takenCount;

    @Override
    public void consumed(Notification n, long bits) {
        if (!server.inRequest() || bits == 0) {
            return;
        }
        if (takenCount == takenFrom.length) {
            takenFrom = java.util.Arrays.copyOf(takenFrom, 2 * takenCount);
            takenBits = java.util.Arrays.copyOf(takenBits, 2 * takenCount);
        }
        takenFrom[takenCount] = n;
        takenBits[takenCount++] = bits;
    }

    /** Give the aborted request's notification bits back (newest first; they are ORed in). */
    private void giveBackTaken() {
        for (int i = takenCount - 1; i >= 0; i--) {
            takenFrom[i].bits |= takenBits[i];
            takenFrom[i] = null;
        }
        takenCount = 0;
        withdrawSent();
    }

    /**
     * How many times a wake's work is run in a row, its bits given back after each abort but the
     * last: the first run, one after its rollback, one after the history replay of its second.
     */
    static final int WAKE_RUNS = 3;

    /**
     * Wakes aborted since a wake last committed (a request that commits in between does not end
     * the count: its bits, given back, would wake the server again and again between requests).
     */
    private int wakeAborts;

    /**
     * The bits the aborted wakes since the last committed one gave back, per notification: those
     * that may have made them fault. Bits signalled since (a peer's next event, ORed into the
     * same word) are not among them.
     */
    private final java.util.Map<Notification, Long> wakeGiven = new java.util.IdentityHashMap<>();

    /**
     * The aborted wake's notification bits that its earlier runs gave back are dropped (the event
     * it cannot handle); bits signalled since go back, and its signals are withdrawn as any abort's.
     */
    private void dropTaken() {
        for (int i = 0; i < takenCount; i++) {
            long fresh = takenBits[i] & ~wakeGiven.getOrDefault(takenFrom[i], 0L);
            takenFrom[i].bits |= fresh;
            takenFrom[i] = null;
        }
        takenCount = 0;
        wakeGiven.clear();
        withdrawSent();
    }

    /** The open request committed: what it took from notifications is its own. */
    private void keepTaken() {
        for (int i = 0; i < takenCount; i++) {
            takenFrom[i] = null;
        }
        takenCount = 0;
        keepSent();
    }

    /**
     * Notification bits the open request's (or wake's) NOTIFYs set that were not pending before
     * ({@link #sentCount} of them), with the notification's signal count just after each: an
     * abort withdraws those still pending that no signal followed, as it undoes the request's
     * other effects. Without it a request that signalled a peer and then faulted left its signal
     * behind: the peer acted on an event of a request that, its client was told (ERECOVERED), had
     * no effect (an outside quota keeper's "quota low" reached its scheduler from a rolled-back
     * CHARGE, and the scheduler told a client it was low: seeds 1211084, 1211258 of
     * docs/RECOVERY.md). A signal its owner has already taken (it was waiting) is out of reach,
     * as before.
     */
    private Notification[] sentTo = new Notification[4];

    private long[] sentBits = new long[4];
    private long[] sentStamp = new long[4];
    /** The verification run ({@link #verifyRun}) that made each signal. */
    private int[] sentRun = new int[4];

    private int sentCount;

    @Override
    public void signalled(Notification n, long fresh) {
        if (!server.inRequest() || fresh == 0) {
            return;
        }
        if (sentCount == sentTo.length) {
            sentTo = java.util.Arrays.copyOf(sentTo, 2 * sentCount);
            sentBits = java.util.Arrays.copyOf(sentBits, 2 * sentCount);
            sentStamp = java.util.Arrays.copyOf(sentStamp, 2 * sentCount);
            sentRun = java.util.Arrays.copyOf(sentRun, 2 * sentCount);
        }
        sentRun[sentCount] = verifyRun;
        sentTo[sentCount] = n;
        sentBits[sentCount] = fresh;
        sentStamp[sentCount++] = n.signals;
    }

    /**
     * Withdraw the aborted request's signals, newest first: each one's fresh bits, if they are all
     * still pending and no other signal came to that notification after it (then the bits may be
     * another's too, and stay).
     */
    private void withdrawSent() {
        for (int i = sentCount - 1; i >= 0; i--) {
            Notification n = sentTo[i];
            if (n.signals == sentStamp[i] && (n.bits & sentBits[i]) == sentBits[i]) {
                n.bits &= ~sentBits[i];
                n.signals--; // (so that the request's own earlier signal to it is the last again)
            }
            sentTo[i] = null;
        }
        sentCount = 0;
    }

    /**
     * Verification committed a later run that disagreed with the first: withdraw the signals the
     * first run made (its NOTIFYs ran for real; later runs' were answered from its record) that
     * the committed run did not make, if still pending and untouched since. Before, they stayed:
     * a skipped instruction in an outside quota keeper's first run fell into its "low" branch and
     * signalled; the third run agreed with the clean second and committed, but the scheduler took
     * the signal and told a client it was low (seed 1217843, verify = "dual").
     */
    private void withdrawLosingRun() {
        java.util.Map<Notification, Long> made = new java.util.IdentityHashMap<>();
        Request r = current;
        for (int i = 0; r != null && i < r.recorded; i++) {
            int j = i * REC;
            if (r.record[j] == Abi.SYS_NOTIFY) {
                Capability c = server.cap(r.record[j + 2]);
                if (c != null && c.kind() == Capability.Kind.NOTIFY_SIGNAL) {
                    made.merge(c.notification(), r.record[j + 3], (a, b) -> a | b);
                }
            }
        }
        int w = 0;
        for (int i = 0; i < sentCount; i++) {
            Notification n = sentTo[i];
            long lost = sentRun[i] == 0 ? sentBits[i] & ~made.getOrDefault(n, 0L) : 0;
            if (lost != 0 && n.signals == sentStamp[i] && (n.bits & lost) == lost) {
                n.bits &= ~lost;
            }
            if (lost != 0 && lost == sentBits[i]) {
                continue; // (none of its bits was the committed run's)
            }
            sentTo[w] = n;
            sentBits[w] = sentBits[i] & ~lost;
            sentStamp[w] = sentStamp[i];
            sentRun[w++] = sentRun[i];
        }
        for (int i = w; i < sentCount; i++) {
            sentTo[i] = null;
        }
        sentCount = w;
    }

    /** The open request committed, or is run again from its record (its NOTIFYs answered from it): its signals stay. */
    private void keepSent() {
        for (int i = 0; i < sentCount; i++) {
            sentTo[i] = null;
        }
        sentCount = 0;
    }

    /** Pages the last heal put back (the first few). */
    private final long[] healed = new long[4];

    /** Pages the last {@link #healFromCopy} put back (the first named in {@link #healed}). */
    private int healedPages;

    /**
     * After an abort that put back pages from the committed copy (changed outside any request: a
     * bit flipped in memory), how many of the newest kept requests may have read the change and
     * carried it on: the newest kept one that changed such a page and those committed since (the
     * change came after the last request that logged the page, or that request's copy check,
     * before its reply and again before a held reply's release, would have found it), all kept
     * ones if none did. A request that copied the changed bytes
     * elsewhere (a compaction moving a buffer) committed them there as its own writes, which
     * putting the page back does not mend (an outside document store, seed 1520729: a flip in a
     * document moved to a fresh buffer 45 requests before a request wrote the old page). 0 if
     * nothing was put back.
     */
    private int healedDepth(WriteTracker tracker) {
        if (healedPages == 0 || history.isEmpty()) {
            return 0;
        }
        trimHistory(tracker);
        int kept = Math.min(history.size(), tracker.history());
        if (healedPages > healed.length) {
            return kept;
        }
        int depth = 0;
        for (int i = 0; i < healedPages; i++) {
            int back = 0;
            while (back < kept && !contains(tracker.historyPages(back), healed[i])) {
                back++;
            }
            // (and that one too: a change it took into the copy where it rewrote the words cannot
            // be told from its own stores, seed 1523617)
            depth = Math.max(depth, Math.min(back + 1, kept));
        }
        return depth;
    }

    private static boolean contains(long[] pages, long page) {
        for (long p : pages) {
            if (p == page) {
                return true;
            }
        }
        return false;
    }
    /** Aborts after which the committed copy put pages back, and the pages, for tests. */
    long copyHeals;

    long copyHealedPages;

    /** True if one of {@code pages} is one the guest cannot write (a tool changed code or read-only data). */
    private boolean readOnlyLogged(long[] pages) {
        for (long page : pages) {
            dev.rewind.hw.mem.Region reg = server.cpu().memory().regionAt(page);
            if (reg != null && (reg.perms() & dev.rewind.hw.mem.Perm.WRITE) == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * How many of the newest kept requests a replay after {@code fault} undoes (0: none). The
     * first replay since a client's request last committed reaches the oldest request that
     * evidence implicates ({@link ReplayEvidence}: who wrote the pointer the faulting access
     * used), and at least the newest {@link #FALLBACK_DEPTH}; if the fault comes back after it,
     * a second one undoes everything kept, when that is more. No third.
     */
    private int replayDepth(Fault fault) {
        WriteTracker tracker = server.cpu().tracker();
        trimHistory(tracker);
        int kept = history.size();
        if (replaysSinceCommit >= 2) {
            return 0;
        }
        if (replaysSinceCommit == 1) {
            return kept > lastReplayDepth ? kept : 0;
        }
        int depth = Math.min(kept, FALLBACK_DEPTH);
        ReplayEvidence.Result e = ReplayEvidence.find(server.cpu().memory(), tracker, fault, kept);
        if (e.depth() > 0) {
            k.recoveryNote(
                    log,
                    "txipc: task {}: evidence for the replay: {} word{} near the faulting address 0x{};"
                            + " the deepest, at 0x{} (0x{}), {}",
                    server,
                    e.words(),
                    e.words() == 1 ? "" : "s",
                    Long.toHexString(fault.address()),
                    Long.toHexString(e.word()),
                    Long.toHexString(e.value()),
                    e.depth() >= kept
                            ? "is older than the " + kept + " kept requests"
                            : "was written by the committed request " + e.depth() + " back");
            depth = Math.max(depth, e.depth());
        }
        return depth;
    }

    /**
     * Undo the newest {@code depth} kept committed requests as well (the server is then as it
     * was when it waited for the oldest of them) and queue them, in order, ahead of every
     * caller, to be run again. A fault that struck one of them without trapping does not strike
     * again, so the state they rebuild is the one a fault-free server would have: the corruption
     * is gone while every committed change is made again. Returns {requests, pages} undone.
     */
    private int[] replayHistory(long started, int depth) {
        return replayHistory(started, depth, java.util.List.of());
    }

    /** As above; the replay also checks the answers {@code checks} name. */
    private int[] replayHistory(long started, int depth, java.util.List<AnswerCheck> checks) {
        return replayHistory(started, depth, checks, null);
    }

    /** The record {@code back} places from the newest kept (0: the newest). */
    private Request kept(int back) {
        java.util.Iterator<Request> it = history.descendingIterator();
        for (int i = 0; i < back; i++) {
            it.next();
        }
        return it.next();
    }

    /**
     * As above; {@code tail}, a continuation that faulted twice in a row, is run once more after
     * the kept records (its call answered from its record). A replay never starts at a
     * continuation (nothing can make the call it follows): the depth grows to take the record
     * before it, or, at the history's oldest, shrinks past it; {0, 0} if none is left.
     */
    private int[] replayHistory(long started, int depth, java.util.List<AnswerCheck> checks, Request tail) {
        int n = Math.min(depth, history.size());
        while (n > 0 && n < history.size() && kept(n - 1).cont) {
            n++;
        }
        while (n > 0 && kept(n - 1).cont) {
            n--;
        }
        if (n == 0) {
            return new int[] {0, 0};
        }
        int pages = server.cpu().tracker().undoHistory(n);
        refreshReadOnly(); // (a kept transaction may have logged a code page a tool wrote)
        ArrayDeque<Request> undone = new ArrayDeque<>(n);
        for (int i = 0; i < n; i++) {
            undone.addFirst(takeNewest()); // each comes back as it commits again
        }
        Request first = undone.peekFirst();
        server.cpu().writeAll(first.regs);
        writeExtended(first.ext);
        server.rollBackTo(first.regs[32], first.brk, first.caps.clone());
        // The receive it is put back into is that record's: whether it asked for its request's sum
        // is the kernel's state of that receive, not of the last one (whose number register a fault
        // in the work after a plain REPLY may have spoiled: a skipped movk left RECV without
        // SYS_SUM_BACK, every delivery then failed the SDK's check, and so did each replayed one).
        server.receiveSumBack(first.sumBack);
        ArrayDeque<Request> originals = new ArrayDeque<>(undone);
        if (tail != null) {
            tail.tail = true;
            originals.addLast(tail);
        }
        Replay replay = new Replay(server, originals, pages, started, checks);
        this.replay = replay; // (its wakes end the server's WAIT_ANY in their turn: replayedWake)
        java.util.Iterator<Request> it = undone.descendingIterator();
        while (it.hasNext()) {
            Request r = it.next();
            if (r.wake || r.cont) {
                continue;
            }
            Task agent =
                    Task.agent(server, replay, r.msg, r.badge, java.util.Arrays.copyOf(r.payload, r.payloadLength));
            agent.queueOn(r.endpoint);
            r.endpoint.senders.addFirst(agent);
        }
        replaysSinceCommit++;
        lastReplayDepth = n;
        scrubStale = true; // (undone pages hold older contents until the replay rewrites them)
        return new int[] {n, pages};
    }

    // ---- scrub = true -------------------------------------------------------------------

    /**
     * {@code scrub = true}: the server is about to take a request already queued. Every
     * {@link #SCRUB_BUSY_EVERY}th such receive scrubs as a wait with none queued does
     * ({@link #idle}), so that a server its clients keep busy is scrubbed too.
     */
    @Override
    public Fault busy(Endpoint ep) {
        if (!server.spec().txipc().scrub() || server.inRequest() || ++busyReceives < SCRUB_BUSY_EVERY) {
            return null;
        }
        return idle(ep);
    }

    /**
     * {@code scrub = true}: the server is about to wait for a request with none queued. Check
     * its code (every executable segment, against the image) and the next {@link #SCRUB_PAGES}
     * data pages (against the checksums their last commit recorded). Nothing runs in the
     * server between its commit and its next request, so a page that changed was corrupted
     * between requests: returns a fault for {@link #onFault} ({@link #scrubRecover}).
     */
    @Override
    public Fault idle(Endpoint ep) {
        if (!server.spec().txipc().scrub() || server.inRequest()) {
            return null;
        }
        busyReceives = 0;
        long t0 = System.nanoTime();
        try {
            codeImage();
            if (scrubStale) {
                rebaseline();
                scrubStale = false;
                return null;
            }
            scrubs++;
            if (scrubPending != -1) {
                long p = scrubPending;
                scrubPending = -1;
                scrubSkip = 1;
                return scrubFault(ep, p, "page 0x" + Long.toHexString(p) + " changed between requests (scrub)");
            }
            scrubSkip = 0;
            long changed = code.comparedPage();
            if (changed != -1) {
                return scrubFault(
                        ep, changed, "code page 0x" + Long.toHexString(changed) + " differs from the image (scrub)");
            }
            commitsSinceCodeCheck = 0;
            int n = Math.min(SCRUB_PAGES, scrubCount);
            for (int i = 0; i < n; i++) {
                if (scrubCursor >= scrubCount) {
                    scrubCursor = 0;
                }
                int slot = scrubCursor++;
                scrubbedPages++;
                if (pageHash(scrubPages[slot]) != scrubSums[slot]) {
                    long p = scrubPages[slot];
                    return scrubFault(ep, p, "page 0x" + Long.toHexString(p) + " changed between requests (scrub)");
                }
            }
            return null;
        } finally {
            scrubNanos += System.nanoTime() - t0;
        }
    }

    /**
     * The transaction that logged {@code logged} has just committed: record each page's checksum
     * as it leaves it. Where the history keeps its pre-images, first check each one against the
     * checksum recorded before: the page as the request found it must be the page as the last
     * commit (or baseline) left it. If not, it changed between requests, and the request may have
     * read the change: the next idle wait reports it ({@link #scrubPending}).
     */
    private void scrubCommitted(WriteTracker tracker, long[] logged) {
        long t0 = System.nanoTime();
        boolean check = !scrubStale && tracker.history() > 0;
        for (long p : logged) {
            if (!scrubbable(p)) {
                continue;
            }
            Integer slot = scrubIndex.get(p);
            if (check && slot != null && scrubPending == -1) {
                if (page == null) {
                    page = new byte[(int) dev.rewind.hw.mem.AddressSpace.PAGE];
                }
                if (tracker.historyRead(0, p, page, 0, page.length) && hash(page, page.length) != scrubSums[slot]) {
                    scrubPending = p;
                    pendingCopy = scrubCopies[slot] == null ? null : scrubCopies[slot].clone();
                }
            }
            recordPage(p);
        }
        commitsSinceCodeCheck++;
        scrubNanos += System.nanoTime() - t0;
    }

    private Fault scrubFault(Endpoint ep, long page, String detail) {
        scrubDetections++;
        scrubEndpoint = ep;
        long pc = server.pc();
        scrubFault = new Fault(FaultKind.CORRUPT_STATE, pc, page, server.image().describe(pc), detail);
        return scrubFault;
    }

    /**
     * Repair what {@link #idle} found, then let the server wait for its request. Changed code is
     * rewritten from the image; if requests committed since the code was last found intact,
     * they may have run it, and are undone and run again. A changed data page is rebuilt by
     * undoing the kept history back past the newest committed request that wrote it (its
     * pre-image there predates the change) and replaying those requests. A page no kept
     * request wrote (last written before the history, or only at start-up) is put back from the
     * copy its checksum was recorded with, after every kept request is undone (any of them may
     * have read the change), and they are replayed. Only without such a copy (the page was
     * unreadable when recorded) does the server restart.
     */
    private RecoveryOutcome scrubRecover(Fault fault) {
        long now = System.nanoTime();
        WriteTracker tracker = server.cpu().tracker();
        trimHistory(tracker);
        boolean code = fault.detail().startsWith("code");
        int depth;
        byte[] clean = null;
        if (code) {
            refreshReadOnly();
            depth = commitsSinceCodeCheck <= history.size() ? commitsSinceCodeCheck : history.size();
            commitsSinceCodeCheck = 0;
        } else {
            depth = 0;
            int kept = Math.min(history.size(), tracker.history());
            for (int back = scrubSkip; back < kept && depth == 0; back++) {
                for (long p : tracker.historyPages(back)) {
                    if (p == fault.address()) {
                        depth = back + 1;
                        break;
                    }
                }
            }
            if (depth == 0) {
                if (scrubSkip > 0) {
                    // Found by a commit: that request's pre-image is the changed page, and the
                    // copy from before it is the clean one (if the request is no longer kept,
                    // putting the copy back would lose what it wrote).
                    clean = kept > 0 ? pendingCopy : null;
                } else {
                    // Found while idle: the copy its checksum was recorded with, which no kept
                    // request has changed since.
                    Integer slot = scrubIndex.get(fault.address());
                    clean = slot == null ? null : scrubCopies[slot];
                }
                if (clean == null) {
                    return k.restartOrStop(
                            server,
                            "no kept request wrote page 0x" + Long.toHexString(fault.address())
                                    + " and no copy of it is kept: it cannot be rebuilt");
                }
                depth = kept;
            }
        }
        pendingCopy = null;
        int[] undone = {0, 0};
        Endpoint ep = scrubEndpoint;
        if (depth > 0) {
            Request newest = history.peekLast();
            if (newest != null) {
                ep = newest.endpoint;
            }
            k.recoveryNote(
                    log,
                    "txipc: task {}: {}: {}undoing the newest {} committed request{} to rebuild it",
                    server,
                    fault.detail(),
                    clean != null ? "no kept request wrote it: put back from its copy, " : "",
                    depth,
                    depth == 1 ? "" : "s");
            undone = replayHistory(now, depth);
        } else if (clean != null) {
            k.recoveryNote(log, "txipc: task {}: {}: put back from its copy", server, fault.detail());
        } else {
            k.recoveryNote(log, "txipc: task {}: {}: restored from the image", server, fault.detail());
        }
        if (clean != null) {
            // (after the undo, which left this page as it was: no kept request logged it; no
            // transaction is open, so the write is in no undo log)
            server.cpu().memory().writeUnlogged(fault.address(), clean, 0, clean.length);
            scrubStale = true;
        }
        k.ipc.receiveAgain(server, ep);
        long nanos = System.nanoTime() - now;
        k.observer.taskRecovered(server, fault, RecoveryOutcome.RolledBack.SCRUB, 0, nanos);
        return RecoveryOutcome.RolledBack.scrub(nanos, undone[0], undone[1]);
    }

    /** True for a page the scrub keeps a checksum of: writable, the task's own, not the IPC buffer. */
    private boolean scrubbable(long p) {
        if (p + dev.rewind.hw.mem.AddressSpace.PAGE > Abi.IPC_BUF_ADDR && p < Abi.IPC_BUF_ADDR + Abi.IPC_BUF_SIZE) {
            return false; // (the kernel writes each request into it before the request begins)
        }
        dev.rewind.hw.mem.Region reg = server.cpu().memory().regionAt(p);
        return reg != null && (reg.perms() & dev.rewind.hw.mem.Perm.WRITE) != 0;
    }

    /** Record page {@code p}'s checksum and contents as they are now. */
    private void recordPage(long p) {
        long sum = pageHash(p); // (reads the page into page)
        Integer slot = scrubIndex.get(p);
        if (slot == null) {
            if (scrubCount == scrubPages.length) {
                scrubPages = java.util.Arrays.copyOf(scrubPages, 2 * scrubCount);
                scrubSums = java.util.Arrays.copyOf(scrubSums, 2 * scrubCount);
                scrubCopies = java.util.Arrays.copyOf(scrubCopies, 2 * scrubCount);
            }
            slot = scrubCount++;
            scrubPages[slot] = p;
            scrubIndex.put(p, slot);
        }
        scrubSums[slot] = sum;
        if (sum == -1) {
            scrubCopies[slot] = null;
        } else if (scrubCopies[slot] == null) {
            scrubCopies[slot] = page.clone();
        } else {
            System.arraycopy(page, 0, scrubCopies[slot], 0, page.length);
        }
    }

    /** Record the checksum of every page the scrub covers as it is now (memory is taken as correct). */
    private void rebaseline() {
        long pageSize = dev.rewind.hw.mem.AddressSpace.PAGE;
        for (dev.rewind.hw.mem.Region reg : server.cpu().memory().regions()) {
            if ((reg.perms() & dev.rewind.hw.mem.Perm.WRITE) == 0) {
                continue;
            }
            for (long p = reg.vaddr(); p < reg.end(); p += pageSize) {
                if (scrubbable(p)) {
                    recordPage(p);
                }
            }
        }
        commitsSinceCodeCheck = 0;
    }
}
