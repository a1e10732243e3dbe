package dev.rewind.tools;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.BootException;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.KernelObserver;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.Task;
import java.io.OutputStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rewind boot [IMAGE]}: boot a system image; the guest console is stdout. */
@Command(name = "boot", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Boot a guest system image. The guest console is written to stdout; logs go to stderr.", ""},
        footer = {"", "IMAGE is a manifest (.toml, see docs/MANIFEST.md), a guest ELF file (boots as a one-task",
            "system), or builtin:NAME (see 'rewind images'). Default: builtin:demo.",
            "", "Exit status: 0 all tasks finished cleanly; 1 a task exited non-zero or died of a fault;",
            "2 bad usage or the image cannot be booted; 3 deadlock; 4 time budget exhausted;",
            "70 an internal error in Rewind."})
public final class BootCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "IMAGE", description = "Image to boot (default: builtin:demo).")
    String image = "builtin:demo";

    @Option(names = "--trace", description = "Log every syscall and IPC to stderr.")
    boolean trace;

    @Option(names = "--log-level", paramLabel = "LEVEL", description = "error, warn, info, debug or trace (default: warn; --trace implies info).")
    String logLevel;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Stop the run after this long, e.g. 500ms, 10s, 2m (default: none).")
    String timeout;

    @Option(names = "--ram", paramLabel = "SIZE", description = "Physical memory of the machine, e.g. 64M (default: 256M, max 1G).")
    String ram = "256M";

    @Option(names = "--quantum", paramLabel = "MS", description = "Scheduler time slice in ms (default: the manifest's, else 10).")
    int quantumMs;

    @Option(names = {"-q", "--quiet"}, description = "Do not print the end-of-run summary on stderr.")
    boolean quiet;

    @Option(names = "--gdb", paramLabel = "[HOST:]PORT", description = "Serve the GDB remote protocol on PORT (loopback only unless HOST is given); see docs/DEBUGGING.md.")
    String gdb;

    @Option(names = "--gdb-wait", description = "With --gdb: stop before the first instruction until gdb attaches and continues.")
    boolean gdbWait;

    @Override
    public Integer call() throws Exception {
        Main.setLogLevel(logLevel != null ? logLevel : trace ? "info" : "warn");
        long budget = timeout == null ? 0 : Sizes.parseDurationNanos(timeout, "--timeout");
        long ramBytes = Sizes.parseBytes(ram, "--ram");
        if (ramBytes < (1 << 20) || ramBytes > (1L << 30) || ramBytes % 4096 != 0) {
            throw new IllegalArgumentException("--ram must be between 1M and 1G (and a multiple of 4K): " + ram);
        }
        if (quantumMs < 0 || quantumMs > 1000) {
            throw new IllegalArgumentException("--quantum must be between 1 and 1000 ms: " + quantumMs);
        }
        dev.rewind.tools.gdb.GdbBoot.checkOptions(gdb, gdbWait);
        SystemImage img;
        try {
            img = SystemImage.open(image);
        } catch (BootException e) {
            System.err.println("rewind: cannot boot " + image + ": " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        KernelConfig cfg = KernelConfig.defaults().withRamBytes(ramBytes).withQuantumMs(quantumMs)
                .withBudgetNanos(budget).withTrace(trace);
        OutputStream stdout = System.out;
        KernelObserver obs = new KernelObserver() {
            @Override
            public void taskFaulted(Task task, int generation, Fault fault, String action) {
                if (!quiet) {
                    System.err.printf("rewind: task %s (generation %d) faulted: %s; %s%n", task.name(), generation, fault, action);
                }
            }
        };
        try (Kernel kernel = new Kernel(cfg, img.manifest(), img.source(), new Uart(stdout), obs)) {
            SystemResult r = gdb != null ? dev.rewind.tools.gdb.GdbBoot.run(kernel, gdb, gdbWait, System.err) : kernel.run();
            if (!quiet) {
                System.err.printf("rewind: %s: %s (%.3f s)%n", img.manifest().name(), r.summary(), r.nanos() / 1e9);
            }
            return r.outcome().exitStatus();
        } catch (BootException e) {
            System.err.println("rewind: cannot boot " + image + ": " + e.getMessage());
            return Main.EXIT_USAGE;
        }
    }
}
