package dev.rewind.tools;

import dev.rewind.hw.dev.Uart;
import dev.rewind.hw.dev.UartDevice;
import dev.rewind.kernel.BootException;
import dev.rewind.kernel.ConsoleInput;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.KernelObserver;
import dev.rewind.kernel.RecoveryOutcome;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.image.DeviceSpec;
import dev.rewind.kernel.text.Units;
import dev.rewind.tools.disk.DiskArgs;
import dev.rewind.tools.disk.FreshDisks;
import dev.rewind.tools.trace.ChromeTrace;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rewind boot [IMAGE]}: boot a system image; the guest console is stdout. */
@Command(
        name = "boot",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Boot a guest system image. The guest console is written to stdout; logs go to stderr.", ""},
        footer = {
            "",
            "IMAGE is a manifest (.toml, see docs/MANIFEST.md), a guest ELF file (boots as a one-task",
            "system), or builtin:NAME (see 'rewind images'). Default: builtin:demo.",
            "",
            "Exit status: 0 all tasks finished cleanly; 1 a task exited non-zero or died of a fault;",
            "2 bad usage or the image cannot be booted; 3 deadlock; 4 time budget exhausted;",
            "70 an internal error in Rewind; 74 stdout could not be written (otherwise 0)."
        })
public final class BootCommand implements Callable<Integer> {
    /** Longest {@code --timeout} accepted (1000 hours): beyond it a run would not end in practice anyway. */
    static final long MAX_TIMEOUT_NANOS = 1000 * 3_600_000_000_000L;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "IMAGE",
            description = "Image to boot (default: builtin:demo).")
    String image = "builtin:demo";

    @Option(names = "--trace", description = "Log every syscall and IPC to stderr.")
    boolean trace;

    @Option(
            names = "--log-level",
            paramLabel = "LEVEL",
            description = "error, warn, info, debug or trace (default: warn; --trace implies info).")
    String logLevel;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            description = "Stop the run after this long, e.g. 500ms, 1.5s, 2m (at most 1000h; default: none).")
    String timeout;

    @Option(
            names = "--ram",
            paramLabel = "SIZE",
            description = "Physical memory of the machine, e.g. 64M (default: 256M, max 1G).")
    String ram = "256M";

    @Option(
            names = "--quantum",
            paramLabel = "MS",
            description = "Scheduler time slice in ms, 1..1000 (default: the manifest's, else 10).")
    Integer quantumMs;

    @Option(
            names = {"-q", "--quiet"},
            description = "Do not print the end-of-run summary, the fresh-disk and network notices or the"
                    + " driver-recovery lines on stderr; fault lines are still printed.")
    boolean quiet;

    @Option(
            names = "--disk",
            paramLabel = "[DEVICE=]FILE",
            description = {
                "Back the image's block device with this disk image (see 'rewind disk'); writes reach the file.",
                "Without it a fresh formatted disk in a temporary file is used and deleted at exit.",
                "DEVICE= is needed only when the image has several block devices."
            })
    List<String> disks = new ArrayList<>();

    @Option(
            names = "--net",
            paramLabel = "SPEC",
            description = {
                "Host side of the image's (first) network card: user-mode networking through libslirp, no root."
                        + " SPEC is comma-joined items as in QEMU's -netdev user; repeatable.",
                "hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT forwards a host port to the guest"
                        + " (HOSTADDR default 127.0.0.1, GUESTADDR in 10.0.2.0/24, default 10.0.2.15; HOSTPORT 0 = any free port). Each bound"
                        + " forward is printed on stderr.",
                "guestfwd=tcp:GUESTADDR:GUESTPORT-echo serves the guest's TCP connections to that address"
                        + " (in 10.0.2.0/24) with a built-in echo inside the host backend (nothing leaves the machine).",
                "restrict=on|off: on (default) the guest reaches nothing but its forwards.",
                "E.g. --net hostfwd=tcp:127.0.0.1:8080-:80 (see docs/DEVICES.md)."
            })
    List<String> nets = new ArrayList<>();

    @Option(
            names = "--input",
            paramLabel = "FILE",
            description = "Feed this file instead of stdin to the image's UART, or to its programs' stdin when it has"
                    + " no UART (the input ends at the end of the file).")
    Path input;

    @Option(
            names = "--wall-clock",
            paramLabel = "TIME",
            description = "The time of day the programs' clock (time(), gettimeofday, CLOCK_REALTIME) starts at,"
                    + " in UTC: 2001-02-03T04:05:06Z, 2001-02-03T04:05:06.5Z or 2001-02-03 (midnight)."
                    + " It then runs with the machine's monotonic clock. Default: the host's time of day.")
    String wallClock;

    /** --wall-clock parsed; null: the host's time of day. */
    private java.time.Instant wallAt;

    @Option(
            names = "--trace-out",
            paramLabel = "FILE",
            description =
                    "Write the run as a Chrome/Perfetto trace (JSON) to FILE: tasks as threads, CPU slices, requests, "
                            + "call and reply arrows, faults and recoveries. Open it in Perfetto's web UI or "
                            + "chrome://tracing; see docs/TRACING.md.")
    Path traceOut;

    @Option(
            names = "--gdb",
            paramLabel = "[HOST:]PORT",
            description =
                    "Serve the GDB remote protocol on PORT (loopback only unless HOST is given); see docs/DEBUGGING.md.")
    String gdb;

    @Option(
            names = "--gdb-inferiors",
            description =
                    "With --gdb: show gdb one inferior per task, each with its own executable "
                            + "and breakpoints (gdb's multiprocess extensions; see docs/DEBUGGING.md). Default: one inferior, a thread per task.")
    boolean gdbInferiors;

    @Option(
            names = "--gdb-reverse-window",
            paramLabel = "N",
            description =
                    "With --gdb: reverse execution goes back at most N "
                            + "instructions in a task that serves no endpoint (0: as far as the recorded history; gdb: monitor reverse-window).")
    Long gdbReverseWindow;

    @Option(
            names = "--gdb-wait",
            description = "With --gdb: stop before the first instruction until gdb attaches and continues.")
    boolean gdbWait;

    @Option(
            names = "--kill",
            paramLabel = "TASK@REQUEST[:INSTRUCTION]",
            description = "Fault server TASK (an abort) in its REQUEST-th request, counting from 1, at that"
                    + " request's INSTRUCTION-th instruction (default 1), to see its recovery policy at work"
                    + " (repeatable, e.g. --kill kv@100 --kill kv@200 --kill blk@20:40).")
    List<String> kills = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Main.setLogLevel(logLevel != null ? logLevel : trace ? "info" : "warn");
        long budget = timeout == null ? 0 : Units.parseNanos(timeout, MAX_TIMEOUT_NANOS, "--timeout");
        long ramBytes = Units.parseBytes(ram, "--ram");
        if (ramBytes < (1 << 20) || ramBytes > (1L << 30) || ramBytes % 4096 != 0) {
            throw new IllegalArgumentException("--ram must be between 1M and 1G (and a multiple of 4K): " + ram);
        }
        wallAt = wallClock == null ? null : WallClock.parse(wallClock, "--wall-clock");
        if (quantumMs != null && (quantumMs < 1 || quantumMs > 1000)) {
            throw new IllegalArgumentException("--quantum must be between 1 and 1000 ms: " + quantumMs);
        }
        dev.rewind.tools.gdb.GdbBoot.checkOptions(gdb, gdbWait);
        if (gdbInferiors && gdb == null) {
            throw new IllegalArgumentException("--gdb-inferiors needs --gdb [HOST:]PORT");
        }
        if (gdbReverseWindow != null && gdb == null) {
            throw new IllegalArgumentException("--gdb-reverse-window needs --gdb [HOST:]PORT");
        }
        if (gdbReverseWindow != null && gdbReverseWindow < 0) {
            throw new IllegalArgumentException(
                    "--gdb-reverse-window must be 0 (no limit) or a number of instructions: " + gdbReverseWindow);
        }
        if (input != null) {
            HostFiles.checkReadable(input, "--input");
        }
        if (traceOut != null) {
            HostFiles.checkWritable(traceOut, "--trace-out");
        }
        SystemImage img;
        try {
            img = SystemImage.open(image);
        } catch (BootException e) {
            System.err.println(
                    "rewind: cannot boot " + Printable.escape(image) + ": " + Printable.escape(e.getMessage()));
            return Main.EXIT_USAGE;
        }
        KernelConfig cfg = KernelConfig.defaults()
                .withRamBytes(ramBytes)
                .withQuantumMs(quantumMs == null ? 0 : quantumMs)
                .withBudgetNanos(budget)
                .withTrace(trace);
        cfg = DiskArgs.attach(cfg, img.manifest(), disks, true);
        if (!nets.isEmpty()) {
            if (img.manifest().devices().stream().noneMatch(d -> d.kind() == DeviceSpec.Kind.NET)) {
                throw new IllegalArgumentException(
                        "--net: image '" + img.manifest().name() + "' has no network device (kind = \"net\")");
            }
            cfg = cfg.withNet(dev.rewind.hw.dev.NetOptions.parse(nets));
        }
        try (FreshDisks fresh = new FreshDisks(img.manifest(), cfg)) {
            for (DeviceSpec d : fresh.created()) {
                if (!quiet) {
                    System.err.printf(
                            "rewind: %s: no --disk given; using a fresh %s disk, discarded at exit%n",
                            d.name(), dev.rewind.kernel.text.Units.formatBytes(d.sizeBytes()));
                }
            }
            return boot(fresh.config(), img);
        }
    }

    private int boot(KernelConfig cfg, SystemImage img) throws Exception {
        // With a time budget the console reaches stdout through a bounded buffer that never
        // blocks the kernel past the deadline (a stdout nobody reads must not stop the run).
        DeadlineConsole timed = cfg.budgetNanos() > 0 ? new DeadlineConsole(System.out) : null;
        OutputStream stdout = timed != null ? timed : System.out;
        KernelObserver obs = new KernelObserver() {
            @Override
            public void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {
                // (also with --quiet: a fault is never hidden, and scripts match this one format)
                String text = FaultText.describe(task, fault);
                System.err.printf(
                        "rewind: task %s (generation %d) faulted: %s; %s%n", task.name(), generation, text, outcome);
            }

            @Override
            public boolean reportsFaults() {
                return true; // the line above replaces the kernel's WARN line
            }

            @Override
            public void driverRecovered(Task driver, Fault fault, int replayed, int reissued, int held, long nanos) {
                if (!quiet) {
                    System.err.printf(
                            "rewind: driver %s restored by its shadow in %.2f ms (%d replayed, %d re-issued, %d held)%n",
                            driver.name(), nanos / 1e6, replayed, reissued, held);
                }
            }
        };
        if (traceOut == null) {
            return run(cfg, img, timed, stdout, obs, null);
        }
        ChromeTrace trace;
        try {
            trace = new ChromeTrace(traceOut, img.manifest().name(), obs);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "--trace-out: cannot write " + Printable.escape(traceOut.toString()) + ": " + HostFiles.reason(e));
        }
        // Ctrl-C ends the JVM with the kernel still running: the hook ends the JSON first.
        Thread hook = new Thread(() -> closeTrace(trace, !quiet), "rewind-trace-close");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return run(cfg, img, timed, stdout, trace, trace);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) anyway
            }
            closeTrace(trace, !quiet);
        }
    }

    /** End the trace's JSON; say on stderr where it is (if {@code tell}) or that writing it failed. */
    private static void closeTrace(ChromeTrace trace, boolean tell) {
        try {
            trace.close();
            if (tell) {
                System.err.printf(
                        "rewind: trace written to %s (%d events); open it in https://ui.perfetto.dev"
                                + " (\"Open trace file\") or chrome://tracing%n",
                        Printable.escape(trace.file().toString()), trace.events());
            }
        } catch (IOException e) {
            System.err.printf(
                    "rewind: --trace-out: writing %s failed: %s%n",
                    Printable.escape(trace.file().toString()), HostFiles.reason(e));
        }
    }

    private int run(
            KernelConfig cfg,
            SystemImage img,
            DeadlineConsole timed,
            OutputStream stdout,
            KernelObserver obs,
            ChromeTrace trace)
            throws Exception {
        BootKill killer = kills.isEmpty() ? null : BootKill.parse(kills, img.manifest());
        try (Kernel kernel = new Kernel(cfg, img.manifest(), img.source(), new Uart(stdout), obs)) {
            if (trace != null) {
                trace.attach(kernel);
            }
            if (killer != null) {
                kernel.setProbe(killer);
                kernel.setCountedSlices(true); // (requests counted as a campaign counts them, in its slices)
            }
            if (!quiet) {
                kernel.netForwards()
                        .forEach((dev, fwds) -> fwds.forEach(f -> System.err.printf("rewind: net %s: %s%n", dev, f)));
                if (cfg.net() != null
                        && cfg.net().restricted()
                        && kernel.netForwards().values().stream()
                                .flatMap(List::stream)
                                .anyMatch(dev.rewind.hw.dev.HostForward::udp)) {
                    // (libslirp passes a restricted guest's DHCP and nothing else of its UDP: measured)
                    System.err.println(
                            "rewind: net: udp forwards reach the guest, but with restrict=on (the default)"
                                    + " the guest's own UDP stays inside: no answer reaches the host (--net restrict=off lets it out)");
                }
            }
            if (wallAt != null) {
                kernel.setWallClockAtBoot(wallAt);
            }
            feedInput(kernel, input);
            if (timed != null) {
                timed.startClock(cfg.budgetNanos());
            }
            SystemResult r = gdb != null
                    ? dev.rewind.tools.gdb.GdbBoot.run(kernel, gdb, gdbWait, gdbInferiors, gdbReverseWindow, System.err)
                    : kernel.run();
            int status = r.outcome().exitStatus();
            if (timed != null) {
                timed.finish();
            }
            if (killer != null) {
                killer.summary().forEach(line -> System.err.println("rewind: " + line));
            }
            if (!quiet) {
                System.err.printf("rewind: %s: %s (%.3f s)%n", img.manifest().name(), r.summary(), r.nanos() / 1e9);
            }
            if (timed != null && timed.timedOut()) {
                Main.abandonStdout();
                System.err.printf(
                        "rewind: time budget exhausted before stdout took all the console output: %d bytes"
                                + " not written (discarded)%n",
                        timed.dropped());
                if (status == 0) {
                    status = SystemResult.Outcome.BUDGET_EXCEEDED.exitStatus();
                }
            }
            return status;
        } catch (BootException e) {
            System.err.println(
                    "rewind: cannot boot " + Printable.escape(image) + ": " + Printable.escape(e.getMessage()));
            return Main.EXIT_USAGE;
        }
    }

    /**
     * Feed stdin (or {@code file}) to the image's UART (the first one), if it has one; else to
     * its programs' stdin (CONSOLE_READ), from their first read on.
     */
    private static void feedInput(Kernel kernel, Path file) throws IOException {
        if (file != null && !Files.isReadable(file)) {
            throw new IllegalArgumentException("--input: cannot read " + file);
        }
        UartDevice u = kernel.consoleUart();
        if (u == null) {
            ConsoleInput[] in = new ConsoleInput[1];
            in[0] = new ConsoleInput(() -> {
                Thread t = new Thread(
                        () -> {
                            byte[] buf = new byte[4096];
                            // (System.in is read, not closed: the CLI may run inside another program)
                            try (java.io.InputStream f = file != null ? Files.newInputStream(file) : null) {
                                java.io.InputStream s = f != null ? f : System.in;
                                int n;
                                while ((n = s.read(buf)) >= 0) {
                                    in[0].offer(buf, 0, n);
                                }
                            } catch (IOException e) {
                                org.slf4j.LoggerFactory.getLogger(BootCommand.class)
                                        .warn("stdin: {}", e.getMessage());
                            }
                            in[0].close();
                        },
                        "rewind-stdin");
                t.setDaemon(true);
                t.start();
            });
            kernel.setConsoleInput(in[0]);
            return;
        }
        java.io.InputStream in = file != null ? Files.newInputStream(file) : System.in;
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[4096];
                    try (in) {
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            u.input(buf, 0, n);
                        }
                    } catch (IOException e) {
                        org.slf4j.LoggerFactory.getLogger(BootCommand.class).warn("stdin: {}", e.getMessage());
                    }
                    u.closeInput();
                },
                "rewind-stdin");
        t.setDaemon(true);
        t.start();
    }
}
