package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.hw.elf.ElfImage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SDK's rw_client_alive asks a 0 again before it is believed (guest/sdk/include/rewind/rewind.h):
 * a client once gone stays gone, so a second answer that it lives means the first was wrong, a
 * fault that would have freed a live client's resources with no trap, and is rw_panic, which txipc
 * undoes. An outside B+tree's cursors were reaped after a reply while their clients lived: a1
 * spoiled at the CLIENT_ALIVE system call (seed 2152133 of session 55, RISC-V) or the system call
 * skipped with a0, the slot, read as 0 (seeds 2153051, 2153227, AArch64); its clients' NEXT then
 * got EBADH. lease_server (images/t_lease.toml) frees a client's leases after a reply once
 * CLIENT_ALIVE says it is gone; here its {@code nth} CLIENT_ALIVE goes with another badge in a1.
 */
class ClientAliveCheckTest {
    static final class SpoiledBadge implements KernelProbe {
        final int nth;
        int calls;
        boolean struck;
        CpuHook hook;

        SpoiledBadge(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("lease") || hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            long textEnd = t.image().symbols().stream()
                    .filter(ElfImage.Symbol::function)
                    .mapToLong(s -> s.address() + s.size())
                    .max()
                    .orElseThrow();
            int a1 = cpu.arch() == Arch.RISCV64 ? 11 : 1;
            hook = cpu.hookInstructions(0x10000, textEnd - 1, (addr, size) -> {
                if (struck
                        || !Fixtures.isSyscallInstruction(cpu, addr)
                        || Fixtures.syscallNumber(cpu) != dev.rewind.abi.Abi.SYS_CLIENT_ALIVE
                        || ++calls != nth) {
                    return;
                }
                cpu.setReg(a1, cpu.reg(a1) ^ 0x100);
                struck = true;
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}: CLIENT_ALIVE {1} asked with another badge")
    @CsvSource({
        "t_lease.toml, 1",
        "t_lease.toml, 20",
        "aarch64/t_lease.toml, 1",
        "aarch64/t_lease.toml, 20",
    })
    void aClientAnsweredGoneWhileItLivesIsAFaultAndIsUndone(String image, int nth) throws Exception {
        SpoiledBadge probe = new SpoiledBadge(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a CLIENT_ALIVE was struck: " + run);
        Fixtures.assertAbortUndone(run, "lease", "lease_client: ok", "a client answered gone lives");
    }
}
