package dev.rewind.hw.dev;

import java.io.UncheckedIOException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UART (docs/DEVICES.md, "UART (DEVICE_ID 1)"): TXDATA sends a byte to the console
 * {@link Uart}; an RX FIFO holds input (the CLI's stdin), popped through RXDATA.
 *
 * <p>Input arrives on another thread through {@link #input} and {@link #closeInput}, which only
 * fill a synchronized inbox and call the wakeup hook; {@link #poll} (kernel thread) moves the
 * inbox into the FIFO and asserts the RX cause. RESET clears registers and pending interrupts but
 * keeps received bytes and TX_TOTAL.
 *
 * <p>For the kernel's shadow driver the device remembers the last {@link #HISTORY} bytes popped
 * through RXDATA, so {@link #unread} can put bytes a failed driver consumed back in the FIFO.
 */
public final class UartDevice extends Device {
    public static final int TXDATA = 0x20;
    public static final int RXDATA = 0x24;
    public static final int RX_COUNT = 0x28;
    public static final int TX_TOTAL = 0x30;

    public static final int STATUS_RX_READY = 1;
    public static final int STATUS_TX_READY = 1 << 1;
    public static final int STATUS_RX_EOF = 1 << 2;
    public static final int RXDATA_VALID = 1 << 8;
    /** IRQ cause bit 0: input arrived, or input closed. */
    public static final int CAUSE_RX = CAUSE;

    /** Popped bytes remembered for {@link #unread}. */
    public static final int HISTORY = 64 * 1024;

    private static final Logger log = LoggerFactory.getLogger(UartDevice.class);

    private final Uart console;
    private final byte[] txByte = new byte[1];

    // Written by the input thread, guarded by inboxLock.
    private final Object inboxLock = new Object();
    private ByteQueue inbox = new ByteQueue();
    private boolean inboxClosed;
    private volatile Runnable wakeup = () -> {};

    // Kernel thread only.
    private final ByteQueue fifo = new ByteQueue();
    /** Bytes in {@link #fifo}, for the input thread's back-pressure. */
    private volatile int fifoBytes;
    /** Unread input (inbox + FIFO) beyond which {@link #input} waits for the guest to read. */
    public static final int INPUT_LIMIT = 1 << 20;

    private boolean closed;
    private final byte[] history = new byte[HISTORY];
    private int historyLen;
    private long txTotal;
    private long rxConsumed;
    private boolean txFailed;
    /** Every transmitted byte is also put at the end of the RX FIFO ({@link #setLoopback}). */
    private boolean loopback;
    /** Asked before each byte goes out ({@link #setTxGate}); null: every byte does. */
    private TxGate txGate;

    /**
     * Asked, on the kernel thread, about each byte the driver writes to TXDATA before it goes
     * out: a byte refused is withheld (not sent, not counted in TX_TOTAL, not looped back). The
     * kernel's shadow of a character driver knows which bytes the request in flight must send, and
     * refuses any other, so that a failing driver puts no wrong byte on the line.
     */
    public interface TxGate {
        boolean accept(byte b);
    }

    public void setTxGate(TxGate gate) {
        txGate = gate;
    }

    /** {@code clock} is accepted for symmetry with the other devices; the UART needs no time. */
    public UartDevice(String name, Uart console, LongSupplier clock) {
        super(name, new Reg(TXDATA, 4, W), new Reg(RXDATA, 4, R), new Reg(RX_COUNT, 4, R), new Reg(TX_TOTAL, 8, R));
        this.console = console;
    }

    @Override
    public int kind() {
        return KIND_UART;
    }

    // ---- input side (any thread) ----

    /**
     * Input arrived (any thread). Ignored once input is closed. Blocks while more than
     * {@link #INPUT_LIMIT} bytes wait unread (inbox and FIFO), so a fast producer (a large file
     * on stdin) is held back instead of filling the host's memory; nothing is dropped.
     */
    public void input(byte[] data, int off, int len) {
        synchronized (inboxLock) {
            while (!inboxClosed && inbox.size() > 0 && inbox.size() + fifoBytes + len > INPUT_LIMIT) {
                try {
                    inboxLock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (inboxClosed) {
                return;
            }
            inbox.addLast(data, off, len);
        }
        wakeup.run();
    }

    /** Input reached its end (any thread). */
    public void closeInput() {
        synchronized (inboxLock) {
            inboxClosed = true;
        }
        wakeup.run();
    }

    /** Called on the input thread after {@link #input} and {@link #closeInput}, to wake an idle kernel. */
    public void setWakeup(Runnable r) {
        wakeup = r == null ? () -> {} : r;
    }

    // ---- kernel side ----

    @Override
    public void poll(long nowNanos) {
        ByteQueue arrived;
        boolean closing;
        synchronized (inboxLock) {
            if ((inbox.size() == 0 || fifo.size() >= INPUT_LIMIT) && inboxClosed == closed) {
                return; // nothing new, or the guest has not read what it has (the producer waits)
            }
            if (fifo.size() >= INPUT_LIMIT) {
                arrived = new ByteQueue();
                closing = false; // input ends only after the bytes before the end arrived
            } else {
                arrived = inbox;
                inbox = new ByteQueue();
                closing = inboxClosed && !closed;
            }
            // Count the bytes as in the FIFO before the producer can look again: it keeps
            // inbox + FIFO within INPUT_LIMIT (plus one chunk), so the FIFO stays bounded.
            fifoBytes = fifo.size() + arrived.size();
            inboxLock.notifyAll();
        }
        fifo.addAll(arrived);
        closed |= closing;
        if (arrived.size() > 0 || closing) {
            assertIrq(CAUSE_RX);
        }
    }

    @Override
    public long nextEventNanos() {
        synchronized (inboxLock) {
            return fifoBytes < INPUT_LIMIT && (inbox.size() > 0 || inboxClosed != closed) ? 0 : Long.MAX_VALUE;
        }
    }

    @Override
    public boolean mayInterruptUnprompted() {
        synchronized (inboxLock) {
            return !closed || inbox.size() > 0;
        }
    }

    /**
     * Loopback (a manifest's {@code loopback = true}): each byte transmitted through TXDATA goes to
     * the console and is also put at the end of the RX FIFO, raising the RX cause, as if the line
     * were looped back at the far end. A workload can then read back, through its driver, every
     * byte it wrote and check it arrived exactly once and in order (docs/DEVICES.md, "UART").
     */
    public void setLoopback(boolean on) {
        loopback = on;
    }

    /** Bytes transmitted through TXDATA since power-on. */
    public long txTotal() {
        return txTotal;
    }

    /** Bytes popped through RXDATA since power-on, less those given back by {@link #unread}. */
    public long rxConsumed() {
        return rxConsumed;
    }

    /**
     * Puts the last {@code n} popped bytes back at the front of the RX FIFO, in their original
     * order, and asserts the RX cause (a restarted driver that enables its interrupt is told).
     *
     * @throws IllegalArgumentException if fewer than {@code n} popped bytes are remembered
     */
    public void unread(int n) {
        if (n < 0 || n > historyLen) {
            throw new IllegalArgumentException("cannot unread " + n + " bytes; " + historyLen + " remembered");
        }
        if (n == 0) {
            return;
        }
        byte[] back = new byte[n];
        long start = rxConsumed - n;
        for (int i = 0; i < n; i++) {
            back[i] = history[(int) ((start + i) % HISTORY)];
        }
        fifo.addFirst(back);
        fifoBytes = fifo.size();
        historyLen -= n;
        rxConsumed -= n;
        assertIrq(CAUSE_RX);
    }

    /**
     * Copies the popped bytes at positions {@code from..from+n} of the received stream (position
     * = {@link #rxConsumed} when the byte was popped) into {@code dst}; false if they are not all
     * remembered (more than {@link #HISTORY} bytes ago, or not popped yet).
     */
    public boolean popped(long from, byte[] dst, int n) {
        if (n < 0 || from < rxConsumed - historyLen || from + n > rxConsumed) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            dst[i] = history[(int) ((from + i) % HISTORY)];
        }
        return true;
    }

    /** Bytes popped and still remembered for {@link #unread}. */
    public int remembered() {
        return historyLen;
    }

    /** Bytes waiting in the RX FIFO. */
    public int rxWaiting() {
        return fifo.size();
    }

    /** Input has ended and the FIFO is empty (STATUS.RX_EOF). */
    public boolean rxEnded() {
        return closed && fifo.size() == 0;
    }

    @Override
    protected int deviceStatus() {
        int s = STATUS_TX_READY;
        if (fifo.size() > 0) {
            s |= STATUS_RX_READY;
        } else if (closed) {
            s |= STATUS_RX_EOF;
        }
        return s;
    }

    @Override
    protected long readReg(int offset) {
        return switch (offset) {
            case RXDATA -> pop();
            case RX_COUNT -> fifo.size();
            case TX_TOTAL -> txTotal;
            default -> throw new IllegalStateException("no register " + offset);
        };
    }

    private int pop() {
        if (fifo.size() == 0) {
            return 0;
        }
        byte b = fifo.removeFirst();
        fifoBytes = fifo.size();
        history[(int) (rxConsumed % HISTORY)] = b;
        rxConsumed++;
        historyLen = Math.min(historyLen + 1, HISTORY);
        return RXDATA_VALID | (b & 0xff);
    }

    @Override
    protected void writeReg(int offset, long value) {
        if (offset != TXDATA) {
            throw new IllegalStateException("no register " + offset);
        }
        txByte[0] = (byte) value;
        if (txGate != null && !txGate.accept(txByte[0])) {
            return;
        }
        try {
            console.transmit(txByte, 0, 1);
            txTotal++;
        } catch (UncheckedIOException e) {
            if (!txFailed) {
                txFailed = true;
                log.warn("{}: console write failed; transmitted bytes are lost", name(), e);
            }
        }
        if (loopback) {
            fifo.addLast(txByte, 0, 1);
            fifoBytes = fifo.size();
            assertIrq(CAUSE_RX);
        }
    }

    @Override
    protected void resetDevice() {
        // Registers hold no state beyond the common ones; FIFO, EOF and TX_TOTAL survive.
    }

    /** A growable ring of bytes. */
    private static final class ByteQueue {
        private byte[] buf = new byte[64];
        private int head;
        private int size;

        int size() {
            return size;
        }

        private void ensure(int extra) {
            if (size + extra <= buf.length) {
                return;
            }
            int cap = buf.length;
            while (cap < size + extra) {
                cap *= 2;
            }
            byte[] nb = new byte[cap];
            for (int i = 0; i < size; i++) {
                nb[i] = buf[(head + i) % buf.length];
            }
            buf = nb;
            head = 0;
        }

        void addLast(byte[] data, int off, int len) {
            java.util.Objects.checkFromIndexSize(off, len, data.length);
            ensure(len);
            for (int i = 0; i < len; i++) {
                buf[(head + size + i) % buf.length] = data[off + i];
            }
            size += len;
        }

        void addAll(ByteQueue q) {
            ensure(q.size);
            for (int i = 0; i < q.size; i++) {
                buf[(head + size + i) % buf.length] = q.buf[(q.head + i) % q.buf.length];
            }
            size += q.size;
        }

        void addFirst(byte[] data) {
            ensure(data.length);
            head = Math.floorMod(head - data.length, buf.length);
            for (int i = 0; i < data.length; i++) {
                buf[(head + i) % buf.length] = data[i];
            }
            size += data.length;
        }

        byte removeFirst() {
            byte b = buf[head];
            head = (head + 1) % buf.length;
            size--;
            return b;
        }
    }
}
