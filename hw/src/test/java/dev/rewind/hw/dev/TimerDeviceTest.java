package dev.rewind.hw.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** DEVICES.md, "Timer (DEVICE_ID 3)". */
class TimerDeviceTest {
    static final long MS = 1_000_000;
    final Fakes.Clock clock = new Fakes.Clock();
    final Fakes.Irq irq = new Fakes.Irq();
    final TimerDevice timer = new TimerDevice("timer0", clock);

    TimerDeviceTest() {
        timer.attach(irq);
        timer.write(Device.IRQ_ENABLE, 4, 1);
    }

    private void tick(long t) {
        clock.now = t;
        timer.poll(t);
    }

    @Test
    void now() {
        clock.now = 0x1_2345_6789L;
        assertEquals(0x1_2345_6789L, timer.read(TimerDevice.NOW, 8));
        assertEquals(0x2345_6789L, timer.read(TimerDevice.NOW, 4));
        assertEquals(1, timer.read(TimerDevice.NOW + 4, 4));
        timer.write(TimerDevice.NOW, 8, 0);
        assertEquals(Device.ERR_WRITE_RO, timer.read(Device.ERROR, 4));
    }

    @Test
    void oneShot() {
        assertEquals(Long.MAX_VALUE, timer.nextEventNanos());
        assertFalse(timer.mayInterruptUnprompted());
        timer.write(TimerDevice.INTERVAL, 8, 10 * MS);
        tick(5 * MS);
        timer.write(TimerDevice.COMMAND, 4, TimerDevice.CMD_START_ONESHOT);
        assertEquals(TimerDevice.STATUS_RUNNING, timer.read(Device.STATUS, 4));
        assertEquals(15 * MS, timer.nextEventNanos());
        assertTrue(timer.mayInterruptUnprompted());
        tick(15 * MS - 1);
        assertEquals(0, irq.count());
        assertEquals(0, timer.read(TimerDevice.EXPIRATIONS, 4));
        tick(15 * MS);
        assertEquals(1, irq.count());
        assertEquals(1, timer.read(Device.IRQ_STATUS, 4));
        assertEquals(1, timer.read(TimerDevice.EXPIRATIONS, 4));
        assertEquals(0, timer.read(Device.STATUS, 4), "a one-shot timer stops");
        assertFalse(timer.mayInterruptUnprompted());
        assertEquals(Long.MAX_VALUE, timer.nextEventNanos());
        tick(100 * MS);
        assertEquals(1, irq.count());
        assertEquals(1, timer.read(TimerDevice.EXPIRATIONS, 4));
    }

    @Test
    void periodicAndMissedPeriods() {
        timer.write(TimerDevice.INTERVAL, 8, MS);
        timer.write(TimerDevice.COMMAND, 4, TimerDevice.CMD_START_PERIODIC);
        assertEquals(TimerDevice.STATUS_RUNNING | TimerDevice.STATUS_PERIODIC, timer.read(Device.STATUS, 4));
        for (int i = 1; i <= 5; i++) {
            tick(i * MS);
            assertEquals(i, irq.count());
            assertEquals(i, timer.read(TimerDevice.EXPIRATIONS, 4));
            assertEquals((i + 1) * MS, timer.nextEventNanos());
        }
        // Busy machine: 7.5 periods pass before the next poll -> counted, one interrupt.
        tick(12 * MS + MS / 2);
        assertEquals(6, irq.count());
        assertEquals(12, timer.read(TimerDevice.EXPIRATIONS, 4));
        assertEquals(13 * MS, timer.nextEventNanos(), "stays on the original grid");
        timer.write(TimerDevice.COMMAND, 4, TimerDevice.CMD_STOP);
        assertEquals(0, timer.read(Device.STATUS, 4));
        assertEquals(12, timer.read(TimerDevice.EXPIRATIONS, 4), "STOP keeps the count");
        tick(20 * MS);
        assertEquals(6, irq.count());
        // A new start clears EXPIRATIONS.
        timer.write(TimerDevice.COMMAND, 4, TimerDevice.CMD_START_PERIODIC);
        assertEquals(0, timer.read(TimerDevice.EXPIRATIONS, 4));
        assertEquals(21 * MS, timer.nextEventNanos());
    }

    @Test
    void raisesPerEventEvenIfNotCleared() {
        timer.write(TimerDevice.INTERVAL, 8, MS);
        timer.write(TimerDevice.COMMAND, 4, TimerDevice.CMD_START_PERIODIC);
        tick(MS);
        tick(2 * MS);
        assertEquals(2, irq.count());
        timer.write(Device.IRQ_ENABLE, 4, 0);
        tick(3 * MS);
        assertEquals(2, irq.count());
        timer.write(Device.IRQ_ENABLE, 4, 1);
        assertEquals(3, irq.count(), "enabled while pending");
    }

    @Test
    void intervalBounds() {
        timer.write(TimerDevice.INTERVAL, 8, TimerDevice.MIN_INTERVAL);
        assertEquals(TimerDevice.MIN_INTERVAL, timer.read(TimerDevice.INTERVAL, 8));
        timer.write(TimerDevice.INTERVAL, 8, TimerDevice.MIN_INTERVAL - 1);
        assertEquals(Device.ERR_BAD_VALUE, timer.read(Device.ERROR, 4));
        assertEquals(TimerDevice.MIN_INTERVAL, timer.read(TimerDevice.INTERVAL, 8), "unchanged");
        timer.write(TimerDevice.INTERVAL, 8, TimerDevice.MAX_INTERVAL);
        assertEquals(TimerDevice.MAX_INTERVAL, timer.read(TimerDevice.INTERVAL, 8));
        timer.write(TimerDevice.INTERVAL, 8, TimerDevice.MAX_INTERVAL + 1);
        assertEquals(Device.ERR_BAD_VALUE, timer.read(Device.ERROR, 4));
        timer.write(TimerDevice.INTERVAL, 8, -1);
        assertEquals(Device.ERR_BAD_VALUE, timer.read(Device.ERROR, 4));
        assertEquals(TimerDevice.MAX_INTERVAL, timer.read(TimerDevice.INTERVAL, 8));
        // Two 4-byte stores: the low word alone changes nothing; the value is checked on the high word.
        long v = 5_000_000_000L;
        timer.write(TimerDevice.INTERVAL, 4, v & 0xffffffffL);
        assertEquals(TimerDevice.MAX_INTERVAL, timer.read(TimerDevice.INTERVAL, 8));
        timer.write(TimerDevice.INTERVAL + 4, 4, v >>> 32);
        assertEquals(v, timer.read(TimerDevice.INTERVAL, 8));
        assertEquals(0, timer.read(Device.ERROR, 4));
    }

    @Test
    void commandsAndReset() {
        timer.write(TimerDevice.COMMAND, 4, TimerDevice.CMD_START_ONESHOT);
        assertEquals(Device.ERR_BAD_VALUE, timer.read(Device.ERROR, 4), "no INTERVAL yet");
        assertEquals(0, timer.read(Device.STATUS, 4));
        timer.write(TimerDevice.COMMAND, 4, 4);
        assertEquals(Device.ERR_BAD_COMMAND, timer.read(Device.ERROR, 4));
        timer.write(TimerDevice.COMMAND, 4, 0);
        assertEquals(Device.ERR_BAD_COMMAND, timer.read(Device.ERROR, 4));
        timer.write(TimerDevice.INTERVAL, 8, MS);
        timer.write(TimerDevice.COMMAND, 4, TimerDevice.CMD_START_PERIODIC);
        tick(MS);
        timer.write(Device.CONTROL, 4, 1);
        assertEquals(0, timer.read(Device.STATUS, 4));
        assertEquals(0, timer.read(TimerDevice.INTERVAL, 8));
        assertEquals(0, timer.read(TimerDevice.EXPIRATIONS, 4));
        assertEquals(0, timer.read(Device.IRQ_ENABLE, 4));
        assertFalse(timer.mayInterruptUnprompted());
        assertEquals(0, timer.read(TimerDevice.EXPIRATIONS + 4, 4));
        assertEquals(Device.ERR_BAD_OFFSET, timer.read(Device.ERROR, 4));
    }
}
