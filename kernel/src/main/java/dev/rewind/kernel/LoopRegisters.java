package dev.rewind.kernel;

/**
 * The registers a server's own loop (one that is not the SDK's {@code rw_serve}) keeps across
 * requests, learned at each request's delivery and consulted only when a request is refused.
 *
 * <p>A server with its own loop ({@code rw_recv}, {@code rw_dispatch}, {@code rw_reply}, then work
 * after the reply: the SDK's README shows it) keeps its dispatch table's address, its endpoint
 * and its constants in callee-saved registers. A bit flipped in one of them after the handler
 * returned (in the work after the reply, or anywhere the loop's own code runs) commits with the
 * request, and from then on every request is refused (ENOSYS: the table is read at the wrong
 * address), and {@code verify = "refusals"} confirms each refusal by running it again from the
 * same corrupted register (an outside interval tree, seed 1720024: bit 9 of s5, the table's
 * address, flipped; every later request of every client ENOSYS). {@link KeptRegisters} does not
 * check such loops at commit, since they may change any register legitimately (a pointer rotated
 * every so many requests). So only a refusal asks: did one of the loop's registers hold one value
 * at this receive site for at least {@value KeptRegisters#LEARN_REQUESTS} requests in a row, and
 * has it held its present value for fewer requests than that one? Then the refusal may come from
 * a register corrupted in an earlier request, and the request is taken for corrupt: undone and
 * delivered again, and when it is refused so again, the kept history is replayed (an abort twice
 * in a row is suspect), which puts the register back. The same value is suspected twice at most:
 * a change the program made (its refusal then comes again after the replay) costs one replay.
 */
final class LoopRegisters {
    private final int[] keptRegs;
    private final String[] names;
    private long site = -1;
    private final long[] last;
    /** Deliveries at {@link #site} in a row with the register at {@link #last}. */
    private final int[] held;
    /** How long the register's value before {@link #last} was held. */
    private final int[] heldBefore;
    /** The register and value suspected last, and how often. */
    private int suspectReg = -1;

    private long suspectValue;
    private int suspicions;

    LoopRegisters(dev.rewind.hw.cpu.Arch arch) {
        this.keptRegs = arch.keptRegisters();
        this.names = new String[keptRegs.length];
        for (int i = 0; i < keptRegs.length; i++) {
            names[i] = arch.registerName(keptRegs[i]);
        }
        this.last = new long[keptRegs.length];
        this.held = new int[keptRegs.length];
        this.heldBefore = new int[keptRegs.length];
    }

    /** A request was delivered to the server with {@code regs} (readAll layout; [32] = the receive site's pc). */
    void delivered(long[] regs) {
        long pc = regs[32];
        if (pc != site) {
            site = pc;
            for (int i = 0; i < keptRegs.length; i++) {
                last[i] = regs[keptRegs[i]];
                held[i] = 1;
                heldBefore[i] = 0;
            }
            return;
        }
        for (int i = 0; i < keptRegs.length; i++) {
            long v = regs[keptRegs[i]];
            if (v == last[i]) {
                held[i]++;
            } else {
                heldBefore[i] = held[i];
                last[i] = v;
                held[i] = 1;
            }
        }
    }

    /**
     * The request that began with {@code regs} is about to be refused: null if no register of the
     * loop is suspect, else what changed.
     */
    String suspect(long[] regs) {
        if (regs[32] != site) {
            return null;
        }
        for (int i = 0; i < keptRegs.length; i++) {
            long v = regs[keptRegs[i]];
            if (v != last[i] || heldBefore[i] < KeptRegisters.LEARN_REQUESTS || held[i] >= heldBefore[i]) {
                continue;
            }
            if (suspectReg == i && suspectValue == v) {
                if (suspicions >= 2) {
                    continue; // (suspected twice, and refused again after the replay: the program's own)
                }
                suspicions++;
            } else {
                suspectReg = i;
                suspectValue = v;
                suspicions = 1;
            }
            return String.format(
                    "a request refused while %s, which the server's loop had kept for %d requests, held a value"
                            + " (0x%x) it has had for only %d: corrupted in an earlier request?",
                    names[i], heldBefore[i], v, held[i]);
        }
        return null;
    }

    /** Forget everything learned (the server was restarted). */
    void reset() {
        site = -1;
        suspectReg = -1;
        suspicions = 0;
    }
}
