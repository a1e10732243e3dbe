package dev.rewind.hw.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rewind.hw.cpu.Exit;
import dev.rewind.hw.cpu.RiscvCpu;
import dev.rewind.hw.cpu.UnicornCpu;
import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.PhysicalMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every width and offset of a guest load and store on a device's registers, through the real CPU
 * (which splits accesses into pieces), against DEVICES.md "Register conventions": an access that
 * matches a register exactly (or is a 4-byte half of a 64-bit one) works, anything else reads 0,
 * writes nothing and latches code 1 (outside every register) or 2 (inside one).
 */
class DeviceAccessTest {
    static final long CODE = 0x10000;
    static final long BASE = 0x40000000L;
    static final int T0 = 5, T1 = 6;
    static final long NOW = 0x1234_5678_9abc_def0L;
    static final long INTERVAL = 5_000_000;

    /** The timer's registers: offset -> width; the write-only and read-only ones. */
    static final Map<Integer, Integer> WIDTH = Map.ofEntries(
            Map.entry(0x00, 4),
            Map.entry(0x04, 4),
            Map.entry(0x08, 4),
            Map.entry(0x0c, 4),
            Map.entry(0x10, 4),
            Map.entry(0x14, 4),
            Map.entry(0x18, 4),
            Map.entry(0x1c, 4),
            Map.entry(0x20, 8),
            Map.entry(0x28, 8),
            Map.entry(0x30, 4),
            Map.entry(0x34, 4));

    PhysicalMemory ram;
    UnicornCpu cpu;
    Fakes.Clock clock;
    TimerDevice dev;
    int next;

    @BeforeEach
    void setUp() {
        ram = new PhysicalMemory(1 << 20);
        cpu = newCpu(ram);
        cpu.memory().map("code", CODE, 0x4000, Perm.RX);
        clock = new Fakes.Clock();
        clock.now = NOW;
        dev = new TimerDevice("timer0", clock);
        dev.mapInto(cpu.engine(), BASE);
    }

    @AfterEach
    void tearDown() {
        cpu.close();
        ram.close();
    }

    /** The CPU the accesses run on (this class: RISC-V; Aarch64DeviceAccessTest: AArch64). */
    UnicornCpu newCpu(PhysicalMemory ram) {
        return new RiscvCpu(ram);
    }

    /** The register holding the address (t0) and the one loaded or stored (t1). */
    int baseReg() {
        return T0;
    }

    int valueReg() {
        return T1;
    }

    /** The system call instruction that ends a run. */
    int syscall() {
        return 0x00000073; // ecall
    }

    /** A zero-extending load of {@code size} bytes at {@code off} from the base register. */
    int loadInsn(int size, int off) {
        return load(size, off);
    }

    /** A store of {@code size} bytes at {@code off} from the base register. */
    int storeInsn(int size, int off) {
        return store(size, off);
    }

    /** Runs one instruction with the base register = {@code base} and the value register = {@code value}; returns the latter afterwards. */
    long run(int insn, long value, long base) {
        long at = CODE + 8L * next++;
        ByteBuffer b = ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(insn)
                .putInt(syscall());
        cpu.memory().write(at, b.array(), 0, 8, Perm.NONE);
        cpu.setReg(baseReg(), base);
        cpu.setReg(valueReg(), value);
        assertEquals(Exit.ECALL, cpu.run(at));
        return cpu.reg(valueReg());
    }

    long run(int insn, long value) {
        return run(insn, value, BASE);
    }

    /** lbu / lhu / lwu / ld t1, off(t0). */
    static int load(int size, int off) {
        int funct3 = switch (size) {
            case 1 -> 4;
            case 2 -> 5;
            case 4 -> 6;
            default -> 3;
        };
        return (off << 20) | (T0 << 15) | (funct3 << 12) | (T1 << 7) | 0x03;
    }

    /** sb / sh / sw / sd t1, off(t0). */
    static int store(int size, int off) {
        int funct3 = Integer.numberOfTrailingZeros(size);
        return ((off >> 5) << 25) | (T1 << 20) | (T0 << 15) | (funct3 << 12) | ((off & 31) << 7) | 0x23;
    }

    /** The register covering byte {@code off}, or -1. */
    static int regAt(int off) {
        for (Map.Entry<Integer, Integer> e : WIDTH.entrySet()) {
            if (off >= e.getKey() && off < e.getKey() + e.getValue()) {
                return e.getKey();
            }
        }
        return -1;
    }

    /** The misuse code of the shape of an access (0: it matches a register). */
    static int shapeCode(int off, int size) {
        int r = regAt(off);
        if (r < 0) {
            return Device.ERR_BAD_OFFSET;
        }
        int w = WIDTH.get(r);
        boolean ok = off % size == 0 && (size == w && off == r || w == 8 && size == 4);
        return ok ? 0 : Device.ERR_BAD_WIDTH;
    }

    void baseline() {
        dev.write(Device.IRQ_ENABLE, 4, 0);
        dev.write(TimerDevice.INTERVAL, 8, INTERVAL);
        dev.read(Device.ERROR, 4);
    }

    @Test
    void everyLoadWidthAndOffset() {
        baseline();
        for (int off = 0; off < 0x40; off++) {
            for (int size : new int[] {1, 2, 4, 8}) {
                baseline();
                long misuses = dev.misuseCount();
                long got = run(loadInsn(size, off), -1);
                int code = shapeCode(off, size);
                if (code == 0 && (off == Device.CONTROL || off == TimerDevice.COMMAND)) {
                    code = Device.ERR_READ_WO;
                }
                String what = "load of " + size + " at 0x" + Integer.toHexString(off);
                long expected;
                if (code != 0) {
                    expected = 0;
                } else {
                    int r = regAt(off);
                    long full = switch (r) {
                        case Device.MAGIC -> Device.MAGIC_VALUE;
                        case Device.DEVICE_ID -> Device.KIND_TIMER;
                        case Device.VERSION -> 1;
                        case TimerDevice.NOW -> NOW;
                        case TimerDevice.INTERVAL -> INTERVAL;
                        default -> 0; // ERROR (cleared), STATUS, IRQ_*, EXPIRATIONS: all 0 here
                    };
                    expected = size == 8 ? full : off == r ? full & 0xffff_ffffL : full >>> 32;
                }
                assertEquals(expected, got, what);
                assertEquals(code, dev.read(Device.ERROR, 4), what + ": ERROR");
                assertEquals(misuses + (code != 0 ? 1 : 0), dev.misuseCount(), what + ": one misuse at most");
            }
        }
    }

    @Test
    void everyStoreWidthAndOffset() {
        for (int off = 0; off < 0x40; off++) {
            for (int size : new int[] {1, 2, 4, 8}) {
                baseline();
                long misuses = dev.misuseCount();
                run(storeInsn(size, off), -1);
                String what = "store of " + size + " at 0x" + Integer.toHexString(off);
                int code = shapeCode(off, size);
                if (code != 0) {
                    assertEquals(code, dev.read(Device.ERROR, 4), what + ": ERROR");
                    assertEquals(misuses + 1, dev.misuseCount(), what + ": one misuse");
                    assertEquals(0, dev.read(Device.IRQ_ENABLE, 4), what + ": IRQ_ENABLE untouched");
                    assertEquals(INTERVAL, dev.read(TimerDevice.INTERVAL, 8), what + ": INTERVAL untouched");
                    assertEquals(0, dev.read(Device.ERROR, 4), what + ": nothing else latched");
                }
            }
        }
    }

    @Test
    void theCasesOfTheIssue() {
        // a 4-byte load at offset 2 used to return MAGIC's high half merged with DEVICE_ID's low half
        assertEquals(0, run(loadInsn(4, 2), -1));
        assertEquals(Device.ERR_BAD_WIDTH, dev.read(Device.ERROR, 4));
        // an 8-byte load of two 32-bit registers used to return both
        assertEquals(0, run(loadInsn(8, 0), -1));
        assertEquals(Device.ERR_BAD_WIDTH, dev.read(Device.ERROR, 4));
        // an 8-byte store over IRQ_ENABLE's neighbours used to write IRQ_STATUS and CONTROL (RESET)
        dev.write(TimerDevice.INTERVAL, 8, INTERVAL);
        run(storeInsn(8, 0x18), 1);
        assertEquals(Device.ERR_BAD_WIDTH, dev.read(Device.ERROR, 4));
        assertEquals(INTERVAL, dev.read(TimerDevice.INTERVAL, 8), "no RESET");
        // a valid 8-byte load of NOW still reads it whole
        assertEquals(NOW, run(loadInsn(8, TimerDevice.NOW), -1));
        assertEquals(0, dev.read(Device.ERROR, 4));
    }

    @Test
    void anEightByteLoadReadsA64BitRegisterOnce() {
        long[] reads = {0};
        TimerDevice counting = new TimerDevice("t1", () -> {
            reads[0]++;
            return 0xffff_ffffL + reads[0]; // the low word wraps between two reads
        });
        counting.mapInto(cpu.engine(), BASE + Device.MMIO_SIZE);
        long got = run(loadInsn(8, TimerDevice.NOW), -1, BASE + Device.MMIO_SIZE);
        assertEquals(1, reads[0]);
        assertEquals(0x1_0000_0000L, got, "no torn value");
    }
}
