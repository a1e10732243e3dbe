package dev.rewind.hw.mem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.RiscvCpu;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Mapping failures leave no trace; trackers follow any number of regions; frames come back zeroed. */
class AddressSpaceTest {
    /** A tracker that refuses regions whose name starts with "bad". */
    static final class Refusing implements WriteTracker {
        public void begin() {}

        public boolean active() {
            return false;
        }

        public void logRange(long vaddr, long len) {}

        public int pages() {
            return 0;
        }

        public long[] loggedPages() {
            return new long[0];
        }

        public boolean overflowed() {
            return false;
        }

        public void commit() {}

        public int rollback() {
            return 0;
        }

        public long restores() {
            return 0;
        }

        public void keepHistory(int transactions) {}

        public int history() {
            return 0;
        }

        public int undoHistory(int n) {
            return 0;
        }

        public void dropHistory() {}

        public void close() {}

        public void regionMapped(Region r, long hostAddress) {
            if (r.name().startsWith("bad")) {
                throw new IllegalStateException("refused " + r);
            }
        }
    }

    @Test
    void aMappingTheTrackerRefusesLeavesNothingBehind() {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = new RiscvCpu(ram)) {
            AddressSpace space = cpu.memory();
            space.map("a", 0x10000, 0x2000, Perm.RW);
            space.setTracker(new Refusing());
            int free = ram.freeFrames();
            assertThrows(IllegalStateException.class, () -> space.map("bad", 0x20000, 0x3000, Perm.RW));
            assertEquals(1, space.regions().size(), "the refused region is not listed");
            assertEquals(free, ram.freeFrames(), "its frames are free again");
            // nor left mapped in the engine: the same range maps again
            space.map("b", 0x20000, 0x3000, Perm.RW);
            space.clear(); // used to fail with "double free of frame"
            assertEquals(ram.size() / PhysicalMemory.PAGE_SIZE, ram.freeFrames());
        }
    }

    @Test
    void theNativeTrackerFollowsHundredsOfRegions() {
        try (PhysicalMemory ram = new PhysicalMemory(4 << 20);
                RiscvCpu cpu = new RiscvCpu(ram)) {
            AddressSpace space = cpu.memory();
            WriteTracker t = cpu.enableWriteTracking(RiscvCpu.TrackerKind.NATIVE, 1024);
            int n = 300;
            byte[] before = new byte[100];
            Arrays.fill(before, (byte) 0x11);
            for (int i = 0; i < n; i++) {
                long va = 0x100000L + 0x2000L * i; // a gap between regions: one region each
                space.map("r" + i, va, 0x1000, Perm.RW);
                assertTrue(space.write(va + 8, before, 0, before.length));
            }
            assertEquals(n, space.regions().size());
            byte[] after = new byte[100];
            Arrays.fill(after, (byte) 0x77);
            t.begin();
            for (int i = 0; i < n; i++) {
                assertTrue(space.write(0x100000L + 0x2000L * i + 8, after, 0, after.length));
            }
            assertEquals(n, t.pages());
            assertEquals(n, t.rollback());
            byte[] b = new byte[100];
            for (int i = 0; i < n; i++) {
                assertTrue(space.read(0x100000L + 0x2000L * i + 8, b, 0, b.length));
                assertArrayEquals(before, b, "region " + i);
            }
        }
    }

    @Test
    void aSpaceHoldsAtMostMaxRegionsAndRefusesMoreAsOutOfMemory() {
        try (PhysicalMemory ram = new PhysicalMemory(8 << 20);
                RiscvCpu cpu = new RiscvCpu(ram)) {
            AddressSpace space = cpu.memory();
            for (int i = 0; i < AddressSpace.MAX_REGIONS; i++) {
                space.map("r" + i, 0x100000L + 0x2000L * i, 0x1000, Perm.RW);
            }
            int free = ram.freeFrames();
            long next = 0x100000L + 0x2000L * AddressSpace.MAX_REGIONS;
            OutOfMemoryException e =
                    assertThrows(OutOfMemoryException.class, () -> space.map("more", next, 0x1000, Perm.RW));
            assertTrue(e.getMessage().contains("out of mappings"), e.getMessage());
            assertEquals(AddressSpace.MAX_REGIONS, space.regions().size());
            assertEquals(free, ram.freeFrames(), "nothing allocated for the refused region");
            byte[] b = {1, 2, 3};
            assertTrue(space.write(next - 0x2000L + 8, b, 0, 3), "the last region still works");
        }
    }

    @Test
    void framesComeBackZeroed() {
        try (PhysicalMemory ram = new PhysicalMemory(64 * PhysicalMemory.PAGE_SIZE)) {
            long p = ram.allocate(64);
            byte[] junk = new byte[64 * PhysicalMemory.PAGE_SIZE];
            Arrays.fill(junk, (byte) 0x5a);
            ram.buffer().put((int) p, junk);
            ram.free(p + 3 * PhysicalMemory.PAGE_SIZE, 10);
            long q = ram.allocate(10);
            assertEquals(p + 3 * PhysicalMemory.PAGE_SIZE, q);
            byte[] got = new byte[10 * PhysicalMemory.PAGE_SIZE];
            ram.buffer().get((int) q, got);
            assertArrayEquals(new byte[got.length], got);
            byte[] next = new byte[PhysicalMemory.PAGE_SIZE];
            ram.buffer().get((int) (q + 10 * PhysicalMemory.PAGE_SIZE), next);
            assertEquals((byte) 0x5a, next[0], "frames still in use keep their contents");
        }
    }

    /**
     * The read-only epoch moves at every host write into memory the guest cannot write and at
     * every rollback, and at nothing else: code found intact at one value is intact while it
     * stays (CodeImage skips its compare then).
     */
    @ParameterizedTest
    @EnumSource(Cpu.TrackerKind.class)
    void theReadOnlyEpochMovesAtHostWritesToReadOnlyMemoryAndAtRestores(Cpu.TrackerKind kind) {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = new RiscvCpu(ram)) {
            AddressSpace space = cpu.memory();
            space.map("code", 0x10000, 0x2000, Perm.RX);
            space.map("data", 0x12000, 0x2000, Perm.RW); // right after the code
            byte[] b = {1, 2, 3};
            long e0 = space.readOnlyEpoch();
            assertTrue(space.write(0x12010, b, 0, b.length));
            assertEquals(e0, space.readOnlyEpoch(), "a write where the guest may write");
            assertFalse(space.write(0x10010, b, 0, b.length), "needs WRITE by default");
            assertEquals(e0, space.readOnlyEpoch(), "a refused write");
            assertTrue(space.write(0x10010, b, 0, b.length, Perm.NONE));
            long e1 = space.readOnlyEpoch();
            assertNotEquals(e0, e1, "a host write into code (a loader, a debugger, a bit flip)");
            assertTrue(space.write(0x11ffe, b, 0, b.length, Perm.NONE), "a write from the code into the data");
            long e2 = space.readOnlyEpoch();
            assertNotEquals(e1, e2);

            WriteTracker t;
            try {
                t = cpu.enableWriteTracking(kind, 64);
            } catch (IllegalStateException e) {
                assumeTrue(false, e.getMessage()); // (the protection tracker needs Unicorn 2.0)
                return;
            }
            long tracked = space.readOnlyEpoch();
            assertTrue(tracked > e2, "a new tracker");
            t.begin();
            assertTrue(space.write(0x12010, b, 0, b.length));
            t.commit();
            assertEquals(tracked, space.readOnlyEpoch(), "a commit changes nothing");
            t.begin();
            assertTrue(space.write(0x12010, new byte[3], 0, 3));
            t.rollback();
            long e3 = space.readOnlyEpoch();
            assertNotEquals(tracked, e3, "a rollback may put back any page it logged");
            t.keepHistory(4);
            t.begin();
            assertTrue(space.write(0x12010, b, 0, b.length));
            t.commit();
            assertEquals(e3, space.readOnlyEpoch());
            t.undoHistory(1);
            long e4 = space.readOnlyEpoch();
            assertNotEquals(e3, e4, "so may an undo of committed transactions");
            space.setTracker(new Refusing()); // (a tracker whose count starts again at 0)
            assertTrue(space.readOnlyEpoch() > e4, "the epoch never returns to a value it had");
        }
    }
}
