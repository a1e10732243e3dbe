package dev.rewind.hw.dev;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * The console UART: bytes the guest transmits go to the host's console stream (the CLI's
 * stdout); the kernel's CONSOLE_WRITE syscall drives it. Its input side is the console's input
 * (the CLI's stdin, a test's input), which the kernel's CONSOLE_READ takes: {@link #input} and
 * {@link #closeInput} from any thread, {@link #receive} from the kernel's. A machine with a UART
 * device gives the console's input to that device instead (its driver reads it).
 */
public final class Uart {
    /** Input bytes held unread at most; a producer beyond waits (nothing is dropped). */
    public static final int INPUT_LIMIT = 1 << 20;

    private final OutputStream out;
    private long transmitted;
    private final Object inputLock = new Object();
    private final java.util.ArrayDeque<byte[]> inbox = new java.util.ArrayDeque<>();
    private int inboxBytes;
    /** Bytes of {@code inbox.peekFirst()} already received. */
    private int headOffset;

    private boolean inputClosed;
    /** Someone feeds the input ({@link #attachInput}); until then it has ended at once. */
    private boolean inputAttached;

    public Uart(OutputStream out) {
        this.out = out;
    }

    /** Transmit {@code len} bytes and push them out at once, so console and logs interleave sanely. */
    public void transmit(byte[] data, int off, int len) {
        try {
            out.write(data, off, len);
            out.flush();
            transmitted += len;
        } catch (IOException e) {
            throw new UncheckedIOException("console write failed", e);
        }
    }

    /**
     * Input arrived (any thread). Ignored once input is closed. Blocks while more than
     * {@link #INPUT_LIMIT} bytes wait unread, so a large file on stdin is held back instead of
     * filling the host's memory.
     */
    public void input(byte[] data, int off, int len) {
        if (len <= 0) {
            return;
        }
        synchronized (inputLock) {
            while (!inputClosed && inboxBytes > 0 && inboxBytes + len > INPUT_LIMIT) {
                try {
                    inputLock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (!inputClosed) {
                inbox.addLast(java.util.Arrays.copyOfRange(data, off, off + len));
                inboxBytes += len;
            }
        }
    }

    /**
     * Something will feed the input ({@link #input}, then {@link #closeInput}): until it ends,
     * {@link #receive} answers 0 while nothing waits. Without it the console's input is empty
     * and has ended (a run nobody gives input to never waits for any).
     */
    public void attachInput() {
        synchronized (inputLock) {
            inputAttached = true;
        }
    }

    /** The input has ended (any thread): once what is held is received, {@link #receive} says so. */
    public void closeInput() {
        synchronized (inputLock) {
            inputClosed = true;
            inputLock.notifyAll();
        }
    }

    /**
     * Takes up to {@code max} bytes of input into {@code dst}: the number taken (at least 1),
     * 0 if none has come yet, or -1 once the input has ended and everything was taken.
     */
    public int receive(byte[] dst, int off, int max) {
        synchronized (inputLock) {
            if (inboxBytes == 0) {
                return inputClosed || !inputAttached ? -1 : 0;
            }
            int n = 0;
            while (n < max && !inbox.isEmpty()) {
                byte[] head = inbox.peekFirst();
                int k = Math.min(max - n, head.length - headOffset);
                System.arraycopy(head, headOffset, dst, off + n, k);
                n += k;
                headOffset += k;
                if (headOffset == head.length) {
                    inbox.removeFirst();
                    headOffset = 0;
                }
            }
            inboxBytes -= n;
            inputLock.notifyAll();
            return n;
        }
    }

    public long transmitted() {
        return transmitted;
    }

    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("console flush failed", e);
        }
    }
}
