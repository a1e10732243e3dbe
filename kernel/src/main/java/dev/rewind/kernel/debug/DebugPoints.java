package dev.rewind.kernel.debug;

import dev.rewind.kernel.Task;
import dev.rewind.kernel.debug.DebugTarget.WatchKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The debugger's breakpoints, watchpoints and scope: an immutable snapshot, replaced whole on
 * every change (each change has a new {@code version}). The debugger thread makes a new one
 * with the {@code with...} methods while the system is halted; the kernel thread reads the
 * current one when it brings an engine's hooks up to date ({@link DebugHooks#sync}).
 *
 * @param breakpoints the breakpoints of every task in scope
 * @param watches     the watched ranges (tasks in scope)
 * @param scope       task or image names the shared points apply to; empty: every task
 * @param version     counts changes
 * @param own         breakpoints of one thread alone (a process's own, from gdb's multiprocess)
 * @param programs    the images whose symbols gdb loaded (one program for every task: gdb
 *                    without multiprocess), as the stub found out; empty: not known. Without an
 *                    explicit scope the shared points apply to the tasks running these, and
 *                    gdb's resumed thread gets them only if it runs one ({@link #applies})
 */
record DebugPoints(
        List<Long> breakpoints,
        List<Watch> watches,
        List<String> scope,
        int version,
        Map<Integer, List<Long>> own,
        List<String> programs) {
    static final int MAX_BREAKPOINTS = 1024;
    static final int MAX_WATCHPOINTS = 64;
    static final long MAX_WATCH_LENGTH = 1 << 16;

    static final DebugPoints EMPTY = new DebugPoints(List.of(), List.of(), List.of(), 0, Map.of(), List.of());

    /** A watched range. */
    record Watch(WatchKind kind, long address, long length) {
        /** The access [addr, addr+size), a store if {@code write}, triggers this watchpoint. */
        boolean matches(long addr, int size, boolean write) {
            if (Long.compareUnsigned(addr - address, length) >= 0 && Long.compareUnsigned(address - addr, size) >= 0) {
                return false; // no overlap
            }
            return !((kind == WatchKind.WRITE && !write) || (kind == WatchKind.READ && write));
        }

        /** Where a data hook for this range begins: a hook sees accesses that start in its range, so 7 bytes early. */
        long hookBegin() {
            return Long.compareUnsigned(address, 7) < 0 ? 0 : address - 7;
        }

        /** The last watched byte. */
        long last() {
            return address + length - 1;
        }
    }

    /** No breakpoint and no watchpoint (own breakpoints aside). */
    boolean empty() {
        return breakpoints.isEmpty() && watches.isEmpty();
    }

    /** The breakpoints of thread {@code id} alone (a process's own, from gdb's multiprocess). */
    List<Long> ownOf(int id) {
        return own.getOrDefault(id, List.of());
    }

    /** A breakpoint at {@code pc} applies to thread {@code id}. */
    boolean breaksAt(int id, long pc) {
        return breakpoints.contains(pc) || ownOf(id).contains(pc);
    }

    /** {@code t} is in the explicit scope ({@code monitor scope}), or there is none. */
    boolean inScope(Task t) {
        return scope.isEmpty()
                || scope.contains(t.name())
                || scope.contains(t.spec().image());
    }

    /** {@code t} runs the program gdb loaded, or that is not known. */
    boolean runsGdbsProgram(Task t) {
        return programs.isEmpty() || programs.contains(t.spec().image());
    }

    /**
     * The shared breakpoints and watchpoints apply to {@code t}: it is in the explicit scope, or
     * with none it runs gdb's program; the thread gdb resumes by name ({@code named}) gets them
     * too (gdb steps it with temporary breakpoints), if it runs gdb's program. A task running
     * another program has other code and data at gdb's addresses: a breakpoint on a function of
     * gdb's file would stop it in some unrelated code of its own.
     */
    boolean applies(Task t, boolean named) {
        boolean scoped = scope.isEmpty() ? runsGdbsProgram(t) : inScope(t);
        return scoped || (named && runsGdbsProgram(t));
    }

    /** No points, every task in scope (a detach or kill). */
    DebugPoints cleared() {
        return new DebugPoints(List.of(), List.of(), List.of(), version + 1, Map.of(), List.of());
    }

    /** With a breakpoint at {@code address} (this if there is one); null if there are too many. */
    DebugPoints withBreakpoint(long address) {
        if (breakpoints.contains(address)) {
            return this;
        }
        if (breakpoints.size() >= MAX_BREAKPOINTS) {
            return null;
        }
        List<Long> b = new ArrayList<>(breakpoints);
        b.add(address);
        return new DebugPoints(List.copyOf(b), watches, scope, version + 1, own, programs);
    }

    /** Without the breakpoint at {@code address} (this if there is none). */
    DebugPoints withoutBreakpoint(long address) {
        if (!breakpoints.contains(address)) {
            return this;
        }
        List<Long> b = new ArrayList<>(breakpoints);
        b.remove(Long.valueOf(address));
        return new DebugPoints(List.copyOf(b), watches, scope, version + 1, own, programs);
    }

    /**
     * With a breakpoint at {@code address} of thread {@code thread} alone (this if it has one);
     * null if there are too many breakpoints, shared and own together.
     */
    DebugPoints withBreakpoint(int thread, long address) {
        List<Long> mine = ownOf(thread);
        if (mine.contains(address)) {
            return this;
        }
        int total = breakpoints.size();
        for (List<Long> l : own.values()) {
            total += l.size();
        }
        if (total >= MAX_BREAKPOINTS) {
            return null;
        }
        List<Long> b = new ArrayList<>(mine);
        b.add(address);
        Map<Integer, List<Long>> o = new HashMap<>(own);
        o.put(thread, List.copyOf(b));
        return new DebugPoints(breakpoints, watches, scope, version + 1, Map.copyOf(o), programs);
    }

    /** Without thread {@code thread}'s own breakpoint at {@code address} (this if it has none). */
    DebugPoints withoutBreakpoint(int thread, long address) {
        List<Long> mine = ownOf(thread);
        if (!mine.contains(address)) {
            return this;
        }
        List<Long> b = new ArrayList<>(mine);
        b.remove(Long.valueOf(address));
        Map<Integer, List<Long>> o = new HashMap<>(own);
        if (b.isEmpty()) {
            o.remove(thread);
        } else {
            o.put(thread, List.copyOf(b));
        }
        return new DebugPoints(breakpoints, watches, scope, version + 1, Map.copyOf(o), programs);
    }

    /** With watchpoint {@code w} (this if it is there); null if there are too many. */
    DebugPoints withWatch(Watch w) {
        if (watches.contains(w)) {
            return this;
        }
        if (watches.size() >= MAX_WATCHPOINTS) {
            return null;
        }
        List<Watch> ws = new ArrayList<>(watches);
        ws.add(w);
        return new DebugPoints(breakpoints, List.copyOf(ws), scope, version + 1, own, programs);
    }

    /** Without watchpoint {@code w} (this if it is not there). */
    DebugPoints withoutWatch(Watch w) {
        if (!watches.contains(w)) {
            return this;
        }
        List<Watch> ws = new ArrayList<>(watches);
        ws.remove(w);
        return new DebugPoints(breakpoints, List.copyOf(ws), scope, version + 1, own, programs);
    }

    /** With the scope {@code names} (task or image names, checked by the caller; empty: every task). */
    DebugPoints withScope(List<String> names) {
        // "all" (empty) means every task, also those running another program than gdb's
        return new DebugPoints(
                breakpoints, watches, List.copyOf(names), version + 1, own, names.isEmpty() ? List.of() : programs);
    }

    /** With {@code images} as the program gdb loaded (empty: not known, every task). */
    DebugPoints withPrograms(List<String> images) {
        return new DebugPoints(breakpoints, watches, scope, version + 1, own, List.copyOf(images));
    }

    /** The first watchpoint an 8-byte access at {@code addr} triggers, or null. */
    Watch watchAt(long addr, boolean write) {
        for (Watch w : watches) {
            if (w.matches(addr, 8, write)) {
                return w;
            }
        }
        return null;
    }

    /** The breakpoints and watchpoints a replay of thread {@code thread} honours. */
    ReverseExecution.Points forReplay(int thread) {
        long[] ranges = new long[watches.size() * 2];
        for (int i = 0; i < watches.size(); i++) {
            Watch w = watches.get(i);
            ranges[2 * i] = w.hookBegin();
            ranges[2 * i + 1] = w.last();
        }
        return new ReverseExecution.Points() {
            @Override
            public boolean breakpoint(long pc) {
                return breaksAt(thread, pc);
            }

            @Override
            public boolean watched(long addr, int size, boolean write) {
                for (Watch w : watches) {
                    if (w.matches(addr, size, write)) {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public long[] watchRanges() {
                return ranges;
            }
        };
    }
}
