package dev.rewind.kernel.image;

import java.nio.file.Path;
import java.util.List;

/**
 * One task of a {@link Manifest}, with defaults applied.
 *
 * @param name task name ({@code [a-z0-9_-]{1,32}})
 * @param image ELF path relative to the manifest's folder (never absolute, never containing "..")
 * @param priority 0 = highest .. 15 = lowest
 * @param stackBytes stack size, a multiple of 4 KiB in 4K..16M
 * @param heapBytes maximum heap, a multiple of 4 KiB in 0..256M
 * @param serves endpoints this task receives on
 * @param uses endpoints it may call and notifications it may signal
 * @param notifications notifications it owns (waits on)
 * @param recovery what happens when it faults
 * @param runawayMs CPU milliseconds without a syscall before it is faulted as runaway; 0 = off
 * @param txipc    limits of the txipc policy (defaults unless recovery = "txipc")
 * @param line 1-based line of the task's table in the manifest
 * @param devices  devices this task owns (drives): their registers are mapped into it
 * @param shadow   the driver class of its shadow (recovery = "shadow"), else null
 */
public record TaskSpec(
        String name,
        String image,
        int priority,
        long stackBytes,
        long heapBytes,
        List<String> serves,
        List<String> uses,
        List<String> notifications,
        RecoveryPolicy recovery,
        long runawayMs,
        TxipcLimits txipc,
        int line,
        List<String> devices,
        ShadowClass shadow) {

    /** A task that owns no devices. */
    public TaskSpec(
            String name,
            String image,
            int priority,
            long stackBytes,
            long heapBytes,
            List<String> serves,
            List<String> uses,
            List<String> notifications,
            RecoveryPolicy recovery,
            long runawayMs,
            TxipcLimits txipc,
            int line) {
        this(
                name,
                image,
                priority,
                stackBytes,
                heapBytes,
                serves,
                uses,
                notifications,
                recovery,
                runawayMs,
                txipc,
                line,
                List.of(),
                null);
    }

    /** This task with another recovery policy (a shadow class is kept only for shadow). */
    public TaskSpec withRecovery(RecoveryPolicy r) {
        return withRecovery(r, runawayMs, txipc);
    }

    /** As {@link #withRecovery(RecoveryPolicy)}, with its runaway limit and txipc limits replaced too. */
    public TaskSpec withRecovery(RecoveryPolicy r, long runaway, TxipcLimits limits) {
        return new TaskSpec(
                name,
                image,
                priority,
                stackBytes,
                heapBytes,
                serves,
                uses,
                notifications,
                r,
                runaway,
                limits,
                line,
                devices,
                r == RecoveryPolicy.SHADOW ? shadow : null);
    }

    /**
     * Limits for a server under recovery = "txipc".
     *
     * @param deadlineMs    CPU ms a server may spend on one request before it is aborted
     * @param maxAborts     aborts tolerated within the window before escalating to a restart
     * @param abortWindowMs the window, in ms
     * @param replayDepth   committed requests kept for replay (0: none): after an abort that
     *                      suggests committed state is corrupt, they are undone and run again
     * @param verifyDual    {@code verify = "dual"}: each client request is run twice from the same
     *                      pre-state and its reply and dirtied pages compared before the reply
     *                      leaves (a third run decides a mismatch)
     * @param scrub         {@code scrub = true}: pages committed requests wrote, and the code, are
     *                      checked against checksums while the server waits for a request
     * @param codeCheck     {@code code_check = true} (the default; txipc and shadow): the code is
     *                      compared with the image before each reply leaves
     * @param keepCopy      {@code keep_copy = true} (the default): a copy of the server's writable
     *                      memory as its last commit left it is kept, and after an abort every page
     *                      that differs from it (changed between requests) is put back
     * @param repeatableCalls {@code repeatable_calls = true}: the servers this one calls tolerate a
     *                      request made twice (a network driver's frames): a run again after a
     *                      fault past a nested call that goes another way makes its calls, where
     *                      by default its client gets EINDOUBT
     * @param verifyRefusals {@code verify = "refusals"} (the default), {@code "errors"} or {@code
     *                      "dual"}: a request the server refuses (EINVAL, EFAULT, ENOSYS, ETOOBIG,
     *                      ESTATE) is run again from the same pre-state before the refusal leaves,
     *                      and a third run decides a mismatch, as under dual (a refusal from a
     *                      flipped register or a skipped check is as wrong an answer as any
     *                      other); {@code "none"}: off
     * @param verifyErrors  {@code verify = "errors"}: as refusals, for every reply that is an error
     *                      (a negative label: ENOENT, a protocol's own errors too: a lookup that
     *                      missed because a load of its compare was skipped)
     * @param refusals      {@code refusals = [...]}: the server's own statuses that refuse a request
     *                      before it acts on it (a network stack's "no such socket"), run again as
     *                      the five above are; empty by default
     */
    public record TxipcLimits(
            long deadlineMs,
            int maxAborts,
            long abortWindowMs,
            int replayDepth,
            boolean verifyDual,
            boolean scrub,
            boolean codeCheck,
            boolean keepCopy,
            boolean repeatableCalls,
            boolean verifyRefusals,
            boolean verifyErrors,
            java.util.List<Long> refusals) {
        public static final int DEFAULT_REPLAY_DEPTH = 4096;
        /**
         * The values of {@code verify}: each request run twice, every error reply, only refusals
         * (the default), none.
         */
        public static final java.util.List<String> VERIFY_MODES =
                java.util.List.of("dual", "errors", "refusals", "none");

        public static final int MAX_REPLAY_DEPTH = 4096;
        public static final TxipcLimits DEFAULT = new TxipcLimits(1000, 10, 1000);
        public static final long MAX_DEADLINE_MS = 600_000;
        public static final int MAX_ABORTS = 100_000;
        public static final long MAX_WINDOW_MS = 3_600_000;

        /** The defaults with the given deadline and escalation limits (the manifest's first three keys). */
        public TxipcLimits(long deadlineMs, int maxAborts, long abortWindowMs) {
            this(
                    deadlineMs,
                    maxAborts,
                    abortWindowMs,
                    DEFAULT_REPLAY_DEPTH,
                    false,
                    false,
                    true,
                    true,
                    false,
                    true,
                    false,
                    java.util.List.of());
        }

        /** Most statuses in {@code refusals}. */
        public static final int MAX_REFUSALS = 32;

        /** These limits with verification {@code dual} on or off. */
        public TxipcLimits withVerifyDual(boolean dual) {
            return new TxipcLimits(
                    deadlineMs,
                    maxAborts,
                    abortWindowMs,
                    replayDepth,
                    dual,
                    scrub,
                    codeCheck,
                    keepCopy,
                    repeatableCalls,
                    verifyRefusals,
                    verifyErrors,
                    refusals);
        }

        /** These limits with scrubbing between requests on or off. */
        public TxipcLimits withScrub(boolean on) {
            return new TxipcLimits(
                    deadlineMs,
                    maxAborts,
                    abortWindowMs,
                    replayDepth,
                    verifyDual,
                    on,
                    codeCheck,
                    keepCopy,
                    repeatableCalls,
                    verifyRefusals,
                    verifyErrors,
                    refusals);
        }

        /** These limits with the code check before each reply on or off. */
        public TxipcLimits withCodeCheck(boolean on) {
            return new TxipcLimits(
                    deadlineMs,
                    maxAborts,
                    abortWindowMs,
                    replayDepth,
                    verifyDual,
                    scrub,
                    on,
                    keepCopy,
                    repeatableCalls,
                    verifyRefusals,
                    verifyErrors,
                    refusals);
        }

        /** These limits with the committed copy kept or not. */
        public TxipcLimits withKeepCopy(boolean on) {
            return new TxipcLimits(
                    deadlineMs,
                    maxAborts,
                    abortWindowMs,
                    replayDepth,
                    verifyDual,
                    scrub,
                    codeCheck,
                    on,
                    repeatableCalls,
                    verifyRefusals,
                    verifyErrors,
                    refusals);
        }
    }

    public static final int DEFAULT_PRIORITY = 8;
    public static final int MIN_PRIORITY_VALUE = 0;
    public static final int MAX_PRIORITY_VALUE = 15;
    public static final long DEFAULT_STACK = 64 * 1024;
    public static final long MIN_STACK = 4 * 1024;
    public static final long MAX_STACK = 16 * 1024 * 1024;
    public static final long DEFAULT_HEAP = 1024 * 1024;
    public static final long MAX_HEAP = 256 * 1024 * 1024;
    /**
     * The stack of a bare ELF booted without a manifest (a one-task system: the program has the
     * machine to itself): 8 MiB, a Linux process's default, so that ordinary C programs recurse as
     * deep as they do there. Untouched stack frames cost no host memory.
     */
    public static final long ELF_STACK = 8 * 1024 * 1024;
    /**
     * The heap limit of a bare ELF booted without a manifest: the most any task may have, so that
     * malloc gets what the machine's RAM holds (sbrk is ENOMEM, malloc NULL, when it is full).
     */
    public static final long ELF_HEAP = MAX_HEAP;

    public static final long SIZE_ALIGN = 4 * 1024;
    public static final RecoveryPolicy DEFAULT_RECOVERY = RecoveryPolicy.NONE;
    public static final long MAX_RUNAWAY_MS = 600_000;

    public TaskSpec {
        serves = List.copyOf(serves);
        uses = List.copyOf(uses);
        notifications = List.copyOf(notifications);
        devices = List.copyOf(devices);
    }

    /** The image file, resolved against the folder holding the manifest. */
    public Path imagePath(Path manifestDir) {
        return manifestDir.resolve(image);
    }
}
