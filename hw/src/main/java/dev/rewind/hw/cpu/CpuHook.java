package dev.rewind.hw.cpu;

/** A hook installed in a CPU by {@link RiscvCpu#hookInstructions} or {@link RiscvCpu#hookData}; closing removes it. */
public interface CpuHook extends AutoCloseable {
    @Override
    void close();
}
