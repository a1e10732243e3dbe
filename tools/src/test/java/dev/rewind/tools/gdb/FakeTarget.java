package dev.rewind.tools.gdb;

import dev.rewind.kernel.debug.DebugTarget;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** An in-memory debug target: three threads, 64 KiB of memory at 0x10000, always halted. */
final class FakeTarget implements DebugTarget {
    static final long BASE = 0x10000;
    final byte[] mem = new byte[0x10000];
    final long[][] regs = new long[3][REGISTER_COUNT];
    final Set<Long> breakpoints = new HashSet<>();
    final List<String> log = new ArrayList<>();
    volatile Listener listener;
    volatile boolean killed;
    List<String> scope = List.of();
    StopEvent stop = new StopEvent(StopKind.ATTACHED, 1, SIGTRAP, "fake");
    /** How ended threads ended (EXITED or TERMINATED), by id. */
    final Map<Integer, StopEvent> ends = new java.util.concurrent.ConcurrentSkipListMap<>();
    /** The last {@link #reportTaskEnds} set. */
    Set<Integer> reportedEnds = Set.of();

    @Override
    public boolean over() {
        return killed;
    }

    @Override
    public StopEvent endOf(int thread) {
        r(thread);
        return ends.get(thread);
    }

    @Override
    public void reportTaskEnds(Set<Integer> threads) {
        reportedEnds = Set.copyOf(threads);
    }

    FakeTarget() {
        for (int t = 0; t < 3; t++) {
            regs[t][PC] = BASE;
        }
    }

    private long[] r(int thread) {
        if (thread < 1 || thread > 3) {
            throw new IllegalArgumentException("no thread " + thread);
        }
        return regs[thread - 1];
    }

    /** How many times a debugger attached. */
    int attaches;

    @Override
    public void attach(Listener l) {
        attaches++;
        listener = l;
    }

    /** How many times the debugger detached. */
    int detaches;

    @Override
    public void detach() {
        detaches++;
        breakpoints.clear();
        listener = null;
    }

    @Override
    public boolean halted() {
        return true;
    }

    @Override
    public StopEvent currentStop() {
        return stop;
    }

    @Override
    public void interrupt() {}

    /** Logs "resume {thread=action, ...} others deliverFault"; a stepped thread's pc moves 4. */
    @Override
    public void resume(Map<Integer, Action> actions, Action others, boolean deliverFault) {
        for (int t : actions.keySet()) {
            r(t);
        }
        log.add("resume " + new TreeMap<>(actions) + " " + others + " " + deliverFault);
        for (Map.Entry<Integer, Action> e : actions.entrySet()) {
            if (e.getValue() == Action.STEP) {
                r(e.getKey())[PC] += 4;
                stop = new StopEvent(StopKind.STEPPED, e.getKey(), SIGTRAP, "step");
                break;
            }
        }
        Listener l = listener;
        if (l != null && !runsOn) {
            l.stopped(stop);
        }
    }

    /** A resume runs until the test ends the system (no stop is reported). */
    volatile boolean runsOn;

    @Override
    public void kill() {
        killed = true;
    }

    @Override
    public boolean killed() {
        return killed;
    }

    @Override
    public List<ThreadInfo> threads() {
        List<ThreadInfo> out = new ArrayList<>();
        for (int t = 1; t <= 3; t++) {
            StopEvent end = ends.get(t);
            String state = end == null ? "ready" : end.kind() == StopKind.EXITED ? "exited" : "dead";
            out.add(new ThreadInfo(t, "fake" + t, 1, state, images.getOrDefault(t, "fake.elf"), regs[t - 1][PC]));
        }
        return out;
    }

    @Override
    public long[] readRegisters(int thread) {
        return r(thread).clone();
    }

    @Override
    public void writeRegisters(int thread, long[] values) {
        System.arraycopy(values, 0, r(thread), 0, Math.min(values.length, REGISTER_COUNT));
    }

    @Override
    public long readRegister(int thread, int reg) {
        if (reg < 0 || reg >= REGISTER_COUNT) {
            throw new IllegalArgumentException("no register " + reg);
        }
        return r(thread)[reg];
    }

    @Override
    public void writeRegister(int thread, int reg, long value) {
        if (reg < 0 || reg >= REGISTER_COUNT) {
            throw new IllegalArgumentException("no register " + reg);
        }
        r(thread)[reg] = value;
    }

    @Override
    public int readMemory(int thread, long address, byte[] dst) {
        r(thread);
        int n = 0;
        while (n < dst.length && Long.compareUnsigned(address + n - BASE, mem.length) < 0) {
            dst[n] = mem[(int) (address + n - BASE)];
            n++;
        }
        return n;
    }

    @Override
    public boolean writeMemory(int thread, long address, byte[] src) {
        r(thread);
        if (Long.compareUnsigned(address - BASE, mem.length) >= 0
                || Long.compareUnsigned(address - BASE + src.length, mem.length) > 0) {
            return false;
        }
        System.arraycopy(src, 0, mem, (int) (address - BASE), src.length);
        return true;
    }

    @Override
    public boolean insertBreakpoint(long address) {
        return breakpoints.size() < 100 && breakpoints.add(address) | true;
    }

    @Override
    public boolean removeBreakpoint(long address) {
        breakpoints.remove(address);
        return true;
    }

    /** Per-task breakpoints (multiprocess), as "thread:address". */
    final Set<String> ownBreakpoints = new HashSet<>();
    /** The threads in their past (reverse execution), whose writes the stub must refuse. */
    final Set<Integer> past = new HashSet<>();
    /** The architecture it claims ({@link #arch}). */
    dev.rewind.hw.cpu.Arch arch = dev.rewind.hw.cpu.Arch.RISCV64;

    @Override
    public boolean inPast(int thread) {
        r(thread);
        return past.contains(thread);
    }

    @Override
    public dev.rewind.hw.cpu.Arch arch() {
        return arch;
    }

    @Override
    public boolean insertBreakpoint(int thread, long address) {
        return ownBreakpoints.add(thread + ":" + Long.toHexString(address)) | true;
    }

    @Override
    public boolean removeBreakpoint(int thread, long address) {
        ownBreakpoints.remove(thread + ":" + Long.toHexString(address));
        return true;
    }

    /** Every live thread's address space ({@link #memoryMap}). */
    volatile List<Mapping> mappings = List.of();

    @Override
    public List<Mapping> memoryMap(int thread) {
        return ends.containsKey(thread) ? List.of() : mappings;
    }

    /** The executables of threads, by id (default: "ELF of N", which does not parse). */
    final Map<Integer, byte[]> executables = new java.util.HashMap<>();
    /** The image names of threads, by id (default: fake.elf). */
    final Map<Integer, String> images = new java.util.HashMap<>();

    @Override
    public byte[] executable(int thread) {
        byte[] elf = executables.get(thread);
        return elf != null ? elf : ("ELF of " + thread).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public boolean insertWatchpoint(WatchKind kind, long address, long length) {
        return length > 0 && length <= 8;
    }

    @Override
    public boolean removeWatchpoint(WatchKind kind, long address, long length) {
        return true;
    }

    @Override
    public void setScope(List<String> names) {
        scope = List.copyOf(names);
    }

    @Override
    public List<String> scope() {
        return scope;
    }
}
