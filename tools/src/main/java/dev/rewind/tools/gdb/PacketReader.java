package dev.rewind.tools.gdb;

import java.io.ByteArrayOutputStream;

/**
 * Splits the byte stream from the debugger into protocol events: packets ({@code $...#xx}
 * with a valid checksum), packets with a bad checksum, acks ({@code +}), nacks ({@code -}),
 * interrupts (the byte 0x03 outside a packet), and oversized packets (longer than
 * {@link PacketCodec#MAX_PACKET}, dropped). Other bytes between packets are ignored, and a
 * '$' inside a packet starts a new one, as the protocol allows a client to resynchronize.
 * Feed it bytes in any chunking; not thread-safe.
 */
public final class PacketReader {
    /** What the reader found. */
    public interface Sink {
        void packet(byte[] payload);

        default void badChecksum() {}

        default void ack() {}

        default void nack() {}

        default void interrupt() {}

        default void oversized() {}
    }

    private enum State {
        IDLE,
        BODY,
        SUM1,
        SUM2
    }

    private final Sink sink;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private State state = State.IDLE;
    private int sum;
    private int given;
    private boolean tooLong;

    public PacketReader(Sink sink) {
        this.sink = sink;
    }

    public void feed(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            feed(b[i] & 0xff);
        }
    }

    public void feed(int c) {
        switch (state) {
            case IDLE -> {
                switch (c) {
                    case '$' -> start();
                    case '+' -> sink.ack();
                    case '-' -> sink.nack();
                    case 0x03 -> sink.interrupt();
                    default -> {} // noise between packets
                }
            }
            case BODY -> {
                if (c == '$') {
                    start(); // resynchronize on a new packet
                } else if (c == '#') {
                    state = State.SUM1;
                } else {
                    sum = (sum + c) & 0xff;
                    if (body.size() < PacketCodec.MAX_PACKET) {
                        body.write(c);
                    } else {
                        tooLong = true;
                    }
                }
            }
            case SUM1 -> {
                int d = PacketCodec.hexDigit(c);
                if (d < 0) {
                    finish(false);
                    if (c == '$') {
                        start();
                    }
                } else {
                    given = d << 4;
                    state = State.SUM2;
                }
            }
            case SUM2 -> {
                int d = PacketCodec.hexDigit(c);
                if (d < 0) {
                    finish(false);
                    if (c == '$') {
                        start();
                    }
                } else {
                    finish((given | d) == sum);
                }
            }
        }
    }

    private void start() {
        body.reset();
        sum = 0;
        tooLong = false;
        state = State.BODY;
    }

    private void finish(boolean ok) {
        state = State.IDLE;
        if (tooLong) {
            body.reset();
            sink.oversized();
        } else if (ok) {
            byte[] p = body.toByteArray();
            body.reset();
            sink.packet(p);
        } else {
            body.reset();
            sink.badChecksum();
        }
    }
}
