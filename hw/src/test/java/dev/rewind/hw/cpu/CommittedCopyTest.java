package dev.rewind.hw.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.mem.PhysicalMemory;
import dev.rewind.hw.mem.WriteTracker;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The native tracker's committed copy ({@link WriteTracker#keepCopy}): memory as the last commit
 * left it, kept with the MMU's fill hook (Unicorn 2.1) and with the store hook (2.0.1) alike.
 * A change no transaction made (a flip written past the tracker) is found and put back; what a
 * transaction, a history undo or the host wrote is not.
 */
class CommittedCopyTest {
    static List<RiscvCpu.TrackerKind> kinds() {
        return List.of(RiscvCpu.TrackerKind.NATIVE, RiscvCpu.TrackerKind.STORE_HOOK);
    }

    static final long[] OUT = new long[8];

    /** Flips bit 0 of the byte at {@code addr} in memory itself (as the fault injector does). */
    static void flip(RiscvCpu cpu, long addr) {
        byte[] b = new byte[1];
        assertTrue(cpu.memory().read(addr, b, 0, 1));
        b[0] ^= 1;
        assertTrue(cpu.memory().writeUnlogged(addr, b, 0, 1));
    }

    /** A byte of the data area that one run of the program leaves as it found it. */
    static long untouchedByte(RiscvCpu cpu, WriteTracker t) {
        byte[] before = WriteTrackerTest.dump(cpu);
        WriteTrackerTest.transaction(cpu, t);
        byte[] after = WriteTrackerTest.dump(cpu);
        t.rollback();
        for (int i = 4096 + 8; i < before.length; i += 8) {
            boolean same = true;
            for (int k = -8; k < 16; k++) {
                same &= before[i + k] == after[i + k];
            }
            if (same) {
                return WriteTrackerTest.DATA + i;
            }
        }
        throw new AssertionError("the program writes every word");
    }

    static WriteTracker tracked(RiscvCpu cpu, RiscvCpu.TrackerKind kind) {
        WriteTracker t = cpu.enableWriteTracking(kind, 64, 64);
        t.keepHistory(8);
        t.keepCopy(true);
        assertTrue(t.keepsCopy());
        assertEquals(-1, t.compareWithCopy(OUT), "made when the first transaction begins");
        return t;
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void aFlipBetweenTransactionsIsPutBackAndCommittedWritesAreNot(RiscvCpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            WriteTracker t = tracked(cpu, kind);
            WriteTrackerTest.transaction(cpu, t);
            t.commit();
            assertEquals(0, t.compareWithCopy(OUT), "the commit's writes are in the copy");
            byte[] committed = WriteTrackerTest.dump(cpu);
            long at = WriteTrackerTest.DATA + 2 * 4096 + 77;
            flip(cpu, at);
            assertEquals(1, t.compareWithCopy(OUT));
            assertEquals(at & -4096L, OUT[0]);
            assertEquals(1, t.healFromCopy(OUT));
            assertArrayEquals(committed, WriteTrackerTest.dump(cpu));
            assertEquals(0, t.healFromCopy(OUT));
        }
    }

    /**
     * A page logged as it matches its copy takes the copy as its pre-image (not a copy of its
     * own): rollbacks, commits, the history's undo and each commit's update of the copy must
     * leave memory exactly as a tracker with no copy does, step by step.
     */
    @ParameterizedTest
    @MethodSource("kinds")
    void pagesWhoseCopyIsTheirPreImageRollBackAndKeepHistoryAsCopiedOnesDo(RiscvCpu.TrackerKind kind) {
        List<byte[]> with = steps(kind, true);
        List<byte[]> without = steps(kind, false);
        assertEquals(without.size(), with.size());
        for (int i = 0; i < with.size(); i++) {
            assertArrayEquals(without.get(i), with.get(i), "memory after step " + i);
        }
    }

    /** Memory after each step of one sequence of transactions, with or without the copy. */
    private static List<byte[]> steps(RiscvCpu.TrackerKind kind, boolean copy) {
        List<byte[]> after = new java.util.ArrayList<>();
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            WriteTracker t = cpu.enableWriteTracking(kind, 64, 64);
            t.keepHistory(8);
            t.keepCopy(copy);
            WriteTrackerTest.transaction(cpu, t);
            t.commit();
            after.add(WriteTrackerTest.dump(cpu));
            for (int round = 0; round < 3; round++) {
                WriteTrackerTest.transaction(cpu, t); // (logs the pages the first one wrote)
                assertEquals(-1, t.copyCheck(), "each logged page matched its copy");
                assertEquals(4, t.rollback());
                after.add(WriteTrackerTest.dump(cpu));
                WriteTrackerTest.fillPage(cpu, t, 1 + round, (byte) (0x21 * (round + 1)));
                t.commit();
                after.add(WriteTrackerTest.dump(cpu));
                WriteTrackerTest.transaction(cpu, t);
                t.commit();
                after.add(WriteTrackerTest.dump(cpu));
            }
            assertTrue(t.undoHistory(4) > 0);
            after.add(WriteTrackerTest.dump(cpu));
            if (copy) {
                assertEquals(0, t.compareWithCopy(OUT), "the copy went back with memory");
            }
            WriteTrackerTest.transaction(cpu, t);
            t.rollback();
            after.add(WriteTrackerTest.dump(cpu));
        }
        return after;
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void aFlipInAPageATransactionThenWritesStaysOutOfTheCopy(RiscvCpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            WriteTracker t = tracked(cpu, kind);
            WriteTrackerTest.transaction(cpu, t);
            t.commit();
            long at = untouchedByte(cpu, t);
            byte[] clean = WriteTrackerTest.dump(cpu);
            // Flipped before the next transaction, which logs the page (its pre-image holds the
            // flip), writes other words of it and commits: the copy keeps the clean byte.
            flip(cpu, at);
            WriteTrackerTest.transaction(cpu, t);
            t.commit();
            byte[] expected = WriteTrackerTest.dump(cpu);
            int i = (int) (at - WriteTrackerTest.DATA);
            expected[i] = clean[i];
            assertEquals(1, t.healFromCopy(OUT));
            assertEquals(at & -4096L, OUT[0]);
            assertArrayEquals(expected, WriteTrackerTest.dump(cpu));
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void anUndoOfTheHistoryTakesTheCopyBackWithMemory(RiscvCpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            WriteTracker t = tracked(cpu, kind);
            WriteTrackerTest.transaction(cpu, t);
            t.commit();
            byte[] first = WriteTrackerTest.dump(cpu);
            long at = WriteTrackerTest.DATA + 3 * 4096 + 2000;
            flip(cpu, at); // (in a page the second transaction writes too)
            WriteTrackerTest.fillPage(cpu, t, 1, (byte) 0x5a);
            t.commit();
            assertEquals(1, t.undoHistory(1));
            assertEquals(1, t.healFromCopy(OUT), "the flip, not the undone page");
            assertEquals(at & -4096L, OUT[0]);
            assertArrayEquals(first, WriteTrackerTest.dump(cpu));
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void theHostsWritesOutsideATransactionAreInTheCopy(RiscvCpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            WriteTracker t = tracked(cpu, kind);
            WriteTrackerTest.transaction(cpu, t);
            t.commit();
            byte[] msg = "a request's message, written before its transaction".getBytes();
            assertTrue(cpu.memory().write(WriteTrackerTest.DATA + 4096 - 10, msg, 0, msg.length));
            assertEquals(0, t.compareWithCopy(OUT));
            t.begin();
            t.rollback(); // (with the MMU, the pages logged up front at the begin are put back)
            assertEquals(0, t.healFromCopy(OUT));
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void aCopyThatWentStaleIsMadeAgainOnlyAfterSomeCommits(RiscvCpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            WriteTracker t = tracked(cpu, kind);
            WriteTrackerTest.transaction(cpu, t);
            t.commit();
            assertEquals(1, t.copySyncs());
            t.copyStale(); // (the guest ran outside a transaction)
            assertEquals(-1, t.healFromCopy(OUT), "a stale copy puts nothing back");
            int commits = 1;
            while (t.copySyncs() == 1) {
                WriteTrackerTest.transaction(cpu, t);
                t.commit();
                commits++;
                assertTrue(commits < 1000);
            }
            assertEquals(65, commits, "made again at the first begin 64 commits after the last sync");
            assertEquals(0, t.compareWithCopy(OUT));
        }
    }
}
