package dev.rewind.tools.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stub as users meet it: Debian's gdb-multiarch in batch mode against a booted system
 * (in-process kernel, started through {@link GdbBoot} as {@code rewind boot --gdb} does).
 * Skipped when gdb-multiarch is not installed.
 */
class GdbIntegrationTest {
    static String gdb;

    @TempDir
    Path tmp;

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

        /** A system booted with the stub on a kernel thread. */
        static final class Booted {
            final ByteArrayOutputStream console = new ByteArrayOutputStream();
            final CompletableFuture<SystemResult> result = new CompletableFuture<>();
            final int port;

            Booted(String image, boolean wait) throws Exception {
                SystemImage img = SystemImage.builtin(image);
                Kernel kernel = new Kernel(KernelConfig.defaults().withBudgetNanos(170_000_000_000L), img.manifest(), img.source(),
                        new Uart(console), null);
                PipedInputStream errIn = new PipedInputStream(1 << 16);
                PrintStream err = new PrintStream(new PipedOutputStream(errIn), true, StandardCharsets.UTF_8);
                Thread t = new Thread(() -> {
                    try (kernel) {
                        result.complete(GdbBoot.run(kernel, "127.0.0.1:0", wait, err));
                    } catch (Throwable e) {
                        result.completeExceptionally(e);
                    } finally {
                        err.close();
                    }
                }, "kernel");
                t.setDaemon(true);
                t.start();
                // "rewind: gdb stub listening on 127.0.0.1:PORT ..."
                StringBuilder sb = new StringBuilder();
                Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher("");
                int c;
                while ((c = errIn.read()) >= 0) {
                    sb.append((char) c);
                    if (c == '\n' && m.reset(sb).find()) {
                        break;
                    }
                }
                assertTrue(m.reset(sb).find(), sb.toString());
                port = Integer.parseInt(m.group(1));
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
                return console.toString(StandardCharsets.UTF_8);
            }
        }

        /** A built-in ELF copied to a file gdb can load. */
        Path elf(String name) throws IOException {
            Path p = tmp.resolve(name);
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("rewind/image/" + name)) {
                assertTrue(in != null, name);
                Files.copy(in, p);
            }
            return p;
        }

        /** A running gdb-multiarch whose output is collected as it comes. */
        static final class Gdb implements AutoCloseable {
            final Process process;
            final StringBuffer out = new StringBuffer();

            Gdb(Path script) throws IOException {
                process = new ProcessBuilder(gdb, "-batch", "-nx", "-x", script.toString()).redirectErrorStream(true).start();
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
                new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor(10, TimeUnit.SECONDS);
            }

            /** Never leave a gdb behind, whatever the test's outcome. */
            @Override
            public void close() {
                if (process.isAlive()) {
                    process.destroyForcibly();
                }
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
            List<String> lines = new ArrayList<>(List.of("set pagination off", "set confirm off", "set width 0", "set remotetimeout 30",
                    "set architecture riscv:rv64", "file " + symbols, "target remote 127.0.0.1:" + port));
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

        @Test
        void breakStepPrintWatchThreadsAndDetachOnTheKvServer() {
            assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
                Booted sys = new Booted("demo.toml", true);
                Path kv = elf("kv_server.elf");
                String out;
                try (Gdb g = gdb(sys.port, kv.toString(),
                        "info threads",
                        "monitor scope kv",
                        "break store",
                        "continue",
                        "print klen",
                        "print key",
                        "print $pc == (long) &store",
                        "print/x $sp",
                        "next",
                        "print val != 0",
                        "stepi",
                        "watch nkeys",
                        "continue",
                        "delete",
                        "info threads",
                        "thread 2",
                        "print $pc == 0",
                        "thread 1",
                        "monitor tasks",
                    "detach")) {
                out = g.finish();
            }
            assertContains(out,
                    "Thread 1 (kv gen 1, ready)",
                    "Thread 4 (kv_demo gen 1, ready)",
                    "breakpoints and watchpoints apply to kv",
                    "Breakpoint 1 at 0x",
                    "Thread 1 hit Breakpoint 1, store (",
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
                    "[Switching to thread 2 (Thread 2)]",
                    "$6 = 0",
                    "kv_server.elf",
                    "[Inferior 1 (Remote target) detached]");
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertTrue(sys.console().contains("kv_demo: ok"), sys.console());
        });
    }

    @Test
    void gdbLandsOnAServerFaultAndContinuingLetsTheRestartRun() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted("t_restart.toml", true);
            String out;
            try (Gdb g = gdb(sys.port, elf("kv_server.elf").toString(),
                    "continue",
                    "bt",
                    "print kind",
                    "x/i $pc",
                    "info threads",
                    "continue")) {
                out = g.finish();
            }
            assertContains(out,
                    "rewind: task kv#0.1 faulted: illegal instruction",
                    "Thread 1 received signal SIGILL, Illegal instruction.",
                    "in debug_fault (kind=",
                    "do_debug_fault",
                    "$1 = 1",
                    "unimp",
                    "(kv gen 1, faulted)",
                    "(restart_client gen 1, awaiting_reply)",
                    "[Inferior 1 (Remote target) exited normally]");
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertEquals(2, r.task("kv").id().generation(), "recovery ran after gdb continued");
            assertTrue(sys.console().contains("restart_client: ok"), sys.console());
        });
    }

    @Test
    void aNullPointerWriteStopsAsSigsegvAtTheStore() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted("t_fault_null.elf", true);
            String out;
            try (Gdb g = gdb(sys.port, elf("t_fault_null.elf").toString(),
                    "continue",
                    "x/i $pc",
                    "continue")) {
                out = g.finish();
            }
            assertContains(out,
                    "received signal SIGSEGV, Segmentation fault.",
                    "main () at tests/fault.c",
                    "=> 0x",
                    "sw\t",
                    "[Inferior 1 (Remote target) exited with code 01]");
            SystemResult r = sys.await();
            assertEquals(SystemResult.Outcome.TASK_FAILED, r.outcome(), r.summary());
        });
    }

    @Test
    void ctrlCInterruptsARunningGuestAndKillEndsTheRun() {
        assertTimeoutPreemptively(Duration.ofSeconds(180), () -> {
            Booted sys = new Booted("spinner.elf", false);
            String out;
            try (Gdb g = gdb(sys.port, elf("spinner.elf").toString(),
                    "set debug remote 1",
                    "continue",
                    "set debug remote 0",
                    "info threads",
                    "print x != 0",
                    "kill")) {
                g.awaitOutput("Sending packet: $vCont;c#"); // gdb waits for the guest: now press Ctrl-C
                Thread.sleep(200);
                g.interrupt();
                out = g.finish();
            }
            assertContains(out,
                    "received signal SIGINT, Interrupt.",
                    "main () at tests/spinner.c",
                    "(spinner gen 1, ready)",
                    "$1 = 1",
                    "[Inferior 1 (Remote target) killed]");
            SystemResult r = sys.await();
            assertEquals("killed by the debugger", r.summary());
            assertEquals(1, r.outcome().exitStatus());
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
        } finally {
            System.setErr(oldErr);
        }
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("--gdb-wait needs --gdb"), e);
        assertTrue(e.contains("--gdb: expected [HOST:]PORT"), e);
        assertEquals("127.0.0.1", GdbBoot.parseAddress("1234").getAddress().getHostAddress());
        assertEquals(1234, GdbBoot.parseAddress(":1234").getPort());
        assertTrue(GdbBoot.parseAddress(":1234").getAddress().isLoopbackAddress());
        assertEquals("0.0.0.0", GdbBoot.parseAddress("0.0.0.0:1234").getAddress().getHostAddress());
        assertTrue(GdbBoot.parseAddress("[::1]:1234").getAddress().isLoopbackAddress());
    }
}
