package dev.rewind.kernel.debug;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.hw.cpu.DataHook;
import dev.rewind.hw.cpu.Exit;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.Region;
import dev.rewind.kernel.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reverse execution of one task by checkpoint and deterministic re-execution; used by
 * {@link ReverseRecorder} (for {@link KernelDebugger}) on the kernel thread while the system is halted.
 *
 * <p><b>Recording.</b> While a task is recorded, {@link #checkpoint} is called each time it
 * is about to execute user code after the kernel had it: at the start of each time slice and
 * after each system call that returns within a slice. A checkpoint is the task's registers and
 * the contents of its writable private memory. Between two checkpoints the task only executed
 * its own instructions, so the stretch (a <i>segment</i>) can be re-executed exactly from its
 * checkpoint: system calls are never re-executed, their effects (results, IPC copies, mapped
 * memory) are in the next checkpoint. Nothing is counted while the task runs live: a
 * segment's length in instructions is found when first needed, by re-executing it with a
 * counting code hook until its first {@code ecall} (the system call that ended it), a fault,
 * or the exact state (registers and memory) of the next checkpoint.
 *
 * <p><b>Positions.</b> A position is (segment, instructions executed from its checkpoint). To
 * go to a position the engine's registers and memory are restored from the segment's
 * checkpoint and it runs forward under a counting hook that stops it before the wanted
 * instruction (a code hook's stop leaves the PC at that instruction, not executed). Before the
 * first move back the live state (registers, memory, pending syscall results) is saved; coming
 * forward to the end of the history restores it, byte for byte.
 */
final class ReverseExecution {
    /** Most checkpoints kept per task (oldest dropped first). */
    static final int MAX_CHECKPOINTS = Integer.getInteger("rewind.reverse.checkpoints", 4096);
    /** Most bytes of checkpointed pages kept per task (oldest checkpoints dropped first). */
    static final long MAX_BYTES = Long.getLong("rewind.reverse.bytes", 64L << 20);
    /** Most instructions re-executed to measure one segment. */
    static final long MAX_SEGMENT = Long.getLong("rewind.reverse.segment", 50_000_000L);

    /**
     * Registers (the readAll layout, the extended registers: AArch64's FP/SIMD and flags) and
     * writable memory of a task at one moment, page by page; a page equal to the previous
     * checkpoint's is shared with it, so a checkpoint costs the pages written since the last one.
     */
    record State(long[] regs, long[] ext, long[] vaddrs, byte[][] bytes, long newBytes) {
        long size() {
            return newBytes;
        }
    }

    static final class Segment {
        final State start;
        /** Instructions from the start to the end, or -1 while unknown. */
        long length = -1;

        Segment(State start) {
            this.start = start;
        }
    }

    /** The live state saved before the first move back. */
    private static final long[] NO_RESULTS = {};

    record Live(State state, long pc, long[] result) {}

    /** A breakpoint or watchpoint met during a replay: the position it stops at. */
    interface Points {
        boolean breakpoint(long pc);

        /** Whether an access of {@code size} bytes at {@code addr} ({@code write} or read) is watched. */
        boolean watched(long addr, int size, boolean write);

        /** Ranges to hook for watchpoints: pairs begin, end (inclusive). */
        long[] watchRanges();
    }

    static final Points NO_POINTS = new Points() {
        @Override
        public boolean breakpoint(long pc) {
            return false;
        }

        @Override
        public boolean watched(long addr, int size, boolean write) {
            return false;
        }

        @Override
        public long[] watchRanges() {
            return new long[0];
        }
    };

    /** One task's history. */
    static final class History {
        final Task task;
        final Cpu cpu;
        final List<Segment> segs = new ArrayList<>();
        long bytes;
        /**
         * The request ({@link Task#requestSerial}) the last checkpoint was taken in, or -1 if it
         * was taken outside any.
         */
        long request = -1;
        /**
         * At most this many instructions back from the present (0: no limit but the
         * checkpoint limits); applied when the task first moves back from the present.
         */
        long window;
        /** While in the past: the first reachable position in segment 0 (the window's start). */
        long startOff;
        /** Non-null while the task is in the past. */
        Live live;

        int seg;
        long off;

        History(Task task) {
            this.task = task;
            this.cpu = task.cpu();
        }

        boolean inPast() {
            return live != null;
        }
    }

    /** What a reverse or replayed forward move ended at. */
    enum Reached {
        /** A breakpoint (the task is before the instruction). */
        BREAKPOINT,
        /** A watchpoint: the watched address is in {@link Move#watchAddress}. */
        WATCHPOINT,
        /** The step is done. */
        STEPPED,
        /** The start of the history: no further back. */
        BEGIN,
        /** The end of the history: the task is live again (a forward continue goes on live). */
        PRESENT
    }

    record Move(Reached reached, long watchAddress, boolean watchWrite) {}

    // ---- recording -------------------------------------------------------------------------

    /** A checkpoint of {@code t} about to run user code at {@code pc} (its registers are current). */
    static void checkpoint(History h, long pc) {
        State s = capture(h.task, pc, h.segs.isEmpty() ? null : h.segs.get(h.segs.size() - 1).start);
        if (!h.segs.isEmpty() && equal(h.segs.get(h.segs.size() - 1).start, s)) {
            h.segs.get(h.segs.size() - 1).length = -1;
            return; // nothing ran since the last one (a resume after a stop without a step)
        }
        h.segs.add(new Segment(s));
        h.bytes += s.size();
        while (h.segs.size() > 1 && (h.segs.size() > MAX_CHECKPOINTS || h.bytes > MAX_BYTES)) {
            h.bytes -= h.segs.remove(0).start.size();
        }
    }

    /** The task's state now: registers (with pending syscall results), pc, writable memory. */
    static State capture(Task t, long pc, State prev) {
        long[] regs = new long[33];
        t.cpu().readAll(regs);
        long[] pending = t.pendingResults();
        System.arraycopy(pending, 0, regs, t.cpu().arch().result(0), pending.length);
        regs[32] = pc;
        long[] ext = new long[t.cpu().extendedLength()];
        t.cpu().readExtended(ext);
        List<Region> rs = new ArrayList<>();
        for (Region r : t.cpu().memory().regions()) {
            if ((r.perms() & Perm.WRITE) != 0) {
                rs.add(r);
            }
        }
        List<Long> va = new ArrayList<>();
        List<byte[]> bs = new ArrayList<>();
        long fresh = 0;
        int pi = 0;
        for (Region r : rs) {
            byte[] all = new byte[(int) r.size()];
            t.cpu().memory().read(r.vaddr(), all, 0, all.length);
            for (int off = 0; off < all.length; off += (int) AddressSpace.PAGE) {
                int n = (int) Math.min(AddressSpace.PAGE, all.length - off);
                long addr = r.vaddr() + off;
                byte[] page = Arrays.copyOfRange(all, off, off + n);
                // share the previous checkpoint's page when it is unchanged (pages are in address order)
                while (prev != null && pi < prev.vaddrs.length && Long.compareUnsigned(prev.vaddrs[pi], addr) < 0) {
                    pi++;
                }
                if (prev != null
                        && pi < prev.vaddrs.length
                        && prev.vaddrs[pi] == addr
                        && Arrays.equals(prev.bytes[pi], page)) {
                    page = prev.bytes[pi];
                } else {
                    fresh += n;
                }
                va.add(addr);
                bs.add(page);
            }
        }
        long[] vs = new long[va.size()];
        for (int i = 0; i < vs.length; i++) {
            vs[i] = va.get(i);
        }
        return new State(regs, ext, vs, bs.toArray(new byte[0][]), fresh + 8L * ext.length);
    }

    static boolean equal(State a, State b) {
        return Arrays.equals(a.regs, b.regs)
                && Arrays.equals(a.ext, b.ext)
                && Arrays.equals(a.vaddrs, b.vaddrs)
                && Arrays.deepEquals(a.bytes, b.bytes);
    }

    /** Whether the engine's state now equals {@code s} (registers first, cheaply). */
    private static boolean matches(Cpu cpu, State s, long[] regs, long pc) {
        cpu.readAll(regs);
        regs[32] = pc;
        if (!Arrays.equals(regs, s.regs)) {
            return false;
        }
        if (s.ext.length > 0) {
            long[] ext = new long[s.ext.length];
            cpu.readExtended(ext);
            if (!Arrays.equals(ext, s.ext)) {
                return false;
            }
        }
        AddressSpace mem = cpu.memory();
        for (int i = 0; i < s.vaddrs.length; i++) {
            byte[] b = new byte[s.bytes[i].length];
            if (!mem.read(s.vaddrs[i], b, 0, b.length) || !Arrays.equals(b, s.bytes[i])) {
                return false;
            }
        }
        return true;
    }

    private static void restore(Cpu cpu, State s) {
        cpu.writeAll(s.regs);
        cpu.writeExtended(s.ext);
        for (int i = 0; i < s.vaddrs.length; i++) {
            cpu.memory().write(s.vaddrs[i], s.bytes[i], 0, s.bytes[i].length, Perm.NONE);
        }
    }

    // ---- replay ----------------------------------------------------------------------------

    /** What one replay of a segment saw. */
    private static final class Run {
        long executed;
        /** The engine stopped at the end state (measuring). */
        boolean matched;
        /** Last and first breakpoint/watchpoint positions met (-1: none). */
        long lastHit = -1;

        long firstHit = -1;
        boolean lastWatch;
        boolean firstWatch;
        long lastWatchAddr;
        long firstWatchAddr;
        boolean lastWrite;
        boolean firstWrite;
        Exit exit;
    }

    /**
     * Restore segment {@code i}'s checkpoint and run it forward, stopping before instruction
     * {@code stopAt} (or at {@code end}'s state, or at the segment's system call or fault).
     * Breakpoints and watchpoints met at positions in [{@code from}, {@code stopAt}] are
     * recorded: a breakpoint at position j (before instruction j), a watched access by
     * instruction j at j+1 when {@code reverse} (gdb then steps back over it) or at j
     * (before it) going forward.
     */
    private static Run replay(
            History h,
            int i,
            long stopAt,
            State end,
            Points pts,
            long from,
            long bpFrom,
            boolean reverse,
            boolean stopAtFirst) {
        Cpu cpu = h.cpu;
        Segment s = h.segs.get(i);
        restore(cpu, s.start);
        Run r = new Run();
        long[] regs = new long[33];
        if (end != null && matches(cpu, end, regs, s.start.regs[32])) {
            r.matched = true;
            return r;
        }
        if (stopAt == 0) {
            return r;
        }
        Cpu uc = cpu;
        List<CpuHook> hooks = new ArrayList<>();
        boolean[] active = {true};
        hooks.add(uc.hookInstructions(1, 0, (addr, size) -> {
            if (!active[0]) {
                return;
            }
            long j = r.executed;
            if (j >= stopAt) {
                cpu.stop();
                return;
            }
            if (end != null && j > 0 && addr == end.regs[32] && matches(cpu, end, regs, addr)) {
                r.matched = true;
                cpu.stop();
                return;
            }
            if (j >= bpFrom && pts.breakpoint(addr)) {
                hit(r, j, false, 0, false);
                if (stopAtFirst) {
                    cpu.stop();
                    return;
                }
            }
            r.executed = j + 1;
        }));
        long[] ranges = pts.watchRanges();
        for (int k = 0; k + 1 < ranges.length; k += 2) {
            hooks.add(uc.hookData(DataHook.READS | DataHook.WRITES, ranges[k], ranges[k + 1], (type, addr, size, v) -> {
                if (!active[0]) {
                    return;
                }
                boolean write = type == DataHook.WRITE;
                long j = r.executed - 1; // the accessing instruction
                long at = reverse ? j + 1 : j;
                if (j >= 0 && at >= from && at <= stopAt && pts.watched(addr, size, write)) {
                    hit(r, at, true, addr, write);
                    if (stopAtFirst) {
                        cpu.stop();
                    }
                }
            }));
        }
        cpu.dropCodeTranslations(); // code hooks apply to new translations only
        cpu.clearPreempt();
        try {
            r.exit = cpu.run(s.start.regs[32]);
        } finally {
            active[0] = false;
            for (CpuHook x : hooks) {
                x.close();
            }
            cpu.dropCodeTranslations();
        }
        if (r.exit == Exit.EXCEPTION || r.exit == Exit.MEMORY_FAULT) {
            r.executed = Math.max(0, r.executed - 1); // the faulting instruction did not complete
        }
        return r;
    }

    private static void hit(Run r, long at, boolean watch, long addr, boolean write) {
        if (r.firstHit < 0) {
            r.firstHit = at;
            r.firstWatch = watch;
            r.firstWatchAddr = addr;
            r.firstWrite = write;
        }
        if (at >= r.lastHit) {
            r.lastHit = at;
            r.lastWatch = watch;
            r.lastWatchAddr = addr;
            r.lastWrite = write;
        }
    }

    /** Segment {@code i}'s length in instructions, measured by replay if not yet known; -1 if it cannot be. */
    private static long length(History h, int i) {
        Segment s = h.segs.get(i);
        if (s.length >= 0) {
            return s.length;
        }
        State end = i + 1 < h.segs.size() ? h.segs.get(i + 1).start : h.live.state();
        Run r = replay(h, i, MAX_SEGMENT, end, NO_POINTS, Long.MAX_VALUE, Long.MAX_VALUE, false, false);
        if (!r.matched && r.exit != Exit.ECALL && r.exit != Exit.EXCEPTION && r.exit != Exit.MEMORY_FAULT) {
            return -1;
        }
        s.length = r.executed;
        return s.length;
    }

    /** Save the live state before the first move back; false when there is no history. */
    private static boolean enterPast(History h) {
        if (h.live != null) {
            return true;
        }
        Task t = h.task;
        if (h.segs.isEmpty()) {
            return false;
        }
        Live live = new Live(capture(t, t.pc(), null), t.pc(), t.pendingResults());
        h.live = live;
        h.startOff = 0;
        int last = h.segs.size() - 1;
        h.segs.get(last).length = -1; // measured against the live state
        long total = 0;
        // Only the last segment is measured now (and, with a window, those the window covers):
        // the others when a move first reaches back into them. Measuring every segment here made
        // the first reverse-stepi replay the whole history: minutes for a task that computed for
        // a second before it was interrupted.
        for (int i = last; i >= 0 && (i == last || h.window > 0); i--) {
            long len = length(h, i);
            if (len >= 0 && h.window > 0 && total + len >= h.window) {
                // the window starts inside segment i: older checkpoints are never needed
                h.startOff = total + len - h.window;
                for (int k = 0; k < i; k++) {
                    h.bytes -= h.segs.get(k).start.size();
                }
                h.segs.subList(0, i).clear();
                break;
            }
            total += Math.max(0, len);
            if (len < 0) {
                if (i == last) { // the last checkpoint does not lead to the present: no history
                    h.live = null;
                    h.segs.clear();
                    h.bytes = 0;
                    restoreLive(h, live);
                    return false;
                }
                // the debugger changed the task there: the history starts after it
                for (int k = 0; k <= i; k++) {
                    h.bytes -= h.segs.get(k).start.size();
                }
                h.segs.subList(0, i + 1).clear();
                break;
            }
        }
        h.seg = h.segs.size() - 1;
        h.off = h.segs.get(h.seg).length;
        restoreLive(h, h.live);
        return true;
    }

    /**
     * Make segment {@code i} (before the task's position) reachable: measure its length if not yet
     * known. If it cannot be measured (it does not replay to the next checkpoint), the history
     * starts after it: segments 0..i are dropped (positions shift down by i + 1) and false is
     * returned.
     */
    private static boolean reach(History h, int i) {
        if (length(h, i) >= 0) {
            return true;
        }
        dropThrough(h, i);
        return false;
    }

    /** Drop segments 0..i: the history starts with segment i + 1, now segment 0. */
    private static void dropThrough(History h, int i) {
        for (int k = 0; k <= i; k++) {
            h.bytes -= h.segs.get(k).start.size();
        }
        h.segs.subList(0, i + 1).clear();
        h.seg -= i + 1;
        h.startOff = 0;
    }

    /** Back to the present: the live registers, memory and pending results. */
    static void leavePast(History h) {
        if (h.live == null) {
            return;
        }
        Live l = h.live;
        h.live = null;
        restoreLive(h, l);
        // the last segment ends at the live state; a later checkpoint may extend the history
    }

    private static void restoreLive(History h, Live l) {
        restore(h.cpu, l.state());
        Task t = h.task;
        t.resumeAt(l.pc());
        t.setPendingResults(l.result());
    }

    /** Is (seg, off) the present? */
    private static boolean atEnd(History h, int seg, long off) {
        return seg == h.segs.size() - 1 && off >= h.segs.get(seg).length;
    }

    /** Put the task at (seg, off): the present restores the live state. */
    private static void goTo(History h, int seg, long off) {
        while (seg + 1 < h.segs.size() && h.segs.get(seg).length >= 0 && off >= h.segs.get(seg).length) {
            seg++;
            off = 0;
        }
        if (atEnd(h, seg, off)) {
            h.seg = seg;
            h.off = h.segs.get(seg).length;
            restoreLive(h, h.live);
            return;
        }
        replay(h, seg, off, null, NO_POINTS, Long.MAX_VALUE, Long.MAX_VALUE, false, false);
        h.seg = seg;
        h.off = off;
        Task t = h.task;
        t.resumeAt(h.cpu.pc());
        t.setPendingResults(NO_RESULTS);
    }

    /** One instruction back: {@code BEGIN} (not moved) at the start of the history. */
    static Move stepBack(History h) {
        if (!enterPast(h)) {
            return new Move(Reached.BEGIN, 0, false);
        }
        int seg = h.seg;
        long off = h.off;
        while (off <= (seg == 0 ? h.startOff : 0)) {
            if (seg == 0 || !reach(h, seg - 1)) { // (reach shifts h.seg when it drops segments)
                goTo(h, h.seg, h.off);
                return new Move(Reached.BEGIN, 0, false);
            }
            seg--;
            off = h.segs.get(seg).length;
        }
        goTo(h, seg, off - 1);
        return new Move(Reached.STEPPED, 0, false);
    }

    /** Back to the last breakpoint or watchpoint before now, or to the start of the history. */
    static Move continueBack(History h, Points pts) {
        if (!enterPast(h)) {
            return new Move(Reached.BEGIN, 0, false);
        }
        int seg = h.seg;
        long lim = h.off;
        for (int i = seg; i >= 0; i--) {
            long floor = i == 0 ? h.startOff : 0; // the window's start
            if (i < seg && h.segs.get(i).length < 0) {
                // not measured yet: measure it in the same replay that looks for the points
                Segment s = h.segs.get(i);
                Run r = replay(h, i, MAX_SEGMENT, h.segs.get(i + 1).start, pts, floor, floor, true, false);
                if (!r.matched && r.exit != Exit.ECALL && r.exit != Exit.EXCEPTION && r.exit != Exit.MEMORY_FAULT) {
                    dropThrough(h, i); // the history starts after it
                    goTo(h, 0, 0);
                    return new Move(Reached.BEGIN, 0, false);
                }
                s.length = r.executed;
                if (r.lastHit >= 0) {
                    goTo(h, i, r.lastHit);
                    return r.lastWatch
                            ? new Move(Reached.WATCHPOINT, r.lastWatchAddr, r.lastWrite)
                            : new Move(Reached.BREAKPOINT, 0, false);
                }
                continue;
            }
            long limit = i == seg ? lim : h.segs.get(i).length;
            if (limit > floor) {
                // breakpoints strictly before the position; a watched access by an instruction before it
                Run r = replay(h, i, limit, null, pts, floor, floor, true, false);
                if (r.lastHit >= 0) {
                    goTo(h, i, r.lastHit);
                    return r.lastWatch
                            ? new Move(Reached.WATCHPOINT, r.lastWatchAddr, r.lastWrite)
                            : new Move(Reached.BREAKPOINT, 0, false);
                }
            }
        }
        goTo(h, 0, h.startOff);
        return new Move(Reached.BEGIN, 0, false);
    }

    /** One instruction forward in the past. */
    static Move stepForward(History h) {
        long len = h.segs.get(h.seg).length;
        if (h.off + 1 >= len && h.seg == h.segs.size() - 1) {
            leavePast(h);
            return new Move(Reached.STEPPED, 0, false);
        }
        goTo(h, h.seg, h.off + 1);
        if (atEnd(h, h.seg, h.off)) {
            leavePast(h);
        }
        return new Move(Reached.STEPPED, 0, false);
    }

    /**
     * Forward through the history to the next breakpoint or watchpoint; at the end of the
     * history the task is live again ({@code PRESENT}, or {@code BREAKPOINT} if the present
     * is at a breakpoint).
     */
    static Move continueForward(History h, Points pts) {
        for (int i = h.seg; i < h.segs.size(); i++) {
            long len = h.segs.get(i).length;
            long from = i == h.seg ? h.off : 0;
            // a breakpoint at the position we start from was stepped over by gdb: not met again
            Run r = replay(h, i, len, null, pts, from, i == h.seg ? h.off + 1 : 0, false, true);
            if (r.firstHit >= 0) {
                goTo(h, i, r.firstHit);
                if (atEnd(h, h.seg, h.off)) {
                    leavePast(h);
                }
                return r.firstWatch
                        ? new Move(Reached.WATCHPOINT, r.firstWatchAddr, r.firstWrite)
                        : new Move(Reached.BREAKPOINT, 0, false);
            }
        }
        long pc = h.live.pc();
        leavePast(h);
        return pts.breakpoint(pc) ? new Move(Reached.BREAKPOINT, 0, false) : new Move(Reached.PRESENT, 0, false);
    }
}
