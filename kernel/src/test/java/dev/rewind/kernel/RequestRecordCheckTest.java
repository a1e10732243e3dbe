package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The request a handler is given (the {@code in} of its {@code rw_request}) is checked against
 * the sum its receive noted, right before the handler runs (guest/sdk/lib/dispatch.c,
 * {@code rw__check_request_badge}). {@code rw__dispatch} keeps the address of its copy of the
 * request in a callee-saved register across the admission's checks and {@code rw__clear_reply};
 * a bit of it flipped there (kv seeds 2171768, 2172224, 2173304 of session 55's 10,000-injection
 * campaign) gave the handler another place on the stack as its request: kv's LIST read its cursor
 * from there in both of its scans and listed a key twice, with no trap. Now that is the delivery's
 * abort, undone by txipc.
 */
class RequestRecordCheckTest {
    /** kv's LIST label (guest/abi/kv.proto: KV_MAGIC << 16 | 5). */
    static final long KV_LIST = 0x4b56L << 16 | 5;

    /**
     * At the entry of {@code rw__check_request_badge} in the {@code nth} LIST with a cursor that
     * is not 0, the record's {@code in} is made to point at its {@code out} (the reply, cleared by
     * then: a LIST from cursor 0), as a spoiled register stored into the record would.
     */
    static final class RequestPointerSpoiler implements KernelProbe {
        final int nth;
        int lists;
        boolean struck;
        CpuHook hook;

        RequestPointerSpoiler(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("kv") || hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            long at = t.image().symbol("rw__check_request_badge").orElseThrow();
            int a0 = cpu.arch() == Arch.RISCV64 ? 10 : 0;
            hook = cpu.hookInstructions(at, at, (addr, size) -> {
                if (struck) {
                    return;
                }
                long record = cpu.reg(a0);
                long in = read(cpu, record);
                long out = read(cpu, record + 8);
                if (read(cpu, in) != KV_LIST || read(cpu, in + 8) == 0 || ++lists != nth) {
                    return;
                }
                byte[] b = new byte[8];
                for (int i = 0; i < 8; i++) {
                    b[i] = (byte) (out >>> (8 * i));
                }
                cpu.memory().write(record, b, 0, 8);
                struck = true;
            });
            cpu.dropCodeTranslations();
        }

        private static long read(Cpu cpu, long addr) {
            byte[] b = new byte[8];
            if (!cpu.memory().read(addr, b, 0, 8)) {
                return -1;
            }
            long v = 0;
            for (int i = 7; i >= 0; i--) {
                v = v << 8 | (b[i] & 0xff);
            }
            return v;
        }
    }

    @ParameterizedTest(name = "{0}: the {1}th LIST past its first")
    @CsvSource({
        "t_kv_oracle.toml, 1",
        "t_kv_oracle.toml, 20",
        "aarch64/t_kv_oracle.toml, 1",
        "aarch64/t_kv_oracle.toml, 20",
    })
    void aHandlerGivenAnotherRequestIsTheDeliverysAbortAndIsUndone(String image, int nth) throws Exception {
        RequestPointerSpoiler probe = new RequestPointerSpoiler(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a LIST was struck: " + run);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertTrue(run.console.contains("kv_oracle: ok"), run::toString);
        assertFalse(run.console.contains("FAIL"), run::toString);
        assertTrue(run.restarts.isEmpty(), run::toString);
        assertTrue(
                run.faults.stream()
                        .anyMatch(f -> f.task().equals("kv")
                                && f.fault().detail().contains("differs from the one the kernel delivered")),
                run::toString);
    }
}
