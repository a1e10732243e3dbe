package dev.rewind.hw.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** DeviceBus: polling, next event, and the idle wait. */
class DeviceBusTest {
    @Test
    void pollsAndAggregates() throws IOException {
        Fakes.Clock clock = new Fakes.Clock();
        DeviceBus bus = new DeviceBus();
        TimerDevice t1 = new TimerDevice("t1", clock);
        TimerDevice t2 = new TimerDevice("t2", clock);
        BlockDevice disk = BlockDevice.inMemory("disk0", 4096);
        bus.add(t1);
        bus.add(t2);
        bus.add(disk);
        assertEquals(3, bus.devices().size());
        assertEquals(Long.MAX_VALUE, bus.nextEventNanos());
        assertFalse(bus.mayInterruptUnprompted());
        t1.write(TimerDevice.INTERVAL, 8, 5_000_000);
        t2.write(TimerDevice.INTERVAL, 8, 2_000_000);
        t1.write(TimerDevice.COMMAND, 4, TimerDevice.CMD_START_ONESHOT);
        t2.write(TimerDevice.COMMAND, 4, TimerDevice.CMD_START_ONESHOT);
        assertEquals(2_000_000, bus.nextEventNanos());
        assertTrue(bus.mayInterruptUnprompted());
        bus.poll(2_000_000);
        assertEquals(5_000_000, bus.nextEventNanos());
        bus.poll(5_000_000);
        assertEquals(1, t1.expirations());
        assertEquals(1, t2.expirations());
        assertFalse(bus.mayInterruptUnprompted());

        UartDevice uart = new UartDevice("tty0", new Uart(new ByteArrayOutputStream()), clock);
        bus.add(uart);
        assertTrue(bus.mayInterruptUnprompted(), "open input may interrupt");
        bus.close();
        // The disk's channel is closed: commands fail with IO_ERROR.
        disk.setDma(new Fakes.Dma(0, 4096));
        disk.write(BlockDevice.COUNT, 4, 1);
        disk.write(BlockDevice.COMMAND, 4, BlockDevice.CMD_READ);
        assertEquals(BlockDevice.ST_IO_ERROR, disk.read(BlockDevice.CMD_STATUS, 4));
        assertThrows(UnsupportedOperationException.class, () -> bus.devices().clear());
    }

    @Test
    void awaitWokenByTime() {
        DeviceBus bus = new DeviceBus();
        long start = System.nanoTime();
        bus.awaitActivity(start + TimeUnit.MILLISECONDS.toNanos(50), System::nanoTime);
        long took = System.nanoTime() - start;
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(50), "waited " + took);
        assertTrue(took < TimeUnit.SECONDS.toNanos(5), "waited " + took);
        // A deadline already passed returns at once.
        bus.awaitActivity(0, System::nanoTime);
    }

    @Test
    void awaitWokenBySignal() throws Exception {
        DeviceBus bus = new DeviceBus();
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
            bus.signal();
        });
        long start = System.nanoTime();
        t.start();
        bus.awaitActivity(Long.MAX_VALUE, System::nanoTime);
        long took = System.nanoTime() - start;
        assertTrue(took < TimeUnit.SECONDS.toNanos(5), "waited " + took);
        t.join();
    }

    @Test
    void signalBeforeAwaitIsNotLost() {
        DeviceBus bus = new DeviceBus();
        bus.signal();
        long start = System.nanoTime();
        bus.awaitActivity(Long.MAX_VALUE, System::nanoTime);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        // Consumed: the next wait sleeps until its deadline.
        start = System.nanoTime();
        bus.awaitActivity(start + TimeUnit.MILLISECONDS.toNanos(30), System::nanoTime);
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(30));
    }

    @Test
    void uartInputWakesTheBus() throws Exception {
        DeviceBus bus = new DeviceBus();
        UartDevice uart = new UartDevice("tty0", new Uart(new ByteArrayOutputStream()), System::nanoTime);
        bus.add(uart);
        uart.setWakeup(bus::signal);
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
            uart.input(new byte[] {'q'}, 0, 1);
        });
        t.start();
        bus.awaitActivity(Long.MAX_VALUE, System::nanoTime);
        bus.poll(System.nanoTime());
        assertEquals(UartDevice.RXDATA_VALID | 'q', uart.read(UartDevice.RXDATA, 4));
        t.join();
    }
}
