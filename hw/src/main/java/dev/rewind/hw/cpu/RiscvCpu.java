package dev.rewind.hw.cpu;

import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.PhysicalMemory;
import dev.rewind.hw.unicorn.Unicorn;

/**
 * One RISC-V 64 hart bound to one address space: a Unicorn engine that maps only that address
 * space's regions. A task owns one.
 *
 * <p>Unicorn reports every exception through the interrupt hook with the PC four bytes past
 * the instruction (measured on 2.0.1 for ecall, illegal and misaligned-start cases); an ecall's
 * reported PC is thus its resume point, and for other causes the faulting PC is reported - 4.
 * Memory faults arrive through the invalid-memory hook; their PC, as Unicorn 2.0.1 reports it,
 * is the start of the translation block, so {@link FaultLocator} finds the instruction.
 */
public final class RiscvCpu implements AutoCloseable {
    /** Unicorn's register id for x0; xN is X0 + N. */
    private static final int REG_X0 = 1;
    private static final int REG_PC = 190;
    /** Never reached: run() passes it as "until" so only stop() and faults end a run. */
    public static final long NO_UNTIL = 0xFFFF_FFFF_FFFF_FFFEL;

    public static final int A0 = 10;
    public static final int SP = 2;
    public static final int RA = 1;
    public static final int GP = 3;

    private static final int[] ARG_IDS = new int[8];
    private static final int[] ALL_IDS = new int[32];

    static {
        for (int i = 0; i < 8; i++) {
            ARG_IDS[i] = REG_X0 + A0 + i;
        }
        for (int i = 0; i < 31; i++) {
            ALL_IDS[i] = REG_X0 + 1 + i;
        }
        ALL_IDS[31] = REG_PC;
    }

    private final Unicorn uc;
    private final AddressSpace space;
    private final Unicorn.Hook intrHook;
    private final Unicorn.Hook memHook;
    private EcallHandler ecallHandler;

    private int exceptionCause = -1;
    private long exceptionPc;
    private int memFaultType;
    private long memFaultAddress;
    private int memFaultSize;

    public RiscvCpu(PhysicalMemory ram) {
        this.uc = Unicorn.open(Unicorn.ARCH_RISCV, Unicorn.MODE_RISCV64);
        try {
            this.space = new AddressSpace(ram, uc);
            this.intrHook = uc.hookInterrupt(this::onInterrupt);
            this.memHook = uc.hookMemInvalid(this::onMemInvalid);
        } catch (RuntimeException e) {
            uc.close();
            throw e;
        }
    }

    public AddressSpace memory() {
        return space;
    }

    /** The engine, for debugger-style hooks (code breakpoints). */
    public Unicorn engine() {
        return uc;
    }

    public void setEcallHandler(EcallHandler handler) {
        this.ecallHandler = handler;
    }

    private void onInterrupt(int intno) {
        if (intno == Cause.ECALL_U || intno == Cause.ECALL_S || intno == Cause.ECALL_M) {
            EcallHandler h = ecallHandler;
            if (h == null) {
                exceptionCause = intno;
                exceptionPc = pc() - 4;
                uc.stop();
            } else {
                h.onEcall(this);
            }
            return;
        }
        exceptionCause = intno;
        exceptionPc = pc() - 4;
        uc.stop();
    }

    private boolean onMemInvalid(int type, long address, int size, long value) {
        memFaultType = type;
        memFaultAddress = address;
        memFaultSize = size;
        return false;
    }

    /**
     * Run from {@code pc} until stopped or faulted. After {@link Exit#STOPPED} the PC register
     * holds the resume point.
     */
    public Exit run(long pc) {
        return run(pc, NO_UNTIL);
    }

    /** As {@link #run(long)}, but also stop (as {@link Exit#STOPPED}) when the PC reaches {@code until}. */
    public Exit run(long pc, long until) {
        exceptionCause = -1;
        memFaultType = 0;
        int err = uc.start(pc, until);
        if (exceptionCause >= 0) {
            return Exit.EXCEPTION;
        }
        if (err == Unicorn.ERR_OK) {
            return Exit.STOPPED;
        }
        if (memFaultType != 0) {
            return Exit.MEMORY_FAULT;
        }
        // Any other engine error: report it as an exception at the current PC.
        exceptionCause = err == Unicorn.ERR_INSN_INVALID ? Cause.ILLEGAL_INSN : Cause.INSN_ACCESS;
        exceptionPc = pc();
        return Exit.EXCEPTION;
    }

    /** End the current run. Safe from any thread. */
    public void stop() {
        uc.stop();
    }

    public int exceptionCause() {
        return exceptionCause;
    }

    public long exceptionPc() {
        return exceptionPc;
    }

    /** One of Unicorn.MEM_* (READ/WRITE/FETCH, UNMAPPED/PROT). */
    public int memFaultType() {
        return memFaultType;
    }

    public long memFaultAddress() {
        return memFaultAddress;
    }

    public int memFaultSize() {
        return memFaultSize;
    }

    // ---- registers -------------------------------------------------------------------------

    public long pc() {
        return uc.regRead(REG_PC);
    }

    public void setPc(long pc) {
        uc.regWrite(REG_PC, pc);
    }

    /** x0..x31; x0 reads 0. */
    public long reg(int x) {
        return x == 0 ? 0 : uc.regRead(REG_X0 + x);
    }

    public void setReg(int x, long v) {
        if (x != 0) {
            uc.regWrite(REG_X0 + x, v);
        }
    }

    /** a0..a7 into out[0..7] with one native call. */
    public void readArgs(long[] out) {
        uc.regReadBatch(ARG_IDS, out, 8);
    }

    /** Write a0..a(count-1) from in[0..count-1] with one native call. */
    public void writeArgs(long[] in, int count) {
        uc.regWriteBatch(ARG_IDS, in, count);
    }

    /** x1..x31 into out[1..31] and pc into out[32]; out[0] = 0. out must have length >= 33. */
    public void readAll(long[] out) {
        long[] tmp = new long[32];
        uc.regReadBatch(ALL_IDS, tmp, 32);
        out[0] = 0;
        System.arraycopy(tmp, 0, out, 1, 31);
        out[32] = tmp[31];
    }

    /** Inverse of {@link #readAll}. */
    public void writeAll(long[] in) {
        long[] tmp = new long[32];
        System.arraycopy(in, 1, tmp, 0, 31);
        tmp[31] = in[32];
        uc.regWriteBatch(ALL_IDS, tmp, 32);
    }

    @Override
    public void close() {
        try {
            intrHook.close();
            memHook.close();
            space.close();
        } finally {
            uc.close();
        }
    }
}
