package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Bank;
import dev.rewind.abi.Blk;
import dev.rewind.abi.Fs;
import dev.rewind.abi.Kv;
import dev.rewind.abi.Nest;
import dev.rewind.abi.Net;
import dev.rewind.abi.Nic;
import dev.rewind.abi.Tty;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The protocols are defined once (guest/abi/*.proto) and generated into C headers and the Java
 * classes of dev.rewind.abi. The wire values are pinned here (a change of the definition that
 * would change what servers, clients and the kernel's shadows exchange fails), and the Java
 * classes must say what the generated C headers say.
 */
class ProtocolConstantsTest {
    @Test
    void theLabelsAndErrorsOnTheWireAreTheOnesTheShadowsAndGuestsAlwaysUsed() {
        assertEquals(List.of(0x4b560001L, 0x4b560002L, 0x4b560003L, 0x4b560004L, 0x4b560005L), Kv.LABELS);
        assertEquals(0x46530001L, Fs.CREATE);
        assertEquals(0x4653000aL, Fs.SYNC);
        assertEquals(10, Fs.LABELS.size());
        assertEquals(List.of(0x424b0001L, 0x424b0002L, 0x424b0003L, 0x424b0004L, 0x424b0005L, 0x424b0006L), Blk.LABELS);
        assertEquals(List.of(0x54590001L, 0x54590002L, 0x54590003L, 0x54590004L), Tty.LABELS);
        assertEquals(List.of(0x4e530001L, 0x4e530002L), Nest.LABELS);
        assertEquals(
                List.of(
                        0x424e0001L,
                        0x424e0002L,
                        0x424e0003L,
                        0x424e0004L,
                        0x424e0005L,
                        0x424e0006L,
                        0x424e0007L,
                        0x424e0008L),
                Bank.LABELS);
        assertEquals(-100L, Bank.ENOFUNDS);
        assertEquals(-102L, Bank.ENOTEMPTY);
        assertEquals(-20L, Blk.ENOTOPEN);
        assertEquals(-23L, Blk.EIO);
        assertEquals(-20L, Tty.ENOTOPEN);
        assertEquals(-100L, Fs.EEXIST);
        assertEquals(-106L, Fs.EIO);
        assertEquals(512L, Blk.SECTOR);
        assertEquals(BlockShadow.BLK_OPEN, Blk.OPEN);
        assertEquals(
                List.of(0x4e430001L, 0x4e430002L, 0x4e430003L, 0x4e430004L, 0x4e430005L, 0x4e430006L, 0x4e430007L),
                Nic.LABELS);
        assertEquals(-20L, Nic.ENOTOPEN);
        assertEquals(-30L, Nic.EAGAIN);
        assertEquals(-23L, Nic.EIO);
        assertEquals(1514L, Nic.MTU);
        assertEquals(
                List.of(
                        0x4e540001L,
                        0x4e540002L,
                        0x4e540003L,
                        0x4e540004L,
                        0x4e540005L,
                        0x4e540006L,
                        0x4e540007L,
                        0x4e540008L,
                        0x4e540009L,
                        0x4e54000aL,
                        0x4e54000bL,
                        0x4e54000cL,
                        0x4e54000dL,
                        0x4e54000eL,
                        0x4e54000fL),
                Net.LABELS);
        assertEquals(-30L, Net.EAGAIN);
        assertEquals(-40L, Net.EBADF);
        assertEquals(-45L, Net.ECONNREFUSED);
        assertEquals(4096L, Net.CHUNK);
        assertEquals(CharShadow.TTY_WRITE, Tty.WRITE);
    }

    /** The network protocols' rules, as the shadow and the servers check them. */
    @Test
    void theNetworkProtocolsRulesBoundFramesSocketsAndAddresses() {
        long[] none = new long[5];
        assertTrue(Nic.wellFormed(Nic.SEND, 60, 0, 0, 0, 60));
        assertTrue(!Nic.wellFormed(Nic.SEND, 13, 0, 0, 0, 13), "shorter than an ethernet header");
        assertTrue(!Nic.wellFormed(Nic.SEND, 1515, 0, 0, 0, 1515), "longer than the MTU");
        assertTrue(!Nic.wellFormed(Nic.SEND, 60, 0, 0, 0, 59), "the buffer is the frame");
        assertTrue(Nic.wellFormed(Nic.SET_MAC, 0x563412005452L, 0, 0, 0, 0));
        assertTrue(!Nic.wellFormed(Nic.SET_MAC, 0x563412005453L, 0, 0, 0, 0), "a multicast MAC");
        assertTrue(!Nic.wellFormed(Nic.SET_MAC, 1L << 48, 0, 0, 0, 0), "more than 48 bits");
        assertTrue(!Nic.wellFormed(Nic.OPEN, 16, 0, 0, 0, 0), "an unknown filter bit");
        assertTrue(Nic.replyWellFormed(Nic.RECV, 0, 60, 0, 0, 0, 60, none));
        assertTrue(!Nic.replyWellFormed(Nic.RECV, 0, 60, 0, 0, 0, 61, none));
        assertTrue(Nic.mayAnswer(Nic.RECV, Nic.EAGAIN));
        assertTrue(!Nic.mayAnswer(Nic.SEND, Nic.EAGAIN), "SEND never answers EAGAIN");
        assertTrue(Net.wellFormed(Net.LISTEN, 80, 128, 0, 0, 0));
        assertTrue(!Net.wellFormed(Net.LISTEN, 0, 1, 0, 0, 0), "port 0");
        assertTrue(!Net.wellFormed(Net.LISTEN, 65536, 1, 0, 0, 0), "port past 65535");
        assertTrue(!Net.wellFormed(Net.LISTEN, 80, 129, 0, 0, 0), "backlog past 128");
        assertTrue(Net.wellFormed(Net.SEND, 3, 4096, 0, 0, 4096));
        assertTrue(!Net.wellFormed(Net.SEND, 3, 4097, 0, 0, 4097), "more than one IPC buffer");
        assertTrue(!Net.wellFormed(Net.CONNECT, 1L << 32, 80, 0, 0, 0), "not an IPv4 address");
        assertTrue(Net.replyWellFormed(Net.RECV, 0, 0, 0, 0, 0, 0, none), "the end of the stream");
        assertTrue(Net.wellFormed(Net.UDP_BIND, 0, 0, 0, 0, 0), "port 0: any");
        assertTrue(Net.wellFormed(Net.SENDTO, 3, 0x0a00020fL, 7, 1472, 1472));
        assertTrue(!Net.wellFormed(Net.SENDTO, 3, 0x0a00020fL, 7, 1473, 1473), "more than one frame");
        assertTrue(!Net.wellFormed(Net.SENDTO, 3, 0x0a00020fL, 7, 100, 99), "length not the buffer's");
        assertTrue(!Net.wellFormed(Net.RECVFROM, 3, 1473, 0, 0, 0), "max past NET_UDP_MAX");
        assertEquals(List.of("EINVAL", "EBADF", "ENOTCONN", "EAGAIN"), Net.errors(Net.ACCEPT));
    }

    @Test
    void namesAndErrorsPerRequestComeFromTheDefinition() {
        assertEquals("PUT", Kv.opName(0x4b560001L));
        assertEquals(null, Kv.opName(0x4b5600ffL), "test-only requests are not part of the protocol");
        assertEquals(List.of("EINVAL", "ENOTOPEN", "EROFS", "ERANGE", "EIO"), Blk.errors(Blk.WRITE));
        assertEquals(List.of(), Tty.errors(0));
        for (long l : Fs.LABELS) {
            assertNotNull(Fs.opName(l));
            assertTrue(Fs.errors(l).contains("EINVAL"), () -> Fs.opName(l) + " may answer EINVAL");
        }
    }

    /** Every #define of the generated C header has the same value in the Java class. */
    @Test
    void theJavaClassesAgreeWithTheGeneratedCHeaders() throws Exception {
        check(
                "kv",
                Map.of(
                        "PUT",
                        Kv.PUT,
                        "LIST",
                        Kv.LIST,
                        "KEY_MAX",
                        Kv.KEY_MAX,
                        "VAL_MAX",
                        Kv.VAL_MAX,
                        "CAPACITY",
                        Kv.CAPACITY),
                Kv.MAGIC);
        check(
                "fs",
                Map.of("OPEN", Fs.OPEN, "SYNC", Fs.SYNC, "EBUSY", Fs.EBUSY, "CHUNK", Fs.CHUNK, "FILE_MAX", Fs.FILE_MAX),
                Fs.MAGIC);
        check(
                "blk",
                Map.of(
                        "OPEN",
                        Blk.OPEN,
                        "CLOSE",
                        Blk.CLOSE,
                        "ERANGE",
                        Blk.ERANGE,
                        "MAX_COUNT",
                        Blk.MAX_COUNT,
                        "O_RDONLY",
                        Blk.O_RDONLY),
                Blk.MAGIC);
        check(
                "tty",
                Map.of("WRITE", Tty.WRITE, "READ", Tty.READ, "ENOTOPEN", Tty.ENOTOPEN, "CRLF", Tty.CRLF),
                Tty.MAGIC);
        check(
                "nic",
                Map.of(
                        "SEND",
                        Nic.SEND,
                        "RECV",
                        Nic.RECV,
                        "EAGAIN",
                        Nic.EAGAIN,
                        "MAC_MASK",
                        Nic.MAC_MASK,
                        "F_ALL",
                        Nic.F_ALL,
                        "MTU",
                        Nic.MTU),
                Nic.MAGIC);
        check(
                "net",
                Map.of(
                        "LISTEN",
                        Net.LISTEN,
                        "POLL",
                        Net.POLL,
                        "ENOBUFS",
                        Net.ENOBUFS,
                        "CHUNK",
                        Net.CHUNK,
                        "R_ERROR",
                        Net.R_ERROR,
                        "MAX_BACKLOG",
                        Net.MAX_BACKLOG),
                Net.MAGIC);
        check("nest", Map.of("ADD", Nest.ADD, "GET", Nest.GET, "FAULT_KV", Nest.FAULT_KV), Nest.MAGIC);
        check(
                "bank",
                Map.of(
                        "OPEN",
                        Bank.OPEN,
                        "AUDIT",
                        Bank.AUDIT,
                        "ELIMIT",
                        Bank.ELIMIT,
                        "BALANCE_MAX",
                        Bank.BALANCE_MAX,
                        "CS_PRIME",
                        Bank.CS_PRIME,
                        "ID_MAX",
                        Bank.ID_MAX),
                Bank.MAGIC);
    }

    private static void check(String proto, Map<String, Long> java, long magic) throws Exception {
        Path h = Path.of("..", "guest", "build", "include", "rewind", proto + "_proto.h");
        String text = Files.readString(h);
        String p = proto.toUpperCase();
        Map<String, Long> c = new HashMap<>();
        Matcher m =
                Pattern.compile("(?m)^#define " + p + "_([A-Z0-9_]+)\\t(\\S+)").matcher(text);
        while (m.find()) {
            String v = m.group(2);
            Matcher label = Pattern.compile(p + "_LABEL\\((\\w+)\\)").matcher(v);
            if (label.matches()) {
                c.put(m.group(1), magic << 16 | Long.decode(label.group(1)));
            } else if (v.matches("\\(?-?(0x)?[0-9a-fA-F]+(ULL)?\\)?")) {
                c.put(m.group(1), Long.decode(v.replaceAll("[()]|ULL", "")));
            }
        }
        assertEquals(magic, c.get("MAGIC"), h + ": MAGIC");
        for (Map.Entry<String, Long> e : java.entrySet()) {
            assertEquals(e.getValue(), c.get(e.getKey()), h + ": " + p + "_" + e.getKey());
        }
    }
}
