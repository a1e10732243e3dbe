package dev.rewind.kernel;

import dev.rewind.hw.elf.ElfImage;
import dev.rewind.hw.mem.AddressSpace;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A task's code as its image has it: each executable segment's address and bytes, to find
 * code that changed in memory (a bit flipped in a code page: the guest cannot write its code,
 * so only a fault of the memory itself changes it). TxIPC checks it before every reply leaves,
 * the scrub at idle, the shadow every few deliveries. A compare reads the task's memory and
 * the image at memory speed ({@link ByteBuffer#mismatch} over a view of guest memory; 0.3-0.6 µs
 * for kv's 12 KiB, mostly cache misses); {@link #changedPage} compares only when read-only
 * memory may have changed since the last compare found it intact.
 */
final class CodeImage {
    private final Task task;
    /** Per executable segment: its address. */
    private final long[] addrs;
    /** Per executable segment: the image's bytes. */
    private final ByteBuffer[] want;
    /** Per executable segment: a view of the task's memory there, for {@link #viewsOf}. */
    private final ByteBuffer[] have;

    private AddressSpace viewsOf;
    /** {@link AddressSpace#readOnlyEpoch} when a compare last found the code intact (-1: not since a change). */
    private long intactAt = -1;
    /** Compares made (for tests). */
    int compares;

    CodeImage(Task task) {
        this.task = task;
        List<ElfImage.Segment> code = task.image().segments().stream()
                .filter(seg -> seg.exec() && !seg.write() && seg.fileSize() != 0)
                .toList();
        addrs = code.stream().mapToLong(ElfImage.Segment::vaddr).toArray();
        want = new ByteBuffer[code.size()];
        for (int i = 0; i < want.length; i++) {
            byte[] b = task.image().segmentBytes(code.get(i));
            want[i] = ByteBuffer.allocateDirect(b.length).put(b).flip();
        }
        have = new ByteBuffer[addrs.length];
    }

    /**
     * The first page of the task's code that differs from the image, or -1. Compared only if
     * something may have changed read-only memory since the last check found it intact
     * ({@link AddressSpace#readOnlyEpoch}: a bit flipped in a code page by the fault injector
     * is a host write there); otherwise -1 at once. The guest cannot write its code, so the
     * per-reply check costs nothing until something else did.
     */
    long changedPage() {
        AddressSpace mem = task.cpu().memory();
        if (mem == viewsOf && mem.readOnlyEpoch() == intactAt) {
            return -1;
        }
        return comparedPage();
    }

    /** As {@link #changedPage}, always comparing every byte (the scrub at idle). */
    long comparedPage() {
        compares++;
        AddressSpace mem = task.cpu().memory();
        if (mem != viewsOf) { // (a restart gives the task a new address space)
            for (int i = 0; i < addrs.length; i++) {
                have[i] = mem.view(addrs[i], want[i].capacity());
            }
            viewsOf = mem;
        }
        long epoch = mem.readOnlyEpoch();
        for (int i = 0; i < addrs.length; i++) {
            ByteBuffer h = have[i];
            if (h == null) { // (the segment spans regions: copy it out)
                byte[] b = new byte[want[i].capacity()];
                if (!mem.read(addrs[i], b, 0, b.length)) {
                    return addrs[i];
                }
                h = ByteBuffer.wrap(b);
            }
            int at = h.mismatch(want[i]);
            if (at >= 0) {
                intactAt = -1;
                return (addrs[i] + at) & -AddressSpace.PAGE;
            }
        }
        intactAt = epoch;
        return -1;
    }
}
