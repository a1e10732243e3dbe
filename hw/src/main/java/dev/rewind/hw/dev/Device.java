package dev.rewind.hw.dev;

import dev.rewind.hw.unicorn.MmioHandler;
import dev.rewind.hw.unicorn.Unicorn;
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
 * <p>Interrupts: most devices have one cause, bit 0; a device with more declares them in
 * {@link #irqCauses} (the NIC: RX, TX, LINK). The line is raised whenever a cause
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
    public static final int KIND_UART = 1, KIND_BLOCK = 2, KIND_TIMER = 3, KIND_NET = 4;

    /** The first interrupt cause (bit 0); the only one of the UART, block device and timer. */
    protected static final int CAUSE = 1;

    /** Register access directions. */
    protected static final int R = 1, W = 2, RW = R | W;

    /** A register: offset, width in bytes (4 or 8), access ({@link #R}, {@link #W}, {@link #RW}). */
    protected record Reg(int offset, int width, int access) {}

    private static final Logger log = LoggerFactory.getLogger(Device.class);

    private final String name;
    /** Register covering each 4-byte word of the page, or null. */
    private final Reg[] byWord = new Reg[(int) (MMIO_SIZE / 4)];
    /** Low words written to 64-bit registers, waiting for their high word (by offset / 8). */
    private final long[] lowWord = new long[(int) (MMIO_SIZE / 8)];

    private final boolean[] lowWritten = new boolean[(int) (MMIO_SIZE / 8)];

    /*
     * The guest access in progress, as the CPU's access hook reports it (mapInto). The CPU hands
     * the registers only pieces of an access: an 8-byte one as two 4-byte pieces, a misaligned load
     * as the aligned loads around it (merged afterwards), a misaligned store byte by byte. Alone,
     * a piece cannot tell "lw at 2" from "lw at 0; lw at 4": the hook can.
     */
    /** The access is misuse: its remaining pieces read 0 / are ignored (the code is latched once). */
    private boolean swallow;
    /** Pieces of the access still to come to this page. */
    private int piecesLeft;
    /** A misaligned load: the aligned loads the CPU makes for it, still to come. */
    private int subLoadsLeft;

    private long subBase;
    private int subSize;
    /** A valid 8-byte load of a 64-bit register: read once, its high half kept for the second piece. */
    private boolean wide;

    private boolean highHalfValid;
    private long highHalf;

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

    /** DEVICE_ID: 1 UART, 2 block, 3 timer, 4 net. */
    public abstract int kind();

    public String name() {
        return name;
    }

    public void attach(IrqLine irq) {
        this.irq = irq == null ? IrqLine.NONE : irq;
    }

    /** Connects the device's DMA to a driver's memory; only DMA-capable devices use it. */
    public void setDma(DmaPort port) {}

    /** Performs time- and input-driven events due at {@code nowNanos}. */
    public void poll(long nowNanos) {}

    /**
     * Since when (the {@link #poll} clock) the device has had work that only its driver can take
     * and the driver has not taken it (received frames left alone), or 0. A driver's shadow
     * treats a long stall as a driver failure; devices with nothing of the kind answer 0.
     */
    public long stalledSinceNanos() {
        return 0;
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

    /**
     * Maps this device's registers at {@code base} in {@code engine}, with every rule of
     * DEVICES.md "Register conventions": besides the MMIO region, a data-access hook on
     * {@code [base - 8, base + MMIO_SIZE)} tells the device the whole access each piece belongs to
     * (see {@link #beginAccess}), so a misaligned or wrong-sized access is misuse as a whole.
     */
    public final void mapInto(Unicorn engine, long base) {
        Unicorn.AccessLog accesses = engine.logAccesses(base - 8, base + MMIO_SIZE - 1);
        engine.mapMmio(base, MMIO_SIZE, new MmioHandler() {
            /** Accesses of the log already told to {@link #beginAccess}. */
            private long told;

            /**
             * Tell {@link #beginAccess} the accesses logged since the last piece, in order: the
             * device sees them as a hook called before each would have shown it (only a piece
             * can observe what beginAccess did), for a native log entry instead of a JNA
             * callback (~1 µs and ten objects) per access. Past the log's size, only the
             * latest: each access beginAccess does not take as a part of a misaligned load
             * starts afresh, and a load's parts come one after the other.
             */
            private void catchUp() {
                long n = accesses.count();
                for (long i = Math.max(told, n - Unicorn.AccessLog.RING); i < n; i++) {
                    beginAccess(accesses.address(i) - base, accesses.size(i), accesses.isWrite(i));
                }
                told = n;
            }

            @Override
            public long read(long offset, int size) {
                catchUp();
                return Device.this.read(offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                catchUp();
                Device.this.write(offset, size, value);
            }
        });
    }

    /**
     * A guest load or store of {@code size} bytes at {@code offset} from the register page (which
     * may start up to 8 bytes before it) is about to reach the registers, as pieces through
     * {@link #read} / {@link #write}. An access that does not match a register exactly (DEVICES.md)
     * latches one misuse code here and all its pieces on this page read 0 or are ignored; a
     * misaligned load is reported again for each aligned part the CPU splits it into. Never throws.
     */
    public final void beginAccess(long offset, int size, boolean write) {
        try {
            if (!write
                    && subLoadsLeft > 0
                    && size == subSize
                    && offset == subBase + (long) (2 - subLoadsLeft) * subSize) {
                subLoadsLeft--; // a part of the misaligned load in progress, already accounted for
                return;
            }
            swallow = false;
            wide = false;
            highHalfValid = false;
            subLoadsLeft = 0;
            if (size <= 0 || size > 8) {
                return;
            }
            boolean aligned = Math.floorMod(offset, size) == 0;
            if (!aligned && !write) {
                long b = Math.floorDiv(offset, size) * size;
                subLoadsLeft = 2;
                subBase = b;
                subSize = size;
                piecesLeft = piecesOf(b, size) + piecesOf(b + size, size);
            } else if (!aligned) {
                piecesLeft = 0; // stored byte by byte
                for (long o = offset; o < offset + size; o++) {
                    piecesLeft += o >= 0 && o < MMIO_SIZE ? 1 : 0;
                }
            } else {
                piecesLeft = piecesOf(offset, size);
            }
            if (offset < 0 || offset >= MMIO_SIZE) {
                // starts on the page before: that page answers for it; its pieces here are nothing
                swallow = piecesLeft > 0;
                return;
            }
            Reg r = byWord[(int) offset / 4];
            int code;
            if (r == null) {
                code = ERR_BAD_OFFSET;
            } else if (aligned && (size == r.width && offset == r.offset || r.width == 8 && size == 4)) {
                code = 0;
            } else {
                code = ERR_BAD_WIDTH;
            }
            if (code != 0) {
                misuse(code);
                swallow = piecesLeft > 0;
            } else {
                wide = size == 8;
            }
        } catch (Throwable t) {
            internalError("access", offset, t);
        }
    }

    /** Register pieces an aligned access of {@code size} at {@code offset} makes on this page. */
    private static int piecesOf(long offset, int size) {
        if (offset < 0 || offset >= MMIO_SIZE) {
            return 0;
        }
        return size == 8 ? 2 : 1;
    }

    /** Whether this piece belongs to an access already found to be misuse (and is swallowed). */
    private boolean swallowed() {
        if (!swallow) {
            return false;
        }
        if (--piecesLeft <= 0) {
            swallow = false;
        }
        return true;
    }

    /** A register load of {@code size} bytes at {@code offset}; 0 on misuse. Never throws. */
    public final long read(long offset, int size) {
        try {
            if (swallowed()) {
                return 0;
            }
            Reg r = access(offset, size, R);
            if (r == null) {
                return 0;
            }
            if (wide && r.width == 8 && size == 4) {
                // one 8-byte load: read the register once, so its halves belong together
                if (offset == r.offset) {
                    long v = readRegister(r.offset);
                    highHalf = v >>> 32;
                    highHalfValid = true;
                    return v & 0xffff_ffffL;
                }
                if (highHalfValid) {
                    highHalfValid = false;
                    wide = false;
                    return highHalf;
                }
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
            if (swallowed()) {
                return;
            }
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
        boolean ok = size == r.width && offset == r.offset || r.width == 8 && size == 4 && offset % 4 == 0;
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
                irqEnable = (int) value & irqCauses();
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

    /** The interrupt causes this device has (the bits IRQ_ENABLE keeps); bit 0 unless overridden. */
    protected int irqCauses() {
        return CAUSE;
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
