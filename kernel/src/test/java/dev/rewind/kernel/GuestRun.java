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
    record FaultEvent(String task, int generation, Fault fault, String action) {}

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
        return boot(builtin, KernelConfig.defaults().withBudgetNanos(60_000_000_000L));
    }

    /** Boot a manifest given as text whose images are built-in ones. */
    static GuestRun bootManifest(String toml) throws Exception {
        return bootManifest(toml, KernelConfig.defaults().withBudgetNanos(60_000_000_000L));
    }

    static GuestRun bootManifest(String toml, KernelConfig config) throws Exception {
        dev.rewind.kernel.image.Manifest m = dev.rewind.kernel.image.Manifest.parse(toml, "test.toml");
        return run(new SystemImage(m, ImageSource.classpath(SystemImage.BUILTIN_FOLDER), "test.toml"), config, null);
    }

    /** Boot an image with a probe (fault injector, profiler) attached. */
    static GuestRun runWithProbe(SystemImage image, KernelProbe probe) {
        return run(image, KernelConfig.defaults().withBudgetNanos(60_000_000_000L), probe);
    }

    static GuestRun boot(String builtin, KernelConfig config) {
        try {
            return run(SystemImage.builtin(builtin), config, null);
        } catch (BootException e) {
            throw new AssertionError(e);
        }
    }

    private static GuestRun run(SystemImage image, KernelConfig config, KernelProbe probe) {
        return assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            List<FaultEvent> faults = new ArrayList<>();
            List<String> restarts = new ArrayList<>();
            KernelObserver obs = new KernelObserver() {
                @Override
                public void taskFaulted(Task task, int generation, Fault fault, String action) {
                    faults.add(new FaultEvent(task.name(), generation, fault, action));
                }

                @Override
                public void taskRestarted(Task task) {
                    restarts.add(task.name() + "@" + task.generation());
                }
            };
            try (Kernel k = new Kernel(config, image.manifest(), image.source(), new Uart(out), obs)) {
                if (probe != null) {
                    k.setProbe(probe);
                }
                SystemResult r = k.run();
                return new GuestRun(r, out.toString(StandardCharsets.UTF_8), faults, restarts);
            }
        });
    }

    List<String> lines() {
        return console.lines().toList();
    }

    boolean hasLine(String line) {
        return console.lines().anyMatch(l -> l.equals(line));
    }

    @Override
    public String toString() {
        return "outcome " + result.outcome() + " (" + result.summary() + ")\nfaults " + faults + "\nconsole:\n" + console;
    }
}
