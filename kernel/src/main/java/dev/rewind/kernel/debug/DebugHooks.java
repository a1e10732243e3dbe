package dev.rewind.kernel.debug;

import static dev.rewind.kernel.debug.DebugTarget.SIGTRAP;
import static dev.rewind.kernel.debug.DebugThreads.id;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.hw.cpu.DataHook;
import dev.rewind.hw.cpu.FaultLocator;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.Perm;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.TaskState;
import dev.rewind.kernel.debug.DebugPoints.Watch;
import dev.rewind.kernel.debug.DebugTarget.StopEvent;
import dev.rewind.kernel.debug.DebugTarget.StopKind;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The debugger's per-engine hook bookkeeping: the breakpoint, watchpoint and step hooks
 * installed in each task's engine, and what they saw in the task's last slice. Used on the
 * kernel thread only (the hooks' callbacks run there too, inside a run).
 *
 * <p><b>Breakpoints and watchpoints</b> never patch guest memory. The debugger thread only
 * edits an immutable {@link DebugPoints} snapshot; the kernel thread brings each task's engine
 * up to date ({@link #sync}) just before the task runs: a code hook on each breakpoint address
 * that stops the engine before the instruction, a data hook over each watched range, and for a
 * single step a code hook on every address that stops before the second instruction. A code
 * hook only affects newly translated code (and a deleted one is still called from old
 * translations), so each change of code hooks is followed by dropping the translations of that
 * task's code pages.
 *
 * <p>Unicorn 2.0.1 facts this relies on (DebugHooksTest): a stop from a code hook leaves the
 * PC at the hooked instruction, not executed. A stop from a data hook ends the run right after
 * a store completes, or just before a load's result is written, but leaves the PC at the start
 * of the translation block; the hook therefore locates the accessing instruction
 * ({@link FaultLocator}, from the registers at the hook), and the stop puts the task back
 * before it: at the load, or at the store with the bytes it overwrote restored (the hook saw
 * them before the store), so the instruction runs again when the task resumes. On AArch64 a
 * load has also written its result by then (Aarch64CpuTest), so the stop puts back the
 * registers the hook saw, which are those before the instruction.
 */
final class DebugHooks {
    /**
     * A watchpoint hit: where the task resumes, and for a store that already happened, the
     * bytes it overwrote (restored so that the store runs again on resume), or null; and the
     * general registers as they were before the accessing instruction ({@link Cpu#readAll}'s
     * layout; the PC is {@code resumePc}), put back when it runs again, or null when it does not.
     */
    private record WatchHit(
            Watch watch,
            long address,
            long hookPc,
            long resumePc,
            long oldAddress,
            byte[] oldBytes,
            long[] regsBefore) {}

    /** A set of hooks installed together; its callbacks do nothing once it is retired. */
    private static final class HookSet {
        boolean active = true;
        final List<CpuHook> hooks = new ArrayList<>();
    }

    /** The debug hooks installed in one task's engine, and what they saw in the last slice. */
    private static final class EngineHooks {
        final Cpu cpu;
        int version = -1;
        /** Whether the points of {@link #version} are installed (the task is in scope). */
        boolean installed;
        /** Breakpoint and watchpoint hooks for {@link #version}, or null. */
        HookSet points;

        HookSet step;
        /**
         * Every hook ever added to this engine. Unicorn 2.0.1 keeps calling a deleted code hook
         * from translations made while it existed, so callbacks stay reachable (and check
         * their set's {@code active} flag) until the engine is closed.
         */
        final List<HookSet> retired = new ArrayList<>();
        /** The step request the step hook counts for. */
        long stepSerial;

        int stepCount;
        boolean stepDone;
        boolean bpHit;
        long bpAddress;
        WatchHit watchHit;

        EngineHooks(Cpu cpu) {
            this.cpu = cpu;
        }

        void clearHits() {
            stepDone = false;
            bpHit = false;
            watchHit = null;
        }
    }

    private final Map<Task, EngineHooks> engines = new IdentityHashMap<>();

    /**
     * What the hooks of {@code t}'s engine saw in its last slice, as a stop event, or null. A
     * watchpoint hit puts the task back before the accessing instruction (see above).
     */
    StopEvent collect(Task t) {
        EngineHooks h = engines.get(t);
        if (h == null) {
            return null;
        }
        if (h.cpu != t.cpu()) {
            engines.remove(t); // restarted or ended: the old engine is closed, its hooks with it
            return null;
        }
        StopEvent ev = null;
        if (h.watchHit != null) {
            WatchHit w = h.watchHit;
            if (t.state() == TaskState.READY && t.pc() == w.hookPc()) {
                if (w.oldBytes() != null) {
                    t.cpu().memory().write(w.oldAddress(), w.oldBytes(), 0, w.oldBytes().length, Perm.NONE);
                }
                if (w.regsBefore() != null) {
                    t.cpu().writeAll(w.regsBefore());
                }
                t.resumeAt(w.resumePc());
            }
            ev = new StopEvent(
                    StopKind.WATCHPOINT,
                    id(t),
                    SIGTRAP,
                    w.watch().kind(),
                    w.address(),
                    String.format("watchpoint at 0x%x", w.address()));
        } else if (h.bpHit) {
            ev = new StopEvent(StopKind.BREAKPOINT, id(t), SIGTRAP, String.format("breakpoint at 0x%x", h.bpAddress));
        } else if (h.stepDone) {
            ev = new StopEvent(StopKind.STEPPED, id(t), SIGTRAP, "step");
        }
        h.clearHits();
        return ev;
    }

    /** Forget what {@code t}'s hooks saw (its slice ended in a fault). */
    void clearHits(Task t) {
        EngineHooks h = engines.get(t);
        if (h != null) {
            h.clearHits();
        }
    }

    /**
     * {@code t}, stepped by step request {@code serial}, executed an instruction and is now
     * blocked (in a system call): the step is over.
     */
    boolean stepBlocked(Task t, long serial) {
        EngineHooks h = engines.get(t);
        return h != null
                && h.cpu == t.cpu()
                && h.stepSerial == serial
                && h.stepCount >= 1
                && t.state().blocked();
    }

    /**
     * Bring {@code t}'s engine's debug hooks up to date with the points {@code p} and the step.
     *
     * @param named  the last resume named {@code t}: the shared points apply to it, in scope or not
     * @param step   {@code t} executes one instruction
     * @param serial the step request (a new one starts counting afresh)
     */
    void sync(Task t, DebugPoints p, boolean named, boolean step, long serial) {
        EngineHooks h = engines.get(t);
        if (h == null || h.cpu != t.cpu()) {
            h = new EngineHooks(t.cpu());
            engines.put(t, h);
        }
        if (!t.cpu().preemptible()) {
            t.cpu().enablePreemptionDroppingCode(); // so that interrupt() stops it precisely
        }
        Cpu uc = t.cpu();
        boolean invalidate = false;
        boolean shared = !p.empty() && p.applies(t, named);
        List<Long> own = p.ownOf(id(t));
        boolean want = shared || !own.isEmpty();
        if (h.version != p.version() || h.installed != want) {
            if (h.points != null) {
                retire(h, h.points);
                invalidate = true;
                h.points = null;
            }
            h.installed = want;
            if (want) {
                EngineHooks eh = h;
                HookSet set = new HookSet();
                h.points = set;
                List<Long> bps = new ArrayList<>(own);
                if (shared) {
                    bps.addAll(p.breakpoints());
                }
                for (long a : bps) {
                    set.hooks.add(uc.hookInstructions(a, a, (addr, size) -> {
                        if (set.active) {
                            onBreakpoint(eh, addr);
                        }
                    }));
                }
                for (Watch w : shared ? p.watches() : List.<Watch>of()) {
                    int types = switch (w.kind()) {
                        case WRITE -> DataHook.WRITES;
                        case READ -> DataHook.READS;
                        case ACCESS -> DataHook.READS | DataHook.WRITES;
                    };
                    set.hooks.add(uc.hookData(types, w.hookBegin(), w.last(), (type, addr, size, v) -> {
                        if (set.active) {
                            onAccess(eh, w, type, addr, size);
                        }
                    }));
                }
                invalidate |= !bps.isEmpty();
            }
            h.version = p.version();
        }
        if (step && h.stepSerial != serial) {
            h.stepSerial = serial;
            h.stepCount = 0;
            h.stepDone = false;
        }
        if (step && h.step == null) {
            EngineHooks eh = h;
            HookSet set = new HookSet();
            h.step = set;
            set.hooks.add(uc.hookInstructions(1, 0, (addr, size) -> {
                if (set.active) {
                    onStep(eh);
                }
            }));
            invalidate = true;
        } else if (!step && h.step != null) {
            retire(h, h.step);
            h.step = null;
            invalidate = true;
        }
        if (invalidate) {
            t.cpu().dropCodeTranslations(); // a full flush costs about a second in Unicorn 2.0.1
        }
    }

    /** {@code t}'s debug hooks are removed while it replays its history; {@link #sync} puts them back. */
    void drop(Task t) {
        EngineHooks h = engines.get(t);
        if (h == null) {
            return;
        }
        if (h.points != null) {
            retire(h, h.points);
            h.points = null;
        }
        if (h.step != null) {
            retire(h, h.step);
            h.step = null;
        }
        h.installed = false;
        h.version = -1;
        h.clearHits();
    }

    private static void retire(EngineHooks h, HookSet set) {
        set.active = false;
        for (CpuHook x : set.hooks) {
            x.close();
        }
        h.retired.add(set);
    }

    // ---- the hooks: called by Unicorn on the kernel thread, inside a run --------------------

    private static void onBreakpoint(EngineHooks h, long addr) {
        if (!h.bpHit) {
            h.bpHit = true;
            h.bpAddress = addr;
        }
        h.cpu.stop();
    }

    private static void onStep(EngineHooks h) {
        if (h.stepCount++ >= 1) {
            h.stepDone = true;
            h.cpu.stop();
        }
    }

    private static void onAccess(EngineHooks h, Watch w, int type, long addr, int size) {
        if (h.watchHit != null) {
            return;
        }
        boolean write = type == DataHook.WRITE;
        if (!w.matches(addr, size, write)) { // the access [addr, addr+size) must overlap the range, of the right kind
            return;
        }
        long[] regs = new long[33];
        h.cpu.readAll(regs);
        long hookPc = regs[32];
        long at = h.cpu.locate(hookPc, regs, addr, write).pc();
        long resume = at;
        byte[] old = null;
        if (write) {
            // The store will have happened when the run ends. Keep the bytes it overwrites, so
            // the stop can be reported before the store (as gdb expects of RISC-V and AArch64 watchpoints:
            // it steps over the instruction itself); if they cannot be read, resume after it.
            old = new byte[Math.max(0, Math.min(size, 16))];
            if (!h.cpu.memory().read(addr, old, 0, old.length)) {
                old = null;
                resume = at + insnLength(h.cpu, at);
            }
        }
        long[] before = null;
        if (resume == at) {
            // The instruction runs again on resume, so its register writes must be undone too: on
            // AArch64 the run ends with a load's result already in its register, and `ldr x2,
            // [x2, #off]` would then load again from that value. The registers at the hook are
            // those before the instruction.
            before = regs.clone();
            before[32] = at;
        }
        long hitAddress = Long.compareUnsigned(addr, w.address()) < 0 ? w.address() : addr;
        h.watchHit = new WatchHit(w, hitAddress, hookPc, resume, addr, old, before);
        h.cpu.stop();
    }

    private static int insnLength(Cpu cpu, long pc) {
        AddressSpace mem = cpu.memory();
        if (mem.translate(pc, 2, Perm.EXEC) < 0) {
            return 4;
        }
        return cpu.arch().instructionLength((int) mem.load(pc, 2, Perm.EXEC));
    }
}
