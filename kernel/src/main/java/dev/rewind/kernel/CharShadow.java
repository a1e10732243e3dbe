package dev.rewind.kernel;

import dev.rewind.abi.Abi;
import dev.rewind.abi.Tty;
import dev.rewind.hw.dev.UartDevice;

/**
 * The shadow of a character (tty) driver (protocol of {@code <rewind/tty.h>}, defined in
 * guest/abi/tty.proto). Driver state it rebuilds: the clients' sessions and their modes
 * (TTY_OPEN, dropped by TTY_CLOSE).
 *
 * <p>Character I/O is not idempotent, so the shadow also follows the driver's UART as two
 * streams. <b>Output:</b> it knows the bytes the request in flight must send (a WRITE's bytes
 * after its session's CRLF translation, from {@code resume} on; nothing for any other request)
 * and is asked before each byte goes out ({@link UartDevice.TxGate}): a byte that is not the next
 * one owed is withheld and the driver has failed (the reply is held back, the driver restarted,
 * the WRITE re-issued with {@code resume} = the right bytes already sent). A WRITE acknowledged
 * before all its bytes went out has failed too. <b>Input:</b> it knows the bytes the driver popped
 * from the receive FIFO and the bytes READ replies handed over: a READ must answer the next bytes
 * of that stream, in order, at least one unless input has ended; when the driver fails, the bytes
 * it took and never handed over (in a READ cut short, or kept in a buffer of its own) are pushed
 * back into the FIFO. A driver blocked in a READ for a second while such bytes wait has failed
 * too. No byte is sent twice, sent wrong or lost (docs/DEVICES.md, "Writing your own tty driver").
 */
final class CharShadow extends Shadow {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(CharShadow.class);
    static final long TTY_OPEN = Tty.OPEN;
    static final long TTY_CLOSE = Tty.CLOSE;
    static final long TTY_WRITE = Tty.WRITE;
    static final long TTY_READ = Tty.READ;

    private long txAtDelivery;

    /** The bytes the request in flight must send (after {@code resume}), and how many it has sent. */
    private byte[] owed = new byte[0];

    private int sent;
    /** Whether the request in flight's output is checked (off between requests and for malformed ones). */
    private boolean gated;
    /** Why the driver's output in the request in flight is wrong, or null. */
    private String txBreach;
    /** Whether a request is in flight (delivered, not yet answered). */
    private boolean serving;
    /** Whether the driver has been failed for a byte it sent with no request in flight. */
    private boolean idleBreach;

    /** Bytes of the received stream handed over in READ replies (a position of {@link UartDevice#rxConsumed}). */
    private long rxDelivered;

    private boolean readOwed;
    /** Since when a READ has been owed with received bytes waiting and the driver blocked; 0 if not. */
    private long stallSince;

    private long stallMark = -1;

    private final UartDevice.TxGate gate = this::transmitting;

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

    /**
     * ENOTOPEN to a client with an open session; a WRITE or READ acknowledged for a client without
     * one; EIO to any request (the UART has no failure of its own: a driver answers EIO only when
     * something of its own went wrong; the definition lists EIO for the shadow, which fails with
     * it a request that failed the driver twice).
     */
    @Override
    String stateBreach(long[] msg, long status, long[] open) {
        if (open != null && status == Tty.ENOTOPEN) {
            return "answered ENOTOPEN to a client whose OPEN it acknowledged";
        }
        boolean io = msg[0] == TTY_WRITE || msg[0] == TTY_READ;
        if (io && status == 0 && open == null) {
            return "acknowledged a " + Tty.opName(msg[0]) + " of a client without an open session (ENOTOPEN)";
        }
        if (status == Abi.EIO && uart() != null) {
            return "answered EIO to " + Tty.opName(msg[0]) + " (the UART fails no command of its own)";
        }
        return null;
    }

    /** A WRITE acknowledged sent all its bytes; a READ answers the next received bytes, in order. */
    @Override
    String answerBreach(long[] msg, long[] reply) {
        UartDevice u = uart();
        if (u == null) {
            return null;
        }
        if (msg[0] == TTY_WRITE && gated && sent < owed.length) {
            return "acknowledged a WRITE having sent " + sent + " of the " + owed.length + " bytes it owed";
        }
        if (msg[0] == TTY_WRITE && reply[2] != msg[1]) {
            // (tty.proto: a WRITE answers its length; a flipped length register made the
            // client's library take the reply for a malformed one, all bytes sent)
            return "acknowledged a WRITE of " + msg[1] + " bytes as " + reply[2] + " written";
        }
        if (msg[0] != TTY_READ) {
            return null;
        }
        long n = reply[2];
        long held = u.rxConsumed() - rxDelivered;
        if (n == 0) {
            return u.rxEnded() && held == 0
                    ? null
                    : "answered end of input (n = 0) with " + (held + u.rxWaiting()) + " received bytes waiting";
        }
        if (n > msg[1] || n > held) {
            return "answered " + n + " bytes to a READ of at most " + msg[1] + " with " + held
                    + " taken from the UART and not yet handed over";
        }
        byte[] want = new byte[(int) n];
        byte[] answer = new byte[(int) n];
        if (!u.popped(rxDelivered, want, (int) n)
                || driver.cpu() == null
                || !driver.cpu().memory().read(Abi.IPC_BUF_ADDR, answer, 0, (int) n)) {
            return null; // (not remembered: not checked)
        }
        for (int i = 0; i < n; i++) {
            if (answer[i] != want[i]) {
                return "answered a READ whose byte " + i + " is 0x" + Integer.toHexString(answer[i] & 0xff)
                        + " where the UART received 0x" + Integer.toHexString(want[i] & 0xff);
            }
        }
        return null;
    }

    @Override
    String requestBreach() {
        return txBreach;
    }

    @Override
    void tapDelivery(Task client) {
        UartDevice u = uart();
        if (u != null) {
            txAtDelivery = u.txTotal();
        }
    }

    /** What the request just delivered must send: a WRITE's translated bytes from resume on, else nothing. */
    @Override
    void requestBegins(Task client) {
        UartDevice u = uart();
        if (u == null) {
            return;
        }
        u.setTxGate(gate);
        long[] m = client.message();
        readOwed = m[0] == TTY_READ && client.agentFor() == null;
        serving = true;
        idleBreach = false;
        stallSince = 0;
        sent = 0;
        txBreach = null;
        owed = new byte[0];
        gated = opName(m[0]) != null && wellFormed(m);
        long[] open = client.agentFor() == null ? session(client.sendBadge()) : null;
        if (gated && m[0] == TTY_WRITE && open != null) {
            int len = (int) m[1];
            byte[] data = new byte[len];
            if (driver.cpu() == null || !driver.cpu().memory().read(Abi.IPC_BUF_ADDR, data, 0, len)) {
                gated = false;
                return;
            }
            boolean crlf = (open[1] & Tty.CRLF) != 0;
            byte[] out = new byte[2 * len];
            int w = 0;
            for (byte b : data) {
                if (crlf && b == '\n') {
                    out[w++] = '\r';
                }
                out[w++] = b;
            }
            long resume = m[2];
            int from = (int) Math.min(Math.max(resume, 0), w);
            owed = java.util.Arrays.copyOfRange(out, from, w);
        }
    }

    @Override
    void requestEnds() {
        serving = false;
        gated = false;
        readOwed = false;
        stallSince = 0;
    }

    /** The driver is about to send {@code b}: only the next byte the request in flight owes goes out. */
    private boolean transmitting(byte b) {
        if (!serving) {
            // Between requests (after a reply, in a wake's handling) nothing is owed: a byte sent
            // there is no WRITE's (measured: an outside driver's drain after its reply, its ring's
            // tail load skipped, sent 2,048 stale bytes from its ring, which the loopback handed
            // to the next READ; the gate was open between requests). Withheld, and the driver is
            // failed when its CPU next stops (its next system call, or its slice's end).
            if (!idleBreach) {
                idleBreach = true;
                long pc = driver.pc();
                driver.faultWhenStopped(new Fault(
                        FaultKind.CORRUPT_STATE,
                        pc,
                        0,
                        driver.image().describe(pc),
                        "sent a byte (0x" + Integer.toHexString(b & 0xff)
                                + ") with no request in flight (withheld): a tty driver sends only the bytes of"
                                + " the WRITE it is serving"));
            }
            return false;
        }
        if (!gated) {
            return true;
        }
        if (txBreach != null) {
            return false;
        }
        if (sent < owed.length && owed[sent] == b) {
            sent++;
            return true;
        }
        txBreach = sent < owed.length
                ? "sent 0x" + Integer.toHexString(b & 0xff) + " as byte " + sent + " of a request that owed 0x"
                        + Integer.toHexString(owed[sent] & 0xff) + " there (withheld)"
                : "sent a byte (0x" + Integer.toHexString(b & 0xff) + ") beyond the " + owed.length
                        + " its request owed (withheld)";
        return false;
    }

    /**
     * A READ's bytes count as handed over when its client's library takes them: any status that
     * is not an error (the stubs return a positive one as they return 0, with the bytes). A
     * well-formed READ is answered 0 or an error (any other status is a breach, held back); a
     * malformed one is not checked, so what it handed over is counted as the client sees it, never
     * more than the driver took.
     */
    @Override
    void answered(Task client, long[] reply) {
        UartDevice u = uart();
        if (client.msg(0) == TTY_READ && reply[1] >= 0 && u != null) {
            long n = Math.max(0, Math.min(reply[2], u.rxConsumed() - rxDelivered));
            rxDelivered += n;
        }
    }

    @Override
    void fixUp(Task client) {
        UartDevice u = uart();
        if (u != null && client.msg(0) == TTY_WRITE) {
            // w1 = resume: the right bytes already on the wire (a wrong one was withheld)
            client.amendMessage(2, client.msg(2) + u.txTotal() - txAtDelivery);
        }
    }

    /** The bytes the failed driver took from the FIFO and never handed over go back, in order. */
    @Override
    void driverLost() {
        serving = false;
        idleBreach = false;
        gated = false;
        readOwed = false;
        stallSince = 0;
        UartDevice u = uart();
        if (u == null) {
            return;
        }
        long held = u.rxConsumed() - rxDelivered;
        if (held > 0) {
            int back = (int) Math.min(held, u.remembered());
            if (log.isDebugEnabled()) {
                byte[] b = new byte[Math.min(back, 32)];
                u.popped(u.rxConsumed() - back, b, b.length);
                log.debug(
                        "shadow of {}: {} received bytes the driver held go back to the FIFO (stream bytes {}..{},"
                                + " {} handed over in READ replies; first: {})",
                        driver,
                        back,
                        u.rxConsumed() - back,
                        u.rxConsumed() - 1,
                        rxDelivered,
                        java.util.HexFormat.ofDelimiter(" ").formatHex(b));
            }
            u.unread(back);
            if (back < held) {
                k.recoveryNote(
                        log,
                        "shadow of {}: {} received bytes the driver held are lost (only {} remembered)",
                        driver,
                        held,
                        back);
            }
            rxDelivered = u.rxConsumed();
        } else if (held < 0) {
            rxDelivered = u.rxConsumed();
        }
    }

    /**
     * A driver blocked with a READ owed while received bytes wait (in the FIFO, or taken by it and
     * not handed over) for {@link #STALLED_NANOS} has failed: the protocol's READ answers as soon
     * as one byte is there (measured: a corrupted driver that lost its interrupt enable slept in a
     * READ with the bytes in the FIFO until the run's budget ran out).
     */
    @Override
    public Fault watch(long now) {
        Fault f = super.watch(now);
        UartDevice u = uart();
        if (f != null || u == null || !readOwed) {
            return f;
        }
        long held = u.rxConsumed() - rxDelivered;
        long mark = u.rxConsumed() * 31 + u.rxWaiting();
        if (held <= 0 && u.rxWaiting() == 0) {
            stallSince = 0;
            return null;
        }
        if (stallSince == 0 || mark != stallMark) {
            stallSince = now;
            stallMark = mark;
            return null;
        }
        if (now - stallSince <= STALLED_NANOS) {
            return null;
        }
        return new Fault(
                FaultKind.DEADLINE,
                driver.pc(),
                0,
                driver.image().describe(driver.pc()),
                "it has waited " + (now - stallSince) / 1_000_000 + " ms in a READ with " + (held + u.rxWaiting())
                        + " received bytes there to answer");
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
