package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * kv's PUT checks what it stored (guest/servers/kv_server.c): the entry taken from the free list
 * must be free, the entry built is read back, and the value stored under the key, found again,
 * is compared with the request's bytes. Before, a skipped load of the free list took an entry in
 * use (a later LIST missed the key it held), and a skipped {@code mv s1,a2} in store's prologue
 * copied the value from a stale address that the copy's own check compared it with (a later SCAN
 * found the value changed), both with no trap (a skip sweep of kv, session 56).
 */
class KvPutCheckTest {
    /** kv's entry layout (kv_entry_layout): size, used, key, val, capacity, vlen, vsum, ksum. */
    static int[] layout(Task t) {
        long at = Fixtures.symbol(t, "kv_entry_layout");
        int[] l = new int[8];
        byte[] b = new byte[32];
        t.cpu().memory().read(at, b, 0, 32);
        for (int i = 0; i < 8; i++) {
            l[i] = (b[4 * i] & 0xff)
                    | (b[4 * i + 1] & 0xff) << 8
                    | (b[4 * i + 2] & 0xff) << 16
                    | (b[4 * i + 3] & 0xff) << 24;
        }
        return l;
    }

    static int byteAt(Cpu cpu, long at) {
        byte[] b = new byte[1];
        cpu.memory().read(at, b, 0, 1);
        return b[0] & 0xff;
    }

    /**
     * At the entry of kv's {@code store} in the {@code nth} PUT of a key kv does not hold, either
     * the free list's top names an entry in use ({@code freeList}) or the value's source is one
     * byte further on ({@code store}'s third argument), as a stale register would make them.
     */
    static final class PutSpoiler implements KernelProbe {
        final int nth;
        final boolean freeList;
        int puts;
        boolean struck;
        CpuHook hook;

        PutSpoiler(int nth, boolean freeList) {
            this.nth = nth;
            this.freeList = freeList;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("kv") || hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            int[] l = layout(t);
            long entries = Fixtures.symbol(t, "entries");
            long freeListAt = Fixtures.symbol(t, "free_list");
            long freeTopAt = Fixtures.symbol(t, "free_top");
            int a0 = cpu.arch().result(0);
            hook = Fixtures.hookEntry(t, "store", (addr, size) -> {
                if (struck) {
                    return;
                }
                long key = cpu.reg(a0);
                int klen = (int) cpu.reg(cpu.arch().result(1));
                int used = -1;
                for (int i = 0; i < l[4]; i++) {
                    long e = entries + (long) i * l[0];
                    if (byteAt(cpu, e + l[1]) == 0) {
                        continue;
                    }
                    if (used < 0) {
                        used = i;
                    }
                    boolean same = byteAt(cpu, e + l[1] + 1) == klen;
                    for (int k = 0; same && k < klen; k++) {
                        same = byteAt(cpu, e + l[2] + k) == byteAt(cpu, key + k);
                    }
                    if (same) {
                        return; // (a replace: the free list is not read)
                    }
                }
                if (used < 0 || ++puts != nth) {
                    return;
                }
                struck = true;
                if (freeList) {
                    int top = byteAt(cpu, freeTopAt) | byteAt(cpu, freeTopAt + 1) << 8;
                    long slot = freeListAt + 4L * (top - 1);
                    byte[] b = {(byte) used, (byte) (used >> 8), (byte) (used >> 16), (byte) (used >> 24)};
                    cpu.memory().write(slot, b, 0, 4);
                } else {
                    cpu.setReg(cpu.arch().result(2), cpu.reg(cpu.arch().result(2)) + 1);
                }
            });
        }
    }

    @ParameterizedTest(name = "{0}: the {1}th new key, {2}")
    @CsvSource({
        "t_kv_oracle.toml, 2, free list, the free list gave an entry in use",
        "t_kv_oracle.toml, 20, free list, the free list gave an entry in use",
        "aarch64/t_kv_oracle.toml, 2, free list, the free list gave an entry in use",
        "aarch64/t_kv_oracle.toml, 20, free list, the free list gave an entry in use",
        "t_kv_oracle.toml, 2, value source, the value a PUT stored differs",
        "t_kv_oracle.toml, 20, value source, the value a PUT stored differs",
        "aarch64/t_kv_oracle.toml, 2, value source, the value a PUT stored differs",
        "aarch64/t_kv_oracle.toml, 20, value source, the value a PUT stored differs",
    })
    void aPutThatTakesAnEntryInUseOrCopiesItsValueFromElsewhereIsAFaultOfItsRequestAndIsUndone(
            String image, int nth, String spoiled, String detail) throws Exception {
        PutSpoiler probe = new PutSpoiler(nth, spoiled.equals("free list"));
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a PUT was struck: " + run);
        Fixtures.assertAbortUndone(run, "kv", "kv_oracle: ok", detail);
    }
}
