package dev.rewind.kernel.image;

import dev.rewind.hw.dev.GuestForward;
import java.util.List;
import java.util.Locale;

/**
 * One device of a {@link Manifest} ({@code [device.NAME]}).
 *
 * @param name      device name; also the name of its owner's capability
 * @param kind      what it is
 * @param sizeBytes block devices: size of the blank disk used when no disk image is given
 * @param line      1-based line of the device's table
 * @param mac       net devices: the power-on MAC (48 bits, first octet in bits 0-7), or
 *                  {@link #NO_MAC} for the default (docs/DEVICES.md, "Network card")
 * @param guestForwards net devices: the manifest's {@code guestfwd} rules (docs/DEVICES.md,
 *                  "Host side"); empty otherwise
 * @param loopback  UARTs: every transmitted byte is also put in the device's own receive FIFO
 *                  (docs/DEVICES.md, "UART"), so a guest can read back what it wrote
 */
public record DeviceSpec(
        String name,
        Kind kind,
        long sizeBytes,
        int line,
        long mac,
        List<GuestForward> guestForwards,
        boolean loopback) {
    /** No {@code mac} key: the card's default address. */
    public static final long NO_MAC = -1;

    public static final long DEFAULT_DISK = 8L << 20;
    public static final long MIN_DISK = 64L << 10;
    public static final long MAX_DISK = 1L << 30;

    public DeviceSpec {
        guestForwards = List.copyOf(guestForwards);
    }

    public DeviceSpec(String name, Kind kind, long sizeBytes, int line, long mac, List<GuestForward> guestForwards) {
        this(name, kind, sizeBytes, line, mac, guestForwards, false);
    }

    public DeviceSpec(String name, Kind kind, long sizeBytes, int line, long mac) {
        this(name, kind, sizeBytes, line, mac, List.of());
    }

    public DeviceSpec(String name, Kind kind, long sizeBytes, int line) {
        this(name, kind, sizeBytes, line, NO_MAC);
    }

    /**
     * Why task {@code task} may not own this device under recovery = "txipc", or null if it may
     * ({@link Kind#beyondTxipc}).
     */
    public String txipcProblem(String task) {
        if (!kind.beyondTxipc()) {
            return null;
        }
        return "task '" + task + "': recovery = \"txipc\" cannot undo what " + kind.configName() + " device '" + name
                + "' did or holds; its driver uses recovery = \"shadow\" (shadow = \""
                + (kind == Kind.BLOCK ? "block" : "net") + "\") or \"restart\"";
    }

    public enum Kind {
        UART,
        BLOCK,
        TIMER,
        NET;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * Whether a driver of this kind of device cannot be recovered by txipc: a rollback undoes
         * the task's memory, not what the device did or holds (a block driver under txipc
         * recovered 43 of 224 faults where its shadow recovered all: its replays answered
         * requests otherwise). A UART's output or a timer's deadline left behind is not state a
         * later request reads back, so their owners may be txipc servers.
         */
        public boolean beyondTxipc() {
            return this == BLOCK || this == NET;
        }

        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.configName().equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException(
                    "unknown device kind '" + s + "' (expected one of: uart, block, timer, net)");
        }
    }
}
