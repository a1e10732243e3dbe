package dev.rewind.tools.bench;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Engine;
import dev.rewind.hw.dev.Uart;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.KernelObserver;
import dev.rewind.kernel.RecoveryOutcome;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.RecoveryPolicy;
import dev.rewind.kernel.probe.DriverKiller;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rewind bench}: the speed and memory numbers recorded in docs/PERFORMANCE.md. Each
 * figure is printed with its baseline measured in the same run.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Print the speed and memory numbers recorded in docs/PERFORMANCE.md.",
            "",
            "IPC and syscall round trips, guest instruction throughput under the kernel against bare",
            "Unicorn, boot time, the memory cost of an idle task, TxIPC overhead and block I/O.",
            ""
        },
        footer = {
            "",
            "WHAT: any of ipc, compute, store, boot, memory, txipc, blk, net (default: all), and qemu.",
            "qemu (only when named): the programs of guest/bench/ (sort, hash, matrix, strsearch, compress, fsm,",
            "list, crc, bigmem) under Rewind and under QEMU's virt board (qemu-system-riscv64; qemu-system-aarch64 -cpu",
            "cortex-a72), interleaved, best of --runs rounds; prints each ratio and their geometric mean. Installs",
            "qemu-system-misc / qemu-system-arm if missing (as root; otherwise prints the apt-get command).",
            "txipc: KV and FS workloads with and without txipc, rollback time by pages dirtied, history replays.",
            "The workloads are 10-30 ms long: their ratios move by about 0.1 between benches at 5 runs, by",
            "about 0.01 at --runs 60 (7 minutes). --warmup rounds come first and are not counted.",
            "blk: block driver throughput and latency with and without the shadow tap, and the time from a",
            "driver fault to service restored.",
            "net: HTTP through a forwarded host port into t_net_http (NIC driver, lwIP stack server, HTTP server):",
            "requests per second on one kept-alive connection and the throughput of an 8 MiB answer, with the NIC",
            "driver under a shadow and without one.",
            "ipc, compute, store and txipc print a column per architecture (riscv64, aarch64; --arch picks one),",
            "qemu a table per architecture; boot, memory, blk and net measure RISC-V.",
            "Numbers are medians over --runs runs; results go to stdout."
        })
public final class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private static final List<String> ALL = List.of("ipc", "compute", "store", "boot", "memory", "txipc", "blk", "net");
    /** Benchmarks run only when named. */
    private static final List<String> EXTRA = List.of("qemu");

    @Parameters(arity = "0..*", paramLabel = "WHAT", description = "Benchmarks to run (default: all).")
    List<String> what = new ArrayList<>();

    @Option(
            names = "--runs",
            paramLabel = "N",
            description = "Runs per measurement; the median is reported (default: 5).")
    int runs = 5;

    @Option(
            names = "--warmup",
            paramLabel = "N",
            description = "txipc: interleaved rounds run and not counted before the --runs rounds, per workload"
                    + " and architecture (default: 30).")
    int warmup = 30;

    @Option(
            names = "--programs",
            split = ",",
            paramLabel = "NAME,...",
            description = "qemu: only these of the benchmark programs (default: all nine).")
    List<String> programs = new ArrayList<>();

    @Option(
            names = "--arch",
            paramLabel = "ARCH",
            description =
                    "ipc, compute, store, txipc, qemu: only this architecture, riscv64 or aarch64 (default: both).")
    String arch;

    /** The architectures of the per-architecture columns. */
    private List<Arch> archs = List.of(Arch.values());

    @Option(
            names = "--idle-tasks",
            paramLabel = "N",
            description = "Idle tasks booted by the memory benchmark (default: 200).")
    int idleTasks = 200;

    @Override
    public Integer call() throws Exception {
        Set<String> todo = new LinkedHashSet<>(what.isEmpty() ? ALL : what);
        for (String w : todo) {
            if (!ALL.contains(w) && !EXTRA.contains(w)) {
                throw new IllegalArgumentException(
                        "unknown benchmark '" + w + "' (expected one of " + ALL + " or " + EXTRA + ")");
            }
        }
        if (runs < 1 || runs > 1000) {
            throw new IllegalArgumentException("--runs must be between 1 and 1000");
        }
        if (warmup < 0 || warmup > 1000) {
            throw new IllegalArgumentException("--warmup must be between 0 and 1000");
        }
        if (idleTasks < 1 || idleTasks > 1000) {
            throw new IllegalArgumentException("--idle-tasks must be between 1 and 1000");
        }
        if (!programs.isEmpty()) {
            if (!todo.contains("qemu")) {
                throw new IllegalArgumentException(
                        "--programs chooses among the qemu benchmark's programs: name qemu too (rewind bench qemu"
                                + " --programs " + String.join(",", programs) + ")");
            }
            for (String p : programs) {
                if (!QemuBench.PROGRAMS.contains(p)) {
                    throw new IllegalArgumentException(
                            "unknown bench program '" + p + "' (expected some of " + QemuBench.PROGRAMS + ")");
                }
            }
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--idle-tasks") && !todo.contains("memory")) {
            throw new IllegalArgumentException("--idle-tasks sets the memory benchmark's tasks: name memory too");
        }
        if (arch != null) {
            Arch a = Arch.named(arch);
            if (a == null) {
                throw new IllegalArgumentException("--arch must be riscv64 or aarch64: " + arch);
            }
            archs = List.of(a);
        }
        System.out.printf(
                "rewind bench: unicorn %s, %d cores, java %s, %d runs each%n",
                Engine.version(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), runs);
        // On a terminal, a progress line (benchmarks done, which runs now) below their results.
        dev.rewind.tools.Progress progress = dev.rewind.tools.Progress.start("bench", "benchmarks", todo.size(), 0);
        java.io.PrintStream stdout = System.out;
        System.setOut(progress.guard(stdout));
        try (progress) {
            for (String w : todo) {
                progress.item(w);
                bench(w);
                progress.step(false);
            }
        } finally {
            System.out.flush();
            System.setOut(stdout);
        }
        return 0;
    }

    /** Run benchmark {@code w}, printing its lines. */
    private void bench(String w) throws Exception {
        switch (w) {
            case "ipc" -> ipc();
            case "compute" -> loops("compute", "bench_compute.elf", "compute_loop");
            case "store" -> loops("store", "bench_store.elf", "store_loop");
            case "boot" -> boot();
            case "memory" -> memory();
            case "txipc" -> txipc();
            case "blk" -> blk();
            case "net" -> net();
            case "qemu" -> QemuBench.run(runs, programs, archs, System.out);
            default -> throw new IllegalStateException(w);
        }
    }

    /** a[i] / b[i] for each i. */
    static double[] ratios(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] / b[i];
        }
        return r;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Boot a built-in image with console captured; returns the console text. */
    private static String bootCapture(String image) throws Exception {
        SystemImage img = SystemImage.builtin(image);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Kernel k = new Kernel(KernelConfig.defaults(), img.manifest(), img.source(), new Uart(out), null)) {
            SystemResult r = k.run();
            if (r.outcome() != SystemResult.Outcome.OK) {
                throw new IllegalStateException(image + " did not finish cleanly: " + r.summary() + "\n" + out);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static long[] grab(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("benchmark output lacks /" + regex + "/:\n" + text);
        }
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    /** The built-in image {@code name} built for {@code arch} ("t_ipcbench.toml", "aarch64/t_ipcbench.toml"). */
    static String image(Arch arch, String name) {
        return arch == Arch.RISCV64 ? name : arch.id() + "/" + name;
    }

    /** A table row: {@code label}, then one cell per architecture of {@link #archs}. */
    private void row(String label, List<String> cells, String note) {
        StringBuilder sb = new StringBuilder(String.format("%-49s", label));
        for (String c : cells) {
            sb.append(String.format(" %22s", c));
        }
        if (!note.isEmpty()) {
            sb.append("   ").append(note);
        }
        System.out.println(sb);
    }

    /** The header row of a table: {@code label} and the architectures' names. */
    private void header(String label) {
        row(label, archs.stream().map(Arch::id).toList(), "");
    }

    private void ipc() throws Exception {
        List<String> ipcCells = new ArrayList<>();
        List<String> sysCells = new ArrayList<>();
        List<String> trapCells = new ArrayList<>();
        List<String> pingCells = new ArrayList<>();
        for (Arch a : archs) {
            String toml = image(a, "t_ipcbench.toml");
            bootCapture(toml); // warm-up
            double[] ipc = new double[runs];
            double[] sys = new double[runs];
            for (int i = 0; i < runs; i++) {
                String out = bootCapture(toml);
                long[] c = grab(out, "ipcbench: calls=(\\d+) ns=(\\d+)");
                long[] sc = grab(out, "ipcbench: syscalls=(\\d+) ns=(\\d+)");
                ipc[i] = (double) c[1] / c[0];
                sys[i] = (double) sc[1] / sc[0];
            }
            double[] trap = new double[runs];
            double[] pingPong = new double[runs];
            try (BareUnicorn b = new BareUnicorn(a)) {
                b.ecallNanos(200_000);
                BareUnicorn.pingPongNanos(a, 200_000);
                for (int i = 0; i < runs; i++) {
                    trap[i] = b.ecallNanos(200_000);
                    pingPong[i] = BareUnicorn.pingPongNanos(a, 200_000);
                }
            }
            ipcCells.add(String.format("%.0f ns", median(ipc)));
            sysCells.add(String.format("%.0f ns", median(sys)));
            trapCells.add(String.format("%.0f ns", 2 * median(trap)));
            pingCells.add(String.format("%.0f ns", median(pingPong)));
        }
        header("ipc:");
        row(
                "ipc:     null IPC round trip (call + reply_recv)",
                ipcCells,
                String.format("(median of %d runs x 200000 calls)", runs));
        row("ipc:     syscall round trip (task_self)", sysCells, "");
        row("ipc:     bare Unicorn, same run: 2 traps", trapCells, "(ecall, svc)");
        row("ipc:     bare Unicorn, two engines trapping in turn", pingCells, "per round");
    }

    /**
     * Guest code under the kernel against the same function on a bare engine. The two run in
     * pairs (kernel, bare, kernel, bare...) on loops of a few hundred ms, and the figure is the
     * median of each pair's ratio: the host's speed drifts under load, a pair shares it.
     */
    private void loops(String name, String elf, String symbol) throws Exception {
        List<String> kernelCells = new ArrayList<>();
        List<String> bareCells = new ArrayList<>();
        List<String> ratioCells = new ArrayList<>();
        long iterations = 0;
        for (Arch a : archs) {
            double[] r = loop(name, image(a, elf), elf, symbol, a);
            iterations = (long) r[0];
            kernelCells.add(String.format("%.1f ms (%.1f M/s)", r[1] / 1e6, r[0] / (r[1] / 1e3)));
            bareCells.add(String.format("%.1f ms (%.1f M/s)", r[2] / 1e6, r[0] / (r[2] / 1e3)));
            ratioCells.add(String.format("%.1f%%", 100 * r[3]));
        }
        header(String.format("%-8s %d iterations", name + ":", iterations));
        row(String.format("%-8s kernel", name + ":"), kernelCells, "");
        row(String.format("%-8s bare Unicorn", name + ":"), bareCells, "");
        row(
                String.format("%-8s kernel speed, %% of bare", name + ":"),
                ratioCells,
                String.format("(median of %d kernel/bare pairs)", runs));
    }

    /** One architecture's side of {@link #loops}: {iterations, kernel ns, bare ns, bare/kernel}. */
    private double[] loop(String name, String builtin, String elf, String symbol, Arch arch) throws Exception {
        SystemImage img = SystemImage.builtin(builtin);
        ElfImage image = ElfImage.parse(img.source().read(elf), elf);
        long fn = image.symbol(symbol).orElseThrow(() -> new IllegalStateException(elf + " has no symbol " + symbol));
        long gp = image.symbol("__global_pointer$").orElse(0);
        double[] kernel = new double[runs];
        double[] bare = new double[runs];
        try (BareUnicorn b = new BareUnicorn(arch)) {
            b.load(image);
            long n = grab(bootCapture(builtin), "bench: " + name + " n=(\\d+) ns=(\\d+)")[0]; // warm-up, both sides
            b.call(fn, n, gp);
            for (int i = 0; i < runs; i++) {
                long[] r = grab(bootCapture(builtin), "bench: " + name + " n=(\\d+) ns=(\\d+)");
                kernel[i] = r[1];
                bare[i] = b.call(fn, n, gp);
            }
            return new double[] {n, median(kernel), median(bare), median(ratios(bare, kernel))};
        }
    }

    private void boot() throws Exception {
        Path jar = jarPath();
        if (jar == null) {
            System.out.println("boot:    skipped (run from the packaged jar: ./rewind bench boot)");
            return;
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        double[] first = new double[runs];
        double[] total = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(java, "-jar", jar.toString(), "boot", "--quiet")
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line = r.readLine();
                first[i] = (System.nanoTime() - t0) / 1e6;
                if (line == null) {
                    throw new IllegalStateException("the demo printed nothing");
                }
                while (r.readLine() != null) {
                    // drain
                }
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("the demo did not end within 60 s");
            }
            total[i] = (System.nanoTime() - t0) / 1e6;
        }
        System.out.printf(
                "boot:    'rewind boot' (demo): first console line after %.0f ms, whole run %.0f ms (new JVM each run)%n",
                median(first), median(total));
    }

    /** One boot of {@code toml} with {@code server}'s policy set; returns {total ns, server CPU ns}. */
    private static long[] workload(String toml, String server, String policy) throws Exception {
        return workload(toml, server, policy, -1);
    }

    /** As above, with txipc's replay_depth set to {@code replayDepth} (-1: the manifest's). */
    private static long[] workload(String toml, String server, String policy, int replayDepth) throws Exception {
        return workload(toml, server, policy, replayDepth, "");
    }

    /** As above, with {@code extra} (manifest lines) added to the server's recovery settings. */
    private static long[] workload(String toml, String server, String policy, int replayDepth, String extra)
            throws Exception {
        SystemImage img = SystemImage.builtin(toml);
        String file = toml.substring(toml.lastIndexOf('/') + 1); // without aarch64/
        String text = new String(img.source().read(file), StandardCharsets.UTF_8)
                .replace(
                        "recovery = \"txipc\"",
                        "recovery = \"" + policy + "\"" + (replayDepth >= 0 ? "\nreplay_depth = " + replayDepth : "")
                                + extra);
        if (!policy.equals("txipc")) {
            text = text.replaceAll("(?m)^(deadline_ms|max_aborts|abort_window_ms|replay_depth) = .*$", "");
        }
        Manifest m = Manifest.parse(text, file);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Kernel k = new Kernel(KernelConfig.defaults(), m, img.source(), new Uart(out), null)) {
            // CPU time of this thread (the kernel runs the whole system on it): unlike wall time,
            // it does not count time the host gave to other processes.
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long t0 = mx.getCurrentThreadCpuTime();
            SystemResult r = k.run();
            long t1 = mx.getCurrentThreadCpuTime();
            if (r.outcome() != SystemResult.Outcome.OK) {
                throw new IllegalStateException(toml + " under " + policy + ": " + r.summary() + "\n" + out);
            }
            return new long[] {t1 - t0, k.task(server).cpuNanos()};
        }
    }

    private void txipc() throws Exception {
        for (String[] w : new String[][] {{"t_kv_oracle.toml", "kv"}, {"t_fs_oracle.toml", "fs"}}) {
            List<String> cpuCells = new ArrayList<>();
            List<String> serverCells = new ArrayList<>();
            List<String> flatCells = new ArrayList<>();
            List<String> uncheckedCells = new ArrayList<>();
            List<String> uncopiedCells = new ArrayList<>();
            List<String> shallowCells = new ArrayList<>();
            List<String> bareCells = new ArrayList<>();
            for (Arch a : archs) {
                double[] r = txipcWorkload(image(a, w[0]), w[1]);
                cpuCells.add(String.format("%.3f (%.0f/%.0f ms)", r[2], r[0] / 1e6, r[1] / 1e6));
                serverCells.add(String.format("%.3f (%.0f/%.0f ms)", r[5], r[3] / 1e6, r[4] / 1e6));
                flatCells.add(String.format("%.3f (%.0f ms)", r[7], r[6] / 1e6));
                uncheckedCells.add(String.format("%.3f (%.0f ms)", r[9], r[8] / 1e6));
                bareCells.add(String.format("%.3f (%.0f ms)", r[11], r[10] / 1e6));
                uncopiedCells.add(String.format("%.3f (%.0f ms)", r[13], r[12] / 1e6));
                shallowCells.add(String.format("%.3f (%.0f ms)", r[15], r[14] / 1e6));
            }
            header("txipc:   " + w[1] + " workload, with/without txipc");
            row("txipc:   " + w[1] + " CPU ratio", cpuCells, "(median of each run's ratio)");
            row("txipc:   time on the " + w[1] + " server, ratio", serverCells, "");
            row("txipc:   " + w[1] + " CPU ratio, replay_depth = 0", flatCells, "");
            row("txipc:   " + w[1] + " CPU ratio, replay_depth = 512", shallowCells, "");
            row("txipc:   " + w[1] + " CPU ratio, code_check = false", uncheckedCells, "");
            row("txipc:   " + w[1] + " CPU ratio, keep_copy = false", uncopiedCells, "");
            row("txipc:   " + w[1] + " CPU ratio, all three off (the undo log alone)", bareCells, "");
        }
        txipcRollbackAndReplay();
    }

    /**
     * One architecture's TxIPC workload: {CPU with, without, ratio, server time with, without,
     * ratio, CPU with replay_depth 0, its ratio, CPU with code_check = false, its ratio, CPU with
     * all three off (only the per-request undo log: no history, no code check, no committed
     * copy), its ratio, CPU with keep_copy = false, its ratio, CPU with replay_depth 512 (the
     * default before 2026-12-04: a ring cycled within the cache), its ratio}.
     */
    private double[] txipcWorkload(String toml, String server) throws Exception {
        // Rounds run and dropped first: until the JIT has compiled the kernel's per-request
        // paths for every variant (the variants take other branches through them), a txipc
        // boot, which runs more of that code, measured 1.6-1.8 of the boot before it; kv's
        // median at --runs 9 was 1.68 with no such rounds, 1.41-1.43 after 10, 1.26-1.28 after 30.
        for (int i = 0; i < warmup; i++) {
            txipcRound(toml, server);
        }
        double[][] wall = new double[TXIPC_VARIANTS][runs];
        double[] cpu = new double[runs];
        double[] cpuBase = new double[runs];
        for (int i = 0; i < runs; i++) { // interleaved, so all see the same machine
            long[][] round = txipcRound(toml, server);
            for (int v = 0; v < TXIPC_VARIANTS; v++) {
                wall[v][i] = round[v][0];
            }
            cpuBase[i] = round[0][1];
            cpu[i] = round[1][1];
        }
        // Ratios are medians of each run's ratio to the run of the same workload without
        // txipc just before it: the host's speed drifts between runs, a pair shares it.
        double[] out = new double[2 * TXIPC_VARIANTS + 2];
        out[0] = median(wall[1]);
        out[1] = median(wall[0]);
        out[2] = median(ratios(wall[1], wall[0]));
        out[3] = median(cpu);
        out[4] = median(cpuBase);
        out[5] = median(ratios(cpu, cpuBase));
        for (int v = 2; v < TXIPC_VARIANTS; v++) {
            out[2 * v + 2] = median(wall[v]);
            out[2 * v + 3] = median(ratios(wall[v], wall[0]));
        }
        return out;
    }

    /** The variants of one {@link #txipcRound}, in its order. */
    private static final int TXIPC_VARIANTS = 7;

    /**
     * One boot of the workload per variant, one after the other: without txipc, txipc as the
     * manifest has it, replay_depth 0, code_check = false, all three off, keep_copy = false,
     * replay_depth 512. Each: {total ns, server CPU ns}.
     */
    private static long[][] txipcRound(String toml, String server) throws Exception {
        return new long[][] {
            workload(toml, server, "none"),
            workload(toml, server, "txipc"),
            workload(toml, server, "txipc", 0),
            workload(toml, server, "txipc", -1, "\ncode_check = false"),
            workload(toml, server, "txipc", 0, "\ncode_check = false\nkeep_copy = false"),
            workload(toml, server, "txipc", -1, "\nkeep_copy = false"),
            workload(toml, server, "txipc", 512)
        };
    }

    /** The page counts of the rollback line. */
    private static final int[] ROLLBACK_PAGES = {1, 4, 16, 64, 256};

    /**
     * The rollback cost by pages dirtied and the history replays, in a column per architecture:
     * the rollback on a bare CPU of each (the write tracker is the same native code; its pages
     * are the engine's), the replays in each architecture's build of the workloads.
     */
    private void txipcRollbackAndReplay() throws Exception {
        List<List<String>> rollback = new ArrayList<>();
        for (int ignored : ROLLBACK_PAGES) {
            rollback.add(new ArrayList<>());
        }
        for (Arch a : archs) {
            double[] med = rollbackNanos(a);
            for (int i = 0; i < ROLLBACK_PAGES.length; i++) {
                rollback.get(i)
                        .add(String.format("%.1f µs (%.2f µs/page)", med[i] / 1e3, med[i] / 1e3 / ROLLBACK_PAGES[i]));
            }
        }
        header("txipc:   rollback time by pages dirtied");
        for (int i = 0; i < ROLLBACK_PAGES.length; i++) {
            int p = ROLLBACK_PAGES[i];
            row(
                    String.format("txipc:   %d page%s", p, p == 1 ? "" : "s"),
                    rollback.get(i),
                    i == 0 ? String.format("(median of %d rollbacks)", rollbackCount()) : "");
        }
        for (String[] w : new String[][] {{"t_kv_oracle.toml", "kv"}, {"t_fs_oracle.toml", "fs"}}) {
            List<String> undone = new ArrayList<>();
            List<String> time = new ArrayList<>();
            List<String> count = new ArrayList<>();
            for (Arch a : archs) {
                double[] r = replay(image(a, w[0]), w[1]);
                if (r == null) {
                    undone.add("none caused one");
                    time.add("-");
                    count.add("0");
                } else {
                    undone.add(String.format("%.0f (%.0f pages)", r[1], r[2]));
                    time.add(String.format("%.1f ms (%.0f µs/req.)", r[0] / 1e6, r[0] / 1e3 / r[1]));
                    count.add(String.format("%.0f", r[3]));
                }
            }
            header("txipc:   history replay (" + w[1] + ")");
            row("txipc:   committed requests undone and run again", undone, "(medians over the replays)");
            row("txipc:   time (per request)", time, "");
            row("txipc:   replays measured", count, "");
        }
    }

    private int rollbackCount() {
        return Math.max(runs, 5) * 20;
    }

    /** The median time of a rollback of each of {@link #ROLLBACK_PAGES} pages on a bare {@code arch} CPU. */
    private double[] rollbackNanos(Arch arch) {
        try (dev.rewind.hw.mem.PhysicalMemory ram = new dev.rewind.hw.mem.PhysicalMemory(64L << 20);
                dev.rewind.hw.cpu.Cpu cpu = arch.newCpu(ram)) {
            cpu.memory().map("data", 0x100000, 256L * 4096, dev.rewind.hw.mem.Perm.RW);
            dev.rewind.hw.mem.WriteTracker tr = cpu.enableWriteTracking(dev.rewind.hw.cpu.Cpu.TrackerKind.NATIVE, 1024);
            double[] med = new double[ROLLBACK_PAGES.length];
            for (int k = 0; k < ROLLBACK_PAGES.length; k++) {
                double[] t = new double[rollbackCount()];
                for (int i = 0; i < t.length; i++) {
                    tr.begin();
                    tr.logRange(0x100000, ROLLBACK_PAGES[k] * 4096L);
                    long t0 = System.nanoTime();
                    tr.rollback();
                    t[i] = System.nanoTime() - t0;
                }
                med[k] = median(t);
            }
            return med;
        }
    }

    /**
     * The cost of a history replay: corrupted instructions (seeds 1, 2, ...) make the server's
     * aborts replay its history (with {@code code_check = false}: the check would find the changed
     * code before a reply and undo only that request). Returns the medians over up to {@code runs} replays {nanos,
     * requests, pages} and the number of replays, or null if no seed caused one.
     */
    private double[] replay(String toml, String server) throws Exception {
        SystemImage img = SystemImage.builtin(toml);
        long[] lengths = new dev.rewind.tools.inject.Campaign(
                        img, server, RecoveryPolicy.TXIPC, 1000, KernelConfig.defaults())
                .profile();
        List<long[]> seen = new ArrayList<>(); // {nanos, requests, pages}
        for (long seed = 1; seed <= 50L * runs && seen.size() < runs; seed++) {
            dev.rewind.kernel.probe.FaultInjector inj =
                    new dev.rewind.kernel.probe.FaultInjector(dev.rewind.kernel.probe.FaultInjector.Plan.of(
                            seed,
                            List.of(dev.rewind.kernel.probe.FaultInjector.Type.INSTRUCTION_CORRUPTION),
                            server,
                            lengths));
            KernelObserver obs = new KernelObserver() {
                @Override
                public void historyReplayed(Task t, int requests, int pages, int differed, long nanos) {
                    seen.add(new long[] {nanos, requests, pages});
                }

                // The faults are injected on purpose: taking their reports makes the kernel and
                // TxIpc log them and their recoveries at debug level instead of WARN lines.
                @Override
                public boolean reportsFaults() {
                    return true;
                }

                @Override
                public boolean reportsRecoveries() {
                    return true;
                }
            };
            Manifest m = img.manifest();
            m = m.withTasks(m.tasks().stream()
                    .map(t -> t.name().equals(server)
                            ? t.withRecovery(
                                    t.recovery(), t.runawayMs(), t.txipc().withCodeCheck(false))
                            : t)
                    .toList());
            try (Kernel k = new Kernel(
                    KernelConfig.defaults().withBudgetNanos(20_000_000_000L),
                    m,
                    img.source(),
                    new Uart(new ByteArrayOutputStream()),
                    obs)) {
                k.setProbe(inj);
                k.run();
            }
        }
        if (seen.isEmpty()) {
            return null;
        }
        return new double[] {
            median(seen.stream().mapToDouble(x -> x[0]).toArray()),
            median(seen.stream().mapToDouble(x -> x[1]).toArray()),
            median(seen.stream().mapToDouble(x -> x[2]).toArray()),
            seen.size()
        };
    }

    /** One blk_bench boot with the block driver under {@code policy}: {write ns, read ns, bytes}. */
    private static long[] blkBench(RecoveryPolicy policy) throws Exception {
        SystemImage img = SystemImage.builtin("t_blkbench.toml");
        Manifest m = img.manifest();
        m = m.withTasks(m.tasks().stream()
                .map(t -> t.name().equals("blk") ? t.withRecovery(policy) : t)
                .toList());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Kernel k = new Kernel(KernelConfig.defaults(), m, img.source(), new Uart(out), null)) {
            SystemResult r = k.run();
            if (r.outcome() != SystemResult.Outcome.OK) {
                throw new IllegalStateException(
                        "t_blkbench under " + policy.configName() + ": " + r.summary() + "\n" + out);
            }
        }
        Matcher mt = Pattern.compile("blk_bench: write_ns=(\\d+) read_ns=(\\d+) bytes=(\\d+)")
                .matcher(out.toString(StandardCharsets.UTF_8));
        if (!mt.find()) {
            throw new IllegalStateException("blk_bench output lacks its result line:\n" + out);
        }
        return new long[] {Long.parseLong(mt.group(1)), Long.parseLong(mt.group(2)), Long.parseLong(mt.group(3))};
    }

    private void net() throws Exception {
        NetBench.run(RecoveryPolicy.NONE); // warm-up
        double[] rate = new double[runs],
                rateBase = new double[runs],
                tput = new double[runs],
                tputBase = new double[runs];
        for (int i = 0; i < runs; i++) { // interleaved, so both see the same machine
            double[] base = NetBench.run(RecoveryPolicy.NONE);
            double[] tap = NetBench.run(RecoveryPolicy.SHADOW);
            rateBase[i] = base[0];
            tputBase[i] = base[1];
            rate[i] = tap[0];
            tput[i] = tap[1];
        }
        System.out.printf(
                "net:     HTTP GET / (one kept-alive connection): %.0f requests/s with the shadow tap vs %.0f without"
                        + " (ratio %.3f)%n",
                median(rate), median(rateBase), median(rate) / median(rateBase));
        System.out.printf(
                "net:     HTTP GET of %d MiB: %.1f MiB/s with the shadow tap vs %.1f without (ratio %.3f)%n",
                NetBench.BYTES >> 20,
                median(tput) / (1 << 20),
                median(tputBase) / (1 << 20),
                median(tput) / median(tputBase));
    }

    private void blk() throws Exception {
        blkBench(RecoveryPolicy.RESTART); // warm-up
        blkBench(RecoveryPolicy.SHADOW);
        double[] w = new double[runs], rd = new double[runs], wb = new double[runs], rb = new double[runs];
        long bytes = 0;
        for (int i = 0; i < runs; i++) { // interleaved, so both see the same machine
            long[] base = blkBench(RecoveryPolicy.RESTART);
            long[] tap = blkBench(RecoveryPolicy.SHADOW);
            wb[i] = base[0];
            rb[i] = base[1];
            w[i] = tap[0];
            rd[i] = tap[1];
            bytes = base[2];
        }
        long requests = bytes / 4096;
        System.out.printf(
                "blk:     write %.1f MiB/s with the shadow tap vs %.1f without (ratio %.3f); %.2f µs vs %.2f µs per 4 KiB request%n",
                bytes / (median(w) / 1e9) / (1 << 20),
                bytes / (median(wb) / 1e9) / (1 << 20),
                median(wb) / median(w),
                median(w) / requests / 1e3,
                median(wb) / requests / 1e3);
        System.out.printf(
                "blk:     read  %.1f MiB/s with the shadow tap vs %.1f without (ratio %.3f); %.2f µs vs %.2f µs per 4 KiB request%n",
                bytes / (median(rd) / 1e9) / (1 << 20),
                bytes / (median(rb) / 1e9) / (1 << 20),
                median(rb) / median(rd),
                median(rd) / requests / 1e3,
                median(rb) / requests / 1e3);
        // Fault to service restored: kill the shadowed block driver ten times during blk_stress.
        List<Double> restore = new ArrayList<>();
        for (int i = 0; i < Math.max(1, runs / 2); i++) {
            SystemImage img = SystemImage.builtin("t_blk.toml");
            List<String> faults = new ArrayList<>();
            int[] recovered = {0};
            // The kills are made on purpose: this observer takes the fault and recovery reports,
            // so the kernel and the shadow log them at debug level instead of WARN lines; the run
            // checks them below.
            KernelObserver obs = new KernelObserver() {
                @Override
                public void driverRecovered(
                        Task driver, Fault fault, int replayed, int reissued, int held, long nanos) {
                    restore.add((double) nanos);
                    recovered[0]++;
                }

                @Override
                public boolean reportsFaults() {
                    return true;
                }

                @Override
                public boolean reportsRecoveries() {
                    return true;
                }

                @Override
                public void taskFaulted(Task t, int generation, Fault f, RecoveryOutcome outcome) {
                    faults.add(t.name() + ": " + f + "; " + outcome);
                }
            };
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (Kernel k = new Kernel(KernelConfig.defaults(), img.manifest(), img.source(), new Uart(out), obs)) {
                k.setProbe(new DriverKiller("blk", 40, 20, 60, 100, 140, 180, 220, 260, 300, 340, 380));
                SystemResult r = k.run();
                if (r.outcome() != SystemResult.Outcome.OK
                        || !out.toString(StandardCharsets.UTF_8).contains("blk_stress: ok")
                        || faults.size() != recovered[0]) {
                    throw new IllegalStateException("t_blk with driver kills: " + r.summary() + "; faults " + faults
                            + ", " + recovered[0] + " driver recoveries\n" + out);
                }
            }
        }
        double[] t = restore.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(t);
        System.out.printf(
                "blk:     driver fault to service restored (shadow: restart, reset, replay, re-issue): median %.2f ms, max %.2f ms over %d faults%n",
                median(t) / 1e6, t[t.length - 1] / 1e6, t.length);
    }

    private static Path jarPath() {
        try {
            Path p = Path.of(BenchCommand.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            return p.toString().endsWith(".jar") ? p : null;
        } catch (Exception e) {
            return null;
        }
    }

    private void memory() throws Exception {
        if (idleTasks < 1 || idleTasks > 1000) {
            throw new IllegalArgumentException("--idle-tasks must be between 1 and 1000");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        double[] perTask = new double[runs];
        for (int i = 0; i < runs; i++) {
            long one = peakRss(java, 1);
            long many = peakRss(java, 1 + idleTasks);
            perTask[i] = (many - one) / (double) idleTasks / (1 << 20);
        }
        System.out.printf(
                "memory:  idle task ('rewind boot' of 1 vs %d idle tasks, peak RSS): %.2f MiB host memory each%n",
                1 + idleTasks, median(perTask));
    }

    /** The peak RSS of a plain JVM (no options) that boots {@code tasks} idle tasks. */
    private static long peakRss(String java, int tasks) throws Exception {
        Process p = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        IdleMemoryProbe.class.getName(),
                        Integer.toString(tasks))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("memory probe failed: " + out);
        }
        return Long.parseLong(out);
    }
}
