package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.FrameSink;
import dev.rewind.hw.dev.HostForward;
import dev.rewind.hw.dev.NetBackend;
import dev.rewind.hw.dev.NetDevice;
import dev.rewind.hw.dev.NetOptions;
import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.image.Manifest;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Booting with net devices: the card and its host backend are made, started, reported and closed. */
class NetBootTest {
    static final String TOML = "name = \"net\"\n"
            + "[device.eth0]\nkind = \"net\"\n"
            + "[device.eth1]\nkind = \"net\"\nmac = \"02:00:00:00:00:07\"\n"
            + "[task.hello]\nimage = \"hello.elf\"\ndevices = [\"eth0\", \"eth1\"]\n";

    static Kernel boot(KernelConfig cfg) throws Exception {
        Manifest m = Manifest.parse(TOML, "net.toml");
        return new Kernel(
                cfg, m, ImageSource.classpath(SystemImage.BUILTIN_FOLDER), new Uart(new ByteArrayOutputStream()), null);
    }

    static final class Recorder implements NetBackend {
        final String device;
        final NetOptions options;
        boolean started, closed;

        Recorder(String device, NetOptions options) {
            this.device = device;
            this.options = options;
        }

        @Override
        public void start(FrameSink toGuest) {
            started = true;
        }

        @Override
        public void send(byte[] frame, int len) {}

        @Override
        public boolean linkUp() {
            return started && !closed;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void eachNetDeviceGetsItsOwnStartedBackendAndMac() throws Exception {
        List<Recorder> made = new ArrayList<>();
        NetOptions opts = NetOptions.parse(List.of("hostfwd=tcp::0-:80"));
        KernelConfig cfg = Fixtures.CONFIG.withNet(opts).withNetBackends((d, o) -> {
            Recorder r = new Recorder(d, o);
            made.add(r);
            return r;
        });
        try (Kernel k = boot(cfg)) {
            assertEquals(2, made.size());
            assertEquals("eth0", made.get(0).device);
            assertEquals(opts, made.get(0).options, "the first net device gets --net");
            assertTrue(made.get(1).options.forwards().isEmpty(), "the others no forwards");
            assertTrue(made.get(0).started && made.get(1).started);
            NetDevice eth0 = (NetDevice) k.devices().get(0).device();
            NetDevice eth1 = (NetDevice) k.devices().get(1).device();
            assertEquals("52:54:00:12:34:56", NetDevice.formatMac(eth0.read(NetDevice.MAC, 8)));
            assertEquals("02:00:00:00:00:07", NetDevice.formatMac(eth1.read(NetDevice.MAC, 8)));
            assertEquals(NetDevice.STATUS_LINK_UP, eth0.read(dev.rewind.hw.dev.Device.STATUS, 4));
            assertEquals(SystemResult.Outcome.OK, k.run().outcome());
        }
        assertTrue(made.get(0).closed && made.get(1).closed, "closed with the kernel");
    }

    @Test
    void slirpForwardOnPortZeroIsReportedAndReachable() throws Exception {
        KernelConfig cfg = Fixtures.CONFIG.withNet(NetOptions.parse(List.of("hostfwd=tcp:127.0.0.1:0-:80")));
        int port;
        try (Kernel k = boot(cfg)) {
            Map<String, List<HostForward>> fwd = k.netForwards();
            assertEquals(List.of("eth0", "eth1"), List.copyOf(fwd.keySet()));
            assertEquals(1, fwd.get("eth0").size());
            assertTrue(fwd.get("eth1").isEmpty());
            port = fwd.get("eth0").get(0).hostPort();
            assertTrue(port > 0);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000); // slirp listens
                assertTrue(s.isConnected());
            }
            k.run();
        }
        try (ServerSocket again = new ServerSocket()) {
            again.setReuseAddress(true);
            again.bind(new InetSocketAddress("127.0.0.1", port)); // released at close
        }
    }

    @Test
    void aBusyPortRefusesTheBoot() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            KernelConfig cfg = Fixtures.CONFIG.withNet(
                    NetOptions.parse(List.of("hostfwd=tcp:127.0.0.1:" + taken.getLocalPort() + "-:80")));
            BootException e = assertThrows(BootException.class, () -> boot(cfg));
            assertTrue(e.getMessage().startsWith("device 'eth0': "), e.getMessage());
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        }
        assertFalse(
                Thread.getAllStackTraces().keySet().stream()
                        .anyMatch(t -> t.getName().startsWith("rewind-slirp-") && t.isAlive()),
                "no slirp thread left behind");
    }
}
