package dev.rewind.kernel;

import dev.rewind.abi.Nic;

/**
 * The shadow of a network-card driver (protocol of {@code <rewind/nic.h>}, defined in
 * guest/abi/nic.proto). Driver state it rebuilds: the clients' sessions and their receive
 * filters (NIC_OPEN, dropped by NIC_CLOSE), and the station address (NIC_SET_MAC, the last one,
 * replayed after the sessions with the badge that set it). The restarted driver sets up fresh
 * descriptor rings itself; the card was reset with it.
 *
 * <p>Frames in flight: a SEND cut short is re-issued as it is, so a frame may go on the wire
 * twice (at least once: IP and TCP discard the duplicate). A frame the card had received but the
 * driver had not yet handed over in a RECV reply is lost with the old driver (its rings and
 * the card's host-side queue are reset): TCP sends it again; the re-issued RECV answers the next
 * frame or EAGAIN. Neither is hidden by the shadow, and neither breaks a TCP connection.
 */
final class NetShadow extends Shadow {
    NetShadow(Kernel k, Task driver) {
        super(k, driver, Nic.OPEN, Nic.CLOSE);
    }

    @Override
    boolean logsConfig(long label) {
        return label == Nic.SET_MAC;
    }

    @Override
    String opName(long label) {
        return Nic.opName(label);
    }

    @Override
    boolean wellFormed(long[] m) {
        return Nic.wellFormed(m[0], m[1], m[2], m[3], m[4], m[5]);
    }

    @Override
    boolean mayAnswer(long label, long status) {
        return Nic.mayAnswer(label, status);
    }

    @Override
    long deviceError() {
        return Nic.EIO;
    }

    @Override
    boolean replyWellFormed(long[] m, long[] r) {
        return Nic.replyWellFormed(m[0], r[1], r[2], r[3], r[4], r[5], r[6], m);
    }

    /** ENOTOPEN to a client whose OPEN the driver acknowledged. */
    @Override
    String stateBreach(long[] msg, long status, long[] open) {
        if (open != null && status == Nic.ENOTOPEN) {
            return "answered ENOTOPEN to a client whose OPEN it acknowledged";
        }
        return null;
    }
}
