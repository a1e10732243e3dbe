package dev.rewind.kernel.debug;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Abi;
import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.Fixtures;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.TaskState;
import dev.rewind.kernel.debug.DebugTarget.StopEvent;
import dev.rewind.kernel.debug.DebugTarget.StopKind;
import dev.rewind.kernel.debug.DebugTarget.WatchKind;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The kernel side of the debugger, driven directly (no protocol): stops, hooks, steps, faults. */
class KernelDebuggerTest {
    Kernel kernel;
    KernelDebugger dbg;
    Thread runner;
    volatile SystemResult result;
    final ByteArrayOutputStream console = new ByteArrayOutputStream();
    final BlockingQueue<StopEvent> stops = new LinkedBlockingQueue<>();

    void boot(String image, boolean wait) throws Exception {
        boot(image, wait, 120_000_000_000L);
    }

    void boot(String image, boolean wait, long budgetNanos) throws Exception {
        SystemImage img = SystemImage.builtin(image);
        kernel = new Kernel(
                KernelConfig.defaults().withBudgetNanos(budgetNanos),
                img.manifest(),
                img.source(),
                new Uart(console),
                null);
        dbg = new KernelDebugger(kernel, wait);
        runner = new Thread(() -> result = kernel.run(), "kernel");
        runner.setDaemon(true);
        runner.start();
    }

    StopEvent nextStop() throws InterruptedException {
        StopEvent e = stops.poll(30, TimeUnit.SECONDS);
        assertNotNull(e, "no stop within 30 s");
        assertTrue(dbg.halted());
        return e;
    }

    void awaitHalted() throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!dbg.halted()) {
            assertTrue(System.nanoTime() < deadline, "not halted within 30 s");
            Thread.sleep(5);
        }
    }

    SystemResult finish() throws InterruptedException {
        runner.join(60_000);
        assertFalse(runner.isAlive(), "the kernel did not finish");
        return result;
    }

    @AfterEach
    void tearDown() throws Exception {
        if (runner != null && runner.isAlive()) {
            dbg.kill();
            runner.join(30_000);
        }
        if (kernel != null && (runner == null || !runner.isAlive())) {
            kernel.close(); // never under a running kernel thread: closing its engine would crash the JVM
        }
    }

    @Test
    void waitsBeforeTheFirstInstructionThenBreaksWithoutPatchingMemory() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            boot("t_restart.toml", true);
            dbg.attach(stops::add);
            awaitHalted();
            stops.clear(); // the initial stop, if it came after attach
            StopEvent first = dbg.currentStop();
            assertNotNull(first);
            assertEquals(StopKind.ATTACHED, first.kind());
            assertEquals(1, first.thread());
            Task kv = kernel.task("kv");
            assertEquals(kv.image().entry(), dbg.readRegister(1, DebugTarget.PC));
            assertEquals(Abi.STACK_TOP, dbg.readRegister(1, 2));
            assertEquals(2, dbg.threads().size());

            long store = Fixtures.symbol(kv, "store");
            byte[] before = new byte[16];
            assertEquals(16, dbg.readMemory(1, store, before));
            assertTrue(dbg.insertBreakpoint(store));
            dbg.resume();
            StopEvent bp = nextStop();
            assertEquals(StopKind.BREAKPOINT, bp.kind());
            assertEquals(1, bp.thread());
            assertEquals(store, dbg.readRegister(1, DebugTarget.PC));
            byte[] now = new byte[16];
            dbg.readMemory(1, store, now);
            assertArrayEquals(before, now, "guest code must not be patched");

            // a single step executes exactly one instruction
            int len = (now[0] & 3) == 3 ? 4 : 2;
            assertTrue(dbg.removeBreakpoint(store));
            dbg.step(1);
            StopEvent st = nextStop();
            assertEquals(StopKind.STEPPED, st.kind());
            assertEquals(store + len, dbg.readRegister(1, DebugTarget.PC));

            // reads of unmapped memory fail, partial reads stop at the hole
            assertEquals(0, dbg.readMemory(1, 0x1000, new byte[8]));
            assertEquals(0, dbg.readMemory(1, 0x7fff_0ff8L + 8, new byte[8]));
            assertEquals(8, dbg.readMemory(1, 0x7fff_0ff8L, new byte[64]));
            assertThrows(IllegalArgumentException.class, () -> dbg.readRegisters(99));

            dbg.detach();
            SystemResult r = finish();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
        });
    }

    /**
     * A debugger that leaves without resuming (its connection dropped during the handshake)
     * keeps a system held before its first instruction held, as it was, for the next one, with
     * its breakpoints forgotten; a system it halted while running is not kept (leaveHeld is
     * false and changes nothing: the caller detaches).
     */
    @Test
    void leaveHeldKeepsOnlyTheHoldBeforeTheFirstInstruction() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            boot("hello.elf", true);
            dbg.attach(stops::add);
            awaitHalted();
            long entry = dbg.readRegister(1, DebugTarget.PC);
            long main = Fixtures.symbol(kernel.task("hello"), "main");
            assertTrue(dbg.insertBreakpoint(main));
            assertTrue(dbg.leaveHeld(), "held before the first instruction: kept");
            Thread.sleep(300);
            assertTrue(dbg.halted(), "still held");
            assertEquals("", console.toString(StandardCharsets.UTF_8), "no instruction ran");
            // the next debugger finds the system as it was, without the first one's breakpoint
            stops.clear();
            dbg.attach(stops::add);
            assertEquals(StopKind.ATTACHED, dbg.currentStop().kind());
            assertEquals(entry, dbg.readRegister(1, DebugTarget.PC));
            dbg.resume();
            assertFalse(dbg.leaveHeld(), "resumed: the hold is over");
            SystemResult r = finish();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertTrue(stops.isEmpty(), "no stop at the forgotten breakpoint: " + stops);
            assertTrue(console.toString(StandardCharsets.UTF_8).contains("hello from rewind"));
        });
    }

    @Test
    void leaveHeldDoesNotKeepASystemHaltedWhileItRan() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            boot("spinner.elf", false);
            Thread.sleep(200);
            dbg.attach(stops::add);
            nextStop();
            assertFalse(dbg.leaveHeld(), "the system ran before: not held for the next debugger");
            assertTrue(dbg.halted(), "leaveHeld changed nothing");
            dbg.detach();
            Thread.sleep(200);
            assertFalse(dbg.halted(), "detached: runs on");
        });
    }

    @Test
    void aWatchedTaskEndingHaltsTheSystemAndTheFinalStateStaysReadableAfterTheRun() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            boot("t_restart.toml", true);
            dbg.attach(stops::add);
            awaitHalted();
            stops.clear();
            dbg.reportTaskEnds(java.util.Set.of(2)); // restart_client's end, not kv's
            assertEquals(null, dbg.endOf(2));
            StopEvent e;
            do {
                dbg.resume(); // kv's deliberate fault goes to its recovery
                e = nextStop();
            } while (e.kind() == StopKind.FAULTED);
            assertEquals(StopKind.EXITED, e.kind(), e.toString());
            assertEquals(2, e.thread());
            assertEquals(0, e.signal(), "its exit status");
            assertEquals(e, dbg.endOf(2));
            assertEquals("exited", dbg.threads().get(1).state());
            long kvPc = dbg.readRegister(1, DebugTarget.PC);
            dbg.resume(); // kv is not watched, and a task is reported once: the run ends without a stop
            SystemResult r = finish();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertTrue(stops.isEmpty(), stops.toString());
            assertFalse(dbg.over());
            dbg.systemEnded();
            assertTrue(dbg.over() && dbg.halted());
            assertEquals(2, dbg.threads().size());
            assertEquals(kvPc, dbg.readRegister(1, DebugTarget.PC), "kv as the run left it");
        });
    }

    /**
     * Under {@code verify = "dual"} a server's work between a plain REPLY and its next receive
     * runs once, in the request's run again after it agreed at the reply: a breakpoint there stops
     * once per request, a step over the REPLY's system call stops at the instruction after it, in
     * the same thread, and the lines that work prints are printed. Before, that work was hidden
     * as the run again is (no stop at the breakpoint, the step never ended) and its lines were
     * lost (helper Y's gdb probe, session 52).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"t_dualtail.toml", "aarch64/t_dualtail.toml"})
    void theWorkAfterAPlainReplyUnderDualVerificationIsSeenOnceAndPrinted(String image) {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            boot(image, true);
            dbg.attach(stops::add);
            awaitHalted();
            stops.clear();
            int server = threadOf("dualtail");
            dbg.setScope(java.util.List.of("dualtail"));
            Task srv = kernel.task("dualtail");
            boolean rv = dbg.arch() == dev.rewind.hw.cpu.Arch.RISCV64;
            dev.rewind.hw.elf.ElfImage.Symbol main = srv.image().symbols().stream()
                    .filter(x -> x.name().equals("main"))
                    .findFirst()
                    .orElseThrow();
            int calls = 0;
            byte[] w = new byte[4];
            for (long a = main.address(); a + 4 <= main.address() + main.size(); a += rv ? 2 : 4) {
                assertEquals(4, dbg.readMemory(server, a, w));
                int insn = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN).getInt();
                if (insn == (rv ? 0x00000073 : 0xd4000001)) {
                    assertTrue(dbg.insertBreakpoint(a));
                    calls++;
                }
            }
            assertTrue(calls >= 2, "main makes its receives and replies itself");
            long tail = Fixtures.symbol(srv, "tail_note");
            assertTrue(dbg.insertBreakpoint(tail));
            int numberReg = rv ? 17 : 8;
            int replies = 0;
            int tails = 0;
            while (tails < 6) { // (the sixth: TAILS's; the client then ends the run)
                dbg.resume();
                StopEvent e = nextStop();
                assertEquals(StopKind.BREAKPOINT, e.kind(), e.toString());
                assertEquals(server, e.thread(), e.toString());
                long pc = dbg.readRegister(server, DebugTarget.PC);
                boolean reply = pc != tail && (dbg.readRegister(server, numberReg) & 0xffff) == Abi.SYS_REPLY;
                assertTrue(dbg.removeBreakpoint(pc));
                if (pc == tail) {
                    tails++;
                } else if (reply) {
                    replies++;
                } else {
                    continue; // (a receive or another call: not stopped at again)
                }
                // as gdb goes on from a breakpoint: a step with the breakpoint out, then back in
                dbg.step(server);
                StopEvent st = nextStop();
                assertEquals(StopKind.STEPPED, st.kind(), st.toString());
                assertEquals(server, st.thread());
                if (reply) {
                    assertEquals(pc + 4, dbg.readRegister(server, DebugTarget.PC), "the instruction after the REPLY");
                    assertEquals(0, dbg.readRegister(server, rv ? 10 : 0), "the REPLY's status: OK");
                }
                assertTrue(dbg.insertBreakpoint(pc));
            }
            assertEquals(6, replies, "five ADDs and a TAILS, each reply stopped at once");
            dbg.detach();
            SystemResult r = finish();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            String out = console.toString(StandardCharsets.UTF_8);
            assertTrue(out.contains("dualtail_client: ok"), out); // (its TAILS: 5, each tail run once)
            for (int i = 1; i <= 6; i++) {
                String line = "dualtail: tail " + i + " ";
                assertEquals(out.indexOf(line), out.lastIndexOf(line), out);
                assertTrue(out.contains(line), out);
            }
        });
    }

    int threadOf(String name) {
        return dbg.threads().stream()
                .filter(t -> t.name().equals(name))
                .findFirst()
                .orElseThrow()
                .id();
    }

    @Test
    void aCallerOfAFrozenServerWaitsWithoutDeadlockAndStoppedTimeIsNotBudget() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            boot("t_ipc.toml", true, 2_000_000_000L);
            dbg.attach(stops::add);
            awaitHalted();
            stops.clear();
            Thread.sleep(2500); // stopped for longer than the whole budget
            // the client alone: its first call to the frozen ipc_echo waits
            dbg.resume(java.util.Map.of(2, DebugTarget.Action.CONTINUE), DebugTarget.Action.STOP, true);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!kernel.task("ipc_client").state().blocked()) {
                assertTrue(System.nanoTime() < deadline, "the client never called the server");
                Thread.sleep(5);
            }
            Thread.sleep(300);
            assertTrue(runner.isAlive(), "the kernel ended: " + result);
            assertFalse(dbg.halted());
            assertTrue(stops.isEmpty(), stops.toString());
            assertEquals(TaskState.READY, kernel.task("ipc_echo").state(), "frozen, the server never ran its receive");
            dbg.interrupt();
            StopEvent i = nextStop();
            assertEquals(StopKind.INTERRUPTED, i.kind());
            assertEquals(2, i.thread(), "reported on the task that was let run");
            // a step of the blocked client alone waits too; then everything runs to the end
            dbg.resume(java.util.Map.of(2, DebugTarget.Action.STEP), DebugTarget.Action.STOP, true);
            Thread.sleep(200);
            assertTrue(runner.isAlive() && !dbg.halted());
            dbg.interrupt();
            assertEquals(StopKind.INTERRUPTED, nextStop().kind());
            dbg.resume();
            SystemResult r = finish();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertTrue(console.toString(StandardCharsets.UTF_8).contains("ipc: all ok"));
        });
    }

    @Test
    void interruptHaltsARunawayLoopAndABreakpointInTheLoopHitsAtOnce() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            boot("spinner.elf", false);
            Thread.sleep(200);
            dbg.attach(stops::add);
            StopEvent a = nextStop();
            assertEquals(StopKind.ATTACHED, a.kind());
            dbg.resume();
            Thread.sleep(100);
            dbg.interrupt();
            StopEvent i = nextStop();
            assertEquals(StopKind.INTERRUPTED, i.kind());
            assertEquals(DebugTarget.SIGINT, i.signal());
            // the spinner's loop: mul at main+0x22, c.add at +0x26, c.j back at +0x28
            long main = Fixtures.symbol(kernel.task("spinner"), "main");
            for (long next : new long[] {main + 0x26, main + 0x28, main + 0x22, main + 0x26, main + 0x22}) {
                dbg.insertBreakpoint(next);
                long t0 = System.nanoTime();
                dbg.resume();
                StopEvent bp = nextStop();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(StopKind.BREAKPOINT, bp.kind());
                assertEquals(next, dbg.readRegister(1, DebugTarget.PC), bp.description());
                assertTrue(ms < 500, "breakpoint took " + ms + " ms");
                dbg.removeBreakpoint(next);
            }
            // single steps go round the loop
            long[] expect = {main + 0x26, main + 0x28, main + 0x22, main + 0x26};
            for (long e : expect) {
                dbg.step(1);
                assertEquals(StopKind.STEPPED, nextStop().kind());
                assertEquals(e, dbg.readRegister(1, DebugTarget.PC));
            }
            dbg.kill();
            finish();
            assertTrue(dbg.killed());
        });
    }

    @Test
    void writeWatchpointStopsBeforeTheStoreAndTheStoreHappensOnResume() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            boot("t_restart.toml", true);
            dbg.attach(stops::add);
            awaitHalted();
            stops.clear(); // the initial stop, if it came after attach
            Task kv = kernel.task("kv");
            long nkeys = Fixtures.symbol(kv, "nkeys");
            // the client has other data at the same address: watch only kv
            assertThrows(IllegalArgumentException.class, () -> dbg.setScope(java.util.List.of("nosuchtask")));
            dbg.setScope(java.util.List.of("kv"));
            assertEquals(java.util.List.of("kv"), dbg.scope());
            // a range that wraps past the top of the address space is refused (it once passed a signed check)
            assertFalse(dbg.insertWatchpoint(WatchKind.WRITE, 0xfffffffffffffff0L, 0x100));
            assertFalse(dbg.insertWatchpoint(WatchKind.ACCESS, -1L, 2));
            assertTrue(dbg.insertWatchpoint(WatchKind.WRITE, nkeys, 8));
            dbg.resume();
            StopEvent w = nextStop();
            assertEquals(1, w.thread());
            while (kv.image().describe(dbg.readRegister(1, DebugTarget.PC)).startsWith("_start")) {
                // crt0 clears .bss first: step over that store as gdb does, and go on
                dbg.removeWatchpoint(WatchKind.WRITE, nkeys, 8);
                dbg.step(1);
                assertEquals(StopKind.STEPPED, nextStop().kind());
                dbg.insertWatchpoint(WatchKind.WRITE, nkeys, 8);
                dbg.resume();
                w = nextStop();
            }
            assertEquals(StopKind.WATCHPOINT, w.kind());
            assertEquals(WatchKind.WRITE, w.watchKind());
            assertEquals(nkeys, w.watchAddress());
            assertEquals(0, readLong(1, nkeys), "reported before the store");
            long pc = dbg.readRegister(1, DebugTarget.PC);
            assertTrue(
                    kv.image().describe(pc).startsWith("store"),
                    kv.image().describe(pc) + " " + w + " nkeys " + Long.toHexString(nkeys));
            dbg.removeWatchpoint(WatchKind.WRITE, nkeys, 8);
            dbg.step(1);
            nextStop();
            assertEquals(1, readLong(1, nkeys), "the store ran once");
            dbg.detach();
            assertEquals(SystemResult.Outcome.OK, finish().outcome());
        });
    }

    long readLong(int thread, long addr) {
        byte[] b = new byte[8];
        assertEquals(8, dbg.readMemory(thread, addr, b));
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void aFaultIsReportedAtTheFaultingInstructionBeforeRecovery() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            // (waiting for the debugger: attached to a running system, the kernel could reach the
            // fault before the attach, on a loaded host, and recover from it unseen)
            boot("t_restart.toml", true);
            dbg.attach(stops::add);
            // (The kernel may halt to wait before the attach, and then tells no one: a stop is
            // reported only for a halt the attach asks for. So: the state, not the event.)
            awaitHalted();
            stops.clear(); // the initial stop, if it came after attach
            StopEvent a = dbg.currentStop();
            assertNotNull(a);
            assertEquals(StopKind.ATTACHED, a.kind());
            dbg.resume();
            StopEvent f = nextStop();
            assertEquals(StopKind.FAULTED, f.kind());
            assertEquals(DebugTarget.SIGILL, f.signal());
            assertEquals(1, f.thread());
            Task kv = kernel.task("kv");
            long pc = dbg.readRegister(1, DebugTarget.PC);
            assertTrue(
                    kv.image().describe(pc).startsWith("debug_fault"),
                    kv.image().describe(pc));
            assertEquals("faulted", dbg.threads().get(0).state());
            assertEquals(1, dbg.threads().get(0).generation());
            dbg.resume();
            SystemResult r = finish();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertEquals(2, r.task("kv").id().generation(), "recovery ran after the stop");
            assertTrue(console.toString(StandardCharsets.UTF_8).contains("restart_client: ok"));
        });
    }

    @Test
    void withoutADebuggerNothingStops() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            boot("t_restart.toml", false);
            SystemResult r = finish();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary());
            assertTrue(stops.isEmpty());
            assertThrows(IllegalStateException.class, () -> dbg.threads());
        });
    }

    @Test
    void signalsForFaultKinds() {
        assertEquals(DebugTarget.SIGSEGV, KernelDebugger.signalOf(FaultKind.UNMAPPED_WRITE));
        assertEquals(DebugTarget.SIGILL, KernelDebugger.signalOf(FaultKind.ILLEGAL_INSTRUCTION));
        assertEquals(DebugTarget.SIGABRT, KernelDebugger.signalOf(FaultKind.ABORT));
        assertEquals(DebugTarget.SIGBUS, KernelDebugger.signalOf(FaultKind.MISALIGNED_ACCESS));
        assertEquals(DebugTarget.SIGTRAP, KernelDebugger.signalOf(FaultKind.BREAKPOINT));
        assertEquals(DebugTarget.SIGXCPU, KernelDebugger.signalOf(FaultKind.RUNAWAY));
    }
}
