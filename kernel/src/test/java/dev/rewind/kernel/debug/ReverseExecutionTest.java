package dev.rewind.kernel.debug;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.Fixtures;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.debug.DebugTarget.Action;
import dev.rewind.kernel.debug.DebugTarget.StopEvent;
import dev.rewind.kernel.debug.DebugTarget.StopKind;
import dev.rewind.kernel.debug.DebugTarget.WatchKind;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reverse execution in the kernel ({@link ReverseExecution} behind {@link KernelDebugger}),
 * driven directly on {@code revtest.elf} (guest/tests/revtest.c): replayed states equal the
 * recorded ones, across system calls, and forward again ends byte-identical to the present.
 */
class ReverseExecutionTest {
    Kernel kernel;
    KernelDebugger dbg;
    Thread runner;
    final ByteArrayOutputStream console = new ByteArrayOutputStream();
    final BlockingQueue<StopEvent> stops = new LinkedBlockingQueue<>();
    private Task task;

    void boot(String image, boolean wait) throws Exception {
        boot(image, wait, KernelConfig.defaults().quantumMs());
    }

    void boot(String image, boolean wait, int quantumMs) throws Exception {
        SystemImage img = SystemImage.builtin(image);
        kernel = new Kernel(
                KernelConfig.defaults().withBudgetNanos(120_000_000_000L).withQuantumMs(quantumMs),
                img.manifest(),
                img.source(),
                new Uart(console),
                null);
        dbg = new KernelDebugger(kernel, wait);
        runner = new Thread(kernel::run, "kernel");
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

    void finish() throws InterruptedException {
        runner.join(60_000);
        assertFalse(runner.isAlive(), "the kernel did not finish");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (runner != null && runner.isAlive()) {
            dbg.kill();
            runner.join(30_000);
        }
        if (kernel != null && (runner == null || !runner.isAlive())) {
            kernel.close();
        }
    }

    /** Boot revtest, run it (by name, so that it is recorded) to {@code finished}. */
    private void runToFinished() throws Exception {
        boot("revtest.elf", true);
        dbg.attach(stops::add);
        awaitHalted();
        stops.clear();
        task = kernel.tasks().get(0);
        long finished = Fixtures.symbol(task, "finished");
        assertTrue(dbg.insertBreakpoint(finished));
        dbg.resume(Map.of(1, Action.CONTINUE), Action.CONTINUE, true);
        StopEvent bp = nextStop();
        assertEquals(StopKind.BREAKPOINT, bp.kind());
        assertEquals(finished, dbg.readRegister(1, DebugTarget.PC));
        assertTrue(dbg.removeBreakpoint(finished));
    }

    private byte[] data() {
        long counter = Fixtures.symbol(task, "counter");
        long table = Fixtures.symbol(task, "table");
        byte[] a = new byte[8];
        byte[] b = new byte[32];
        assertEquals(8, dbg.readMemory(1, counter, a));
        assertEquals(32, dbg.readMemory(1, table, b));
        return ByteBuffer.allocate(40).put(a).put(b).array();
    }

    private long counter() {
        byte[] a = new byte[8];
        dbg.readMemory(1, Fixtures.symbol(task, "counter"), a);
        return ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private StopEvent back(boolean step) throws InterruptedException {
        dbg.reverse(1, step);
        return nextStop();
    }

    @Test
    void aWindowOfNInstructionsAllowsExactlyNStepsBackAcrossSystemCallsAndForwardAgain() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            runToFinished();
            assertThrows(IllegalArgumentException.class, () -> dbg.setReverseWindow(-1));
            dbg.setReverseWindow(500); // more than the last printf: the window spans system calls
            assertEquals(500, dbg.reverseWindow());
            long[] present = dbg.readRegisters(1);
            byte[] presentData = data();
            int n = 0;
            long[] first = null;
            while (true) {
                StopEvent e = back(true);
                if (e.kind() == StopKind.HISTORY_BEGIN) {
                    break;
                }
                assertEquals(StopKind.STEPPED, e.kind());
                n++;
                assertTrue(n <= 500, "more than the window");
            }
            assertEquals(500, n, "exactly the window");
            long[] start = dbg.readRegisters(1);
            byte[] startData = data();
            assertEquals(StopKind.HISTORY_BEGIN, back(true).kind(), "no further");
            assertArrayEquals(start, dbg.readRegisters(1), "the refused step did not move");
            // a reverse continue stops at the window's start too; forward again comes back
            dbg.step(1);
            nextStop();
            assertEquals(StopKind.HISTORY_BEGIN, back(false).kind());
            assertArrayEquals(start, dbg.readRegisters(1));
            assertArrayEquals(startData, data());
            for (int i = 0; i < 500; i++) {
                dbg.step(1);
                assertEquals(StopKind.STEPPED, nextStop().kind());
            }
            assertArrayEquals(present, dbg.readRegisters(1));
            assertArrayEquals(presentData, data());
            dbg.resume();
            finish();
            assertTrue(console.toString().contains("revtest: done 15"), console.toString());
        });
    }

    /**
     * The first reverse step replays only the last stretch of the history, not every one: a
     * task that computed for a second and a half in 1 ms slices has some 1500 checkpoints, and
     * measuring them all (each replayed under a per-instruction hook) took minutes.
     */
    @Test
    void theFirstStepBackAfterALongComputationReplaysOnlyTheLastStretch() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            boot("spinner.elf", true, 1);
            dbg.attach(stops::add);
            awaitHalted();
            stops.clear();
            dbg.resume(Map.of(1, Action.CONTINUE), Action.CONTINUE, true); // named: recorded
            Thread.sleep(1500);
            dbg.interrupt();
            assertEquals(StopKind.INTERRUPTED, nextStop().kind());
            long[] present = dbg.readRegisters(1);
            assertEquals(StopKind.STEPPED, back(true).kind());
            int[] segs = dbg.reverseSegments(1);
            // checkpoints (one per slice at least: dozens to hundreds, as the host allows), and
            // the step back measured only the stretch it moved into, not the whole history
            assertTrue(segs[0] > 4, "checkpoints: " + segs[0]);
            assertTrue(segs[1] <= 2, "stretches replayed by the first step back: " + segs[1] + " of " + segs[0]);
            assertFalse(java.util.Arrays.equals(present, dbg.readRegisters(1)), "it moved");
            assertEquals(StopKind.STEPPED, back(true).kind());
            dbg.step(1);
            assertEquals(StopKind.STEPPED, nextStop().kind());
            dbg.step(1);
            assertEquals(StopKind.STEPPED, nextStop().kind());
            assertArrayEquals(present, dbg.readRegisters(1), "forward again to the present");
        });
    }

    @Test
    void stepsBackAcrossSystemCallsAndForwardAgainThroughTheSameStates() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            runToFinished();
            long[] present = dbg.readRegisters(1);
            byte[] presentData = data();
            List<long[]> regs = new ArrayList<>();
            List<byte[]> mem = new ArrayList<>();
            regs.add(present);
            mem.add(presentData);
            // back to before bump(5) stored counter: across the last printf and its write system call
            int n = 0;
            boolean syscall = false;
            for (int i = 0; counter() != 10; i++) {
                assertTrue(i < 20_000, "never got back to bump(5)");
                n = i + 1;
                StopEvent e = back(true);
                assertEquals(StopKind.STEPPED, e.kind(), "step back " + i);
                regs.add(dbg.readRegisters(1));
                mem.add(data());
                assertTrue(!java.util.Arrays.equals(regs.get(i), regs.get(i + 1)), "each step back changes the state");
                byte[] insn = new byte[4];
                dbg.readMemory(1, regs.get(i + 1)[DebugTarget.PC], insn);
                syscall |= ByteBuffer.wrap(insn).order(ByteOrder.LITTLE_ENDIAN).getInt() == 0x00000073; // ecall
            }
            assertTrue(syscall, "the steps back went over an ecall");
            assertTrue(n > 10, "n = " + n);
            for (int i = n - 1; i >= 0; i--) {
                dbg.step(1);
                StopEvent e = nextStop();
                assertEquals(StopKind.STEPPED, e.kind());
                assertArrayEquals(regs.get(i), dbg.readRegisters(1), "registers after forward step to " + i);
                assertArrayEquals(mem.get(i), data(), "memory after forward step to " + i);
            }
            assertArrayEquals(present, dbg.readRegisters(1));
            assertArrayEquals(presentData, data());
            dbg.resume();
            finish();
            assertTrue(console.toString().contains("revtest: done 15"), console.toString());
        });
    }

    @Test
    void continuesBackToTheLastWriteOfAWatchedGlobalThenToTheStartOfHistory() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            runToFinished();
            long counter = Fixtures.symbol(task, "counter");
            assertEquals(15, counter());
            assertTrue(dbg.insertWatchpoint(WatchKind.WRITE, counter, 8));
            StopEvent w = back(false);
            assertEquals(StopKind.WATCHPOINT, w.kind());
            assertEquals(counter, w.watchAddress());
            assertEquals(15, counter(), "stopped after the store: gdb steps back over it");
            assertEquals(StopKind.STEPPED, back(true).kind());
            assertEquals(10, counter());
            // the write before that one: bump(4), 6 -> 10
            assertEquals(StopKind.WATCHPOINT, back(false).kind());
            assertEquals(10, counter());
            assertEquals(StopKind.STEPPED, back(true).kind());
            assertEquals(6, counter());
            long store4 = dbg.readRegister(1, DebugTarget.PC);
            // forward through the history: the watchpoint stops before each store, as live
            dbg.resume(Map.of(1, Action.CONTINUE), Action.CONTINUE, true);
            assertEquals(StopKind.WATCHPOINT, nextStop().kind());
            assertEquals(store4, dbg.readRegister(1, DebugTarget.PC));
            assertEquals(6, counter());
            dbg.step(1);
            assertEquals(StopKind.STEPPED, nextStop().kind());
            assertEquals(10, counter());
            dbg.resume(Map.of(1, Action.CONTINUE), Action.CONTINUE, true);
            StopEvent w5 = nextStop();
            assertEquals(StopKind.WATCHPOINT, w5.kind());
            assertEquals(counter, w5.watchAddress());
            assertEquals(store4, dbg.readRegister(1, DebugTarget.PC), "the same store in bump(5)");
            assertEquals(10, counter());
            dbg.step(1);
            assertEquals(StopKind.STEPPED, nextStop().kind());
            assertEquals(15, counter());
            assertTrue(dbg.removeWatchpoint(WatchKind.WRITE, counter, 8));
            StopEvent begin = back(false);
            assertEquals(StopKind.HISTORY_BEGIN, begin.kind());
            long pc = dbg.readRegister(1, DebugTarget.PC);
            assertEquals(task.image().entry(), pc, "the history starts where the debugger first resumed the task");
            assertEquals(StopKind.HISTORY_BEGIN, back(true).kind());
            assertEquals(pc, dbg.readRegister(1, DebugTarget.PC));
            dbg.resume();
            finish();
            assertTrue(console.toString().contains("revtest: done 15"), console.toString());
        });
    }

    @Test
    void aTaskResumedWithoutBeingNamedHasNoHistory() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            boot("revtest.elf", true);
            dbg.attach(stops::add);
            awaitHalted();
            stops.clear();
            task = kernel.tasks().get(0);
            assertTrue(dbg.insertBreakpoint(Fixtures.symbol(task, "finished")));
            dbg.resume(); // every task, none by name
            assertEquals(StopKind.BREAKPOINT, nextStop().kind());
            long pc = dbg.readRegister(1, DebugTarget.PC);
            assertEquals(StopKind.HISTORY_BEGIN, back(true).kind());
            assertEquals(pc, dbg.readRegister(1, DebugTarget.PC));
        });
    }

    @Test
    void aServerInScopeGoesBackBeforeItsRequestArrivedAndForwardToTheSameState() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            boot("t_restart.toml", true);
            dbg.attach(stops::add);
            awaitHalted();
            stops.clear();
            task = kernel.task("kv");
            int kv = task.index() + 1;
            dbg.setScope(List.of("kv")); // recorded although gdb resumes every task, none by name
            long store = Fixtures.symbol(task, "store");
            assertTrue(dbg.insertBreakpoint(store));
            dbg.resume();
            StopEvent bp = nextStop();
            assertEquals(StopKind.BREAKPOINT, bp.kind());
            assertEquals(kv, bp.thread());
            long[] present = dbg.readRegisters(kv);
            // back over the request's receive and the server's start, to its first instruction
            dbg.reverse(kv, false);
            StopEvent begin = nextStop();
            assertEquals(StopKind.HISTORY_BEGIN, begin.kind());
            assertEquals(task.image().entry(), dbg.readRegister(kv, DebugTarget.PC));
            // forward through the history (the client stays frozen) to the breakpoint: the same registers
            dbg.resume(Map.of(kv, Action.CONTINUE), Action.STOP, true);
            StopEvent again = nextStop();
            assertEquals(StopKind.BREAKPOINT, again.kind());
            assertArrayEquals(present, dbg.readRegisters(kv));
        });
    }

    @Test
    void aTxipcServersHistoryStartsAtItsRequestAndLeavesItsTransactionIntact() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            boot("t_kv_oracle.toml", true);
            dbg.attach(stops::add);
            awaitHalted();
            stops.clear();
            task = kernel.task("kv");
            int kv = task.index() + 1;
            dbg.setScope(List.of("kv"));
            long store = Fixtures.symbol(task, "store");
            assertTrue(dbg.insertBreakpoint(store));
            dbg.resume();
            assertEquals(StopKind.BREAKPOINT, nextStop().kind());
            assertTrue(task.inRequest());
            long[] present = dbg.readRegisters(kv);
            dbg.reverse(kv, false);
            assertEquals(StopKind.HISTORY_BEGIN, nextStop().kind());
            long pc = dbg.readRegister(kv, DebugTarget.PC);
            byte[] insn = new byte[4];
            dbg.readMemory(kv, pc - 4, insn);
            assertEquals(
                    0x73,
                    ByteBuffer.wrap(insn).order(ByteOrder.LITTLE_ENDIAN).getInt(),
                    "the history starts right after the receive that began the transaction");
            dbg.resume(Map.of(kv, Action.CONTINUE), Action.STOP, true);
            assertEquals(StopKind.BREAKPOINT, nextStop().kind());
            assertArrayEquals(present, dbg.readRegisters(kv));
            assertTrue(dbg.removeBreakpoint(store));
            dbg.setScope(List.of());
            dbg.resume();
            finish();
            assertTrue(console.toString().contains("kv_oracle: ok"), console.toString());
        });
    }

    @Test
    void noReverseExecutionFromAFaultStop() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            boot("t_fault_null.elf", true);
            dbg.attach(stops::add);
            awaitHalted();
            stops.clear();
            dbg.resume(Map.of(1, Action.CONTINUE), Action.CONTINUE, true);
            assertEquals(StopKind.FAULTED, nextStop().kind());
            long pc = dbg.readRegister(1, DebugTarget.PC);
            // (an argument the target refuses, with the reason gdb is shown; not "the system is running")
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dbg.reverse(1, true));
            assertTrue(e.getMessage().contains("is at its fault stop: no reverse execution"), e.getMessage());
            assertEquals(pc, dbg.readRegister(1, DebugTarget.PC));
        });
    }
}
