package dev.rewind.tools;

import static dev.rewind.tools.Fixtures.assertUsageError;
import static dev.rewind.tools.Fixtures.rewind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.CliRun.Result;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rewind boot --net}: forwards bound and printed, bad rules and busy ports refused. */
class NetCliTest {
    @TempDir
    Path dir;

    Path image() throws Exception {
        Files.write(dir.resolve("hello.elf"), Fixtures.builtinBytes("hello.elf"));
        Path m = dir.resolve("net.toml");
        Files.writeString(
                m,
                "name = \"nettest\"\n[device.eth0]\nkind = \"net\"\n[task.hello]\nimage = \"hello.elf\"\n"
                        + "devices = [\"eth0\"]\n");
        return m;
    }

    @Test
    void forwardsAreBoundAndPrinted() throws Exception {
        Result r = rewind(
                "boot", "--net", "hostfwd=tcp:127.0.0.1:0-:80,hostfwd=udp::0-:7", "--net", "restrict=on", image());
        assertEquals(0, r.status(), r.err());
        Matcher tcp = Pattern.compile("(?m)^rewind: net eth0: tcp 127\\.0\\.0\\.1:(\\d+) -> 10\\.0\\.2\\.15:80$")
                .matcher(r.err());
        assertTrue(tcp.find(), r.err());
        assertTrue(Integer.parseInt(tcp.group(1)) > 0, r.err());
        assertTrue(
                r.err().matches("(?s).*rewind: net eth0: udp 127\\.0\\.0\\.1:\\d+ -> 10\\.0\\.2\\.15:7\\n.*"), r.err());
        // a udp forward under restrict=on: said that no answer can come back
        assertTrue(r.err().contains("the guest's own UDP stays inside"), r.err());
        Result open = rewind("boot", "--net", "hostfwd=udp::0-:7", "--net", "restrict=off", image());
        assertEquals(0, open.status(), open.err());
        assertTrue(!open.err().contains("stays inside"), open.err());
        Result tcpOnly = rewind("boot", "--net", "hostfwd=tcp:127.0.0.1:0-:80", image());
        assertEquals(0, tcpOnly.status(), tcpOnly.err());
        assertTrue(!tcpOnly.err().contains("stays inside"), tcpOnly.err());
    }

    @Test
    void badSpecsAreUsageErrors() throws Exception {
        Path m = image();
        assertUsageError(rewind("boot", "--net", "hostfwd=tcp:127.0.0.1:99999-:80", m), "99999", "0..65535");
        assertUsageError(rewind("boot", "--net", "hostfwd=tcp:127.0.0.1:8080", m), "hostfwd");
        assertUsageError(rewind("boot", "--net", "tap,ifname=x", m), "unknown item 'tap'");
        assertUsageError(rewind("boot", "--net", "restrict=maybe", m), "restrict must be on or off");
        assertUsageError(rewind("boot", "--net", "hostfwd=tcp::0-:80", "builtin:demo"), "has no network device");
    }

    @Test
    void aBusyPortRefusesTheBoot() throws Exception {
        Path m = image();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertUsageError(
                    rewind("boot", "--net", "hostfwd=tcp:127.0.0.1:" + port + "-:80", m),
                    "cannot boot",
                    "device 'eth0'",
                    "already in use");
        }
    }
}
