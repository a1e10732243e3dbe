package dev.rewind.tools.gdb;

import dev.rewind.kernel.Fault;
import dev.rewind.kernel.FaultKind;

/**
 * The machine-mode trap CSRs a RISC-V developer looks at after a trap, as a hart would have
 * set them for a task's fault: {@code mcause} (the exception code; an interrupt has bit 63
 * set), {@code mtval} (the faulting address, 0 where the hart gives none) and {@code mepc}
 * (the faulting instruction). Computed from the kernel's fault report; faults the kernel
 * detects in software are given the nearest cause: an abort or corrupt server state is the
 * {@code ecall} that reported it (8), a runaway or deadline is the timer interrupt that ended
 * the slice (bit 63 | 7). A misaligned data access does not say whether it loaded or stored:
 * it is reported as a misaligned load (4).
 */
record Csrs(long mcause, long mtval, long mepc) {
    /** Register numbers in the target description (after x0..x31 and pc). */
    static final int MEPC = 33;

    static final int MCAUSE = 34;
    static final int MTVAL = 35;
    static final int COUNT = 36;

    static final Csrs NONE = new Csrs(0, 0, 0);

    static Csrs of(Fault f) {
        if (f == null) {
            return NONE;
        }
        long cause = switch (f.kind()) {
            case MISALIGNED_FETCH -> 0;
            case UNMAPPED_FETCH, PROTECTED_FETCH, ACCESS_FAULT_FETCH -> 1;
            case ILLEGAL_INSTRUCTION -> 2;
            case BREAKPOINT -> 3;
            case MISALIGNED_ACCESS -> 4;
            case UNMAPPED_READ, PROTECTED_READ, ACCESS_FAULT_READ -> 5;
            case UNMAPPED_WRITE, PROTECTED_WRITE, ACCESS_FAULT_WRITE, STACK_OVERFLOW -> 7;
            case PAGE_FAULT_FETCH -> 12;
            case PAGE_FAULT_READ -> 13;
            case PAGE_FAULT_WRITE -> 15;
            case RUNAWAY, DEADLINE -> Long.MIN_VALUE | 7;
            default -> 8; // ABORT, CORRUPT_STATE: reported through an ecall
        };
        long tval = f.hasAddress() || f.kind() == FaultKind.MISALIGNED_FETCH
                ? f.address()
                : f.kind() == FaultKind.BREAKPOINT ? f.pc() : 0;
        return new Csrs(cause, tval, f.pc());
    }

    long get(int reg) {
        return switch (reg) {
            case MEPC -> mepc;
            case MCAUSE -> mcause;
            default -> mtval;
        };
    }
}
