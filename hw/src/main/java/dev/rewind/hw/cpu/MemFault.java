package dev.rewind.hw.cpu;

import dev.rewind.hw.unicorn.Unicorn;

/** The kinds of memory fault {@link Cpu#memFaultType()} reports. */
public final class MemFault {
    public static final int READ_UNMAPPED = Unicorn.MEM_READ_UNMAPPED;
    public static final int WRITE_UNMAPPED = Unicorn.MEM_WRITE_UNMAPPED;
    public static final int FETCH_UNMAPPED = Unicorn.MEM_FETCH_UNMAPPED;
    public static final int WRITE_PROT = Unicorn.MEM_WRITE_PROT;
    public static final int READ_PROT = Unicorn.MEM_READ_PROT;
    public static final int FETCH_PROT = Unicorn.MEM_FETCH_PROT;

    private MemFault() {}

    /** True for a store's fault. */
    public static boolean isWrite(int type) {
        return type == WRITE_UNMAPPED || type == WRITE_PROT;
    }

    /** True for an instruction fetch's fault. */
    public static boolean isFetch(int type) {
        return type == FETCH_UNMAPPED || type == FETCH_PROT;
    }
}
