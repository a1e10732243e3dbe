package dev.rewind.hw.unicorn;

/**
 * Device registers behind {@link Unicorn#mapMmio}: called for each guest load and store in the
 * region, with the offset from the region's start and the access size in bytes (1, 2, 4 or 8).
 * Must not throw.
 */
public interface MmioHandler {
    long read(long offset, int size);

    void write(long offset, int size, long value);
}
