package dev.rewind.hw.dev;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An emulated memory-mapped device: one {@link #MMIO_SIZE} page of registers, an interrupt
 * line and (for the block device) a DMA port. This class implements everything
 * docs/DEVICES.md "Register conventions (all devices)" says: the identification registers,
 * STATUS bit 31, IRQ_ENABLE, IRQ_STATUS (write 1s to clear), CONTROL (1 = RESET), the access
 * rules for 32- and 64-bit registers and register misuse (a read returns 0, a write is
 * ignored, ERROR latches the code and STATUS.ERROR is set). Subclasses declare their own
 * registers and implement them in {@link #readReg} / {@link #writeReg}; by the time those run,
 * offset, width and direction have been checked.
 *
 * <p>Interrupts: every device here has one cause, bit 0. The line is raised whenever a cause
 * is asserted while enabled (also when it was already pending: a driver that never clears
 * IRQ_STATUS still gets one notification per event) and when IRQ_ENABLE is written so that an
 * already-pending cause becomes enabled.
 *
 * <p>Threading: {@link #read}, {@link #write}, {@link #reset}, {@link #poll} and the other
 * methods run on the kernel thread; subclasses say which of their methods other threads may call.
 * {@link #read} and {@link #write} run inside Unicorn's MMIO callbacks and never throw: an
 * internal failure is logged and treated as misuse with code {@link #ERR_BAD_VALUE}.
 */
public abstract class Device {
    public static final long MMIO_SIZE = 0x1000;

    // Common registers (DEVICES.md, "Register conventions").
    public static final int MAGIC = 0x00;
    public static final int DEVICE_ID = 0x04;
    public static final int VERSION = 0x08;
    public static final int ERROR = 0x0c;
    public static final int STATUS = 0x10;
    public static final int IRQ_ENABLE = 0x14;
    public static final int IRQ_STATUS = 0x18;
    public static final int CONTROL = 0x1c;

    public static final int MAGIC_VALUE = 0x56445752; // "RWDV"
    public static final int VERSION_VALUE = 1;
    public static final int STATUS_ERROR = 1 << 31;
    public static final int CONTROL_RESET = 1;

    // ERROR codes.
    public static final int ERR_BAD_OFFSET = 1;
    public static final int ERR_BAD_WIDTH = 2;
    public static final int ERR_WRITE_RO = 3;
    public static final int ERR_READ_WO = 4;
    public static final int ERR_BAD_COMMAND = 5;
    public static final int ERR_BAD_VALUE = 6;

    /** Device kinds (DEVICE_ID). */
    public static final int KIND_UART = 1, KIND_BLOCK = 2, KIND_TIMER = 3;

    /** The one interrupt cause every device has (bit 0). */
    protected static final int CAUSE = 1;

    /** Register access directions. */
    protected static final int R = 1, W = 2, RW = R | W;

    /** A register: offset, width in bytes (4 or 8), access ({@link #R}, {@link #W}, {@link #RW}). */
    protected record Reg(int offset, int width, int access) { }

    private static final Logger log = LoggerFactory.getLogger(Device.class);

    private final String name;
    /** Register covering each 4-byte word of the page, or null. */
    private final Reg[] byWord = new Reg[(int) (MMIO_SIZE / 4)];
    /** Low words written to 64-bit registers, waiting for their high word (by offset / 8). */
    private final long[] lowWord = new long[(int) (MMIO_SIZE / 8)];
    private final boolean[] lowWritten = new boolean[(int) (MMIO_SIZE / 8)];

    private IrqLine irq = IrqLine.NONE;
    private int error;
    private int irqEnable;
    private int irqStatus;
    private long misuses;

    protected Device(String name, Reg... deviceRegs) {
        this.name = name;
        declare(new Reg(MAGIC, 4, R));
        declare(new Reg(DEVICE_ID, 4, R));
        declare(new Reg(VERSION, 4, R));
        declare(new Reg(ERROR, 4, R));
        declare(new Reg(STATUS, 4, R));
        declare(new Reg(IRQ_ENABLE, 4, RW));
        declare(new Reg(IRQ_STATUS, 4, RW));
        declare(new Reg(CONTROL, 4, W));
        for (Reg r : deviceRegs) {
            declare(r);
        }
    }

    private void declare(Reg r) {
        if (r.offset % r.width != 0 || (r.width != 4 && r.width != 8)) {
            throw new IllegalArgumentException("bad register " + r);
        }
        for (int w = r.offset / 4; w < (r.offset + r.width) / 4; w++) {
            if (byWord[w] != null) {
                throw new IllegalArgumentException("overlapping register " + r);
            }
            byWord[w] = r;
        }
    }

    /** DEVICE_ID: 1 UART, 2 block, 3 timer. */
    public abstract int kind();

    public String name() {
        return name;
    }

    public void attach(IrqLine irq) {
        this.irq = irq == null ? IrqLine.NONE : irq;
    }

    /** Connects the device's DMA to a driver's memory; only DMA-capable devices use it. */
    public void setDma(DmaPort port) {
    }

    /** Performs time- and input-driven events due at {@code nowNanos}. */
    public void poll(long nowNanos) {
    }

    /** The earliest time at which {@link #poll} would do something; {@code Long.MAX_VALUE} if never. */
    public long nextEventNanos() {
        return Long.MAX_VALUE;
    }

    /** Whether the device may still raise its interrupt without any further register write. */
    public boolean mayInterruptUnprompted() {
        return false;
    }

    /** Register misuses since power-on. */
    public long misuseCount() {
        return misuses;
    }

    /** RESET: registers to power-on values (see each device for what survives). */
    public void reset() {
        error = 0;
        irqEnable = 0;
        irqStatus = 0;
        java.util.Arrays.fill(lowWritten, false);
        resetDevice();
    }

    /** A register load of {@code size} bytes at {@code offset}; 0 on misuse. Never throws. */
    public final long read(long offset, int size) {
        try {
            Reg r = access(offset, size, R);
            if (r == null) {
                return 0;
            }
            long v = readRegister(r.offset);
            if (r.width == 8 && size == 4) {
                v = offset == r.offset ? v : v >>> 32;
            }
            return size == 4 ? v & 0xffff_ffffL : v;
        } catch (Throwable t) {
            internalError("read", offset, t);
            return 0;
        }
    }

    /** A register store of {@code size} bytes at {@code offset}; ignored on misuse. Never throws. */
    public final void write(long offset, int size, long value) {
        try {
            Reg r = access(offset, size, W);
            if (r == null) {
                return;
            }
            if (size == 4) {
                value &= 0xffff_ffffL;
            }
            if (r.width == 8 && size == 4) {
                int slot = r.offset / 8;
                if (offset == r.offset) {
                    lowWord[slot] = value;
                    lowWritten[slot] = true;
                    return;
                }
                long low = lowWritten[slot] ? lowWord[slot] : readRegister(r.offset) & 0xffff_ffffL;
                lowWritten[slot] = false;
                value = value << 32 | low;
            }
            writeRegister(r.offset, value);
        } catch (Throwable t) {
            internalError("write", offset, t);
        }
    }

    /**
     * Checks an access; returns its register, or null after latching the misuse code. An access
     * inside a register that does not match it exactly is a bad width; one outside every
     * register a bad offset.
     */
    private Reg access(long offset, int size, int dir) {
        if (offset < 0 || offset >= MMIO_SIZE) {
            misuse(ERR_BAD_OFFSET);
            return null;
        }
        Reg r = byWord[(int) offset / 4];
        if (r == null) {
            misuse(ERR_BAD_OFFSET);
            return null;
        }
        boolean ok = size == r.width && offset == r.offset
                || r.width == 8 && size == 4 && offset % 4 == 0;
        if (!ok) {
            misuse(ERR_BAD_WIDTH);
            return null;
        }
        if ((r.access & dir) == 0) {
            misuse(dir == R ? ERR_READ_WO : ERR_WRITE_RO);
            return null;
        }
        return r;
    }

    private long readRegister(int offset) {
        return switch (offset) {
            case MAGIC -> MAGIC_VALUE;
            case DEVICE_ID -> kind();
            case VERSION -> VERSION_VALUE;
            case ERROR -> {
                int e = error;
                error = 0;
                yield e;
            }
            case STATUS -> deviceStatus() | (error != 0 ? STATUS_ERROR : 0);
            case IRQ_ENABLE -> irqEnable;
            case IRQ_STATUS -> irqStatus;
            default -> readReg(offset);
        };
    }

    private void writeRegister(int offset, long value) {
        switch (offset) {
            case IRQ_ENABLE -> {
                int old = irqEnable;
                irqEnable = (int) value & CAUSE;
                if ((irqEnable & ~old & irqStatus) != 0) {
                    irq.raise();
                }
            }
            case IRQ_STATUS -> irqStatus &= ~(int) value;
            case CONTROL -> {
                if (value == CONTROL_RESET) {
                    reset();
                } else {
                    misuse(ERR_BAD_COMMAND);
                }
            }
            default -> writeReg(offset, value);
        }
    }

    /** Latches a misuse code: ERROR = code, STATUS.ERROR set. */
    protected final void misuse(int code) {
        error = code;
        misuses++;
        if (log.isTraceEnabled()) {
            log.trace("{}: register misuse {}", name, code);
        }
    }

    /** Asserts interrupt causes; raises the line if any of them is enabled. */
    protected final void assertIrq(int causes) {
        irqStatus |= causes;
        if ((causes & irqEnable) != 0) {
            irq.raise();
        }
    }

    private void internalError(String what, long offset, Throwable t) {
        log.warn("{}: internal error in register {} at offset {}; treated as misuse", name, what, offset, t);
        try {
            misuse(ERR_BAD_VALUE);
        } catch (Throwable ignored) {
            // nothing more can be done; never throw into Unicorn
        }
    }

    /** Device-specific STATUS bits (bit 31 is added by this class). */
    protected abstract int deviceStatus();

    /**
     * Reads a readable device register; the full 64-bit value for 64-bit registers, which must
     * be side-effect free (their halves can be read separately).
     */
    protected abstract long readReg(int offset);

    /** Writes a writable device register (32-bit values zero-extended). */
    protected abstract void writeReg(int offset, long value);

    /** Device-specific part of RESET. */
    protected abstract void resetDevice();
}
