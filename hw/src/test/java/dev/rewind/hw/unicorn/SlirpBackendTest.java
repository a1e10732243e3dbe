package dev.rewind.hw.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.GuestForward;
import dev.rewind.hw.dev.HostForward;
import dev.rewind.hw.dev.NetOptions;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * libslirp through JNA, for real: raw Ethernet frames in, slirp's frames out. Nothing leaves this
 * machine: ARP and DHCP are answered by slirp itself, and the forward is to 127.0.0.1.
 */
class SlirpBackendTest {
    static final byte[] GUEST_MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    static final byte[] GUEST_IP = {10, 0, 2, 15};
    static final byte[] HOST_IP = {10, 0, 2, 2};
    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};

    final LinkedBlockingQueue<byte[]> toGuest = new LinkedBlockingQueue<>();
    SlirpBackend backend;

    @AfterEach
    void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    SlirpBackend start(String... specs) {
        backend = new SlirpBackend("eth0", NetOptions.parse(List.of(specs)));
        backend.start(toGuest::add);
        return backend;
    }

    /** The next frame from slirp that {@code want} accepts, within 5 s (others are skipped). */
    byte[] await(Predicate<byte[]> want, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < end) {
            byte[] f = toGuest.poll(50, TimeUnit.MILLISECONDS);
            if (f != null && want.test(f)) {
                return f;
            }
        }
        throw new AssertionError("slirp sent no " + what + " within 5 s");
    }

    static int u16(byte[] f, int o) {
        return (f[o] & 0xff) << 8 | (f[o + 1] & 0xff);
    }

    static boolean bytesAt(byte[] f, int o, byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (f[o + i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    static byte[] arpRequest(byte[] targetIp) {
        ByteBuffer b = ByteBuffer.allocate(60); // padded to the Ethernet minimum
        b.put(BROADCAST).put(GUEST_MAC).putShort((short) 0x0806);
        b.putShort((short) 1)
                .putShort((short) 0x0800)
                .put((byte) 6)
                .put((byte) 4)
                .putShort((short) 1);
        b.put(GUEST_MAC).put(GUEST_IP).put(new byte[6]).put(targetIp);
        return b.array();
    }

    static boolean isArpReplyFrom(byte[] f, byte[] ip) {
        return f.length >= 42
                && u16(f, 12) == 0x0806
                && u16(f, 20) == 2
                && bytesAt(f, 28, ip)
                && bytesAt(f, 0, GUEST_MAC);
    }

    static int checksum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i < len; i += 2) {
            sum += (b[off + i] & 0xff) << 8 | (i + 1 < len ? b[off + i + 1] & 0xff : 0);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** A DHCPDISCOVER from GUEST_MAC, broadcast, UDP 68 -> 67 (UDP checksum 0: none). */
    static byte[] dhcpDiscover(int xid) {
        ByteBuffer bootp = ByteBuffer.allocate(300);
        bootp.put((byte) 1).put((byte) 1).put((byte) 6).put((byte) 0).putInt(xid);
        bootp.putShort((short) 0).putShort((short) 0x8000);
        bootp.put(new byte[16]); // ciaddr, yiaddr, siaddr, giaddr
        bootp.put(GUEST_MAC).put(new byte[10]).put(new byte[64]).put(new byte[128]);
        bootp.putInt(0x63825363); // magic cookie
        bootp.put(new byte[] {53, 1, 1}); // DHCP message type: DISCOVER
        bootp.put((byte) 255);
        byte[] payload = bootp.array();
        int udpLen = 8 + payload.length;
        int ipLen = 20 + udpLen;
        ByteBuffer f = ByteBuffer.allocate(14 + ipLen);
        f.put(BROADCAST).put(GUEST_MAC).putShort((short) 0x0800);
        int ip = f.position();
        f.put((byte) 0x45)
                .put((byte) 0)
                .putShort((short) ipLen)
                .putShort((short) 1)
                .putShort((short) 0);
        f.put((byte) 64).put((byte) 17).putShort((short) 0).put(new byte[4]).put(new byte[] {-1, -1, -1, -1});
        f.putShort((short) 68).putShort((short) 67).putShort((short) udpLen).putShort((short) 0);
        f.put(payload);
        byte[] a = f.array();
        int c = checksum(a, ip, 20);
        a[ip + 10] = (byte) (c >> 8);
        a[ip + 11] = (byte) c;
        return a;
    }

    @Test
    void answersArpForTheHost() throws Exception {
        start();
        assertTrue(backend.linkUp());
        assertTrue(SlirpBackend.version().startsWith("4."), SlirpBackend.version());
        backend.send(arpRequest(HOST_IP), 60);
        byte[] reply = await(f -> isArpReplyFrom(f, HOST_IP), "ARP reply for 10.0.2.2");
        assertTrue(bytesAt(reply, 38, GUEST_IP), "the reply is addressed to the asker");
    }

    @Test
    void aGuestForwardIsAcceptedAndItsAddressAnswersArp() throws Exception {
        start("guestfwd=tcp:10.0.2.100:7-echo", "guestfwd=tcp:10.0.2.101:9-echo");
        assertTrue(backend.linkUp());
        byte[] oracle = {10, 0, 2, 100};
        backend.send(arpRequest(oracle), 60);
        byte[] reply = await(f -> isArpReplyFrom(f, oracle), "ARP reply for 10.0.2.100");
        assertTrue(bytesAt(reply, 38, GUEST_IP), "the reply is addressed to the asker");
        assertEquals(0, backend.echoedBytes());
        assertEquals(0, backend.echoDropped());
    }

    @Test
    void anUnforwardedAddressDoesNotAnswerArp() throws Exception {
        start("guestfwd=tcp:10.0.2.100:7-echo");
        backend.send(arpRequest(new byte[] {10, 0, 2, 77}), 60);
        backend.send(arpRequest(HOST_IP), 60); // a marker: slirp answers this one
        byte[] f = await(g -> u16(g, 12) == 0x0806 && u16(g, 20) == 2, "ARP reply");
        assertTrue(isArpReplyFrom(f, HOST_IP), "10.0.2.77 is no one's: only the host answers");
    }

    @Test
    void guestForwardRulesAreParsedAndCheckedClearly() {
        GuestForward g = GuestForward.parse("tcp:10.0.2.100:7-echo");
        assertEquals("tcp 10.0.2.100:7 -> echo", g.toString());
        assertEquals(7, g.guestPort());
        assertEquals(g, GuestForward.parse("10.0.2.100:7-ECHO"));
        String[][] bad = {
            {"tcp:10.0.2.100:7-chargen", "unknown service 'chargen'"},
            {"udp:10.0.2.100:7-echo", "only tcp"},
            {"tcp:10.0.2.100:0-echo", "port '0' is not 1..65535"},
            {"tcp:10.0.2.100:70000-echo", "not 1..65535"},
            {"tcp:10.0.2.100-echo", "expected [tcp:]GUESTADDR:GUESTPORT-SERVICE"},
            {"tcp:10.0.2.100:7", "expected"},
            {"tcp:host:7-echo", "not a dotted IPv4 address"},
            {"tcp:10.0.2.300:7-echo", "not a dotted IPv4 address"},
            {"tcp:192.168.1.5:7-echo", "outside the guest network"},
            {"tcp:10.0.2.2:7-echo", "is the host"},
            {"tcp:10.0.2.3:7-echo", "DNS"},
            {"tcp:10.0.2.15:7-echo", "guest's own address"},
            {"tcp:10.0.2.255:7-echo", "broadcast"},
        };
        for (String[] b : bad) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> GuestForward.parse(b[0]), b[0]);
            assertTrue(e.getMessage().contains(b[1]), b[0] + ": " + e.getMessage());
        }
        NetOptions o = NetOptions.parse(List.of("hostfwd=tcp::0-:80,guestfwd=tcp:10.0.2.100:7-echo"));
        assertEquals(List.of(g), o.guestForwards());
        assertEquals(1, o.forwards().size());
        IllegalArgumentException twice = assertThrows(
                IllegalArgumentException.class,
                () -> NetOptions.parse(List.of("guestfwd=tcp:10.0.2.100:7-echo,guestfwd=tcp:10.0.2.100:7-echo")));
        assertTrue(twice.getMessage().contains("forwarded twice"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetOptions.parse(List.of("guestfwd=")));
        assertThrows(
                IllegalArgumentException.class,
                () -> NetOptions.defaults().withGuestForwards(List.of(g)).withGuestForwards(List.of(g)));
        assertEquals(
                List.of(g), NetOptions.defaults().withGuestForwards(List.of(g)).guestForwards());
    }

    @Test
    void dhcpOffersTheGuestAddress() throws Exception {
        start();
        backend.send(dhcpDiscover(0x1234abcd), dhcpDiscover(0).length);
        byte[] offer = await(
                f -> f.length > 14 + 28 + 240
                        && u16(f, 12) == 0x0800
                        && f[14 + 9] == 17
                        && u16(f, 14 + 20) == 67
                        && u16(f, 14 + 22) == 68,
                "DHCP reply");
        int bootp = 14 + 20 + 8;
        assertEquals(2, offer[bootp], "BOOTREPLY");
        assertEquals(0x1234abcd, ByteBuffer.wrap(offer, bootp + 4, 4).getInt(), "xid");
        assertTrue(bytesAt(offer, bootp + 16, GUEST_IP), "yiaddr 10.0.2.15");
    }

    @Test
    void forwardOnPortZeroReportsThePortAndReachesTheGuest() throws Exception {
        start("hostfwd=tcp:127.0.0.1:0-:80");
        List<HostForward> fwd = backend.forwards();
        assertEquals(1, fwd.size());
        int port = fwd.get(0).hostPort();
        assertTrue(port > 0, "bound port " + port);
        assertEquals("tcp 127.0.0.1:" + port + " -> 10.0.2.15:80", fwd.get(0).toString());
        // Teach slirp the guest's MAC (it learns from the guest's ARP request), then connect.
        backend.send(arpRequest(HOST_IP), 60);
        await(f -> isArpReplyFrom(f, HOST_IP), "ARP reply");
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            byte[] syn = await(
                    f -> f.length >= 54
                            && u16(f, 12) == 0x0800
                            && f[14 + 9] == 6
                            && bytesAt(f, 14 + 16, GUEST_IP)
                            && u16(f, 14 + 22) == 80
                            && (f[14 + 33] & 0x02) != 0,
                    "TCP SYN to 10.0.2.15:80");
            assertTrue(bytesAt(syn, 0, GUEST_MAC));
            assertFalse((syn[14 + 33] & 0x10) != 0, "a SYN, not a SYN-ACK");
        }
        assertTrue(backend.framesFromGuest() >= 1);
    }

    /**
     * While the card says it has no room ({@code FrameSink.accepting} false) what the host sends
     * stays in slirp's socket; when the card reports room ({@code sinkHasRoom}) it comes, all of it.
     */
    @Test
    void aSinkWithoutRoomLeavesTheHostsInputInTheSocket() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean room = new java.util.concurrent.atomic.AtomicBoolean(true);
        backend = new SlirpBackend("eth0", NetOptions.parse(List.of("hostfwd=udp:127.0.0.1:0-:7")));
        backend.start(new dev.rewind.hw.dev.FrameSink() {
            @Override
            public void frame(byte[] f) {
                toGuest.add(f);
            }

            @Override
            public boolean accepting() {
                return room.get();
            }
        });
        int port = backend.forwards().get(0).hostPort();
        backend.send(arpRequest(HOST_IP), 60);
        await(f -> isArpReplyFrom(f, HOST_IP), "ARP reply");
        room.set(false);
        long heldBefore = backend.heldTurns();
        java.util.function.Predicate<byte[]> udpToGuest =
                f -> f.length >= 42 && u16(f, 12) == 0x0800 && f[14 + 9] == 17 && u16(f, 14 + 22) == 7;
        try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
            for (int i = 0; i < 3; i++) {
                byte[] b = ("held " + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                s.send(new java.net.DatagramPacket(b, b.length, java.net.InetAddress.getLoopbackAddress(), port));
            }
            Thread.sleep(300);
            assertTrue(toGuest.stream().noneMatch(udpToGuest), "nothing read while the card has no room");
            assertTrue(backend.heldTurns() > heldBefore, "the loop held the input back");
            room.set(true);
            backend.sinkHasRoom();
            for (int i = 0; i < 3; i++) {
                byte[] d = await(udpToGuest, "UDP datagram " + i + " to 10.0.2.15:7");
                String payload = new String(d, 42, d.length - 42, java.nio.charset.StandardCharsets.US_ASCII);
                assertTrue(payload.startsWith("held " + i), payload);
            }
        }
    }

    @Test
    void twoForwardsOnPortZeroGetDistinctPorts() {
        start("hostfwd=tcp::0-:80,hostfwd=udp:127.0.0.1:0-:7", "restrict=on");
        List<HostForward> fwd = backend.forwards();
        assertEquals(2, fwd.size());
        assertTrue(fwd.get(0).hostPort() > 0 && fwd.get(1).hostPort() > 0);
        assertTrue(fwd.get(1).udp());
    }

    @Test
    void aBusyPortIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            backend = new SlirpBackend("eth0", NetOptions.parse(List.of("hostfwd=tcp:127.0.0.1:" + port + "-:80")));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> backend.start(toGuest::add));
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
            assertFalse(backend.linkUp());
        }
    }

    @Test
    void closeStopsTheThreadAndTheLink() {
        start("hostfwd=tcp:127.0.0.1:0-:80");
        int port = backend.forwards().get(0).hostPort();
        backend.close();
        assertFalse(backend.linkUp());
        backend.send(arpRequest(HOST_IP), 60); // ignored, no exception
        assertFalse(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("rewind-slirp-eth0") && t.isAlive()));
        // the port is free again
        assertNotNull(assertDoesNotThrowBind(port));
    }

    private static ServerSocket assertDoesNotThrowBind(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return s;
        } catch (java.io.IOException e) {
            throw new AssertionError("port " + port + " still bound after close: " + e.getMessage());
        }
    }

    @Test
    void rulesAreParsedLikeQemu() {
        HostForward f = HostForward.parse("tcp:127.0.0.1:8080-:80");
        assertEquals("tcp 127.0.0.1:8080 -> 10.0.2.15:80", f.toString());
        assertEquals(
                "udp 0.0.0.0:5353 -> 10.0.2.16:53",
                HostForward.parse("udp:0.0.0.0:5353-10.0.2.16:53").toString());
        assertEquals(
                "tcp 127.0.0.1:2222 -> 10.0.2.15:22",
                HostForward.parse(":2222-:22").toString());
        for (String bad : new String[] {
            "tcp:127.0.0.1:8080", "sctp:1.2.3.4:1-:2", "tcp:127.0.0.1:70000-:80", "tcp:127.0.0.1:80-:0",
            "tcp:localhost:80-:80", "tcp:1.2.3.256:80-:80", "tcp:127.0.0.1:x-:80", "tcp:127.0.0.1:1-:2-3"
        }) {
            assertThrows(IllegalArgumentException.class, () -> HostForward.parse(bad), bad);
        }
        // a guest address no guest can have on slirp's network
        for (String bad : new String[] {"192.168.1.5", "10.0.3.15", "10.0.2.0", "10.0.2.2", "10.0.2.3", "10.0.2.255"}) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> HostForward.parse("tcp::8080-" + bad + ":80"), bad);
            assertTrue(e.getMessage().contains("guest address " + bad + " is "), e.getMessage());
        }
        NetOptions o = NetOptions.parse(List.of("hostfwd=tcp::8080-:80,hostfwd=tcp::8081-:81", "restrict=off"));
        assertEquals(2, o.forwards().size());
        assertFalse(o.restricted());
        assertTrue(NetOptions.parse(List.of()).restricted());
        assertThrows(
                IllegalArgumentException.class,
                () -> NetOptions.parse(List.of("hostfwd=tcp::80-:80,hostfwd=tcp::80-:81")));
        assertThrows(IllegalArgumentException.class, () -> NetOptions.parse(List.of("restrict=maybe")));
        assertThrows(IllegalArgumentException.class, () -> NetOptions.parse(List.of("tap")));
        assertThrows(IllegalArgumentException.class, () -> NetOptions.parse(List.of("")));
    }
}
