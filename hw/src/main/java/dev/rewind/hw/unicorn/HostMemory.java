package dev.rewind.hw.unicorn;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A page-aligned block of native host memory that Java reads and writes through a direct
 * {@link ByteBuffer} and Unicorn maps with {@code uc_mem_map_ptr}, so guest memory is shared
 * by both without copies or native calls.
 *
 * <p>The block is a private anonymous {@code mmap} (with {@code MAP_NORESERVE}): it starts
 * zeroed, and a page costs host memory only once something touches it. {@link #release}
 * gives pages back to the host ({@code madvise(MADV_DONTNEED)}); they read as zero again.
 */
public final class HostMemory implements AutoCloseable {
    private static final long PAGE = 4096;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final int MADV_DONTNEED = 4;

    /** libc's mmap family, directly mapped. */
    private static final class Libc {
        static {
            JnaSetup.apply();
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        static native long mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

        static native int munmap(long addr, long length);

        static native int madvise(long addr, long length, int advice);
    }

    private final long base;
    private final long size;
    private final ByteBuffer buffer;
    private boolean closed;

    private HostMemory(long size) {
        if (size <= 0 || size > Integer.MAX_VALUE - PAGE) {
            throw new IllegalArgumentException("host memory size out of range: " + size);
        }
        UnicornLibrary.ensureLoaded();
        long mapped = (size + PAGE - 1) & -PAGE;
        long addr = Libc.mmap(null, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (addr == -1 || addr == 0) {
            throw new OutOfMemoryError(
                    "cannot map " + size + " bytes of host memory (errno " + Native.getLastError() + ")");
        }
        this.base = addr;
        this.size = size;
        this.buffer = new Pointer(base).getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Allocate {@code size} zeroed bytes (at most 2 GiB - 4 KiB), aligned to 4 KiB. */
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

    /**
     * Give the pages of [offset, offset+length) back to the host: they cost no memory until
     * touched again, and read as zero. Both must be multiples of 4 KiB.
     */
    public void release(long offset, long length) {
        if (offset % PAGE != 0 || length % PAGE != 0 || offset < 0 || length < 0 || offset + length > size) {
            throw new IllegalArgumentException(String.format("bad range to release: 0x%x + 0x%x", offset, length));
        }
        if (length > 0 && Libc.madvise(base + offset, length, MADV_DONTNEED) != 0) {
            // cannot happen for a private anonymous mapping; zero by hand rather than leak contents
            for (long i = offset; i < offset + length; i++) {
                buffer.put((int) i, (byte) 0);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.munmap(base, (size + PAGE - 1) & -PAGE);
        }
    }
}
