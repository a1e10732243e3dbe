package dev.rewind.hw.dev;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine's devices, in manifest order (index i is at RW_MMIO_BASE + i * 0x1000, see
 * docs/DEVICES.md), plus the primitive an idle kernel sleeps on: {@link #awaitActivity} returns
 * when the next device event is due or when any thread calls {@link #signal} (the UART's
 * input thread, through {@link UartDevice#setWakeup}).
 */
public final class DeviceBus implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeviceBus.class);

    private final List<Device> devices = new ArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition activity = lock.newCondition();
    private boolean signalled;

    public void add(Device d) {
        devices.add(d);
    }

    public List<Device> devices() {
        return Collections.unmodifiableList(devices);
    }

    /** Polls every device. */
    public void poll(long nowNanos) {
        for (Device d : devices) {
            d.poll(nowNanos);
        }
    }

    /** The earliest {@link Device#nextEventNanos()}; {@code Long.MAX_VALUE} if none. */
    public long nextEventNanos() {
        long t = Long.MAX_VALUE;
        for (Device d : devices) {
            t = Math.min(t, d.nextEventNanos());
        }
        return t;
    }

    /** Whether any device may still interrupt without a register write. */
    public boolean mayInterruptUnprompted() {
        for (Device d : devices) {
            if (d.mayInterruptUnprompted()) {
                return true;
            }
        }
        return false;
    }

    /** Wakes {@link #awaitActivity}; a signal sent while nobody waits wakes the next wait at once. */
    public void signal() {
        lock.lock();
        try {
            signalled = true;
            activity.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until {@code clock} reaches {@code untilNanos}, {@link #signal} is called (or was
     * called since the last wait), or the thread is interrupted (its flag stays set).
     */
    public void awaitActivity(long untilNanos, LongSupplier clock) {
        lock.lock();
        try {
            while (!signalled) {
                long left = untilNanos - clock.getAsLong();
                if (left <= 0) {
                    break;
                }
                activity.await(left, TimeUnit.NANOSECONDS);
            }
            signalled = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Closes the devices that hold host resources (disk files). */
    @Override
    public void close() {
        for (Device d : devices) {
            if (d instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.warn("closing device {} failed", d.name(), e);
                }
            }
        }
    }
}
