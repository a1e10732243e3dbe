package dev.rewind.hw.dev;

/**
 * A device's interrupt line (docs/DEVICES.md, "Register conventions"). The kernel supplies
 * one per device and turns {@link #raise()} into notification bit 0 for the device's owner.
 * Devices call it on the kernel thread only (from a register access or from {@code poll}).
 */
@FunctionalInterface
public interface IrqLine {
    /** The line rises: an enabled interrupt cause became pending. */
    void raise();

    /** A line connected to nothing. */
    IrqLine NONE = () -> {};
}
