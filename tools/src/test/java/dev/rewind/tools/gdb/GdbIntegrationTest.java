package dev.rewind.tools.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import dev.rewind.tools.Main;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stub as users meet it: Debian's gdb-multiarch in batch mode against a booted system
 * (in-process kernel, started through {@link GdbBoot} as {@code rewind boot --gdb} does).
 * Skipped when gdb-multiarch is not installed.
 */
class GdbIntegrationTest {
    static String gdb;

    @TempDir
    Path tmp;

    /** The systems this test booted: {@link #killSystems()} ends those still running. */
    static final List<Booted> BOOTED = new java.util.concurrent.CopyOnWriteArrayList<>();

    @AfterEach
    void killSystems() {
        for (Booted b : BOOTED) {
            b.close();
        }
        BOOTED.clear();
    }

    @BeforeAll
    static void findGdb() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, "gdb-multiarch");
            if (Files.isExecutable(p)) {
                gdb = p.toString();
            }
        }
        assumeTrue(gdb != null, "gdb-multiarch is not installed");
    }

    /**
     * A system booted with the stub on a kernel thread. {@link #close()} kills a system
     * still running (as gdb's {@code kill} does), so that no test leaves one behind.
     */
    static final class Booted implements AutoCloseable {
        final ByteArrayOutputStream console = new ByteArrayOutputStream();
        final CompletableFuture<SystemResult> result = new CompletableFuture<>();
        final int port;
        /** What {@code rewind boot --gdb} printed on stderr before the system started. */
        final String startup;

        Booted(String image, boolean wait) throws Exception {
            this(SystemImage.builtin(image), wait);
        }

        Booted(SystemImage img, boolean wait) throws Exception {
            this(img, wait, KernelConfig.defaults().quantumMs());
        }

        Booted(SystemImage img, boolean wait, int quantumMs) throws Exception {
            this(img, wait, quantumMs, false);
        }

        /** @param inferiors as {@code rewind boot --gdb-inferiors}: one gdb inferior per task */
        Booted(SystemImage img, boolean wait, int quantumMs, boolean inferiors) throws Exception {
            this(img, wait, quantumMs, inferiors, null);
        }

        /** @param reverseWindow as {@code rewind boot --gdb-reverse-window}, or null */
        Booted(SystemImage img, boolean wait, int quantumMs, boolean inferiors, Long reverseWindow) throws Exception {
            this(img, wait, quantumMs, inferiors, reverseWindow, k -> {});
        }

        /** @param setup given the kernel before it runs (a probe: {@code rewind boot --kill}) */
        Booted(
                SystemImage img,
                boolean wait,
                int quantumMs,
                boolean inferiors,
                Long reverseWindow,
                java.util.function.Consumer<Kernel> setup)
                throws Exception {
            BOOTED.add(this);
            Kernel kernel = new Kernel(
                    KernelConfig.defaults().withBudgetNanos(170_000_000_000L).withQuantumMs(quantumMs),
                    img.manifest(),
                    img.source(),
                    new Uart(console),
                    null);
            setup.accept(kernel);
            PipedInputStream errIn = new PipedInputStream(1 << 16);
            PrintStream err = new PrintStream(new PipedOutputStream(errIn), true, StandardCharsets.UTF_8);
            Thread t = new Thread(
                    () -> {
                        try (kernel) {
                            result.complete(GdbBoot.run(kernel, "127.0.0.1:0", wait, inferiors, reverseWindow, err));
                        } catch (Throwable e) {
                            result.completeExceptionally(e);
                        } finally {
                            err.close();
                        }
                    },
                    "kernel");
            t.setDaemon(true);
            t.start();
            // "rewind: gdb stub listening on 127.0.0.1:PORT ...", then "rewind: attach with: ..."
            StringBuilder sb = new StringBuilder();
            Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher("");
            int c;
            while ((c = errIn.read()) >= 0) {
                sb.append((char) c);
                if (c == '\n' && sb.indexOf("rewind: attach with: ") >= 0) {
                    break;
                }
            }
            assertTrue(m.reset(sb).find(), sb.toString());
            port = Integer.parseInt(m.group(1));
            startup = sb.toString();
            Thread drain = new Thread(() -> {
                try {
                    errIn.transferTo(OutputStream.nullOutputStream());
                } catch (IOException e) {
                    // done
                }
            });
            drain.setDaemon(true);
            drain.start();
        }

        SystemResult await() throws Exception {
            return result.get(120, TimeUnit.SECONDS);
        }

        String console() {
            synchronized (console) {
                return console.toString(StandardCharsets.UTF_8);
            }
        }

        @Override
        public void close() {
            if (result.isDone()) {
                return;
            }
            // the stub serves the next connection once gdb is gone: send it gdb's "k"
            for (int i = 0; i < 50 && !result.isDone(); i++) {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    s.getOutputStream().write("+$k#6b".getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                    result.get(2, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // busy or still ending: try again
                }
            }
        }
    }

    /** A built-in ELF copied to a file gdb can load. */
    /** The 1-based number of the one line of the project's {@code file} that contains {@code marker}. */
    static int lineOf(String file, String marker) throws IOException {
        List<String> lines =
                Files.readAllLines(dev.rewind.tools.Fixtures.projectRoot().resolve(file));
        int found = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(marker)) {
                assertTrue(found < 0, () -> file + ": '" + marker + "' is on more than one line");
                found = i + 1;
            }
        }
        assertTrue(found > 0, () -> file + ": no line contains '" + marker + "'");
        return found;
    }

    Path elf(String name) throws IOException {
        Path p = tmp.resolve(name.replace('/', '_'));
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("rewind/image/" + name)) {
            assertTrue(in != null, name);
            Files.copy(in, p);
        }
        return p;
    }

    /** Every gdb started, killed when the JVM ends if a test could not (a crash, a kill). */
    static final java.util.Set<Process> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly)));
    }

    /** A running gdb-multiarch whose output is collected as it comes. */
    static final class Gdb implements AutoCloseable {
        final Process process;
        final StringBuffer out = new StringBuffer();

        Gdb(Path script) throws IOException {
            this(script, false);
        }

        /** @param mi gdb/MI's output (an IDE's view: {@code *stopped} records) instead of the CLI's */
        Gdb(Path script, boolean mi) throws IOException {
            // no core file if gdb aborts (as gdb 13 did on a stub's bad stop reply)
            process = new ProcessBuilder(
                            "sh",
                            "-c",
                            "ulimit -c 0; exec \"$0\" -batch -nx $2 -x \"$1\"",
                            gdb,
                            script.toString(),
                            mi ? "--interpreter=mi2" : "")
                    .redirectErrorStream(true)
                    .start();
            LIVE.add(process);
            Thread reader = new Thread(() -> {
                byte[] buf = new byte[4096];
                try (InputStream in = process.getInputStream()) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    // ended
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        void awaitOutput(String s) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 60_000;
            while (out.indexOf(s) < 0) {
                assertTrue(System.currentTimeMillis() < deadline, "gdb never printed '" + s + "':\n" + out);
                Thread.sleep(20);
            }
        }

        /** Ctrl-C, as a user at the terminal: SIGINT to gdb, which sends 0x03 to the stub. */
        void interrupt() throws Exception {
            new ProcessBuilder("kill", "-INT", Long.toString(process.pid()))
                    .start()
                    .waitFor(10, TimeUnit.SECONDS);
        }

        /** Never leave a gdb behind, whatever the test's outcome. */
        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
            LIVE.remove(process);
        }

        String finish() throws Exception {
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("gdb did not finish:\n" + out);
            }
            Thread.sleep(100);
            return out.toString();
        }
    }

    Gdb gdb(int port, String symbols, String... commands) throws IOException {
        return gdb(Mode.THREADS, port, symbols, commands);
    }

    /**
     * gdb on {@code symbols}, or with inferiors on no file: each inferior then loads its own
     * task's executable (gdb would keep a program loaded before `target remote` as inferior
     * 1's, even where task 1 runs another one).
     */
    Gdb gdb(Mode mode, int port, String symbols, String... commands) throws IOException {
        return gdb(mode, "set architecture riscv:rv64", port, symbols, commands);
    }

    /**
     * gdb as above, with {@code setArchitecture} (a gdb command, or "echo" for none: gdb then
     * takes the architecture from the ELF and the stub's target description) before it connects.
     */
    Gdb gdb(Mode mode, String setArchitecture, int port, String symbols, String... commands) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "set pagination off",
                "set confirm off",
                "set width 0",
                "set remotetimeout 30",
                setArchitecture,
                mode.inferiors() ? "echo" : "file " + symbols,
                "target remote 127.0.0.1:" + port));
        lines.addAll(List.of(commands));
        Path script = tmp.resolve("script" + System.nanoTime() + ".gdb");
        Files.write(script, lines);
        return new Gdb(script);
    }

    static void assertContains(String out, String... parts) {
        for (String p : parts) {
            assertTrue(out.contains(p), "gdb output lacks '" + p + "':\n" + out);
        }
    }

    /**
     * How the stub shows tasks to gdb: as threads of one inferior (the default), or as one
     * inferior per task ({@code rewind boot --gdb-inferiors}, gdb's multiprocess extensions).
     * The scenarios run in both; only what gdb prints legitimately differs (thread "2.1"
     * instead of "2", an exit per inferior).
     */
    enum Mode {
        THREADS,
        INFERIORS;

        boolean inferiors() {
            return this == INFERIORS;
        }

        /** gdb's target id of task {@code id}'s thread: "Thread 2", or "Thread 2.1" (process 2). */
        String thread(int id) {
            return "Thread " + id + (inferiors() ? ".1" : "");
        }

        /**
         * The gdb command selecting task {@code id}'s thread (with --gdb-wait every task is live
         * when gdb attaches, so inferior N is process N).
         */
        String select(int id) {
            return "thread " + id + (inferiors() ? ".1" : "");
        }

        String switched(int id) {
            return "[Switching to thread " + id + (inferiors() ? ".1" : "") + " (" + thread(id) + ")]";
        }

        /** What gdb prints after {@code kill} in inferior 1. */
        String killed() {
            return inferiors() ? "[Inferior 1 (process 1) killed]" : "[Inferior 1 (Remote target) killed]";
        }

        String detached() {
            return inferiors() ? "[Inferior 1 (process 1) detached]" : "[Inferior 1 (Remote target) detached]";
        }

        /**
         * The end of the run as gdb reports it: the system's exit (threads), or task
         * {@code id}'s own end (inferiors), e.g. {@code how} = "exited normally".
         */
        String ended(int id, String how) {
            return inferiors()
                    ? "[Inferior " + id + " (process " + id + ") " + how + "]"
                    : "[Inferior 1 (Remote target) " + how + "]";
        }

        /**
         * Script lines that resume until the system has ended: one {@code continue}, or, with
         * an inferior per task, a {@code continue} in a live inferior until every inferior has
         * exited (gdb stops at each exit, in the inferior that exited).
         */
        String toTheEnd() {
            if (!inferiors()) {
                return "continue";
            }
            return "python\n"
                    + "for _ in range(64):\n"
                    + "    live = [i for i in gdb.inferiors() if i.pid != 0]\n"
                    + "    if not live:\n"
                    + "        break\n"
                    + "    if gdb.selected_inferior().pid == 0:\n"
                    + "        gdb.execute('inferior %d' % live[0].num)\n"
                    + "    gdb.execute('continue')\n"
                    + "end";
        }
    }

    /** No connection error of any kind, and gdb ended by itself with status 0. */
    static void assertCleanEnd(Gdb g, String out) {
        assertEquals(0, g.process.exitValue(), out);
        for (String bad : List.of(
                "Remote connection closed",
                "Remote communication error",
                "internal-error",
                "The program is not being run",
                "Couldn't get registers",
                "Could not read registers")) {
            assertTrue(!out.contains(bad), "'" + bad + "' in:\n" + out);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void breakStepPrintWatchThreadsAndDetachOnTheKvServer(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("demo.toml"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            Path kv = elf("kv_server.elf");
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    kv.toString(),
                    "info threads",
                    "monitor scope kv",
                    "break store",
                    "continue",
                    "print klen",
                    "print key",
                    "print $pc == (long) &store",
                    "print/x $sp",
                    "next", // (to malloc's line: the breakpoint is at store's first line)
                    "next",
                    "print val != 0",
                    "stepi",
                    "watch nkeys",
                    "continue",
                    "delete",
                    "info threads",
                    mode.select(2),
                    "print $pc == 0",
                    mode.select(1),
                    "monitor tasks",
                    "detach")) {
                out = g.finish();
            }
            assertContains(
                    out,
                    mode.thread(1) + " (kv gen 1, ready)",
                    mode.thread(4) + " (kv_demo gen 1, ready)",
                    "breakpoints and watchpoints apply to kv",
                    "Breakpoint 1 at 0x",
                    mode.thread(1) + " hit Breakpoint 1, store (",
                    "servers/kv_server.c",
                    "$1 = 15",
                    "$2 = 0x",
                    "\"kv_demo/key-000\"",
                    "$3 = 1",
                    "$4 = 0x7ffd",
                    "$5 = 1",
                    "Hardware watchpoint 2: nkeys",
                    "Old value = 0",
                    "New value = 1",
                    "(kv_demo gen 1, awaiting_reply)",
                    mode.switched(2),
                    "$6 = 0",
                    "kv_server.elf",
                    mode.detached());
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertTrue(sys.console().contains("kv_demo: ok"), sys.console());
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void gdbLandsOnAServerFaultAndContinuingLetsTheRestartRun(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("t_restart.toml"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    elf("kv_server.elf").toString(),
                    "continue",
                    "bt",
                    "print kind",
                    "x/i $pc",
                    "info threads",
                    mode.toTheEnd())) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "rewind: task kv#0.1 faulted: illegal instruction",
                    mode.thread(1) + " received signal SIGILL, Illegal instruction.",
                    "in debug_fault (kind=",
                    "do_debug_fault",
                    "$1 = 1",
                    "unimp",
                    "(kv gen 1, faulted)",
                    "(restart_client gen 1, awaiting_reply)",
                    mode.ended(1, "exited normally"));
            // the console line names the source line, as rewind boot's own fault line does
            assertTrue(
                    Pattern.compile("rewind: task kv#0\\.1 faulted: illegal instruction, pc 0x[0-9a-f]+ "
                                    + "\\(debug_fault\\+0x[0-9a-f]+ at servers/debug_fault\\.c:\\d+\\)")
                            .matcher(out)
                            .find(),
                    out);
            if (mode.inferiors()) {
                assertContains(out, mode.ended(2, "exited normally"));
            }
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertEquals(2, r.task("kv").id().generation(), "recovery ran after gdb continued");
            assertTrue(sys.console().contains("restart_client: ok"), sys.console());
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aNullPointerWriteStopsAsSigsegvAtTheStore(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("t_fault_null.elf"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(mode, sys.port, elf("t_fault_null.elf").toString(), "continue", "x/i $pc", "continue")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "received signal SIGSEGV, Segmentation fault.",
                    "main () at tests/fault.c",
                    "=> 0x",
                    "sw\t",
                    // the task was stopped after its fault: its process ends with the signal, in
                    // both modes (the system of one task ends as its task did: not status 1)
                    "Program terminated with signal SIGSEGV, Segmentation fault.");
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.TASK_FAILED, r.outcome(), r.summary());
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFaultInTheFirstInstructionOfAWarmFunctionIsFrameZeroAndXiPc(Mode mode) {
        // deref() is called many times with good pointers (its block is translated and warm),
        // then with a wild one: the load in its first instruction faults
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("t_fpc_deref_warm.elf"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    elf("t_fpc_deref_warm.elf").toString(),
                    "continue",
                    "x/i $pc",
                    "bt",
                    "print $pc == (long) &deref",
                    "kill")) {
                out = g.finish();
            }
            assertContains(
                    out,
                    "received signal SIGSEGV, Segmentation fault.",
                    "=> 0x",
                    " <deref>:\tld\ta0,0(a0)",
                    "#0  deref (p=",
                    "#1  0x",
                    " in main () at tests/fault_pc.c",
                    "$1 = 1",
                    mode.killed());
            assertEquals("killed by the debugger", sys.await().summary());
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void siginfoAndTheTrapCsrsSayWhyItStopped(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("t_fpc_deref_warm.elf"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    elf("t_fpc_deref_warm.elf").toString(),
                    "continue",
                    "print $_siginfo.si_signo",
                    "print $_siginfo.si_code",
                    "print $_siginfo._sifields._sigfault.si_addr",
                    "print $mcause",
                    "print/x $mtval",
                    "print $mepc == (long) &deref",
                    "print $mepc == $pc",
                    "monitor fault",
                    "kill")) {
                out = g.finish();
            }
            assertContains(
                    out,
                    "received signal SIGSEGV, Segmentation fault.",
                    "$1 = 11",
                    "$2 = 1", // SEGV_MAPERR
                    "$3 = (void *) 0x50000000",
                    "$4 = 5", // load access fault
                    "$5 = 0x50000000",
                    "$6 = 1",
                    "$7 = 1",
                    "t_fpc_deref_warm (thread 1): read of unmapped memory at address 0x50000000",
                    "mcause 5, mtval 0x50000000, mepc 0x",
                    mode.killed());
            assertEquals("killed by the debugger", sys.await().summary());
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theMonitorShowsEndpointsCapsFaultsAndTheRecoveryLogAndRestartsATask(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("t_restart.toml"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    elf("kv_server.elf").toString(),
                    "monitor help",
                    "continue",
                    "monitor endpoints",
                    "monitor caps restart_client",
                    "monitor notifications",
                    "monitor fault kv",
                    "monitor recovery",
                    "monitor scope kv",
                    "break main",
                    "continue",
                    "monitor recovery",
                    "monitor restart kv",
                    "monitor restart nosuch",
                    "info threads",
                    "delete",
                    mode.toTheEnd())) {
                out = g.finish();
            }
            assertContains(
                    out,
                    "monitor endpoints",
                    "monitor caps TASK",
                    "monitor notifications",
                    "monitor fault [TASK]",
                    "monitor restart TASK",
                    "monitor recovery",
                    mode.thread(1) + " received signal SIGILL, Illegal instruction.",
                    "kv               server kv; callers: restart_client (thread 2, awaiting reply)",
                    "capabilities of restart_client:",
                    "endpoint_send kv (served by kv)",
                    "no notifications",
                    "kv (thread 1): illegal instruction, pc 0x",
                    "mcause 2, mtval 0x0, mepc 0x",
                    "no recoveries yet",
                    // with inferiors `break main` has a location in each program (Breakpoint 1.2)
                    mode.thread(1) + " hit Breakpoint 1",
                    ", main () at",
                    "kv gen 1: illegal instruction, pc 0x",
                    "; restarted as generation 2",
                    "task kv: restarted as generation 3",
                    "no task 'nosuch' (monitor tasks lists them)",
                    "(kv gen 3, ready)",
                    mode.ended(1, "exited normally"));
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertEquals(3, r.task("kv").id().generation());
            assertTrue(sys.console().contains("restart_client: ok"), sys.console());
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void ctrlCInterruptsARunningGuestAndKillEndsTheRun(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("spinner.elf"),
                    false,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    elf("spinner.elf").toString(),
                    "set debug remote 1",
                    "continue",
                    "set debug remote 0",
                    "info threads",
                    "print x != 0",
                    "kill")) {
                g.awaitOutput("Sending packet: $vCont;c"); // gdb waits for the guest: now press Ctrl-C
                Thread.sleep(200);
                g.interrupt();
                out = g.finish();
            }
            assertContains(
                    out,
                    "received signal SIGINT, Interrupt.",
                    "main () at tests/spinner.c",
                    "(spinner gen 1, ready)",
                    "$1 = 1",
                    mode.killed());
            SystemResult r = sys.await();
            assertEquals("killed by the debugger", r.summary());
            assertEquals(1, r.outcome().exitStatus());
        });
    }

    /**
     * Ctrl-C and kill in an idle system: task 1 (idle) waits for a request, task 2 (napper)
     * sleeps ten minutes in one system call, so every task is blocked and only a timer is
     * pending. The Ctrl-C is reported in the thread gdb has selected (2), not in the first task,
     * whose address space gdb would then read with the selected program's symbols; the kill
     * ends the run at once, not when the timer comes (the idle kernel waited for it).
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void ctrlCAndKillInAnIdleSystemEndTheRunAtOnce(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            elf("idle.elf");
            Path napper = elf("napper.elf");
            Path manifest = tmp.resolve("idle.toml");
            Files.writeString(
                    manifest,
                    "name = \"idle\"\n[task.idle]\nimage = \"idle.elf\"\nserves = [\"idle\"]\n"
                            + "[task.napper]\nimage = \"napper.elf\"\n");
            Booted sys = new Booted(
                    SystemImage.open(manifest.toString()),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g =
                    gdb(mode, sys.port, napper.toString(), mode.select(2), "continue", "bt", "p $_thread", "kill")) {
                long deadline = System.currentTimeMillis() + 60_000;
                while (!sys.console().contains("napper: napping")) {
                    assertTrue(System.currentTimeMillis() < deadline, sys.console());
                    Thread.sleep(20);
                }
                Thread.sleep(300); // asleep in its system call
                g.interrupt();
                out = g.finish();
            }
            assertContains(
                    out,
                    mode.thread(2) + " received signal SIGINT, Interrupt.",
                    "main () at tests/napper.c",
                    "$1 = " + (mode.inferiors() ? 1 : 2),
                    mode.killed().replace("Inferior 1 (process 1)", "Inferior 2 (process 2)"));
            SystemResult r = sys.result.get(10, TimeUnit.SECONDS);
            assertEquals("killed by the debugger", r.summary());
            assertEquals(1, r.outcome().exitStatus());
            assertFalse(sys.console().contains("woke"), sys.console());
        });
    }

    /**
     * A manifest in the test's folder running ipc_echo and {@code clients} copies of
     * ipc_client (tasks c1, c2, ...; thread ids 2, 3, ...), all calling round_trip over and over.
     */
    SystemImage clients(int clients) throws Exception {
        elf("ipc_echo.elf");
        elf("ipc_client.elf");
        StringBuilder m =
                new StringBuilder("name = \"clients\"\n[task.ipc_echo]\nimage = \"ipc_echo.elf\"\npriority = 2\n"
                        + "serves = [\"ipc_echo\"]\n");
        for (int i = 1; i <= clients; i++) {
            m.append("[task.c")
                    .append(i)
                    .append("]\nimage = \"ipc_client.elf\"\npriority = 4\nuses = [\"ipc_echo\"]\n");
        }
        Path manifest = tmp.resolve("clients.toml");
        Files.writeString(manifest, m);
        return SystemImage.open(manifest.toString());
    }

    static int count(String out, String part) {
        int n = 0;
        for (int i = out.indexOf(part); i >= 0; i = out.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void continuingPastABreakpointThatSeveralTasksHitStepsOnlyThatTask(Mode mode) {
        // gdb steps over a breakpoint with vCont;c:T and a breakpoint at the next instruction;
        // if another task ran meanwhile and stopped, gdb 13 aborted (infrun.c finish_step_over).
        // With inferiors, `break round_trip` has a location in each client inferior.
        assertTimeoutPreemptively(Duration.ofSeconds(300), () -> {
            Booted sys = new Booted(clients(3), true, KernelConfig.defaults().quantumMs(), mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    tmp.resolve("ipc_client.elf").toString(),
                    "break round_trip",
                    "set $i = 0",
                    "while $i < 200\n  continue\n  set $i = $i + 1\nend",
                    "stepi",
                    "stepi",
                    "info threads",
                    "delete",
                    mode.toTheEnd())) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            // 200 continues, and a stepi may end at another task's breakpoint
            // (with inferiors, the breakpoint has a location per client inferior: "Breakpoint 1.3")
            int hits = (int) Pattern.compile(" hit Breakpoint 1(\\.\\d+)?, round_trip")
                    .matcher(out)
                    .results()
                    .count();
            assertTrue(hits >= 200 && hits <= 202, hits + " stops:\n" + out);
            for (int t = 2; t <= 4; t++) {
                assertContains(out, mode.thread(t) + " hit Breakpoint 1");
            }
            if (mode.inferiors()) {
                for (int t = 1; t <= 4; t++) {
                    assertEquals(1, count(out, mode.ended(t, "exited normally")), out);
                }
            } else {
                assertContains(out, mode.ended(1, "exited normally"));
            }
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertEquals(3, count(sys.console(), "ipc: all ok"), sys.console());
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aClientResumedFromABreakpointInsideLaGpRunsOnUncorrupted(Mode mode) {
        // break between the auipc and the addi of `la gp`; with a code hook in its engine, a
        // later time-slice preemption used to leave c1's PC in an earlier block (Unicorn 2.0.1
        // does not restore it), so c1 ran old instructions again and died on a bogus ra
        assertTimeoutPreemptively(Duration.ofSeconds(300), () -> {
            SystemImage img = clients(2);
            // gp after the auipc alone: the page of __global_pointer$ the auipc at 0x10000 reaches
            // (the addi after it adds the rest; the address moves as the program's code grows)
            long gpSymbol = dev.rewind.hw.elf.ElfImage.parse(
                            Files.readAllBytes(tmp.resolve("ipc_client.elf")), "ipc_client.elf")
                    .symbol("__global_pointer$")
                    .orElseThrow();
            String afterAuipc = "= 0x" + Long.toHexString(0x10000 + ((gpSymbol - 0x10000 + 0x800) & ~0xfffL));
            for (int run = 1; run <= 3; run++) {
                Booted sys = new Booted(img, true, 1, mode.inferiors()); // 1 ms slices: many preemptions
                String out;
                // with inferiors an address breakpoint is the current inferior's: select c1's;
                // without, gdb's current thread (ipc_echo) is outside the scope and runs another
                // program than gdb's (ipc_client.elf): it does not stop there (it used to, first)
                List<String> cmds = mode.inferiors()
                        ? List.of(
                                "monitor scope c1",
                                "inferior 2",
                                "break *0x10004",
                                "continue",
                                "print/x $gp",
                                mode.toTheEnd())
                        : List.of("monitor scope c1", "break *0x10004", "continue", "print/x $gp", mode.toTheEnd());
                try (Gdb g =
                        gdb(mode, sys.port, tmp.resolve("ipc_client.elf").toString(), cmds.toArray(new String[0]))) {
                    out = g.finish();
                }
                assertContains(
                        out,
                        mode.thread(2) + " hit Breakpoint 1, 0x0000000000010004 in _start ()",
                        afterAuipc,
                        mode.ended(mode.inferiors() ? 2 : 1, "exited normally"));
                SystemResult r = sys.await();
                assertEquals(SystemResult.Outcome.OK, r.outcome(), "run " + run + ": " + r.summary() + "\n" + out);
                assertEquals(2, count(sys.console(), "ipc: all ok"), sys.console());
                sys.close();
                BOOTED.remove(sys);
            }
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aThreadSpecificBreakpointWithAScopeStopsOnlyItsThread(Mode mode) {
        // gdb steps the other threads over `break ... thread 3` itself, each with vCont;c:T;
        // with inferiors, the breakpoint has locations in every client inferior, and only
        // thread 3.1 reports its hits
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(clients(3), true, KernelConfig.defaults().quantumMs(), mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    tmp.resolve("ipc_client.elf").toString(),
                    "monitor scope c1 c2",
                    "break round_trip " + mode.select(3),
                    "set $i = 0",
                    "while $i < 30\n  continue\n  set $i = $i + 1\nend",
                    "delete",
                    mode.toTheEnd())) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertEquals(30, count(out, mode.thread(3) + " hit Breakpoint 1"), out);
            assertEquals(30, count(out, " hit Breakpoint 1"), out);
            assertContains(out, mode.ended(1, "exited normally"));
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aStepiInATaskOutsideTheScopeStaysInThatTask(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(clients(2), true, KernelConfig.defaults().quantumMs(), mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    tmp.resolve("ipc_client.elf").toString(),
                    "monitor scope ipc_echo",
                    mode.select(3),
                    "set $old = $pc",
                    "stepi",
                    "print $pc - $old",
                    "stepi",
                    "print $pc - $old",
                    "info threads",
                    "kill")) {
                out = g.finish();
            }
            assertContains(
                    out,
                    mode.switched(3),
                    "$1 = 4", // _start: 4-byte instructions
                    "$2 = 8");
            assertTrue(
                    Pattern.compile("\\(c2 gen 1, ready\\)\\s+_start \\(\\)")
                            .matcher(out)
                            .find(),
                    out);
            assertContains(out, mode.inferiors() ? "[Inferior 3 (process 3) killed]" : mode.killed());
            assertTrue(!out.contains("internal-error"), out);
            assertEquals("killed by the debugger", sys.await().summary());
        });
    }

    /**
     * {@code --gdb-wait}: a gdb that gives up on the handshake ({@code set non-stop on}, which the
     * stub does not support: gdb disconnects) never took control, so the system stays held before
     * its first instruction, and the next gdb finds it at its start ({@code _start}) and runs it.
     */
    @Test
    void aGdbThatGivesUpOnTheHandshakeLeavesTheSystemHeldForTheNextOne() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted("hello.elf", true);
            Path hello = elf("hello.elf");
            Path script = tmp.resolve("nonstop.gdb");
            Files.write(
                    script,
                    List.of(
                            "set pagination off",
                            "set confirm off",
                            "set non-stop on",
                            "file " + hello,
                            "target remote 127.0.0.1:" + sys.port));
            String out;
            try (Gdb g = new Gdb(script)) {
                out = g.finish();
            }
            assertContains(out, "Non-stop mode requested, but remote does not support non-stop");
            Thread.sleep(1000);
            assertTrue(!sys.result.isDone(), "the system still waits for its debugger");
            assertEquals("", sys.console(), "no instruction ran");
            try (Gdb g = gdb(sys.port, hello.toString(), "info threads", "continue")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "* 1    Thread 1 (hello gen 1, ready) _start ()",
                    "[Inferior 1 (Remote target) exited normally]");
            assertEquals(SystemResult.Outcome.OK, sys.await().outcome());
            assertContains(sys.console(), "hello from rewind");
        });
    }

    /** A gdb script: the settings every test uses, then {@code lines}. */
    Path script(String... lines) throws IOException {
        List<String> all = new ArrayList<>(List.of("set pagination off", "set confirm off", "set width 0"));
        all.addAll(List.of(lines));
        Path p = tmp.resolve("script" + System.nanoTime() + ".gdb");
        Files.write(p, all);
        return p;
    }

    /**
     * {@code target extended-remote}: gdb stays connected after the run ends and asks for the
     * thread list at once; it hears the end ("exited normally", no "Remote connection closed"),
     * sees no thread left, and {@code rewind boot} ends only once gdb has quit. {@code info os
     * processes} lists the tasks.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void extendedRemoteSeesTheEndOfTheRunAndTheBootWaitsForGdbToQuit(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("demo.toml"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = new Gdb(script(
                    "set remotetimeout 30",
                    "target extended-remote 127.0.0.1:" + sys.port,
                    "info os processes",
                    mode.toTheEnd(),
                    "info threads",
                    "echo gdb-stays\\n",
                    "shell sleep 2",
                    "info threads",
                    "info os processes"))) {
                g.awaitOutput("gdb-stays");
                Thread.sleep(1000);
                assertTrue(!sys.result.isDone(), "rewind boot waits while gdb stays connected:\n" + g.out);
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(out, "kv (kv_server.elf)", "kv_demo (kv_demo.elf)", mode.ended(1, "exited normally"));
            assertEquals(2, count(out, "No threads."), out);
            assertEquals(SystemResult.Outcome.OK, sys.await().outcome());
        });
    }

    /**
     * {@code info proc PID} (PID: the thread id, as in {@code info os processes}) and {@code info
     * proc mappings} read a task's {@code /proc} files through host I/O: its image as the command
     * line and the executable's copy, and its address space with the stack, the IPC buffer and
     * the image's segments. gdb warned that it could open none of them before.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void infoProcShowsATasksProgramAndMappings(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("demo.toml"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    elf("kv_server.elf").toString(),
                    "info proc 2",
                    "info proc mappings 2",
                    "info proc status 1",
                    "info proc 99",
                    "kill")) {
                out = g.finish();
            }
            assertContains(
                    out,
                    "process 2\ncmdline = 'fs_server.elf'\ncwd = '/'\nexe = '/tmp/rewind-gdb-",
                    "-fs_server.elf'\n",
                    "Mapped address spaces:",
                    "0x10000 ",
                    " r-xp   fs_server.elf\n",
                    " rw-p   [stack]\n",
                    " rw-p   [ipc]\n",
                    "Name:\tkv\nState:\t",
                    "Image:\tkv_server.elf\n",
                    "warning: unable to open /proc file '/proc/99/cmdline'"); // no task 99
            assertEquals(3, count(out, "warning: unable to"), out);
            assertEquals(3, count(out, "/proc/99/"), "only for the task that does not exist: " + out);
            sys.await();
        });
    }

    /**
     * AArch64, gdb/MI as an IDE drives it ({@code -target-select extended-remote}): the task's
     * exit code reaches gdb as the {@code *stopped,reason="exited"} record an IDE waits for, with
     * and without inferiors.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aarch64ExtendedRemoteUnderMiReportsTheExitCode(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("aarch64/t_fault_null.elf"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = new Gdb(
                    script(
                            "set remotetimeout 30",
                            "target extended-remote 127.0.0.1:" + sys.port,
                            "continue",
                            "set var $pc = $pc + 4", // past the faulting store
                            "continue",
                            "print $_exitcode",
                            "run"), // refused: the system has ended
                    true)) {
                out = g.finish();
            }
            assertContains(
                    out,
                    "*stopped,reason=\"signal-received\",signal-name=\"SIGSEGV\"",
                    mode.ended(1, "exited with code 03"),
                    "*stopped,reason=\"exited\",exit-code=\"03\"",
                    "~\"$1 = 3\\n\"",
                    "Running the default executable on the remote target failed");
            for (String bad : List.of("Remote connection closed", "Remote communication error", "internal-error")) {
                assertTrue(!out.contains(bad), "'" + bad + "' in:\n" + out);
            }
            SystemResult r = sys.await();
            assertEquals(3, r.task("t_fault_null").exitCode(), r.summary());
        });
    }

    /**
     * gdb with no program finds the booted one itself (qXfer:exec-file:read, also without
     * --gdb-inferiors) and reads it through the connection (vFile); with another program loaded, the stub (which asked gdb for some of the
     * booted ELF's symbols through qSymbol) warns in gdb's console at the next resume.
     */
    @Test
    void gdbWithoutAProgramLoadsTheBootedOneAndAWrongOneIsWarnedAbout() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted("hello.elf", true);
            assertContains(
                    sys.startup,
                    "rewind: attach with: gdb-multiarch -ex 'target remote 127.0.0.1:" + sys.port
                            + "' [PROGRAM.elf] (without one, gdb loads the booted program itself)\n");
            String out;
            try (Gdb g = new Gdb(
                    script("target extended-remote 127.0.0.1:" + sys.port, "break main", "continue", "detach"))) {
                out = g.finish();
            }
            assertContains(
                    out,
                    "-hello.elf from remote target...", // through the connection (vFile), not gdb's disk
                    "Reading symbols from target:/tmp/rewind-gdb-",
                    "Breakpoint 1 at 0x",
                    "Breakpoint 1, main () at ",
                    "[Inferior 1 (Remote target) detached]");
            assertTrue(!out.contains("rewind: warning"), out);
            assertTrue(!out.contains("does not support file transfer"), out);
            sys.await();

            Booted other = new Booted("hello.elf", true);
            try (Gdb g = new Gdb(
                    script("file " + elf("kv_server.elf"), "target remote 127.0.0.1:" + other.port, "continue"))) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "rewind: warning: the program gdb loaded is not the one the system runs (hello.elf): gdb's",
                    "[Inferior 1 (Remote target) exited normally]");
            assertEquals(SystemResult.Outcome.OK, other.await().outcome());
        });
    }

    @Test
    void threadIdsStayTheTaskSlotsAfterATaskExited() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(exitedAndSpinners(), false);
            awaitHelloExited(sys);
            String out;
            try (Gdb g = gdb(
                    sys.port,
                    tmp.resolve("spinner.elf").toString(),
                    "info threads",
                    "thread 3",
                    "print x != 0",
                    "thread 1",
                    "kill")) {
                out = g.finish();
            }
            assertContains(
                    out,
                    "1    Thread 1 (hello gen 1, exited)",
                    "2    Thread 2 (spin1 gen 1, ready)",
                    "3    Thread 3 (spin2 gen 1, ready)",
                    "[Switching to thread 3 (Thread 3)]",
                    "$1 = 1",
                    "[Switching to thread 1 (Thread 1)]",
                    "[Inferior 1 (Remote target) killed]");
            assertEquals("killed by the debugger", sys.await().summary());
        });
    }

    @Test
    void withInferiorsATaskThatEndedBeforeGdbCameIsNoInferiorAndProcessIdsStayTheSlots() {
        // gdb numbers inferiors as it finds processes: process P is always task slot P - 1
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    exitedAndSpinners(), false, KernelConfig.defaults().quantumMs(), true);
            awaitHelloExited(sys);
            String out;
            try (Gdb g = gdb(
                    Mode.INFERIORS,
                    sys.port,
                    tmp.resolve("spinner.elf").toString(),
                    "info inferiors",
                    "info threads",
                    "inferior 2",
                    "print x != 0",
                    "kill inferiors 1 2")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "process 2",
                    "process 3",
                    "Thread 2.1 (spin1 gen 1, ready)",
                    "Thread 3.1 (spin2 gen 1, ready)",
                    "[Switching to inferior 2 [process 3]",
                    "$1 = 1");
            assertTrue(!out.contains("process 1") && !out.contains("hello gen"), out);
            assertEquals("killed by the debugger", sys.await().summary());
        });
    }

    /** Wait until hello has exited and both spinners spin. */
    private static void awaitHelloExited(Booted sys) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!sys.console().contains("spinner: spinning\nspinner: spinning")
                || !sys.console().contains("hello")) {
            assertTrue(System.currentTimeMillis() < deadline, sys.console());
            Thread.sleep(20);
        }
        Thread.sleep(200);
    }

    /** hello (exits at once) and two spinners. */
    private SystemImage exitedAndSpinners() throws Exception {
        elf("hello.elf");
        elf("spinner.elf");
        Path manifest = tmp.resolve("exit.toml");
        Files.writeString(manifest, """
                name = "exit"
                [task.hello]
                image = "hello.elf"
                [task.spin1]
                image = "spinner.elf"
                runaway_ms = 0
                [task.spin2]
                image = "spinner.elf"
                runaway_ms = 0
                """);
        return SystemImage.open(manifest.toString());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anInferiorCallReturnsItsValueAndLeavesTheTaskAsItWas(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("demo.toml"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    elf("kv_server.elf").toString(),
                    "monitor scope kv",
                    "break store",
                    "continue",
                    "print rw_strerror(-2)",
                    "print klen",
                    "print $pc == (long) &store",
                    "print rw_strerror(-1)",
                    "print $mcause == 0 && $mepc == 0",
                    "info threads",
                    "next",
                    "delete",
                    mode.toTheEnd())) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    mode.thread(1) + " hit Breakpoint 1, store (",
                    "$1 = 0x",
                    "\"EFAULT\"",
                    "$2 = 15",
                    "$3 = 1",
                    "$4 = 0x",
                    "$5 = 1", // the calls' returns are no fault: kv never faulted
                    "(kv gen 1, ready)",
                    mode.ended(1, "exited normally"));
            assertTrue(!out.contains("signaled while in a function called from GDB"), out);
            assertTrue(!out.contains("SIGSEGV"), out);
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertEquals(1, r.task("kv").id().generation(), "the call left kv running, no recovery");
            assertTrue(sys.console().contains("kv_demo: ok"), sys.console());
        });
    }

    /**
     * An inferior call in a task blocked in a system call (kv waiting in its receive while its
     * client is stopped) is refused with the reason, and changes nothing: the kernel would
     * resume the task at the function only when a request came, which the function would then
     * swallow (kv resumed after its receive with no request, and aborted). Registers read back
     * the same, and the system runs to its end with kv never faulted.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void anInferiorCallInATaskBlockedInASystemCallIsRefusedAndChangesNothing(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("demo.toml"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    elf("kv_demo.elf").toString(),
                    "monitor scope kv_demo",
                    mode.select(4),
                    "break kv_put",
                    "continue",
                    mode.select(1),
                    "maintenance flush register-cache", // with inferiors gdb's copy of kv's is stale
                    "echo regs-before\\n",
                    "info registers pc sp ra a0 a7",
                    "python\n"
                            + "for e in ['print rw_strerror(-2)', 'set var $pc = $pc + 4', 'set var $s1 = 7']:\n"
                            + "    try:\n"
                            + "        gdb.execute(e)\n"
                            + "    except gdb.error as x:\n"
                            + "        print('refused: ' + str(x))\n"
                            + "end",
                    "echo regs-after\\n",
                    "info registers pc sp ra a0 a7",
                    "monitor tasks",
                    "delete",
                    mode.toTheEnd())) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    mode.thread(4) + " hit Breakpoint 1",
                    "refused: Could not write register \"a0\"; remote failure reply 'E.thread 1 (task kv) is"
                            + " blocked in a system call (receiving): its registers cannot change",
                    "refused: Could not write register \"pc\"",
                    "refused: Could not write register \"s1\"",
                    mode.ended(1, "exited normally"));
            int before = out.indexOf("regs-before");
            int after = out.indexOf("regs-after");
            assertTrue(before >= 0 && after > before, out);
            String regsBefore = out.substring(before + 12, out.indexOf("refused:", before));
            String regsAfter = out.substring(after + 11, out.indexOf("id   task", after));
            // a0 still holds the receive's tagged capability slot: the call has not returned
            assertTrue(regsBefore.contains("a0             0x4000000000000000"), "kv waits in its receive: " + out);
            assertEquals(regsBefore, regsAfter, "kv's registers as they were");
            assertTrue(!out.contains("SIGABRT"), out);
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertEquals(1, r.task("kv").id().generation(), "kv never faulted");
            assertTrue(sys.console().contains("kv_demo: ok"), sys.console());
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void atAFaultStopTheUserCanFixTheRegistersAndResumeTheTask(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("t_fault_null.elf"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    sys.port,
                    elf("t_fault_null.elf").toString(),
                    "continue",
                    "x/i $pc",
                    "signal 0", // resumes from the registers: the same store faults again
                    "set var $pc = $pc + 2", // past the 2-byte c.sw
                    "print (long) $pc - (long) &main",
                    "nexti", // over the call of puts
                    "print (long) $pc - (long) &main",
                    "stepi",
                    "print (long) $pc - (long) &main",
                    "info threads",
                    "continue",
                    "print $_exitcode")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertEquals(2, count(out, "received signal SIGSEGV, Segmentation fault."), out);
            assertContains(
                    out,
                    "sw\ta4,0(a5)",
                    "$1 = 34",
                    "$2 = 38",
                    "$3 = 40",
                    "(t_fault_null gen 1, ready)",
                    // the task's own exit status, also without inferiors: a system of one task
                    // ends as its task did (rewind boot's status is 1, a task failed)
                    mode.ended(1, "exited with code 03"),
                    "$4 = 3");
            SystemResult r = sys.await();
            assertTrue(sys.console().contains("fault: survived"), sys.console());
            assertEquals(3, r.task("t_fault_null").exitCode(), r.summary());
            assertEquals(0, r.task("t_fault_null").faults(), "the debugger took the fault, not recovery");
        });
    }

    // AArch64 (builtin:aarch64/...): the same stub serves gdb's aarch64 target description;
    // no 'set architecture' (gdb reads it from the ELF and the description).

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aarch64BreakRegistersBacktraceStepWatchAndThreadsOnTheKvServer(Mode mode) {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(
                    SystemImage.builtin("aarch64/demo.toml"),
                    true,
                    KernelConfig.defaults().quantumMs(),
                    mode.inferiors());
            String out;
            try (Gdb g = gdb(
                    mode,
                    "echo",
                    sys.port,
                    elf("aarch64/kv_server.elf").toString(),
                    "show architecture",
                    "info threads",
                    "monitor scope kv",
                    "break store",
                    "continue",
                    "print klen",
                    "print $pc == (long) &store",
                    "print/x $sp",
                    "print $x1 == 15",
                    "info registers cpsr",
                    "bt",
                    "next",
                    "stepi",
                    "x/i $pc",
                    "watch nkeys",
                    "continue",
                    "delete",
                    // In one-program mode fs's PC is shown with kv's symbols; where it falls in a
                    // function taking floating-point arguments, gdb 13.1 evaluating them from the
                    // FP registers can hit an internal error (DEBUGGING.md, Limitations).
                    "set print frame-arguments none",
                    "info threads",
                    "detach")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "(currently \"aarch64\")",
                    mode.thread(1) + " (kv gen 1, ready)",
                    mode.thread(4) + " (kv_demo gen 1, ready)",
                    "breakpoints and watchpoints apply to kv",
                    "Breakpoint 1 at 0x",
                    mode.thread(1) + " hit Breakpoint 1, store (",
                    "servers/kv_server.c",
                    "$1 = 15",
                    "$2 = 1",
                    "$3 = 0x7ffd",
                    "$4 = 1", // x1 is klen, the second argument
                    "cpsr           0x",
                    "#0  store (",
                    " in do_put (",
                    " in main () at servers/kv_server.c",
                    "=> 0x",
                    "Hardware watchpoint 2: nkeys",
                    "Old value = 0",
                    "New value = 1",
                    "(kv_demo gen 1, awaiting_reply)",
                    mode.detached());
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertTrue(sys.console().contains("kv_demo: ok"), sys.console());
        });
    }

    /**
     * A read watchpoint on a location the code loads into its own base register (kv's
     * check_counted, the reply's address: {@code ldr x0, [x0, #8]}; AArch64 code loads most
     * globals the same way, {@code adrp x2, ...; ldr x2, [x2, #off]}). The engine ends the run
     * with the load's result already in x0; the stop must put x0 back, or gdb's step over the
     * load loads again from the value and kv faults (as it did).
     */
    @Test
    void aarch64ReadWatchpointOnALoadIntoItsBaseRegisterLetsTheLoadRunAgain() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(SystemImage.builtin("aarch64/demo.toml"), true);
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    "echo",
                    sys.port,
                    elf("aarch64/kv_server.elf").toString(),
                    "monitor scope kv",
                    "break check_counted",
                    "continue",
                    "set $req = (const rw_request *) $x0",
                    "rwatch -location $req->out",
                    "continue",
                    "print $x0 == (long) $req->out",
                    "x/i $pc - 4",
                    "delete",
                    "continue")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "Thread 1 hit Breakpoint 1, check_counted (",
                    "Hardware read watchpoint 2: -location $req->out",
                    "Value = ",
                    "$1 = 1", // gdb stepped over the load: x0 holds the reply's address
                    "ldr\tx0, [x0, #8]",
                    "[Inferior 1 (Remote target) exited normally]");
            assertTrue(!out.contains("faulted"), out);
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertEquals(1, r.task("kv").id().generation(), "kv never faulted");
            assertTrue(sys.console().contains("kv_demo: ok"), sys.console());
        });
    }

    @Test
    void aarch64ServerFaultStopsOnTheUdfAndContinuingLetsTheRestartRun() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(SystemImage.builtin("aarch64/t_restart.toml"), true);
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    "echo",
                    sys.port,
                    elf("aarch64/kv_server.elf").toString(),
                    "continue",
                    "bt",
                    "print kind",
                    "x/i $pc",
                    "print $_siginfo.si_signo",
                    "print $pc == $_siginfo._sifields._sigfault.si_addr",
                    "monitor fault",
                    "info threads",
                    "continue")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "rewind: task kv#0.1 faulted: illegal instruction",
                    "Thread 1 received signal SIGILL, Illegal instruction.",
                    "debug_fault (kind=",
                    "do_debug_fault",
                    "$1 = 1",
                    " <debug_fault+",
                    "udf\t#0",
                    "$2 = 4",
                    "$3 = 1",
                    "kv (thread 1): illegal instruction",
                    "(kv gen 1, faulted)",
                    "(restart_client gen 1, awaiting_reply)",
                    "[Inferior 1 (Remote target) exited normally]");
            assertTrue(!out.contains("mcause"), "no RISC-V CSRs on AArch64: " + out);
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertEquals(2, r.task("kv").id().generation(), "recovery ran after gdb continued");
            assertTrue(sys.console().contains("restart_client: ok"), sys.console());
        });
    }

    @Test
    void aarch64NullWriteIsSigsegvAtTheStoreAndRegistersAndFlagsCanBeWritten() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(SystemImage.builtin("aarch64/t_fault_null.elf"), true);
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    "echo",
                    sys.port,
                    elf("aarch64/t_fault_null.elf").toString(),
                    "continue",
                    "x/i $pc",
                    "print $_siginfo.si_code",
                    "print $_siginfo._sifields._sigfault.si_addr",
                    "print $x0 = 0x4d2",
                    "print $cpsr = 0x60000000",
                    "info registers x0 cpsr",
                    "continue",
                    "kill")) {
                out = g.finish();
            }
            assertContains(
                    out,
                    "received signal SIGSEGV, Segmentation fault.",
                    "main () at tests/fault.c",
                    "<main+",
                    "str\t",
                    "[x0]",
                    "$1 = 1", // SEGV_MAPERR
                    "$2 = (void *) 0x0",
                    "x0             0x4d2",
                    "cpsr           0x60000000",
                    // the task resumed from the registers gdb wrote: the store faults at x0
                    "write to unmapped memory at address 0x4d2",
                    "[Inferior 1 (Remote target) killed]");
            assertEquals("killed by the debugger", sys.await().summary());
        });
    }

    /** A txipc server that adds (label 1) and faults on label 2, and its client, built with the SDK into {@link #tmp}. */
    private SystemImage accSystem() throws Exception {
        return accSystem("");
    }

    /** {@link #accSystem()}, with {@code serverLine} added to the server's table of the manifest. */
    private SystemImage accSystem(String serverLine) throws Exception {
        Path root = dev.rewind.tools.Fixtures.projectRoot();
        Files.writeString(tmp.resolve("acc_server.c"), """
#include <rewind/rewind.h>

long total;
long served;

static __attribute__((noinline)) long do_add(long amount)
{
	total += amount;
	served++;
	return total;
}

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)badge;
	(void)ctx;
	if (m->label == 2)
		*(volatile long *)(uintptr_t)m->w[0] = 1; /* a fault in the server: w0 = 0 */
	m->w[0] = (uint64_t)do_add((long)m->w[0]);
	m->w[1] = (uint64_t)served;
	m->label = 0;
	m->len = 0;
}

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get("acc", &ep) == 0);
	rw_serve(ep, handle, 0);
}
""");
        Files.writeString(tmp.resolve("acc_client.c"), """
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get("acc", &ep) == 0);
	static const long amounts[] = { 1, 2, 3, 0, 40 };
	rw_msg m = { 0, { 0, 0, 0, 0 }, 0 };
	for (int i = 0; i < 5; i++) {
		long r;
		RW_RETRY_RECOVERED(r, (m = (rw_msg){ amounts[i] ? 1 : 2, { (uint64_t)amounts[i], 0, 0, 0 }, 0 }, rw_rpc(ep, &m)), 3);
		printf("acc_client: request %d -> %s\\n", i, rw_strerror(r));
	}
	printf("acc_client: total %lu served %lu\\n", (unsigned long)m.w[0], (unsigned long)m.w[1]);
	return 0;
}
""");
        Files.writeString(
                tmp.resolve("Makefile"),
                String.join(
                        "\n",
                        "REWIND_SDK := " + root.resolve("guest/sdk"),
                        "include $(REWIND_SDK)/rewind.mk",
                        "$(eval $(call rewind_program,acc_server,acc_server.c))",
                        "$(eval $(call rewind_program,acc_client,acc_client.c))",
                        ""));
        Process make = new ProcessBuilder("make", "-s", "-C", tmp.toString(), "CFLAGS=-Og -g")
                .redirectErrorStream(true)
                .start();
        String built = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(make.waitFor(120, TimeUnit.SECONDS) && make.exitValue() == 0, built);
        Files.writeString(tmp.resolve("acc.toml"), """
                name = "acc"
                [task.acc]
                image = "build/image/acc_server.elf"
                priority = 1
                serves = ["acc"]
                recovery = "txipc"
                %s
                [task.acc_client]
                image = "build/image/acc_client.elf"
                priority = 4
                uses = ["acc"]
                """.formatted(serverLine));
        return SystemImage.open(tmp.resolve("acc.toml").toString());
    }

    /**
     * A gdb session of {@code commands} on {@code sys} (the acc system), scoped to acc's server,
     * whose deliberate faults are passed to it unseen; returns gdb's output, the session ended
     * cleanly.
     */
    private String accSession(Booted sys, String... commands) throws Exception {
        String[] all = new String[commands.length + 2];
        all[0] = "monitor scope acc";
        all[1] = "handle SIGSEGV nostop noprint pass";
        System.arraycopy(commands, 0, all, 2, commands.length);
        try (Gdb g = gdb(
                Mode.THREADS,
                sys.port,
                tmp.resolve("build/image/acc_server.elf").toString(),
                all)) {
            String out = g.finish();
            assertCleanEnd(g, out);
            return out;
        }
    }

    /**
     * A txipc server's history replay is the kernel's, not a client's request: the client's
     * adds 1, 2, 3, then a request that faults every time (its second fault makes the kernel
     * undo the three committed adds and run them again), then an add of 40. A breakpoint on
     * the add, its first three crossings ignored, next stops at the add of 40: not in the
     * replay's add of 1 (which it did, showing a request of long ago as if it were served).
     */
    @Test
    void aTxipcHistoryReplayDoesNotStopAtBreakpoints() {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            Booted sys = new Booted(accSystem(), true);
            String out = accSession(
                    sys,
                    "break do_add",
                    "ignore 1 3",
                    "continue",
                    "print served",
                    "monitor recovery",
                    "delete",
                    "continue");
            assertContains(
                    out,
                    "Thread 1 hit Breakpoint 1, do_add (amount=40)",
                    "$1 = 3",
                    "3 committed requests undone",
                    "[Inferior 1 (Remote target) exited normally]");
            assertTrue(!out.contains("amount=1)"), out);
            sys.await();
            assertTrue(sys.console().contains("acc_client: total 46 served 4"), sys.console());
        });
    }

    /**
     * A value the debugger writes into a txipc server stays when a later fault makes the kernel
     * replay the server's history: the replay may not reach back past the write (it rebuilt the
     * state without it: `served` set to 1000 as the third add began came out as 4 at the end, not 1002).
     */
    @Test
    void aDebuggersWriteToATxipcServerOutlivesAHistoryReplay() {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            Booted sys = new Booted(accSystem(), true);
            String out = accSession(
                    sys, "break do_add", "ignore 1 2", "continue", "set var served = 1000", "delete", "continue");
            assertContains(
                    out,
                    "Thread 1 hit Breakpoint 1, do_add (amount=3)",
                    "[Inferior 1 (Remote target) exited normally]");
            sys.await();
            assertTrue(sys.console().contains("acc_client: total 46 served 1002"), sys.console());
        });
    }

    /**
     * Under verify = "dual" each request of a txipc server runs twice from the same pre-state
     * before its reply leaves; the run again is the kernel's check, as a history replay is, and
     * breakpoints do not stop in it: `break do_add` stops at the adds of 1, 2, 3 and 40, each
     * once (it stopped in each add twice, `do_add (amount=1)` again after the first, as if the
     * client had sent it twice).
     */
    @Test
    void breakpointsDoNotStopInAVerifyRunAgain() {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            Booted sys = new Booted(accSystem("verify = \"dual\""), true);
            String out = accSession(
                    sys, "break do_add", "continue", "continue", "continue", "continue", "delete", "continue");
            assertContains(
                    out,
                    "Thread 1 hit Breakpoint 1, do_add (amount=1)",
                    "Thread 1 hit Breakpoint 1, do_add (amount=2)",
                    "Thread 1 hit Breakpoint 1, do_add (amount=3)",
                    "Thread 1 hit Breakpoint 1, do_add (amount=40)",
                    "[Inferior 1 (Remote target) exited normally]");
            assertEquals(4, count(out, "hit Breakpoint 1"), out);
            sys.await();
            assertTrue(sys.console().contains("acc_client: total 46 served 4"), sys.console());
        });
    }

    /**
     * A reply the debugger sets in a txipc server's request is the one its client gets. Under the
     * default verify = "refusals" a refusal is run again from the request's pre-state before it
     * leaves; that run lacked gdb's change (`set var m->label = -1` at the handler's last line),
     * answered 0, "disagreed" with the changed run, and the third run committed the unchanged
     * answer: the client saw OK for its add of 2, and stderr a verification mismatch the
     * debugger had made.
     */
    @Test
    void aReplyTheDebuggerSetsInATxipcServerReachesItsClient() {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            Booted sys = new Booted(accSystem(), true);
            String out = accSession(
                    sys,
                    "break acc_server.c:22", // m->len = 0, after m->label = 0
                    "ignore 1 1", // the add of 1
                    "continue",
                    "print m->w[0]",
                    "set var m->label = -1", // EINVAL
                    "delete",
                    "continue");
            assertContains(
                    out, "Thread 1 hit Breakpoint 1, handle", "$1 = 3", "[Inferior 1 (Remote target) exited normally]");
            sys.await();
            assertTrue(sys.console().contains("acc_client: request 1 -> EINVAL"), sys.console());
            assertTrue(sys.console().contains("acc_client: request 2 -> OK"), sys.console());
        });
    }

    /**
     * At a fault stop in a txipc server under verify = "dual", gdb moves the pc past the faulting
     * store and resumes: the debugger took the fault, and the request it fixed is answered as it
     * ran on. Every reply of the server is run again from the request's pre-state before it
     * leaves, and that run, without gdb's fix, faulted at the same store again: the fix was lost,
     * the request rolled back (the client got ERECOVERED from every try).
     */
    @Test
    void aFaultTheDebuggerFixesInAVerifiedTxipcRequestStaysFixed() {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            Booted sys = new Booted(accSystem("verify = \"dual\""), true);
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    sys.port,
                    tmp.resolve("build/image/acc_server.elf").toString(),
                    "monitor scope acc",
                    "continue",
                    "python\n"
                            + "pc = int(gdb.parse_and_eval('$pc'))\n"
                            + "n = gdb.selected_frame().architecture().disassemble(pc)[0]['length']\n"
                            + "gdb.execute('set var $pc = %d' % (pc + n))\n"
                            + "end",
                    "handle SIGSEGV nostop noprint pass", // a second fault (without the fix) is passed on unseen
                    "continue")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertEquals(1, count(out, "received signal SIGSEGV"), out);
            assertContains(out, "[Inferior 1 (Remote target) exited normally]");
            sys.await();
            assertTrue(sys.console().contains("acc_client: request 3 -> OK"), sys.console());
            assertTrue(sys.console().contains("acc_client: total 46 served 5"), sys.console());
        });
    }

    /**
     * Without multiprocess gdb has one program for every task; the stub learns which (its
     * qSymbol check) and keeps breakpoints to the tasks running it: with acc_server.elf loaded,
     * `break _start` (the same address in every program) does not stop acc_client, which runs
     * another program (it did, `Thread 2 hit Breakpoint 1, _start ()`, and a breakpoint on a
     * function of the server stopped the client in unrelated code of its own at that address).
     * `monitor scope all` gives every task the breakpoints again.
     */
    @Test
    void breakpointsKeepToTheTasksRunningTheProgramGdbLoaded() {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            Booted sys = new Booted(accSystem(), true);
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    sys.port,
                    tmp.resolve("build/image/acc_server.elf").toString(),
                    "handle SIGSEGV nostop noprint pass",
                    "monitor scope",
                    "break _start",
                    "continue")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "breakpoints and watchpoints apply to the tasks running build/image/acc_server.elf, the program"
                            + " gdb loaded (monitor scope all: every task)",
                    "[Inferior 1 (Remote target) exited normally]");
            assertTrue(!out.contains("hit Breakpoint 1"), out);
            sys.await();
            assertTrue(sys.console().contains("acc_client: total 46 served 4"), sys.console());

            Booted all = new Booted(accSystem(), true);
            try (Gdb g = gdb(
                    Mode.THREADS,
                    all.port,
                    tmp.resolve("build/image/acc_server.elf").toString(),
                    "monitor scope all",
                    "break _start",
                    "continue",
                    "kill")) {
                out = g.finish();
            }
            assertContains(out, "apply to every task", "Thread 2 hit Breakpoint 1, _start ()");
        });
    }

    /**
     * `monitor restart` of a task gdb moved back in its history (reverse-stepi) restarts it
     * from its image: the new generation starts at its entry and reaches main. Its history was
     * left in place, and the next resume "came back to the present" of the old generation: the
     * new one was put at the old pc in do_add (with the old pending results), never ran main,
     * and faulted.
     */
    @Test
    void restartingATaskInItsPastStartsTheNewGenerationAfresh() {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            Booted sys = new Booted(accSystem(), true);
            String out = accSession(
                    sys,
                    "break do_add",
                    "continue",
                    "stepi",
                    "reverse-stepi",
                    "monitor restart acc",
                    "maintenance flush register-cache",
                    "delete",
                    "break main",
                    "continue",
                    "info threads",
                    "delete",
                    "continue");
            assertContains(
                    out,
                    "Thread 1 hit Breakpoint 1, do_add (amount=1)",
                    "task acc: restarted as generation 2",
                    "Thread 1 hit Breakpoint 2, main () at acc_server.c",
                    "Thread 1 (acc gen 2, ready)",
                    "[Inferior 1 (Remote target) exited normally]");
        });
    }

    /**
     * A txipc server moved back in its request (reverse-stepi) refuses gdb's writes at once,
     * with the reason, instead of taking them and dropping them when it comes back to the
     * present (`served` set to 1000 there used to come out as 4 at the end, with no word): the
     * memory write fails in gdb, the register write shows the stub's text, and the values stay
     * as they were. Back in the present a write is taken again (`served` plus 100: 104 at the end).
     */
    @Test
    void aWriteToATxipcServerInItsPastIsRefusedWithAReason() {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            Booted sys = new Booted(accSystem(), true);
            String out = accSession(
                    sys,
                    "break do_add",
                    "continue",
                    "stepi",
                    "stepi",
                    "reverse-stepi",
                    "python\n"
                            + "for e in ['set var served = 1000', 'set var $a0 = 77']:\n"
                            + "    try:\n"
                            + "        gdb.execute(e)\n"
                            + "    except gdb.error as x:\n"
                            + "        print('refused: ' + str(x))\n"
                            + "end",
                    "printf \"past served=%ld a0=%ld\\n\", served, $a0",
                    "finish",
                    "set var served = served + 100",
                    "printf \"present served=%ld\\n\", served",
                    "delete",
                    "continue");
            assertContains(
                    out,
                    "Thread 1 hit Breakpoint 1, do_add (amount=1)",
                    "refused: Cannot access memory at address",
                    "refused: Could not write register \"a0\"; remote failure reply 'E.thread 1 (task acc) is in"
                            + " its past (reverse execution): its registers cannot change there",
                    "past served=0 a0=1",
                    "present served=101",
                    "[Inferior 1 (Remote target) exited normally]");
            sys.await();
            assertTrue(sys.console().contains("acc_client: total 46 served 104"), sys.console());
        });
    }

    /**
     * A txipc server's reverse execution keeps to the request it serves. A `reverse-continue`
     * watching `total` from the start of the add of 3 finds no write: the history starts with
     * that request (it went on into the add of 2, a committed request whose reply and the next
     * receive are one call: `Old value = 3, New value = 1`). After its fault is rolled back (a
     * `stepi` with scheduler-locking ends in its receive) the undone request is no history either
     * (a step back went into it, at the instruction before the store that faulted). A reverse move
     * at a fault stop is refused with the reason (it was a bare `E03`).
     */
    @Test
    void aTxipcServersHistoryIsItsCurrentRequestNotACommittedOrARolledBackOne() {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            Booted sys = new Booted(accSystem(), true);
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    sys.port,
                    tmp.resolve("build/image/acc_server.elf").toString(),
                    "monitor scope acc",
                    "break do_add",
                    "ignore 1 2",
                    "continue",
                    "watch total",
                    "reverse-continue",
                    "echo after-reverse-continue\\n",
                    "delete",
                    "continue",
                    "set scheduler-locking step",
                    "stepi",
                    "info threads",
                    "reverse-stepi",
                    "echo after-reverse-stepi\\n",
                    "set scheduler-locking off",
                    "continue",
                    "reverse-stepi",
                    "handle SIGSEGV nostop noprint pass",
                    "continue")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "Thread 1 hit Breakpoint 1, do_add (amount=3)",
                    "No more reverse-execution history.",
                    "after-reverse-continue",
                    "received signal SIGSEGV",
                    "(acc gen 1, receiving)",
                    "after-reverse-stepi",
                    "E.thread 1 (task acc) is at its fault stop: no reverse execution from there",
                    "[Inferior 1 (Remote target) exited normally]");
            assertTrue(!out.contains("Old value"), out);
            // the step back after the rollback: no history, not into the undone request's handler
            String back = out.substring(out.indexOf("(acc gen 1, receiving)"), out.indexOf("after-reverse-stepi"));
            assertTrue(back.contains("No more reverse-execution history.") && !back.contains("handle ("), out);
            sys.await();
            assertTrue(sys.console().contains("acc_client: total 46 served 4"), sys.console());
        });
    }

    /**
     * A driver under recovery = "shadow", faulted (`rewind boot --kill blk@20:40`): its new
     * generation meets the breakpoints gdb set, in its start-up and in the requests its shadow
     * replays to rebuild its state (the client's OPEN, answered by generation 1 long ago), which
     * `monitor recovery` tells apart from a client's; the run ends normally.
     */
    @Test
    void aShadowDriversNewGenerationStopsAtBreakpointsAlsoInItsShadowsReplay() {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            SystemImage img = SystemImage.builtin("t_blk.toml");
            Booted sys = new Booted(
                    img,
                    true,
                    KernelConfig.defaults().quantumMs(),
                    false,
                    null,
                    k -> k.setProbe(dev.rewind.tools.BootKill.parse(List.of("blk@20:40"), img.manifest())));
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    sys.port,
                    elf("blk_driver.elf").toString(),
                    "break do_open",
                    "break device_init",
                    "continue",
                    "continue",
                    "continue",
                    "echo at-the-kill\\n",
                    "continue",
                    "info threads",
                    "continue",
                    "monitor recovery",
                    "delete",
                    "continue")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            String after = out.substring(out.indexOf("at-the-kill"));
            assertContains(
                    out,
                    "received signal SIGABRT",
                    "killed by --kill blk@20:40",
                    "at-the-kill",
                    "[Inferior 1 (Remote target) exited normally]");
            assertContains(
                    after,
                    "Thread 1 hit Breakpoint 2, device_init ()",
                    "(blk gen 2, ready)",
                    "Thread 1 hit Breakpoint 1, do_open (",
                    "restarted as generation 2; shadow replays 1 request(s)");
            sys.await();
            assertTrue(sys.console().contains("blk_stress: ok ops=400 errors=0"), sys.console());
        });
    }

    /**
     * `rewind inject IMAGE --server kv --seed N -n 1 --gdb PORT`: the one injection, replayed
     * under gdb, waits for gdb in the server's thread and halts (SIGTRAP, with a console line
     * naming the seed and what is about to strike) at the planned instruction before the fault
     * strikes; the strike then applies there (the flipped register's pc is the pc gdb showed),
     * and the run ends as the same seed ends without gdb. Both architectures.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void anInjectionReplayedUnderGdbHaltsWhereItStrikes(String arch) {
        assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
            // the workload of t_kv_oracle with the client first: kv is task 2
            Path client = elf(arch + "kv_oracle.elf"); // (copied into tmp, as the manifest)
            Path server = elf(arch + "kv_server.elf");
            Path manifest = tmp.resolve("kv_second.toml");
            Files.writeString(
                    manifest,
                    String.join(
                            "\n",
                            "name = \"kv_second\"",
                            "[task.kv_oracle]",
                            "image = \"" + client.getFileName() + "\"",
                            "priority = 4",
                            "uses = [\"kv\"]",
                            "[task.kv]",
                            "image = \"" + server.getFileName() + "\"",
                            "priority = 1",
                            "heap = \"2M\"",
                            "serves = [\"kv\"]",
                            "recovery = \"txipc\"",
                            ""));
            SystemImage img = SystemImage.open(manifest.toString());
            KernelConfig cfg = KernelConfig.defaults().withRamBytes(64L << 20).withBudgetNanos(60_000_000_000L);
            List<dev.rewind.kernel.probe.FaultInjector.Type> types =
                    List.of(dev.rewind.kernel.probe.FaultInjector.Type.REGISTER_BIT_FLIP);
            long seed = 1530002;
            dev.rewind.kernel.image.RecoveryPolicy txipc = dev.rewind.kernel.image.RecoveryPolicy.TXIPC;
            dev.rewind.tools.inject.Campaign plain = new dev.rewind.tools.inject.Campaign(img, "kv", txipc, 1000, cfg);
            plain.profile();
            dev.rewind.tools.inject.Campaign.Run expected = plain.inject(seed, types);

            PipedInputStream errIn = new PipedInputStream(1 << 16);
            PrintStream err = new PrintStream(new PipedOutputStream(errIn), true, StandardCharsets.UTF_8);
            dev.rewind.tools.inject.Campaign c =
                    new dev.rewind.tools.inject.Campaign(img, "kv", txipc, 1000, cfg).gdb("127.0.0.1:0", err);
            c.profile();
            CompletableFuture<dev.rewind.tools.inject.Campaign.Run> run = new CompletableFuture<>();
            Thread k = new Thread(
                    () -> {
                        try {
                            run.complete(c.inject(seed, types));
                        } catch (Throwable e) {
                            run.completeExceptionally(e);
                        } finally {
                            err.close();
                        }
                    },
                    "inject");
            k.setDaemon(true);
            k.start();
            StringBuilder sb = new StringBuilder();
            int ch;
            while ((ch = errIn.read()) >= 0 && !(ch == '\n' && sb.indexOf("rewind: attach with: ") >= 0)) {
                sb.append((char) ch);
            }
            Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) \\(the system waits for gdb")
                    .matcher(sb);
            assertTrue(m.find(), sb.toString());
            CompletableFuture<String> rest = new CompletableFuture<>();
            Thread drain = new Thread(() -> {
                try {
                    rest.complete(new String(errIn.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    rest.completeExceptionally(e);
                }
            });
            drain.setDaemon(true);
            drain.start();
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    arch.isEmpty() ? "set architecture riscv:rv64" : "echo",
                    Integer.parseInt(m.group(1)),
                    "", // no program: gdb loads the one of the thread it starts in, the server's
                    "info threads",
                    "continue",
                    "printf \"halted pc=%#lx\\n\", $pc",
                    "info threads",
                    "handle SIGSEGV SIGILL SIGBUS SIGABRT SIGXCPU SIGTRAP nostop noprint pass",
                    "continue")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            dev.rewind.tools.inject.Campaign.Run r = run.get(120, TimeUnit.SECONDS);
            assertContains(
                    out,
                    "kv_server.elf from remote target",
                    "* 2    Thread 2 (kv gen 1, ready)",
                    "rewind: seed 1530002: register bit flip is about to strike task kv here (request " + r.request()
                            + ", instruction " + r.instruction() + ")",
                    "Thread 2 received signal SIGTRAP",
                    "(kv gen 1, running)",
                    "[Inferior 1 (Remote target) exited");
            Matcher pc = Pattern.compile("halted pc=(0x[0-9a-f]+)").matcher(out);
            assertTrue(pc.find(), out);
            assertTrue(r.activated() && r.what().endsWith(" at pc " + pc.group(1)), r.what() + "\n" + out);
            assertEquals(expected.what(), r.what());
            assertEquals(expected.verdict(), r.verdict());
            assertTrue(rest.get(30, TimeUnit.SECONDS).contains("rewind: seed 1530002 struck task kv: " + r.what()));
        });
    }

    /**
     * RISC-V's FPU as gdb sees it: fp_server and fp_client built with the SDK's FLOAT=hard (the
     * sum in fs0), f registers and fcsr read and written; a write to fs0 reaches the task (the
     * client then sees the changed sum). In a soft-float task the same registers are unavailable.
     */
    @Test
    void riscvFpuRegistersAreReadAndWritten() throws Exception {
        Path root = dev.rewind.tools.Fixtures.projectRoot();
        Files.writeString(
                tmp.resolve("Makefile"),
                String.join(
                        "\n",
                        "REWIND_SDK := " + root.resolve("guest/sdk"),
                        "include $(REWIND_SDK)/rewind.mk",
                        "$(eval $(call rewind_program,fp_server," + root.resolve("guest/tests/fp_server.c") + "))",
                        "$(eval $(call rewind_program,fp_client," + root.resolve("guest/tests/fp_client.c") + "))",
                        ""));
        Process make = new ProcessBuilder("make", "-s", "-C", tmp.toString(), "FLOAT=hard")
                .redirectErrorStream(true)
                .start();
        String built = new String(make.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(make.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) && make.exitValue() == 0, built);
        Files.writeString(
                tmp.resolve("fp.toml"),
                Files.readString(root.resolve("guest/images/t_fp_tx.toml"))
                        .replace("\"fp_server.elf\"", "\"build/hardfloat/image/fp_server.elf\"")
                        .replace("\"fp_client.elf\"", "\"build/hardfloat/image/fp_client.elf\""));
        int line = lineOf("guest/tests/fp_server.c", "fault after the sum changed");
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(SystemImage.open(tmp.resolve("fp.toml").toString()), true);
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    "echo",
                    sys.port,
                    tmp.resolve("build/hardfloat/image/fp_server.elf").toString(),
                    "monitor scope fp_server",
                    // after the first request's add (w0 = 1): the sum in fs0 = 1.0
                    "break fp_server.c:" + line,
                    "continue",
                    "print $fs0.double",
                    "info registers fcsr",
                    "set var $fs0.double = 2.5",
                    "print $fs0.double",
                    "set var $frm = 2",
                    "info registers fcsr",
                    "set var $frm = 0",
                    "print $frm",
                    "delete",
                    "detach")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "hit Breakpoint 1, main ()",
                    "$1 = 1",
                    "fcsr           0x0",
                    "$2 = 2.5",
                    "fcsr           0x40",
                    "$3 = 0",
                    Mode.THREADS.detached());
            sys.await();
            // the sum was 1 + 1.5 (the write) when the three other adds came: 11.5, not 10
            assertTrue(sys.console().contains("fp_tx: sum after four adds is 92/8, expected 80/8"), sys.console());
        });
        // A soft-float task: the FPU is off, its registers unavailable.
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted("t_fp_tx.toml", true);
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    "echo",
                    sys.port,
                    elf("fp_server.elf").toString(),
                    "monitor scope fp_server",
                    "break fp_server.c:" + line,
                    "continue",
                    "print $fs0",
                    "print $fcsr",
                    "delete",
                    "detach")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(out, "hit Breakpoint 1, main ()", "$1 = <unavailable>", "$2 = <unavailable>");
            sys.await();
        });
    }

    @Test
    void aarch64FpSimdRegistersAreReadAndWritten() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted(SystemImage.builtin("aarch64/t_fp_tx.toml"), true);
            String out;
            try (Gdb g = gdb(
                    Mode.THREADS,
                    "echo",
                    sys.port,
                    elf("aarch64/fp_server.elf").toString(),
                    "monitor scope fp_server",
                    // after the first request's add (w0 = 1): d0 and d1 = 1.0 (the sum, and the
                    // request's word converted, in one or the other)
                    "break fp_server.c:" + lineOf("guest/tests/fp_server.c", "fault after the sum changed"),
                    "continue",
                    "print $d0.f",
                    "print $v0.d.f[0]",
                    "print $v1.d.f[0] == 1.0",
                    "print/x $v0.d.u[1]",
                    "info registers fpsr",
                    "set var $d0.f = 1.5",
                    "print $v0.d.f[0]",
                    "print/x $q0.u",
                    // d0 back as it was: it may hold the sum itself (the compiler's choice), which
                    // the client checks at the end
                    "set var $d0.f = 1.0",
                    "set var $v2.d.u[1] = 0x1234",
                    "print/x $v2.d.u[1]",
                    "set var $fpsr = 0x10",
                    "info registers fpsr",
                    "set var $fpsr = 0",
                    "delete",
                    "detach")) {
                out = g.finish();
                assertCleanEnd(g, out);
            }
            assertContains(
                    out,
                    "breakpoints and watchpoints apply to fp_server",
                    "hit Breakpoint 1, main ()",
                    "$1 = 1",
                    "$2 = 1",
                    "$3 = 1",
                    "$4 = 0x0",
                    "fpsr           0x0",
                    "$5 = 1.5",
                    "$6 = 0x3ff8000000000000",
                    "$7 = 0x1234",
                    "fpsr           0x10",
                    Mode.THREADS.detached());
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertTrue(sys.console().contains("fp_tx: all ok"), sys.console());
        });
    }

    @Test
    void cliRejectsBadGdbOptions() {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(Main.EXIT_USAGE, Main.run("boot", "--gdb-wait", "builtin:hello.elf"));
            assertEquals(Main.EXIT_USAGE, Main.run("boot", "--gdb", "notaport", "builtin:hello.elf"));
            assertEquals(Main.EXIT_USAGE, Main.run("boot", "--gdb", "70000", "builtin:hello.elf"));
            assertEquals(Main.EXIT_USAGE, Main.run("boot", "--gdb-reverse-window", "5", "builtin:hello.elf"));
            assertEquals(
                    Main.EXIT_USAGE, Main.run("boot", "--gdb", "0", "--gdb-reverse-window", "-1", "builtin:hello.elf"));
        } finally {
            System.setErr(oldErr);
        }
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("--gdb-wait needs --gdb"), e);
        assertTrue(e.contains("--gdb: expected [HOST:]PORT"), e);
        assertTrue(e.contains("--gdb-reverse-window needs --gdb"), e);
        assertTrue(e.contains("--gdb-reverse-window must be 0 (no limit) or a number of instructions: -1"), e);
        assertEquals("127.0.0.1", GdbBoot.parseAddress("1234").getAddress().getHostAddress());
        assertEquals(1234, GdbBoot.parseAddress(":1234").getPort());
        assertTrue(GdbBoot.parseAddress(":1234").getAddress().isLoopbackAddress());
        assertEquals(
                "0.0.0.0", GdbBoot.parseAddress("0.0.0.0:1234").getAddress().getHostAddress());
        assertTrue(GdbBoot.parseAddress("[::1]:1234").getAddress().isLoopbackAddress());
    }
}
