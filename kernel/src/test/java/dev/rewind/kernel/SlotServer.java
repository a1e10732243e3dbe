package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** slot_server's sealed counters (guest/tests/slot_server.c), read and changed in its memory by tests. */
final class SlotServer {
    /** slot_server's SEAL: each slot's check word is its value XOR this. */
    static final long SEAL = 0x51075eedL;

    private SlotServer() {}

    /** The values of slot_server's first {@code n} slots. */
    static long[] values(Task server, int n) {
        ByteBuffer w = read(server, n);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = w.getLong(16 * i);
        }
        return v;
    }

    /**
     * Raise each of slot_server's first {@code n} slots by {@code by}, its check word with it (so
     * the server's own assertion passes), in memory itself ({@code writeUnlogged}, as the fault
     * injector's flips are written). Returns the slots' address.
     */
    static long raise(Task server, int n, long by) {
        ByteBuffer w = read(server, n);
        for (int i = 0; i < n; i++) {
            long v = w.getLong(16 * i) + by;
            w.putLong(16 * i, v).putLong(16 * i + 8, v ^ SEAL);
        }
        long a = address(server);
        assertTrue(server.cpu().memory().writeUnlogged(a, w.array(), 0, 16 * n));
        return a;
    }

    private static long address(Task server) {
        return server.image().symbol("slots").orElseThrow();
    }

    private static ByteBuffer read(Task server, int n) {
        byte[] b = new byte[16 * n];
        assertTrue(server.cpu().memory().read(address(server), b, 0, b.length));
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }
}
