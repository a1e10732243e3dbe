package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.Uart;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Slices counted in syscalls ({@link Kernel#setCountedSlices}, what fault-injection campaigns
 * boot with): two clients of equal priority take turns at their calls, whatever the host's
 * timing. Under slices of CPU time a quantum that ran out in the middle of a client's work put
 * the other client's requests first in some boots and not in others (an outside LRU cache's two
 * oracle clients: the same 1,802 requests in another order in 3 of 6 profiling boots, so that a
 * seed's replay struck another request than its campaign run).
 */
class CountedSliceTest {
    /** The clients of t_slices' server, in the order their requests reached it. */
    private static List<String> order(String image, boolean counted) throws Exception {
        SystemImage img = SystemImage.builtin(image);
        List<String> from = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Kernel k = new Kernel(Fixtures.CONFIG, img.manifest(), img.source(), new Uart(out), null)) {
            k.setCountedSlices(counted);
            k.setProbe(new KernelProbe() {
                @Override
                public void requestDelivered(Task t) {
                    from.add(t.requestFrom().startsWith("slice_work") ? "W" : "C");
                }
            });
            SystemResult r = k.run();
            assertEquals(SystemResult.Outcome.OK, r.outcome(), () -> r.summary() + out);
        }
        String console = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(console.contains("slice_work: ok") && console.contains("slice_call: ok"), console);
        assertEquals(12, from.size(), from::toString);
        return from;
    }

    @ParameterizedTest
    @ValueSource(strings = {"t_slices.toml", "aarch64/t_slices.toml"})
    void clientsOfEqualPriorityTakeTurnsAtTheirCallsUnderCountedSlices(String image) throws Exception {
        for (int boot = 0; boot < 2; boot++) {
            String counted = String.join("", order(image, true));
            assertTrue(counted.equals("WCWCWCWCWCWC") || counted.equals("CWCWCWCWCWCW"), counted);
        }
        // Under its 1 ms quantum of CPU time, slice_work's work between calls is preempted and
        // slice_call's calls come in between (where, and in a boot on a loaded host whether at
        // all, depends on the host's timing: the full suite under a campaign on both cores once
        // saw CWCWCW...; so up to five boots).
        List<String> plain = new ArrayList<>();
        for (int boot = 0; boot < 5 && plain.stream().noneMatch(o -> o.contains("CC")); boot++) {
            plain.add(String.join("", order(image, false)));
        }
        assertTrue(plain.stream().anyMatch(o -> o.contains("CC")), plain::toString);
    }
}
