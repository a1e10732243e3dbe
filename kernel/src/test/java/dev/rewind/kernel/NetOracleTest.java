package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.NetOptions;
import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.image.Manifest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The guest forward to the host backend's echo service, through the guest: t_net_oracle.toml's
 * net_oracle streams 300,000 pattern bytes through the NIC driver, lwIP and libslirp to
 * 10.0.2.100:7 (the manifest's {@code guestfwd}) and checks every echoed byte, then a short
 * second connection; the run ends with it (ends_with). Nothing leaves the process.
 */
class NetOracleTest {
    private static String boot(String manifestText, KernelConfig cfg, SystemResult[] result) throws Exception {
        Manifest m = Manifest.parse(manifestText, "t_net_oracle.toml");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (Kernel k =
                new Kernel(cfg, m, ImageSource.classpath(SystemImage.BUILTIN_FOLDER), new Uart(console), null)) {
            result[0] = k.run();
        }
        return console.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theOracleGetsEveryByteBackFromTheManifestsEchoForward() throws Exception {
        SystemResult[] r = new SystemResult[1];
        String out = boot(Fixtures.manifest("t_net_oracle.toml"), Fixtures.CONFIG, r);
        assertTrue(out.contains("net_oracle: ok bytes=300000"), out);
        assertEquals(0, r[0].task("net_oracle").exitCode(), r[0]::summary);
    }

    @Test
    void theForwardCanComeFromNetOptionsInstead() throws Exception {
        String text = Fixtures.manifest("t_net_oracle.toml").replace("guestfwd = [\"tcp:10.0.2.100:7-echo\"]\n", "");
        assertTrue(!text.contains("guestfwd ="), "the manifest's rule was taken out");
        SystemResult[] r = new SystemResult[1];
        String out =
                boot(text, Fixtures.CONFIG.withNet(NetOptions.parse(List.of("guestfwd=tcp:10.0.2.100:7-echo"))), r);
        assertTrue(out.contains("net_oracle: ok bytes=300000"), out);
    }

    @Test
    void withoutTheForwardTheOracleFailsByItself() throws Exception {
        String text = Fixtures.manifest("t_net_oracle.toml").replace("guestfwd = [\"tcp:10.0.2.100:7-echo\"]\n", "");
        SystemResult[] r = new SystemResult[1];
        String out = boot(text, Fixtures.CONFIG, r);
        // no one answers ARP for 10.0.2.100: the connection never completes; the oracle's deadline ends it
        assertTrue(out.contains("net_oracle: FAIL"), out);
        assertEquals(1, r[0].task("net_oracle").exitCode(), r[0]::summary);
    }
}
