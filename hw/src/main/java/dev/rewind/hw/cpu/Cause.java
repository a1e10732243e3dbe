package dev.rewind.hw.cpu;

/** RISC-V exception causes (mcause values) as Unicorn reports them to the interrupt hook. */
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

    private Cause() {}

    public static String name(int cause) {
        return switch (cause) {
            case INSN_MISALIGNED -> "instruction address misaligned";
            case INSN_ACCESS -> "instruction access fault";
            case ILLEGAL_INSN -> "illegal instruction";
            case BREAKPOINT -> "breakpoint";
            case LOAD_MISALIGNED -> "load address misaligned";
            case LOAD_ACCESS -> "load access fault";
            case STORE_MISALIGNED -> "store address misaligned";
            case STORE_ACCESS -> "store access fault";
            case ECALL_U, ECALL_S, ECALL_M -> "environment call";
            default -> "exception " + cause;
        };
    }
}
