package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * kv's COUNT and fs's STAT and LIST read their replies back against what they answer about,
 * found again (guest/servers/kv_server.c {@code check_counted}, guest/servers/fs_server.c
 * {@code node_reply_check}): a sweep of the handlers (session 58) found a skipped load of kv's
 * count, and a skipped add in a node's address ({@code nodes + 96 * i}) that made STAT and LIST
 * answer from another node, each a wrong reply with no trap. Each instruction of the first call
 * of the handler that answers {@code status} is skipped in turn; the oracle must end ok every
 * time, and some skip must have been a fault of the server's, undone.
 */
class ReplyReadBackTest {
    @ParameterizedTest(name = "{0}{2}")
    @CsvSource({
        "'', kv, do_count, kv_oracle: ok",
        "aarch64/, kv, do_count, kv_oracle: ok",
        "'', fs, do_stat, fs_oracle: ok",
        "aarch64/, fs, do_stat, fs_oracle: ok",
        "'', fs, do_list, fs_oracle: ok",
        "aarch64/, fs, do_list, fs_oracle: ok",
    })
    void noSkipInTheHandlerAnswersAClientWrongly(String arch, String task, String function, String ok)
            throws Exception {
        SystemImage system = SystemImage.builtin(arch + "t_" + task + "_oracle.toml");
        List<Long> statuses = ServingBoundCheckTest.Statuses.of(system, task, function, ok);
        int nth = statuses.indexOf(0L) + 1;
        assertTrue(nth > 0, () -> "no " + function + " answered 0: " + statuses);
        ServingBoundCheckTest.assertNoSkipAnswersWrongly(system, task, function, nth, 3, ok);
    }
}
