package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * librewind's dispatch clears each reply before the handler fills it in, and checks that it is
 * clear: a transient fault in the clearing (the length register of its memset changed: an outside
 * LRU cache's seeds 1321331 and 1321339, a skipped {@code li a2,48}) left the request's label,
 * words and length in the reply, and the client got them as the answer, with no trap.
 */
class ReplyClearTest {
    /** At the entry of rw__clear_reply in {@code server}'s request {@code n}, sets its length argument to 8 once. */
    static final class ClearShortened implements KernelProbe {
        final String server;
        final int n;
        int delivered;
        boolean struck;
        dev.rewind.hw.cpu.CpuHook hook;

        ClearShortened(String server, int n) {
            this.server = server;
            this.n = n;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals(server) || ++delivered != n) {
                return;
            }
            long entry = task.image().symbol("rw__clear_reply").orElseThrow();
            hook = task.cpu().hookInstructions(entry, entry, (addr, size) -> {
                if (!struck) {
                    struck = true;
                    task.cpu().setReg(task.cpu().arch().result(1), 8); // (the label alone is cleared)
                }
            });
            task.cpu().dropCodeTranslations();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_kv_oracle.toml", "aarch64/t_kv_oracle.toml"})
    void aReplyTheDispatchDidNotClearIsRolledBackNotSent(String image) throws Exception {
        ClearShortened probe = new ClearShortened("kv", 50);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        GuestRun.FaultEvent f = run.faults.get(0);
        assertEquals("kv", f.task(), run::toString);
        assertTrue(f.fault().detail().contains("the reply was not cleared"), run::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertTrue(run.console.contains("kv_oracle: ok") && run.console.contains("recovered=1"), run::toString);
    }

    /**
     * From {@code server}'s request {@code n} on, at the entry of the second rw__clear_reply of a
     * request (an error's clearing: the first clears every reply), sets to 0 once each callee-saved
     * register that holds an error status: the register that holds the status across the clearing,
     * changed there as a transient fault changes it (an outside LRU cache's seed 1781044: s1 set to
     * 0 inside the clearing's memset, its GET miss then sent as a success with cleared words).
     */
    static final class StatusZeroedInTheErrorsClearing implements KernelProbe {
        final String server;
        final int n;
        int delivered;
        int clears;
        boolean struck;
        dev.rewind.hw.cpu.CpuHook hook;

        StatusZeroedInTheErrorsClearing(String server, int n) {
            this.server = server;
            this.n = n;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals(server)) {
                return;
            }
            clears = 0;
            if (++delivered != n) {
                return;
            }
            long entry = task.image().symbol("rw__clear_reply").orElseThrow();
            hook = task.cpu().hookInstructions(entry, entry, (addr, size) -> {
                if (struck || ++clears != 2) {
                    return;
                }
                dev.rewind.hw.cpu.Arch arch = task.cpu().arch();
                for (int reg : arch.keptRegisters()) {
                    long v = task.cpu().reg(reg);
                    if (reg != arch.sp() && v < 0 && v >= -65535) {
                        task.cpu().setReg(reg, 0);
                        struck = true;
                    }
                }
            });
            task.cpu().dropCodeTranslations();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_kv_oracle.toml", "aarch64/t_kv_oracle.toml"})
    void anErrorWhoseStatusChangedWhileItsReplyWasClearedIsRolledBackNotSentAsASuccess(String image) throws Exception {
        StatusZeroedInTheErrorsClearing probe = new StatusZeroedInTheErrorsClearing("kv", 20);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        GuestRun.FaultEvent f = run.faults.get(0);
        assertEquals("kv", f.task(), run::toString);
        assertTrue(f.fault().detail().contains("the reply's label is not the op's answer"), run::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertTrue(run.console.contains("kv_oracle: ok") && run.console.contains("recovered=1"), run::toString);
    }
}
