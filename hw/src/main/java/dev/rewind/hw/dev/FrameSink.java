package dev.rewind.hw.dev;

/**
 * Where a {@link NetBackend} delivers the Ethernet frames it receives from the host side (the NIC's
 * receive path). May be called from any thread; it never blocks and never throws: a frame it
 * cannot take (malformed, queue full) is dropped and counted by the device.
 */
@FunctionalInterface
public interface FrameSink {
    /** One Ethernet frame (destination MAC first, no FCS). The sink copies what it keeps. */
    void frame(byte[] f);
}
