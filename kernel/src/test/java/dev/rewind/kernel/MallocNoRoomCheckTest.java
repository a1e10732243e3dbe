package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SDK's allocator finds a "no room" again while the task serves a request (guest/sdk/malloc.c,
 * {@code heap_alloc}): a skipped instruction in its size check (RISC-V {@code li a5,-63}, the bound
 * from a stale register) made a PUT that had room answer ENOMEM, an error reply that nothing
 * checks (a skip sweep of kv, session 56). The search is deterministic, so a block found by the
 * second search is a failed assertion of the request, undone by txipc.
 */
class MallocNoRoomCheckTest {
    /** The {@code nth} search of kv's allocator (heap_alloc_once) returns NULL though it found a block. */
    static final class NoRoom implements KernelProbe {
        final int nth;
        int calls;
        long armedAt = -1;
        boolean struck;
        CpuHook hook;

        NoRoom(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("kv") || hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            int a0 = cpu.arch().result(0);
            hook = Fixtures.hookEntry(t, "heap_alloc_once", (addr, size) -> {
                if (armedAt >= 0 || ++calls != nth) {
                    return;
                }
                armedAt = cpu.reg(cpu.arch().link());
                cpu.hookInstructions(armedAt, armedAt, (a, s) -> {
                    if (!struck && cpu.reg(a0) != 0) {
                        struck = true;
                        cpu.setReg(a0, 0);
                    }
                });
                cpu.dropCodeTranslations();
            });
        }
    }

    @ParameterizedTest(name = "{0}: allocation {1}")
    @CsvSource({
        "t_kv_oracle.toml, 5",
        "t_kv_oracle.toml, 60",
        "aarch64/t_kv_oracle.toml, 5",
        "aarch64/t_kv_oracle.toml, 60",
    })
    void aNoRoomThatASecondSearchContradictsIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        NoRoom probe = new NoRoom(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "an allocation was struck: " + run);
        Fixtures.assertAbortUndone(run, "kv", "kv_oracle: ok", "no room found, then room found");
    }
}
