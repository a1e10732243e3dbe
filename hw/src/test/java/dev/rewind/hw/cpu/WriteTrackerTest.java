package dev.rewind.hw.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.PhysicalMemory;
import dev.rewind.hw.mem.WriteTracker;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

/** Both write trackers undo a transaction's stores byte for byte. */
class WriteTrackerTest {
    static final long CODE = 0x10000;
    static final long DATA = 0x20000;
    static final int DATA_SIZE = 4 * 4096;

    static int itype(int op, int f3, int rd, int rs1, int imm) {
        return (imm << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
    }

    /** A loop of {@code n} 8-byte stores to pseudo-random places in the 16 KiB data area, then ecall. */
    static int[] program(int n) {
        int t0 = 5, t1 = 6, t2 = 7, t3 = 28;
        return new int[] {
            (0x20 << 12) | (t0 << 7) | 0x37, // lui t0, 0x20
            itype(0x13, 0, t1, 0, n), // addi t1, zero, n
            itype(0x13, 0, t2, 0, 1234), // addi t2, zero, 1234
            // loop:
            itype(0x13, 1, t3, t2, 2), // slli t3, t2, 2
            (t3 << 20) | (t2 << 15) | (t2 << 7) | 0x33, // add t2, t2, t3
            itype(0x13, 0, t2, t2, 1), // addi t2, t2, 1
            itype(0x13, 1, t3, t2, 50), // slli t3, t2, 50
            itype(0x13, 5, t3, t3, 50), // srli t3, t3, 50
            itype(0x13, 7, t3, t3, -8 & 0xfff), // andi t3, t3, -8
            (t0 << 20) | (t3 << 15) | (t3 << 7) | 0x33, // add t3, t3, t0
            (t2 << 20) | (t3 << 15) | (3 << 12) | 0x23, // sd t2, 0(t3)
            itype(0x13, 0, t1, t1, -1 & 0xfff), // addi t1, t1, -1
            // bnez t1, loop (-36 bytes)
            bne(t1, 0, -36),
            0x00000073, // ecall
        };
    }

    static int bne(int rs1, int rs2, int off) {
        int imm = off & 0x1fff;
        return ((imm >> 12) & 1) << 31
                | ((imm >> 5) & 0x3f) << 25
                | rs2 << 20
                | rs1 << 15
                | 1 << 12
                | ((imm >> 1) & 0xf) << 8
                | ((imm >> 11) & 1) << 7
                | 0x63;
    }

    static byte[] dump(RiscvCpu cpu) {
        byte[] b = new byte[DATA_SIZE];
        assertTrue(cpu.memory().read(DATA, b, 0, b.length));
        return b;
    }

    /** The trackers the loaded engine supports (the protection reference only before Unicorn 2.1). */
    static java.util.List<RiscvCpu.TrackerKind> kinds() {
        java.util.List<RiscvCpu.TrackerKind> k =
                new java.util.ArrayList<>(java.util.List.of(RiscvCpu.TrackerKind.values()));
        if (!RiscvCpu.protectionTrackerWorks()) {
            k.remove(RiscvCpu.TrackerKind.PROTECTION);
        }
        return k;
    }

    @Test
    void theProtectionTrackerIsRefusedWhereItWouldGiveWrongRollbacks() {
        org.junit.jupiter.api.Assumptions.assumeFalse(RiscvCpu.protectionTrackerWorks());
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalStateException.class, () -> cpu.enableWriteTracking(RiscvCpu.TrackerKind.PROTECTION, 64));
            assertTrue(e.getMessage().contains("needs Unicorn 2.0"), e.getMessage());
        }
    }

    @Test
    void withTheVirtualTlbTheDefaultTrackerUsesTheMmuNotAStoreHook() {
        org.junit.jupiter.api.Assumptions.assumeTrue(RiscvCpu.virtualTlbWanted());
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            assertTrue(cpu.virtualTlb());
            WriteTracker t = cpu.enableWriteTracking(RiscvCpu.TrackerKind.NATIVE, 64);
            assertTrue(((dev.rewind.hw.unicorn.NativeWriteTracker) t).usesMmu());
            assertTrue(cpu.virtualTlb(), "tracking keeps the fast TLB");
            long before = cpu.engine().tlbFills();
            assertEquals(4, transaction(cpu, t), "the first store to each of the 4 data pages was caught");
            assertTrue(cpu.engine().tlbFills() > before, "pages were filled again after the flush at begin");
            t.commit();
        }
    }

    static RiscvCpu machine(PhysicalMemory ram) {
        RiscvCpu cpu = new RiscvCpu(ram);
        cpu.memory().map("code", CODE, 4096, Perm.RX);
        cpu.memory().map("data", DATA, DATA_SIZE, Perm.RW);
        int[] prog = program(200);
        ByteBuffer b = ByteBuffer.allocate(prog.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : prog) {
            b.putInt(i);
        }
        cpu.memory().write(CODE, b.array(), 0, b.capacity(), Perm.NONE);
        byte[] fill = new byte[DATA_SIZE];
        new Random(7).nextBytes(fill);
        cpu.memory().write(DATA, fill, 0, fill.length, Perm.NONE);
        return cpu;
    }

    /** Runs one transaction: guest stores plus one kernel write; returns the pages it logged. */
    static int transaction(RiscvCpu cpu, WriteTracker t) {
        t.begin();
        assertEquals(Exit.ECALL, cpu.run(CODE));
        byte[] msg = "kernel copy into the task's memory".getBytes();
        assertTrue(cpu.memory().write(DATA + 4096 * 3 + 100, msg, 0, msg.length));
        return t.pages();
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("kinds")
    void rollbackRestoresEveryByteAndCommitKeepsThem(RiscvCpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            WriteTracker t = cpu.enableWriteTracking(kind, 64);
            byte[] before = dump(cpu);
            int pages = transaction(cpu, t);
            assertEquals(4, pages, "every data page was written");
            byte[] dirty = dump(cpu);
            assertFalse(java.util.Arrays.equals(before, dirty));
            assertEquals(4, t.rollback());
            assertArrayEquals(before, dump(cpu), "rollback restores the pre-image");

            transaction(cpu, t);
            t.commit();
            byte[] committed = dump(cpu);
            assertArrayEquals(dirty, committed, "the same run from the same state writes the same bytes");
            // A later transaction undoes only its own writes.
            transaction(cpu, t);
            t.rollback();
            assertArrayEquals(committed, dump(cpu));
        }
    }

    @Test
    void allTrackersGiveByteIdenticalRollbacks() {
        byte[][] after = new byte[RiscvCpu.TrackerKind.values().length][];
        int n = 0;
        for (RiscvCpu.TrackerKind kind : kinds()) {
            try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                    RiscvCpu cpu = machine(ram)) {
                WriteTracker t = cpu.enableWriteTracking(kind, 64);
                transaction(cpu, t);
                t.commit();
                // State now differs from the initial fill; a second transaction is rolled back.
                transaction(cpu, t);
                t.rollback();
                after[n++] = dump(cpu);
            }
        }
        assertTrue(n >= 2, "at least two trackers compared");
        for (int k = 1; k < n; k++) {
            assertArrayEquals(after[0], after[k], kinds().get(k) + " differs from " + kinds().get(0));
        }
    }

    /** The page addresses of a {@link WriteTracker#changedPages} list. */
    static long[] pagesOf(long[] changed) {
        long[] p = new long[changed.length / 2];
        for (int i = 0; i < p.length; i++) {
            p[i] = changed[2 * i];
        }
        return p;
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("kinds")
    void changedPagesListWhatDiffersFromThePreImageNotWhatWasLogged(RiscvCpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            WriteTracker t = cpu.enableWriteTracking(kind, 64);
            byte[] held = new byte[8];
            assertTrue(cpu.memory().read(DATA + 4096 * 2 + 8, held, 0, 8));
            long[][] runs = new long[3][];
            for (int run = 0; run < 3; run++) {
                t.begin();
                t.logRange(DATA, 4096); // logged, left as it was
                assertTrue(cpu.memory().write(DATA + 4096 * 2 + 8, held, 0, 8)); // written, the same bytes
                byte[] b = {1, 2, (byte) (run == 2 ? 4 : 3)};
                assertTrue(cpu.memory().write(DATA + 4096 * 3 + 100, b, 0, b.length));
                assertTrue(cpu.memory().write(DATA + 4096 + 7, b, 0, 1));
                assertTrue(t.pages() >= 3, "pages 0, 1 (and 2, 3) logged: " + t.pages());
                runs[run] = t.changedPages();
                t.rollback();
            }
            long[] pages = pagesOf(runs[0]);
            java.util.Arrays.sort(pages);
            assertArrayEquals(new long[] {DATA + 4096, DATA + 4096 * 3}, pages, "only the pages that now differ");
            assertArrayEquals(runs[0], runs[1], "the same writes from the same pre-state: the same list");
            assertArrayEquals(pagesOf(runs[0]), pagesOf(runs[2]));
            assertFalse(java.util.Arrays.equals(runs[0], runs[2]), "one byte otherwise: another hash");
            t.begin();
            assertEquals(0, t.changedPages().length, "nothing written yet");
            t.commit();
        }
    }

    @Test
    void aFullLogIsReportedAsOverflow() {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            WriteTracker t = cpu.enableWriteTracking(RiscvCpu.TrackerKind.NATIVE, 2);
            transaction(cpu, t);
            assertTrue(t.overflowed());
            assertEquals(2, t.pages());
            t.commit();
            assertFalse(t.overflowed());
        }
    }

    /** Writes {@code value} over the whole page {@code page} of the data area, as the kernel would. */
    static void fillPage(RiscvCpu cpu, WriteTracker t, int page, byte value) {
        byte[] b = new byte[4096];
        java.util.Arrays.fill(b, value);
        t.begin();
        assertTrue(cpu.memory().write(DATA + 4096L * page, b, 0, b.length));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("kinds")
    void historyUndoesCommittedTransactionsNewestFirst(RiscvCpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            WriteTracker t = cpu.enableWriteTracking(kind, 64);
            t.keepHistory(8);
            byte[] s0 = dump(cpu);
            transaction(cpu, t);
            t.commit();
            byte[] s1 = dump(cpu);
            fillPage(cpu, t, 2, (byte) 0x11);
            t.commit();
            byte[] s2 = dump(cpu);
            transaction(cpu, t); // state differs from s2: another round of the program
            t.commit();
            assertEquals(3, t.history());
            fillPage(cpu, t, 1, (byte) 0x22); // the open transaction is rolled back first
            t.rollback();
            // The newest commit logged the four data pages, but only page 2 (filled with 0x11
            // before) changed: the others were written with what they held. The native tracker
            // keeps no record of a page left as it was (its whole pre-image is not due: that is
            // every 16th commit); the protection tracker (2.0.1) keeps every page whole.
            if (kind == RiscvCpu.TrackerKind.PROTECTION) {
                assertEquals(4, t.historyPages(0).length);
                assertEquals(4, t.undoHistory(1), "the four pages the newest commit logged");
            } else {
                assertArrayEquals(new long[] {DATA + 4096L * 2}, t.historyPages(0));
                assertEquals(1, t.undoHistory(1), "the one page the newest commit changed");
            }
            assertArrayEquals(s2, dump(cpu), "one commit undone");
            assertEquals(2, t.history());
            t.undoHistory(5);
            assertArrayEquals(s0, dump(cpu), "every kept commit undone");
            assertEquals(0, t.history());
            // After undoing, new transactions are kept again and undone exactly.
            transaction(cpu, t);
            t.commit();
            assertArrayEquals(s1, dump(cpu), "the same program from the same state");
            t.undoHistory(1);
            assertArrayEquals(s0, dump(cpu));
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("kinds")
    void historyKeepsOnlyTheNewestTransactionsAndCanBeDropped(RiscvCpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            WriteTracker t = cpu.enableWriteTracking(kind, 64);
            byte[] s0 = dump(cpu);
            t.keepHistory(2);
            for (int i = 0; i < 3; i++) {
                fillPage(cpu, t, i, (byte) (i + 1));
                t.commit();
            }
            assertEquals(2, t.history(), "the oldest was forgotten");
            assertEquals(2, t.undoHistory(2));
            byte[] now = dump(cpu);
            assertEquals(1, now[0], "page 0's commit is no longer undoable");
            assertEquals(s0[4096], now[4096], "the two newest were undone");
            assertEquals(s0[8192], now[8192]);
            fillPage(cpu, t, 0, (byte) 9);
            t.commit();
            t.dropHistory();
            assertEquals(0, t.history());
            assertEquals(0, t.undoHistory(1));
            assertEquals(9, dump(cpu)[0]);
        }
    }

    @Test
    void theNativeHistoryForgetsOldTransactionsToMakeRoom() {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            // A log of 3 pages keeps 3 * 2048 bytes of history: one whole-page change fits.
            WriteTracker t = cpu.enableWriteTracking(RiscvCpu.TrackerKind.NATIVE, 3);
            t.keepHistory(100);
            byte[] s0 = dump(cpu);
            for (int i = 0; i < 4; i++) {
                fillPage(cpu, t, i, (byte) (i + 1)); // every byte of the page changes
                assertFalse(t.overflowed());
                t.commit();
            }
            assertEquals(1, t.history(), "each commit evicted the one before it");
            // A small change to the page whose whole record is kept fits beside it (only the
            // changed word is kept): nothing more is evicted.
            t.begin();
            cpu.memory().write(DATA + 3 * 4096 + 5, new byte[] {7}, 0, 1);
            t.commit();
            assertEquals(2, t.history());
            assertEquals(2, t.undoHistory(2), "two transactions of one page each");
            byte[] now = dump(cpu);
            assertEquals(3, now[2 * 4096], "page 2's commit was forgotten, so it stays");
            assertArrayEquals(
                    java.util.Arrays.copyOfRange(s0, 3 * 4096, 4 * 4096),
                    java.util.Arrays.copyOfRange(now, 3 * 4096, 4 * 4096),
                    "page 3's two commits were undone");
        }
    }

    @Test
    void theHistoryKeepsWhatChangedNotWholePages() {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            // A log of 4 + 60 pages: as whole pages, at most 64 transactions could be kept; as
            // changed words (and each page whole every 16 commits) more are.
            WriteTracker t = cpu.enableWriteTracking(RiscvCpu.TrackerKind.NATIVE, 4, 60);
            t.keepHistory(300);
            byte[] s0 = dump(cpu);
            java.util.Random rnd = new java.util.Random(5);
            java.util.List<byte[]> states = new java.util.ArrayList<>();
            for (int i = 0; i < 300; i++) {
                states.add(dump(cpu));
                t.begin();
                for (int k = 0; k < 3; k++) { // scattered: runs in several places of a page
                    byte[] w = new byte[1 + rnd.nextInt(12)];
                    rnd.nextBytes(w);
                    long at = DATA + rnd.nextInt(DATA_SIZE - w.length);
                    if (((at + w.length - 1) & -4096L) != (at & -4096L)) {
                        at &= -4096L;
                    }
                    assertTrue(cpu.memory().write(at, w, 0, w.length));
                }
                assertFalse(t.overflowed());
                t.commit();
            }
            int kept = t.history();
            assertTrue(kept > 64, "kept " + kept + " transactions of 300");
            // Every kept transaction reads back the pre-image of what it logged.
            for (int back = 0; back < kept; back++) {
                byte[] before = states.get(states.size() - 1 - back);
                for (long page : t.historyPages(back)) {
                    byte[] b = new byte[4096];
                    assertTrue(t.historyRead(back, page, b, 0, 4096));
                    int off = (int) (page - DATA);
                    assertArrayEquals(java.util.Arrays.copyOfRange(before, off, off + 4096), b, "back " + back);
                }
            }
            t.undoHistory(kept);
            assertArrayEquals(states.get(states.size() - kept), dump(cpu), "undone to before the oldest kept");
            assertTrue(kept < 300 || java.util.Arrays.equals(s0, dump(cpu)));
        }
    }

    @Test
    void undoingPastAWholeRecordAlsoUndoesAChangeMadeOutsideTransactions() {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            WriteTracker t = cpu.enableWriteTracking(RiscvCpu.TrackerKind.NATIVE, 4, 60);
            t.keepHistory(100);
            byte[] s0 = dump(cpu);
            t.begin(); // the page's first record: whole
            cpu.memory().write(DATA + 8, new byte[] {1}, 0, 1);
            t.commit();
            // A bit flips between requests: no transaction sees it.
            byte[] b = new byte[1];
            cpu.memory().read(DATA + 2000, b, 0, 1);
            b[0] ^= 4;
            cpu.memory().write(DATA + 2000, b, 0, 1, dev.rewind.hw.mem.Perm.NONE);
            t.begin(); // a record of changed words only
            cpu.memory().write(DATA + 16, new byte[] {2}, 0, 1);
            t.commit();
            byte[] w = new byte[1];
            assertTrue(t.historyRead(0, DATA + 2000, w, 0, 1));
            assertEquals(b[0], w[0], "the newer record has the flipped byte as it found it");
            assertTrue(t.historyRead(1, DATA + 2000, w, 0, 1));
            assertEquals(s0[2000], w[0], "the whole record has it as it was");
            t.undoHistory(1);
            assertEquals(b[0], dump(cpu)[2000], "undoing the newer only keeps the flip");
            t.undoHistory(1);
            assertArrayEquals(s0, dump(cpu), "undoing past the whole record undoes the flip too");
        }
    }

    @Test
    void historyPagesWidenTheHistoryButNotWhatOneTransactionMayLog() {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            // (2 + 4) * 2048 bytes of history: two whole-page changes fit, not three.
            WriteTracker t = cpu.enableWriteTracking(RiscvCpu.TrackerKind.NATIVE, 2, 4);
            t.keepHistory(100);
            for (int i = 0; i < 4; i++) {
                fillPage(cpu, t, i, (byte) (i + 1));
                t.commit();
            }
            assertEquals(2, t.history());
            t.begin();
            for (int p = 0; p < 3; p++) {
                cpu.memory().write(DATA + 4096L * p + 9, new byte[] {5}, 0, 1);
            }
            assertTrue(t.overflowed(), "the third page is over the transaction's own limit of 2");
            t.rollback();
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("kinds")
    void keptTransactionsTellWhatTheyWroteAndWhatWasThereBefore(RiscvCpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = machine(ram)) {
            WriteTracker t = cpu.enableWriteTracking(kind, 64, 64);
            t.keepHistory(8);
            byte[] s0 = dump(cpu);
            fillPage(cpu, t, 1, (byte) 11); // oldest: page 1
            t.commit();
            fillPage(cpu, t, 2, (byte) 22); // newest: page 2
            t.commit();
            assertEquals(2, t.history());
            assertTrue(java.util.Arrays.stream(t.historyPages(0)).anyMatch(p -> p == DATA + 2 * 4096));
            assertTrue(java.util.Arrays.stream(t.historyPages(1)).anyMatch(p -> p == DATA + 4096));
            assertEquals(0, t.historyPages(2).length, "no third transaction is kept");
            byte[] b = new byte[8];
            assertTrue(t.historyRead(0, DATA + 2 * 4096 + 16, b, 0, 8));
            assertArrayEquals(java.util.Arrays.copyOfRange(s0, 2 * 4096 + 16, 2 * 4096 + 24), b);
            assertTrue(t.historyRead(1, DATA + 4096 + 100, b, 0, 8));
            assertArrayEquals(java.util.Arrays.copyOfRange(s0, 4096 + 100, 4096 + 108), b);
            if (kind != RiscvCpu.TrackerKind.PROTECTION) { // (that one saves whole regions)
                assertFalse(t.historyRead(0, DATA + 4096 + 100, b, 0, 8), "the newest did not write page 1");
            }
            assertFalse(t.historyRead(0, DATA + 4096 - 4, b, 0, 8), "a read across a page boundary");
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {64, 1024})
    void allTrackersGiveByteIdenticalHistoryUndo(int logPages) {
        // (a log over 1 MiB is filled with non-temporal stores when it keeps a history)
        byte[][] after = new byte[RiscvCpu.TrackerKind.values().length][];
        int n = 0;
        for (RiscvCpu.TrackerKind kind : kinds()) {
            try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                    RiscvCpu cpu = machine(ram)) {
                WriteTracker t = cpu.enableWriteTracking(kind, logPages);
                t.keepHistory(4);
                for (int i = 0; i < 3; i++) {
                    transaction(cpu, t);
                    t.commit();
                }
                fillPage(cpu, t, 3, (byte) 5);
                t.rollback();
                t.undoHistory(2);
                after[n++] = dump(cpu);
            }
        }
        assertTrue(n >= 2, "at least two trackers compared");
        for (int k = 1; k < n; k++) {
            assertArrayEquals(after[0], after[k], kinds().get(k) + " differs from " + kinds().get(0));
        }
    }
}
