package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.elf.ElfImage;
import dev.rewind.kernel.probe.InstructionProfiler;
import dev.rewind.kernel.probe.RequestStrike;
import dev.rewind.kernel.probe.RequestStrike.Window;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A txipc server with its own loop (rw_recv, rw_dispatch, a plain rw_reply, work after it, as the
 * SDK's README shows one) keeps its dispatch table's address in a callee-saved register. A bit
 * flipped there after a handler returned commits with the request: every later request is then
 * refused ENOSYS from the wrong table, and the kernel's run again of each refusal ({@code verify =
 * "refusals"}) confirms it from the same register. No commit-time check covers such a loop (it may
 * change any register of its own), so the refusal itself asks whether a register the loop had
 * kept for many requests has changed since (an outside interval tree, seed 1720024: every
 * request of its three clients ENOSYS).
 */
class TxIpcLoopRegisterTest {
    /** After reply {@code request}, at instruction {@code at}, flips {@code mask} in the register holding the table. */
    private static final class TableFlip extends RequestStrike {
        private final int request;
        private final long mask;
        boolean struck;

        TableFlip(String server, long at, int request, long mask) {
            super(server, at, Window.AFTER_REPLY);
            this.request = request;
            this.mask = mask;
        }

        @Override
        protected boolean strikes(int r) {
            return r == request;
        }

        @Override
        protected Fault strike(Task task, int r) {
            long table = tableOf(task.image());
            for (int reg : task.cpu().arch().keptRegisters()) {
                if (task.cpu().reg(reg) == table) {
                    task.cpu().setReg(reg, table ^ mask);
                    struck = true;
                    return null;
                }
            }
            return null;
        }
    }

    private static long tableOf(ElfImage image) {
        for (ElfImage.Symbol s : image.symbols()) {
            if (s.name().equals("ops") && !s.function()) {
                return s.address();
            }
        }
        throw new AssertionError("no ops symbol in loopreg_server.elf");
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_loopreg.toml", "aarch64/t_loopreg.toml"})
    void aRefusalFromTheLoopsFlippedTableRegisterNeverLeaves(String image) throws Exception {
        SystemImage img = SystemImage.builtin(image);
        InstructionProfiler profiler = new InstructionProfiler("loopreg");
        GuestRun.runWithProbe(img, profiler);
        long[] gaps = profiler.gaps();
        int request = 30;
        assertTrue(gaps[request - 1] >= 1, () -> java.util.Arrays.toString(gaps));
        int caught = 0;
        for (long mask : new long[] {1L << 3, 1L << 4}) {
            for (long at = 1; at <= gaps[request - 1]; at++) {
                TableFlip flip = new TableFlip("loopreg", at, request, mask);
                GuestRun g = GuestRun.runWithProbe(img, flip);
                String what = "table ^ 0x" + Long.toHexString(mask) + " at instruction " + at + " of "
                        + gaps[request - 1] + " after reply " + request + "\n" + g;
                assertTrue(flip.struck, what);
                assertEquals(SystemResult.Outcome.OK, g.result.outcome(), what);
                assertTrue(g.hasLine("loopreg_client: ok requests=67"), what);
                assertTrue(g.restarts.isEmpty(), what);
                if (g.faults.stream().anyMatch(f -> f.fault().detail().startsWith("a request refused while"))) {
                    caught++;
                }
            }
        }
        assertTrue(caught > 0, "no flip of the table's register was caught at a refusal");
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_loopreg.toml", "aarch64/t_loopreg.toml"})
    void theClientsOwnRefusalsLeaveWithNoFault(String image) throws Exception {
        GuestRun g = GuestRun.runWithProbe(SystemImage.builtin(image), null);
        assertEquals(SystemResult.Outcome.OK, g.result.outcome(), g::toString);
        assertTrue(g.hasLine("loopreg_client: ok requests=67"), g::toString);
        assertTrue(g.faults.isEmpty(), g::toString);
    }

    /** At instruction {@code at} of request {@code request}, flips {@code mask} in every register holding the client's badge. */
    private static final class BadgeFlip extends RequestStrike {
        private final int request;
        private final long mask;
        boolean struck;

        BadgeFlip(String server, long at, int request, long mask) {
            super(server, at, Window.REQUEST);
            this.request = request;
            this.mask = mask;
        }

        @Override
        protected boolean strikes(int r) {
            return r == request;
        }

        @Override
        protected Fault strike(Task task, int r) {
            // (on its way through the dispatch: before the receive has kept it, the badge's only
            // copy is the register, and nothing in the guest could tell it was changed)
            if (!inDispatch(task.image(), task.cpu().pc())) {
                return null;
            }
            long badge = task.replyOwed().sendBadge();
            for (int reg : task.cpu().arch().corruptibleRegisters()) {
                if (task.cpu().reg(reg) == badge) {
                    task.cpu().setReg(reg, badge ^ mask);
                    struck = true;
                }
            }
            return null;
        }
    }

    private static boolean inDispatch(ElfImage image, long pc) {
        for (ElfImage.Symbol s : image.symbols()) {
            if (s.function()
                    && (s.name().equals("rw_dispatch") || s.name().equals("rw__dispatch"))
                    && pc >= s.address()
                    && pc < s.address() + s.size()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The badge goes from the receive to the handler in registers (rw_dispatch's argument, the
     * request record rw__dispatch builds); a flip or a skipped move on the way gave the handler
     * another client's badge, and its answer left with no trap (the outside interval tree's
     * cursor of "another client" answered ENOENT: seeds 1720280 RISC-V, 1721107 AArch64). The
     * receive now keeps the badge in memory and the dispatch compares.
     */
    @ParameterizedTest
    @ValueSource(strings = {"t_loopreg.toml", "aarch64/t_loopreg.toml"})
    void aHandlerIsNeverGivenAFlippedBadge(String image) throws Exception {
        SystemImage img = SystemImage.builtin(image);
        InstructionProfiler profiler = new InstructionProfiler("loopreg");
        GuestRun.runWithProbe(img, profiler);
        long[] lengths = profiler.lengths();
        int request = 30; // an ADD
        int caught = 0;
        int flips = 0;
        for (long mask : new long[] {1L, 2L}) {
            for (long at = 1; at <= lengths[request - 1]; at++) {
                BadgeFlip flip = new BadgeFlip("loopreg", at, request, mask);
                GuestRun g = GuestRun.runWithProbe(img, flip);
                String what = "badge ^ " + mask + " at instruction " + at + " of " + lengths[request - 1]
                        + " of request " + request + "\n" + g;
                if (flip.struck) {
                    flips++;
                }
                assertEquals(SystemResult.Outcome.OK, g.result.outcome(), what);
                assertTrue(g.hasLine("loopreg_client: ok requests=67"), what);
                assertTrue(g.restarts.isEmpty(), what);
                if (g.faults.stream().anyMatch(f -> f.fault().detail().contains("badge is not the one it came with"))) {
                    caught++;
                }
            }
        }
        assertTrue(flips > 0, "no register held the badge");
        assertTrue(caught > 0, "no flipped badge was caught by the dispatch");
    }
}
