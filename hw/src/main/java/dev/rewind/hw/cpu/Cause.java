package dev.rewind.hw.cpu;

/**
 * RISC-V exception causes (mcause values) as Unicorn reports them to the interrupt hook; also
 * the kernel's vocabulary for exceptions on every architecture ({@link Aarch64Cpu} translates
 * its own into these).
 *
 * <p>What Unicorn 2.0.1 actually reports (RiscvFaultPcTest): page faults (12, 13, 15) come
 * with the exact PC, but mtval is not written (the interrupt hook replaces the trap entry), so
 * the address is decoded from the instruction. A misaligned AMO or LR is reported as cause 4
 * (load address misaligned) even for an AMO; ordinary misaligned loads and stores do not trap.
 * {@code ebreak} and {@code c.ebreak} do not reach the hook at all: the run ends with an engine
 * error and {@link RiscvCpu} reports {@link #BREAKPOINT} itself.
 */
public final class Cause {
    public static final int INSN_MISALIGNED = 0;
    public static final int INSN_ACCESS = 1;
    public static final int ILLEGAL_INSN = 2;
    public static final int BREAKPOINT = 3;
    public static final int LOAD_MISALIGNED = 4;
    public static final int LOAD_ACCESS = 5;
    public static final int STORE_MISALIGNED = 6;
    public static final int STORE_ACCESS = 7;
    public static final int ECALL_U = 8;
    public static final int ECALL_S = 9;
    public static final int ECALL_M = 11;
    public static final int INSN_PAGE_FAULT = 12;
    public static final int LOAD_PAGE_FAULT = 13;
    public static final int STORE_PAGE_FAULT = 15;

    private Cause() {}

    public static String name(int cause) {
        return switch (cause) {
            case INSN_MISALIGNED -> "instruction address misaligned";
            case INSN_ACCESS -> "instruction access fault";
            case ILLEGAL_INSN -> "illegal instruction";
            case BREAKPOINT -> "breakpoint";
            case LOAD_MISALIGNED -> "load address misaligned";
            case LOAD_ACCESS -> "load access fault";
            case STORE_MISALIGNED -> "store/AMO address misaligned";
            case STORE_ACCESS -> "store/AMO access fault";
            case INSN_PAGE_FAULT -> "instruction page fault";
            case LOAD_PAGE_FAULT -> "load page fault";
            case STORE_PAGE_FAULT -> "store/AMO page fault";
            case ECALL_U, ECALL_S, ECALL_M -> "environment call";
            default -> "exception " + cause;
        };
    }
}
