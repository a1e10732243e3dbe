package dev.rewind.hw.cpu;

import dev.rewind.hw.mem.PhysicalMemory;
import dev.rewind.hw.unicorn.Unicorn;

/**
 * One AArch64 core bound to one address space (Unicorn's ARM64 CPU, little endian), the same
 * machine as {@link RiscvCpu} on another instruction set. A task owns one.
 *
 * <p>What Unicorn 2.1.4 does (measured, Aarch64CpuTest): the core starts at EL1 with the MMU
 * off and floating point usable; the project's MMU (the virtual-TLB fill hook, or Unicorn's own
 * page permissions on 2.0.1) decides every access, so SCTLR and the page tables play no part.
 * The interrupt hook replaces the exception entry (no ESR/FAR/ELR is written, the PSTATE and
 * vector are untouched) and reports QEMU's exception number:
 * <ul>
 *   <li>{@code svc}: {@value #EXCP_SWI}, the PC past the instruction (the resume point);
 *       the syscall number is in x8 (guest/sdk/README.md, "ABI summary");
 *   <li>an undefined instruction (or a system register EL1 may not touch):
 *       {@value #EXCP_UDEF}, the PC at the instruction;
 *   <li>{@code brk}: {@value #EXCP_BKPT}, the PC at the instruction;
 *   <li>an alignment fault (exclusive and acquire/release accesses must be aligned; ordinary
 *       loads and stores need not be, SCTLR.A being off): {@value #EXCP_DATA_ABORT}, the PC
 *       at the instruction; a misaligned PC: {@value #EXCP_PREFETCH_ABORT}.
 * </ul>
 * Unmapped and protected accesses are memory faults, from the MMU, with an exact PC; the
 * address of a refused data access is decoded from the instruction ({@link #accessAt}).
 * Exceptions are reported with RISC-V's {@link Cause} numbers.
 *
 * <p>The guest runs at EL1, but its MSR writes to system registers EL0 does not own are refused
 * by a native hook (traps.c, rw_msr_hook; an ILLEGAL_INSTRUCTION at the MSR): an SPSR_EL1 write
 * and ERET could otherwise enter AArch32 state. Each task has its own engine. The floating-point and SIMD
 * registers (q0..q31, fpsr, fpcr) and the flags are not in {@link #readAll}'s layout but are the extended
 * state ({@link #readExtended}), which rollbacks, replays and the debugger save as well.
 */
public final class Aarch64Cpu extends UnicornCpu {
    static final int EXCP_UDEF = 1;
    static final int EXCP_SWI = 2;
    static final int EXCP_PREFETCH_ABORT = 3;
    static final int EXCP_DATA_ABORT = 4;
    static final int EXCP_BKPT = 7;
    /** hvc and smc taken as exceptions (the engine's EL2/EL3): their return address is the next instruction. */
    static final int EXCP_HVC = 11;

    static final int EXCP_SMC = 13;

    /** Unicorn's ids: x0..x28 are consecutive, x29, x30 and sp are not. */
    private static final int REG_X0 = 199;

    private static final int REG_X29 = 1;
    private static final int REG_X30 = 2;
    private static final int REG_SP = 4;
    private static final int REG_NZCV = 3;
    private static final int REG_PC = 260;
    private static final int REG_CPACR_EL1 = 261;
    /** Unicorn's ids of q0 (q0..q31 consecutive; 16 bytes each), fpcr and fpsr (4 bytes each). */
    private static final int REG_Q0 = 104;

    private static final int REG_FPCR = 291;
    private static final int REG_FPSR = 292;

    /** {@link #readExtended}'s length: q0..q31 (two longs each), fpsr, fpcr, nzcv. */
    public static final int EXTENDED_LENGTH = 67;
    /** The slot of fpsr, fpcr and the flags (NZCV, as {@link #flags()}) in {@link #readExtended}'s layout. */
    public static final int FPSR = 64;

    public static final int FPCR = 65;
    public static final int NZCV = 66;
    /** q0..q31, fpsr, fpcr, nzcv: read in one native call. */
    private static final int[] EXT_IDS = new int[35];

    /** The stack pointer's slot in the readAll layout (x0..x30, sp, pc). */
    public static final int SP = 31;

    public static final int LR = 30;
    /** The syscall number's register. */
    public static final int X8 = 8;

    /** x0..x30, sp, pc in readAll order. */
    private static final int[] ALL_IDS = new int[33];
    /** x0..x6, x8 (the syscall number), pc: read in one native call after an svc. */
    private static final int[] SVC_IDS = new int[9];

    private static final int[] RESULT_IDS = new int[8];

    static {
        for (int i = 0; i < 33; i++) {
            ALL_IDS[i] = id(i);
        }
        for (int i = 0; i < 7; i++) {
            SVC_IDS[i] = id(i);
        }
        SVC_IDS[7] = id(X8);
        SVC_IDS[8] = REG_PC;
        for (int i = 0; i < 8; i++) {
            RESULT_IDS[i] = id(i);
        }
        for (int i = 0; i < 32; i++) {
            EXT_IDS[i] = REG_Q0 + i;
        }
        EXT_IDS[32] = REG_FPSR;
        EXT_IDS[33] = REG_FPCR;
        EXT_IDS[34] = REG_NZCV;
    }

    /** Unicorn's id of readAll slot {@code i}. */
    private static int id(int i) {
        if (i < 0 || i > Arch.PC) {
            throw new IllegalArgumentException("no AArch64 register slot " + i);
        }
        return i <= 28 ? REG_X0 + i : i == 29 ? REG_X29 : i == 30 ? REG_X30 : i == SP ? REG_SP : REG_PC;
    }

    public Aarch64Cpu(PhysicalMemory ram) {
        super(ram, Unicorn.ARCH_ARM64, Unicorn.MODE_ARM64, RESULT_IDS, SVC_IDS, 1L << EXCP_SWI);
        // FP/SIMD at EL0 and EL1 without trapping (CPACR_EL1.FPEN = 0b11): picolibc's code uses them.
        regs().regWrite(REG_CPACR_EL1, 3L << 20);
        // The guest runs at EL1: refuse its writes to the system registers EL0 does not own
        // (traps.c, rw_msr_hook). Without this an MSR SPSR_EL1 + ERET enters AArch32 state,
        // which leaves the x registers and the PC the kernel reads stale (fuzz: AArch64 seed 7).
        uc.hookMsrNative(trap);
    }

    @Override
    public String exceptionDetail() {
        String r = refusedSystemRegister();
        if (r != null) {
            return "msr to system register " + r + " refused (a task may write only the registers EL0 owns)";
        }
        long at = exceptionPc;
        if (exceptionCause != Cause.ILLEGAL_INSN
                || (at & 3) != 0
                || space.translate(at, 4, dev.rewind.hw.mem.Perm.EXEC) < 0) {
            return "";
        }
        String later = laterExtension((int) space.load(at, 4, dev.rewind.hw.mem.Perm.EXEC));
        return later == null ? "" : later + " " + NOT_ON_THIS_CPU;
    }

    /** What the CPU is, for an instruction of a later architecture version that it refuses. */
    static final String NOT_ON_THIS_CPU = "is not on this CPU, a Cortex-A72 (ARMv8.0-A with CRC32, AES/PMULL, SHA1,"
            + " SHA2; no LSE atomics, FP16, dot product, RCpc, SVE): build for -march=armv8-a, the SDK's default"
            + " (a -march or -mcpu of ARMv8.1-A or later makes gcc emit them)";

    /**
     * The extension of a later architecture version that {@code insn} belongs to, for the common
     * ones gcc emits when built for one (-march=armv8.1-a and later, -mcpu=neoverse-n1...), which
     * the engine's Cortex-A72 (ARMv8.0-A) refuses as undefined; null for anything else.
     */
    static String laterExtension(int insn) {
        if ((insn & 0x3F200C00) == 0x38200000) {
            // atomic memory operations: LDADD, LDCLR, LDEOR, LDSET, LD{S,U}{MAX,MIN}, SWP; LDAPR
            return (insn & 0xFC00) == 0xC000
                    ? "an ARMv8.3 load-acquire RCpc (LDAPR)"
                    : "an ARMv8.1 LSE atomic (LDADD, LDSET, SWP...)";
        }
        // load/store exclusive with o1 = 1 and Rt2 = 31: CAS (bit 23 set) or CASP (bit 31 clear);
        // ARMv8.0's LDXP/STXP family has bit 31 set and bit 23 clear
        if ((insn & 0x3F207C00) == 0x08207C00 && (insn & 0x80800000) != 0x80000000) {
            return "an ARMv8.1 LSE compare-and-swap (CAS, CASP)";
        }
        if ((insn & 0x7FE00000) == 0x1EE00000) {
            return "an ARMv8.2 half-precision (FP16) instruction";
        }
        if ((insn & 0x9FE0FC00) == 0x0E809400) {
            return "an ARMv8.2 dot product (SDOT, UDOT)";
        }
        if ((insn & 0xFFFFFC00) == 0x1E7E0000) {
            return "an ARMv8.3 FJCVTZS";
        }
        if ((insn & 0x1E000000) == 0x04000000) {
            return "an SVE instruction";
        }
        return null;
    }

    /** After an exception of {@link Cause#ILLEGAL_INSN} from a refused MSR: its register (else -1). */
    private int refusedSysreg = -1;

    /**
     * The system register of the last refused MSR as {@code S<op0>_<op1>_C<n>_C<m>_<op2>}, or
     * null if the last exception was not one.
     */
    public String refusedSystemRegister() {
        int e = refusedSysreg;
        return e < 0
                ? null
                : String.format("S%d_%d_C%d_C%d_%d", e >> 19 & 3, e >> 16 & 7, e >> 12 & 15, e >> 8 & 15, e >> 5 & 7);
    }

    @Override
    public Arch arch() {
        return Arch.AARCH64;
    }

    @Override
    protected int pcRegister() {
        return REG_PC;
    }

    /**
     * As {@link UnicornCpu#run(long, long)}, but a run that went to a PC that is not a multiple
     * of 4 ends as the PC alignment fault it is ({@link Cause#INSN_MISALIGNED} at that PC), however
     * it ended. The engine (QEMU 5) does not check the PC's alignment when it fetches: after a
     * BR to TEXT + 0x3a it decodes the words straddling two instructions (fuzz: AArch64 seed
     * 8100120, where one was a load from an unmapped page, reported as that load's fault at the
     * odd PC). What those words did before the run ended stays done, as with any fault; but an
     * svc among them is not served as a syscall, and a stop there is not resumed.
     */
    @Override
    public Exit run(long pc, long until) {
        Exit e = super.run(pc, until);
        long at = switch (e) {
            case ECALL -> args()[8] - 4;
            case EXCEPTION -> exceptionCause == Cause.INSN_MISALIGNED ? 0 : exceptionPc;
            case MEMORY_FAULT, STOPPED -> pc();
        };
        if ((at & 3) == 0 || (e == Exit.STOPPED && at == until)) {
            return e;
        }
        exceptionPc = at;
        exceptionCause = Cause.INSN_MISALIGNED;
        refusedSysreg = -1;
        return Exit.EXCEPTION;
    }

    @Override
    protected Exit onInterrupt(int intno) {
        if (intno == EXCP_SWI) {
            takeSyscallArgs(); // (read with the run)
            return Exit.ECALL;
        }
        long pc = pc();
        exceptionPc = pc;
        refusedSysreg = -1;
        if (intno == Unicorn.INTNO_MSR) {
            refusedSysreg = trap.refusedSysreg();
            exceptionPc = trap.refusedMsrOvertaken() ? msrBefore(pc, refusedSysreg) : refusedMsrPc(pc, refusedSysreg);
            exceptionCause = Cause.ILLEGAL_INSN;
            return Exit.EXCEPTION;
        }
        if ((pc & 3) != 0 && (intno == EXCP_UDEF || intno == EXCP_PREFETCH_ABORT)) {
            // a branch to a misaligned address: QEMU raises the PC alignment fault as an
            // undefined instruction at the target (fuzz: BR to TEXT + 6)
            exceptionCause = Cause.INSN_MISALIGNED;
            return Exit.EXCEPTION;
        }
        exceptionCause = switch (intno) {
            case EXCP_UDEF -> Cause.ILLEGAL_INSN;
            case EXCP_BKPT -> Cause.BREAKPOINT;
            case EXCP_PREFETCH_ABORT -> (pc & 3) != 0 ? Cause.INSN_MISALIGNED : Cause.INSN_ACCESS;
            case EXCP_DATA_ABORT -> dataAbortCause(pc);
            default -> Cause.ILLEGAL_INSN; // hvc, smc and the like: nothing a task may use
        };
        if (intno == EXCP_HVC || intno == EXCP_SMC) {
            exceptionPc = pc - 4; // (taken like svc, past the instruction: fuzz AArch64 seed 9000935)
        }
        return Exit.EXCEPTION;
    }

    /**
     * Where the refused MSR of register {@code sysreg} is, the run having stopped with the PC at
     * {@code pc}. A write to a register the core knows ends its translation block, so the PC
     * is just past the MSR. A write to one it does not know (an implementation-defined
     * encoding) stops the engine at once with the PC as last stored: the start of the MSR's
     * block (fuzz: AArch64 seed 30 reported the svc before it). So: the instruction before the
     * PC if it is that MSR, else the first such MSR on the straight-line code from the PC.
     */
    private long refusedMsrPc(long pc, int sysreg) {
        if (isMsrOf(pc - 4, sysreg)) {
            return pc - 4;
        }
        for (long at = pc; at < pc + 4 * MAX_BLOCK_INSNS; at += 4) {
            if (isMsrOf(at, sysreg)) {
                return at;
            }
            if (!fallsThrough(at)) {
                break; // a block ends at a branch
            }
        }
        // A write that does not end its block (ACTLR_EL1) followed by a branch: the stop came at
        // the target's start (fuzz: AArch64 seed 9000524, reported at the svc before the target)
        long m = msrLeadingTo(pc, sysreg);
        return m >= 0 ? m : pc - 4;
    }

    /**
     * The MSR of register {@code sysreg} whose block (the straight-line code after it, up to its
     * branch) reaches {@code target}, by falling through to it or by that branch; else the only
     * MSR of {@code sysreg} in the task's code; else -1.
     */
    private long msrLeadingTo(long target, int sysreg) {
        long only = -1;
        int count = 0;
        for (dev.rewind.hw.mem.Region r : space.regions()) {
            if ((r.perms() & dev.rewind.hw.mem.Perm.EXEC) == 0) {
                continue;
            }
            for (long at = r.vaddr(); at + 4 <= r.end(); at += 4) {
                if (!isMsrOf(at, sysreg)) {
                    continue;
                }
                count++;
                only = at;
                for (long i = at + 4; i < at + 4 * MAX_BLOCK_INSNS; i += 4) {
                    if (i == target) {
                        return at;
                    }
                    if (space.translate(i, 4, dev.rewind.hw.mem.Perm.EXEC) < 0) {
                        break;
                    }
                    long[] next = successors(i, (int) space.load(i, 4, dev.rewind.hw.mem.Perm.EXEC));
                    if (next.length == 1 && next[0] == i + 4) {
                        continue;
                    }
                    for (long n : next) {
                        if (n == target) {
                            return at;
                        }
                    }
                    break;
                }
            }
        }
        return count == 1 ? only : -1;
    }

    /**
     * The refused MSR of register {@code sysreg} when the run went on past it to an exception
     * (the PC at {@code pc}, past that): the nearest such MSR before it on straight-line code,
     * since the MSR's stop takes effect at the latest at the next block's start.
     */
    private long msrBefore(long pc, int sysreg) {
        for (long at = pc - 4; at >= 0 && at > pc - 4 * MAX_BLOCK_INSNS; at -= 4) {
            if (isMsrOf(at, sysreg)) {
                return at;
            }
            if (at < pc - 4 && !fallsThrough(at)) { // (the instruction at pc - 4 is the exception itself)
                long m = msrLeadingTo(at + 4, sysreg); // a branch: the block began after it
                return m >= 0 ? m : pc - 4;
            }
        }
        return pc - 4;
    }

    /** True if the instruction at {@code at} is executable and only ever goes on to the next one. */
    private boolean fallsThrough(long at) {
        if (space.translate(at, 4, dev.rewind.hw.mem.Perm.EXEC) < 0) {
            return false;
        }
        long[] next = successors(at, (int) space.load(at, 4, dev.rewind.hw.mem.Perm.EXEC));
        return next.length == 1 && next[0] == at + 4;
    }

    /** True if the instruction at {@code at} is an MSR (register) to {@code sysreg}. */
    private boolean isMsrOf(long at, int sysreg) {
        if (at < 0 || (at & 3) != 0 || space.translate(at, 4, dev.rewind.hw.mem.Perm.EXEC) < 0) {
            return false;
        }
        int w = (int) space.load(at, 4, dev.rewind.hw.mem.Perm.EXEC);
        return (w & 0xfff0_0000) == 0xd510_0000 && (w & 0x001f_ffe0) == (sysreg & 0x001f_ffe0);
    }

    /** QEMU's limit on the instructions of one translation block (TCG_MAX_INSNS). */
    private static final int MAX_BLOCK_INSNS = 512;

    /** A data abort that is not the MMU's: an alignment fault, if the access is misaligned. */
    private int dataAbortCause(long pc) {
        long[] regs = new long[Arch.REGISTERS];
        readAll(regs);
        FaultLocator.Access a = accessAt(pc, regs);
        if (a == null) {
            return Cause.LOAD_ACCESS;
        }
        boolean misaligned = (a.address() & (a.size() - 1)) != 0;
        if (misaligned) {
            return a.writes() ? Cause.STORE_MISALIGNED : Cause.LOAD_MISALIGNED;
        }
        return a.writes() ? Cause.STORE_ACCESS : Cause.LOAD_ACCESS;
    }

    @Override
    protected Exit onEngineError(int err) {
        exceptionPc = pc();
        exceptionCause = err == Unicorn.ERR_INSN_INVALID ? Cause.ILLEGAL_INSN : Cause.INSN_ACCESS;
        return Exit.EXCEPTION;
    }

    @Override
    public FaultLocator.Access accessAt(long pc, long[] regs) {
        if ((pc & 3) != 0 || space.translate(pc, 4, dev.rewind.hw.mem.Perm.EXEC) < 0) {
            return null;
        }
        return access((int) space.load(pc, 4, dev.rewind.hw.mem.Perm.EXEC), regs);
    }

    /**
     * Where a data fault happened. With the virtual TLB (Unicorn 2.1) the PC is exact: the MMU's
     * fill hook refuses the access with the PC restored. Unicorn 2.0.1 reports a memory fault
     * with the PC of the translation block's start (or earlier, after chained blocks), as on
     * RISC-V ({@link FaultLocator}): then the instruction is searched forward from there over
     * the direct control flow (straight-line code, both sides of B.cond, CBZ/CBNZ and TBZ/TBNZ,
     * the targets of B and BL; never through BR, BLR, RET or an exception-generating
     * instruction, which store the PC), among loads and stores whose address, computed from the
     * exact registers, covers the fault address; the nearest wins.
     */
    @Override
    public FaultLocator.Location locate(long reportedPc, long[] regs, long faultAddr, boolean write) {
        if (virtualTlb()) {
            return new FaultLocator.Location(reportedPc, java.util.List.of(), true);
        }
        java.util.ArrayDeque<long[]> queue = new java.util.ArrayDeque<>(); // {pc, distance}
        java.util.Set<Long> seen = new java.util.HashSet<>();
        java.util.List<Long> found = new java.util.ArrayList<>();
        long foundAt = Long.MAX_VALUE;
        queue.add(new long[] {reportedPc, 0});
        while (!queue.isEmpty() && seen.size() < FaultLocator.MAX_VISIT) {
            long[] e = queue.poll();
            long pc = e[0];
            if (e[1] > foundAt) {
                break; // breadth-first: every candidate at the smallest distance is found
            }
            if (!seen.add(pc) || (pc & 3) != 0 || space.translate(pc, 4, dev.rewind.hw.mem.Perm.EXEC) < 0) {
                continue;
            }
            int insn = (int) space.load(pc, 4, dev.rewind.hw.mem.Perm.EXEC);
            FaultLocator.Access a = access(insn, regs);
            if (a != null
                    && (write ? a.writes() : a.reads())
                    && Long.compareUnsigned(faultAddr - a.address(), a.size()) < 0) {
                found.add(pc);
                foundAt = e[1];
            }
            for (long next : successors(pc, insn)) {
                queue.add(new long[] {next, e[1] + 1});
            }
        }
        if (found.isEmpty()) {
            return new FaultLocator.Location(reportedPc, java.util.List.of(), false);
        }
        java.util.Collections.sort(found);
        return new FaultLocator.Location(found.get(0), found.subList(1, found.size()), true);
    }

    /** The direct successors of {@code insn} at {@code pc} (none after an indirect branch or an exception). */
    static long[] successors(long pc, int insn) {
        if ((insn & 0x7C000000) == 0x14000000) { // B, BL imm26
            return new long[] {pc + (((long) insn << 38) >> 36)};
        }
        if ((insn & 0xFF000010) == 0x54000000 // B.cond imm19
                || (insn & 0x7E000000) == 0x34000000) { // CBZ/CBNZ imm19
            return new long[] {pc + 4, pc + (((long) insn << 40) >> 45 << 2)};
        }
        if ((insn & 0x7E000000) == 0x36000000) { // TBZ/TBNZ imm14
            return new long[] {pc + 4, pc + (((long) insn << 45) >> 50 << 2)};
        }
        if ((insn & 0xFE000000) == 0xD6000000 // BR, BLR, RET, ERET
                || (insn & 0xFF000000) == 0xD4000000) { // SVC, HVC, SMC, BRK, HLT
            return new long[0];
        }
        return new long[] {pc + 4};
    }

    /**
     * The data access of load/store instruction {@code insn} with registers {@code regs}
     * (readAll layout), or null if it is none of the forms decoded: single registers (unsigned
     * offset, unscaled, pre/post-indexed, register offset), pairs, exclusives and
     * acquire/release, and the LSE atomics. An access of two registers reports their total size.
     */
    static FaultLocator.Access access(int insn, long[] regs) {
        long base = regs[(insn >>> 5) & 31]; // Rn = 31 is sp, slot 31
        int size = insn >>> 30;
        boolean simd = ((insn >>> 26) & 1) != 0;
        if ((insn & 0x3B000000) == 0x39000000) { // load/store register, unsigned offset
            int opc = (insn >>> 22) & 3;
            int scale = simd && (opc & 2) != 0 ? 4 : size;
            if (!simd && size == 3 && opc == 2) {
                return null; // prfm
            }
            long imm = ((insn >>> 10) & 0xFFF) << scale;
            return new FaultLocator.Access(opc == 0 ? 2 : 1, base + imm, 1 << scale);
        }
        if ((insn & 0x3B200000) == 0x38000000) { // unscaled, pre/post-indexed, unprivileged
            int opc = (insn >>> 22) & 3;
            int scale = simd && (opc & 2) != 0 ? 4 : size;
            long simm9 = (insn << 11) >> 23;
            int mode = (insn >>> 10) & 3;
            long addr = mode == 1 ? base : base + simm9;
            return new FaultLocator.Access(opc == 0 ? 2 : 1, addr, 1 << scale);
        }
        if ((insn & 0x3B200C00) == 0x38200800) { // register offset
            int opc = (insn >>> 22) & 3;
            int scale = simd && (opc & 2) != 0 ? 4 : size;
            int m = (insn >>> 16) & 31;
            long rm = m == 31 ? 0 : regs[m];
            int option = (insn >>> 13) & 7;
            long off = switch (option) {
                case 2 -> rm & 0xFFFF_FFFFL; // uxtw
                case 6 -> (long) (int) rm; // sxtw
                default -> rm; // lsl / sxtx
            };
            boolean shift = ((insn >>> 12) & 1) != 0;
            return new FaultLocator.Access(opc == 0 ? 2 : 1, base + (shift ? off << scale : off), 1 << scale);
        }
        if ((insn & 0x3A000000) == 0x28000000) { // load/store pair
            int opc = insn >>> 30;
            int elt = simd ? 4 << opc : (opc & 2) != 0 ? 8 : 4;
            boolean load = ((insn >>> 22) & 1) != 0;
            long simm7 = ((long) (insn << 10) >> 25) * elt;
            int mode = (insn >>> 23) & 3;
            long addr = mode == 1 ? base : base + simm7;
            return new FaultLocator.Access(load ? 1 : 2, addr, 2 * elt);
        }
        if ((insn & 0x3F000000) == 0x08000000) { // exclusive, acquire/release
            boolean load = ((insn >>> 22) & 1) != 0;
            boolean pair = ((insn >>> 21) & 1) != 0 && (insn & 0x00800000) == 0;
            return new FaultLocator.Access(load ? 1 : 2, base, (1 << size) * (pair ? 2 : 1));
        }
        if ((insn & 0x3B200C00) == 0x38200000) { // LSE atomics: read and write
            return new FaultLocator.Access(3, base, 1 << size);
        }
        return null;
    }

    /**
     * The base register (Rn, bits 9..5; 31 is sp, slot 31) of load/store {@code insn} if it is
     * one of the forms {@link #access} decodes, else -1 (also for a prefetch).
     */
    static int loadStoreBase(int insn) {
        long[] probe = new long[Arch.REGISTERS];
        return access(insn, probe) == null ? -1 : (insn >>> 5) & 31;
    }

    /** x0..x30 for 0..30, sp for 31. */
    public long reg(int x) {
        return regs().regRead(id(x));
    }

    public void setReg(int x, long v) {
        registerVersion++;
        regs().regWrite(id(x), v);
    }

    /** Write x0..x(count-1) from in[0..count-1]: staged, written by the next run (or register access). */
    public void writeArgs(long[] in, int count) {
        stageResults(in, count);
    }

    @Override
    public long flags() {
        return regs().regRead(REG_NZCV) & 0xF000_0000L;
    }

    @Override
    public void setFlags(long v) {
        registerVersion++;
        regs().regWrite(REG_NZCV, v & 0xF000_0000L);
    }

    /** x0..x30 into out[0..30], sp into out[31], pc into out[32]. out must have length >= 33. */
    public void readAll(long[] out) {
        regs().regReadBatch(ALL_IDS, out, 33);
    }

    /** Inverse of {@link #readAll}. */
    public void writeAll(long[] in) {
        registerVersion++;
        regs().regWriteBatch(ALL_IDS, in, 33);
    }

    /** Scratch for the extended registers: 16 bytes a register, as the engine reads them. */
    private final long[] wide = new long[2 * 35];

    @Override
    public int extendedLength() {
        return EXTENDED_LENGTH;
    }

    /**
     * q0..q31 into out[0..63] (low half first), fpsr into out[64], fpcr into out[65], the NZCV
     * flags into out[66] (bits 31..28; a checkpoint taken between a compare and its branch needs
     * them).
     */
    @Override
    public void readExtended(long[] out) {
        regs().regReadBatchWide(EXT_IDS, wide, 35);
        System.arraycopy(wide, 0, out, 0, 64);
        out[FPSR] = wide[64] & 0xFFFF_FFFFL; // (4-byte registers: the rest of the slot is stale)
        out[FPCR] = wide[66] & 0xFFFF_FFFFL;
        out[NZCV] = wide[68] & 0xF000_0000L;
    }

    @Override
    public void writeExtended(long[] in) {
        registerVersion++;
        System.arraycopy(in, 0, wide, 0, 64);
        wide[64] = in[FPSR];
        wide[66] = in[FPCR];
        wide[68] = in[NZCV] & 0xF000_0000L;
        regs().regWriteBatchWide(EXT_IDS, wide, 35);
    }
}
