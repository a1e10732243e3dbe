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

    /**
     * From kv's request {@code n} on, when a GET's handler returns a success, makes its reply's
     * length one more than its value length (the word the protocol ties it to): a reply kv's
     * stub rejects as malformed, as a register changed in a handler's last steps made one (an
     * outside LRU cache's SCAN: its entry count changed after the length was made from it, seeds
     * 1788164 and 1793196).
     */
    static final class GetReplyLengthBroken implements KernelProbe {
        final int n;
        int delivered;
        boolean inGet;
        long out;
        boolean struck;
        dev.rewind.hw.cpu.CpuHook entryHook;
        dev.rewind.hw.cpu.CpuHook returnHook;

        GetReplyLengthBroken(int n) {
            this.n = n;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("kv") || ++delivered < n || entryHook != null) {
                return;
            }
            dev.rewind.hw.cpu.Cpu cpu = task.cpu();
            dev.rewind.hw.cpu.Arch arch = cpu.arch();
            long entry = task.image().symbol("do_get").orElseThrow();
            entryHook = cpu.hookInstructions(entry, entry, (addr, size) -> {
                if (struck) {
                    return;
                }
                inGet = true;
                out = Fixtures.read64(cpu, cpu.reg(arch.result(0)) + 8); // (rw_request: in, out, badge, ctx)
                if (returnHook == null) {
                    long back = cpu.reg(arch.link()); // (every handler returns there: one call site)
                    returnHook = cpu.hookInstructions(back, back, (a, s) -> {
                        if (struck || !inGet) {
                            return;
                        }
                        inGet = false;
                        if (cpu.reg(arch.result(0)) != 0) {
                            return; // (an ENOENT: its reply carries nothing)
                        }
                        struck = true;
                        long vlen = Fixtures.read64(cpu, out + 8);
                        Fixtures.write64(cpu, out + 40, vlen + 1); // (rw_msg: label, w[4], len)
                    });
                    cpu.dropCodeTranslations();
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_kv_oracle.toml", "aarch64/t_kv_oracle.toml"})
    void aSuccessThatBreaksItsOpsReplyRuleIsRolledBackNotSent(String image) throws Exception {
        GetReplyLengthBroken probe = new GetReplyLengthBroken(20);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        GuestRun.FaultEvent f = run.faults.get(0);
        assertEquals("kv", f.task(), run::toString);
        assertTrue(f.fault().detail().contains("the reply breaks its op's definition"), run::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertTrue(run.console.contains("kv_oracle: ok") && run.console.contains("recovered=1"), run::toString);
    }

    /**
     * At the entry of rw__clear_reply in {@code server}'s first COUNT from its request {@code n}
     * on (the first clearing, every reply's), flips bit 7 of each callee-saved register that holds the reply's address
     * (its argument), once: the dispatch's own copy of it, changed there as a transient fault
     * changes it (kv seed 2030312: RISC-V s2 bit 7, COUNT answered 0).
     */
    static final class ReplyPointerFlipped implements KernelProbe {
        final String server;
        final int n;
        int delivered;
        int struck;
        dev.rewind.hw.cpu.CpuHook hook;

        ReplyPointerFlipped(String server, int n) {
            this.server = server;
            this.n = n;
        }

        @Override
        public void requestDelivered(Task task) {
            // (a COUNT: its reply, cleared, is one its definition allows: 0 keys)
            if (!task.name().equals(server)
                    || ++delivered < n
                    || hook != null
                    || task.replyOwed() == null
                    || task.replyOwed().msg(0) != (0x4b56L << 16 | 4)) {
                return;
            }
            dev.rewind.hw.cpu.Cpu cpu = task.cpu();
            long entry = task.image().symbol("rw__clear_reply").orElseThrow();
            hook = cpu.hookInstructions(entry, entry, (addr, size) -> {
                if (struck > 0) {
                    return;
                }
                long m = cpu.reg(cpu.arch().result(0));
                for (int reg : cpu.arch().keptRegisters()) {
                    if (cpu.reg(reg) == m) {
                        cpu.setReg(reg, m ^ 0x80);
                        struck++;
                    }
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_kv_oracle.toml", "aarch64/t_kv_oracle.toml"})
    void aReplyPointerChangedInTheDispatchIsRolledBackNotSent(String image) throws Exception {
        // Before, the handler's words went to the other place, the reply sent stayed cleared:
        // a success with cleared words ("count 0, expected 42")
        ReplyPointerFlipped probe = new ReplyPointerFlipped("kv", 60);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck > 0, () -> "a register held the reply's address: " + run);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertTrue(run.console.contains("kv_oracle: ok"), run::toString);
        assertTrue(
                run.faults.stream().anyMatch(f -> f.fault().detail().contains("answered into another reply")),
                run::toString);
        for (GuestRun.FaultEvent f : run.faults) {
            assertEquals("kv", f.task(), run::toString);
            assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        }
    }
}
