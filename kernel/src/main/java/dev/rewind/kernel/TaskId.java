package dev.rewind.kernel;

/**
 * A task's name in the kernel: its slot index plus a generation that grows with every restart,
 * as in Hubris. A capability minted for one generation is refused (EDEAD) after a restart until
 * its holder refreshes it. Packed for the guest as {@code index | generation << 16}.
 */
public record TaskId(int index, int generation) {
    public long packed() {
        return (index & 0xffffL) | ((long) generation << 16);
    }

    @Override
    public String toString() {
        return index + "." + generation;
    }
}
