package dev.rewind.tools.bench;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Engine;
import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code rewind bench qemu}: the project's benchmark programs (guest/bench/) under Rewind and
 * under QEMU's virt board, interleaved, best of N rounds each, per architecture: RISC-V against
 * {@code qemu-system-riscv64 -machine virt}, AArch64 against {@code qemu-system-aarch64 -machine
 * virt -cpu cortex-a72} (the model Unicorn 2 gives an ARM64 engine when none is set). Both builds of an architecture link the
 * same object file of each program; each program times only its kernel (CLOCK under Rewind; under
 * QEMU the CLINT's mtime on RISC-V, the generic timer's count on AArch64) and checks its own result.
 */
final class QemuBench {
    private static final Logger log = LoggerFactory.getLogger(QemuBench.class);

    /** The programs, in guest/Makefile's BENCH_PROGS order. */
    static final List<String> PROGRAMS =
            List.of("sort", "hash", "matrix", "strsearch", "compress", "fsm", "list", "crc", "bigmem");

    /** How one architecture's QEMU side is run: the binary, its Debian package, its options. */
    record Target(Arch arch, String binary, String pkg, List<String> options) {
        /** The classpath folder of this architecture's QEMU builds. */
        String resources() {
            return arch == Arch.RISCV64 ? "rewind/qemu/" : "rewind/qemu/" + arch.id() + "/";
        }
    }

    static Target target(Arch arch) {
        return switch (arch) {
            case RISCV64 -> new Target(arch, "qemu-system-riscv64", "qemu-system-misc", List.of("-bios", "none"));
            // semihosting: the programs' exit status (plat.c's _exit)
            case AARCH64 ->
                new Target(
                        arch, "qemu-system-aarch64", "qemu-system-arm", List.of("-cpu", "cortex-a72", "-semihosting"));
        };
    }

    private static final Pattern LINE = Pattern.compile("bench: (\\w+) ns=(\\d+) checksum=(0x[0-9a-f]+) (ok|FAIL.*)");

    /** One program's result line: the kernel's time and its checksum. */
    record Result(String name, long nanos, String checksum) {}

    private QemuBench() {}

    /** Parses a program's console output; fails unless it holds an "ok" line for {@code name}. */
    static Result parse(String name, String console) {
        Matcher m = LINE.matcher(console);
        if (!m.find() || !m.group(1).equals(name)) {
            throw new IllegalStateException("bench_" + name + " printed no result line:\n" + console);
        }
        if (!m.group(4).equals("ok")) {
            throw new IllegalStateException("bench_" + name + " failed its self-check: " + m.group());
        }
        return new Result(name, Long.parseLong(m.group(2)), m.group(3));
    }

    /** Boots builtin:bench_NAME.elf (aarch64/bench_NAME.elf) under Rewind (in this JVM) and returns its result. */
    static Result runRewind(Arch arch, String name) throws Exception {
        String elf = BenchCommand.image(arch, "bench_" + name + ".elf");
        SystemImage img = SystemImage.builtin(elf);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Kernel k = new Kernel(
                KernelConfig.defaults().withBudgetNanos(600_000_000_000L),
                img.manifest(),
                img.source(),
                new Uart(out),
                null)) {
            SystemResult r = k.run();
            String text = out.toString(StandardCharsets.UTF_8);
            if (r.outcome() != SystemResult.Outcome.OK) {
                throw new IllegalStateException(elf + " under Rewind: " + r.summary() + "\n" + text);
            }
            return parse(name, text);
        }
    }

    /** The command line that runs {@code elf} under {@code t}'s QEMU at {@code qemu}. */
    static List<String> command(Target t, Path qemu, Path elf) {
        List<String> cmd = new java.util.ArrayList<>(List.of(qemu.toString(), "-machine", "virt"));
        cmd.addAll(t.options());
        cmd.addAll(List.of("-display", "none", "-monitor", "none", "-serial", "stdio", "-kernel", elf.toString()));
        return cmd;
    }

    /** Runs {@code elf} under QEMU and returns its result. */
    static Result runQemu(Target t, Path qemu, String name, Path elf) throws Exception {
        Process p = new ProcessBuilder(command(t, qemu, elf))
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(elf + " under QEMU did not end within 300 s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(elf + " under QEMU exited with " + p.exitValue() + ":\n" + out);
        }
        return parse(name, out);
    }

    /** {@code t}'s QEMU on PATH, or null. */
    static Path findQemu(Target t) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, t.binary());
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && out.equals("0");
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /**
     * {@code t}'s QEMU binary, installed from Debian ({@code t.pkg()}) if missing and we are root;
     * otherwise fails with the command to run.
     */
    static Path ensureQemu(Target t) throws Exception {
        Path q = findQemu(t);
        if (q != null) {
            return q;
        }
        String cmd = "apt-get install -y " + t.pkg();
        if (!isRoot()) {
            throw new IllegalStateException(t.binary() + " is missing; install it with: sudo " + cmd);
        }
        System.err.println("rewind bench: " + t.binary() + " is missing; running: " + cmd);
        // apt's progress is dropped (stdout is the bench's table); its errors go to stderr.
        ProcessBuilder pb = new ProcessBuilder("apt-get", "install", "-y", t.pkg())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = pb.start();
        if (!p.waitFor(900, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("'" + cmd + "' failed (exit " + (p.isAlive() ? "timeout" : p.exitValue())
                    + "); run it yourself, then rerun the bench");
        }
        q = findQemu(t);
        if (q == null) {
            throw new IllegalStateException(cmd + " succeeded but " + t.binary() + " is still not on PATH");
        }
        return q;
    }

    /** Copies {@code t}'s QEMU builds (classpath rewind/qemu/[aarch64/]bench_NAME.elf) into a new temporary folder. */
    static Path extractQemuElfs(Target t) throws IOException {
        Path dir = Files.createTempDirectory("rewind-bench-qemu");
        for (String name : PROGRAMS) {
            String res = t.resources() + "bench_" + name + ".elf";
            try (InputStream in = QemuBench.class.getClassLoader().getResourceAsStream(res)) {
                if (in == null) {
                    throw new IllegalStateException("missing resource " + res + " (guest build incomplete?)");
                }
                Files.copy(in, dir.resolve("bench_" + name + ".elf"));
            }
        }
        return dir;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.debug("could not remove {}: {}", dir, e.toString());
        }
    }

    /**
     * Runs the comparison for each of {@code archs}: {@code rounds} interleaved rounds, then its
     * table on {@code out}.
     */
    static void run(int rounds, List<String> only, List<Arch> archs, PrintStream out) throws Exception {
        List<String> programs = only.isEmpty() ? PROGRAMS : only;
        for (String p : programs) {
            if (!PROGRAMS.contains(p)) {
                throw new IllegalArgumentException(
                        "unknown bench program '" + p + "' (expected some of " + PROGRAMS + ")");
            }
        }
        List<Path> qemus = new java.util.ArrayList<>();
        for (Arch a : archs) { // every QEMU first: a missing one fails before any run
            qemus.add(ensureQemu(target(a)));
        }
        for (int i = 0; i < archs.size(); i++) {
            run(target(archs.get(i)), qemus.get(i), rounds, programs, out);
        }
    }

    private static void run(Target t, Path qemu, int rounds, List<String> programs, PrintStream out) throws Exception {
        String qemuVersion = qemuVersion(qemu);
        Path dir = extractQemuElfs(t);
        try {
            int n = programs.size();
            long[] rewind = new long[n];
            long[] qemuNs = new long[n];
            java.util.Arrays.fill(rewind, Long.MAX_VALUE);
            java.util.Arrays.fill(qemuNs, Long.MAX_VALUE);
            String[] sums = new String[n];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < n; i++) { // Rewind, QEMU, Rewind, QEMU...: both see the same machine
                    String name = programs.get(i);
                    Result a = runRewind(t.arch(), name);
                    Result b = runQemu(t, qemu, name, dir.resolve("bench_" + name + ".elf"));
                    if (!a.checksum().equals(b.checksum())) {
                        throw new IllegalStateException(
                                name + ": Rewind's checksum " + a.checksum() + " differs from QEMU's " + b.checksum());
                    }
                    sums[i] = a.checksum();
                    rewind[i] = Math.min(rewind[i], a.nanos());
                    qemuNs[i] = Math.min(qemuNs[i], b.nanos());
                    log.debug(
                            "round {} {} {}: rewind {} ns, qemu {} ns",
                            r + 1,
                            t.arch().id(),
                            name,
                            a.nanos(),
                            b.nanos());
                }
            }
            out.printf(
                    "qemu:    %s: %s%n",
                    t.arch().id(), String.join(" ", command(t, Path.of(t.binary()), Path.of("ELF"))));
            out.printf(
                    "qemu:    engine: unicorn %s (%s); %s; best of %d interleaved rounds, kernel time only%n",
                    Engine.version(), Engine.library(), qemuVersion, rounds);
            out.printf(
                    "qemu:    %-10s %12s %12s %8s   %s%n",
                    "program", "rewind ms", "qemu ms", "ratio", "checksum (both)");
            double logSum = 0;
            for (int i = 0; i < n; i++) {
                double ratio = (double) rewind[i] / qemuNs[i];
                logSum += Math.log(ratio);
                out.printf(
                        "qemu:    %-10s %12.1f %12.1f %8.2f   %s%n",
                        programs.get(i), rewind[i] / 1e6, qemuNs[i] / 1e6, ratio, sums[i]);
            }
            out.printf(
                    "qemu:    geometric mean of the ratios (Rewind / QEMU): %.2f over %d programs%n",
                    Math.exp(logSum / n), n);
        } finally {
            deleteTree(dir);
        }
    }

    private static String qemuVersion(Path qemu) {
        try {
            Process p = new ProcessBuilder(qemu.toString(), "--version")
                    .redirectErrorStream(true)
                    .start();
            String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .findFirst()
                    .orElse("");
            p.waitFor(30, TimeUnit.SECONDS);
            return first.replace("QEMU emulator version", "qemu").strip();
        } catch (IOException | InterruptedException e) {
            return "qemu (version unknown)";
        }
    }
}
