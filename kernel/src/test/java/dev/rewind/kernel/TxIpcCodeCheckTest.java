package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.elf.ElfImage;
import org.junit.jupiter.api.Test;

/**
 * Under txipc, the server's code is compared with its image before each reply leaves: a bit
 * flipped in a code page (the guest cannot write its code) is found before any reply computed
 * by the changed code reaches a client, the request is undone and run again on restored code,
 * unseen by the client, and nothing older is replayed (the last reply was checked too).
 */
class TxIpcCodeCheckTest {

    /** When kv's request {@code n} is delivered, flips a bit of the first instruction of rw_assert_fail. */
    static final class CodeFlip implements KernelProbe {
        final int n;
        int delivered;
        long at;
        Task server;
        /** At the next request: the code was the image's again. */
        Boolean restored;

        CodeFlip(int n) {
            this.n = n;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("kv")) {
                return;
            }
            server = task;
            if (++delivered == n + 1) {
                restored = true;
                for (ElfImage.Segment seg : task.image().segments()) {
                    if (seg.exec() && !seg.write() && seg.fileSize() > 0) {
                        byte[] want = task.image().segmentBytes(seg);
                        byte[] have = new byte[want.length];
                        task.cpu().memory().read(seg.vaddr(), have, 0, have.length);
                        restored &= java.util.Arrays.equals(want, have);
                    }
                }
            }
            if (delivered != n) {
                return;
            }
            at = task.image().symbol("rw_assert_fail").orElseThrow(); // (never runs in a correct run)
            byte[] b = new byte[1];
            assertTrue(task.cpu().memory().read(at, b, 0, 1));
            b[0] ^= 0x10;
            assertTrue(task.cpu().memory().write(at, b, 0, 1, dev.rewind.hw.mem.Perm.NONE));
        }
    }

    @Test
    void changedCodeIsFoundBeforeTheReplyAndTheRequestRunsAgainOnRestoredCode() throws Exception {
        CodeFlip probe = new CodeFlip(200);
        GuestRun r = GuestRun.bootManifest(Fixtures.manifest("t_kv_oracle.toml"), Fixtures.CONFIG, probe, null);
        RecoveryOutcome.RolledBack out = rolledBackOnce(r, probe.at, "checked before the reply");
        assertEquals(0, out.undoneRequests(), "earlier replies were checked: nothing older is replayed");
        assertEquals(Boolean.TRUE, probe.restored, "the code was the image's again at the next request");
    }

    /**
     * When kv's request {@code n} is delivered, the first instruction of {@code rw__dispatch}
     * (which runs in every request) becomes a jump to {@code _exit}: changed code that sends the
     * server out of its loop inside a request, with no trap (a flipped bit can do the same).
     */
    static final class JumpToExit implements KernelProbe {
        final int n;
        int delivered;
        long at;

        JumpToExit(int n) {
            this.n = n;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("kv") || ++delivered != n) {
                return;
            }
            at = task.image().symbol("rw__dispatch").orElseThrow();
            long off = task.image().symbol("_exit").orElseThrow() - at;
            // RISC-V JAL x0, off: imm[20|10:1|11|19:12], rd 0, opcode 0x6f
            int jal = (int) (((off >> 20) & 1) << 31
                    | ((off >> 1) & 0x3ff) << 21
                    | ((off >> 11) & 1) << 20
                    | ((off >> 12) & 0xff) << 12
                    | 0x6f);
            byte[] b = {(byte) jal, (byte) (jal >> 8), (byte) (jal >> 16), (byte) (jal >> 24)};
            assertTrue(task.cpu().memory().write(at, b, 0, 4, dev.rewind.hw.mem.Perm.NONE));
            task.cpu().dropCodeTranslations(); // (as the fault injector does: the code has run)
        }
    }

    /**
     * Changed code that reaches the exit call inside a request is found by the code check made
     * before an exit, as before a reply: the request is undone and runs again on restored code,
     * and the client never sees it (its call would have failed with EDEAD). This replaces a
     * campaign seed that reached the exit by chance (CampaignTest's 470097, lost when the
     * code's layout changed).
     */
    @Test
    void changedCodeThatExitsInsideARequestIsFoundBeforeTheExitAndTheRequestRunsAgain() throws Exception {
        JumpToExit probe = new JumpToExit(300);
        GuestRun r = GuestRun.bootManifest(Fixtures.manifest("t_kv_oracle.toml"), Fixtures.CONFIG, probe, null);
        rolledBackOnce(r, probe.at, "checked before an exit");
    }

    /**
     * The workload passed; kv faulted once, as changed code found on the page of {@code at}
     * ({@code when}), and the request was undone and delivered again without a restart.
     */
    private static RecoveryOutcome.RolledBack rolledBackOnce(GuestRun r, long at, String when) {
        assertTrue(at != 0, r::toString);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("kv_oracle: ok"), r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        Fault f = r.faults.get(0).fault();
        assertEquals(FaultKind.CORRUPT_STATE, f.kind(), r::toString);
        assertEquals(
                "code page 0x" + Long.toHexString(at & -4096L) + " differs from the image (" + when + ")",
                f.detail(),
                r.faults.toString());
        RecoveryOutcome.RolledBack out =
                (RecoveryOutcome.RolledBack) r.faults.get(0).outcome();
        assertTrue(out.redelivered(), "the client never saw it");
        assertEquals(1, r.result.task("kv").id().generation(), "no restart");
        return out;
    }

    @Test
    void withCodeCheckOffTheChangeStaysUnnoticedUntilItRuns() throws Exception {
        CodeFlip probe = new CodeFlip(200);
        String toml = Fixtures.manifest("t_kv_oracle.toml")
                .replace("recovery = \"txipc\"", "recovery = \"txipc\"\ncode_check = false");
        GuestRun r = GuestRun.bootManifest(toml, Fixtures.CONFIG, probe, null);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertEquals(0, r.faults.size(), "the changed instruction never runs: " + r);
        assertEquals(Boolean.FALSE, probe.restored, "and stays changed");
    }

    @Test
    void aFaultFreeRunFindsNoChange() throws Exception {
        CodeFlip probe = new CodeFlip(-1);
        GuestRun r = GuestRun.bootManifest(Fixtures.manifest("t_kv_oracle.toml"), Fixtures.CONFIG, probe, null);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertEquals(0, r.faults.size(), r::toString);
        assertTrue(probe.delivered > 500, r::toString);
        // The guest cannot write its code and nothing else did: one compare, then each reply's
        // check sees that no write reached read-only memory since (AddressSpace.readOnlyEpoch).
        assertEquals(1, ((TxIpc) probe.server.recovery()).codeCompares(), r::toString);
    }

    /** A flip after the code was found intact moves the epoch: the next check compares again and finds it. */
    @Test
    void aFlipAfterManyCheckedRepliesIsStillFound() throws Exception {
        CodeFlip probe = new CodeFlip(400);
        GuestRun r = GuestRun.bootManifest(Fixtures.manifest("t_kv_oracle.toml"), Fixtures.CONFIG, probe, null);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        assertTrue(r.faults.get(0).fault().detail().startsWith("code page 0x"), r::toString);
        // the first check, the one that found the flip, and the one after the abort's restore
        assertEquals(3, ((TxIpc) probe.server.recovery()).codeCompares(), r::toString);
    }

    /** Flips bit 4 of the first byte of {@code task}'s rw_assert_fail (code a correct run never runs); returns its address. */
    static long flipUnusedCode(Task task) {
        long at = task.image().symbol("rw_assert_fail").orElseThrow();
        byte[] b = new byte[1];
        assertTrue(task.cpu().memory().read(at, b, 0, 1));
        b[0] ^= 0x10;
        assertTrue(task.cpu().memory().write(at, b, 0, 1, dev.rewind.hw.mem.Perm.NONE));
        return at;
    }

    /** True if {@code task}'s code segments are its image's. */
    static boolean codeIntact(Task task) {
        for (ElfImage.Segment seg : task.image().segments()) {
            if (seg.exec() && !seg.write() && seg.fileSize() > 0) {
                byte[] want = task.image().segmentBytes(seg);
                byte[] have = new byte[want.length];
                task.cpu().memory().read(seg.vaddr(), have, 0, have.length);
                if (!java.util.Arrays.equals(want, have)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * A nested call leaves the server for good (a network stack's frame, under a checksum computed
     * over bytes a changed memcpy garbled): so the code is checked before it leaves, as before a
     * reply. t_nested: nest's first request calls kv; a bit of nest's code is flipped as the
     * request arrives. The call is stopped before it reaches kv, the request undone, the code
     * restored and the request delivered again; kv is never handed a call that nest made with
     * changed code. (Before, the call left and only the reply's check found the change: the
     * request ran again with kv's answer from its record.)
     */
    @Test
    void changedCodeIsFoundBeforeANestedCallLeavesAndTheCalleeNeverSeesItsCall() throws Exception {
        Task[] nest = {null};
        long[] at = {0};
        java.util.List<Boolean> callerIntactAtCallee = new java.util.ArrayList<>();
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin("t_nested.toml"), new KernelProbe() {
            @Override
            public void requestDelivered(Task task) {
                if (task.name().equals("nest") && at[0] == 0) {
                    nest[0] = task;
                    at[0] = flipUnusedCode(task);
                } else if (task.name().equals("kv") && nest[0] != null && nest[0].replyOwed() != null) {
                    callerIntactAtCallee.add(codeIntact(nest[0]));
                }
            }
        });
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.hasLine("nest_client: ok"), r::toString);
        assertTrue(!callerIntactAtCallee.isEmpty(), "nest called kv: " + r);
        assertTrue(callerIntactAtCallee.stream().allMatch(b -> b), "kv got a call made by changed code: " + r);
        Fault f = r.faults.get(0).fault();
        assertEquals("nest", r.faults.get(0).task(), r::toString);
        assertEquals(
                "code page 0x" + Long.toHexString(at[0] & -4096L)
                        + " differs from the image (checked before a nested call left)",
                f.detail(),
                r.faults.toString());
        RecoveryOutcome.RolledBack out =
                (RecoveryOutcome.RolledBack) r.faults.get(0).outcome();
        assertTrue(out.redelivered(), "the client never saw it");
        assertEquals(0, out.undoneRequests(), "earlier replies were checked: nothing older is replayed");
        assertTrue(r.restarts.isEmpty(), r::toString);
    }

    /**
     * The work after a WAIT_ANY wake is a transaction that commits at the server's next receive,
     * without a reply: its code is checked there, as before a reply. t_wakeback: a bit of the
     * server's code is flipped as its first wake by its notification begins; the wake is undone
     * before it commits, the code restored, and the wake runs again (the server goes on counting
     * the signals). Before, the wake committed whatever the changed code had left in memory.
     */
    @Test
    void changedCodeIsFoundBeforeTheWorkAfterAWakeCommits() throws Exception {
        long[] at = {0};
        java.util.List<Boolean> intactLater = new java.util.ArrayList<>();
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin("t_wakeback.toml"), new KernelProbe() {
            @Override
            public void wokeByNotification(Task task, long bits) {
                if (task.name().equals("wakeback_server") && at[0] == 0) {
                    at[0] = flipUnusedCode(task);
                }
            }

            @Override
            public void requestDelivered(Task task) {
                if (at[0] != 0) {
                    intactLater.add(codeIntact(task));
                }
            }
        });
        assertTrue(at[0] != 0, "the server woke by its notification: " + r);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        assertEquals(
                "code page 0x" + Long.toHexString(at[0] & -4096L)
                        + " differs from the image (checked before the work after a wake committed)",
                r.faults.get(0).fault().detail(),
                r.faults.toString());
        assertInstanceOf(RecoveryOutcome.RolledBack.class, r.faults.get(0).outcome(), r::toString);
        assertTrue(((RecoveryOutcome.RolledBack) r.faults.get(0).outcome()).afterWake(), r::toString);
        assertTrue(!intactLater.isEmpty() && intactLater.stream().allMatch(b -> b), "the code is the image's again");
        assertTrue(r.restarts.isEmpty(), r::toString);
    }
}
