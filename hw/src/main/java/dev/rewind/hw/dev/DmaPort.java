package dev.rewind.hw.dev;

/**
 * The IOMMU in front of a DMA-capable device (docs/DEVICES.md, "Block device"): addresses
 * are virtual addresses of the driver that owns the device, checked against that driver's
 * own mappings and permissions. The kernel implements it.
 *
 * <p>Both calls are all-or-nothing: an implementation checks the whole range before
 * touching any byte, so a {@code false} answer means nothing was transferred.
 */
public interface DmaPort {
    /** Copies {@code [addr, addr+len)} of the owner's memory into {@code dst}; false if not all of it is readable. */
    boolean read(long addr, byte[] dst, int off, int len);

    /** Copies {@code src} into {@code [addr, addr+len)} of the owner's memory; false if not all of it is writable. */
    boolean write(long addr, byte[] src, int off, int len);
}
