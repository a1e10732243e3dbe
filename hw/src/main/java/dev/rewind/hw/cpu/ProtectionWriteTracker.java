package dev.rewind.hw.cpu;

import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.PhysicalMemory;
import dev.rewind.hw.mem.Region;
import dev.rewind.hw.mem.WriteTracker;
import dev.rewind.hw.unicorn.Unicorn;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference write tracker, in plain Java: at the start of a transaction every writable
 * region is write-protected in the engine; the first store to a region raises a
 * write-protection fault whose Java hook saves the pre-image of the region's pages and lifts
 * its protection (whole regions, since splitting a region inside Unicorn 2.0.1's fault path
 * crashes it).
 * Simple and obviously right, and slow (uc_mem_protect costs 6–35 µs, a Java hook ~1 µs):
 * tests check that the native tracker rolls back byte for byte what this one does.
 */
public final class ProtectionWriteTracker implements WriteTracker {
    private static final int PAGE = PhysicalMemory.PAGE_SIZE;

    private final Unicorn uc;
    private final ByteBuffer ram;
    private final PhysicalMemory physical;
    private final List<Region> regions = new ArrayList<>();
    /** Page address -> pre-image, in logging order. */
    private final Map<Long, byte[]> saved = new LinkedHashMap<>();
    /** Committed transactions' pre-images kept, oldest first, and how many to keep. */
    private final java.util.ArrayDeque<Map<Long, byte[]>> history = new java.util.ArrayDeque<>();

    private int keep;
    private final Unicorn.Hook hook;
    private boolean active;
    private long restores;

    public ProtectionWriteTracker(Unicorn uc, PhysicalMemory ram) {
        this.uc = uc;
        this.physical = ram;
        this.ram = ram.buffer();
        this.hook = uc.hookMemInvalid(this::onFault);
    }

    @Override
    public void regionMapped(Region r, long hostAddress) {
        regions.add(r);
        if (active && (r.perms() & Perm.WRITE) != 0) {
            uc.protect(r.vaddr(), r.size(), r.perms() & ~Perm.WRITE);
        }
    }

    private Region regionAt(long addr) {
        for (Region r : regions) {
            if (r.contains(addr)) {
                return r;
            }
        }
        return null;
    }

    private boolean onFault(int type, long address, int size, long value) {
        if (!active || type != Unicorn.MEM_WRITE_PROT) {
            return false;
        }
        long first = address & -PAGE;
        long last = (address + Math.max(size, 1) - 1) & -PAGE;
        boolean handled = false;
        for (long page = first; page <= last; page += PAGE) {
            Region r = regionAt(page);
            if (r == null || (r.perms() & Perm.WRITE) == 0) {
                return false; // a real protection fault
            }
            // Copy on first write at region granularity: save every page of the region, then
            // lift the protection of the whole region. Changing a whole region's protection
            // never splits it; splitting a region inside Unicorn's fault path crashes 2.0.1.
            for (long p = r.vaddr(); p < r.end(); p += PAGE) {
                save(r, p);
            }
            uc.protect(r.vaddr(), r.size(), r.perms());
            handled = true;
        }
        return handled;
    }

    private void save(Region r, long page) {
        if (!saved.containsKey(page)) {
            byte[] pre = new byte[PAGE];
            ram.get((int) (r.phys() + (page - r.vaddr())), pre);
            saved.put(page, pre);
        }
    }

    @Override
    public void begin() {
        active = true;
        for (Region r : regions) {
            if ((r.perms() & Perm.WRITE) != 0) {
                uc.protect(r.vaddr(), r.size(), r.perms() & ~Perm.WRITE);
            }
        }
    }

    @Override
    public boolean active() {
        return active;
    }

    @Override
    public void logRange(long vaddr, long len) {
        if (!active || len <= 0) {
            return;
        }
        for (long page = vaddr & -PAGE; page < vaddr + len; page += PAGE) {
            Region r = regionAt(page);
            if (r != null) {
                save(r, page);
            }
        }
    }

    @Override
    public int pages() {
        return saved.size();
    }

    @Override
    public long[] loggedPages() {
        return saved.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public long[] changedPages() {
        long[] out = new long[2 * saved.size()];
        int n = 0;
        byte[] now = new byte[PAGE];
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        for (Map.Entry<Long, byte[]> e : saved.entrySet()) {
            long page = e.getKey();
            Region r = regionAt(page);
            ram.get((int) (r.phys() + (page - r.vaddr())), now);
            if (!java.util.Arrays.equals(now, e.getValue())) {
                crc.reset();
                crc.update(now);
                out[n++] = page;
                out[n++] = crc.getValue();
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    @Override
    public boolean overflowed() {
        return false;
    }

    private void end() {
        for (Region r : regions) {
            if ((r.perms() & Perm.WRITE) != 0) {
                uc.protect(r.vaddr(), r.size(), r.perms());
            }
        }
        saved.clear();
        active = false;
    }

    @Override
    public void commit() {
        if (keep > 0) {
            if (history.size() == keep) {
                history.pollFirst();
            }
            history.addLast(new LinkedHashMap<>(saved));
        }
        end();
    }

    private void restore(Map<Long, byte[]> log) {
        for (Map.Entry<Long, byte[]> e : log.entrySet()) {
            Region r = regionAt(e.getKey());
            ram.put((int) (r.phys() + (e.getKey() - r.vaddr())), e.getValue());
        }
    }

    @Override
    public long restores() {
        return restores;
    }

    @Override
    public int rollback() {
        restores++;
        int n = saved.size();
        restore(saved);
        end();
        return n;
    }

    @Override
    public void keepHistory(int transactions) {
        if (active || transactions < 0) {
            throw new IllegalStateException("keepHistory(" + transactions + ") with a transaction open");
        }
        history.clear();
        keep = transactions;
    }

    @Override
    public int history() {
        return history.size();
    }

    private Map<Long, byte[]> kept(int back) {
        if (back < 0 || back >= history.size()) {
            return null;
        }
        java.util.Iterator<Map<Long, byte[]>> it = history.descendingIterator();
        for (int i = 0; i < back; i++) {
            it.next();
        }
        return it.next();
    }

    @Override
    public long[] historyPages(int back) {
        Map<Long, byte[]> log = kept(back);
        return log == null
                ? new long[0]
                : log.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public boolean historyRead(int back, long vaddr, byte[] dst, int off, int len) {
        Map<Long, byte[]> log = kept(back);
        long page = vaddr & -PAGE;
        byte[] pre = log == null ? null : log.get(page);
        if (pre == null || len < 0 || (vaddr - page) + len > PAGE) {
            return false;
        }
        System.arraycopy(pre, (int) (vaddr - page), dst, off, len);
        return true;
    }

    @Override
    public int undoHistory(int n) {
        if (active) {
            throw new IllegalStateException("undoHistory with a transaction open");
        }
        restores++;
        int pages = 0;
        for (int i = 0; i < n && !history.isEmpty(); i++) {
            Map<Long, byte[]> log = history.pollLast();
            restore(log);
            pages += log.size();
        }
        return pages;
    }

    @Override
    public void dropHistory() {
        history.clear();
    }

    @Override
    public void close() {
        hook.close();
    }
}
