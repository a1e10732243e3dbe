package dev.rewind.hw.mem;

/**
 * A run of virtual pages [vaddr, vaddr+size) backed by physical frames starting at {@code phys},
 * which belong to this region alone (no frame is mapped twice).
 */
public record Region(String name, long vaddr, long size, int perms, long phys) {
    public long end() {
        return vaddr + size;
    }

    public boolean contains(long addr) {
        return Long.compareUnsigned(addr, vaddr) >= 0 && Long.compareUnsigned(addr, end()) < 0;
    }

    @Override
    public String toString() {
        return String.format("%s [0x%x, 0x%x) %s", name, vaddr, end(), Perm.toString(perms));
    }
}
