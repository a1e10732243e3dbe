package dev.rewind.hw.dev;

/**
 * Where a {@link NetBackend} delivers the Ethernet frames it receives from the host side (the NIC's
 * receive path). May be called from any thread; it never blocks and never throws: a frame it
 * cannot take (malformed, queue full) is dropped and counted by the device.
 */
public interface FrameSink {
    /** One Ethernet frame (destination MAC first, no FCS). The sink copies what it keeps. */
    void frame(byte[] f);

    /**
     * Whether the sink has room for a burst of frames now. A backend that can hold its input
     * back (leave it in host sockets, where the host's own flow control and limits apply)
     * should stop reading it while this is false, until {@link NetBackend#sinkHasRoom}; frames it
     * delivers anyway are taken while they fit and dropped beyond that, as always.
     */
    default boolean accepting() {
        return true;
    }
}
