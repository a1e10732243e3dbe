package dev.rewind.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The bench holds back the WARN lines of faults it makes on purpose. */
class BenchLoggingTest {
    @Test
    void theLoggerTheReplayBenchQuietsIsTxIpcs() throws Exception {
        // The name is spelled in BenchCommand (TxIpc is package-private): it must stay TxIpc's.
        assertEquals(
                BenchCommand.TXIPC_LOGGER,
                Class.forName("dev.rewind.kernel.TxIpc").getName());
    }
}
