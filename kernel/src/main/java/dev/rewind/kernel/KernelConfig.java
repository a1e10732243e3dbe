package dev.rewind.kernel;

import dev.rewind.hw.cpu.RiscvCpu;

/**
 * Settings for one run of the kernel.
 *
 * @param ramBytes     physical memory of the machine
 * @param quantumMs    time slice; 0 = use the manifest's
 * @param budgetNanos  wall-clock budget for the whole run; 0 = none
 * @param trace        log every syscall and IPC (logger "rewind.trace")
 * @param maxRestarts  restarts allowed per task before it is left dead
 * @param tracker      how txipc servers' writes are tracked (native hook, or the page-protection reference)
 * @param txLogPages   pages one txipc transaction may dirty before it can no longer be undone
 */
public record KernelConfig(long ramBytes, int quantumMs, long budgetNanos, boolean trace, int maxRestarts,
                           RiscvCpu.TrackerKind tracker, int txLogPages) {
    public static KernelConfig defaults() {
        return new KernelConfig(256L << 20, 0, 0, false, 100, RiscvCpu.TrackerKind.NATIVE, 1024);
    }

    public KernelConfig withRamBytes(long n) {
        return new KernelConfig(n, quantumMs, budgetNanos, trace, maxRestarts, tracker, txLogPages);
    }

    public KernelConfig withBudgetNanos(long n) {
        return new KernelConfig(ramBytes, quantumMs, n, trace, maxRestarts, tracker, txLogPages);
    }

    public KernelConfig withTrace(boolean t) {
        return new KernelConfig(ramBytes, quantumMs, budgetNanos, t, maxRestarts, tracker, txLogPages);
    }

    public KernelConfig withQuantumMs(int q) {
        return new KernelConfig(ramBytes, q, budgetNanos, trace, maxRestarts, tracker, txLogPages);
    }

    public KernelConfig withTracker(RiscvCpu.TrackerKind k) {
        return new KernelConfig(ramBytes, quantumMs, budgetNanos, trace, maxRestarts, k, txLogPages);
    }
}
