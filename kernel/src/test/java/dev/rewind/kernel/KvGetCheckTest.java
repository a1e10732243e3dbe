package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kv's GET reads its reply back against the entry it answers from (guest/servers/kv_server.c,
 * {@code check_got}): the reply's length words were stored from one register, and a skipped load
 * of the entry's length answered "length 0" for a 155-byte value, which the reply rule (len = w0)
 * let through (seed 2421035 of session 58's final kv campaign). Each instruction of the first GET
 * that finds its key is skipped in turn; the oracle must end ok every time, and some skip must
 * have been a fault of kv's, undone.
 */
class KvGetCheckTest {
    @ParameterizedTest
    @ValueSource(strings = {"", "aarch64/"})
    void noSkipInAGetOfAKeyKvHoldsAnswersAClientWrongly(String arch) throws Exception {
        SystemImage system = SystemImage.builtin(arch + "t_kv_oracle.toml");
        List<Long> statuses = ServingBoundCheckTest.Statuses.of(system, "kv", "do_get", "kv_oracle: ok");
        int nth = statuses.indexOf(0L) + 1;
        assertTrue(nth > 0, () -> "no GET found its key: " + statuses);
        ServingBoundCheckTest.assertNoSkipAnswersWrongly(system, "kv", "do_get", nth, 20, "kv_oracle: ok");
    }
}
