package dev.rewind.hw.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** DEVICES.md, "UART (DEVICE_ID 1)". */
class UartDeviceTest {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final Fakes.Clock clock = new Fakes.Clock();
    final Fakes.Irq irq = new Fakes.Irq();
    final UartDevice uart = new UartDevice("tty0", new Uart(out), clock);

    UartDeviceTest() {
        uart.attach(irq);
    }

    private void feed(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        uart.input(b, 0, b.length);
    }

    private String drain() {
        StringBuilder sb = new StringBuilder();
        while (true) {
            long v = uart.read(UartDevice.RXDATA, 4);
            if ((v & UartDevice.RXDATA_VALID) == 0) {
                assertEquals(0, v);
                return sb.toString();
            }
            sb.append((char) (v & 0xff));
        }
    }

    @Test
    void transmit() {
        assertEquals(UartDevice.STATUS_TX_READY, uart.read(Device.STATUS, 4));
        for (byte b : "hi\n".getBytes(StandardCharsets.UTF_8)) {
            uart.write(UartDevice.TXDATA, 4, 0x1200 | b); // only the low byte counts
        }
        assertEquals("hi\n", out.toString(StandardCharsets.UTF_8));
        assertEquals(3, uart.read(UartDevice.TX_TOTAL, 8));
        assertEquals(3, uart.read(UartDevice.TX_TOTAL, 4));
        assertEquals(0, uart.read(UartDevice.TX_TOTAL + 4, 4));
        assertEquals(3, uart.txTotal());
        uart.write(Device.CONTROL, 4, 1);
        assertEquals(3, uart.read(UartDevice.TX_TOTAL, 8), "TX_TOTAL survives RESET");
        assertEquals(0, uart.read(UartDevice.TXDATA, 4));
        assertEquals(Device.ERR_READ_WO, uart.read(Device.ERROR, 4));
        uart.write(UartDevice.TX_TOTAL, 8, 0);
        assertEquals(Device.ERR_WRITE_RO, uart.read(Device.ERROR, 4));
        uart.write(UartDevice.TXDATA, 1, 'x');
        assertEquals(Device.ERR_BAD_WIDTH, uart.read(Device.ERROR, 4));
        assertEquals(3, uart.txTotal());
    }

    @Test
    void receiveFifoStatusAndIrq() {
        uart.write(Device.IRQ_ENABLE, 4, 1);
        assertEquals(0, uart.read(UartDevice.RXDATA, 4), "empty FIFO: VALID clear");
        assertTrue(uart.mayInterruptUnprompted());
        assertEquals(Long.MAX_VALUE, uart.nextEventNanos());

        feed("abc");
        assertEquals(0, uart.read(UartDevice.RX_COUNT, 4), "input reaches the FIFO only in poll");
        assertEquals(0, uart.nextEventNanos());
        uart.poll(0);
        assertEquals(1, irq.count());
        assertEquals(1, uart.read(Device.IRQ_STATUS, 4));
        assertEquals(3, uart.read(UartDevice.RX_COUNT, 4));
        assertEquals(UartDevice.STATUS_RX_READY | UartDevice.STATUS_TX_READY, uart.read(Device.STATUS, 4));
        assertEquals(UartDevice.RXDATA_VALID | 'a', uart.read(UartDevice.RXDATA, 4));
        uart.poll(1);
        assertEquals(1, irq.count(), "nothing new, no raise");

        feed("d");
        uart.poll(2);
        assertEquals(2, irq.count());
        assertEquals("bcd", drain());
        assertEquals(4, uart.rxConsumed());
        assertEquals(UartDevice.STATUS_TX_READY, uart.read(Device.STATUS, 4));

        // RESET keeps received bytes, clears pending interrupts.
        feed("ef");
        uart.poll(3);
        assertEquals(3, irq.count());
        uart.write(Device.CONTROL, 4, 1);
        assertEquals(0, uart.read(Device.IRQ_STATUS, 4));
        assertEquals(2, uart.read(UartDevice.RX_COUNT, 4));

        // EOF: cause raised on close; RX_EOF only once the FIFO is empty.
        uart.write(Device.IRQ_ENABLE, 4, 1);
        uart.closeInput();
        feed("ignored");
        uart.poll(4);
        assertEquals(4, irq.count());
        assertEquals(0, uart.read(Device.STATUS, 4) & UartDevice.STATUS_RX_EOF);
        assertEquals("ef", drain());
        assertEquals(UartDevice.STATUS_RX_EOF | UartDevice.STATUS_TX_READY, uart.read(Device.STATUS, 4));
        assertFalse(uart.mayInterruptUnprompted());
        assertEquals(Long.MAX_VALUE, uart.nextEventNanos());
        uart.poll(5);
        assertEquals(4, irq.count());
    }

    @Test
    void unreadPutsBytesBackInOrder() {
        feed("hello");
        uart.poll(0);
        assertEquals("hello", drain());
        // put the last three back in front of newer input
        feed("XY");
        uart.poll(1);
        uart.unread(3);
        assertEquals(2, uart.rxConsumed());
        assertEquals(5, uart.read(UartDevice.RX_COUNT, 4));
        assertEquals("lloXY", drain());
        assertEquals(7, uart.rxConsumed());
        uart.unread(7);
        assertEquals("helloXY", drain());
        assertThrows(IllegalArgumentException.class, () -> uart.unread(8));
        assertThrows(IllegalArgumentException.class, () -> uart.unread(-1));
    }

    @Test
    void unreadAssertsRxAndClearsEof() {
        feed("z");
        uart.closeInput();
        uart.poll(0);
        assertEquals("z", drain());
        assertTrue((uart.read(Device.STATUS, 4) & UartDevice.STATUS_RX_EOF) != 0);
        uart.write(Device.CONTROL, 4, 1);
        uart.unread(1);
        assertEquals(0, uart.read(Device.STATUS, 4) & UartDevice.STATUS_RX_EOF);
        uart.write(Device.IRQ_ENABLE, 4, 1);
        assertEquals(1, irq.count(), "the restarted driver is told on enabling");
        assertEquals("z", drain());
    }

    @Test
    void historyKeeps64KiB() {
        int n = UartDevice.HISTORY + 1000;
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        uart.input(data, 0, n);
        uart.poll(0);
        for (int i = 0; i < n; i++) {
            assertEquals(UartDevice.RXDATA_VALID | (data[i] & 0xff), uart.read(UartDevice.RXDATA, 4));
        }
        assertThrows(IllegalArgumentException.class, () -> uart.unread(UartDevice.HISTORY + 1));
        uart.unread(UartDevice.HISTORY);
        for (int i = n - UartDevice.HISTORY; i < n; i++) {
            assertEquals(UartDevice.RXDATA_VALID | (data[i] & 0xff), uart.read(UartDevice.RXDATA, 4));
        }
    }

    @Test
    void aFastProducerIsHeldBackNotDropped() throws Exception {
        int chunk = 4096;
        int total = 3 * UartDevice.INPUT_LIMIT;
        Thread producer = new Thread(() -> {
            byte[] b = new byte[chunk];
            for (int sent = 0; sent < total; sent += chunk) {
                for (int j = 0; j < chunk; j++) {
                    b[j] = (byte) ((sent + j) * 31);
                }
                uart.input(b, 0, chunk);
            }
            uart.closeInput();
        });
        producer.start();
        // Nobody reads: the producer must stall with about INPUT_LIMIT bytes buffered.
        for (int i = 0; i < 20; i++) {
            uart.poll(0);
            Thread.sleep(10);
        }
        assertTrue(producer.isAlive(), "the producer waits for the guest to read");
        long waiting = uart.read(UartDevice.RX_COUNT, 4);
        assertTrue(waiting <= UartDevice.INPUT_LIMIT + chunk, "bounded: " + waiting);
        // Now read everything: every byte arrives, in order.
        long got = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((uart.read(Device.STATUS, 4) & UartDevice.STATUS_RX_EOF) == 0) {
            assertTrue(System.nanoTime() < deadline, "input arrives");
            uart.poll(0);
            long v;
            while (((v = uart.read(UartDevice.RXDATA, 4)) & UartDevice.RXDATA_VALID) != 0) {
                assertEquals((byte) (got * 31), (byte) v, "byte " + got);
                got++;
            }
            Thread.sleep(1);
        }
        producer.join(5000);
        assertEquals(total, got);
    }

    @Test
    void inputFromAnotherThread() throws Exception {
        DeviceBus bus = new DeviceBus();
        bus.add(uart);
        CountDownLatch woken = new CountDownLatch(1);
        uart.setWakeup(() -> {
            bus.signal();
            woken.countDown();
        });
        int total = 100_000;
        Thread t = new Thread(() -> {
            byte[] chunk = new byte[100];
            for (int i = 0; i < total / 100; i++) {
                for (int j = 0; j < 100; j++) {
                    chunk[j] = (byte) (i * 100 + j);
                }
                uart.input(chunk, 0, chunk.length);
            }
            uart.closeInput();
        });
        t.start();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while ((uart.read(Device.STATUS, 4) & UartDevice.STATUS_RX_EOF) == 0) {
            assertTrue(System.nanoTime() < deadline, "input arrives");
            bus.awaitActivity(System.nanoTime() + 1_000_000, System::nanoTime);
            bus.poll(0);
            long v;
            while (((v = uart.read(UartDevice.RXDATA, 4)) & UartDevice.RXDATA_VALID) != 0) {
                got.write((int) v);
            }
        }
        t.join();
        assertTrue(woken.await(1, TimeUnit.SECONDS));
        byte[] b = got.toByteArray();
        assertEquals(total, b.length);
        for (int i = 0; i < total; i++) {
            assertEquals((byte) i, b[i]);
        }
    }
}
