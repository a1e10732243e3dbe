package dev.rewind.hw.mem;

import dev.rewind.hw.unicorn.HostMemory;
import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * The machine's RAM: one block of host memory cut into 4 KiB frames.
 *
 * <p>Physical addresses are byte offsets into the block. Frames are handed out in contiguous
 * runs (first fit) so that one guest region is one Unicorn mapping. Every free frame is zero
 * and costs no host memory: the block starts untouched, and a freed run is given back to the
 * host ({@link HostMemory#release}), which also zeroes it. So allocating writes nothing, a
 * frame costs host memory only once a task (or the loader) touches it, and no task ever sees
 * another's old data. Java reads and writes frames through {@link #buffer()} without native
 * calls; Unicorn maps them by host address.
 */
public final class PhysicalMemory implements AutoCloseable {
    public static final int PAGE_SIZE = 4096;

    private final HostMemory host;
    private final ByteBuffer buffer;
    private final int frames;
    private final BitSet used;
    private int usedFrames;
    private int searchFrom;

    public PhysicalMemory(long bytes) {
        if (bytes < PAGE_SIZE || bytes % PAGE_SIZE != 0 || bytes > (1L << 30)) {
            throw new IllegalArgumentException(
                    "physical memory must be a multiple of 4 KiB between 4 KiB and 1 GiB: " + bytes);
        }
        this.host = HostMemory.allocate(bytes);
        this.buffer = host.buffer();
        this.frames = (int) (bytes / PAGE_SIZE);
        this.used = new BitSet(frames);
    }

    public long size() {
        return (long) frames * PAGE_SIZE;
    }

    /** The whole of RAM, little-endian; index = physical address. Shared: use absolute get/put only. */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** The host address of physical address {@code phys}. */
    public long hostAddress(long phys) {
        return host.address() + phys;
    }

    public synchronized int freeFrames() {
        return frames - usedFrames;
    }

    /** Allocate {@code pages} contiguous zeroed frames; returns the physical address of the first. */
    public synchronized long allocate(int pages) {
        if (pages <= 0) {
            throw new IllegalArgumentException("pages must be positive: " + pages);
        }
        int start = find(searchFrom, pages);
        if (start < 0) {
            start = find(0, pages);
        }
        if (start < 0) {
            throw new OutOfMemoryException("out of physical memory: no run of " + pages + " free frames ("
                    + (frames - usedFrames) + " of " + frames + " frames free)");
        }
        used.set(start, start + pages);
        usedFrames += pages;
        searchFrom = start + pages;
        return (long) start * PAGE_SIZE;
    }

    private int find(int from, int pages) {
        int start = used.nextClearBit(from);
        while (start + pages <= frames) {
            int nextUsed = used.nextSetBit(start);
            if (nextUsed < 0 || nextUsed >= start + pages) {
                return start;
            }
            start = used.nextClearBit(nextUsed);
        }
        return -1;
    }

    /** Return a run of frames from {@link #allocate}; their contents are dropped. */
    public synchronized void free(long phys, int pages) {
        int first = (int) (phys / PAGE_SIZE);
        if (phys % PAGE_SIZE != 0 || first < 0 || first + pages > frames) {
            throw new IllegalArgumentException(String.format("bad frame run 0x%x + %d pages", phys, pages));
        }
        for (int p = first; p < first + pages; p++) {
            if (!used.get(p)) {
                throw new IllegalStateException(String.format("double free of frame 0x%x", (long) p * PAGE_SIZE));
            }
        }
        host.release(phys, (long) pages * PAGE_SIZE); // zero again, and no longer resident
        used.clear(first, first + pages);
        usedFrames -= pages;
        searchFrom = Math.min(searchFrom, first);
    }

    @Override
    public void close() {
        host.close();
    }
}
