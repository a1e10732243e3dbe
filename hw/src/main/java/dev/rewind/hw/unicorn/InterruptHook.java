package dev.rewind.hw.unicorn;

/** Called by Unicorn for a CPU exception or an environment call (RISC-V: intno = mcause). */
@FunctionalInterface
public interface InterruptHook {
    void onInterrupt(int intno);
}
