package dev.rewind.kernel.fuzz;

import dev.rewind.hw.cpu.RiscvCpu;
import dev.rewind.hw.dev.Uart;
import dev.rewind.hw.dev.UartDevice;
import dev.rewind.kernel.BoundDevice;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.ImageSource;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.KernelObserver;
import dev.rewind.kernel.RecoveryOutcome;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.TaskState;
import dev.rewind.kernel.image.Manifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One fuzz system, generated from a seed: 2 to 4 fuzz tasks (random programs from
 * {@link FuzzGen}: servers under recovery none / restart / txipc, clients, maybe a driver
 * owning a device, under shadow when it serves), a well-behaved echo server the fuzz tasks may
 * call, a well-behaved client calling the first fuzz server, and a reference pair whose output
 * is known: a generated client and server that check every reply, or (every
 * {@link #STOCK_EVERY}th seed) the built-in ipc_echo + ipc_client. {@link #run} boots it
 * and checks what must hold whatever the fuzz tasks do.
 */
final class FuzzSystem {
    /** The reference pair's console lines in a fuzz-free run, in order. */
    static final List<String> REFERENCE_LINES = List.of("ipc: registers ok", "ipc: buffer ok", "ipc: all ok");

    static final String BUILTIN = "rewind/image";
    /** Wall-clock budget of one system; the kernel must end the run by then (plus grace). */
    static final long BUDGET_MS = Long.getLong("fuzz.budgetMs", 2000);
    /** Every this many seeds the reference pair is the built-in one. */
    static final int STOCK_EVERY = 8;

    static final long GRACE_MS = 15_000;
    static final int MAX_RESTARTS = 5;

    final long seed;
    final String toml;
    /** Generated images by file name, and the fuzz task names. */
    final Map<String, byte[]> images = new LinkedHashMap<>();

    final List<String> fuzzTasks = new ArrayList<>();
    final Map<String, String> policies = new LinkedHashMap<>();
    final byte[] uartInput;
    /** Whether the reference pair is the built-in ipc_echo + ipc_client (else the generated refs + refc). */
    final boolean stock;

    final RiscvCpu.TrackerKind tracker;
    static final int REF_CALLS = 200;
    /** The instruction set of every program: RISC-V ({@link FuzzGen}) or AArch64 ({@link A64Gen}). */
    final boolean a64;

    private FuzzSystem(long seed, boolean a64) {
        this.seed = seed;
        this.a64 = a64;
        this.stock = Math.floorMod(seed, STOCK_EVERY) == 0;
        Random r = new Random(seed);
        int n = 2 + r.nextInt(3);
        String[] policy = {"none", "restart", "txipc"};
        // who serves what
        boolean[] serves = new boolean[n];
        for (int k = 0; k < n; k++) {
            serves[k] = k == 0 || r.nextInt(2) == 0;
        }
        boolean notification = n > 1 && r.nextBoolean();
        String deviceKind = r.nextInt(10) < 4 ? new String[] {"block", "timer", "uart"}[r.nextInt(3)] : null;
        int driver = n - 1;
        StringBuilder t = new StringBuilder();
        t.append("# rewind fuzz system, seed ").append(seed).append("\n");
        t.append("name = \"fuzz").append(seed).append("\"\n");
        if (a64) {
            t.append("arch = \"aarch64\"\n");
        }
        t.append("quantum_ms = ").append(new int[] {1, 2, 5, 10}[r.nextInt(4)]).append("\n\n");
        if (stock) {
            // the built-in pair, more important than the fuzz tasks (as the generated pair below)
            t.append("[task.ipc_echo]\nimage = \"ipc_echo.elf\"\npriority = 7\nserves = [\"ipc_echo\"]\n\n");
            t.append("[task.ipc_client]\nimage = \"ipc_client.elf\"\npriority = 7\nuses = [\"ipc_echo\"]\n\n");
        } else {
            // more important than the fuzz tasks: a fuzz task of equal priority that spins would
            // legitimately take a quantum per reference call (round-robin) and could make it miss
            // the budget on a loaded machine
            t.append("[task.refs]\nimage = \"refs.elf\"\npriority = 7\nserves = [\"ref\"]\n\n");
            t.append("[task.refc]\nimage = \"refc.elf\"\npriority = 7\nuses = [\"ref\"]\n\n");
            images.put("refs.elf", a64 ? A64Gen.refServer() : FuzzGen.refServer());
            images.put("refc.elf", a64 ? A64Gen.refClient(REF_CALLS) : FuzzGen.refClient(REF_CALLS));
        }
        t.append("[task.wbs]\nimage = \"wbs.elf\"\npriority = 8\nserves = [\"wb\"]\n\n");
        t.append("[task.wbc]\nimage = \"wbc.elf\"\npriority = 8\nuses = [\"fz0\"]\n\n");
        images.put("wbs.elf", a64 ? A64Gen.echoServer() : FuzzGen.echoServer());
        int wbcCalls = 1 + r.nextInt(40);
        long wbcSeed = r.nextLong();
        images.put("wbc.elf", a64 ? A64Gen.caller(wbcCalls, wbcSeed) : FuzzGen.caller(wbcCalls, wbcSeed));
        for (int k = 0; k < n; k++) {
            String name = "fz" + k;
            fuzzTasks.add(name);
            List<String> devs = new ArrayList<>();
            List<String> srv = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            List<String> uses = new ArrayList<>();
            if (deviceKind != null && k == driver) {
                devs.add("dev0");
            }
            if (serves[k]) {
                srv.add(name);
            }
            if (notification && k == 1) {
                notes.add("nt");
            }
            if (r.nextInt(3) != 0) {
                uses.add("wb");
            }
            for (int o = 0; o < n; o++) {
                // (the draws as before: a task's use of its own endpoint, once drawn here, is a
                // manifest error since session 47, so it is drawn and left out)
                if (serves[o] && (o != k || r.nextInt(8) == 0) && r.nextBoolean() && o != k) {
                    uses.add("fz" + o);
                }
            }
            if (notification && k != 1 && r.nextBoolean()) {
                uses.add("nt");
            }
            String rec = serves[k] ? policy[r.nextInt(3)] : policy[r.nextInt(2)];
            String shadow = null;
            if (!devs.isEmpty() && serves[k] && !deviceKind.equals("timer") && r.nextBoolean()) {
                rec = "shadow";
                shadow = deviceKind.equals("block") ? "block" : "char";
            }
            if (rec.equals("txipc") && !devs.isEmpty() && deviceKind.equals("block")) {
                rec = "restart"; // (a manifest error since session 57: txipc cannot undo a block device)
            }
            policies.put(name, rec);
            long heap = new long[] {0, 4096, 64 << 10, 1 << 20, 16 << 20}[r.nextInt(5)];
            // an image that ends just below the device windows, so that its heap grows into them
            boolean nearDevices = r.nextInt(4) == 0;
            if (nearDevices) {
                heap = Math.max(heap, 1 << 20);
            }
            long stack = r.nextInt(4) == 0 ? 4096 : 64 << 10;
            t.append("[task.").append(name).append("]\n");
            t.append("image = \"").append(name).append(".elf\"\n");
            t.append("priority = ").append(8 + r.nextInt(5)).append('\n');
            t.append("stack = \"").append(stack).append("\"\n");
            t.append("heap = \"").append(heap).append("\"\n");
            list(t, "devices", devs);
            list(t, "serves", srv);
            list(t, "notifications", notes);
            list(t, "uses", uses);
            t.append("recovery = \"").append(rec).append("\"\n");
            t.append("runaway_ms = ").append(10 + r.nextInt(60)).append('\n');
            if (rec.equals("txipc")) {
                t.append("deadline_ms = ").append(5 + r.nextInt(100)).append('\n');
                t.append("max_aborts = ").append(1 + r.nextInt(20)).append('\n');
                t.append("replay_depth = ")
                        .append(new int[] {0, 1, 8, 64}[r.nextInt(4)])
                        .append('\n');
            }
            if (shadow != null) {
                t.append("shadow = \"").append(shadow).append("\"\n");
            }
            t.append('\n');
            List<String> caps = new ArrayList<>();
            caps.addAll(devs);
            caps.addAll(srv);
            caps.addAll(notes);
            caps.addAll(uses);
            List<Integer> serveSlots = new ArrayList<>();
            for (int s = 0; s < srv.size(); s++) {
                serveSlots.add(devs.size() + s);
            }
            FuzzGen.Task task = new FuzzGen.Task(caps, serveSlots, serves[k], stack, heap, nearDevices);
            long programSeed = r.nextLong();
            images.put(name + ".elf", a64 ? A64Gen.program(programSeed, task) : FuzzGen.program(programSeed, task));
        }
        if (deviceKind != null) {
            t.append("[device.dev0]\nkind = \"").append(deviceKind).append("\"\n");
            if (deviceKind.equals("block")) {
                t.append("size = \"64K\"\n");
            }
        }
        byte[] in = new byte[r.nextInt(64)];
        r.nextBytes(in);
        uartInput = in;
        // txipc's write tracker: mostly the default, sometimes another one (the page-protection
        // reference where the engine supports it, else the store hook)
        String forced = System.getProperty("fuzz.tracker");
        RiscvCpu.TrackerKind other =
                RiscvCpu.protectionTrackerWorks() ? RiscvCpu.TrackerKind.PROTECTION : RiscvCpu.TrackerKind.STORE_HOOK;
        tracker = forced != null
                ? RiscvCpu.TrackerKind.valueOf(forced.strip().toUpperCase(java.util.Locale.ROOT))
                : r.nextInt(4) == 0 ? other : RiscvCpu.TrackerKind.NATIVE;
        toml = t.toString();
    }

    private static void list(StringBuilder t, String key, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        t.append(key).append(" = [");
        for (int k = 0; k < items.size(); k++) {
            t.append(k == 0 ? "\"" : ", \"").append(items.get(k)).append('"');
        }
        t.append("]\n");
    }

    /** The run's wall-clock budget: the built-in reference client needs about 0.5 s of CPU alone. */
    long budgetMs() {
        return stock ? 3 * BUDGET_MS : BUDGET_MS;
    }

    /** The RISC-V system of {@code seed}. */
    static FuzzSystem of(long seed) {
        return new FuzzSystem(seed, false);
    }

    /** The system of {@code seed} for RISC-V, or for AArch64 if {@code a64}. */
    static FuzzSystem of(long seed, boolean a64) {
        return new FuzzSystem(seed, a64);
    }

    /** The ELF files this system boots: generated ones from memory, the rest built-in. */
    ImageSource source() {
        ImageSource builtin = ImageSource.classpath(a64 ? BUILTIN + "/aarch64" : BUILTIN);
        return new ImageSource() {
            @Override
            public byte[] read(String name) throws IOException {
                byte[] b = images.get(name);
                if (b != null) {
                    return b.clone();
                }
                if (name.equals("ipc_echo.elf") || name.equals("ipc_client.elf")) {
                    return builtin.read(name);
                }
                throw new NoSuchFileException(name);
            }

            @Override
            public String describe(String name) {
                return "fuzz:" + name;
            }
        };
    }

    /**
     * Write the manifest and every ELF it needs to the folder {@code root/fuzzSEED}; returns the
     * manifest: {@code rewind boot ROOT/fuzzSEED/fuzzSEED.toml} boots the system.
     */
    Path dump(Path root) throws IOException {
        Path dir = root.resolve("fuzz" + seed);
        Files.createDirectories(dir);
        Path m = dir.resolve("fuzz" + seed + ".toml");
        Files.writeString(m, toml);
        ImageSource src = source();
        if (stock) {
            for (String f : List.of("ipc_echo.elf", "ipc_client.elf")) {
                Files.write(dir.resolve(f), src.read(f));
            }
        }
        for (Map.Entry<String, byte[]> e : images.entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
        return m;
    }

    // ---- running and checking ----------------------------------------------------------------

    /** What one run showed. {@code problems} empty = every check held. */
    static final class Report {
        final long seed;
        /** Internal errors, hangs, well-behaved tasks affected. */
        final List<String> problems = new ArrayList<>();
        /** Malformed fault reports (a wrong pc, no kind...). */
        final List<String> reportProblems = new ArrayList<>();

        final Map<FaultKind, Integer> faultsByKind = new LinkedHashMap<>();
        SystemResult result;
        String console = "";
        boolean internalError;
        boolean hang;
        int programs;
        long nanos;

        Report(long seed) {
            this.seed = seed;
        }
    }

    record FaultEvent(String task, int generation, Fault fault, RecoveryOutcome outcome) {}

    /** Boot and run the system on {@code worker} (a hang is a run the kernel does not end). */
    Report run(ExecutorService[] worker) {
        Report rep = new Report(seed);
        rep.programs = fuzzTasks.size();
        long t0 = System.nanoTime();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<FaultEvent> faults = new ArrayList<>();
        Future<SystemResult> f = worker[0].submit(() -> {
            KernelObserver obs = new KernelObserver() {
                @Override
                public void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {
                    synchronized (faults) {
                        faults.add(new FaultEvent(task == null ? null : task.name(), generation, fault, outcome));
                    }
                }
            };
            Manifest m = Manifest.parse(toml, "fuzz" + seed + ".toml");
            KernelConfig cfg = new KernelConfig(
                    256L << 20,
                    0,
                    budgetMs() * 1_000_000L,
                    false,
                    MAX_RESTARTS,
                    tracker,
                    KernelConfig.defaults().txLogPages());
            try (Kernel k = new Kernel(cfg, m, source(), new Uart(out), obs)) {
                for (BoundDevice bd : k.devices()) {
                    if (bd.device() instanceof UartDevice u) {
                        u.input(uartInput, 0, uartInput.length);
                        u.closeInput();
                    }
                }
                return k.run();
            }
        });
        try {
            rep.result = f.get(budgetMs() + GRACE_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            rep.hang = true;
            rep.problems.add("hang: the kernel did not end the run within its budget (" + budgetMs() + " ms) + "
                    + GRACE_MS + " ms");
            f.cancel(true);
            worker[0].shutdownNow();
            worker[0] = Executors.newSingleThreadExecutor(FuzzSystem::daemon); // the old thread may be stuck for good
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            rep.problems.add("interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            rep.internalError = true;
            rep.problems.add("internal error: " + top(e.getCause()));
        }
        rep.nanos = System.nanoTime() - t0;
        synchronized (faults) {
            rep.console = out.toString(StandardCharsets.UTF_8);
            check(rep, List.copyOf(faults));
        }
        return rep;
    }

    static Thread daemon(Runnable r) {
        Thread t = new Thread(r, "fuzz-kernel");
        t.setDaemon(true);
        return t;
    }

    /** The exception and the top of its stack, on a few lines. */
    static String top(Throwable e) {
        StringWriter sw = new StringWriter();
        e.printStackTrace(new PrintWriter(sw));
        String[] lines = sw.toString().split("\n");
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < Math.min(lines.length, 8); k++) {
            sb.append(k == 0 ? "" : "\n    ").append(lines[k].strip());
        }
        return sb.toString();
    }

    private void check(Report rep, List<FaultEvent> faults) {
        for (FaultEvent e : faults) {
            if (e.fault() != null && e.fault().kind() != null) {
                rep.faultsByKind.merge(e.fault().kind(), 1, Integer::sum);
            }
            String bad = malformed(e);
            if (bad != null) {
                rep.reportProblems.add("malformed fault report: " + bad + ": " + e);
            }
        }
        SystemResult r = rep.result;
        if (r == null) {
            return;
        }
        // the reference pair: as in a fuzz-free run
        SystemResult.TaskReport client = r.task(stock ? "ipc_client" : "refc");
        SystemResult.TaskReport echo = r.task(stock ? "ipc_echo" : "refs");
        if (client.state() != TaskState.EXITED || client.exitCode() != 0 || client.faults() != 0) {
            rep.problems.add(
                    "reference client affected: " + client + " (outcome " + r.outcome() + ": " + r.summary() + ")");
        }
        if (echo.faults() != 0 || echo.state() == TaskState.DEAD || echo.state() == TaskState.EXITED) {
            rep.problems.add("reference server affected: " + echo);
        }
        int at = 0;
        for (String line : stock ? REFERENCE_LINES : List.of(FuzzGen.REF_OK.strip())) {
            int i = rep.console.indexOf(line + "\n", at);
            if (i < 0) {
                rep.problems.add("reference output missing or out of order: '" + line + "'");
                break;
            }
            at = i + line.length();
        }
        if (rep.console.contains("ipc: FAIL") || rep.console.contains(FuzzGen.REF_FAIL.strip())) {
            rep.problems.add("reference output reports a failure");
        }
        // the well-behaved helpers never fault, whatever the fuzz tasks send or answer
        SystemResult.TaskReport wbs = r.task("wbs");
        if (wbs.faults() != 0 || wbs.state() == TaskState.DEAD || wbs.state() == TaskState.EXITED) {
            rep.problems.add("well-behaved echo server affected: " + wbs);
        }
        SystemResult.TaskReport wbc = r.task("wbc");
        if (wbc.faults() != 0
                || wbc.state() == TaskState.DEAD
                || (wbc.state() == TaskState.EXITED && wbc.exitCode() != 0)) {
            rep.problems.add("well-behaved client affected: " + wbc);
        }
    }

    /** Null when the fault report is well-formed, else what is wrong with it. */
    private String malformed(FaultEvent e) {
        if (e.task() == null || e.outcome() == null) {
            return "no task or no recovery outcome";
        }
        Fault f = e.fault();
        if (f == null || f.kind() == null) {
            return "no fault kind";
        }
        if (f.toString() == null || f.toString().isEmpty()) {
            return "no description";
        }
        byte[] elf = images.get(e.task() + ".elf");
        if (elf == null) {
            return null; // a built-in task: its own tests check it
        }
        long pc = f.pc();
        switch (f.kind()) {
            case UNMAPPED_FETCH, PROTECTED_FETCH -> {
                return pc == f.address() ? null : String.format("fetch fault pc 0x%x != address 0x%x", pc, f.address());
            }
            case MISALIGNED_FETCH -> {
                return null; // the pc is the misaligned target (odd) or a jump to it
            }
            default -> {}
        }
        if (a64) {
            return malformedA64(f, elf);
        }
        int textLen = textLength(elf);
        if (pc < RvAsm.TEXT || pc >= RvAsm.TEXT + textLen || (pc & 1) != 0) {
            return String.format("pc 0x%x outside the task's code [0x%x, 0x%x)", pc, RvAsm.TEXT, RvAsm.TEXT + textLen);
        }
        int off = RvAsm.PAGE + (int) (pc - RvAsm.TEXT);
        int w = (elf[off] & 0xff)
                | (elf[off + 1] & 0xff) << 8
                | (off + 3 < elf.length ? (elf[off + 2] & 0xff) << 16 | (elf[off + 3] & 0xff) << 24 : 0);
        boolean ok = switch (f.kind()) {
            case ABORT -> w == RvAsm.ECALL;
            case BREAKPOINT -> isEbreak(w);
            case UNMAPPED_READ, PROTECTED_READ -> isLoad(w) || isAmo(w);
            case UNMAPPED_WRITE, PROTECTED_WRITE -> isStore(w) || isAmo(w);
            case MISALIGNED_ACCESS -> isLoad(w) || isStore(w) || isAmo(w);
            case ILLEGAL_INSTRUCTION -> !isEbreak(w); // an ebreak is a BREAKPOINT
            default -> true;
        };
        return ok
                ? null
                : String.format(
                        "%s at pc 0x%x, but the instruction there is 0x%08x",
                        f.kind(), pc, (w & 3) == 3 ? w : w & 0xffff);
    }

    /** {@link #malformed}'s check of a fault of an AArch64 program (not a fetch fault). */
    private static String malformedA64(Fault f, byte[] elf) {
        long pc = f.pc();
        int textLen = textLength(elf);
        if (pc < RvAsm.TEXT || pc >= RvAsm.TEXT + textLen || (pc & 3) != 0) {
            return String.format(
                    "%s: pc 0x%x outside the task's code [0x%x, 0x%x) or not 4-aligned",
                    f.kind(), pc, RvAsm.TEXT, RvAsm.TEXT + textLen);
        }
        int w = RvAsm.get32(elf, RvAsm.PAGE + (int) (pc - RvAsm.TEXT));
        boolean ok = switch (f.kind()) {
            case ABORT -> isSvc(w);
            case BREAKPOINT -> isBrk(w);
            case UNMAPPED_READ, PROTECTED_READ -> isA64LoadStore(w);
            case UNMAPPED_WRITE, PROTECTED_WRITE -> isA64LoadStore(w) || isDcZva(w);
            case MISALIGNED_ACCESS -> isA64LoadStore(w);
            case ILLEGAL_INSTRUCTION -> !isBrk(w) && !isSvc(w);
            default -> true;
        };
        return ok ? null : String.format("%s at pc 0x%x, but the instruction there is 0x%08x", f.kind(), pc, w);
    }

    /** A64's loads and stores: op0 = x1x0 (bits 28..25 = x1x0). */
    static boolean isA64LoadStore(int w) {
        return (w & 0x0a000000) == 0x08000000;
    }

    static boolean isSvc(int w) {
        return (w & 0xffe0001f) == 0xd4000001;
    }

    static boolean isBrk(int w) {
        return (w & 0xffe0001f) == 0xd4200000;
    }

    /** dc zva, Xt (and the MTE forms dc gva / gzva, which write a block too). */
    static boolean isDcZva(int w) {
        return (w & 0xffffffe0) == 0xd50b7420 || (w & 0xffffffe0) == 0xd50b7460 || (w & 0xffffffe0) == 0xd50b7480;
    }

    private static int textLength(byte[] elf) {
        int at = 64 + 32; // first program header's p_filesz
        long v = 0;
        for (int k = 7; k >= 0; k--) {
            v = (v << 8) | (elf[at + k] & 0xff);
        }
        return (int) v;
    }

    static boolean isLoad(int w) {
        if ((w & 3) == 3) {
            int op = w & 0x7f;
            return op == 0x03 || op == 0x07;
        }
        int q = w & 3;
        int f3 = (w >> 13) & 7;
        return (q == 0 || q == 2) && f3 >= 1 && f3 <= 3;
    }

    static boolean isStore(int w) {
        if ((w & 3) == 3) {
            int op = w & 0x7f;
            return op == 0x23 || op == 0x27;
        }
        int q = w & 3;
        int f3 = (w >> 13) & 7;
        return (q == 0 || q == 2) && f3 >= 5;
    }

    static boolean isEbreak(int w) {
        return w == RvAsm.EBREAK || (w & 0xffff) == 0x9002;
    }

    static boolean isAmo(int w) {
        return (w & 0x7f) == 0x2f;
    }
}
