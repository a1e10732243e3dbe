package dev.rewind.kernel;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The console's input for CONSOLE_READ: what {@code rewind boot} gets on its stdin (or from
 * {@code --input}) when the image has no UART to take it, so that a program's {@code stdin}
 * reads it. A feeder thread offers bytes and closes the input at its end; the kernel thread
 * reads them, without waiting (EAGAIN while none has come).
 *
 * <p>The feeder is started by the first read: a program that never reads its stdin leaves the
 * host's stdin alone (a terminal's input is not taken, a background job is not stopped for
 * reading it). It is held back while {@link #LIMIT} bytes wait unread.
 */
public final class ConsoleInput {
    /** Unread bytes beyond which {@link #offer} waits for the guest to read. */
    public static final int LIMIT = 1 << 20;

    private final Object lock = new Object();
    private final Runnable start;
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private int headOffset;
    private int queued;
    private boolean started;
    private boolean closed;

    /** Input that {@code start} begins to feed (on a thread of its own) at the first read. */
    public ConsoleInput(Runnable start) {
        this.start = start;
    }

    /** All of {@code data}, then the end of the input. */
    public static ConsoleInput of(byte[] data) {
        ConsoleInput in = new ConsoleInput(() -> {});
        in.offer(data, 0, data.length);
        in.close();
        return in;
    }

    /** Input arrived (feeder thread); waits while {@link #LIMIT} bytes are unread; ignored once closed. */
    public void offer(byte[] data, int off, int len) {
        if (len <= 0) {
            return;
        }
        synchronized (lock) {
            while (!closed && queued >= LIMIT) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (closed) {
                return;
            }
            chunks.addLast(Arrays.copyOfRange(data, off, off + len));
            queued += len;
        }
    }

    /** Bytes offered and not read yet. */
    int unread() {
        synchronized (lock) {
            return queued;
        }
    }

    /** The input ended (feeder thread). */
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }

    /**
     * Up to {@code max} bytes into {@code dst} (kernel thread): their count, 0 at the end of the
     * input, or -1 while none has come yet.
     */
    int read(byte[] dst, int max) {
        boolean startNow;
        int n = 0;
        synchronized (lock) {
            startNow = !started;
            started = true;
            while (n < max && !chunks.isEmpty()) {
                byte[] head = chunks.peekFirst();
                int take = Math.min(max - n, head.length - headOffset);
                System.arraycopy(head, headOffset, dst, n, take);
                n += take;
                headOffset += take;
                if (headOffset == head.length) {
                    chunks.removeFirst();
                    headOffset = 0;
                }
            }
            queued -= n;
            lock.notifyAll();
            if (n == 0 && !closed) {
                n = -1;
            }
        }
        if (startNow) {
            start.run();
        }
        return n;
    }
}
