package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Bank;
import dev.rewind.abi.Blk;
import dev.rewind.abi.Fs;
import dev.rewind.abi.Kv;
import dev.rewind.abi.Nest;
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
        assertEquals(CharShadow.TTY_WRITE, Tty.WRITE);
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
