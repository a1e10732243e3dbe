package dev.rewind.hw.dev;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network card (docs/DEVICES.md, "Network card (DEVICE_ID 4)"): Ethernet frames move between
 * the driver's descriptor rings (DMA through the owner's {@link DmaPort}, like the block device)
 * and a host {@link NetBackend}.
 *
 * <p>Transmit runs inside the TX_TAIL store: every descriptor in [TX_HEAD, TX_TAIL) is read, its
 * frame DMA-read and handed to the backend, and the descriptor written back DONE (or DONE|ERROR).
 * Receive is two-staged: the backend's thread puts frames into a bounded host-side queue
 * ({@link #QUEUE_FRAMES} frames, {@link #QUEUE_BYTES} bytes; beyond that they are dropped and
 * counted) and wakes the kernel through {@link #setWakeup}; {@link #poll} (kernel thread) moves
 * queued frames that pass FILTER into the posted RX buffers.
 *
 * <p>Nothing a driver writes and nothing the host sends makes this class throw: a bad register
 * value is misuse code 6, a bad descriptor (length, buffer address) completes DONE|ERROR and is
 * counted, a ring that cannot be read or written back latches code 6 and turns that ring off, a
 * malformed frame from the host (shorter than 14 bytes or longer than {@link #MTU_BYTES}) is
 * dropped and counted.
 */
public final class NetDevice extends Device implements AutoCloseable {
    public static final int MAC = 0x20;
    public static final int FILTER = 0x28;
    public static final int MTU = 0x2c;
    public static final int TX_RING = 0x30;
    public static final int RX_RING = 0x38;
    public static final int TX_SIZE = 0x40;
    public static final int RX_SIZE = 0x44;
    public static final int TX_TAIL = 0x48;
    public static final int TX_HEAD = 0x4c;
    public static final int RX_TAIL = 0x50;
    public static final int RX_HEAD = 0x54;
    public static final int ENABLE = 0x58;
    public static final int RX_FRAMES = 0x60;
    public static final int TX_FRAMES = 0x68;
    public static final int RX_DROPPED = 0x70;
    public static final int TX_ERRORS = 0x78;

    public static final int STATUS_LINK_UP = 1, STATUS_RX_ON = 1 << 1, STATUS_TX_ON = 1 << 2;
    public static final int FILTER_UNICAST = 1, FILTER_BROADCAST = 2, FILTER_ALLMULTI = 4, FILTER_PROMISC = 8;
    public static final int FILTER_ALL = 0xf;
    public static final int ENABLE_RX = 1, ENABLE_TX = 2;
    public static final int CAUSE_RX = 1, CAUSE_TX = 2, CAUSE_LINK = 4;
    public static final int DESC_DONE = 1, DESC_ERROR = 2;

    /** Largest frame, bytes (no FCS). */
    public static final int MTU_BYTES = 1514;
    /** Smallest frame: an Ethernet header. */
    public static final int MIN_FRAME = 14;

    public static final int DESC_BYTES = 16;
    public static final int MIN_RING = 2, MAX_RING = 256;
    /** Host-side receive queue bounds. */
    public static final int QUEUE_FRAMES = 256, QUEUE_BYTES = 512 * 1024;
    /**
     * Room the host-side queue keeps for one turn of the backend: with less, the sink is not
     * {@link FrameSink#accepting} and the backend leaves what the host sends in its sockets
     * (one turn of slirp reads each socket once; a TCP socket gives up to a window of segments).
     */
    static final int HEADROOM_FRAMES = 64, HEADROOM_BYTES = 128 * 1024;

    /** 52:54:00:12:34:56 (first octet in bits 0-7), the power-on MAC of device index 0. */
    public static final long DEFAULT_MAC = 0x5634_1200_5452L;

    private static final Logger log = LoggerFactory.getLogger(NetDevice.class);

    private final long powerOnMac;
    private final NetBackend backend;
    private DmaPort dma;
    private volatile Runnable wakeup = () -> {};

    // Host-side queue, filled by the backend's thread (guarded by itself).
    private final ArrayDeque<byte[]> inbox = new ArrayDeque<>();
    private int inboxBytes;
    /** RX on, as the backend's thread sees it (frames arriving while RX is off are dropped at once). */
    private volatile boolean rxOnForHost;

    private final AtomicLong hostDropped = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong queueFull = new AtomicLong();
    /** The sink told the backend it was not accepting: tell it when there is room again. */
    private volatile boolean backendHeld;
    /** Times the sink told the backend to hold its input back. */
    private final AtomicLong holds = new AtomicLong();
    /** What the backend delivers to: {@link #fromHost}, with room reported. */
    private final FrameSink sink = new FrameSink() {
        @Override
        public void frame(byte[] f) {
            fromHost(f);
        }

        @Override
        public boolean accepting() {
            return hasRoom(true);
        }
    };

    // Registers (kernel thread).
    private long mac;
    private int filter;
    private long txRing, rxRing;
    private int txSize, rxSize;
    private int txTail, txHead, rxTail, rxHead;
    private int enable;
    private boolean linkSeen;

    // Counters since power-on (kernel thread).
    private long rxFrames, txFrames, rxDropped, txErrors;
    private long filtered;
    private long ringFaults;

    private final byte[] desc = new byte[DESC_BYTES];
    private final byte[] txBuf = new byte[MTU_BYTES];

    /**
     * A card with power-on MAC {@code mac} (48 bits, first octet in bits 0-7) plugged into
     * {@code backend} (null: no cable, LINK_UP stays 0). {@link #start} starts the backend.
     */
    public NetDevice(String name, long mac, NetBackend backend) {
        super(
                name,
                new Reg(MAC, 8, RW),
                new Reg(FILTER, 4, RW),
                new Reg(MTU, 4, R),
                new Reg(TX_RING, 8, RW),
                new Reg(RX_RING, 8, RW),
                new Reg(TX_SIZE, 4, RW),
                new Reg(RX_SIZE, 4, RW),
                new Reg(TX_TAIL, 4, RW),
                new Reg(TX_HEAD, 4, R),
                new Reg(RX_TAIL, 4, RW),
                new Reg(RX_HEAD, 4, R),
                new Reg(ENABLE, 4, RW),
                new Reg(RX_FRAMES, 8, R),
                new Reg(TX_FRAMES, 8, R),
                new Reg(RX_DROPPED, 8, R),
                new Reg(TX_ERRORS, 8, R));
        if (!validMac(mac)) {
            throw new IllegalArgumentException("MAC " + formatMac(mac) + " is not a unicast 48-bit address");
        }
        this.powerOnMac = mac;
        this.mac = mac;
        this.backend = backend;
    }

    /** The default MAC of the net device with index {@code index}: 52:54:00:12:34:(0x56 + index). */
    public static long defaultMac(int index) {
        return (DEFAULT_MAC & ~(0xffL << 40)) | ((0x56L + index) & 0xff) << 40;
    }

    /** Whether {@code mac} is 48 bits and unicast (bit 0 of the first octet clear). */
    public static boolean validMac(long mac) {
        return (mac >>> 48) == 0 && (mac & 1) == 0;
    }

    /**
     * Parses {@code xx:xx:xx:xx:xx:xx} (hex octets, first octet first) into the register layout.
     *
     * @throws IllegalArgumentException if it is not six hex octets or names a multicast address
     */
    public static long parseMac(String s) {
        String[] parts = s.split(":", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("'" + s + "' is not a MAC address (six hex octets, xx:xx:xx:xx:xx:xx)");
        }
        long v = 0;
        for (int i = 0; i < 6; i++) {
            if (!parts[i].matches("[0-9A-Fa-f]{2}")) {
                throw new IllegalArgumentException(
                        "'" + s + "' is not a MAC address (six hex octets, xx:xx:xx:xx:xx:xx)");
            }
            v |= (long) Integer.parseInt(parts[i], 16) << (8 * i);
        }
        if ((v & 1) != 0) {
            throw new IllegalArgumentException("'" + s + "' is a multicast address; a station address must be unicast"
                    + " (the first octet even)");
        }
        return v;
    }

    /** {@code 52:54:00:12:34:56}. */
    public static String formatMac(long mac) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                b.append(':');
            }
            b.append(String.format("%02x", (mac >>> (8 * i)) & 0xff));
        }
        return b.toString();
    }

    @Override
    public int kind() {
        return KIND_NET;
    }

    @Override
    protected int irqCauses() {
        return CAUSE_RX | CAUSE_TX | CAUSE_LINK;
    }

    @Override
    public void setDma(DmaPort port) {
        this.dma = port;
    }

    /** Called (on the backend's thread) when a frame arrived, to wake an idle kernel. */
    public void setWakeup(Runnable r) {
        wakeup = r == null ? () -> {} : r;
    }

    /** Starts the backend (if any), delivering to this card. Throws what the backend throws. */
    public void start() {
        if (backend != null) {
            backend.start(sink);
        }
        linkSeen = linkUp();
    }

    public NetBackend backend() {
        return backend;
    }

    /** The power-on MAC. */
    public long powerOnMac() {
        return powerOnMac;
    }

    @Override
    public void close() {
        if (backend != null) {
            backend.close();
        }
        log.debug(
                "{}: closed: {} frames received, {} dropped before the ring ({} with the host-side queue full), {} holds; {} sent, {} TX errors",
                name(),
                rxFrames,
                rxDropped(),
                queueFull.get(),
                holds.get(),
                txFrames,
                txErrors);
    }

    // ---- host side (any thread) ----

    /** A frame from the host (the backend's thread): checked, then queued or dropped. Never throws. */
    void fromHost(byte[] f) {
        try {
            if (f == null || f.length < MIN_FRAME || f.length > MTU_BYTES) {
                malformed.incrementAndGet();
                hostDropped.incrementAndGet();
                return;
            }
            if (!rxOnForHost) {
                hostDropped.incrementAndGet();
                return;
            }
            byte[] copy = f.clone();
            synchronized (inbox) {
                if (inbox.size() >= QUEUE_FRAMES || inboxBytes + copy.length > QUEUE_BYTES) {
                    queueFull.incrementAndGet();
                    hostDropped.incrementAndGet();
                    return;
                }
                inbox.addLast(copy);
                inboxBytes += copy.length;
            }
            wakeup.run();
        } catch (Throwable t) {
            hostDropped.incrementAndGet();
            log.warn("{}: internal error taking a frame from the host; dropped", name(), t);
        }
    }

    /** The sink a backend delivers to (for tests and the kernel). */
    public FrameSink hostSink() {
        return sink;
    }

    /**
     * Whether the host-side queue has {@link #HEADROOM_FRAMES} and {@link #HEADROOM_BYTES} free
     * (RX off counts as room: frames are dropped at once then, and a backend must not wait for
     * a driver that may never turn it on). {@code asked}: the backend asks, and is owed a
     * {@link NetBackend#sinkHasRoom} if the answer is no.
     */
    private boolean hasRoom(boolean asked) {
        boolean room;
        synchronized (inbox) {
            room = !rxOnForHost
                    || (inbox.size() <= QUEUE_FRAMES - HEADROOM_FRAMES && inboxBytes <= QUEUE_BYTES - HEADROOM_BYTES);
        }
        if (!room && asked && !backendHeld) {
            backendHeld = true;
            holds.incrementAndGet();
        }
        return room;
    }

    /** If the backend holds its input back for this card and there is room now, it may go on. */
    private void releaseBackend() {
        if (backendHeld && hasRoom(false)) {
            backendHeld = false;
            if (backend != null) {
                try {
                    backend.sinkHasRoom();
                } catch (RuntimeException e) {
                    log.warn("{}: the backend failed to take up its input again", name(), e);
                }
            }
        }
    }

    /** Times the card asked its backend to hold the host's input back (its queue was nearly full). */
    public long holds() {
        return holds.get();
    }

    // ---- kernel side ----

    private boolean linkUp() {
        try {
            return backend != null && backend.linkUp();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Since when (the poll clock) frames from the host have waited with no receive buffer posted
     * (or RX off); 0 while not. A driver that stopped taking frames leaves its card starved.
     */
    private long starvedSince;

    /** Since when (the poll clock) frames put in the RX ring have waited for the driver to post a buffer again; 0: none. */
    private long unreapedSince;

    /**
     * Since when the driver has left the card's received frames alone (the poll clock), 0 if it
     * has not: frames waited with no receive buffer posted (or RX off), or frames put in the RX
     * ring were not followed by a new RX_TAIL (a driver hands a frame on and posts its buffer
     * again within microseconds).
     */
    @Override
    public long stalledSinceNanos() {
        long a = starvedSince, b = unreapedSince;
        return a == 0 ? b : b == 0 ? a : Math.min(a, b);
    }

    /** RX slots used (frames put in the ring, or failed there): the driver's progress in receiving. */
    private long rxSlotsUsed;

    @Override
    public void poll(long nowNanos) {
        long used = rxSlotsUsed;
        try {
            pollRx(nowNanos);
            releaseBackend();
        } finally {
            // Starved: frames wait with no buffer to take them. Under a flood the ring is full
            // again after every poll that filled it, so the clock restarts whenever the driver
            // has posted buffers that this poll used: a driver keeping up as fast as it can is
            // slow, not stopped.
            boolean starved = ((enable & ENABLE_RX) == 0 || rxHead == rxTail) && queuedFrames() > 0;
            boolean progressed = rxSlotsUsed != used;
            starvedSince = !starved ? 0 : starvedSince != 0 && !progressed ? starvedSince : Math.max(1, nowNanos);
        }
    }

    private void pollRx(long nowNanos) {
        try {
            boolean link = linkUp();
            if (link != linkSeen) {
                linkSeen = link;
                assertIrq(CAUSE_LINK);
            }
            if ((enable & ENABLE_RX) == 0) {
                return;
            }
            boolean delivered = false;
            while (rxHead != rxTail && (enable & ENABLE_RX) != 0) {
                byte[] f;
                synchronized (inbox) {
                    f = inbox.pollFirst();
                    if (f != null) {
                        inboxBytes -= f.length;
                    }
                }
                if (f == null) {
                    break;
                }
                if (!accepts(f)) {
                    filtered++;
                    continue;
                }
                if (deliver(f)) {
                    delivered = true;
                    rxSlotsUsed++;
                }
            }
            if (delivered && unreapedSince == 0) {
                unreapedSince = Math.max(1, nowNanos);
            }
            if (delivered) {
                assertIrq(CAUSE_RX);
            }
        } catch (Throwable t) {
            log.warn("{}: internal error in receive; RX stopped", name(), t);
            stopRing(ENABLE_RX);
        }
    }

    /** Copies {@code f} into the buffer at RX_HEAD; true if the slot was used (frame delivered or failed). */
    private boolean deliver(byte[] f) {
        long at = rxRing + (long) rxHead * DESC_BYTES;
        if (dma == null || !dma.read(at, desc, 0, DESC_BYTES)) {
            rxDropped++;
            stopRing(ENABLE_RX);
            return false;
        }
        long addr = getLong(desc, 0);
        long cap = getInt(desc, 8) & 0xffff_ffffL;
        int len;
        int flags;
        if (f.length > cap) {
            len = 0;
            flags = DESC_DONE | DESC_ERROR;
            rxDropped++;
        } else if (wraps(addr, f.length) || !dma.write(addr, f, 0, f.length)) {
            len = 0;
            flags = DESC_DONE | DESC_ERROR;
            rxDropped++;
        } else {
            len = f.length;
            flags = DESC_DONE;
            rxFrames++;
        }
        putInt(desc, 8, len);
        putInt(desc, 12, flags);
        if (!dma.write(at + 8, desc, 8, 8)) {
            if (flags == DESC_DONE) {
                rxFrames--;
                rxDropped++;
            }
            stopRing(ENABLE_RX);
            return false;
        }
        rxHead = (rxHead + 1) & (rxSize - 1);
        return true;
    }

    /** Whether FILTER lets {@code f} in. */
    private boolean accepts(byte[] f) {
        if ((filter & FILTER_PROMISC) != 0) {
            return true;
        }
        boolean broadcast = true;
        for (int i = 0; i < 6; i++) {
            broadcast &= f[i] == (byte) 0xff;
        }
        if (broadcast) {
            return (filter & FILTER_BROADCAST) != 0;
        }
        if ((f[0] & 1) != 0) {
            return (filter & FILTER_ALLMULTI) != 0;
        }
        if ((filter & FILTER_UNICAST) == 0) {
            return false;
        }
        for (int i = 0; i < 6; i++) {
            if (f[i] != (byte) (mac >>> (8 * i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long nextEventNanos() {
        if ((enable & ENABLE_RX) != 0 && rxHead != rxTail) {
            synchronized (inbox) {
                if (!inbox.isEmpty()) {
                    return 0;
                }
            }
        }
        return linkUp() != linkSeen ? 0 : Long.MAX_VALUE;
    }

    @Override
    public boolean mayInterruptUnprompted() {
        return linkUp() && (enable & ENABLE_RX) != 0;
    }

    // ---- registers ----

    @Override
    protected int deviceStatus() {
        return (linkUp() ? STATUS_LINK_UP : 0)
                | ((enable & ENABLE_RX) != 0 ? STATUS_RX_ON : 0)
                | ((enable & ENABLE_TX) != 0 ? STATUS_TX_ON : 0);
    }

    @Override
    protected long readReg(int offset) {
        return switch (offset) {
            case MAC -> mac;
            case FILTER -> filter;
            case MTU -> MTU_BYTES;
            case TX_RING -> txRing;
            case RX_RING -> rxRing;
            case TX_SIZE -> txSize & 0xffff_ffffL;
            case RX_SIZE -> rxSize & 0xffff_ffffL;
            case TX_TAIL -> txTail;
            case TX_HEAD -> txHead;
            case RX_TAIL -> rxTail;
            case RX_HEAD -> rxHead;
            case ENABLE -> enable;
            case RX_FRAMES -> rxFrames;
            case TX_FRAMES -> txFrames;
            case RX_DROPPED -> rxDropped();
            case TX_ERRORS -> txErrors;
            default -> throw new IllegalStateException("no register " + offset);
        };
    }

    @Override
    protected void writeReg(int offset, long value) {
        switch (offset) {
            case MAC -> {
                if (!validMac(value)) {
                    misuse(ERR_BAD_VALUE);
                } else {
                    mac = value;
                }
            }
            case FILTER -> {
                if ((value & ~FILTER_ALL) != 0) {
                    misuse(ERR_BAD_VALUE);
                } else {
                    filter = (int) value;
                }
            }
            case TX_RING -> {
                if ((enable & ENABLE_TX) != 0) {
                    misuse(ERR_BAD_VALUE); // not while the ring is in use
                } else {
                    txRing = value;
                }
            }
            case RX_RING -> {
                if ((enable & ENABLE_RX) != 0) {
                    misuse(ERR_BAD_VALUE);
                } else {
                    rxRing = value;
                }
            }
            case TX_SIZE -> {
                if ((enable & ENABLE_TX) != 0) {
                    misuse(ERR_BAD_VALUE);
                } else {
                    txSize = (int) value;
                }
            }
            case RX_SIZE -> {
                if ((enable & ENABLE_RX) != 0) {
                    misuse(ERR_BAD_VALUE);
                } else {
                    rxSize = (int) value;
                }
            }
            case TX_TAIL -> {
                if ((enable & ENABLE_TX) == 0 || value >= txSize) {
                    misuse(ERR_BAD_VALUE);
                } else {
                    txTail = (int) value;
                    transmit();
                }
            }
            case RX_TAIL -> {
                if ((enable & ENABLE_RX) == 0 || value >= rxSize) {
                    misuse(ERR_BAD_VALUE);
                } else {
                    rxTail = (int) value;
                    unreapedSince = 0;
                }
            }
            case ENABLE -> setEnable(value);
            default -> throw new IllegalStateException("no register " + offset);
        }
    }

    private void setEnable(long value) {
        if ((value & ~(long) (ENABLE_RX | ENABLE_TX)) != 0) {
            misuse(ERR_BAD_VALUE);
            return;
        }
        int v = (int) value;
        int next = enable & v; // bits cleared turn their ring off
        if ((v & ENABLE_RX) != 0 && (enable & ENABLE_RX) == 0) {
            if (ringOk(rxRing, rxSize)) {
                rxHead = 0;
                rxTail = 0;
                unreapedSince = 0;
                next |= ENABLE_RX;
            } else {
                misuse(ERR_BAD_VALUE);
            }
        }
        if ((v & ENABLE_TX) != 0 && (enable & ENABLE_TX) == 0) {
            if (ringOk(txRing, txSize)) {
                txHead = 0;
                txTail = 0;
                next |= ENABLE_TX;
            } else {
                misuse(ERR_BAD_VALUE);
            }
        }
        boolean rxWasOn = (enable & ENABLE_RX) != 0;
        enable = next;
        rxOnForHost = (enable & ENABLE_RX) != 0;
        if (rxWasOn && !rxOnForHost) {
            dropQueued();
        }
    }

    /** A ring is usable: 16-byte aligned, a power-of-two size 2..256, all of it readable by DMA. */
    private boolean ringOk(long addr, int size) {
        if ((addr & (DESC_BYTES - 1)) != 0 || size < MIN_RING || size > MAX_RING || Integer.bitCount(size) != 1) {
            return false;
        }
        if (dma == null || Long.compareUnsigned(addr, -(long) size * DESC_BYTES) > 0) {
            return false;
        }
        byte[] probe = new byte[size * DESC_BYTES];
        return dma.read(addr, probe, 0, probe.length);
    }

    /** A ring's descriptors cannot be read or written back: latch code 6 and turn it off. */
    private void stopRing(int bit) {
        ringFaults++;
        misuse(ERR_BAD_VALUE);
        enable &= ~bit;
        if (bit == ENABLE_RX) {
            rxOnForHost = false;
            dropQueued();
        }
        log.debug("{}: {} ring fault; ring turned off", name(), bit == ENABLE_RX ? "RX" : "TX");
    }

    /** Sends every frame in [TX_HEAD, TX_TAIL) (inside the TX_TAIL store). */
    private void transmit() {
        boolean completed = false;
        while (txHead != txTail && (enable & ENABLE_TX) != 0) {
            long at = txRing + (long) txHead * DESC_BYTES;
            if (dma == null || !dma.read(at, desc, 0, DESC_BYTES)) {
                txErrors++;
                stopRing(ENABLE_TX);
                break;
            }
            long addr = getLong(desc, 0);
            long len = getInt(desc, 8) & 0xffff_ffffL;
            int flags;
            if (len < MIN_FRAME || len > MTU_BYTES || wraps(addr, (int) len) || !dma.read(addr, txBuf, 0, (int) len)) {
                flags = DESC_DONE | DESC_ERROR;
                txErrors++;
            } else {
                flags = DESC_DONE;
                txFrames++;
                if (backend != null) {
                    byte[] frame = java.util.Arrays.copyOf(txBuf, (int) len);
                    try {
                        backend.send(frame, frame.length);
                    } catch (RuntimeException e) {
                        log.warn("{}: host backend failed to take a frame; it is lost", name(), e);
                    }
                }
            }
            putInt(desc, 12, flags);
            if (!dma.write(at + 12, desc, 12, 4)) {
                stopRing(ENABLE_TX);
                completed = true;
                break;
            }
            txHead = (txHead + 1) & (txSize - 1);
            completed = true;
        }
        if (completed) {
            assertIrq(CAUSE_TX);
        }
    }

    @Override
    protected void resetDevice() {
        mac = powerOnMac;
        filter = 0;
        txRing = 0;
        rxRing = 0;
        txSize = 0;
        rxSize = 0;
        txTail = 0;
        txHead = 0;
        rxTail = 0;
        unreapedSince = 0;
        starvedSince = 0;
        rxHead = 0;
        enable = 0;
        rxOnForHost = false;
        dropQueued();
    }

    /** Drops the frames waiting in the host-side queue (counted in RX_DROPPED). */
    private void dropQueued() {
        int n;
        synchronized (inbox) {
            n = inbox.size();
            inbox.clear();
            inboxBytes = 0;
        }
        rxDropped += n;
        releaseBackend();
    }

    // ---- statistics for the host side and tests ----

    public long rxFrames() {
        return rxFrames;
    }

    public long txFrames() {
        return txFrames;
    }

    /** RX_DROPPED: dropped on the kernel side plus on the host side (malformed, queue full, RX off). */
    public long rxDropped() {
        return rxDropped + hostDropped.get();
    }

    public long txErrors() {
        return txErrors;
    }

    /** Frames from the host shorter than 14 bytes or longer than 1514 (also in RX_DROPPED). */
    public long malformedFromHost() {
        return malformed.get();
    }

    /** Frames dropped because the host-side queue was full (also in RX_DROPPED). */
    public long queueFullDrops() {
        return queueFull.get();
    }

    /** Frames FILTER did not accept (not counted as dropped). */
    public long filtered() {
        return filtered;
    }

    /** Ring faults latched (a descriptor ring that could not be read or written back). */
    public long ringFaults() {
        return ringFaults;
    }

    /** Frames waiting in the host-side queue. */
    public int queuedFrames() {
        synchronized (inbox) {
            return inbox.size();
        }
    }

    /** Bytes waiting in the host-side queue. */
    public int queuedBytes() {
        synchronized (inbox) {
            return inboxBytes;
        }
    }

    /** A buffer that runs past the top of the address space (refused before the IOMMU sees it). */
    private static boolean wraps(long addr, int len) {
        return Long.compareUnsigned(addr, -(long) len) > 0;
    }

    private static long getLong(byte[] b, int off) {
        return (getInt(b, off) & 0xffff_ffffL) | (long) getInt(b, off + 4) << 32;
    }

    private static int getInt(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }
}
