package dev.rewind.hw.cpu;

/**
 * Receives environment calls while the CPU runs, inside Unicorn's hook. It may answer the call
 * at once (write results, return) or call {@link RiscvCpu#stop()} to leave {@link RiscvCpu#run}.
 * The PC is already past the {@code ecall} instruction.
 */
@FunctionalInterface
public interface EcallHandler {
    void onEcall(RiscvCpu cpu);
}
