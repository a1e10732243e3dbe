package dev.rewind.hw.unicorn;

/** Called by Unicorn before each valid data access in the hooked range (debugger watchpoints). */
@FunctionalInterface
public interface MemAccessHook {
    /**
     * @param type    {@link Unicorn#ACCESS_READ} or {@link Unicorn#ACCESS_WRITE}
     * @param address the first byte accessed
     * @param size    bytes accessed
     * @param value   the value written (writes only)
     */
    void onAccess(int type, long address, int size, long value);
}
