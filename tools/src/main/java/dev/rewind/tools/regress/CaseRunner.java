package dev.rewind.tools.regress;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.BootException;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.KernelObserver;
import dev.rewind.kernel.RecoveryOutcome;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.Task;
import dev.rewind.tools.regress.CaseResult.FaultEvent;
import dev.rewind.tools.regress.CaseResult.Status;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one case: boots its system in a fresh {@link Kernel} on a thread of its own, with the
 * case's timeout as the kernel's time budget, captures the console and the faults, and judges
 * the run against the case's expectations. A kernel that does not stop within a grace period
 * after its budget is abandoned and the case reported as ERROR, so a hung case cannot hang
 * the run. Kernels share no state, so any number of cases may run at once.
 */
public final class CaseRunner {
    /** The timeout of a case that sets none, when the runner is given none. */
    public static final long DEFAULT_TIMEOUT_NANOS = 30_000_000_000L;
    /** How long past its budget a kernel may take to stop before the case is abandoned. */
    static final long GRACE_NANOS = 10_000_000_000L;

    private final long defaultTimeoutNanos;
    private final KernelConfig baseConfig;

    /** @param defaultTimeoutNanos the timeout of cases that set none (0: {@link #DEFAULT_TIMEOUT_NANOS}) */
    public CaseRunner(long defaultTimeoutNanos) {
        this(defaultTimeoutNanos, KernelConfig.defaults());
    }

    public CaseRunner(long defaultTimeoutNanos, KernelConfig baseConfig) {
        this.defaultTimeoutNanos = defaultTimeoutNanos > 0 ? defaultTimeoutNanos : DEFAULT_TIMEOUT_NANOS;
        this.baseConfig = baseConfig;
    }

    /** The time limit {@code c} runs under. */
    public long timeoutOf(TestCase c) {
        return c.timeoutNanos() > 0 ? c.timeoutNanos() : defaultTimeoutNanos;
    }

    /** Runs {@code c} and judges it. Never throws; problems become an ERROR result. */
    public CaseResult run(TestCase c) {
        if (c.skipped()) {
            return new CaseResult(c, Status.SKIP, 0, List.of(c.skipReason()), null, false, Console.EMPTY, List.of());
        }
        long timeout = timeoutOf(c);
        long start = System.nanoTime();
        ConsoleCapture capture = new ConsoleCapture(c.expect(), start);
        Recorder recorder = new Recorder(start);
        Run run = new Run();
        Thread thread = new Thread(
                () -> {
                    // the kernel's log lines of this case say so (cases run in parallel)
                    org.slf4j.MDC.put(dev.rewind.tools.LogLayout.CASE_KEY, c.fullName());
                    try {
                        run.execute(c, baseConfig.withBudgetNanos(timeout), capture, recorder);
                    } finally {
                        org.slf4j.MDC.remove(dev.rewind.tools.LogLayout.CASE_KEY);
                    }
                },
                "rewind-test " + c.fullName());
        thread.setDaemon(true);
        thread.start();
        try {
            thread.join(Math.max(1, (timeout + GRACE_NANOS) / 1_000_000L));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(c, start, "interrupted while the case ran", capture, recorder);
        }
        if (thread.isAlive()) {
            return error(
                    c,
                    start,
                    "the kernel did not stop within " + Durations.format(GRACE_NANOS) + " after its "
                            + Durations.format(timeout) + " time budget ran out; the case was abandoned",
                    capture,
                    recorder);
        }
        long nanos = System.nanoTime() - start;
        if (run.error != null) {
            return error(c, start, run.error, capture, recorder);
        }
        List<String> failures =
                new ArrayList<>(Verdict.judge(c, timeout, run.result, run.stopped, capture, recorder.faults()));
        if (run.killer != null && !run.stopped) {
            run.killer.summary().forEach(line -> failures.add(line.replaceFirst("^--kill: ", "kill: ")));
        }
        return new CaseResult(
                c,
                failures.isEmpty() ? Status.PASS : Status.FAIL,
                nanos,
                failures,
                run.result,
                run.stopped,
                capture.snapshot().spilled(),
                recorder.faults());
    }

    private static CaseResult error(TestCase c, long start, String why, ConsoleCapture capture, Recorder recorder) {
        return new CaseResult(
                c,
                Status.ERROR,
                System.nanoTime() - start,
                List.of(why),
                null,
                false,
                capture.snapshot().spilled(),
                recorder.faults());
    }

    /** The kernel thread's side of a case. Its fields are read after the thread has ended. */
    private static final class Run {
        SystemResult result;
        boolean stopped;
        String error;
        /** The case's {@code kill}s, or null. */
        dev.rewind.tools.BootKill killer;

        void execute(TestCase c, KernelConfig config, ConsoleCapture capture, Recorder recorder) {
            try (dev.rewind.tools.disk.FreshDisks disks =
                            new dev.rewind.tools.disk.FreshDisks(c.image().manifest(), config);
                    Kernel kernel = new Kernel(
                            disks.config(), c.image().manifest(), c.image().source(), new Uart(capture), recorder)) {
                if (c.wallClock() != null) {
                    kernel.setWallClockAtBoot(c.wallClock());
                }
                if (!c.kills().isEmpty()) {
                    killer =
                            dev.rewind.tools.BootKill.parse(c.kills(), c.image().manifest());
                    kernel.setProbe(killer);
                    kernel.setCountedSlices(true); // (as rewind boot --kill counts requests)
                }
                if (c.input() != null) {
                    feed(kernel, c.input());
                }
                try {
                    result = kernel.run();
                } catch (RuntimeException e) {
                    if (!isStop(e)) {
                        throw e;
                    }
                    stopped = true;
                }
                capture.finish();
            } catch (BootException e) {
                error = "cannot boot " + c.boot() + ": " + e.getMessage();
            } catch (RuntimeException | Error e) {
                error = "internal error: " + e;
            }
        }

        /**
         * The case's input: to the machine's first UART device if it has one (its driver reads
         * it; then the input ends), else to the programs' stdin (CONSOLE_READ). A case without
         * {@code input} gives a program's stdin nothing (it is at its end at once).
         */
        private static void feed(Kernel kernel, byte[] input) {
            dev.rewind.hw.dev.UartDevice u = kernel.consoleUart();
            if (u != null) {
                Thread t = new Thread(
                        () -> {
                            for (int off = 0; off < input.length; off += 4096) {
                                u.input(input, off, Math.min(4096, input.length - off));
                            }
                            u.closeInput();
                        },
                        "rewind-test-input");
                t.setDaemon(true);
                t.start();
                return;
            }
            kernel.setConsoleInput(dev.rewind.kernel.ConsoleInput.of(input));
        }

        private static boolean isStop(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof ConsoleCapture.StopRun) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Records the faults the kernel reports. */
    private static final class Recorder implements KernelObserver {
        private final long start;
        private final List<FaultEvent> faults = new ArrayList<>();

        Recorder(long start) {
            this.start = start;
        }

        @Override
        public synchronized void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {
            faults.add(new FaultEvent(
                    task.name(),
                    generation,
                    fault.kind(),
                    dev.rewind.tools.FaultText.describe(task, fault), // with its source line, as `rewind boot`
                    outcome.toString(),
                    System.nanoTime() - start));
        }

        synchronized List<FaultEvent> faults() {
            return List.copyOf(faults);
        }
    }
}
