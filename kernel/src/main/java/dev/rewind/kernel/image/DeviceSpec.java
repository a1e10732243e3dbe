package dev.rewind.kernel.image;

import java.util.Locale;

/**
 * One device of a {@link Manifest} ({@code [device.NAME]}).
 *
 * @param name      device name; also the name of its owner's capability
 * @param kind      what it is
 * @param sizeBytes block devices: size of the blank disk used when no disk image is given
 * @param line      1-based line of the device's table
 */
public record DeviceSpec(String name, Kind kind, long sizeBytes, int line) {
    public static final long DEFAULT_DISK = 8L << 20;
    public static final long MIN_DISK = 64L << 10;
    public static final long MAX_DISK = 1L << 30;

    public enum Kind {
        UART,
        BLOCK,
        TIMER;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.configName().equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown device kind '" + s + "' (expected one of: uart, block, timer)");
        }
    }
}
