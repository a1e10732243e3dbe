package dev.rewind.kernel;

import dev.rewind.abi.Tty;
import dev.rewind.hw.dev.UartDevice;

/**
 * The shadow of a character (tty) driver (protocol of {@code <rewind/tty.h>}, defined in
 * guest/abi/tty.proto). Driver state it
 * rebuilds: the clients' sessions and their modes (TTY_OPEN, dropped by TTY_CLOSE). Character
 * I/O is not idempotent, so the shadow also taps the driver's UART: at each delivery it notes
 * how many bytes the UART has sent and how many it has handed over; a WRITE cut short is then
 * re-issued with {@code resume} = the bytes it had already sent, and the bytes a READ cut short
 * had taken from the receive FIFO are pushed back. No byte is sent twice or lost.
 */
final class CharShadow extends Shadow {
    static final long TTY_OPEN = Tty.OPEN;
    static final long TTY_CLOSE = Tty.CLOSE;
    static final long TTY_WRITE = Tty.WRITE;
    static final long TTY_READ = Tty.READ;

    private long txAtDelivery;
    private long rxAtDelivery;

    CharShadow(Kernel k, Task driver) {
        super(k, driver, TTY_OPEN, TTY_CLOSE);
    }

    @Override
    String opName(long label) {
        return Tty.opName(label);
    }

    @Override
    boolean wellFormed(long[] m) {
        return Tty.wellFormed(m[0], m[1], m[2], m[3], m[4], m[5]);
    }

    @Override
    boolean mayAnswer(long label, long status) {
        return Tty.mayAnswer(label, status);
    }

    @Override
    boolean replyWellFormed(long[] m, long[] r) {
        return Tty.replyWellFormed(m[0], r[1], r[2], r[3], r[4], r[5], r[6], m);
    }

    /** ENOTOPEN to a client with an open session. */
    @Override
    String stateBreach(long[] msg, long status, long[] open) {
        return open != null && status == Tty.ENOTOPEN
                ? "answered ENOTOPEN to a client whose OPEN it acknowledged"
                : null;
    }

    @Override
    void tapDelivery(Task client) {
        UartDevice u = uart();
        if (u != null) {
            txAtDelivery = u.txTotal();
            rxAtDelivery = u.rxConsumed();
        }
    }

    @Override
    void fixUp(Task client) {
        UartDevice u = uart();
        if (u == null) {
            return;
        }
        long label = client.msg(0);
        if (label == TTY_WRITE) {
            client.amendMessage(
                    2, client.msg(2) + u.txTotal() - txAtDelivery); // w1 = resume: bytes already on the wire
        } else if (label == TTY_READ) {
            long taken = u.rxConsumed() - rxAtDelivery;
            if (taken > 0) {
                u.unread((int) Math.min(taken, Integer.MAX_VALUE));
            }
        }
    }

    private UartDevice uart() {
        for (BoundDevice bd : driver.devices()) {
            if (bd.device() instanceof UartDevice u) {
                return u;
            }
        }
        return null;
    }
}
