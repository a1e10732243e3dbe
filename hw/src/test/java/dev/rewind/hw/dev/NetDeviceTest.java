package dev.rewind.hw.dev;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The network card (DEVICES.md, "Network card"): registers, rings, filters, bounds, RESET, misuse. */
class NetDeviceTest {
    static final long BASE = 0x10_0000;
    static final long TX_RING = BASE, RX_RING = BASE + 0x1000;
    static final long TX_BUFS = BASE + 0x2000, RX_BUFS = BASE + 0x10000;
    static final long MAC = NetDevice.DEFAULT_MAC;
    static final byte[] MAC_BYTES = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

    /** A backend that records what the card sends and lets the test deliver frames. */
    static final class TestBackend implements NetBackend {
        final List<byte[]> sent = new CopyOnWriteArrayList<>();
        FrameSink sink;
        volatile boolean up;
        boolean closed;

        @Override
        public void start(FrameSink toGuest) {
            sink = toGuest;
            up = true;
        }

        @Override
        public void send(byte[] frame, int len) {
            sent.add(java.util.Arrays.copyOf(frame, len));
        }

        @Override
        public boolean linkUp() {
            return up;
        }

        final AtomicInteger roomCalls = new AtomicInteger();

        @Override
        public void sinkHasRoom() {
            roomCalls.incrementAndGet();
        }

        @Override
        public void close() {
            closed = true;
            up = false;
        }
    }

    Fakes.Dma dma;
    Fakes.Irq irq;
    TestBackend backend;
    NetDevice dev;
    AtomicInteger wakeups;

    @BeforeEach
    void setUp() {
        dma = new Fakes.Dma(BASE, 0x40000);
        irq = new Fakes.Irq();
        backend = new TestBackend();
        dev = new NetDevice("eth0", MAC, backend);
        dev.attach(irq);
        dev.setDma(dma);
        wakeups = new AtomicInteger();
        dev.setWakeup(wakeups::incrementAndGet);
        dev.start();
    }

    ByteBuffer mem() {
        return ByteBuffer.wrap(dma.mem).order(ByteOrder.LITTLE_ENDIAN);
    }

    void desc(long ring, int slot, long addr, int len, int flags) {
        int o = (int) (ring - BASE) + slot * 16;
        mem().putLong(o, addr).putInt(o + 8, len).putInt(o + 12, flags);
    }

    long descAddr(long ring, int slot) {
        return mem().getLong((int) (ring - BASE) + slot * 16);
    }

    int descLen(long ring, int slot) {
        return mem().getInt((int) (ring - BASE) + slot * 16 + 8);
    }

    int descFlags(long ring, int slot) {
        return mem().getInt((int) (ring - BASE) + slot * 16 + 12);
    }

    void expectError(int code) {
        assertEquals(code, dev.read(Device.ERROR, 4));
    }

    void setUpRings(int txSize, int rxSize) {
        dev.write(NetDevice.TX_RING, 8, TX_RING);
        dev.write(NetDevice.RX_RING, 8, RX_RING);
        dev.write(NetDevice.TX_SIZE, 4, txSize);
        dev.write(NetDevice.RX_SIZE, 4, rxSize);
        dev.write(NetDevice.ENABLE, 4, NetDevice.ENABLE_RX | NetDevice.ENABLE_TX);
        expectError(0);
        dev.write(Device.IRQ_ENABLE, 4, 7);
    }

    /** Posts RX buffers in slots [from, to) of 2048 bytes each. */
    void postRx(int from, int to, int cap) {
        for (int s = from; s < to; s++) {
            desc(RX_RING, s, RX_BUFS + s * 2048L, cap, 0);
        }
        dev.write(NetDevice.RX_TAIL, 4, to);
    }

    static byte[] frame(byte[] dst, int len, int seed) {
        byte[] f = new byte[len];
        new Random(seed).nextBytes(f);
        System.arraycopy(dst, 0, f, 0, 6);
        return f;
    }

    byte[] rxBuffer(int slot, int len) {
        byte[] b = new byte[len];
        System.arraycopy(dma.mem, (int) (RX_BUFS - BASE) + slot * 2048, b, 0, len);
        return b;
    }

    @Test
    void identificationAndPowerOn() {
        assertEquals(4, dev.read(Device.DEVICE_ID, 4));
        assertEquals(MAC, dev.read(NetDevice.MAC, 8));
        assertEquals(0, dev.read(NetDevice.FILTER, 4));
        assertEquals(1514, dev.read(NetDevice.MTU, 4));
        assertEquals(NetDevice.STATUS_LINK_UP, dev.read(Device.STATUS, 4));
        assertEquals("52:54:00:12:34:56", NetDevice.formatMac(MAC));
        assertEquals(MAC, NetDevice.parseMac("52:54:00:12:34:56"));
        assertEquals("52:54:00:12:34:58", NetDevice.formatMac(NetDevice.defaultMac(2)));
        assertThrows(IllegalArgumentException.class, () -> NetDevice.parseMac("53:54:00:12:34:56"));
        assertThrows(IllegalArgumentException.class, () -> NetDevice.parseMac("52:54:00:12:34"));
        assertThrows(IllegalArgumentException.class, () -> NetDevice.parseMac("52:54:00:12:34:5g"));
        assertFalse(new NetDevice("x", MAC, null).mayInterruptUnprompted(), "no cable");
        assertEquals(0, new NetDevice("x", MAC, null).read(Device.STATUS, 4), "no cable: LINK_UP 0");
    }

    /** Every 4-byte word of the first 0x80 bytes: readable/writable as the register table says. */
    @Test
    void registerMap() {
        // offset -> {width, access (1 R, 2 W, 3 RW)}
        Map<Integer, int[]> regs = Map.ofEntries(
                Map.entry(0x00, new int[] {4, 1}),
                Map.entry(0x04, new int[] {4, 1}),
                Map.entry(0x08, new int[] {4, 1}),
                Map.entry(0x0c, new int[] {4, 1}),
                Map.entry(0x10, new int[] {4, 1}),
                Map.entry(0x14, new int[] {4, 3}),
                Map.entry(0x18, new int[] {4, 3}),
                Map.entry(0x1c, new int[] {4, 2}),
                Map.entry(0x20, new int[] {8, 3}),
                Map.entry(0x28, new int[] {4, 3}),
                Map.entry(0x2c, new int[] {4, 1}),
                Map.entry(0x30, new int[] {8, 3}),
                Map.entry(0x38, new int[] {8, 3}),
                Map.entry(0x40, new int[] {4, 3}),
                Map.entry(0x44, new int[] {4, 3}),
                Map.entry(0x48, new int[] {4, 3}),
                Map.entry(0x4c, new int[] {4, 1}),
                Map.entry(0x50, new int[] {4, 3}),
                Map.entry(0x54, new int[] {4, 1}),
                Map.entry(0x58, new int[] {4, 3}),
                Map.entry(0x60, new int[] {8, 1}),
                Map.entry(0x68, new int[] {8, 1}),
                Map.entry(0x70, new int[] {8, 1}),
                Map.entry(0x78, new int[] {8, 1}));
        for (int off = 0; off < 0x100; off += 4) {
            int[] r = null;
            for (var e : regs.entrySet()) {
                if (off >= e.getKey() && off < e.getKey() + e.getValue()[0]) {
                    r = e.getValue();
                }
            }
            dev.read(Device.ERROR, 4);
            dev.read(off, 4);
            int code = dev.read(Device.ERROR, 4) == 0 ? 0 : 1;
            if (r == null) {
                assertEquals(1, code, "hole at 0x" + Integer.toHexString(off));
                dev.read(off, 4);
                assertEquals(Device.ERR_BAD_OFFSET, dev.read(Device.ERROR, 4));
            } else if ((r[1] & 1) == 0) {
                dev.read(off, 4);
                assertEquals(Device.ERR_READ_WO, dev.read(Device.ERROR, 4), "0x" + Integer.toHexString(off));
            } else {
                assertEquals(0, code, "readable 0x" + Integer.toHexString(off));
            }
            if (r != null && (r[1] & 2) == 0) {
                dev.write(off, 4, 0);
                assertEquals(Device.ERR_WRITE_RO, dev.read(Device.ERROR, 4), "read-only 0x" + Integer.toHexString(off));
            }
        }
        // A 64-bit register written as two halves, low first.
        dev.write(NetDevice.TX_RING, 4, 0x1230);
        dev.write(NetDevice.TX_RING + 4, 4, 0x1);
        assertEquals(0x1_0000_1230L, dev.read(NetDevice.TX_RING, 8));
        dev.write(NetDevice.MAC, 8, 0x0000_0201_0000_0002L);
        assertEquals(0x0000_0201_0000_0002L, dev.read(NetDevice.MAC, 8));
        assertEquals(0x0201, dev.read(NetDevice.MAC + 4, 4));
    }

    @Test
    void badRegisterValuesAreCode6AndIgnored() {
        dev.write(NetDevice.MAC, 8, MAC | 1); // multicast
        expectError(Device.ERR_BAD_VALUE);
        dev.write(NetDevice.MAC, 8, MAC | 1L << 48); // more than 48 bits
        expectError(Device.ERR_BAD_VALUE);
        assertEquals(MAC, dev.read(NetDevice.MAC, 8));
        dev.write(NetDevice.FILTER, 4, 0x10);
        expectError(Device.ERR_BAD_VALUE);
        assertEquals(0, dev.read(NetDevice.FILTER, 4));
        dev.write(NetDevice.ENABLE, 4, 4);
        expectError(Device.ERR_BAD_VALUE);

        // Bad ring sizes and addresses: ENABLE refuses that ring (code 6, bit stays 0).
        for (int size : new int[] {0, 1, 3, 6, 512, -1}) {
            dev.write(NetDevice.TX_RING, 8, TX_RING);
            dev.write(NetDevice.TX_SIZE, 4, size & 0xffffffffL);
            dev.write(NetDevice.ENABLE, 4, NetDevice.ENABLE_TX);
            expectError(Device.ERR_BAD_VALUE);
            assertEquals(0, dev.read(NetDevice.ENABLE, 4), "size " + size);
        }
        for (long addr : new long[] {TX_RING + 8, 0, -16, BASE + 0x40000 - 16, 0x7000_0000L}) {
            dev.write(NetDevice.TX_RING, 8, addr);
            dev.write(NetDevice.TX_SIZE, 4, 4);
            dev.write(NetDevice.ENABLE, 4, NetDevice.ENABLE_TX);
            expectError(Device.ERR_BAD_VALUE);
            assertEquals(0, dev.read(NetDevice.ENABLE, 4), "addr " + Long.toHexString(addr));
        }
        // Tails with the ring off, or outside 0..SIZE-1.
        dev.write(NetDevice.TX_TAIL, 4, 0);
        expectError(Device.ERR_BAD_VALUE);
        dev.write(NetDevice.RX_TAIL, 4, 0);
        expectError(Device.ERR_BAD_VALUE);
        setUpRings(4, 4);
        dev.write(NetDevice.TX_TAIL, 4, 4);
        expectError(Device.ERR_BAD_VALUE);
        dev.write(NetDevice.RX_TAIL, 4, 0xffffffffL);
        expectError(Device.ERR_BAD_VALUE);
        assertEquals(0, dev.read(NetDevice.TX_TAIL, 4));
        assertEquals(0, dev.read(NetDevice.RX_TAIL, 4));
        // Ring registers cannot change under a running ring.
        dev.write(NetDevice.TX_RING, 8, RX_RING);
        expectError(Device.ERR_BAD_VALUE);
        dev.write(NetDevice.RX_SIZE, 4, 8);
        expectError(Device.ERR_BAD_VALUE);
        assertEquals(TX_RING, dev.read(NetDevice.TX_RING, 8));
        assertEquals(4, dev.read(NetDevice.RX_SIZE, 4));
        assertEquals(
                NetDevice.STATUS_LINK_UP | NetDevice.STATUS_RX_ON | NetDevice.STATUS_TX_ON, dev.read(Device.STATUS, 4));
    }

    @Test
    void transmitThroughTheRing() {
        setUpRings(4, 4);
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            byte[] f = frame(new byte[] {1, 2, 3, 4, 5, 6}, 60 + i * 200, i);
            frames.add(f);
        }
        int slot = 0;
        int sent = 0;
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 3; i++) {
                byte[] f = frames.get(sent + i);
                long buf = TX_BUFS + slot * 2048L;
                System.arraycopy(f, 0, dma.mem, (int) (buf - BASE), f.length);
                desc(TX_RING, slot, buf, f.length, 0);
                slot = (slot + 1) & 3;
            }
            int before = irq.count();
            dev.write(NetDevice.TX_TAIL, 4, slot); // sends at once
            sent += 3;
            assertEquals(slot, dev.read(NetDevice.TX_HEAD, 4));
            assertEquals(before + 1, irq.count(), "one TX interrupt per tail store");
            assertEquals(NetDevice.CAUSE_TX, dev.read(Device.IRQ_STATUS, 4));
            dev.write(Device.IRQ_STATUS, 4, NetDevice.CAUSE_TX);
        }
        assertEquals(6, backend.sent.size());
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(frames.get(i), backend.sent.get(i));
        }
        for (int s = 0; s < 4; s++) {
            assertEquals(NetDevice.DESC_DONE, descFlags(TX_RING, s));
        }
        assertEquals(6, dev.read(NetDevice.TX_FRAMES, 8));
        assertEquals(0, dev.read(NetDevice.TX_ERRORS, 8));
    }

    @Test
    void badTxDescriptorsFailAndAreCounted() {
        setUpRings(8, 4);
        desc(TX_RING, 0, TX_BUFS, 13, 0); // runt
        desc(TX_RING, 1, TX_BUFS, 1515, 0); // too long
        desc(TX_RING, 2, 0x7000_0000L, 100, 0); // not the driver's memory
        desc(TX_RING, 3, BASE + 0x40000 - 50, 100, 0); // runs off the end
        desc(TX_RING, 4, -8, 100, 0); // wraps
        desc(TX_RING, 5, TX_BUFS, 0xffff_ffff, 0);
        desc(TX_RING, 6, TX_BUFS, 64, 0); // fine
        dev.write(NetDevice.TX_TAIL, 4, 7);
        for (int s = 0; s < 6; s++) {
            assertEquals(NetDevice.DESC_DONE | NetDevice.DESC_ERROR, descFlags(TX_RING, s), "slot " + s);
        }
        assertEquals(NetDevice.DESC_DONE, descFlags(TX_RING, 6));
        assertEquals(6, dev.read(NetDevice.TX_ERRORS, 8));
        assertEquals(1, dev.read(NetDevice.TX_FRAMES, 8));
        assertEquals(1, backend.sent.size());
        assertEquals(0, dev.read(Device.ERROR, 4), "descriptor errors are not register misuse");
    }

    @Test
    void aRingThatCannotBeWrittenBackLatchesAndStops() {
        setUpRings(4, 4);
        dma.readOnly = (int) (TX_RING - BASE) + 64; // the TX ring is readable, not writable
        desc(TX_RING, 0, TX_BUFS, 64, 0);
        dev.write(NetDevice.TX_TAIL, 4, 1);
        expectError(Device.ERR_BAD_VALUE);
        assertEquals(0, dev.read(Device.STATUS, 4) & NetDevice.STATUS_TX_ON, "TX turned off");
        assertEquals(1, dev.ringFaults());
    }

    @Test
    void receiveThroughTheRing() {
        setUpRings(4, 8);
        dev.write(NetDevice.FILTER, 4, NetDevice.FILTER_UNICAST);
        postRx(0, 7, 2048);
        byte[] a = frame(MAC_BYTES, 60, 1);
        byte[] b = frame(MAC_BYTES, 1514, 2);
        backend.sink.frame(a);
        backend.sink.frame(b);
        assertEquals(2, wakeups.get(), "each arrival wakes the kernel");
        assertEquals(0, dev.nextEventNanos(), "frames are due");
        assertEquals(0, irq.count(), "nothing delivered before poll");
        dev.poll(0);
        assertEquals(1, irq.count(), "one RX interrupt per poll");
        assertEquals(NetDevice.CAUSE_RX, dev.read(Device.IRQ_STATUS, 4));
        assertEquals(2, dev.read(NetDevice.RX_HEAD, 4));
        assertEquals(60, descLen(RX_RING, 0));
        assertEquals(NetDevice.DESC_DONE, descFlags(RX_RING, 0));
        assertEquals(1514, descLen(RX_RING, 1));
        assertArrayEquals(a, rxBuffer(0, 60));
        assertArrayEquals(b, rxBuffer(1, 1514));
        assertEquals(RX_BUFS, descAddr(RX_RING, 0), "the address is left alone");
        assertEquals(2, dev.read(NetDevice.RX_FRAMES, 8));
        assertEquals(Long.MAX_VALUE, dev.nextEventNanos());
        assertTrue(dev.mayInterruptUnprompted());
    }

    /**
     * Under a flood the ring is full after every poll and frames always wait, yet a driver that
     * keeps posting buffers is not stalled: only one that stops taking frames is.
     */
    @Test
    void aFloodIsNotAStallButADriverThatStopsPostingIs() {
        setUpRings(4, 4);
        dev.write(NetDevice.FILTER, 4, NetDevice.FILTER_UNICAST);
        int seed = 0;
        int tail = 0;
        long second = 1_000_000_000L;
        for (int i = 0; i < 200; i++) {
            backend.sink.frame(frame(MAC_BYTES, 100, seed++));
        }
        dev.poll(1);
        assertEquals(1, dev.stalledSinceNanos(), "frames wait, the ring is full");
        for (int round = 1; round <= 10; round++) {
            long now = round * second / 2; // the driver posts 3 buffers every half second
            for (int i = 0; i < 3; i++) {
                int s = (tail + i) & 3;
                desc(RX_RING, s, RX_BUFS + s * 2048L, 2048, 0);
            }
            tail = (tail + 3) & 3;
            dev.write(NetDevice.RX_TAIL, 4, tail);
            dev.poll(now);
            assertTrue(dev.queuedFrames() > 0, "the flood goes on");
            assertEquals(now, dev.stalledSinceNanos(), "frames taken at " + now + ": the clock restarts");
        }
        // the driver stops posting buffers: the clock runs from its last progress
        long last = 5 * second;
        for (long t = last + second / 2; t < last + 3 * second; t += second / 2) {
            dev.poll(t);
            assertEquals(last, dev.stalledSinceNanos());
        }
    }

    @Test
    void framesWaitForBuffersAndWrapAround() {
        setUpRings(4, 4);
        dev.write(NetDevice.FILTER, 4, NetDevice.FILTER_UNICAST);
        int seed = 0;
        int got = 0;
        int tail = 0;
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 3; i++) {
                backend.sink.frame(frame(MAC_BYTES, 100, seed++));
            }
            dev.poll(0);
            assertEquals(3, dev.queuedFrames(), "no buffer posted: frames wait in the host-side queue");
            int head = (int) dev.read(NetDevice.RX_HEAD, 4);
            for (int i = 0; i < 3; i++) {
                int s = (tail + i) & 3;
                desc(RX_RING, s, RX_BUFS + s * 2048L, 2048, 0);
            }
            tail = (tail + 3) & 3;
            dev.write(NetDevice.RX_TAIL, 4, tail);
            dev.poll(0);
            assertEquals(0, dev.queuedFrames());
            for (int i = 0; i < 3; i++) {
                int s = (head + i) & 3;
                assertArrayEquals(frame(MAC_BYTES, 100, got++), rxBuffer(s, 100), "frame " + (got - 1));
            }
        }
        assertEquals(15, dev.read(NetDevice.RX_FRAMES, 8));
        assertEquals(0, dev.read(NetDevice.RX_DROPPED, 8));
    }

    @Test
    void filters() {
        setUpRings(4, 16);
        postRx(0, 15, 2048);
        byte[] other = {0x52, 0x54, 0, 0x12, 0x34, 0x57};
        byte[] bcast = {-1, -1, -1, -1, -1, -1};
        byte[] mcast = {0x01, 0x00, 0x5e, 0, 0, 1};
        int[][] cases = {
            {0, 0, 0, 0, 0}, // filter, accepted: mine, other, bcast, mcast
            {NetDevice.FILTER_UNICAST, 1, 0, 0, 0},
            {NetDevice.FILTER_BROADCAST, 0, 0, 1, 0},
            {NetDevice.FILTER_ALLMULTI, 0, 0, 0, 1},
            {NetDevice.FILTER_UNICAST | NetDevice.FILTER_BROADCAST, 1, 0, 1, 0},
            {NetDevice.FILTER_PROMISC, 1, 1, 1, 1},
        };
        long frames = 0;
        for (int[] c : cases) {
            dev.write(NetDevice.FILTER, 4, c[0]);
            long before = dev.read(NetDevice.RX_FRAMES, 8);
            byte[][] dsts = {MAC_BYTES, other, bcast, mcast};
            for (byte[] d : dsts) {
                backend.sink.frame(frame(d, 64, 7));
            }
            dev.poll(0);
            int want = c[1] + c[2] + c[3] + c[4];
            assertEquals(before + want, dev.read(NetDevice.RX_FRAMES, 8), "filter " + c[0]);
            frames += want;
        }
        assertEquals(0, dev.read(NetDevice.RX_DROPPED, 8), "filtered frames are not drops");
        assertEquals(24 - frames, dev.filtered());
        // SET MAC: unicast follows the register.
        dev.write(NetDevice.FILTER, 4, NetDevice.FILTER_UNICAST);
        dev.write(NetDevice.MAC, 8, NetDevice.parseMac("52:54:00:12:34:57"));
        backend.sink.frame(frame(other, 64, 8));
        backend.sink.frame(frame(MAC_BYTES, 64, 9));
        dev.poll(0);
        assertEquals(frames + 1, dev.read(NetDevice.RX_FRAMES, 8));
    }

    @Test
    void rxErrors() {
        setUpRings(4, 8);
        dev.write(NetDevice.FILTER, 4, NetDevice.FILTER_PROMISC);
        desc(RX_RING, 0, RX_BUFS, 100, 0); // too small for the frame
        desc(RX_RING, 1, 0x7000_0000L, 2048, 0); // not the driver's memory
        desc(RX_RING, 2, RX_BUFS + 4096, 2048, 0);
        dma.readOnly = 0;
        dev.write(NetDevice.RX_TAIL, 4, 3);
        for (int i = 0; i < 3; i++) {
            backend.sink.frame(frame(MAC_BYTES, 200, i));
        }
        dev.poll(0);
        assertEquals(NetDevice.DESC_DONE | NetDevice.DESC_ERROR, descFlags(RX_RING, 0));
        assertEquals(0, descLen(RX_RING, 0));
        assertEquals(NetDevice.DESC_DONE | NetDevice.DESC_ERROR, descFlags(RX_RING, 1));
        assertEquals(NetDevice.DESC_DONE, descFlags(RX_RING, 2));
        assertEquals(2, dev.read(NetDevice.RX_DROPPED, 8));
        assertEquals(1, dev.read(NetDevice.RX_FRAMES, 8));
        assertEquals(3, dev.read(NetDevice.RX_HEAD, 4), "failed slots are used");
        assertEquals(0, dev.read(Device.ERROR, 4));
    }

    @Test
    void malformedFramesFromTheHostAreDroppedAndCounted() {
        setUpRings(4, 8);
        dev.write(NetDevice.FILTER, 4, NetDevice.FILTER_PROMISC);
        postRx(0, 7, 2048);
        backend.sink.frame(null);
        backend.sink.frame(new byte[0]);
        backend.sink.frame(new byte[13]);
        backend.sink.frame(new byte[1515]);
        backend.sink.frame(new byte[70000]);
        backend.sink.frame(new byte[14]); // the smallest frame is fine
        dev.poll(0);
        assertEquals(5, dev.malformedFromHost());
        assertEquals(5, dev.read(NetDevice.RX_DROPPED, 8));
        assertEquals(1, dev.read(NetDevice.RX_FRAMES, 8));
    }

    @Test
    void framesWhileRxIsOffAreDropped() {
        backend.sink.frame(frame(MAC_BYTES, 64, 1));
        assertEquals(0, dev.queuedFrames());
        assertEquals(1, dev.read(NetDevice.RX_DROPPED, 8));
        assertFalse(dev.mayInterruptUnprompted(), "RX off: no interrupt can come");
    }

    /** A flood from the host: the queue stays within its bounds, the excess is counted. */
    /**
     * With less than the headroom free in the host-side queue the sink tells the backend to hold
     * its input back, and the card tells it once when the driver has taken enough for a burst
     * again; RX turned off frees the queue at once and counts as room.
     */
    @Test
    void aNearlyFullQueueHoldsTheBackendBackUntilThereIsRoom() {
        setUpRings(4, 4);
        dev.write(NetDevice.FILTER, 4, NetDevice.FILTER_PROMISC);
        byte[] f = frame(MAC_BYTES, 100, 1);
        int limit = NetDevice.QUEUE_FRAMES - NetDevice.HEADROOM_FRAMES;
        for (int i = 0; i < limit; i++) {
            assertTrue(backend.sink.accepting(), "room at " + i);
            backend.sink.frame(f);
        }
        assertTrue(backend.sink.accepting(), "exactly the headroom left");
        backend.sink.frame(f);
        assertFalse(backend.sink.accepting(), "less than the headroom left");
        assertFalse(backend.sink.accepting(), "asked again");
        assertEquals(1, dev.holds(), "one hold, however often it asks");
        assertEquals(0, backend.roomCalls.get());
        dev.poll(0); // no buffer posted: nothing leaves the queue
        assertEquals(0, backend.roomCalls.get(), "still less than the headroom free");
        // The driver takes 3 frames (a 4-slot ring keeps one empty): room for a burst again.
        postRx(0, 3, 2048);
        dev.poll(0);
        assertEquals(limit + 1 - 3, dev.queuedFrames());
        assertEquals(1, backend.roomCalls.get(), "room again: told once");
        assertTrue(backend.sink.accepting());
        dev.poll(0);
        assertEquals(1, backend.roomCalls.get());

        // Held again, then RX off: the queue is dropped and the backend released.
        while (backend.sink.accepting()) {
            backend.sink.frame(f);
        }
        assertEquals(2, dev.holds());
        dev.write(NetDevice.ENABLE, 4, NetDevice.ENABLE_TX);
        assertEquals(0, dev.queuedFrames());
        assertEquals(2, backend.roomCalls.get());
        assertTrue(backend.sink.accepting(), "RX off: nothing to wait for (frames are dropped at once)");
        assertEquals(0, dev.queueFullDrops(), "nothing was dropped for a full queue");
    }

    @Test
    void floodIsBounded() throws Exception {
        setUpRings(4, 4);
        dev.write(NetDevice.FILTER, 4, NetDevice.FILTER_PROMISC);
        int threads = 4;
        int each = 50_000;
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int seed = t;
            Thread th = new Thread(() -> {
                byte[] f = frame(MAC_BYTES, 1514, seed);
                for (int i = 0; i < each; i++) {
                    backend.sink.frame(f);
                }
            });
            ts.add(th);
            th.start();
        }
        int maxFrames = 0;
        int maxBytes = 0;
        boolean alive = true;
        while (alive) {
            maxFrames = Math.max(maxFrames, dev.queuedFrames());
            maxBytes = Math.max(maxBytes, dev.queuedBytes());
            dev.poll(0); // nothing posted: nothing leaves the queue
            alive = ts.stream().anyMatch(Thread::isAlive);
        }
        for (Thread th : ts) {
            th.join();
        }
        assertEquals(NetDevice.QUEUE_FRAMES, dev.queuedFrames());
        assertTrue(maxFrames <= NetDevice.QUEUE_FRAMES, "frames " + maxFrames);
        assertTrue(maxBytes <= NetDevice.QUEUE_BYTES, "bytes " + maxBytes);
        long total = (long) threads * each;
        assertEquals(total - NetDevice.QUEUE_FRAMES, dev.queueFullDrops());
        assertEquals(total - NetDevice.QUEUE_FRAMES, dev.read(NetDevice.RX_DROPPED, 8));
        // The guest drains what was kept.
        long frames = 0;
        int tail = 0;
        for (int i = 0; i < 200 && dev.queuedFrames() > 0; i++) {
            for (int s = 0; s < 4; s++) {
                desc(RX_RING, s, RX_BUFS + s * 2048L, 2048, 0);
            }
            tail = ((int) dev.read(NetDevice.RX_HEAD, 4) + 3) & 3;
            dev.write(NetDevice.RX_TAIL, 4, tail);
            dev.poll(0);
        }
        frames = dev.read(NetDevice.RX_FRAMES, 8);
        assertEquals(NetDevice.QUEUE_FRAMES, frames);
    }

    @Test
    void resetRestoresPowerOnButKeepsCounters() {
        setUpRings(4, 8);
        dev.write(NetDevice.FILTER, 4, NetDevice.FILTER_PROMISC);
        dev.write(NetDevice.MAC, 8, NetDevice.parseMac("02:00:00:00:00:01"));
        postRx(0, 1, 2048);
        desc(TX_RING, 0, TX_BUFS, 64, 0);
        dev.write(NetDevice.TX_TAIL, 4, 1);
        for (int i = 0; i < 3; i++) {
            backend.sink.frame(frame(MAC_BYTES, 64, i));
        }
        dev.poll(0); // one delivered, two wait
        assertEquals(2, dev.queuedFrames());
        dev.write(Device.CONTROL, 4, Device.CONTROL_RESET);
        assertEquals(MAC, dev.read(NetDevice.MAC, 8));
        for (int r : new int[] {
            NetDevice.FILTER, NetDevice.TX_SIZE, NetDevice.RX_SIZE, NetDevice.TX_TAIL, NetDevice.TX_HEAD,
            NetDevice.RX_TAIL, NetDevice.RX_HEAD, NetDevice.ENABLE, Device.IRQ_ENABLE, Device.IRQ_STATUS
        }) {
            assertEquals(0, dev.read(r, 4), "register 0x" + Integer.toHexString(r));
        }
        assertEquals(0, dev.read(NetDevice.TX_RING, 8));
        assertEquals(0, dev.read(NetDevice.RX_RING, 8));
        assertEquals(0, dev.queuedFrames(), "queued frames dropped");
        assertEquals(2, dev.read(NetDevice.RX_DROPPED, 8), "and counted");
        assertEquals(1, dev.read(NetDevice.RX_FRAMES, 8), "counters survive");
        assertEquals(1, dev.read(NetDevice.TX_FRAMES, 8));
        assertEquals(NetDevice.STATUS_LINK_UP, dev.read(Device.STATUS, 4));
    }

    @Test
    void linkChangeRaisesLink() {
        dev.write(Device.IRQ_ENABLE, 4, NetDevice.CAUSE_LINK);
        dev.poll(0);
        assertEquals(0, irq.count());
        backend.up = false;
        assertEquals(0, dev.nextEventNanos());
        dev.poll(0);
        assertEquals(1, irq.count());
        assertEquals(NetDevice.CAUSE_LINK, dev.read(Device.IRQ_STATUS, 4));
        assertEquals(0, dev.read(Device.STATUS, 4) & NetDevice.STATUS_LINK_UP);
        dev.close();
        assertTrue(backend.closed);
    }

    /** Random register traffic and random descriptors never throw and never break the card. */
    @Test
    void fuzz() {
        Random rnd = new Random(17);
        for (int i = 0; i < 200_000; i++) {
            int off = rnd.nextInt(0x90) & ~3;
            int size = rnd.nextBoolean() ? 4 : 8;
            long value = switch (rnd.nextInt(5)) {
                case 0 -> rnd.nextLong();
                case 1 -> rnd.nextInt(300);
                case 2 -> BASE + rnd.nextInt(0x40000);
                case 3 -> 3;
                default -> rnd.nextInt(16);
            };
            if (rnd.nextInt(3) == 0) {
                dev.read(off, size);
            } else {
                dev.write(off, size, value);
            }
            if (i % 16 == 0) {
                // garbage in the rings
                int o = rnd.nextInt(0x2000 / 8) * 8;
                mem().putLong(o, rnd.nextInt(4) == 0 ? BASE + rnd.nextInt(0x40000) : rnd.nextLong());
                byte[] f = new byte[rnd.nextInt(1600)];
                rnd.nextBytes(f);
                backend.sink.frame(f);
                dev.poll(0);
            }
        }
        assertEquals(0x56445752L, dev.read(Device.MAGIC, 4));
        assertTrue(dev.queuedFrames() <= NetDevice.QUEUE_FRAMES);
    }
}
