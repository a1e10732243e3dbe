package dev.rewind.kernel;

import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.Region;
import dev.rewind.hw.mem.WriteTracker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How far back TxIPC's history replay must reach, from what a data fault says (the rule, and
 * why, in docs/RECOVERY.md, "How far back a replay reaches").
 *
 * <p>A fault at data address A that escaped an earlier transaction is usually a corrupted
 * pointer: the faulting access used a value near A that some committed request stored (or a
 * fault flipped while that request ran). So the evidence is every word of the server's
 * writable memory, as it is after the faulting request was rolled back, whose value lies within
 * {@link #WINDOW} bytes of A, plus the word at A itself if A is writable memory. For each such
 * word the kept history says which committed request wrote its current value: walking from the
 * newest kept transaction back, the first one whose pre-image of the word differs from the
 * value now. The replay must undo that request, so the depth is the oldest writer over all
 * evidence words (all kept transactions if a word's value is older than the history).
 *
 * <p>A candidate that is a legitimate pointer only makes the replay longer, never wrong. Values
 * below {@link #MIN_POINTER} are not taken as pointers (small integers are everywhere), so a
 * null-pointer fault has no evidence.
 */
final class ReplayEvidence {
    /** Faults below this address give no evidence (a near-null access). */
    static final long MIN_POINTER = 0x10000;
    /** How far a pointer may be from the address its access faulted at (an offset into its object). */
    static final long WINDOW = 4096;
    /** At most this many evidence words are traced (the first found). */
    static final int MAX_WORDS = 64;

    /**
     * The evidence found: undo the newest {@code depth} kept requests (0: no evidence); the
     * deepest word, its value, and how many words were traced.
     */
    record Result(int depth, long word, long value, int words) {
        static final Result NONE = new Result(0, 0, 0, 0);
    }

    private ReplayEvidence() {}

    /** The evidence for {@code f} in {@code mem}, against the {@code kept} committed transactions {@code t} keeps. */
    static Result find(AddressSpace mem, WriteTracker t, Fault f, int kept) {
        if (!f.hasAddress() || kept <= 0 || Long.compareUnsigned(f.address(), MIN_POINTER) < 0) {
            return Result.NONE;
        }
        long addr = f.address();
        List<long[]> words = new ArrayList<>(); // {address, value}
        Region at = mem.regionAt(addr);
        byte[] w = new byte[8];
        if (at != null && (at.perms() & Perm.WRITE) != 0 && mem.read(addr & -8L, w, 0, 8)) {
            words.add(new long[] {addr & -8L, le(w, 0)});
        }
        byte[] buf = new byte[64 * 1024];
        for (Region r : mem.regions()) {
            if ((r.perms() & Perm.WRITE) == 0) {
                continue;
            }
            for (long off = 0; off < r.size() && words.size() < MAX_WORDS; off += buf.length) {
                int n = (int) Math.min(buf.length, r.size() - off);
                if (!mem.read(r.vaddr() + off, buf, 0, n)) {
                    break;
                }
                for (int i = 0; i + 8 <= n && words.size() < MAX_WORDS; i += 8) {
                    long v = le(buf, i);
                    if (Math.abs(v - addr) < WINDOW && v != 0) {
                        words.add(new long[] {r.vaddr() + off + i, v});
                    }
                }
            }
        }
        if (words.isEmpty()) {
            return Result.NONE;
        }
        long[][] pages = new long[kept][];
        for (int b = 0; b < kept; b++) {
            pages[b] = t.historyPages(b);
            Arrays.sort(pages[b]);
        }
        int depth = 0;
        long[] deepest = words.get(0);
        for (long[] word : words) {
            int writer = writer(t, pages, word[0], word[1], w);
            if (writer > depth) {
                depth = writer;
                deepest = word;
            }
        }
        return new Result(depth, deepest[0], deepest[1], words.size());
    }

    /**
     * Which kept transaction (1: the newest) wrote {@code value} to the word at {@code addr}:
     * the newest whose pre-image of the word differs from it; {@code pages.length} if none did
     * (the value is older than the history).
     */
    private static int writer(WriteTracker t, long[][] pages, long addr, long value, byte[] w) {
        long page = addr & -4096L;
        for (int b = 0; b < pages.length; b++) {
            if (Arrays.binarySearch(pages[b], page) >= 0 && t.historyRead(b, addr, w, 0, 8) && le(w, 0) != value) {
                return b + 1;
            }
        }
        return pages.length;
    }

    private static long le(byte[] b, int at) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xff);
        }
        return v;
    }
}
