package dev.rewind.kernel.probe;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.Region;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A seeded, deterministic software fault injector in the style of Nooks, EDFI and OSIRIS: it
 * strikes one server at one instruction of one request and corrupts its state in one of
 * {@link Type}'s ways. Everything (the request, the instruction, the register, the bit) is
 * derived from the plan's seed, so an injection is reproduced by its seed alone.
 *
 * <p>Mechanism ({@link RequestStrike}): when the planned request is delivered, a code hook
 * counting the server's instructions is installed. At the planned instruction the hook stops
 * the engine; the hook is removed, the fault applied with the engine at rest, and the server
 * runs on. If the server replies before the planned instruction, the fault is not activated.
 */
public final class FaultInjector extends RequestStrike {
    /** The kinds of fault the injector can inject. */
    public enum Type {
        REGISTER_BIT_FLIP("register bit flip"),
        MEMORY_BIT_FLIP("memory bit flip"),
        INSTRUCTION_CORRUPTION("instruction corruption"),
        INSTRUCTION_SKIP("instruction skip"),
        NULL_POINTER("null pointer"),
        WILD_POINTER("wild pointer"),
        INFINITE_LOOP("infinite loop"),
        FAILED_ASSERTION("failed assertion"),
        /**
         * A bit flip in live data: a byte of a page (data, bss or heap) that the server read or
         * wrote in its last {@value #LIVE_REQUESTS} requests. Not in {@link #DEFAULTS}, so that
         * a seed keeps naming the same injection as before it existed.
         */
        LIVE_MEMORY_BIT_FLIP("live memory bit flip");

        /** The types a campaign injects unless told otherwise. */
        public static final List<Type> DEFAULTS = List.of(
                REGISTER_BIT_FLIP,
                MEMORY_BIT_FLIP,
                INSTRUCTION_CORRUPTION,
                INSTRUCTION_SKIP,
                NULL_POINTER,
                WILD_POINTER,
                INFINITE_LOOP,
                FAILED_ASSERTION);

        private final String label;

        Type(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** Parse "register-bit-flip", "REGISTER_BIT_FLIP" or "register bit flip". */
        public static Type parse(String s) {
            String n = s.trim().toUpperCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
            for (Type t : values()) {
                if (t.name().equals(n)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown fault type '" + s + "' (expected one of: "
                    + String.join(
                            ", ",
                            List.of(values()).stream()
                                    .map(t -> t.name().toLowerCase(Locale.ROOT).replace('_', '-'))
                                    .toList())
                    + ")");
        }
    }

    /**
     * One injection: strike {@code server} at its {@code instruction}-th instruction (1-based)
     * while it handles its {@code request}-th request (1-based), or in {@link Window#AFTER_REPLY}
     * at its {@code instruction}-th instruction after its reply to that request.
     */
    public record Plan(long seed, Type type, String server, int request, long instruction, Window window) {
        /** A plan in the {@link Window#REQUEST} window. */
        public Plan(long seed, Type type, String server, int request, long instruction) {
            this(seed, type, server, request, instruction, Window.REQUEST);
        }

        /**
         * The plan for {@code seed}: a type from {@code types}, a request, and an instruction
         * within that request's length (from a profiling run: {@code lengths[i]} is the number
         * of instructions request i+1 took).
         */
        public static Plan of(long seed, List<Type> types, String server, long[] lengths) {
            if (lengths.length == 0) {
                throw new IllegalArgumentException("server '" + server + "' handled no requests in the profiling run");
            }
            // Types go round-robin by seed, so every type gets its share; the rest is drawn from a
            // well-mixed generator (java.util.Random's first draws from consecutive seeds correlate).
            Type type = types.get((int) Math.floorMod(seed, (long) types.size()));
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
            int request = 1 + r.nextInt(lengths.length);
            long len = Math.max(1, lengths[request - 1]);
            long instruction = 1 + r.nextLong(len);
            return new Plan(seed, type, server, request, instruction);
        }

        /**
         * The plan for {@code seed} in {@link Window#AFTER_REPLY}: {@code gaps[i]} is the number of
         * instructions the server ran after its reply to request i+1 in the profiling run. The
         * request is drawn among those with a gap of at least one instruction (a server whose
         * reply and next receive are one system call runs none after most replies), so that nearly
         * every plan is activated.
         */
        public static Plan after(long seed, List<Type> types, String server, long[] gaps) {
            int n = 0;
            for (long g : gaps) {
                n += g > 0 ? 1 : 0;
            }
            if (n == 0) {
                throw new IllegalArgumentException("server '" + server + "' ran no instruction after any of its "
                        + gaps.length + " replies in the profiling run (its reply and next receive are one system"
                        + " call, and nothing woke it between requests): nothing to strike after a reply");
            }
            Type type = types.get((int) Math.floorMod(seed, (long) types.size()));
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
            int pick = r.nextInt(n);
            int request = 0;
            for (int i = 0; i < gaps.length; i++) {
                if (gaps[i] > 0 && pick-- == 0) {
                    request = i + 1;
                    break;
                }
            }
            long instruction = 1 + r.nextLong(gaps[request - 1]);
            return new Plan(seed, type, server, request, instruction, Window.AFTER_REPLY);
        }

        /** Where it strikes, for logs and reports: "request 12, instruction 40" or "after the reply to request 12, instruction 40". */
        public String where() {
            return (window == Window.AFTER_REPLY ? "after the reply to request " : "request ") + request
                    + ", instruction " + instruction;
        }
    }

    /** Requests before the struck one whose data accesses define live data. */
    public static final int LIVE_REQUESTS = 16;

    private final Plan plan;
    private boolean activated;
    private String what = "";
    /** Pages the server read or wrote in the requests before the struck one (live data). */
    private final java.util.TreeSet<Long> livePages = new java.util.TreeSet<>();

    private dev.rewind.hw.cpu.Cpu.PageRecord liveHook;

    public FaultInjector(Plan plan) {
        super(plan.server(), plan.instruction(), plan.window());
        this.plan = plan;
    }

    public Plan plan() {
        return plan;
    }

    /** True once the fault was applied (the planned instruction was reached). */
    public boolean activated() {
        return activated;
    }

    /** What exactly was corrupted, for reports. */
    public String description() {
        return what;
    }

    @Override
    protected void began(Task t, int request) {
        if (plan.type() == Type.LIVE_MEMORY_BIT_FLIP
                && request < plan.request()
                && request >= plan.request() - LIVE_REQUESTS
                && liveHook == null) {
            // (costs the slow memory path for these few requests only; the pages are recorded
            // natively: a hook into Java per access had made a heavy request overrun its deadline)
            liveHook = t.cpu().recordDataPages();
            t.cpu().dropCodeTranslations(); // code translated before the hook would not call it
        }
    }

    @Override
    protected void ended(Task t, int request) {
        if (liveHook != null) {
            for (long page : liveHook.pages()) {
                livePages.add(page);
            }
            liveHook.close();
            liveHook = null;
        }
    }

    @Override
    protected boolean strikes(int request) {
        return !activated && request == plan.request();
    }

    @Override
    protected Fault strike(Task t, int request) {
        activated = true;
        return corrupt(t);
    }

    private Fault corrupt(Task t) {
        Random r =
                new Random(new java.util.SplittableRandom(plan.seed()).split().nextLong());
        Cpu cpu = t.cpu();
        Arch arch = cpu.arch();
        long pc = t.pc();
        switch (plan.type()) {
            case REGISTER_BIT_FLIP -> {
                // The general registers, and the FP/SIMD ones where the task's unit is on (a
                // soft-float RISC-V task draws as it did before the FPU existed: same seed, same flip).
                int[] regs = arch.corruptibleRegisters();
                int fp = cpu.extendedLength() > 0 ? arch.fpRegisters() : 0;
                int pick = r.nextInt(regs.length + fp);
                if (pick < regs.length) {
                    int reg = regs[pick];
                    int bit = r.nextInt(64);
                    cpu.setReg(reg, cpu.reg(reg) ^ (1L << bit));
                    what = String.format("flipped bit %d of %s at pc 0x%x", bit, arch.numberedName(reg), pc);
                } else {
                    int f = pick - regs.length;
                    int bit = r.nextInt(arch.fpRegisterBits());
                    long[] ext = new long[cpu.extendedLength()];
                    cpu.readExtended(ext);
                    ext[arch.fpExtendedSlot(f, bit)] ^= 1L << (bit % 64);
                    cpu.writeExtended(ext);
                    what = String.format("flipped bit %d of %s at pc 0x%x", bit, arch.fpRegisterName(f), pc);
                }
            }
            case LIVE_MEMORY_BIT_FLIP -> {
                if (liveHook != null) { // (still recording: an earlier request ended without a reply)
                    for (long page : liveHook.pages()) {
                        livePages.add(page);
                    }
                }
                List<long[]> ranges = new ArrayList<>();
                long total = 0;
                for (long[] rg : dataRanges(t)) {
                    for (Long page : livePages.subSet(rg[0] & -4096L, rg[1])) {
                        long from = Math.max(page, rg[0]);
                        long to = Math.min(page + 4096, rg[1]);
                        if (to > from) {
                            ranges.add(new long[] {from, to});
                            total += to - from;
                        }
                    }
                }
                if (ranges.isEmpty()) {
                    what = String.format("no live data page (pc 0x%x): nothing flipped", pc);
                    return null;
                }
                what = "live: " + flip(cpu, ranges, total, r, pc);
            }
            case MEMORY_BIT_FLIP -> {
                List<long[]> ranges = dataRanges(t);
                long total = 0;
                for (long[] rg : ranges) {
                    total += rg[1] - rg[0];
                }
                what = flip(cpu, ranges, total, r, pc);
            }
            case INSTRUCTION_CORRUPTION -> {
                int len = insnLength(cpu, arch, pc);
                int bit = r.nextInt(len * 8);
                byte[] b = new byte[1];
                long addr = pc + bit / 8;
                if (cpu.memory().read(addr, b, 0, 1)) {
                    b[0] ^= (byte) (1 << (bit % 8));
                    cpu.memory().write(addr, b, 0, 1, Perm.NONE);
                    cpu.dropCodeTranslations();
                }
                what = String.format("flipped bit %d of the instruction at 0x%x", bit, pc);
            }
            case INSTRUCTION_SKIP -> {
                int len = insnLength(cpu, arch, pc);
                t.resumeAt(pc + len);
                what = String.format("skipped the %d-byte instruction at 0x%x", len, pc);
            }
            case NULL_POINTER, WILD_POINTER -> {
                int reg = pointerRegister(cpu, arch, pc, r);
                long value = plan.type() == Type.NULL_POINTER ? 0 : (r.nextLong() & 0x0000_7fff_ffff_fff8L);
                cpu.setReg(reg, value);
                what = String.format("set %s to 0x%x at pc 0x%x", arch.numberedName(reg), value, pc);
            }
            case INFINITE_LOOP -> {
                byte[] loop = arch.jumpToSelf(insnLength(cpu, arch, pc));
                cpu.memory().write(pc, loop, 0, loop.length, Perm.NONE);
                cpu.dropCodeTranslations();
                what = String.format("replaced the instruction at 0x%x with a jump to itself", pc);
            }
            case FAILED_ASSERTION -> {
                what = String.format("failed assertion at pc 0x%x", pc);
                return new Fault(FaultKind.ABORT, pc, 0, t.image().describe(pc), "injected assertion failure");
            }
        }
        return null;
    }

    /** The server's data: writable regions but the stack and the IPC buffer, the heap up to the break. */
    private static List<long[]> dataRanges(Task t) {
        List<long[]> ranges = new ArrayList<>();
        for (Region reg : t.cpu().memory().regions()) {
            if ((reg.perms() & Perm.WRITE) == 0
                    || reg.name().equals("stack")
                    || reg.name().equals("ipc")) {
                continue;
            }
            long end = reg.name().equals("heap") ? Math.min(reg.end(), Math.max(reg.vaddr(), t.brk())) : reg.end();
            if (end > reg.vaddr()) {
                ranges.add(new long[] {reg.vaddr(), end});
            }
        }
        return ranges;
    }

    /** Flip one bit of a byte drawn uniformly from {@code ranges} ({@code total} bytes); says what. */
    private static String flip(Cpu cpu, List<long[]> ranges, long total, Random r, long pc) {
        long pick = Math.floorMod(r.nextLong(), Math.max(1, total));
        long addr = ranges.isEmpty() ? 0 : ranges.get(0)[0];
        for (long[] rg : ranges) {
            if (pick < rg[1] - rg[0]) {
                addr = rg[0] + pick;
                break;
            }
            pick -= rg[1] - rg[0];
        }
        int bit = r.nextInt(8);
        byte[] b = new byte[1];
        if (!ranges.isEmpty() && cpu.memory().read(addr, b, 0, 1)) {
            b[0] ^= (byte) (1 << bit);
            // As a flip in the memory itself: not a store of the server's, so not in the open
            // transaction's undo log. (Logged, the rollback of the struck request, or a history
            // replay past it, undid the fault itself: a flip into a page no request had written
            // was always repaired, which a real one is not.)
            cpu.memory().writeUnlogged(addr, b, 0, 1);
        }
        return String.format("flipped bit %d of the byte at 0x%x (pc 0x%x)", bit, addr, pc);
    }

    /** The length of the instruction at pc (4 if it cannot be read). */
    /** The length of the instruction at {@code pc} ({@link Arch#instructionLength}; 4 if it cannot be read). */
    public static int instructionLength(Cpu cpu, long pc) {
        return insnLength(cpu, cpu.arch(), pc);
    }

    private static int insnLength(Cpu cpu, Arch arch, long pc) {
        byte[] b = new byte[2];
        if (!cpu.memory().read(pc, b, 0, 2) && !cpu.memory().read(pc, b, 0, 1)) {
            return 4;
        }
        return arch.instructionLength((b[0] & 0xff) | (b[1] & 0xff) << 8);
    }

    /**
     * The base register of the load or store at pc ({@link Arch#loadStoreBase}), else one of
     * the registers likely to hold a pointer ({@link Arch#pointerRegisters}), drawn from {@code r}.
     */
    private static int pointerRegister(Cpu cpu, Arch arch, long pc, Random r) {
        byte[] b = new byte[4];
        if (cpu.memory().read(pc, b, 0, 4) || cpu.memory().read(pc, b, 0, 2)) {
            int insn = (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
            int base = arch.loadStoreBase(insn);
            if (base >= 0) {
                return base;
            }
        }
        int[] candidates = arch.pointerRegisters();
        return candidates[r.nextInt(candidates.length)];
    }
}
