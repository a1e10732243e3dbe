package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SDK's dispatch checks a successful reply against its op's reply rule (the reply words'
 * bounds, the words that repeat or may not exceed a request word, the buffer length: what the
 * generated client stubs check) before it leaves: a transient fault in a handler that left a word
 * or the length off it is a failed assertion, which txipc undoes and runs again. Without the
 * check the client stub found the reply malformed and its caller got {@code RW_EINVAL}, a wrong
 * answer with no trap (kv's LIST: 42 of the 155 silent runs of {@code rewind inject
 * builtin:t_kv_oracle.toml --server kv -n 10000 --seed 1800001} on 1b19cc9, "list returned -1
 * (EINVAL)"). {@code ReplyClearTest} strikes a GET's length; these strike the other kinds of rule,
 * including those session 50 added to kv, fs (a count at most or equal to the one asked for).
 */
class ReplyShapeTest {

    /** rw_request: in, out, badge, ctx; rw_msg: label, w[0..3], len. */
    static final int OUT = 8;

    static final int W = 8;

    static final int LEN = 40;

    /**
     * When {@code handler} of {@code server} returns a success, from its {@code nth} call on, sets
     * reply word {@code word} to {@code value}, once: as a flipped register or a skipped store in
     * the handler would leave it. A negative {@code value}: one more than request word {@code
     * -value - 1}, and the reply's length the same (a reply longer than was asked for).
     */
    static final class ReplyWordSet implements KernelProbe {
        final String server;
        final String handler;
        final int nth;
        final int word;
        final long value;
        int seen;
        boolean struck;
        CpuHook entry;
        CpuHook back;
        boolean armed;
        long in;
        long out;

        ReplyWordSet(String server, String handler, int nth, int word, long value) {
            this.server = server;
            this.handler = handler;
            this.nth = nth;
            this.word = word;
            this.value = value;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals(server) || entry != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long at = task.image().symbol(handler).orElseThrow();
            int a0 = cpu.arch().result(0);
            int link = cpu.arch().link();
            entry = cpu.hookInstructions(at, at, (addr, size) -> {
                if (struck || ++seen < nth) {
                    return;
                }
                long req = cpu.reg(a0);
                out = Fixtures.read64(cpu, req + OUT);
                in = Fixtures.read64(cpu, req);
                armed = true;
                if (back == null) {
                    long ret = cpu.reg(link); // (the dispatch's call of every handler returns there)
                    back = cpu.hookInstructions(ret, ret, (a, s) -> {
                        if (struck || !armed) {
                            return;
                        }
                        armed = false;
                        if (cpu.reg(a0) != 0) {
                            return; // an error: its reply carries nothing; the next success
                        }
                        struck = true;
                        if (value >= 0) {
                            Fixtures.write64(cpu, out + W + 8L * word, value);
                        } else {
                            // one more than request word -value-1 asked for, and a length to match
                            long more = Fixtures.read64(cpu, in + W + 8L * (-value - 1)) + 1;
                            Fixtures.write64(cpu, out + W + 8L * word, more);
                            Fixtures.write64(cpu, out + LEN, more);
                        }
                    });
                    cpu.dropCodeTranslations();
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}: {2} reply word {4} = {5}")
    @CsvSource({
        // LIST's key length over KEY_MAX, and its value length over VAL_MAX
        "t_kv_oracle.toml, kv, do_list, 3, 1, 200, kv_oracle: ok",
        "t_kv_oracle.toml, kv, do_list, 5, 2, 5000, kv_oracle: ok",
        // WRITE's count not the one asked for
        "t_fs_oracle.toml, fs, do_write, 4, 0, 1, fs_oracle: ok",
        // READ's count (and length) one more than asked for
        "t_fs_oracle.toml, fs, do_read, 4, 0, -3, fs_oracle: ok",
        "aarch64/t_kv_oracle.toml, kv, do_list, 3, 1, 65, kv_oracle: ok",
    })
    void aReplyOffItsProtocolsShapeIsAFaultOfItsRequestAndIsUndone(
            String image, String server, String handler, int nth, int word, long value, String ok) throws Exception {
        ReplyWordSet probe = new ReplyWordSet(server, handler, nth, word, value);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertTrue(probe.struck, () -> "the reply was struck: " + run);
        assertTrue(run.console.contains(ok), run::toString);
        assertFalse(run.console.contains("FAIL"), run::toString);
        GuestRun.FaultEvent f = run.faults.stream()
                .filter(e -> e.task().equals(server))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no fault of " + server + ": " + run));
        assertEquals(FaultKind.ABORT, f.fault().kind(), run::toString);
        assertTrue(f.fault().detail().contains("breaks its op's definition"), run::toString);
        assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), run::toString);
        assertTrue(run.restarts.stream().noneMatch(r -> r.startsWith(server + "@")), run::toString);
    }
}
