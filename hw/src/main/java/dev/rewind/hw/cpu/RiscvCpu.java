package dev.rewind.hw.cpu;

import dev.rewind.hw.mem.PhysicalMemory;
import dev.rewind.hw.unicorn.Unicorn;

/**
 * One RISC-V 64 hart bound to one address space: a Unicorn engine that maps only that address
 * space's regions. A task owns one.
 *
 * <p>Unicorn 2.0.1 leaves the PC four bytes past the trapping instruction for every exception
 * (measured for ecall, illegal instructions and a misaligned start), so an ecall's PC is its
 * resume point and any other exception's PC is reported - 4. For a memory fault it reports
 * the start of the translation block; {@link FaultLocator} finds the instruction.
 */
public final class RiscvCpu extends UnicornCpu {
    /** Unicorn's register id for x0; xN is X0 + N. */
    private static final int REG_X0 = 1;

    private static final int REG_PC = 190;
    /** Unicorn's ids of f0 (f0..f31 consecutive), fcsr and mstatus. */
    private static final int REG_F0 = 158, REG_FCSR = 43, REG_MSTATUS = 116;
    /** mstatus.FS (bits 14..13) and its Initial value. */
    private static final long MSTATUS_FS = 3L << 13, MSTATUS_FS_INITIAL = 1L << 13;

    static final int EBREAK = 0x00100073;
    static final int C_EBREAK = 0x9002;

    public static final int RA = 1;
    public static final int SP = 2;
    public static final int GP = 3;
    public static final int A0 = 10;

    /**
     * The rate of the {@code time} CSR (rdtime): 10 MHz, the timebase of QEMU's virt board, counted
     * from the kernel's clock (what CLOCK returns, in nanoseconds since boot). Unicorn has no
     * timer behind the CSR (QEMU reads it from the board's CLINT), so a read traps as an illegal
     * instruction and {@link #completeTrappedInstruction} completes it.
     */
    public static final long TIME_HZ = 10_000_000L;

    /** The {@code time} CSR's number. */
    static final int CSR_TIME = 0xc01;

    /** {@link #readExtended}'s length with the FPU on: f0..f31 (their 64 bits; a float NaN-boxed), then fcsr. */
    public static final int EXTENDED_LENGTH = 33;

    /** The slot of fcsr in {@link #readExtended}'s layout. */
    public static final int FCSR = 32;

    private static final int[] EXT_IDS = new int[EXTENDED_LENGTH];

    /** a0..a7 then pc: read in one native call after an ecall. */
    private static final int[] ECALL_IDS = new int[9];

    private static final int[] ARG_IDS = new int[8];
    private static final int[] ALL_IDS = new int[32];

    static {
        for (int i = 0; i < 8; i++) {
            ARG_IDS[i] = REG_X0 + A0 + i;
            ECALL_IDS[i] = REG_X0 + A0 + i;
        }
        ECALL_IDS[8] = REG_PC;
        for (int i = 0; i < 31; i++) {
            ALL_IDS[i] = REG_X0 + 1 + i;
        }
        ALL_IDS[31] = REG_PC;
        for (int i = 0; i < 32; i++) {
            EXT_IDS[i] = REG_F0 + i;
        }
        EXT_IDS[FCSR] = REG_FCSR;
    }

    public RiscvCpu(PhysicalMemory ram) {
        super(
                ram,
                Unicorn.ARCH_RISCV,
                Unicorn.MODE_RISCV64,
                ARG_IDS,
                ECALL_IDS,
                (1L << Cause.ECALL_U) | (1L << Cause.ECALL_S) | (1L << Cause.ECALL_M));
    }

    /** The floating-point unit is on ({@link #enableFloatingPoint}). */
    private boolean fpu;

    /**
     * Turns the floating-point unit on (mstatus.FS = Initial; the engine marks it Dirty at the
     * first FP write), for a program built for F and D: its f registers and fcsr are then
     * {@link #readExtended}'s. Off (the engine's reset state, kept for soft-float programs, which
     * then pay nothing for registers they never use), F and D instructions trap as illegal.
     */
    @Override
    public void enableFloatingPoint() {
        long mstatus = regs().regRead(REG_MSTATUS);
        regs().regWrite(REG_MSTATUS, (mstatus & ~MSTATUS_FS) | MSTATUS_FS_INITIAL);
        fpu = true;
    }

    @Override
    public Arch arch() {
        return Arch.RISCV64;
    }

    @Override
    protected int pcRegister() {
        return REG_PC;
    }

    @Override
    protected Exit onInterrupt(int intno) {
        if (intno == Cause.ECALL_U || intno == Cause.ECALL_S || intno == Cause.ECALL_M) {
            takeSyscallArgs(); // (read with the run)
            return Exit.ECALL;
        }
        exceptionCause = intno;
        exceptionPc = pc() - 4;
        return Exit.EXCEPTION;
    }

    @Override
    protected Exit onEngineError(int err) {
        // Any other engine error: report it as an exception at the current PC. Unicorn 2.0.1
        // ends an ebreak or c.ebreak this way (the PC at the instruction), not through the hook.
        exceptionPc = pc();
        int insn = FaultLocator.fetch(space, exceptionPc);
        if (insn == EBREAK || insn == C_EBREAK) {
            exceptionCause = Cause.BREAKPOINT;
        } else {
            exceptionCause = err == Unicorn.ERR_INSN_INVALID ? Cause.ILLEGAL_INSN : Cause.INSN_ACCESS;
        }
        return Exit.EXCEPTION;
    }

    /**
     * The destination register if {@code insn} reads the {@code time} CSR without writing it
     * ({@code csrrs}/{@code csrrc} with rs1 = x0, {@code csrrsi}/{@code csrrci} with a zero
     * immediate: {@code rdtime rd} is {@code csrrs rd, time, x0}), else -1. A write is left
     * illegal, as the CSR is read-only.
     */
    static int timeReadDestination(int insn) {
        if ((insn & 0x7f) != 0x73 || (insn >>> 20) != CSR_TIME || ((insn >>> 15) & 31) != 0) {
            return -1;
        }
        int funct3 = (insn >>> 12) & 7;
        return funct3 == 2 || funct3 == 3 || funct3 == 6 || funct3 == 7 ? (insn >>> 7) & 31 : -1;
    }

    @Override
    public boolean completeTrappedInstruction(long nowNanos) {
        if (exceptionCause != Cause.ILLEGAL_INSN) {
            return false;
        }
        int rd = timeReadDestination(FaultLocator.fetch(space, exceptionPc));
        if (rd < 0) {
            return false;
        }
        // nowNanos * 10 MHz / 1 GHz, exact for TIME_HZ dividing 1e9
        setReg(rd, nowNanos / (1_000_000_000L / TIME_HZ));
        setPc(exceptionPc + 4);
        exceptionCause = -1;
        return true;
    }

    @Override
    public FaultLocator.Access accessAt(long pc, long[] regs) {
        return FaultLocator.accessAt(space, pc, regs);
    }

    @Override
    public FaultLocator.Location locate(long reportedPc, long[] regs, long faultAddr, boolean write) {
        return FaultLocator.find(space, reportedPc, regs, faultAddr, write, memFaultPcExact() && reportedPc == pc());
    }

    /** x0..x31; x0 reads 0. */
    public long reg(int x) {
        return x == 0 ? 0 : regs().regRead(REG_X0 + x);
    }

    public void setReg(int x, long v) {
        registerVersion++;
        if (x != 0) {
            regs().regWrite(REG_X0 + x, v);
        }
    }

    /** Write a0..a(count-1) from in[0..count-1]: staged, written by the next run (or register access). */
    public void writeArgs(long[] in, int count) {
        stageResults(in, count);
    }

    private final long[] readAllScratch = new long[32];

    /** x1..x31 into out[1..31] and pc into out[32]; out[0] = 0. out must have length >= 33. */
    public void readAll(long[] out) {
        long[] tmp = readAllScratch; // (the engine's batch buffers are per instance too)
        regs().regReadBatch(ALL_IDS, tmp, 32);
        out[0] = 0;
        System.arraycopy(tmp, 0, out, 1, 31);
        out[32] = tmp[31];
    }

    @Override
    public int extendedLength() {
        return fpu ? EXTENDED_LENGTH : 0;
    }

    /** With the FPU on: f0..f31 into out[0..31], fcsr into out[32] (one native call). */
    @Override
    public void readExtended(long[] out) {
        if (fpu) {
            regs().regReadBatch(EXT_IDS, out, EXTENDED_LENGTH);
        }
    }

    /** Inverse of {@link #readExtended}. */
    @Override
    public void writeExtended(long[] in) {
        if (fpu) {
            registerVersion++;
            regs().regWriteBatch(EXT_IDS, in, EXTENDED_LENGTH);
        }
    }

    /** Inverse of {@link #readAll}. */
    public void writeAll(long[] in) {
        long[] tmp = new long[32];
        System.arraycopy(in, 1, tmp, 0, 31);
        tmp[31] = in[32];
        registerVersion++;
        regs().regWriteBatch(ALL_IDS, tmp, 32);
    }
}
