package dev.rewind.tools.inject;

import dev.rewind.hw.dev.Uart;
import dev.rewind.hw.dev.UartDevice;
import dev.rewind.kernel.BoundDevice;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.TaskState;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.RecoveryPolicy;
import dev.rewind.kernel.image.TaskSpec;
import dev.rewind.kernel.probe.DriverKiller;
import dev.rewind.tools.disk.FreshDisks;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rewind survival}: the application-survival table of the shadow-drivers paper (Swift et
 * al., OSDI 2004, table 3) for Rewind's drivers: every application is run while its driver is
 * killed several times in the middle of its traffic, under each recovery policy, and marked
 * "runs normally", "malfunctions" (finishes with wrong results or errors) or "crashes" (dies,
 * hangs or never finishes).
 */
@Command(
        name = "survival",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Kill drivers mid-traffic under none, restart and shadow; print who survives.",
            "",
            "Each application's driver is killed several times in the middle of its traffic, under the",
            "recovery policies none, restart and shadow; the table says whether the application runs normally,",
            "malfunctions or crashes (the application-survival table of the shadow-drivers paper).",
            ""
        },
        footer = {
            "",
            "Driver failures are injected with a seeded probe: the driver is stopped a fixed number of",
            "instructions into chosen requests and faulted. The same failures are injected under every policy.",
            "",
            "--tsv prints one tab-separated row per application and policy instead of the table, after a",
            "header row: application, driver, policy, failures (injected in that run: under none the driver",
            "stays dead after the first), verdict, why (empty when it ran normally). A run in which no failure",
            "was injected (no request ran --instruction instructions) is 'not struck', never 'runs normally'.",
            "",
            "Exit status: 0 every application ran normally under shadow (each struck); 1 otherwise; 2 bad usage.",
            "",
            "Example: rewind survival --markdown"
        })
public final class SurvivalCommand implements Callable<Integer> {
    @Option(
            names = "--kills",
            paramLabel = "N",
            description = "Driver failures per run, spread over its requests (default: 3).")
    int kills = 3;

    @Option(
            names = "--instruction",
            paramLabel = "N",
            description = "Strike this many instructions into a request (default: 40).")
    long instruction = 40;

    @Option(
            names = "--app",
            paramLabel = "NAME",
            description = "Only this application (repeatable; default: all). Names as in the table's first column.")
    List<String> only = new ArrayList<>();

    @Option(names = "--markdown", description = "Print the table as Markdown.")
    boolean markdown;

    @Option(names = "--tsv", description = "Print one tab-separated row per application and policy (for scripts).")
    boolean tsv;

    @Option(
            names = {"-v", "--verbose"},
            description = "Print each run's console and kernel verdict.")
    boolean verbose;

    @Option(
            names = "--jobs",
            paramLabel = "N",
            description = "Parallel boots (default: the number of cores; never more than the runs). Most runs that"
                    + " fail wait out a deadline, so more boots than cores still shorten the table.")
    int jobs = Runtime.getRuntime().availableProcessors();

    /** Echo input for the tty_echo application. */
    static final String ECHO_INPUT = buildEchoInput();

    /**
     * One application: the image that runs it, its driver, the requests to strike, and its check.
     * A server that never ends (a network server) has a {@link HostClient} instead: the run
     * forwards a host port to its {@code guestPort}, waits for the console line {@code ready},
     * lets the client talk to it while the driver is killed, then stops the system.
     */
    record App(
            String name,
            String image,
            String task,
            String driver,
            int[] strikes,
            byte[] input,
            Function<String, String> check,
            int guestPort,
            String ready,
            HostClient client) {
        App(
                String name,
                String image,
                String task,
                String driver,
                int[] strikes,
                byte[] input,
                Function<String, String> check) {
            this(name, image, task, driver, strikes, input, check, 0, null, null);
        }
    }

    /** A client on the host: talks to the guest through {@code port}; null if all went right, else what went wrong. */
    @FunctionalInterface
    interface HostClient {
        String talk(int port) throws Exception;
    }

    static List<App> apps() {
        return List.of(
                new App(
                        "blk_stress",
                        "t_blk.toml",
                        "blk_stress",
                        "blk",
                        new int[] {40, 160, 330},
                        null,
                        c -> c.contains("blk_stress: ok ops=400 errors=0") ? null : line(c, "blk_stress:")),
                new App(
                        "blk_bench",
                        "t_blkbench.toml",
                        "blk_bench",
                        "blk",
                        new int[] {100, 900, 1700},
                        null,
                        c -> c.contains("blk_bench: write_ns=") && !c.contains("FAIL") ? null : line(c, "blk_bench:")),
                new App(
                        "fs_persist",
                        "t_disk.toml",
                        "fs_persist",
                        "blk",
                        new int[] {8, 20, 35},
                        null,
                        c -> c.contains("fs_persist: wrote boot=1") ? null : line(c, "fs_persist:")),
                new App(
                        "fs_oracle (on disk)",
                        "t_fs_disk.toml",
                        "fs_oracle",
                        "blk",
                        new int[] {50, 400, 1100},
                        null,
                        c -> c.contains("fs_oracle: ok") ? null : line(c, "fs_oracle:")),
                new App(
                        "tty_writer",
                        "t_tty.toml",
                        "tty_writer",
                        "tty",
                        new int[] {10, 100, 250},
                        null,
                        SurvivalCommand::checkWriter),
                new App(
                        "tty_echo",
                        "t_tty_echo.toml",
                        "tty_echo",
                        "tty",
                        new int[] {5, 20, 41},
                        ECHO_INPUT.getBytes(StandardCharsets.UTF_8),
                        SurvivalCommand::checkEcho),
                // Not a direct client of its driver: the stack server is (net_oracle talks to the stack).
                // (The stack's requests to the NIC vary with timing: 880-940 on an idle host, fewer
                // under load, when the third kill at request 800 was once never reached.)
                new App(
                        "net_oracle",
                        "t_net_oracle.toml",
                        "net_oracle",
                        "nic",
                        new int[] {100, 300, 500},
                        null,
                        c -> c.contains("net_oracle: ok bytes=300000") ? null : line(c, "net_oracle:")),
                // Servers: a client on the host talks to them through a forwarded port.
                new App(
                        "http_server",
                        "t_net_http.toml",
                        "http",
                        "nic",
                        new int[] {300, 900, 1500},
                        null,
                        c -> null,
                        80,
                        "http: listening",
                        HostClients::http),
                new App(
                        "net_echo",
                        "t_net_echo.toml",
                        "echo",
                        "nic",
                        new int[] {200, 600, 1000},
                        null,
                        c -> null,
                        7,
                        "echo: listening",
                        HostClients::echo));
    }

    /** Verdict of one run. */
    record Cell(String verdict, String why, int struck) {}

    @Override
    public Integer call() throws Exception {
        dev.rewind.tools.Main.setLogLevel(verbose ? "warn" : "error");
        if (kills < 1 || kills > 3) {
            throw new IllegalArgumentException("--kills must be between 1 and 3");
        }
        if (instruction < 1 || instruction > 1_000_000) {
            throw new IllegalArgumentException("--instruction must be between 1 and 1000000");
        }
        if (jobs < 1 || jobs > 256) {
            throw new IllegalArgumentException("--jobs must be between 1 and 256");
        }
        if (tsv && markdown) {
            throw new IllegalArgumentException("--tsv and --markdown are different outputs: choose one");
        }
        List<RecoveryPolicy> policies = List.of(RecoveryPolicy.NONE, RecoveryPolicy.RESTART, RecoveryPolicy.SHADOW);
        List<App> apps = new ArrayList<>();
        for (App a : apps()) {
            if (only.isEmpty() || only.contains(a.name())) {
                apps.add(a);
            }
        }
        for (String name : only) {
            if (apps().stream().noneMatch(a -> a.name().equals(name))) {
                throw new IllegalArgumentException("--app: no application '" + name + "' (known: "
                        + String.join(", ", apps().stream().map(App::name).toList()) + ")");
            }
        }
        List<Cell[]> rows = new ArrayList<>();
        boolean allShadowNormal = true;
        int runs = apps.size() * policies.size();
        java.util.concurrent.ExecutorService pool =
                java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, Math.min(jobs, runs)), r -> {
                    Thread t = new Thread(r, "survival-run");
                    t.setDaemon(true);
                    return t;
                });
        try (dev.rewind.tools.Progress progress = dev.rewind.tools.Progress.start("survival", "runs", runs, 0)) {
            // Each run is a system of its own (its engines, disks and forwarded ports): they run
            // side by side, and the table keeps the order of the applications and policies.
            List<java.util.concurrent.Future<Cell>> cells = new ArrayList<>();
            for (App app : apps) {
                for (RecoveryPolicy policy : policies) {
                    cells.add(pool.submit(() -> {
                        progress.item(app.name() + " under " + policy.configName());
                        Cell c = run(app, policy);
                        if (c.struck == 0) { // nothing was tested: never "runs normally"
                            c = new Cell(
                                    "not struck",
                                    "no failure was injected: no request to " + app.driver() + " ran " + instruction
                                            + " instructions (a smaller --instruction strikes)",
                                    0);
                        }
                        progress.step(!c.verdict.equals("runs normally"));
                        return c;
                    }));
                }
            }
            for (int a = 0; a < apps.size(); a++) {
                Cell[] row = new Cell[policies.size()];
                for (int i = 0; i < policies.size(); i++) {
                    row[i] = result(cells.get(a * policies.size() + i));
                }
                allShadowNormal &= row[2].verdict.equals("runs normally");
                rows.add(row);
            }
        } finally {
            pool.shutdownNow();
        }
        PrintStream out = System.out;
        if (tsv) {
            out.println(String.join("\t", "application", "driver", "policy", "failures", "verdict", "why"));
            for (int r = 0; r < rows.size(); r++) {
                App app = apps.get(r);
                for (int i = 0; i < policies.size(); i++) {
                    Cell c = rows.get(r)[i];
                    out.println(String.join(
                            "\t",
                            app.name(),
                            app.driver(),
                            policies.get(i).configName(),
                            Integer.toString(c.struck),
                            c.verdict,
                            c.why == null ? "" : oneField(c.why)));
                }
            }
            return allShadowNormal ? 0 : 1;
        }
        String sep = markdown ? " | " : "  ";
        if (markdown) {
            out.println("| application | driver | failures injected | none | restart | shadow |");
            out.println("|---|---|---|---|---|---|");
        } else {
            out.printf(
                    "%-20s %-7s %-9s %-16s %-16s %-16s%n",
                    "application", "driver", "failures", "none", "restart", "shadow");
        }
        for (int r = 0; r < rows.size(); r++) {
            App app = apps.get(r);
            Cell[] row = rows.get(r);
            if (markdown) {
                out.println("| " + app.name() + sep + app.driver() + sep + row[2].struck + sep + row[0].verdict + sep
                        + row[1].verdict + sep + row[2].verdict + " |");
            } else {
                out.printf(
                        "%-20s %-7s %-9d %-16s %-16s %-16s%n",
                        app.name(), app.driver(), row[2].struck, row[0].verdict, row[1].verdict, row[2].verdict);
            }
        }
        out.println();
        out.println(markdown ? "How each failure showed:" : "how each failure showed:");
        out.println();
        for (int r = 0; r < rows.size(); r++) {
            for (int i = 0; i < policies.size(); i++) {
                Cell c = rows.get(r)[i];
                if (c.why != null) {
                    out.println((markdown ? "- " : "  ") + apps.get(r).name() + " under "
                            + policies.get(i).configName() + ": " + c.why);
                }
            }
        }
        return allShadowNormal ? 0 : 1;
    }

    /** The cell a run made; its failure as the run's own exception. */
    private static Cell result(java.util.concurrent.Future<Cell> cell) throws Exception {
        try {
            return cell.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        }
    }

    /** Verbose output of one run, whole (runs end in any order). */
    private static synchronized void printRun(String head, String console) {
        System.err.println(head);
        System.err.println(console);
    }

    private Cell run(App app, RecoveryPolicy policy) throws Exception {
        SystemImage img = SystemImage.builtin(app.image());
        Manifest m = img.manifest();
        List<TaskSpec> tasks = new ArrayList<>();
        for (TaskSpec t : m.tasks()) {
            tasks.add(t.name().equals(app.driver()) ? t.withRecovery(policy) : t);
        }
        m = m.withTasks(tasks);
        KernelConfig cfg = KernelConfig.defaults().withBudgetNanos(10_000_000_000L);
        if (app.client() != null) {
            return runServer(app, m, img, cfg.withBudgetNanos(0));
        }
        try (FreshDisks disks = new FreshDisks(m, cfg)) {
            cfg = disks.config();
            DriverKiller killer = killer(app);
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            SystemResult r;
            try (Kernel k = new Kernel(cfg, m, img.source(), new Uart(console), null)) {
                k.setProbe(killer);
                for (BoundDevice bd : k.devices()) {
                    if (bd.device() instanceof UartDevice u) {
                        if (app.input() != null) {
                            u.input(app.input(), 0, app.input().length);
                        }
                        u.closeInput();
                    }
                }
                r = k.run();
            }
            String text = console.toString(StandardCharsets.UTF_8);
            if (verbose) {
                printRun(
                        "---- " + app.name() + " under " + policy.configName() + ": " + r.summary() + " ("
                                + killer.delivered() + " requests to " + app.driver() + ", struck at "
                                + killer.struck() + ")",
                        text);
            }
            int struck = killer.struck().size();
            SystemResult.TaskReport task = r.task(app.task());
            if (task.state() == TaskState.DEAD) {
                return new Cell("crashes", "the application died: " + task.lastFault(), struck);
            }
            if (task.state() != TaskState.EXITED) {
                return new Cell(
                        "crashes",
                        "the application never finished (" + r.summary() + "; " + Campaign.states(r) + ")",
                        struck);
            }
            String wrong = app.check().apply(text);
            if (wrong != null || task.exitCode() != 0) {
                return new Cell(
                        "malfunctions",
                        "finished with exit " + task.exitCode() + ": " + (wrong == null ? "(no check failed)" : wrong),
                        struck);
            }
            return new Cell("runs normally", null, struck);
        }
    }

    /** The probe that kills {@code app}'s driver at its first {@code --kills} strike points. */
    private DriverKiller killer(App app) {
        Integer[] strikes = new Integer[kills];
        for (int i = 0; i < kills; i++) {
            strikes[i] = app.strikes()[i];
        }
        return new DriverKiller(app.driver(), instruction, strikes);
    }

    /** A server application: a host client talks to it while the driver is killed. */
    private Cell runServer(App app, Manifest m, SystemImage img, KernelConfig cfg) throws Exception {
        cfg = cfg.withNet(dev.rewind.hw.dev.NetOptions.parse(List.of("hostfwd=tcp:127.0.0.1:0-:" + app.guestPort())));
        DriverKiller killer = killer(app);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        String wrong;
        SystemResult[] result = new SystemResult[1];
        try (Kernel k = new Kernel(cfg, m, img.source(), new Uart(console), null)) {
            k.setProbe(killer);
            int port = k.netForwards().values().iterator().next().get(0).hostPort();
            Thread kernel = new Thread(() -> result[0] = k.run(), "survival-kernel");
            kernel.start();
            try {
                long end = System.nanoTime() + 20_000_000_000L;
                while (!console.toString(StandardCharsets.UTF_8).contains(app.ready()) && System.nanoTime() < end) {
                    Thread.sleep(10);
                }
                wrong = app.client().talk(port);
            } catch (java.io.IOException e) {
                wrong = "the client's connection failed: " + e.getMessage();
            } finally {
                k.requestStop();
                kernel.join(30_000);
            }
        }
        String text = console.toString(StandardCharsets.UTF_8);
        if (verbose) {
            printRun(
                    "---- " + app.name() + " under "
                            + m.task(app.driver()).orElseThrow().recovery() + ": "
                            + (wrong == null ? "ok" : wrong) + " (" + killer.delivered() + " requests to "
                            + app.driver() + ", struck at " + killer.struck() + ")",
                    text);
        }
        int struck = killer.struck().size();
        SystemResult.TaskReport task = result[0] == null ? null : result[0].task(app.task());
        if (task != null && task.state() == TaskState.DEAD) {
            return new Cell("crashes", "the application died: " + task.lastFault(), struck);
        }
        if (wrong == null) {
            return new Cell("runs normally", null, struck);
        }
        // No complete answer (a timeout, a reset): the service is gone for the client; wrong bytes
        // or statuses: it malfunctions.
        boolean gone = wrong.startsWith("no complete answer") || wrong.startsWith("the client's connection failed");
        return new Cell(gone ? "crashes" : "malfunctions", wrong, struck);
    }

    /** {@code text} as one TSV field: tabs, line breaks and other control characters become spaces. */
    static String oneField(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
        return b.toString();
    }

    /** The last console line starting with {@code prefix}, or a note that there is none. */
    static String line(String console, String prefix) {
        String last = null;
        for (String l : console.lines().toList()) {
            if (l.startsWith(prefix)) {
                last = l.strip();
            }
        }
        return last == null ? "no '" + prefix + "' line" : "'" + last + "'";
    }

    /** tty_writer's 300 lines, each exactly once, in order (the driver's own start-up lines aside). */
    static String checkWriter(String console) {
        String uart = console.replace("tty: ready\n", "");
        List<String> lines = uart.lines().filter(l -> l.startsWith("line ")).toList();
        for (int i = 0; i < Math.min(300, lines.size()); i++) {
            if (!lines.get(i).startsWith(String.format("line %03d of 300", i + 1))) {
                return "line " + (i + 1) + " is '" + lines.get(i).strip() + "'";
            }
        }
        if (lines.size() != 300) {
            return lines.size() + " of 300 lines arrived";
        }
        return console.contains("tty_writer: done lines=300 errors=0") ? null : line(console, "tty_writer:");
    }

    /** tty_echo echoes every input line exactly once and counts exactly the input. */
    static String checkEcho(String console) {
        String uart = console.replace("tty: ready\n", "");
        List<String> echoed = uart.lines()
                .filter(l -> l.startsWith("echo: "))
                .map(l -> l.substring(6).strip())
                .toList();
        List<String> input = ECHO_INPUT.lines().toList();
        if (!echoed.equals(input)) {
            String first = "";
            for (int i = 0; i < Math.min(echoed.size(), input.size()); i++) {
                if (!echoed.get(i).equals(input.get(i))) {
                    first = ": line " + (i + 1) + " is '" + echoed.get(i) + "', sent '" + input.get(i) + "'";
                    break;
                }
            }
            return "echoed " + echoed.size() + " of " + input.size() + " lines"
                    + (echoed.size() == input.size() ? " (content differs" + first + ")" : first);
        }
        String want = String.format(
                "tty_echo: eof bytes=%d lines=%d fnv=%08x errors=0",
                ECHO_INPUT.length(), input.size(), fnv(ECHO_INPUT.getBytes(StandardCharsets.UTF_8)));
        return console.contains(want) ? null : line(console, "tty_echo:") + " (want '" + want + "')";
    }

    static int fnv(byte[] b) {
        int h = 0x811c9dc5;
        for (byte x : b) {
            h ^= x & 0xff;
            h *= 0x01000193;
        }
        return h;
    }

    private static String buildEchoInput() {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 60; i++) {
            sb.append("input line ")
                    .append(i)
                    .append(" the quick brown fox ")
                    .append(i * 7919 % 1000)
                    .append('\n');
        }
        return sb.toString();
    }
}
