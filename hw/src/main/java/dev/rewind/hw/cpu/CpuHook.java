package dev.rewind.hw.cpu;

/** A hook installed in a CPU by {@link Cpu#hookInstructions} or {@link Cpu#hookData}; closing removes it. */
public interface CpuHook extends AutoCloseable {
    @Override
    void close();
}
