package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.hw.cpu.DataHook;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SDK's memset, memcpy and memmove check where their loops stopped while the task serves a
 * request (guest/sdk/string.c, {@code stopped_at}): a skipped instruction in the computation of a
 * loop's bound wrote past the end of the range, over the data beside it, while the range itself
 * held the right bytes and its read-back saw nothing (an outside B+tree on AArch64, seed 2239819
 * of session 55: a skipped {@code sub x3, x2, #1} in memset's byte tail; three later replies were
 * wrong). Each instruction of one call, in turn, is skipped the first time it runs in that call;
 * every skip that makes the call store outside its range must be a fault of the request, undone
 * by txipc, with the clients' oracle satisfied. The test also requires that some skip did store
 * outside the range, so that it cannot pass by finding nothing to check.
 */
class ServingBoundCheckTest {
    /**
     * The first call of {@code function} that {@code task} makes while serving a request with a
     * count (its third argument) in [{@code minN}, {@code maxN}]. Records the instructions of the
     * function that call runs, in the order first run; with {@code skip} >= 0, the {@code skip}-th
     * of them is skipped the first time it runs, and the call's stores outside [dst, dst + n) are
     * recorded (not those of the frames below the caller's stack pointer: the callees').
     */
    static final class CallSkip implements KernelProbe {
        final String task;
        final String function;
        final long minN;
        final long maxN;
        final int skip;
        final List<Long> order = new ArrayList<>();
        final List<Long> stray = new ArrayList<>();
        /** The instruction at each address of {@link #order} (its size's bytes, little endian). */
        final List<Long> words = new ArrayList<>();

        boolean inRequest;
        boolean inCall;
        boolean done;
        boolean skipped;
        long dst;
        long n;
        long sp;
        long skipAt = -1;
        int skipSize;
        String error;
        CpuHook hook;
        CpuHook end;
        CpuHook watch;

        final boolean watchStores;
        /** The call traced is the {@code nth} that qualifies (1: the first). */
        int nth = 1;
        /** The registers a callee must preserve, as the call found them (empty until it is made). */
        final java.util.Map<Integer, Long> saved = new java.util.LinkedHashMap<>();
        /** Those that differed when the call returned to its caller. */
        final List<String> clobbered = new ArrayList<>();

        int calls;

        CallSkip(String task, String function, long minN, long maxN, int skip) {
            this(task, function, minN, maxN, skip, true);
        }

        /** The first call of {@code function} while serving, whatever its arguments; no stores recorded. */
        CallSkip(String task, String function, int skip) {
            this(task, function, Long.MIN_VALUE, Long.MAX_VALUE, skip, false);
        }

        private CallSkip(String task, String function, long minN, long maxN, int skip, boolean watchStores) {
            this.task = task;
            this.function = function;
            this.minN = minN;
            this.maxN = maxN;
            this.skip = skip;
            this.watchStores = watchStores;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals(task)) {
                return;
            }
            callOver();
            inRequest = true;
            if (hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            dev.rewind.hw.elf.ElfImage.Symbol f = Fixtures.function(t, function);
            Arch arch = cpu.arch();
            hook = cpu.hookInstructions(f.address(), f.address() + f.size() - 1, (addr, size) -> {
                if (done) {
                    return;
                }
                if (!inCall) {
                    long count = cpu.reg(arch.result(2));
                    if (addr != f.address() || !inRequest || count < minN || count > maxN || ++calls < nth) {
                        return;
                    }
                    inCall = true;
                    dst = cpu.reg(arch.result(0));
                    n = count;
                    sp = cpu.reg(arch.sp());
                    long ret = cpu.reg(arch.link());
                    for (int r : calleeSaved(arch)) {
                        saved.put(r, cpu.reg(r));
                    }
                    end = cpu.hookInstructions(ret, ret, (a, s) -> {
                        saved.forEach((r, v) -> {
                            if (cpu.reg(r) != v) {
                                clobbered.add(String.format("register %d: 0x%x, was 0x%x", r, cpu.reg(r), v));
                            }
                        });
                        callOver();
                    });
                    if (skip >= 0 && watchStores) {
                        watch = cpu.hookData(DataHook.WRITES, dst - 256, dst + n + 256, (type, at, sz, v) -> {
                            boolean callee = at < sp && at >= sp - 4096;
                            if (inCall && (at + sz > dst + n || at < dst) && !callee) {
                                stray.add(at);
                            }
                        });
                    }
                    cpu.dropCodeTranslations();
                }
                if (order.contains(addr)) {
                    return;
                }
                order.add(addr);
                byte[] b = new byte[4];
                words.add(
                        cpu.memory().read(addr, b, 0, size)
                                ? (b[0] & 0xffL) | (b[1] & 0xffL) << 8 | (b[2] & 0xffL) << 16 | (b[3] & 0xffL) << 24
                                : -1L);
                if (order.size() - 1 == skip) {
                    skipAt = addr;
                    skipSize = size;
                    cpu.stop();
                }
            });
            cpu.dropCodeTranslations();
        }

        @Override
        public void replied(Task t) {
            if (t.name().equals(task)) {
                inRequest = false;
                callOver();
            }
        }

        @Override
        public Fault stopped(Task t) {
            if (skipAt < 0 || skipped || !t.name().equals(task)) {
                return null;
            }
            skipped = true;
            if (t.pc() != skipAt) {
                error = String.format("stopped at 0x%x, not at 0x%x", t.pc(), skipAt);
                return null;
            }
            t.resumeAt(skipAt + skipSize);
            return null;
        }

        /**
         * A fault-free run of {@code system} recording the first call of {@code function} that
         * {@code task} makes while serving, whatever its arguments (there must be one).
         */
        static CallSkip firstCall(SystemImage system, String task, String function) throws Exception {
            return nthCall(system, task, function, 1);
        }

        /** A run with the {@code k}-th instruction of that call skipped, and {@code task}'s faults in it. */
        static Skipped skipping(SystemImage system, String task, String function, int k) throws Exception {
            return skipping(system, task, function, 1, k);
        }

        /** As {@link #firstCall}, for the {@code nth} call of {@code function} while serving. */
        static CallSkip nthCall(SystemImage system, String task, String function, int nth) throws Exception {
            CallSkip trace = new CallSkip(task, function, -1);
            trace.nth = nth;
            GuestRun clean = GuestRun.runWithProbe(system, trace);
            assertTrue(trace.done, () -> "no call " + nth + " of " + function + " while serving: " + clean);
            assertEquals(List.of(), clean.faults, clean::toString);
            return trace;
        }

        /** As {@link #skipping}, in the {@code nth} call of {@code function} while serving. */
        static Skipped skipping(SystemImage system, String task, String function, int nth, int k) throws Exception {
            CallSkip probe = new CallSkip(task, function, k);
            probe.nth = nth;
            GuestRun run = GuestRun.runWithProbe(system, probe);
            assertNull(probe.error, probe.error);
            assertTrue(probe.skipped, () -> "the skip was made: " + run);
            return new Skipped(
                    probe,
                    run,
                    run.faults.stream().filter(e -> e.task().equals(task)).toList());
        }

        /** The registers a callee must give back as it found them: sp and RISC-V s0-s11 / AArch64 x19-x29. */
        static List<Integer> calleeSaved(Arch arch) {
            List<Integer> regs = new ArrayList<>(List.of(arch.sp()));
            if (arch == Arch.RISCV64) {
                regs.addAll(List.of(8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
            } else {
                for (int r = 19; r <= 29; r++) {
                    regs.add(r);
                }
            }
            return regs;
        }

        /** The call returned, its request ended or another began (after a rollback). */
        void callOver() {
            if (!inCall) {
                return;
            }
            inCall = false;
            done = true;
            if (end != null) {
                end.close();
            }
            if (watch != null) {
                watch.close();
            }
        }
    }

    /** What {@code function} of {@code task} returned at each of its calls while serving, in order. */
    static final class Statuses implements KernelProbe {
        final String task;
        final String function;
        final List<Long> statuses = new ArrayList<>();
        CpuHook entry;
        CpuHook back;
        long backAt = -1;
        boolean inCall;

        Statuses(String task, String function) {
            this.task = task;
            this.function = function;
        }

        /** A fault-free run of {@code system} (its oracle printing {@code ok}) and the statuses. */
        static List<Long> of(SystemImage system, String task, String function, String ok) {
            Statuses probe = new Statuses(task, function);
            GuestRun clean = GuestRun.runWithProbe(system, probe);
            assertTrue(clean.console.contains(ok), clean::toString);
            return probe.statuses;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals(task) || entry != null) {
                return;
            }
            Cpu cpu = t.cpu();
            entry = Fixtures.hookEntry(t, function, (addr, size) -> {
                long ret = cpu.reg(cpu.arch().link());
                inCall = true;
                if (ret != backAt) {
                    if (back != null) {
                        back.close();
                    }
                    backAt = ret;
                    back = cpu.hookInstructions(ret, ret, (a, s) -> {
                        if (inCall) {
                            inCall = false;
                            statuses.add(cpu.reg(cpu.arch().result(0)));
                        }
                    });
                    cpu.dropCodeTranslations();
                }
            });
        }
    }

    /**
     * Skips each instruction of the {@code nth} call of {@code function} that {@code task} makes
     * while serving, in turn, in a fresh run each: the oracle must print {@code ok} and no FAIL
     * every time, a skip that faulted {@code task} must have been rolled back, and some skip must
     * have faulted it (so that a sweep cannot pass by striking nothing). {@code least}: the
     * fewest instructions the call must run.
     */
    static void assertNoSkipAnswersWrongly(
            SystemImage system, String task, String function, int nth, int least, String ok) throws Exception {
        CallSkip trace = CallSkip.nthCall(system, task, function, nth);
        assertTrue(trace.order.size() >= least, () -> function + " ran too few instructions: " + trace.order);
        int faulted = 0;
        for (int k = 0; k < trace.order.size(); k++) {
            Skipped s = CallSkip.skipping(system, task, function, nth, k);
            String what = String.format("skip of the instruction at 0x%x: %s", s.probe().skipAt, s.run());
            assertTrue(s.run().console.contains(ok), what);
            assertFalse(s.run().console.contains("FAIL"), what);
            if (!s.faults().isEmpty()) {
                faulted++;
                assertInstanceOf(
                        RecoveryOutcome.RolledBack.class, s.faults().get(0).outcome(), what);
            }
        }
        assertTrue(
                faulted > 0,
                "no skip among " + trace.order.size() + " of " + function + "'s instructions was a fault of " + task);
    }

    /** {@link CallSkip#skipping}'s run: the probe (where it skipped), the run, the task's faults. */
    record Skipped(CallSkip probe, GuestRun run, List<GuestRun.FaultEvent> faults) {}

    @ParameterizedTest(name = "{0}: {1} of {2}..{3} bytes")
    @CsvSource({
        "t_bank_oracle.toml, memset, 16, 4096",
        "aarch64/t_bank_oracle.toml, memset, 16, 4096",
        "t_bank_oracle.toml, memcpy, 16, 4096",
        "aarch64/t_bank_oracle.toml, memcpy, 16, 4096",
    })
    void aSkipThatMakesACallStoreOutsideItsRangeIsAFaultOfItsRequestAndIsUndone(
            String image, String function, long minN, long maxN) throws Exception {
        SystemImage system = SystemImage.builtin(image);
        CallSkip trace = new CallSkip("bank", function, minN, maxN, -1);
        GuestRun clean = GuestRun.runWithProbe(system, trace);
        assertTrue(trace.done, () -> "no call of " + function + " with " + minN + ".." + maxN + " bytes: " + clean);
        assertEquals(List.of(), clean.faults, clean::toString);
        int strays = 0;
        List<String> missed = new ArrayList<>();
        for (int k = 0; k < trace.order.size(); k++) {
            CallSkip probe = new CallSkip("bank", function, minN, maxN, k);
            GuestRun run = GuestRun.runWithProbe(system, probe);
            assertNull(probe.error, probe.error);
            assertTrue(probe.skipped, () -> "the skip was made: " + run);
            String what = String.format("skip of the instruction at 0x%x: %s", probe.skipAt, run);
            assertTrue(run.console.contains("bank_oracle: ok"), what);
            assertFalse(run.console.contains("FAIL"), what);
            if (probe.stray.isEmpty()) {
                continue;
            }
            strays++;
            List<GuestRun.FaultEvent> mine =
                    run.faults.stream().filter(e -> e.task().equals("bank")).toList();
            if (mine.isEmpty()) {
                missed.add(String.format("skip of 0x%x stored at %s, no fault", probe.skipAt, probe.stray));
                continue;
            }
            assertInstanceOf(RecoveryOutcome.RolledBack.class, mine.get(0).outcome(), run::toString);
            assertTrue(run.restarts.stream().noneMatch(r -> r.startsWith("bank@")), run::toString);
        }
        assertTrue(strays > 0, "no skip among " + trace.order.size() + " made the call store outside its range");
        assertEquals(List.of(), missed);
    }
}
