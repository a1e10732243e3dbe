package dev.rewind.kernel;

/**
 * A non-blocking signal: signallers OR bits into a word; the owner waits until it is non-zero
 * (WAIT) or reads it without blocking (POLL). Both read-and-clear.
 */
public final class Notification {
    final String name;
    final Task owner;
    long bits;
    /** Signals made to it so far (NOTIFYs and interrupts): tells whether any came after one. */
    long signals;
    /** The owner, while it waits; else null. */
    Task waiter;

    Notification(String name, Task owner) {
        this.name = name;
        this.owner = owner;
    }

    public String name() {
        return name;
    }

    /** The task that waits on it. */
    public Task owner() {
        return owner;
    }

    /** The bits signalled and not yet read. */
    public long bits() {
        return bits;
    }

    /** True while its owner waits on it. */
    public boolean hasWaiter() {
        return waiter != null;
    }
}
