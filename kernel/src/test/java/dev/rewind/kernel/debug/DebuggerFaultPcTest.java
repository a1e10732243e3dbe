package dev.rewind.kernel.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Fixtures;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelObserver;
import dev.rewind.kernel.RecoveryOutcome;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.Task;
import dev.rewind.kernel.debug.DebugTarget.StopEvent;
import dev.rewind.kernel.debug.DebugTarget.StopKind;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The debugger's fault stop names the same instruction as the kernel's fault record: the PC
 * register reads the faulting instruction (a load at a function's first instruction reached
 * through a warm, chained call site), and memory at that PC holds it (what `x/i $pc` shows).
 */
class DebuggerFaultPcTest {
    @Test
    void faultStopPcIsTheFaultingInstruction() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            SystemImage img = SystemImage.builtin("t_fpc_deref_warm.elf");
            BlockingQueue<StopEvent> stops = new LinkedBlockingQueue<>();
            java.util.List<Fault> faults = new java.util.concurrent.CopyOnWriteArrayList<>();
            KernelObserver obs = new KernelObserver() {
                @Override
                public void taskFaulted(Task task, int generation, Fault fault, RecoveryOutcome outcome) {
                    faults.add(fault);
                }
            };
            try (Kernel kernel = new Kernel(
                    Fixtures.CONFIG, img.manifest(), img.source(), new Uart(new ByteArrayOutputStream()), obs)) {
                KernelDebugger dbg = new KernelDebugger(kernel, true);
                Thread runner = new Thread(kernel::run, "kernel");
                runner.setDaemon(true);
                runner.start();
                dbg.attach(stops::add);
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (!dbg.halted()) { // the initial stop (its event may have come before attach)
                    assertTrue(System.nanoTime() < deadline, "not halted within 30 s");
                    Thread.sleep(5);
                }
                assertEquals(StopKind.ATTACHED, dbg.currentStop().kind());
                stops.clear();
                dbg.resume();
                StopEvent f = stops.poll(30, TimeUnit.SECONDS);
                assertNotNull(f, "no fault stop");
                assertEquals(StopKind.FAULTED, f.kind());
                assertEquals(DebugTarget.SIGSEGV, f.signal());
                Task t = kernel.task("t_fpc_deref_warm");
                long deref = Fixtures.symbol(t, "deref");
                assertEquals(deref, dbg.readRegister(f.thread(), DebugTarget.PC), f::description);
                assertTrue(
                        f.description().contains("pc 0x" + Long.toHexString(deref) + " (deref at tests/fault_pc.c:"),
                        f::description);
                byte[] insn = new byte[2];
                assertEquals(2, dbg.readMemory(f.thread(), deref, insn));
                assertEquals(0x6108, (insn[0] & 0xff) | (insn[1] & 0xff) << 8, "c.ld a0,0(a0)");
                dbg.resume();
                runner.join(60_000);
                assertFalse(runner.isAlive());
                assertEquals(1, faults.size());
                assertEquals(deref, faults.get(0).pc(), "the record campaigns see");
            }
        });
    }
}
