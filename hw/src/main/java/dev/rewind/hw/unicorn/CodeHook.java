package dev.rewind.hw.unicorn;

/** Called by Unicorn before each instruction in the hooked range. */
@FunctionalInterface
public interface CodeHook {
    void onCode(long address, int size);
}
