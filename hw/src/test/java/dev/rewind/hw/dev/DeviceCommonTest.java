package dev.rewind.hw.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The registers and misuse rules every device shares (DEVICES.md, "Register conventions"). */
class DeviceCommonTest {
    static Stream<Arguments> devices() {
        Function<Fakes.Clock, Device> uart = c -> new UartDevice("tty0", new Uart(new ByteArrayOutputStream()), c);
        Function<Fakes.Clock, Device> block = c -> new BlockDevice("disk0", null, 0);
        Function<Fakes.Clock, Device> timer = c -> new TimerDevice("timer0", c);
        Function<Fakes.Clock, Device> net = c -> new NetDevice("eth0", NetDevice.DEFAULT_MAC, null);
        return Stream.of(Arguments.of(1, uart), Arguments.of(2, block), Arguments.of(3, timer), Arguments.of(4, net));
    }

    private static Device make(Function<Fakes.Clock, Device> f) {
        return f.apply(new Fakes.Clock());
    }

    @ParameterizedTest
    @MethodSource("devices")
    void identification(int kind, Function<Fakes.Clock, Device> f) {
        Device d = make(f);
        assertEquals(kind, d.kind());
        assertEquals(0x56445752L, d.read(Device.MAGIC, 4));
        assertEquals(kind, d.read(Device.DEVICE_ID, 4));
        assertEquals(1, d.read(Device.VERSION, 4));
        assertEquals(0, d.read(Device.ERROR, 4));
        assertEquals(0, d.read(Device.STATUS, 4) & Device.STATUS_ERROR);
        assertEquals(0, d.misuseCount());
    }

    private static void expectMisuse(Device d, int code) {
        long st = d.read(Device.STATUS, 4);
        assertEquals(Device.STATUS_ERROR & 0xffffffffL, st & 0x80000000L, "STATUS.ERROR set");
        assertEquals(code, d.read(Device.ERROR, 4));
        assertEquals(0, d.read(Device.ERROR, 4), "ERROR clears on read");
        assertEquals(0, d.read(Device.STATUS, 4) & 0x80000000L, "STATUS.ERROR cleared with it");
    }

    @ParameterizedTest
    @MethodSource("devices")
    void misuseCodes(int kind, Function<Fakes.Clock, Device> f) {
        Device d = make(f);
        assertEquals(0, d.read(0xff0, 4));
        expectMisuse(d, Device.ERR_BAD_OFFSET);
        d.write(0xff0, 4, 1);
        expectMisuse(d, Device.ERR_BAD_OFFSET);
        assertEquals(0, d.read(Device.MMIO_SIZE, 4));
        expectMisuse(d, Device.ERR_BAD_OFFSET);
        assertEquals(0, d.read(-4, 4));
        expectMisuse(d, Device.ERR_BAD_OFFSET);

        assertEquals(0, d.read(Device.MAGIC, 1));
        expectMisuse(d, Device.ERR_BAD_WIDTH);
        assertEquals(0, d.read(Device.MAGIC, 8));
        expectMisuse(d, Device.ERR_BAD_WIDTH);
        assertEquals(0, d.read(Device.MAGIC + 2, 2));
        expectMisuse(d, Device.ERR_BAD_WIDTH);
        d.write(Device.IRQ_ENABLE, 2, 1);
        expectMisuse(d, Device.ERR_BAD_WIDTH);
        assertEquals(0, d.read(Device.IRQ_ENABLE, 4), "misused write ignored");
        assertEquals(0, d.read(Device.MAGIC, 3));
        expectMisuse(d, Device.ERR_BAD_WIDTH);

        d.write(Device.MAGIC, 4, 7);
        expectMisuse(d, Device.ERR_WRITE_RO);
        assertEquals(0x56445752L, d.read(Device.MAGIC, 4));
        d.write(Device.STATUS, 4, 7);
        expectMisuse(d, Device.ERR_WRITE_RO);

        assertEquals(0, d.read(Device.CONTROL, 4));
        expectMisuse(d, Device.ERR_READ_WO);

        d.write(Device.CONTROL, 4, 2);
        expectMisuse(d, Device.ERR_BAD_COMMAND);

        // The last code wins.
        d.read(0xff0, 4);
        d.read(Device.CONTROL, 4);
        assertEquals(Device.ERR_READ_WO, d.read(Device.ERROR, 4));
        assertEquals(15, d.misuseCount());
    }

    @ParameterizedTest
    @MethodSource("devices")
    void irqEnableAndW1c(int kind, Function<Fakes.Clock, Device> f) {
        Device d = make(f);
        Fakes.Irq irq = new Fakes.Irq();
        d.attach(irq);
        d.write(Device.IRQ_ENABLE, 4, 0xffffffffL);
        assertEquals(kind == Device.KIND_NET ? 7 : 1, d.read(Device.IRQ_ENABLE, 4), "only defined causes stick");
        d.write(Device.IRQ_ENABLE, 4, 1);
        d.assertIrq(1);
        assertEquals(1, irq.count());
        assertEquals(1, d.read(Device.IRQ_STATUS, 4));
        d.write(Device.IRQ_STATUS, 4, 0);
        assertEquals(1, d.read(Device.IRQ_STATUS, 4), "writing 0 clears nothing");
        d.write(Device.IRQ_STATUS, 4, 1);
        assertEquals(0, d.read(Device.IRQ_STATUS, 4));

        // Pending while disabled: no raise; enabling raises once.
        d.write(Device.IRQ_ENABLE, 4, 0);
        d.assertIrq(1);
        assertEquals(1, irq.count());
        d.write(Device.IRQ_ENABLE, 4, 1);
        assertEquals(2, irq.count());
        d.write(Device.IRQ_ENABLE, 4, 1);
        assertEquals(2, irq.count(), "re-enabling an enabled cause does not raise again");

        // CONTROL RESET: enable and pending cleared, ERROR too.
        d.read(0xff0, 4);
        d.write(Device.CONTROL, 4, 1);
        assertEquals(0, d.read(Device.IRQ_ENABLE, 4));
        assertEquals(0, d.read(Device.IRQ_STATUS, 4));
        assertEquals(0, d.read(Device.ERROR, 4));
    }
}
