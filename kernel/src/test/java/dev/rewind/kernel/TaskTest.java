package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.dev.Uart;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/**
 * A task owns its state: a restart (one place, Kernel.restart) starts a new generation with
 * nothing of the old instance left; the IPC transitions keep client and server consistent; a
 * kernel takes one debugger.
 */
class TaskTest {
    private static Kernel boot() throws Exception {
        SystemImage img = SystemImage.builtin("t_fpc_deref_warm.elf");
        return new Kernel(Fixtures.CONFIG, img.manifest(), img.source(), new Uart(new ByteArrayOutputStream()), null);
    }

    @Test
    void aRestartStartsANewGenerationWithNothingOfTheOldInstance() throws Exception {
        try (Kernel k = boot()) {
            Task t = k.tasks().get(0);
            assertEquals(1, t.generation());
            long heapStart = t.heapStart();
            assertEquals(heapStart, t.brk());
            assertEquals(t.image().entry(), t.pc());
            // the old instance: a grown heap, pending results, a pending fault, an open request, a syscall
            assertNull(t.growHeap(heapStart + Kernel.PAGE));
            t.moveBreak(heapStart + 16);
            t.setPendingResults(new long[] {1, 2, 3});
            t.faultWhenStopped(new Fault(FaultKind.ABORT, t.pc(), 0, "", "old"));
            t.openRequest(System.nanoTime());
            t.madeSyscall(System.nanoTime());
            t.resumeAt(t.pc() + 4);
            Cpu old = t.cpu();

            RecoveryOutcome out = k.restart(t, null);

            assertInstanceOf(RecoveryOutcome.Restarted.class, out);
            assertEquals(2, t.generation());
            assertEquals(1, t.restarts());
            assertEquals(TaskState.READY, t.state());
            assertNotNull(t.cpu());
            assertNotSame(old, t.cpu(), "a fresh CPU and address space");
            assertEquals(t.image().entry(), t.pc());
            assertEquals(heapStart, t.brk());
            assertEquals(heapStart, t.heapMappedEnd());
            assertArrayEquals(new long[0], t.pendingResults());
            assertNull(t.takePendingFault());
            assertFalse(t.inRequest());
            assertEquals(0, t.lastSyscallAt());
            assertEquals(0, t.quietNanos());
        }
    }

    @Test
    void clientAndServerTransitionsStayConsistent() throws Exception {
        try (Kernel k = boot()) {
            Task server = k.tasks().get(0);
            Agent none = new Agent() {
                @Override
                public void agentReplied(Task agent, long[] reply) {}

                @Override
                public void agentFailed(Task agent) {}
            };
            Task client = Task.agent(server, none, new long[] {0x10, 1, 2, 3, 4, 0}, 7, null);
            assertEquals(0x10, client.msg(0));
            assertEquals(7, client.sendBadge());
            assertSame(none, client.agentFor());

            server.beginServing(client);
            client.awaitReply(server);
            assertSame(client, server.replyOwed());
            assertSame(server, client.servedBy());
            assertEquals(TaskState.AWAITING_REPLY, client.state());
            assertTrue(server.isServing(client));

            client.callEnded(); // e.g. failed by the server's restart
            assertNull(client.servedBy());
            assertFalse(server.isServing(client), "a caller no longer waiting is not served");
            server.endServing();
            assertNull(server.replyOwed());
        }
    }

    @Test
    void pendingResultsAreCopiesAndBounded() throws Exception {
        try (Kernel k = boot()) {
            Task t = k.tasks().get(0);
            t.setResult2(5, 6);
            long[] r = t.pendingResults();
            assertArrayEquals(new long[] {5, 6}, r);
            r[0] = 9;
            assertArrayEquals(new long[] {5, 6}, t.pendingResults(), "a copy");
            t.setResult(8); // a0 only: a1 stays pending
            assertArrayEquals(new long[] {8, 6}, t.pendingResults());
            assertThrows(IllegalArgumentException.class, () -> t.setPendingResults(new long[9]));
        }
    }

    @Test
    void aKernelTakesOneDebugger() throws Exception {
        try (Kernel k = boot()) {
            Debugger d = new Debugger() {
                @Override
                public Task pickNext() {
                    return null;
                }

                @Override
                public boolean holding() {
                    return false;
                }

                @Override
                public void record(Task t, long pc) {}

                @Override
                public boolean faulted(Task t, Fault f) {
                    return false;
                }

                @Override
                public void recovered(Task t, int generation, Fault f, String outcome) {}
            };
            DebugPort port = k.attachDebugger(d);
            assertEquals(k.tasks(), port.tasks());
            assertThrows(UnsupportedOperationException.class, () -> port.tasks().clear());
            assertThrows(IllegalStateException.class, () -> k.attachDebugger(d));
        }
    }
}
