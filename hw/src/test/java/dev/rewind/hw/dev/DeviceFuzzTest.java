package dev.rewind.hw.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random register traffic never throws out of read()/write() (they run inside Unicorn's MMIO
 * callbacks) and never breaks the identification registers.
 */
class DeviceFuzzTest {
    static final int ROUNDS = 100_000;
    static final int[] SIZES = {1, 2, 4, 8, 4, 4, 8, 0, 3, 16, -1};

    private static void fuzz(Device d, Fakes.Clock clock, long seed) {
        Random rnd = new Random(seed);
        for (int i = 0; i < ROUNDS; i++) {
            long offset = switch (rnd.nextInt(8)) {
                case 0 -> rnd.nextLong();
                case 1 -> rnd.nextInt((int) Device.MMIO_SIZE);
                default -> rnd.nextInt(0x60);
            };
            int size = SIZES[rnd.nextInt(SIZES.length)];
            long value = switch (rnd.nextInt(4)) {
                case 0 -> rnd.nextLong();
                case 1 -> rnd.nextInt(8);
                case 2 -> rnd.nextInt(130);
                default -> rnd.nextInt(1 << 20) * 1000L;
            };
            if (rnd.nextBoolean()) {
                d.read(offset, size);
            } else {
                d.write(offset, size, value);
            }
            if (i % 64 == 0) {
                clock.now += rnd.nextInt(2_000_000);
                d.poll(clock.now);
                d.nextEventNanos();
                d.mayInterruptUnprompted();
            }
        }
        assertEquals(0x56445752L, d.read(Device.MAGIC, 4));
        assertEquals(d.kind(), d.read(Device.DEVICE_ID, 4));
        assertTrue(d.misuseCount() > 0);
    }

    @Test
    void uart() {
        Fakes.Clock clock = new Fakes.Clock();
        UartDevice u = new UartDevice("tty0", new Uart(new ByteArrayOutputStream()), clock);
        u.attach(new Fakes.Irq());
        byte[] in = new byte[1000];
        new Random(1).nextBytes(in);
        u.input(in, 0, in.length);
        fuzz(u, clock, 11);
    }

    @Test
    void block() throws IOException {
        Fakes.Clock clock = new Fakes.Clock();
        try (BlockDevice b = BlockDevice.inMemory("disk0", 64 * 512)) {
            b.attach(new Fakes.Irq());
            b.setDma(new Fakes.Dma(0, 128 * 512));
            fuzz(b, clock, 22);
            assertTrue(b.commandsCompleted() > 0);
        }
    }

    @Test
    void timer() {
        Fakes.Clock clock = new Fakes.Clock();
        TimerDevice t = new TimerDevice("timer0", clock);
        t.attach(new Fakes.Irq());
        fuzz(t, clock, 33);
    }

    @Test
    void throwingCollaboratorsAreContained() {
        Fakes.Clock clock = new Fakes.Clock();
        UartDevice u = new UartDevice(
                "tty0",
                new Uart(new java.io.OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        throw new IOException("console gone");
                    }
                }),
                clock);
        u.write(UartDevice.TXDATA, 4, 'x');
        assertEquals(0, u.txTotal(), "a failing console loses the byte, nothing else");
        assertEquals(0, u.read(Device.ERROR, 4));
        u.input(new byte[] {1}, 0, 1);
        u.poll(0);
        u.attach(() -> {
            throw new IllegalStateException("kernel bug");
        });
        u.write(Device.IRQ_ENABLE, 4, 1); // raises: the line throws inside the register write
        assertEquals(Device.ERR_BAD_VALUE, u.read(Device.ERROR, 4));
    }
}
