package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code rw__dispatch} (guest/sdk/lib/dispatch.c) checks the way back from its calls: the handler
 * must return with the stack pointer it was called with, and each call must return to its own
 * call site. A skipped {@code add sp, sp, N} in a callee's epilogue left a handler's frame N
 * bytes low, and a skipped save of a return address returned through a stale one, left in the
 * same stack slot by a callee called before, to another call site; both gave wrong answers with
 * no trap (skip sweeps of fs and kv, session 56: fs's CLOSE answered EBADF, kv's GET of a key it
 * holds "found, length 0"). Now both are failed assertions of the request, undone by txipc.
 */
class DispatchReturnCheckTest {
    /** The {@code nth} GET handler of kv returns with its stack pointer 32 bytes low. */
    static final class StackPointerShift implements KernelProbe {
        final int nth;
        int gets;
        boolean struck;
        CpuHook hook;
        CpuHook back;

        StackPointerShift(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("kv") || hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            int sp = cpu.arch().sp();
            hook = Fixtures.hookEntry(t, "do_get", (addr, size) -> {
                if (back != null || ++gets != nth) {
                    return;
                }
                long ret = cpu.reg(cpu.arch().link());
                back = cpu.hookInstructions(ret, ret, (a, s) -> {
                    if (!struck) {
                        struck = true;
                        cpu.setReg(sp, cpu.reg(sp) - 32);
                    }
                });
                cpu.dropCodeTranslations();
            });
        }
    }

    /**
     * Learns where {@code rw__clear_reply}'s two calls in {@code rw__dispatch} return to (the
     * second clears an error's reply), then, at the {@code nth} first call after that, returns
     * it to the second call's site: as a stale return address left in the slot would.
     */
    static final class ReturnToAnotherSite implements KernelProbe {
        final int nth;
        final List<Long> sites = new ArrayList<>();
        int callsThisRequest;
        int armed;
        boolean struck;
        CpuHook hook;

        ReturnToAnotherSite(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals("kv")) {
                return;
            }
            callsThisRequest = 0;
            if (hook != null) {
                return;
            }
            Cpu cpu = t.cpu();
            int link = cpu.arch().link();
            hook = Fixtures.hookEntry(t, "rw__clear_reply", (addr, size) -> {
                long ret = cpu.reg(link);
                callsThisRequest++;
                if (sites.size() < 2) {
                    if (!sites.contains(ret)) {
                        sites.add(ret);
                    }
                    return;
                }
                if (struck || callsThisRequest != 1 || ++armed != nth) {
                    return;
                }
                long other = ret == sites.get(0) ? sites.get(1) : sites.get(0);
                cpu.setReg(link, other);
                struck = true;
            });
        }
    }

    @ParameterizedTest(name = "{0}: the {1}th GET")
    @CsvSource({
        "t_kv_oracle.toml, 1",
        "t_kv_oracle.toml, 25",
        "aarch64/t_kv_oracle.toml, 1",
        "aarch64/t_kv_oracle.toml, 25",
    })
    void aHandlerThatReturnsWithAnotherStackPointerIsAFaultOfItsRequestAndIsUndone(String image, int nth)
            throws Exception {
        StackPointerShift probe = new StackPointerShift(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a GET was struck: " + run);
        Fixtures.assertAbortUndone(run, "kv", "kv_oracle: ok", "another stack pointer");
    }

    @ParameterizedTest(name = "{0}: the {1}th request after both sites were seen")
    @CsvSource({
        "t_kv_oracle.toml, 1",
        "t_kv_oracle.toml, 40",
        "aarch64/t_kv_oracle.toml, 1",
        "aarch64/t_kv_oracle.toml, 40",
    })
    void aCallThatReturnsToAnotherCallSiteIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        ReturnToAnotherSite probe = new ReturnToAnotherSite(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "a call was struck: " + run);
        Fixtures.assertAbortUndone(run, "kv", "kv_oracle: ok", "returned to another call site");
    }
}
