package dev.rewind.kernel;

import dev.rewind.hw.elf.ElfImage;
import dev.rewind.hw.mem.AddressSpace;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A task's code as its image has it: each executable segment's address, length and CRC32C, to
 * find code that changed in memory (a bit flipped in a code page: the guest cannot write its
 * code, so only a fault of the memory itself changes it). TxIPC's scrub and the shadow check
 * it; a check reads and hashes the code (about 4 µs for 40 KiB).
 */
final class CodeImage {
    private final Task task;
    /** Per executable segment: address, length, CRC32C of the image's bytes. */
    private final long[][] segs;

    private final byte[] buf;
    private final CRC32C crc = new CRC32C();

    CodeImage(Task task) {
        this.task = task;
        List<long[]> list = new ArrayList<>();
        int max = 0;
        for (ElfImage.Segment seg : task.image().segments()) {
            if (!seg.exec() || seg.write() || seg.fileSize() == 0) {
                continue;
            }
            byte[] want = task.image().segmentBytes(seg);
            list.add(new long[] {seg.vaddr(), want.length, hash(want, want.length)});
            max = Math.max(max, want.length);
        }
        segs = list.toArray(new long[0][]);
        buf = new byte[max];
    }

    private long hash(byte[] b, int len) {
        crc.reset();
        crc.update(b, 0, len);
        return crc.getValue();
    }

    /** The first page of the task's code that differs from the image, or -1. */
    long changedPage() {
        for (long[] seg : segs) {
            int len = (int) seg[1];
            if (!task.cpu().memory().read(seg[0], buf, 0, len)) {
                return seg[0];
            }
            if (hash(buf, len) == seg[2]) {
                continue;
            }
            for (ElfImage.Segment s : task.image().segments()) {
                if (s.vaddr() != seg[0]) {
                    continue;
                }
                byte[] want = task.image().segmentBytes(s);
                for (int i = 0; i < len; i++) {
                    if (want[i] != buf[i]) {
                        return (seg[0] + i) & -AddressSpace.PAGE;
                    }
                }
            }
            return seg[0];
        }
        return -1;
    }
}
