package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.rewind.hw.dev.Uart;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Boots a built-in guest image in a test, capturing the console and every kernel event. */
final class GuestRun {
    /**
     * A fault the kernel reported; {@code consoleAt} is how many console bytes the guests had
     * written when it was reported (what was printed before the fault and what after).
     */
    record FaultEvent(String task, int generation, Fault fault, RecoveryOutcome outcome, int consoleAt) {}

    /** A shadow driver's recovery (KernelObserver.driverRecovered). */
    record Recovery(String driver, int replayed, int reissued, int held, long nanos) {}

    final List<Recovery> recoveries = new ArrayList<>();

    /** A TxIPC server's history replay (KernelObserver.historyReplayed). */
    record Replay(String server, int requests, int pages, int differed) {}

    final List<Replay> replays = new ArrayList<>();

    /** A mismatch TxIPC verification found (KernelObserver.verifyMismatch). */
    record Mismatch(String server, long badge, long label, boolean decided) {}

    final List<Mismatch> mismatches = new ArrayList<>();

    final SystemResult result;
    final String console;
    final List<FaultEvent> faults;
    final List<String> restarts;

    private GuestRun(SystemResult result, String console, List<FaultEvent> faults, List<String> restarts) {
        this.result = result;
        this.console = console;
        this.faults = faults;
        this.restarts = restarts;
    }

    static GuestRun boot(String builtin) {
        return boot(builtin, Fixtures.CONFIG);
    }

    /** Boot a manifest given as text whose images are built-in ones. */
    static GuestRun bootManifest(String toml) throws Exception {
        return bootManifest(toml, Fixtures.CONFIG);
    }

    static GuestRun bootManifest(String toml, KernelConfig config) throws Exception {
        return bootManifest(toml, config, null, null);
    }

    /**
     * Boot a manifest given as text, with a probe (or null) and UART input (or null: the
     * UART's input stays open).
     */
    static GuestRun bootManifest(String toml, KernelConfig config, KernelProbe probe, byte[] input) throws Exception {
        dev.rewind.kernel.image.Manifest m = dev.rewind.kernel.image.Manifest.parse(toml, "test.toml");
        return run(
                new SystemImage(m, ImageSource.classpath(SystemImage.BUILTIN_FOLDER), "test.toml"),
                config,
                probe,
                input);
    }

    /**
     * Boot a manifest given as text whose images are the built-in ones of {@code builtinFolder}'s
     * architecture: the manifest {@code builtinFolder}{@code t.toml} names ("aarch64/t_hang.toml":
     * AArch64's; "t_hang.toml": RISC-V's).
     */
    static GuestRun bootManifestBeside(String builtin, String toml, KernelConfig config) throws Exception {
        return bootManifestBeside(builtin, toml, config, null);
    }

    /** As above, with a probe (or null). */
    static GuestRun bootManifestBeside(String builtin, String toml, KernelConfig config, KernelProbe probe)
            throws Exception {
        String folder =
                builtin.startsWith("aarch64/") ? SystemImage.BUILTIN_FOLDER + "/aarch64" : SystemImage.BUILTIN_FOLDER;
        dev.rewind.kernel.image.Manifest m = dev.rewind.kernel.image.Manifest.parse(toml, "test.toml");
        return run(new SystemImage(m, ImageSource.classpath(folder), "test.toml"), config, probe, null);
    }

    /** Boot an image with a probe (fault injector, profiler) attached. */
    static GuestRun runWithProbe(SystemImage image, KernelProbe probe) {
        return run(image, Fixtures.CONFIG, probe);
    }

    /** Boot a built-in image whose programs' stdin (CONSOLE_READ) reads {@code in}. */
    static GuestRun bootWithConsoleInput(String builtin, ConsoleInput in) {
        try {
            return run(SystemImage.builtin(builtin), Fixtures.CONFIG, null, null, in);
        } catch (BootException e) {
            throw new AssertionError(e);
        }
    }

    static GuestRun boot(String builtin, KernelConfig config) {
        try {
            return run(SystemImage.builtin(builtin), config, null);
        } catch (BootException e) {
            throw new AssertionError(e);
        }
    }

    private static GuestRun run(SystemImage image, KernelConfig config, KernelProbe probe) {
        return run(image, config, probe, null);
    }

    private static GuestRun run(SystemImage image, KernelConfig config, KernelProbe probe, byte[] input) {
        return run(image, config, probe, input, null);
    }

    private static GuestRun run(
            SystemImage image, KernelConfig config, KernelProbe probe, byte[] input, ConsoleInput consoleInput) {
        return assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            List<FaultEvent> faults = new ArrayList<>();
            List<String> restarts = new ArrayList<>();
            List<Recovery> recoveries = new ArrayList<>();
            List<Replay> replays = new ArrayList<>();
            List<Mismatch> mismatches = new ArrayList<>();
            KernelObserver obs = new KernelObserver() {
                @Override
                public void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {
                    faults.add(new FaultEvent(task.name(), generation, fault, outcome, out.size()));
                }

                @Override
                public void taskRestarted(Task task) {
                    restarts.add(task.name() + "@" + task.generation());
                }

                @Override
                public void driverRecovered(
                        Task driver, Fault fault, int replayed, int reissued, int held, long nanos) {
                    recoveries.add(new Recovery(driver.name(), replayed, reissued, held, nanos));
                }

                @Override
                public void historyReplayed(Task server, int requests, int pages, int differed, long nanos) {
                    replays.add(new Replay(server.name(), requests, pages, differed));
                }

                @Override
                public void verifyMismatch(Task server, long badge, long label, boolean decided) {
                    mismatches.add(new Mismatch(server.name(), badge, label, decided));
                }
            };
            try (Kernel k = new Kernel(config, image.manifest(), image.source(), new Uart(out), obs)) {
                if (probe != null) {
                    k.setProbe(probe);
                }
                if (consoleInput != null) {
                    k.setConsoleInput(consoleInput);
                }
                if (input != null) {
                    for (BoundDevice bd : k.devices()) {
                        if (bd.device() instanceof dev.rewind.hw.dev.UartDevice u) {
                            u.input(input, 0, input.length);
                            u.closeInput();
                        }
                    }
                }
                SystemResult r = k.run();
                GuestRun g = new GuestRun(r, out.toString(StandardCharsets.UTF_8), faults, restarts);
                g.recoveries.addAll(recoveries);
                g.replays.addAll(replays);
                g.mismatches.addAll(mismatches);
                return g;
            }
        });
    }

    List<String> lines() {
        return console.lines().toList();
    }

    /** The console as it was when {@code f} was reported (the guests print ASCII). */
    String consoleBefore(FaultEvent f) {
        byte[] all = console.getBytes(StandardCharsets.UTF_8);
        return new String(all, 0, Math.min(f.consoleAt(), all.length), StandardCharsets.UTF_8);
    }

    boolean hasLine(String line) {
        return console.lines().anyMatch(l -> l.equals(line));
    }

    @Override
    public String toString() {
        return "outcome " + result.outcome() + " (" + result.summary() + ")\nfaults " + faults + "\nrecoveries "
                + recoveries + "\nreplays " + replays + "\nmismatches " + mismatches + "\nconsole:\n" + console;
    }
}
