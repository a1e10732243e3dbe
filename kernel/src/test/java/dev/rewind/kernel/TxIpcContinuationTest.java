package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The work a txipc server does after a syscall that committed its request (aftercall_server: a
 * plain REPLY, then a nested call, which sends the held reply first, then work with the call's
 * answer) is a transaction of its own, restarted from where the call returned.
 */
class TxIpcContinuationTest {
    /**
     * Strikes aftercall_server {@code times} times in a row (an ABORT), {@code instruction}
     * instructions after the reply of each of {@code requests} left (at its nested call, so in
     * the work after the call once it returns), and again {@code instruction} instructions after
     * each recovery resumes it.
     */
    static final class AfterCallStrike implements KernelProbe {
        private final long instruction;
        private final Set<Integer> requests;
        private final int times;
        private int replies;
        private int left;
        private final StopAfter stop = new StopAfter();
        int struck;

        AfterCallStrike(long instruction, int times, Integer... requests) {
            this.instruction = instruction;
            this.times = times;
            this.requests = Set.of(requests);
        }

        @Override
        public void replied(Task server) {
            if (server.name().equals("aftercall") && !stop.armed() && requests.contains(++replies)) {
                left = times;
                stop.arm(server, instruction);
            }
        }

        @Override
        public Fault stopped(Task task) {
            if (!stop.reached(task)) {
                return null;
            }
            struck++;
            if (--left > 0) {
                stop.arm(task, instruction); // (counts from where the recovery resumes it)
            }
            return new Fault(FaultKind.ABORT, task.pc(), 0, task.image().describe(task.pc()), "struck by the test");
        }
    }

    @ParameterizedTest(name = "{0} at instruction {1}")
    @CsvSource({
        "t_aftercall.toml, 1",
        "t_aftercall.toml, 6",
        "t_aftercall.toml, 15",
        "aarch64/t_aftercall.toml, 1",
        "aarch64/t_aftercall.toml, 6",
        "aarch64/t_aftercall.toml, 15"
    })
    void aFaultInTheWorkAfterANestedCallIsRolledBackAndRunAgainFromTheCallsReturn(String image, long instruction)
            throws Exception {
        // Before, that work ran with no transaction open: each strike restarted the server, its
        // total, journal and mirror lost ("aftercall: FAIL ...", restarts [aftercall@1, ...]).
        AfterCallStrike strike = new AfterCallStrike(instruction, 1, 30, 60, 90);
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), strike);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine("aftercall: ok"), r::toString);
        assertEquals(3, strike.struck, r::toString);
        assertEquals(List.of(), r.restarts, r::toString);
        assertEquals(3, r.faults.size(), r::toString);
        for (GuestRun.FaultEvent f : r.faults) {
            assertEquals("aftercall", f.task(), r::toString);
            assertTrue(
                    f.outcome() instanceof RecoveryOutcome.RolledBack b
                            && b.badge() == RecoveryOutcome.RolledBack.RESUMED,
                    r::toString);
            assertTrue(f.outcome().toString().contains("running it again"), r::toString);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_aftercall.toml", "aarch64/t_aftercall.toml"})
    void workAfterACallThatFaultsEveryTimeItRunsRestartsTheServer(String image) throws Exception {
        // Work that faults each time it runs cannot be mended: the first fault runs it again from
        // where the call returned, the second undoes the kept history and runs it again (the call
        // answered from the records), and a third, in that replay, restarts the server, as a
        // wake's work does.
        AfterCallStrike strike = new AfterCallStrike(6, 3, 40);
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), strike);
        assertEquals(3, strike.struck, r::toString);
        assertEquals(3, r.faults.size(), r::toString);
        assertTrue(
                r.faults.get(1).outcome() instanceof RecoveryOutcome.RolledBack b && b.undoneRequests() > 0,
                r::toString);
        assertTrue(r.faults.get(2).outcome() instanceof RecoveryOutcome.Restarted, r::toString);
        assertEquals(List.of("aftercall@2"), r.restarts, r::toString);
    }

    /**
     * At its {@code request}-th reply's release (the nested call that sends it, after the request
     * committed), zeroes aftercall_server's registers: the state the work after the
     * call resumes with is corrupt, as a fault in the request that did not trap there leaves it.
     */
    static final class ZeroAtRelease implements KernelProbe {
        private final int request;
        private int replies;

        ZeroAtRelease(int request) {
            this.request = request;
        }

        @Override
        public void replied(Task server) {
            if (server.name().equals("aftercall") && ++replies == request) {
                // (every general register but those the call's results come back in: RISC-V
                // a0..a6, AArch64 x0..x6)
                boolean riscv = server.cpu().arch() == dev.rewind.hw.cpu.Arch.RISCV64;
                for (int reg : server.cpu().arch().corruptibleRegisters()) {
                    if (riscv ? reg < 10 || reg > 16 : reg > 6) {
                        server.cpu().setReg(reg, 0);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_aftercall.toml", "aarch64/t_aftercall.toml"})
    void workAfterACallThatResumedWithCorruptRegistersIsRunAgainAfterTheHistoryReplay(String image) throws Exception {
        // Rolled back to where the call returned, the work resumes with the same corrupt registers
        // and faults again; the second fault undoes the kept history (the request before the call
        // among it), runs it again with the call answered from the record, and then the work, now
        // from the registers the replay left. Before, the third fault restarted the server
        // (inject seed 1480156: a null s1 in the request, "aftercall: FAIL add 22: EDEAD").
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), new ZeroAtRelease(30));
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine("aftercall: ok"), r::toString);
        assertEquals(List.of(), r.restarts, r::toString);
        assertEquals(2, r.faults.size(), r::toString);
        for (GuestRun.FaultEvent f : r.faults) {
            assertTrue(
                    f.outcome() instanceof RecoveryOutcome.RolledBack b
                            && b.badge() == RecoveryOutcome.RolledBack.RESUMED,
                    r::toString);
        }
        assertTrue(
                r.faults.get(1).outcome() instanceof RecoveryOutcome.RolledBack b && b.undoneRequests() > 0,
                r::toString);
        assertEquals(1, r.replays.size(), r::toString);
    }

    /** {@code task}'s next instruction is a system call (ecall, svc #0) with number {@code nr}. */
    static boolean atSyscall(Task task, long nr) {
        return Fixtures.isSyscallInstruction(task.cpu(), task.pc()) && Fixtures.syscallNumber(task.cpu()) == nr;
    }

    /**
     * Skips aftercall_server's REPLY system call (its ecall or svc, with the REPLY number) in its
     * {@code request}-th request, stepping one instruction at a time from the delivery to it.
     */
    static final class SkipReply implements KernelProbe {
        private final int request;
        private final StopAfter stop = new StopAfter();
        private int delivered;
        boolean skipped;

        SkipReply(int request) {
            this.request = request;
        }

        @Override
        public void requestDelivered(Task server) {
            if (server.name().equals("aftercall") && ++delivered == request && !skipped) {
                stop.arm(server, 1);
            }
        }

        @Override
        public Fault stopped(Task task) {
            if (!stop.reached(task)) {
                return null;
            }
            if (atSyscall(task, dev.rewind.abi.Abi.SYS_REPLY)) {
                task.resumeAt(task.pc() + 4);
                skipped = true;
            } else {
                stop.arm(task, 2); // (1 would stop again at this one: it has not run yet)
            }
            return null;
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_aftercall.toml", "aarch64/t_aftercall.toml"})
    void aRunAgainMakesAfterItsReplyTheCallItsFirstRunMadeBeforeIt(String image) throws Exception {
        // With its REPLY skipped, the first run made its call to echo inside the request and then
        // faulted at its receive (a reply owed). Run again, it replies and makes the same call
        // after the reply, once the request committed: answered from the first run's record (echo
        // had it already), not an unmade call of the first run. Before, the request ended in
        // EINDOUBT (inject seeds 1482011, 1482107: "aftercall: FAIL add 59: EINDOUBT").
        SkipReply skip = new SkipReply(40);
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), skip);
        assertTrue(skip.skipped, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine("aftercall: ok"), r::toString);
        assertEquals(List.of(), r.restarts, r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        assertTrue(r.faults.get(0).outcome() instanceof RecoveryOutcome.RolledBack, r::toString);
    }

    /**
     * In aftercall_server's {@code request}-th request, between its plain REPLY and the nested
     * call that sends it, sets the call's label register (RISC-V a1, AArch64 x1) to 0 just before
     * the call's system call: the call leaves with a corrupted argument after the request
     * committed at its release, as a register flipped there leaves it.
     */
    static final class CorruptCallLabel implements KernelProbe {
        private final int request;
        private final boolean built;
        private final StopAfter stop = new StopAfter();
        private int held;
        boolean struck;

        /**
         * {@code built}: the sum beside the call's number made to match (the call built with that
         * label in memory); else the register alone changed, which the kernel finds before the
         * call leaves.
         */
        CorruptCallLabel(int request, boolean built) {
            this.request = request;
            this.built = built;
        }

        @Override
        public void replyHeld(Task server) {
            if (server.name().equals("aftercall") && ++held == request && !struck) {
                stop.arm(server, 1);
            }
        }

        @Override
        public Fault stopped(Task task) {
            if (!stop.reached(task)) {
                return null;
            }
            if (atSyscall(task, dev.rewind.abi.Abi.SYS_CALL)) {
                task.cpu().setReg(task.cpu().arch() == dev.rewind.hw.cpu.Arch.RISCV64 ? 11 : 1, 0);
                if (built) {
                    Fixtures.resum(task); // (the call built with that label: the kernel sends it)
                }
                struck = true;
            } else {
                stop.arm(task, 2); // (1 would stop again at this one: it has not run yet)
            }
            return null;
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_aftercall.toml", "aarch64/t_aftercall.toml"})
    void aCallAfterAReplyWhoseArgumentWasCorruptedIsSentAgainAsTheRebuiltHistoryMakesIt(String image) throws Exception {
        // The echo answers the corrupted call; the work after it faults on that answer, runs again
        // on the same answer and faults again; the history replay rebuilds the request and makes
        // the call with its right label: the first run's came from the fault, and it is sent.
        // Before, it was answered ERECOVERED, the work faulted on that too, and the server was
        // restarted ("aftercall: FAIL add 41: EDEAD"; inject seeds 1574612, 1574685).
        CorruptCallLabel strike = new CorruptCallLabel(40, true);
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), strike);
        assertTrue(strike.struck, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine("aftercall: ok"), r::toString);
        assertEquals(List.of(), r.restarts, r::toString);
        assertEquals(2, r.faults.size(), r::toString);
        assertTrue(
                r.faults.get(1).outcome() instanceof RecoveryOutcome.RolledBack b && b.undoneRequests() > 0,
                r::toString);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_aftercall.toml", "aarch64/t_aftercall.toml"})
    void aCallWhoseLabelRegisterWasChangedAfterItsLoadNeverLeaves(String image) throws Exception {
        // The same strike on the register alone: the kernel finds it differing from the sum the SDK
        // put beside the call's number, and the work after the reply faults at the call, with
        // nothing sent; its run again makes the call as built.
        CorruptCallLabel strike = new CorruptCallLabel(40, false);
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), strike);
        assertTrue(strike.struck, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine("aftercall: ok"), r::toString);
        assertEquals(List.of(), r.restarts, r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        assertEquals(FaultKind.CORRUPT_STATE, r.faults.get(0).fault().kind(), r::toString);
        assertTrue(
                r.faults.get(0).fault().detail().contains("CALL's message in a1..a6 is not the one built"),
                r::toString);
        assertTrue(r.faults.get(0).outcome() instanceof RecoveryOutcome.RolledBack, r::toString);
    }

    /**
     * After the aftercall server's reply {@code n}, flips bit 42 of a7 (the syscall's number) at
     * the first {@code ecall} its work after the reply makes (RISC-V): the kernel is asked for a
     * system call that does not exist.
     */
    static final class SyscallNumberFlip implements KernelProbe {
        static final int ECALL = 0x00000073;
        static final int A7 = 17;
        final int n;
        int replies;
        boolean armed;
        boolean struck;

        SyscallNumberFlip(int n) {
            this.n = n;
        }

        @Override
        public void replied(Task server) {
            if (!server.name().equals("aftercall") || ++replies != n) {
                return;
            }
            armed = true;
            dev.rewind.hw.cpu.Cpu cpu = server.cpu();
            long main = server.image().symbol("main").orElseThrow();
            cpu.hookInstructions(main & -4096L, (main & -4096L) + 0x10000, (addr, size) -> {
                if (!armed || struck || size != 4) {
                    return;
                }
                byte[] b = new byte[4];
                if (!cpu.memory().read(addr, b, 0, 4)
                        || (b[0] & 0xff | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24) != ECALL) {
                    return;
                }
                struck = true;
                cpu.setReg(A7, cpu.reg(A7) ^ (1L << 42));
            });
            cpu.dropCodeTranslations();
        }
    }

    @org.junit.jupiter.api.Test
    void aSyscallNumberFlippedInTheWorkAfterAReplyDoesNotCommitThatWork() throws Exception {
        // A system call that does not exist (ENOSYS) is refused at once: it neither ends the work
        // after a reply nor releases a held reply, so the fault that follows undoes the work from
        // before it, and its run again makes the syscall the program meant. Before, the unknown
        // number committed the work up to it, and each run again resumed after it with ENOSYS:
        // three faults, a restart, the client EDEAD (inject builtin:t_aftercall.toml --server
        // aftercall --window after-reply, seed 1757024: a7 flipped at rw_recv's ecall).
        SyscallNumberFlip flip = new SyscallNumberFlip(14);
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin("t_aftercall.toml"), flip);
        assertTrue(flip.struck, r::toString);
        assertTrue(r.console.contains("aftercall: ok"), r::toString);
        assertTrue(r.restarts.isEmpty(), r::toString);
        assertTrue(r.faults.size() >= 1 && r.faults.size() <= 2, r::toString);
    }

    /**
     * In the aftercall server's work after its nested call (a continuation: {@link
     * Recovery#continuing}) following its reply {@code n}, turns the receive it makes next into an
     * EXIT (code 77), the first {@code times} times that work reaches it: as a loop's register
     * holding the receive's number, zeroed after the call (once) or before it (the request
     * committed with it: every time the work runs from there) would (seeds 1999036, 1999148,
     * 1999180 of session 52: x9 zeroed, the RECV an EXIT).
     */
    static final class ExitAfterCall implements KernelProbe {
        final int n;
        final int times;
        int replies;
        int struck;
        dev.rewind.hw.cpu.CpuHook hook;

        ExitAfterCall(int n, int times) {
            this.n = n;
            this.times = times;
        }

        @Override
        public void replied(Task server) {
            if (!server.name().equals("aftercall") || ++replies != n || hook != null) {
                return;
            }
            dev.rewind.hw.cpu.Cpu cpu = server.cpu();
            int number = Fixtures.numberRegister(cpu);
            dev.rewind.hw.elf.ElfImage.Symbol main = server.image().symbols().stream()
                    .filter(x -> x.name().equals("main"))
                    .findFirst()
                    .orElseThrow();
            hook = cpu.hookInstructions(main.address(), main.address() + main.size() - 1, (addr, size) -> {
                if (struck >= times
                        || !server.recovery().continuing()
                        || !Fixtures.isSyscallInstruction(cpu, addr)
                        || Fixtures.syscallNumber(cpu) != dev.rewind.abi.Abi.SYS_RECV) {
                    return;
                }
                struck++;
                cpu.setReg(number, dev.rewind.abi.Abi.SYS_EXIT);
                cpu.setReg(cpu.arch().result(0), 77);
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}, {1} exits")
    @CsvSource({
        "t_aftercall.toml, 1",
        "t_aftercall.toml, 2",
        "aarch64/t_aftercall.toml, 1",
        "aarch64/t_aftercall.toml, 2",
    })
    void anExitInTheWorkAfterANestedCallIsUndoneAndThatWorkRunsAgain(String image, int times) throws Exception {
        // Before, the server exited (77), the work before it committed, and the client's next
        // call failed with EDEAD ("aftercall: FAIL add 21: EDEAD"). The second exit in a row runs
        // the kept history again (the state the work resumed with may be the fault's), then the work.
        ExitAfterCall exit = new ExitAfterCall(20, times);
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), exit);
        assertEquals(times, exit.struck, r::toString);
        assertTrue(r.console.contains("aftercall: ok"), r::toString);
        assertTrue(r.restarts.isEmpty(), r::toString);
        assertEquals(times, r.faults.size(), r::toString);
        for (GuestRun.FaultEvent f : r.faults) {
            assertEquals(FaultKind.CORRUPT_STATE, f.fault().kind(), r::toString);
            assertTrue(f.fault().detail().contains("exit in work no client waits on"), r::toString);
            assertTrue(f.outcome() instanceof RecoveryOutcome.RolledBack, r::toString);
        }
        if (times == 2) {
            RecoveryOutcome.RolledBack second =
                    (RecoveryOutcome.RolledBack) r.faults.get(1).outcome();
            assertTrue(second.undoneRequests() > 0, () -> "the history run again: " + r.faults);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_aftercall.toml", "aarch64/t_aftercall.toml"})
    void anExitTheWorkAfterACallMakesEachTimeItRunsIsTheServersOwn(String image) throws Exception {
        // (after the work's run again and the history's: a server that means to stop, stops)
        ExitAfterCall exit = new ExitAfterCall(20, 3);
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin(image), exit);
        assertEquals(3, exit.struck, r::toString);
        assertTrue(r.console.contains("aftercall: FAIL add 21: EDEAD"), r::toString); // (the server is gone)
        assertEquals(2, r.faults.size(), () -> r.faults.toString());
        assertTrue(r.restarts.isEmpty(), r::toString);
    }
}
