package dev.rewind.kernel;

import java.util.Arrays;

/**
 * What {@code scrub = true} costs kv under t_kv_oracle: the median, over {@code N} boots each
 * (alternated, after two warm-up boots), of kv's CPU time ({@link Task#cpuNanos}) and of the
 * whole run ({@link SystemResult#nanos}), with txipc and with txipc + scrub, and the host time
 * the scrub itself took (checksums at commit and checks while idle). Not a test: run it as
 * {@code java -cp <kernel test classpath> dev.rewind.kernel.ScrubCost [N]} (docs/RECOVERY.md).
 */
public final class ScrubCost {
    private ScrubCost() {}

    /** kv's CPU ns, the run's ns, the scrub's ns, idle scrubs, pages checked. */
    static long[] boot(boolean scrub) throws Exception {
        String toml = Fixtures.manifest("t_kv_oracle.toml");
        if (scrub) {
            toml = toml.replace("recovery = \"txipc\"", "recovery = \"txipc\"\nscrub = true");
        }
        Task[] kv = new Task[1];
        GuestRun r = GuestRun.bootManifest(
                toml,
                Fixtures.CONFIG,
                new KernelProbe() {
                    @Override
                    public void replied(Task server) {
                        if (server.name().equals("kv")) {
                            kv[0] = server;
                        }
                    }
                },
                null);
        if (r.result.outcome() != SystemResult.Outcome.OK || !r.faults.isEmpty()) {
            throw new IllegalStateException("the run failed: " + r);
        }
        TxIpc tx = (TxIpc) kv[0].recovery();
        return new long[] {kv[0].cpuNanos(), r.result.nanos(), tx.scrubNanos, tx.scrubs, tx.scrubbedPages};
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        boot(false);
        boot(true);
        long[][] off = new long[5][n];
        long[][] on = new long[5][n];
        for (int i = 0; i < n; i++) {
            long[] a = boot(false);
            long[] b = boot(true);
            for (int j = 0; j < 5; j++) {
                off[j][i] = a[j];
                on[j][i] = b[j];
            }
        }
        System.out.printf("t_kv_oracle, median of %d boots each%n", n);
        System.out.printf("txipc:          kv CPU %.2f ms, run %.2f ms%n", median(off[0]) / 1e6, median(off[1]) / 1e6);
        System.out.printf(
                "txipc + scrub:  kv CPU %.2f ms, run %.2f ms; scrub host time %.2f ms (%d idle scrubs, %d pages checked)%n",
                median(on[0]) / 1e6, median(on[1]) / 1e6, median(on[2]) / 1e6, median(on[3]), median(on[4]));
    }

    static long median(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
