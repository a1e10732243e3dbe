package dev.rewind.hw.dev;

import java.util.function.LongSupplier;

/**
 * The timer (docs/DEVICES.md, "Timer (DEVICE_ID 3)"): NOW reads the machine clock; START_ONESHOT
 * and START_PERIODIC arm it for INTERVAL nanoseconds (the interval in INTERVAL when the command
 * is written; changing INTERVAL later affects the next start). Expiry happens in {@link #poll}:
 * a one-shot timer stops; a periodic one that fell behind counts every missed expiration in
 * EXPIRATIONS (saturating at 2^32 - 1) but asserts EXPIRED once per poll.
 *
 * <p>INTERVAL is 0 at power-on and after RESET: a start before an INTERVAL is written is misuse
 * (code 6). An INTERVAL outside 100 µs .. 3,600 s is misuse (code 6) and leaves it unchanged; an
 * unknown command is misuse (code 5). RESET stops the timer and clears EXPIRATIONS.
 */
public final class TimerDevice extends Device {
    public static final int NOW = 0x20;
    public static final int INTERVAL = 0x28;
    public static final int COMMAND = 0x30;
    public static final int EXPIRATIONS = 0x34;

    public static final int STATUS_RUNNING = 1;
    public static final int STATUS_PERIODIC = 1 << 1;
    public static final int CMD_START_ONESHOT = 1, CMD_START_PERIODIC = 2, CMD_STOP = 3;
    /** IRQ cause bit 0: the timer expired. */
    public static final int CAUSE_EXPIRED = CAUSE;

    public static final long MIN_INTERVAL = 100_000L;
    public static final long MAX_INTERVAL = 3_600_000_000_000L;

    private final LongSupplier clock;
    private long interval;
    private boolean running;
    private boolean periodic;
    private long period;
    private long deadline;
    private long expirations;

    public TimerDevice(String name, LongSupplier clock) {
        super(name, new Reg(NOW, 8, R), new Reg(INTERVAL, 8, RW), new Reg(COMMAND, 4, W), new Reg(EXPIRATIONS, 4, R));
        this.clock = clock;
    }

    @Override
    public int kind() {
        return KIND_TIMER;
    }

    @Override
    public void poll(long nowNanos) {
        if (!running || nowNanos < deadline) {
            return;
        }
        if (periodic) {
            long n = (nowNanos - deadline) / period + 1;
            expirations = Math.min(0xffff_ffffL, expirations + n);
            deadline += n * period;
        } else {
            expirations = Math.min(0xffff_ffffL, expirations + 1);
            running = false;
        }
        assertIrq(CAUSE_EXPIRED);
    }

    @Override
    public long nextEventNanos() {
        return running ? deadline : Long.MAX_VALUE;
    }

    @Override
    public boolean mayInterruptUnprompted() {
        return running;
    }

    /** Expirations since the last start (the EXPIRATIONS register). */
    public long expirations() {
        return expirations;
    }

    @Override
    protected int deviceStatus() {
        return (running ? STATUS_RUNNING : 0) | (running && periodic ? STATUS_PERIODIC : 0);
    }

    @Override
    protected long readReg(int offset) {
        return switch (offset) {
            case NOW -> clock.getAsLong();
            case INTERVAL -> interval;
            case EXPIRATIONS -> expirations;
            default -> throw new IllegalStateException("no register " + offset);
        };
    }

    @Override
    protected void writeReg(int offset, long value) {
        switch (offset) {
            case INTERVAL -> {
                if (value < MIN_INTERVAL || value > MAX_INTERVAL) {
                    misuse(ERR_BAD_VALUE);
                } else {
                    interval = value;
                }
            }
            case COMMAND -> command(value);
            default -> throw new IllegalStateException("no register " + offset);
        }
    }

    private void command(long cmd) {
        if (cmd == CMD_STOP) {
            running = false;
        } else if (cmd == CMD_START_ONESHOT || cmd == CMD_START_PERIODIC) {
            if (interval == 0) {
                misuse(ERR_BAD_VALUE);
                return;
            }
            running = true;
            periodic = cmd == CMD_START_PERIODIC;
            period = interval;
            deadline = clock.getAsLong() + interval;
            expirations = 0;
        } else {
            misuse(ERR_BAD_COMMAND);
        }
    }

    @Override
    protected void resetDevice() {
        interval = 0;
        running = false;
        periodic = false;
        expirations = 0;
    }
}
