package dev.rewind.hw.cpu;

import dev.rewind.hw.unicorn.Unicorn;

/** Called before each hooked data access, on the thread running the CPU. */
@FunctionalInterface
public interface DataHook {
    /** Kinds for {@link Cpu#hookData}: loads, stores, or both (or-ed). */
    int READS = Unicorn.HOOK_DATA_READ;

    int WRITES = Unicorn.HOOK_DATA_WRITE;
    /** {@code type} of a load / a store. */
    int READ = Unicorn.ACCESS_READ;

    int WRITE = Unicorn.ACCESS_WRITE;

    void onAccess(int type, long address, int size, long value);
}
