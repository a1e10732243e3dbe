package dev.rewind.hw.dev;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/** Test doubles for devices: a settable clock, an IRQ counter, a DMA window. */
final class Fakes {
    private Fakes() {}

    static final class Clock implements LongSupplier {
        long now;

        @Override
        public long getAsLong() {
            return now;
        }
    }

    static final class Irq implements IrqLine {
        final AtomicInteger raised = new AtomicInteger();

        @Override
        public void raise() {
            raised.incrementAndGet();
        }

        int count() {
            return raised.get();
        }
    }

    /** A window of driver memory at {@code base}; its first {@code readOnly} bytes are not writable. */
    static final class Dma implements DmaPort {
        final long base;
        final byte[] mem;
        int readOnly;

        Dma(long base, int size) {
            this.base = base;
            this.mem = new byte[size];
        }

        private boolean inside(long addr, int len) {
            return addr >= base && len >= 0 && addr - base <= mem.length - len;
        }

        @Override
        public boolean read(long addr, byte[] dst, int off, int len) {
            if (!inside(addr, len)) {
                return false;
            }
            System.arraycopy(mem, (int) (addr - base), dst, off, len);
            return true;
        }

        @Override
        public boolean write(long addr, byte[] src, int off, int len) {
            if (!inside(addr, len) || addr - base < readOnly) {
                return false;
            }
            System.arraycopy(src, off, mem, (int) (addr - base), len);
            return true;
        }
    }
}
