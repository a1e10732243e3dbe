package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * Helpers that more than one kernel test class uses: built-in manifests as text and their
 * policy rewrites, fault lookups, symbols, and a probe that changes a kept register. Booting
 * itself is {@link GuestRun}'s.
 */
public final class Fixtures {
    private Fixtures() {}

    /** The kernel configuration tests boot with: defaults and a 60 s time budget. */
    public static final KernelConfig CONFIG = KernelConfig.defaults().withBudgetNanos(60_000_000_000L);

    /** The text of built-in manifest {@code builtin} (e.g. "t_kv_faults.toml"). */
    public static String manifest(String builtin) throws Exception {
        return new String(
                SystemImage.builtin(builtin).source().read(builtin.substring(builtin.lastIndexOf('/') + 1)),
                StandardCharsets.UTF_8);
    }

    /** The manifest with every server's recovery policy replaced (txipc-only keys dropped for others). */
    static String withPolicy(String toml, String policy) {
        String t = toml.replace("recovery = \"txipc\"", "recovery = \"" + policy + "\"");
        if (!policy.equals("txipc")) {
            t = t.replaceAll("(?m)^(deadline_ms|max_aborts|abort_window_ms|replay_depth) = .*$", "");
        }
        return t;
    }

    /** The one fault of {@code task} in {@code faults}; fails unless there is exactly one. */
    static GuestRun.FaultEvent only(List<GuestRun.FaultEvent> faults, String task) {
        List<GuestRun.FaultEvent> mine =
                faults.stream().filter(f -> f.task().equals(task)).toList();
        assertEquals(1, mine.size(), () -> "faults of " + task + ": " + faults);
        return mine.get(0);
    }

    /**
     * The run ended with {@code ok} on its console and no FAIL, and {@code server}'s first fault
     * was an ABORT (a failed assertion: one of its own checks) whose detail contains {@code
     * detail}, rolled back by txipc, with no restart of the server. Returns that fault.
     */
    static GuestRun.FaultEvent assertAbortUndone(GuestRun run, String server, String ok, String detail) {
        org.junit.jupiter.api.Assertions.assertTrue(run.console.contains(ok), run::toString);
        org.junit.jupiter.api.Assertions.assertFalse(run.console.contains("FAIL"), run::toString);
        GuestRun.FaultEvent f = run.faults.stream()
                .filter(e -> e.task().equals(server))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no fault of " + server + ": " + run));
        org.junit.jupiter.api.Assertions.assertEquals(FaultKind.ABORT, f.fault().kind(), run::toString);
        org.junit.jupiter.api.Assertions.assertTrue(f.fault().detail().contains(detail), run::toString);
        org.junit.jupiter.api.Assertions.assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        org.junit.jupiter.api.Assertions.assertTrue(
                run.restarts.stream().noneMatch(r -> r.startsWith(server + "@")), run::toString);
        return f;
    }

    /**
     * Also runs {@code hook} at the entry of the SDK's {@code rw__copy_plain} in {@code task}, the
     * copy {@code rw_copy_checked} makes (not {@code memcpy}, which compares its own copies while
     * the task serves: session 54), so that a probe of "memcpy" sees the payload copies too.
     */
    static void hookPlainCopy(Task task, dev.rewind.hw.cpu.InstructionHook hook) {
        task.image().symbol("rw__copy_plain").ifPresent(at -> task.cpu().hookInstructions(at, at, hook));
    }

    /**
     * Calls {@code hook} at the first instruction of the function {@code name} of {@code task}
     * (dropping the code translated before the hook, so that it takes effect).
     */
    static dev.rewind.hw.cpu.CpuHook hookEntry(Task task, String name, dev.rewind.hw.cpu.InstructionHook hook) {
        long at = function(task, name).address();
        dev.rewind.hw.cpu.CpuHook h = task.cpu().hookInstructions(at, at, hook);
        task.cpu().dropCodeTranslations();
        return h;
    }

    /** The function {@code name} of {@code task}'s image (its address and size), for a probe's hook. */
    static dev.rewind.hw.elf.ElfImage.Symbol function(Task task, String name) {
        return task.image().symbols().stream()
                .filter(s -> s.name().equals(name) && s.function())
                .findFirst()
                .orElseThrow(() -> new AssertionError("no function " + name + " in " + task.name()));
    }

    /** The register that holds a system call's number: RISC-V a7, AArch64 x8. */
    static int numberRegister(dev.rewind.hw.cpu.Cpu cpu) {
        return cpu.arch() == dev.rewind.hw.cpu.Arch.RISCV64 ? 17 : 8;
    }

    /**
     * The system call number in {@code cpu}'s number register, without the message sum the SDK
     * puts beside a CALL's, REPLY's or REPLY_RECV's ({@link dev.rewind.abi.Abi#SYS_SUMMED}) and
     * the request for its results' sum ({@link dev.rewind.abi.Abi#SYS_SUM_BACK}).
     */
    static long syscallNumber(dev.rewind.hw.cpu.Cpu cpu) {
        long nr = cpu.reg(numberRegister(cpu));
        long flags = dev.rewind.abi.Abi.SYS_SUMMED | dev.rewind.abi.Abi.SYS_SUM_BACK;
        return (nr & flags) != 0 ? nr & (dev.rewind.abi.Abi.SYS_SUM_BACK - 1) : nr;
    }

    /** The instruction at {@code addr} is the system call instruction: RISC-V ecall, AArch64 svc #0. */
    static boolean isSyscallInstruction(dev.rewind.hw.cpu.Cpu cpu, long addr) {
        byte[] b = new byte[4];
        if (!cpu.memory().read(addr, b, 0, 4)) {
            return false;
        }
        int insn = (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
        return insn == (cpu.arch() == dev.rewind.hw.cpu.Arch.RISCV64 ? 0x00000073 : 0xd4000001);
    }

    /**
     * After a probe changed a1..a6 at {@code task}'s system call instruction (a CALL, REPLY or
     * REPLY_RECV the SDK made): the sum beside the number made to match them, as if the task had
     * built that message in memory (what a handler that computed a wrong word does). Without it
     * the kernel finds the registers differing from the message (ReplySumTest) before any later
     * check could see them. Nothing if the task is not at a system call with a sum.
     */
    static void resum(Task task) {
        dev.rewind.hw.cpu.Cpu cpu = task.cpu();
        long nr = cpu.reg(numberRegister(cpu));
        if (!isSyscallInstruction(cpu, task.pc()) || (nr & dev.rewind.abi.Abi.SYS_SUMMED) == 0) {
            return;
        }
        long[] a = new long[9];
        for (int i = 1; i <= 6; i++) {
            a[i] = cpu.reg(cpu.arch().result(i));
        }
        cpu.setReg(numberRegister(cpu), (nr & 0xffffffffL) | SyscallFrame.messageSum(a) << 32);
    }

    /**
     * After a probe changed a1..a7 of {@code task} as a receive (or a CALL, {@code request}
     * false) left them, with a0 holding the sum the SDK asked for ({@link
     * dev.rewind.abi.Abi#SYS_SUM_BACK}): the sum made to match, as if the kernel had delivered
     * that message (what a spoiled state the server itself read would give). Without it the
     * SDK finds the registers differing from the sum (DeliverySumTest) before any later check
     * could see them. Nothing if a0 holds no such sum.
     */
    static void resumReceived(Task task, boolean request) {
        dev.rewind.hw.cpu.Cpu cpu = task.cpu();
        int r0 = cpu.arch().result(0);
        long a0 = cpu.reg(r0);
        if (a0 >= 0 || (a0 & 0xffffffffL) != 0) {
            return;
        }
        long[] a = new long[9];
        for (int i = 1; i <= 7; i++) {
            a[i] = cpu.reg(cpu.arch().result(i));
        }
        cpu.setReg(r0, SyscallFrame.summedStatus(a, request));
    }

    /** The little-endian 64-bit word at {@code at} in {@code cpu}'s memory; fails if it is not mapped. */
    static long read64(dev.rewind.hw.cpu.Cpu cpu, long at) {
        byte[] b = new byte[8];
        org.junit.jupiter.api.Assertions.assertTrue(
                cpu.memory().read(at, b, 0, 8), () -> "read at 0x" + Long.toHexString(at));
        return java.nio.ByteBuffer.wrap(b)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getLong();
    }

    /** Writes {@code v} as a little-endian 64-bit word at {@code at}, as a store of the task would. */
    static void write64(dev.rewind.hw.cpu.Cpu cpu, long at, long v) {
        byte[] b = java.nio.ByteBuffer.allocate(8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(v)
                .array();
        org.junit.jupiter.api.Assertions.assertTrue(
                cpu.memory().write(at, b, 0, 8), () -> "write at 0x" + Long.toHexString(at));
    }

    /** The address of {@code name} in {@code t}'s image; fails if it has no such symbol. */
    public static long symbol(Task t, String name) {
        return t.image().symbol(name).orElseThrow();
    }

    /**
     * Overwrites a register rw_serve keeps ({@link #register}) of a server (kv) when its n-th
     * request is delivered (for n in {@code at}), as a fault that does not trap would.
     */
    static final class KeptRegisterClobber implements KernelProbe {
        private final String task;
        private final Set<Integer> at;
        private int delivered;

        KeptRegisterClobber(Integer... at) {
            this("kv", at);
        }

        KeptRegisterClobber(String task, Integer... at) {
            this.task = task;
            this.at = Set.of(at);
        }

        /**
         * The register overwritten on {@code arch}: one that rw_serve keeps and that its loop
         * does not use on the way to the next reply, so that the change shows only to the
         * kept-register check. RISC-V s11 (rw_serve keeps its endpoint, handler, context, tagged
         * slot, the REPLY_RECV number and the sum's constant in s0..s6: s11 is the kept register of
         * the code below it, which every handler preserves); AArch64 x29, the
         * frame pointer (x19..x21 hold the endpoint, context and handler, which the loop uses:
         * a changed endpoint makes the REPLY_RECV fail and rw_serve abort).
         */
        static int register(dev.rewind.hw.cpu.Arch arch) {
            int reg = switch (arch) {
                case RISCV64 -> 27;
                case AARCH64 -> 29;
            };
            if (java.util.Arrays.stream(arch.keptRegisters()).noneMatch(r -> r == reg)) {
                throw new IllegalStateException(arch + " does not keep " + arch.registerName(reg));
            }
            return reg;
        }

        @Override
        public void requestDelivered(Task server) {
            if (server.name().equals(task) && at.contains(++delivered)) {
                server.cpu().setReg(register(server.cpu().arch()), 0x5eed);
            }
        }
    }

    /**
     * A driver whose request check goes wrong without trapping: on the driver's requests
     * numbered {@code at}, {@code rw_rule_check} (the SDK's check of a request against its rule)
     * is patched to answer EINVAL to everything ({@code li a0,-1; ret}), as corrupted code in it
     * would; the original code is put back when the driver replies.
     */
    static final class RuleCheckLie implements KernelProbe {
        private static final byte[] LIE = {0x13, 0x05, (byte) 0xf0, (byte) 0xff, 0x67, (byte) 0x80, 0x00, 0x00};
        private final String task;
        private final Set<Integer> at;
        private int delivered;
        private byte[] saved;
        private long where;
        final java.util.List<Integer> lied = new java.util.ArrayList<>();

        RuleCheckLie(String task, Integer... at) {
            this.task = task;
            this.at = Set.of(at);
        }

        @Override
        public void requestDelivered(Task server) {
            if (server.name().equals(task) && at.contains(++delivered)) {
                where = server.image().symbol("rw_rule_check").orElseThrow();
                saved = new byte[LIE.length];
                server.cpu().memory().read(where, saved, 0, saved.length);
                if (!server.cpu().memory().write(where, LIE, 0, LIE.length, dev.rewind.hw.mem.Perm.NONE)) {
                    throw new IllegalStateException("cannot patch rw_rule_check");
                }
                server.cpu().dropTranslations(where, where + LIE.length);
                lied.add(delivered);
            }
        }

        @Override
        public void replied(Task server) {
            if (saved != null && server.name().equals(task)) {
                server.cpu().memory().write(where, saved, 0, saved.length, dev.rewind.hw.mem.Perm.NONE);
                server.cpu().dropTranslations(where, where + saved.length);
                saved = null;
            }
        }
    }
}
