package dev.rewind.hw.unicorn;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A page-aligned block of native host memory that Java reads and writes through a direct
 * {@link ByteBuffer} and Unicorn maps with {@code uc_mem_map_ptr}, so guest memory is shared
 * by both without copies or native calls.
 *
 * <p>The block comes from {@code malloc}; large blocks are served by {@code mmap}, so pages
 * that no guest touches cost no resident memory. The contents start undefined: owners clear
 * what they hand out.
 */
public final class HostMemory implements AutoCloseable {
    private static final long ALIGN = 4096;

    private final long raw;
    private final long base;
    private final long size;
    private final ByteBuffer buffer;
    private boolean closed;

    private HostMemory(long size) {
        if (size <= 0 || size > Integer.MAX_VALUE - ALIGN) {
            throw new IllegalArgumentException("host memory size out of range: " + size);
        }
        UnicornLibrary.ensureLoaded();
        this.raw = Native.malloc(size + ALIGN);
        if (raw == 0) {
            throw new OutOfMemoryError("cannot allocate " + size + " bytes of host memory");
        }
        this.base = (raw + ALIGN - 1) & ~(ALIGN - 1);
        this.size = size;
        this.buffer = new Pointer(base).getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Allocate {@code size} bytes (at most 2 GiB - 4 KiB), aligned to 4 KiB. */
    public static HostMemory allocate(long size) {
        return new HostMemory(size);
    }

    /** A little-endian view of the whole block; index 0 is {@link #address()}. */
    public ByteBuffer buffer() {
        return buffer;
    }

    public long size() {
        return size;
    }

    /** The host address of byte 0. */
    public long address() {
        return base;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Native.free(raw);
        }
    }
}
