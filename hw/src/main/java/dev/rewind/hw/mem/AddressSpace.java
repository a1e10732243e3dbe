package dev.rewind.hw.mem;

import dev.rewind.hw.unicorn.Unicorn;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One task's view of memory: the MMU. A sorted list of {@link Region}s maps virtual pages to
 * physical frames with permissions, and every mapping is mirrored into the address space's own
 * Unicorn engine. Since an engine sees only its own regions, a task cannot name another task's
 * frames at all: isolation holds by construction. Each frame is mapped in one space only (a
 * mapping takes fresh frames), and the host reaches guest memory only through this class, so
 * the writes that can change a region are the guest's own stores where it may write, and the
 * host's calls here ({@link #readOnlyEpoch}).
 *
 * <p>The kernel reads and writes task memory through this class (never through Unicorn): each
 * access is translated and checked against the region's permissions, then served from the
 * physical memory buffer.
 */
public final class AddressSpace implements AutoCloseable {
    public static final long PAGE = PhysicalMemory.PAGE_SIZE;

    private final PhysicalMemory ram;
    private final ByteBuffer buf;
    private final Unicorn uc;
    private final List<Region> regions = new ArrayList<>();
    private Region last;
    private WriteTracker tracker;
    /** Host writes into regions without {@link Perm#WRITE}: see {@link #readOnlyEpoch}. */
    private long readOnlyWrites;

    public AddressSpace(PhysicalMemory ram, Unicorn uc) {
        this.ram = ram;
        this.buf = ram.buffer();
        this.uc = uc;
    }

    public PhysicalMemory ram() {
        return ram;
    }

    public List<Region> regions() {
        return Collections.unmodifiableList(regions);
    }

    /**
     * The most regions one address space may hold. Each is a mapping in the engine, and QEMU's
     * dispatch table holds at most 4,096 sections (an assertion aborts the process past that:
     * `phys_section_add`); callers grow memory in few, large regions, so this is far from what
     * a task needs.
     */
    public static final int MAX_REGIONS = 1024;

    /**
     * Map fresh zeroed frames at [vaddr, vaddr+size). Both must be page-aligned; no overlap.
     *
     * @throws OutOfMemoryException if the RAM has no free run that large or the space already
     *     holds {@link #MAX_REGIONS} regions
     */
    public Region map(String name, long vaddr, long size, int perms) {
        checkRange(vaddr, size);
        if (regions.size() >= MAX_REGIONS) {
            throw new OutOfMemoryException(
                    "out of mappings: the address space already holds " + MAX_REGIONS + " regions");
        }
        long phys = ram.allocate((int) (size / PAGE));
        try {
            return insert(new Region(name, vaddr, size, perms, phys));
        } catch (RuntimeException e) {
            ram.free(phys, (int) (size / PAGE));
            throw e;
        }
    }

    private void checkRange(long vaddr, long size) {
        if (vaddr % PAGE != 0 || size % PAGE != 0 || size <= 0) {
            throw new IllegalArgumentException(String.format("mapping not page-aligned: 0x%x + 0x%x", vaddr, size));
        }
        if (vaddr < 0 || vaddr + size < 0 || size > (1L << 30)) {
            throw new IllegalArgumentException(String.format("mapping out of range: 0x%x + 0x%x", vaddr, size));
        }
    }

    private Region insert(Region r) {
        int i = 0;
        while (i < regions.size() && regions.get(i).vaddr() < r.vaddr()) {
            i++;
        }
        if ((i > 0 && regions.get(i - 1).end() > r.vaddr())
                || (i < regions.size() && regions.get(i).vaddr() < r.end())) {
            throw new IllegalArgumentException("mapping " + r + " overlaps an existing region");
        }
        // All or nothing: a region is listed only once the engine and the tracker both have it,
        // so a failure leaves the space as it was (and the caller may free the frames).
        uc.mapHost(r.vaddr(), r.size(), r.perms(), ram.hostAddress(r.phys()));
        if (tracker != null) {
            try {
                tracker.regionMapped(r, ram.hostAddress(r.phys()));
            } catch (RuntimeException | Error e) {
                uc.unmap(r.vaddr(), r.size());
                throw e;
            }
        }
        regions.add(i, r);
        return r;
    }

    /**
     * Attach a write tracker: it learns every current and future region. Writes the kernel
     * makes through this class ({@link #write}, {@link #copy}) are logged with it first.
     */
    public void setTracker(WriteTracker t) {
        // (readOnlyEpoch adds the tracker's restores: it must not fall back to a value it had)
        readOnlyWrites += 1 + (tracker == null ? 0 : tracker.restores());
        this.tracker = t;
        for (Region r : regions) {
            t.regionMapped(r, ram.hostAddress(r.phys()));
        }
    }

    public WriteTracker tracker() {
        return tracker;
    }

    /** Unmap every region and free its frames. */
    public void clear() {
        for (Region r : regions) {
            uc.unmap(r.vaddr(), r.size());
            ram.free(r.phys(), (int) (r.size() / PAGE));
        }
        regions.clear();
        last = null;
    }

    /** The region containing {@code vaddr}, or null. */
    public Region regionAt(long vaddr) {
        Region l = last;
        if (l != null && l.contains(vaddr)) {
            return l;
        }
        for (Region r : regions) {
            if (r.contains(vaddr)) {
                last = r;
                return r;
            }
        }
        return null;
    }

    /**
     * Translate [vaddr, vaddr+len) to a physical address if the whole range lies in one region
     * that allows {@code access} (Perm bits); otherwise -1. len may be 0.
     */
    public long translate(long vaddr, long len, int access) {
        Region r = regionAt(vaddr);
        if (r == null || (r.perms() & access) != access || len < 0 || len > r.end() - vaddr) {
            return -1;
        }
        return r.phys() + (vaddr - r.vaddr());
    }

    /**
     * A read-only view of [vaddr, vaddr+len) of guest memory as it is (not a copy: it sees later
     * writes), or null unless the range lies in one region. For comparing code with its image
     * at memory speed ({@link ByteBuffer#mismatch}); valid while the region stays mapped.
     */
    public ByteBuffer view(long vaddr, int len) {
        Region r = regionAt(vaddr);
        if (r == null || len < 0 || len > r.end() - vaddr) {
            return null;
        }
        int at = (int) (r.phys() + (vaddr - r.vaddr()));
        return buf.asReadOnlyBuffer().position(at).limit(at + len).slice();
    }

    /** True if every byte of [vaddr, vaddr+len) is mapped with {@code access} (may span regions). */
    public boolean check(long vaddr, long len, int access) {
        if (len < 0) {
            return false;
        }
        long a = vaddr;
        long remaining = len;
        while (remaining > 0) {
            Region r = regionAt(a);
            if (r == null || (r.perms() & access) != access) {
                return false;
            }
            long n = Math.min(remaining, r.end() - a);
            a += n;
            remaining -= n;
        }
        return true;
    }

    /** Copy guest bytes out into {@code dst}; false (nothing guaranteed copied) if not readable. */
    public boolean read(long vaddr, byte[] dst, int off, int len) {
        if (!check(vaddr, len, Perm.READ)) {
            return false;
        }
        long a = vaddr;
        int done = 0;
        while (done < len) {
            Region r = regionAt(a);
            int n = (int) Math.min(len - done, r.end() - a);
            buf.get((int) (r.phys() + (a - r.vaddr())), dst, off + done, n);
            a += n;
            done += n;
        }
        return true;
    }

    /** Copy {@code src} into guest memory; false (nothing written) if not writable. */
    public boolean write(long vaddr, byte[] src, int off, int len) {
        return write(vaddr, src, off, len, Perm.WRITE);
    }

    /**
     * Write with an explicit required permission: the loader writes code with {@link Perm#NONE}
     * (it may write read-only pages), tasks' copies need {@link Perm#WRITE}.
     */
    public boolean write(long vaddr, byte[] src, int off, int len, int access) {
        return write(vaddr, src, off, len, access, true);
    }

    /**
     * As {@link #write}, but never logged by an active write tracker: a change that is not the
     * task's own store (a fault injected into the memory itself, or a page put back from a copy
     * while no transaction is open), which no rollback undoes.
     */
    public boolean writeUnlogged(long vaddr, byte[] src, int off, int len) {
        return write(vaddr, src, off, len, Perm.WRITE, false);
    }

    private boolean write(long vaddr, byte[] src, int off, int len, int access, boolean log) {
        if (!check(vaddr, len, access)) {
            return false;
        }
        if (log && tracker != null && tracker.active()) {
            tracker.logRange(vaddr, len);
        }
        long a = vaddr;
        int done = 0;
        while (done < len) {
            Region r = regionAt(a);
            int n = (int) Math.min(len - done, r.end() - a);
            if ((r.perms() & Perm.WRITE) == 0) {
                readOnlyWrites++;
            }
            buf.put((int) (r.phys() + (a - r.vaddr())), src, off + done, n);
            a += n;
            done += n;
        }
        if (log && tracker != null && !tracker.active()) {
            tracker.hostWrote(vaddr, len);
        }
        return true;
    }

    /**
     * A number that changes whenever memory the guest cannot write (code, read-only data) may
     * have changed: at each host write into such a region ({@link #write} with a lesser
     * permission: the loader, a debugger, a fault injector) and each time the tracker put pages
     * back ({@link WriteTracker#restores}). Nothing else changes those regions: the guest's
     * stores to them fault, and this class is the host's only way into guest memory (a task's
     * frames are mapped in its own space only). So memory found equal to its image at one value
     * is still equal while the value stays: a check of the code can be skipped until it moves.
     */
    public long readOnlyEpoch() {
        return readOnlyWrites + (tracker == null ? 0 : tracker.restores());
    }

    /** Read a little-endian value of 1, 2, 4 or 8 bytes; requires {@code access}. Throws if unmapped. */
    public long load(long vaddr, int size, int access) {
        long p = translate(vaddr, size, access);
        if (p < 0) {
            throw new IllegalArgumentException(String.format("address 0x%x not accessible", vaddr));
        }
        int i = (int) p;
        return switch (size) {
            case 1 -> buf.get(i) & 0xffL;
            case 2 -> buf.getShort(i) & 0xffffL;
            case 4 -> buf.getInt(i) & 0xffffffffL;
            case 8 -> buf.getLong(i);
            default -> throw new IllegalArgumentException("size " + size);
        };
    }

    /** Copy len bytes between two address spaces on the same RAM; both ranges must be checked. */
    public static boolean copy(AddressSpace from, long src, AddressSpace to, long dst, int len) {
        long ps = from.translate(src, len, Perm.READ);
        long pd = to.translate(dst, len, Perm.WRITE);
        if (ps < 0 || pd < 0) {
            return false;
        }
        if (to.tracker != null && to.tracker.active()) {
            to.tracker.logRange(dst, len);
        }
        if (len > 0) {
            to.buf.put((int) pd, from.buf, (int) ps, len);
            if (to.tracker != null && !to.tracker.active()) {
                to.tracker.hostWrote(dst, len);
            }
        }
        return true;
    }

    /** Total bytes mapped. */
    public long mappedBytes() {
        long n = 0;
        for (Region r : regions) {
            n += r.size();
        }
        return n;
    }

    @Override
    public void close() {
        clear();
    }
}
