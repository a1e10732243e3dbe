package dev.rewind.kernel;

import dev.rewind.hw.cpu.Cpu;

/**
 * The registers a server's loop keeps across requests, learned and then checked at each reply.
 *
 * <p>A serve loop keeps its endpoint, handler and buffer pointers (and sp) in callee-saved
 * registers, which every handler must preserve under the RISC-V ABI. A fault that corrupts one
 * of them without trapping (a corrupted epilogue, a flipped bit) makes the server answer this
 * and later requests wrongly before it crashes, if it ever does. So, for the first
 * {@value #LEARN_REQUESTS} requests that start and end (REPLY_RECV) at the same receive site,
 * this learns which of sp and s0..s11 a request never changes; after that, {@link #check}
 * reports a request that changed one, so that recovery can act before the reply goes out. If
 * the request, run again, changes the same register again, the change is taken as the
 * program's intent and that register is no longer checked (a heuristic: a server that changes
 * such a register only rarely pays one extra run of that request).
 *
 * <p>Where it is sound. Only receive sites inside the SDK's serve loop ({@value #SERVE_LOOP},
 * whose receive and reply-receive are inline ecalls) are checked: between receiving a request
 * and replying, that loop only calls the handler, and its own registers are loop invariants, so
 * by the calling convention a kept register that changed was corrupted. A server with its own
 * loop (a handler inlined into it, a pointer it rotates every so many requests) may change any
 * register legitimately: its receive sites are never checked, and nor are those of an image
 * without symbols (where the loop cannot be found).
 */
final class KeptRegisters {
    /** The stack pointer and the callee-saved registers (RISC-V sp and s0..s11; AArch64 sp and x19..x29). */
    private final int[] keptRegs;

    private final String[] names;
    /** Requests at one receive site observed before its registers are checked. */
    static final int LEARN_REQUESTS = 16;
    /** The SDK's serve loop (guest/sdk/lib/serve.c). */
    static final String SERVE_LOOP = "rw_serve";

    /** The serve loop's code, [loopStart, loopEnd); empty when the image has none. */
    private final long loopStart;

    private final long loopEnd;

    /** Registers kept at the receive sites of {@code image}'s serve loop (none if it has no {@value #SERVE_LOOP}). */
    KeptRegisters(dev.rewind.hw.elf.ElfImage image, dev.rewind.hw.cpu.Arch arch) {
        this.keptRegs = arch.keptRegisters();
        this.names = new String[keptRegs.length];
        for (int i = 0; i < keptRegs.length; i++) {
            names[i] = arch.registerName(keptRegs[i]);
        }
        long start = 0;
        long end = 0;
        for (dev.rewind.hw.elf.ElfImage.Symbol sym : image.symbols()) {
            if (sym.function() && sym.name().equals(SERVE_LOOP) && sym.size() > 0) {
                start = sym.address();
                end = sym.address() + sym.size();
                break;
            }
        }
        this.loopStart = start;
        this.loopEnd = end;
    }

    /** True if {@code pc} is a receive site this checks (inside the SDK's serve loop). */
    boolean checks(long pc) {
        return Long.compareUnsigned(pc, loopStart) >= 0 && Long.compareUnsigned(pc, loopEnd) < 0;
    }

    private long site = -1;
    private int seen;
    private int mask;
    private boolean secondChance;
    private final long[] now = new long[33];

    /**
     * {@code cpu} is about to reply and receive again at {@code pc}; {@code begin} holds its
     * registers (readAll layout) from when it received the request. Returns null if nothing
     * kept changed (or while learning), else what changed.
     */
    String check(long[] begin, Cpu cpu, long pc) {
        if (pc != begin[32] || !checks(pc)) {
            return null; // not back at the receive site the request started from
        }
        cpu.readAll(now);
        return check(begin, now, pc);
    }

    /** As {@link #check(long[], Cpu, long)}, with the registers already read into {@code now}. */
    String check(long[] begin, long[] now, long pc) {
        if (pc != begin[32] || !checks(pc)) {
            return null;
        }
        if (site != pc) {
            site = pc;
            seen = 0;
            mask = (1 << keptRegs.length) - 1;
        }
        int diff = 0;
        for (int i = 0; i < keptRegs.length; i++) {
            if (now[keptRegs[i]] != begin[keptRegs[i]]) {
                diff |= 1 << i;
            }
        }
        if (seen < LEARN_REQUESTS) {
            seen++;
            mask &= ~diff;
            return null;
        }
        int bad = diff & mask;
        if (bad == 0) {
            secondChance = false;
            return null;
        }
        StringBuilder what = new StringBuilder("a register the serve loop keeps changed while handling a request:");
        for (int i = 0; i < keptRegs.length; i++) {
            if ((bad & (1 << i)) != 0) {
                what.append(what.charAt(what.length() - 1) == ':' ? " " : ", ")
                        .append(names[i])
                        .append(String.format(" 0x%x -> 0x%x", begin[keptRegs[i]], now[keptRegs[i]]));
            }
        }
        if (secondChance) {
            secondChance = false;
            mask &= ~bad;
            return null;
        }
        secondChance = true;
        return what.toString();
    }

    /** The request ended another way (another fault): the next change gets no second chance. */
    void noSecondChance() {
        secondChance = false;
    }

    /** Forget everything learned (the server was restarted). */
    void reset() {
        site = -1;
        secondChance = false;
    }
}
