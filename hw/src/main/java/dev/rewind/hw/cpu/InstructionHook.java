package dev.rewind.hw.cpu;

/** Called before each hooked instruction runs, on the thread running the CPU. */
@FunctionalInterface
public interface InstructionHook {
    void onInstruction(long address, int size);
}
