package dev.rewind.hw.dev;

import java.util.List;

/**
 * The host side of a {@link NetDevice}: what the emulated cable is plugged into (docs/DEVICES.md,
 * "Network card"). The production implementation is user-mode networking through libslirp
 * ({@code dev.rewind.hw.unicorn.SlirpBackend}); tests plug in their own.
 *
 * <p>Threading: {@link #send} is called on the kernel thread, inside a TX_TAIL store, and must not
 * block for long (queue the frame and return); {@link #start}, {@link #close} on the thread that
 * owns the machine. The backend may call the sink from any thread.
 */
public interface NetBackend extends AutoCloseable {
    /**
     * User-mode networking through libslirp for the card named {@code device} (not started yet):
     * what the kernel plugs every net device into unless told otherwise.
     */
    static NetBackend userMode(String device, NetOptions options) {
        return new dev.rewind.hw.unicorn.SlirpBackend(device, options);
    }

    /**
     * Starts delivering frames from the host to {@code toGuest}.
     *
     * @throws IllegalStateException with a message for the user if the backend cannot start (a busy
     *     port, a missing library)
     */
    void start(FrameSink toGuest);

    /** Sends the first {@code len} bytes of {@code frame} towards the host; the backend may keep the array. */
    void send(byte[] frame, int len);

    /**
     * The sink said it was not {@link FrameSink#accepting} and has room again (called on the
     * kernel thread as the card hands queued frames to its driver; must not block).
     */
    default void sinkHasRoom() {}

    /** Whether the cable is plugged in (the backend is started and not closed). */
    boolean linkUp();

    /** The host forwards actually in effect (ports resolved: a rule for port 0 shows the bound port). */
    default List<HostForward> forwards() {
        return List.of();
    }

    /** Stops the backend and frees what it holds; frames sent afterwards are dropped. Never throws. */
    @Override
    void close();
}
