package dev.rewind.kernel;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.dev.NetBackend;
import dev.rewind.hw.dev.NetOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

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
 * @param disks        disk image file for block devices, by device name; a block device without
 *                     one gets a blank in-memory disk of its manifest size
 * @param net          host side of the first net device (manifest order): forwards and
 *                     restriction ({@code rewind boot --net}); other net devices get no forwards
 * @param netBackends  makes each net device's host backend; null: user-mode networking
 *                     (libslirp) with {@code net}'s settings. Tests plug in their own.
 */
public record KernelConfig(
        long ramBytes,
        int quantumMs,
        long budgetNanos,
        boolean trace,
        int maxRestarts,
        Cpu.TrackerKind tracker,
        int txLogPages,
        Map<String, Path> disks,
        NetOptions net,
        NetBackends netBackends) {
    public KernelConfig {
        disks = Map.copyOf(disks);
        net = net == null ? NetOptions.defaults() : net;
    }

    /** Makes the host backend of a net device. */
    @FunctionalInterface
    public interface NetBackends {
        /**
         * The backend for net device {@code device}; {@code options} are the --net settings for it
         * (the defaults for all but the first net device). The kernel starts and closes it.
         */
        NetBackend create(String device, NetOptions options);
    }

    public KernelConfig(
            long ramBytes,
            int quantumMs,
            long budgetNanos,
            boolean trace,
            int maxRestarts,
            Cpu.TrackerKind tracker,
            int txLogPages,
            Map<String, Path> disks) {
        this(ramBytes, quantumMs, budgetNanos, trace, maxRestarts, tracker, txLogPages, disks, null, null);
    }

    public KernelConfig(
            long ramBytes,
            int quantumMs,
            long budgetNanos,
            boolean trace,
            int maxRestarts,
            Cpu.TrackerKind tracker,
            int txLogPages) {
        this(ramBytes, quantumMs, budgetNanos, trace, maxRestarts, tracker, txLogPages, Map.of());
    }

    public static KernelConfig defaults() {
        return new KernelConfig(256L << 20, 0, 0, false, 100, Cpu.TrackerKind.NATIVE, 1024);
    }

    /** Back block device {@code device} with the disk image {@code file}. */
    public KernelConfig withDisk(String device, Path file) {
        Map<String, Path> d = new HashMap<>(disks);
        d.put(device, file);
        return new KernelConfig(
                ramBytes, quantumMs, budgetNanos, trace, maxRestarts, tracker, txLogPages, d, net, netBackends);
    }

    public KernelConfig withRamBytes(long n) {
        return new KernelConfig(
                n, quantumMs, budgetNanos, trace, maxRestarts, tracker, txLogPages, disks, net, netBackends);
    }

    public KernelConfig withBudgetNanos(long n) {
        return new KernelConfig(
                ramBytes, quantumMs, n, trace, maxRestarts, tracker, txLogPages, disks, net, netBackends);
    }

    public KernelConfig withTrace(boolean t) {
        return new KernelConfig(
                ramBytes, quantumMs, budgetNanos, t, maxRestarts, tracker, txLogPages, disks, net, netBackends);
    }

    public KernelConfig withQuantumMs(int q) {
        return new KernelConfig(
                ramBytes, q, budgetNanos, trace, maxRestarts, tracker, txLogPages, disks, net, netBackends);
    }

    /** The host side of the first net device ({@code rewind boot --net}). */
    public KernelConfig withNet(NetOptions n) {
        return new KernelConfig(
                ramBytes, quantumMs, budgetNanos, trace, maxRestarts, tracker, txLogPages, disks, n, netBackends);
    }

    /** Make net devices' host backends with {@code f} instead of libslirp (tests). */
    public KernelConfig withNetBackends(NetBackends f) {
        return new KernelConfig(
                ramBytes, quantumMs, budgetNanos, trace, maxRestarts, tracker, txLogPages, disks, net, f);
    }

    public KernelConfig withTracker(Cpu.TrackerKind k) {
        return new KernelConfig(
                ramBytes, quantumMs, budgetNanos, trace, maxRestarts, k, txLogPages, disks, net, netBackends);
    }
}
