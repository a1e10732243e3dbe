package dev.rewind.kernel;

/**
 * What a task's recovery policy did about one fault: the value {@link KernelObserver#taskFaulted}
 * reports. Observers and tests match on the type; {@link #toString()} is the one-line text the
 * logs and the CLI print.
 */
public sealed interface RecoveryOutcome {

    /** The task no longer runs: its callers get EDEAD. */
    boolean stopped();

    /**
     * TxIPC undid the request the server was handling ({@code pages} pages restored in
     * {@code nanos}); the server waits for its next request where it waited for this one.
     *
     * @param redelivered     the request went back to the head of the queue, unseen by its client
     *                        (a kept register was corrupted: {@link KeptRegisters}); else the
     *                        client got ERECOVERED
     * @param undoneRequests  committed requests also undone, to be run again (history replay)
     * @param undonePages     pages those restored
     */
    record RolledBack(
            long badge, long label, int pages, long nanos, boolean redelivered, int undoneRequests, int undonePages)
            implements RecoveryOutcome {
        /** {@link #badge} of a rollback of what a server did after a WAIT_ANY wake (no client, no request). */
        public static final long WAKE = -1;

        /**
         * {@link #badge} of a repair of what the scrub found between requests (no client, no
         * request): committed requests undone and run again, or code restored from the image.
         */
        public static final long SCRUB = -2;

        /**
         * {@link #badge} of a rollback of what a server did after it resumed with no transaction
         * open (after a nested call that committed its request: TxIpc's continuation); it runs
         * that work again from where it resumed.
         */
        public static final long RESUMED = -3;

        /** The repair of corruption the scrub found between requests ({@link #SCRUB}). */
        static RolledBack scrub(long nanos, int undoneRequests, int undonePages) {
            return new RolledBack(SCRUB, 0, 0, nanos, false, undoneRequests, undonePages);
        }

        /** "; N committed requests undone (M pages) to be replayed" (history replay). */
        private String undone() {
            return String.format(
                    "; %d committed request%s undone (%d page%s) to be replayed",
                    undoneRequests, undoneRequests == 1 ? "" : "s", undonePages, undonePages == 1 ? "" : "s");
        }

        /** The rollback of a wake's transaction ({@link #WAKE}). */
        static RolledBack wake(int pages, long nanos) {
            return new RolledBack(WAKE, 0, pages, nanos, false, 0, 0);
        }

        /** The rollback of the work after a resume with no transaction open ({@link #RESUMED}). */
        static RolledBack resumed(int pages, long nanos) {
            return new RolledBack(RESUMED, 0, pages, nanos, false, 0, 0);
        }

        /** True for the rollback of a wake's transaction, which had no client. */
        public boolean afterWake() {
            return badge == WAKE;
        }

        @Override
        public boolean stopped() {
            return false;
        }

        @Override
        public String toString() {
            return describe(true);
        }

        /**
         * The one-line text; without {@code timed} it leaves out the measured time, so that the
         * same rollback reads the same in every run (a campaign's JSON).
         */
        public String describe(boolean timed) {
            if (badge == WAKE) {
                return String.format(
                        "work after a WAIT_ANY wake rolled back (txipc): %d page%s restored%s; waiting again",
                        pages, pages == 1 ? "" : "s", timed ? String.format(" in %.1f µs", nanos / 1e3) : "");
            }
            if (badge == RESUMED) {
                return String.format(
                        "work after a syscall that ended its request rolled back (txipc): %d page%s restored%s;"
                                + " running it again",
                        pages, pages == 1 ? "" : "s", timed ? String.format(" in %.1f µs", nanos / 1e3) : "");
            }
            if (badge == SCRUB) {
                return String.format(
                        "corruption found between requests repaired (txipc)%s%s",
                        timed ? String.format(" in %.1f µs", nanos / 1e3) : "",
                        undoneRequests == 0 ? ": code restored from the image" : undone());
            }
            return String.format(
                    "request rolled back (txipc): client badge %d, label 0x%x, %d page%s restored%s%s%s",
                    badge,
                    label,
                    pages,
                    pages == 1 ? "" : "s",
                    timed ? String.format(" in %.1f µs", nanos / 1e3) : "",
                    redelivered ? "; delivered again" : "",
                    undoneRequests == 0 ? "" : undone());
        }
    }

    /**
     * The task was reloaded from its image as {@code generation}.
     *
     * @param why  why a policy that prefers something else restarted (txipc: the fault was not
     *             inside a request that can be undone), or null
     */
    record Restarted(int generation, String why) implements RecoveryOutcome {
        @Override
        public boolean stopped() {
            return false;
        }

        @Override
        public String toString() {
            return (why == null ? "" : why + "; ") + "restarted as generation " + generation;
        }
    }

    /**
     * A shadowed driver was restarted as {@code generation} behind its clients' backs: the shadow
     * replays {@code replayed} logged requests, re-issues {@code reissued} request(s) that were in
     * flight and holds {@code held} queued callers until service is restored.
     */
    record ShadowRestarted(int generation, int replayed, int reissued, int held) implements RecoveryOutcome {
        @Override
        public boolean stopped() {
            return false;
        }

        @Override
        public String toString() {
            return "restarted as generation " + generation + "; shadow replays " + replayed + " request(s), re-issues "
                    + reissued + ", holds " + held;
        }
    }

    /** The task is dead: {@code reason} says why (policy none, restart limit, a failed reload). */
    record Stopped(String reason) implements RecoveryOutcome {
        @Override
        public boolean stopped() {
            return true;
        }

        @Override
        public String toString() {
            return reason;
        }
    }
}
