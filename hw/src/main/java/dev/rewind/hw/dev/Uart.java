package dev.rewind.hw.dev;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * The console UART: bytes the guest transmits go to the host's console stream (the CLI's
 * stdout). Transmit-only for now; the kernel's CONSOLE_WRITE syscall drives it.
 */
public final class Uart {
    private final OutputStream out;
    private long transmitted;

    public Uart(OutputStream out) {
        this.out = out;
    }

    /** Transmit {@code len} bytes and push them out at once, so console and logs interleave sanely. */
    public void transmit(byte[] data, int off, int len) {
        try {
            out.write(data, off, len);
            out.flush();
            transmitted += len;
        } catch (IOException e) {
            throw new UncheckedIOException("console write failed", e);
        }
    }

    public long transmitted() {
        return transmitted;
    }

    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("console flush failed", e);
        }
    }
}
