package dev.rewind.hw.unicorn;

/**
 * Called by Unicorn for an access to unmapped or protected memory.
 * {@code type} is one of the {@code Unicorn.MEM_*} constants.
 * Return true only if the hook mapped the page and the access should be retried.
 */
@FunctionalInterface
public interface MemFaultHook {
    boolean onFault(int type, long address, int size, long value);
}
