package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Bank;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The bank server (guest/servers/bank_server.c), the third stateful server of the recovery
 * measurements, and its oracle workload (guest/apps/bank_oracle.c): the workload passes and
 * reaches every error of the protocol, and the server's own invariant checks turn a corruption
 * of its state into a failed assertion, which TxIPC recovers.
 */
class BankServerTest {
    private static final Pattern OK = Pattern.compile("bank_oracle: ok ops=(\\d+) recovered=(\\d+) restarts=(\\d+)"
            + " requests=(\\d+) journal=(\\d+) enoent=(\\d+) enofunds=(\\d+) elimit=(\\d+) enotempty=(\\d+)"
            + " enomem=(\\d+) einval=(\\d+)");

    @Test
    void theOracleAgreesWithTheServerAndReachesEveryError() throws Exception {
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin("t_bank_oracle.toml"), null);
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.faults.isEmpty(), r::toString);
        Matcher m = OK.matcher(r.console);
        assertTrue(m.find(), r::toString);
        assertEquals("0", m.group(2), "nothing to recover without faults");
        long requests = Long.parseLong(m.group(4));
        assertTrue(requests >= 600 && requests <= 1000, "about 800 requests: " + requests);
        for (int g = 6; g <= 11; g++) {
            assertFalse(m.group(g).equals("0"), "every kind of error comes up: " + m.group());
        }
    }

    /**
     * Adds {@code delta} to a 64-bit word of the bank server's memory when its n-th request is
     * delivered (as a fault that does not trap would): {@code total} itself, or the balance of
     * the first open account with a balance.
     */
    static final class Corruptor implements KernelProbe {
        final int n;
        final boolean balance;
        int delivered;
        boolean struck;

        Corruptor(int n, boolean balance) {
            this.n = n;
            this.balance = balance;
        }

        @Override
        public void requestDelivered(Task server) {
            if (!server.name().equals("bank") || ++delivered != n) {
                return;
            }
            long at = balance ? firstBalance(server) : Fixtures.symbol(server, "total");
            byte[] b = new byte[8];
            assertTrue(server.cpu().memory().read(at, b, 0, 8));
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            bb.putLong(0, bb.getLong(0) + 1);
            assertTrue(server.cpu().memory().write(at, b, 0, 8));
            struck = true;
        }

        /** The address of the balance of the first slot with an open account and a balance. */
        private static long firstBalance(Task server) {
            byte[] l = new byte[16];
            assertTrue(server.cpu().memory().read(Fixtures.symbol(server, "bank_account_layout"), l, 0, 16));
            ByteBuffer lb = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN);
            int size = lb.getInt(), id = lb.getInt(), bal = lb.getInt(), count = lb.getInt();
            assertEquals(Bank.CAPACITY, count);
            long slots = Fixtures.symbol(server, "slots");
            byte[] e = new byte[size];
            for (int i = 0; i < count; i++) {
                long at = slots + (long) i * size;
                assertTrue(server.cpu().memory().read(at, e, 0, size));
                ByteBuffer eb = ByteBuffer.wrap(e).order(ByteOrder.LITTLE_ENDIAN);
                if (eb.getLong(id) != 0 && eb.getLong(bal) != 0) {
                    return at + bal;
                }
            }
            throw new AssertionError("no open account with a balance");
        }
    }

    private static GuestRun corrupt(Corruptor probe) throws Exception {
        GuestRun r = GuestRun.runWithProbe(SystemImage.builtin("t_bank_oracle.toml"), probe);
        assertTrue(probe.struck, r::toString);
        return r;
    }

    @Test
    void aCorruptedTotalFailsTheEndOfRequestCheckAndIsRecovered() throws Exception {
        GuestRun r = corrupt(new Corruptor(300, false));
        List<GuestRun.FaultEvent> faults = r.faults;
        assertFalse(faults.isEmpty(), r::toString);
        // The very request it struck ends with "total == total_in - total_out" broken.
        assertEquals(FaultKind.ABORT, faults.get(0).fault().kind(), r::toString);
        assertTrue(faults.get(0).fault().detail().contains("total == total_in - total_out"), r::toString);
        for (GuestRun.FaultEvent f : faults) {
            assertEquals("bank", f.task());
            assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), f::toString);
        }
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("bank_oracle: ok"), r::toString);
        assertEquals(1, r.result.task("bank").id().generation(), "no restart");
    }

    @Test
    void aCorruptedBalanceIsFoundByTheFullCheckAndIsRecovered() throws Exception {
        GuestRun r = corrupt(new Corruptor(300, true));
        assertFalse(r.faults.isEmpty(), r::toString);
        // No per-request check looks at an untouched account's balance: the periodic full
        // check finds that the balances no longer add up to the total.
        assertEquals(FaultKind.ABORT, r.faults.get(0).fault().kind(), r::toString);
        assertTrue(r.faults.get(0).fault().detail().contains("sum == total"), r::toString);
        for (GuestRun.FaultEvent f : r.faults) {
            assertInstanceOf(RecoveryOutcome.RolledBack.class, f.outcome(), f::toString);
        }
        assertEquals(SystemResult.Outcome.OK, r.result.outcome(), r::toString);
        assertTrue(r.console.contains("bank_oracle: ok"), r::toString);
    }

    @Test
    void underRestartTheSameCorruptionLosesTheAccountsAndTheOracleSaysSo() throws Exception {
        GuestRun r = GuestRun.bootManifest(
                Fixtures.withPolicy(Fixtures.manifest("t_bank_oracle.toml"), "restart"),
                Fixtures.CONFIG,
                new Corruptor(300, false),
                null);
        assertTrue(r.console.contains("bank_oracle: FAIL lost state"), r::toString);
        assertEquals(SystemResult.Outcome.TASK_FAILED, r.result.outcome(), r::toString);
    }
}
