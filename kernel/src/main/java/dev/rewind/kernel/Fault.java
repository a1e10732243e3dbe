package dev.rewind.kernel;

import dev.rewind.hw.GuestText;

/**
 * A trapped fault, attributed to a task.
 *
 * @param pc      the faulting instruction (for RUNAWAY: where the task was stopped)
 * @param address the data address for memory faults (the fetch address for fetch faults), else 0
 * @param where   the PC as "symbol+offset" when the image has symbols
 * @param detail  extra text (the abort message), or ""
 */
public record Fault(FaultKind kind, long pc, long address, String where, String detail) {
    /** {@code where} and {@code detail} may hold guest text (symbol names, abort messages): escaped here. */
    public Fault {
        where = GuestText.escape(where);
        detail = GuestText.escape(detail);
    }

    public boolean hasAddress() {
        return switch (kind) {
            case UNMAPPED_READ,
                    UNMAPPED_WRITE,
                    UNMAPPED_FETCH,
                    PROTECTED_READ,
                    PROTECTED_WRITE,
                    PROTECTED_FETCH,
                    MISALIGNED_ACCESS,
                    STACK_OVERFLOW,
                    PAGE_FAULT_FETCH,
                    PAGE_FAULT_READ,
                    PAGE_FAULT_WRITE,
                    ACCESS_FAULT_FETCH,
                    ACCESS_FAULT_READ,
                    ACCESS_FAULT_WRITE -> true;
            default -> false;
        };
    }

    @Override
    public String toString() {
        return toString((String) null);
    }

    /**
     * As {@link #toString(String)}, with the source line of the pc from {@code task}'s image (its
     * DWARF line table) where it has one; none for an abort, whose pc is the SDK's abort call (its
     * message says where). What `rewind boot`'s end-of-run summary and a debugger's fault stop show.
     */
    public String toString(Task task) {
        String line = kind == FaultKind.ABORT || task.image() == null
                ? null
                : task.image().sourceLine(pc).orElse(null);
        return toString(line);
    }

    /**
     * As {@link #toString()}, with the pc's source line ({@code "file.c:42"}, or null for none)
     * after its symbol: {@code pc 0x1003a (main+0x12 at file.c:42)}.
     */
    public String toString(String sourceLine) {
        StringBuilder sb = new StringBuilder(kind.description());
        if (hasAddress()) {
            sb.append(String.format(" at address 0x%x", address));
        }
        sb.append(String.format(", pc 0x%x", pc));
        boolean named = where != null && !where.isEmpty() && !where.startsWith("0x");
        String at = sourceLine == null ? "" : "at " + GuestText.escape(sourceLine);
        if (named) {
            sb.append(" (").append(where).append(at.isEmpty() ? "" : " " + at).append(')');
        } else if (!at.isEmpty()) {
            sb.append(" (").append(at).append(')');
        }
        if (detail != null && !detail.isEmpty()) {
            sb.append(": ").append(detail);
        }
        return sb.toString();
    }
}
