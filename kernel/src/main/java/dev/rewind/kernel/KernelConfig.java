package dev.rewind.kernel;

/**
 * Settings for one run of the kernel.
 *
 * @param ramBytes     physical memory of the machine
 * @param quantumMs    time slice; 0 = use the manifest's
 * @param budgetNanos  wall-clock budget for the whole run; 0 = none
 * @param trace        log every syscall and IPC (logger "rewind.trace")
 * @param maxRestarts  restarts allowed per task before it is left dead
 */
public record KernelConfig(long ramBytes, int quantumMs, long budgetNanos, boolean trace, int maxRestarts) {
    public static KernelConfig defaults() {
        return new KernelConfig(256L << 20, 0, 0, false, 100);
    }

    public KernelConfig withBudgetNanos(long n) {
        return new KernelConfig(ramBytes, quantumMs, n, trace, maxRestarts);
    }

    public KernelConfig withTrace(boolean t) {
        return new KernelConfig(ramBytes, quantumMs, budgetNanos, t, maxRestarts);
    }

    public KernelConfig withQuantumMs(int q) {
        return new KernelConfig(ramBytes, q, budgetNanos, trace, maxRestarts);
    }
}
