package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.hw.elf.ElfImage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SDK's memcmp finds its answer twice while the task serves a request (guest/sdk/string.c:
 * the word loop, then a byte loop) and compares the two: a transient fault in the comparison (a
 * skipped branch or a wrong load in the word loop) that answered "equal" for two keys that differ,
 * or the wrong order, is then a fault of the request, undone by txipc. Before, the server acted
 * on the wrong answer with no trap (an outside B+tree ordered map: seeds 2150027, 2150219,
 * 2150459, 2151035, 2151467, 2151468, 2151499 of session 55: keys it holds answered ENOKEY, an
 * INSERT of a key it held accepted, counts and cursor pages from the wrong place). kv_server finds
 * a key by comparing it with each stored key of the same length.
 */
class ServingCompareCheckTest {
    /**
     * In the {@code nth} memcmp that {@code task} makes while serving, the first comparison sees
     * bit 0 of the first buffer's first byte flipped (so its answer changes: equal keys differ,
     * or the first difference moves or changes): the byte is flipped at memcmp's entry and put
     * back as soon as the task runs code outside memcmp's own body (the second comparison, or
     * the caller), as a load in the word loop that read a wrong word would.
     */
    static final class CompareFlip implements KernelProbe {
        final String task;
        final int nth;
        int calls;
        boolean struck;
        boolean pending;
        long at;
        byte[] saved;
        CpuHook hook;

        CompareFlip(String task, int nth) {
            this.task = task;
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals(task) || hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            ElfImage.Symbol f = Fixtures.function(t, "memcmp");
            long textEnd = t.image().symbols().stream()
                    .filter(ElfImage.Symbol::function)
                    .mapToLong(s -> s.address() + s.size())
                    .max()
                    .orElseThrow();
            int a0 = cpu.arch() == Arch.RISCV64 ? 10 : 0;
            hook = cpu.hookInstructions(0x10000, textEnd - 1, (addr, size) -> {
                boolean inside = addr >= f.address() && addr < f.address() + f.size();
                if (pending && !inside) {
                    cpu.memory().write(at, saved, 0, saved.length);
                    pending = false;
                    return;
                }
                if (struck || addr != f.address()) {
                    return;
                }
                long a = cpu.reg(a0), n = cpu.reg(a0 + 2);
                if (n <= 0 || n > 256) {
                    return;
                }
                byte[] x = new byte[1];
                if (!cpu.memory().read(a, x, 0, 1) || ++calls != nth) {
                    return;
                }
                at = a;
                saved = x.clone();
                x[0] ^= 1;
                cpu.memory().write(a, x, 0, 1);
                pending = true;
                struck = true;
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}: the {1}th memcmp")
    @CsvSource({
        "t_kv_oracle.toml, 5",
        "t_kv_oracle.toml, 60",
        "aarch64/t_kv_oracle.toml, 5",
        "aarch64/t_kv_oracle.toml, 60",
    })
    void aComparisonAnsweredWrongIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        CompareFlip probe = new CompareFlip("kv", nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a comparison was struck: " + run);
        Fixtures.assertAbortUndone(run, "kv", "kv_oracle: ok", "a comparison differs from its second run");
    }
    /**
     * memcmp gives its caller back every register a callee must preserve, whatever single
     * instruction of it is skipped, or the skip is a fault of the request: it used to keep its
     * answer in s0 across its second comparison, and a skipped {@code ld s0} in its epilogue
     * handed the caller memcmp's answer in place of its own s0 (an outside LRU cache stored a
     * wrong length, no trap: helper AC, session 58). Each instruction of kv's first memcmp while
     * serving is skipped in turn.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"", "aarch64/"})
    void noSkipInMemcmpHandsItsCallerAChangedCalleeSavedRegister(String arch) throws Exception {
        SystemImage system = SystemImage.builtin(arch + "t_kv_oracle.toml");
        ServingBoundCheckTest.CallSkip trace = ServingBoundCheckTest.CallSkip.firstCall(system, "kv", "memcmp");
        assertTrue(trace.clobbered.isEmpty(), trace.clobbered::toString);
        java.util.List<String> bad = new java.util.ArrayList<>();
        for (int k = 0; k < trace.order.size(); k++) {
            ServingBoundCheckTest.Skipped s = ServingBoundCheckTest.CallSkip.skipping(system, "kv", "memcmp", k);
            String what = String.format("skip of the instruction at 0x%x: %s", s.probe().skipAt, s.run());
            assertTrue(s.run().console.contains("kv_oracle: ok"), what);
            if (s.faults().isEmpty() && !s.probe().clobbered.isEmpty()) {
                bad.add(String.format("skip of 0x%x: %s", s.probe().skipAt, s.probe().clobbered));
            }
        }
        assertEquals(java.util.List.of(), bad);
    }
}
