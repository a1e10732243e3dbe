package dev.rewind.kernel;

/** The kinds of task fault the kernel traps and attributes. */
public enum FaultKind {
    ILLEGAL_INSTRUCTION("illegal instruction"),
    MISALIGNED_FETCH("misaligned instruction fetch"),
    MISALIGNED_ACCESS("misaligned data access"),
    UNMAPPED_READ("read of unmapped memory"),
    UNMAPPED_WRITE("write to unmapped memory"),
    UNMAPPED_FETCH("instruction fetch from unmapped memory"),
    PROTECTED_READ("read of protected memory"),
    PROTECTED_WRITE("write to read-only memory"),
    PROTECTED_FETCH("instruction fetch from non-executable memory"),
    /** An access below the stack, in its guard page (or below, with the SP already there). */
    STACK_OVERFLOW("stack overflow"),
    /** Causes 12, 13 and 15: with paging turned on by the guest (satp, MPRV), a failed translation. */
    PAGE_FAULT_FETCH("instruction page fault"),
    PAGE_FAULT_READ("load page fault"),
    PAGE_FAULT_WRITE("store/AMO page fault"),
    /** Causes 1, 5 and 7: an access the hart refused (physical memory protection). */
    ACCESS_FAULT_FETCH("instruction access fault"),
    ACCESS_FAULT_READ("load access fault"),
    ACCESS_FAULT_WRITE("store/AMO access fault"),
    BREAKPOINT("breakpoint instruction (ebreak, brk)"),
    ABORT("explicit abort / failed assertion"),
    RUNAWAY("runaway: no syscall within the task's deadline"),
    DEADLINE("request deadline exceeded"),
    CORRUPT_STATE("corrupt server state found by a check, without a trap");

    private final String description;

    FaultKind(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
