package dev.rewind.tools;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The guest console's way to stdout when the run has a time budget: bytes go into a bounded
 * buffer that a separate thread writes to stdout, so that a blocked stdout (a full pipe whose
 * reader does not read) never blocks the kernel past the run's deadline. Before the deadline a
 * full buffer makes the writer wait (ordinary back-pressure); from the deadline on, bytes that
 * do not fit are dropped and counted instead, and {@link #finish} stops waiting for stdout.
 * An error writing stdout (a closed pipe) drops the rest of the output silently, like
 * {@link java.io.PrintStream} does.
 */
final class DeadlineConsole extends OutputStream {
    static final int CAPACITY = 64 << 10;

    private final OutputStream target;
    private long deadline = Long.MAX_VALUE;
    private boolean started;
    private final byte[] ring = new byte[CAPACITY];
    private int head;
    private int count;
    private boolean writing;
    private int inFlight;
    private boolean closed;
    private boolean failed;
    private long dropped;
    private final Thread drainer;

    /** Until {@link #startClock} there is no deadline. */
    DeadlineConsole(OutputStream target) {
        this.target = target;
        this.drainer = new Thread(this::drain, "rewind-console");
        drainer.setDaemon(true);
        drainer.start();
    }

    /** From now on, nothing waits for stdout longer than {@code budgetNanos} from now. */
    synchronized void startClock(long budgetNanos) {
        deadline = System.nanoTime() + budgetNanos;
        started = true;
        notifyAll();
    }

    /** Waits on this monitor until notified or the deadline; false if the deadline has passed. */
    private boolean awaitBeforeDeadline() throws InterruptedException {
        if (!started) {
            wait();
            return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        long ms = left / 1_000_000;
        wait(ms, ms == 0 ? (int) Math.max(1, left % 1_000_000) : 0);
        return true;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        while (len > 0) {
            if (failed || closed) {
                dropped += len;
                return;
            }
            while (count == CAPACITY) {
                boolean waited;
                try {
                    waited = awaitBeforeDeadline();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    waited = false;
                }
                if (!waited) {
                    dropped += len;
                    return;
                }
            }
            int tail = (head + count) % CAPACITY;
            int n = Math.min(len, Math.min(CAPACITY - count, CAPACITY - tail));
            System.arraycopy(b, off, ring, tail, n);
            count += n;
            off += n;
            len -= n;
            notifyAll();
        }
    }

    /** Nothing to do: the drainer writes and flushes stdout as soon as bytes arrive. */
    @Override
    public void flush() {}

    private void drain() {
        byte[] chunk = new byte[8192];
        while (true) {
            int n;
            synchronized (this) {
                while (count == 0 && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (count == 0) {
                    return;
                }
                n = Math.min(chunk.length, Math.min(count, CAPACITY - head));
                System.arraycopy(ring, head, chunk, 0, n);
                head = (head + n) % CAPACITY;
                count -= n;
                writing = true;
                inFlight = n;
                notifyAll();
            }
            boolean ok = true;
            try {
                target.write(chunk, 0, n);
                target.flush();
            } catch (IOException e) {
                ok = false;
            }
            synchronized (this) {
                writing = false;
                if (!ok) {
                    failed = true;
                    dropped += count;
                    count = 0;
                }
                notifyAll();
            }
        }
    }

    /**
     * Waits until everything written has reached stdout, but not past the deadline; what is
     * still buffered then is dropped (counted in {@link #dropped}). Later writes are dropped.
     */
    synchronized void finish() {
        closed = true;
        notifyAll();
        while (count > 0 || writing) {
            boolean waited;
            try {
                waited = awaitBeforeDeadline();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                waited = false;
            }
            if (!waited) {
                dropped += count + (writing ? inFlight : 0);
                count = 0;
                break;
            }
        }
    }

    /** Bytes of console output that never reached stdout (deadline passed, or stdout failed). */
    synchronized long dropped() {
        return dropped;
    }

    /** True if output was dropped because the deadline passed (not because stdout failed). */
    synchronized boolean timedOut() {
        return dropped > 0 && !failed;
    }
}
