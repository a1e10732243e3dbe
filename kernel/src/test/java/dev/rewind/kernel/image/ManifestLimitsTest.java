package dev.rewind.kernel.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile manifests and manifest files: every one a one-line ManifestException, never anything else. */
class ManifestLimitsTest {
    static final String TASK = "[task.a]\nimage = \"a.elf\"\n";

    private static ManifestException rejected(String text) {
        return assertThrows(ManifestException.class, () -> Manifest.parse(text, "m.toml"));
    }

    private static void assertOneLine(ManifestException e) {
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(e.getMessage().chars().anyMatch(Character::isISOControl), e.getMessage());
    }

    @Test
    void deepNestingIsAnErrorNotAStackOverflow() {
        for (int depth : new int[] {33, 1_000, 100_000}) {
            for (String[] open : new String[][] {{"[", "]"}, {"{x = ", "}"}}) {
                String text = "name = \"x\"\n" + TASK + "deep = " + open[0].repeat(depth) + "1" + open[1].repeat(depth)
                        + "\n";
                ManifestException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> rejected(text));
                assertEquals(4, e.line(), e.getMessage());
                assertTrue(e.getMessage().contains("nested more than 32 levels deep"), e.getMessage());
                assertOneLine(e);
            }
        }
    }

    @Test
    void bracketsInStringsAndCommentsDoNotCount() throws ManifestException {
        String deep = "[".repeat(50);
        Manifest m = Manifest.parse(
                "name = \"" + deep + "\"  # " + deep + "\n" + "# " + deep + "\n" + "[task.a]\nimage = 'a" + deep
                        + ".elf'\nserves = [\"\"\"kv\"\"\"]\n",
                "m.toml");
        assertEquals(deep, m.name());
        // 32 levels are fine (and no key takes that, so the error is about the key)
        ManifestException e = rejected("name = \"x\"\n" + TASK + "ok = " + "[".repeat(32) + "]".repeat(32) + "\n");
        assertTrue(e.getMessage().contains("unknown key 'ok'"), e.getMessage());
    }

    @Test
    void aUnicodeEscapeWithoutItsHexDigitsIsAnError() throws ManifestException {
        // Found by the manifest fuzzer: a non-ASCII character among the digits failed an
        // assertion inside the TOML parser (an internal error when assertions are on).
        ManifestException e = rejected("name = \"x\"\n" + TASK + "x = \"\\u4e2\u00c8\"\n");
        assertTrue(e.getMessage().contains("invalid unicode escape \\u"), e.getMessage());
        assertTrue(rejected("name = \"\\U0001f60\"\n").getMessage().contains("8 hexadecimal digits"));
        assertEquals(
                "\u00e9\ud83d\ude00",
                Manifest.parse("name = \"\\u00e9\\U0001F600\"\n" + TASK, "m.toml")
                        .name());
    }

    @Test
    void manifestTextHasASizeLimit() {
        String big = "name = \"x\"\n" + TASK + "#" + "x".repeat((int) InputFiles.MAX_TEXT_BYTES) + "\n";
        ManifestException e = rejected(big);
        assertTrue(e.getMessage().contains("manifest too large"), e.getMessage());
        assertTrue(e.getMessage().contains("1 MiB"), e.getMessage());
    }

    @Test
    void diskSizeUpTo1GAsDocumented() throws ManifestException {
        String head = "name = \"x\"\n[task.a]\nimage = \"a.elf\"\ndevices = [\"d\"]\n[device.d]\nkind = \"block\"\n";
        for (Object ok : new Object[] {"\"1G\"", "\"1g\"", "\"1024M\"", "1073741824", "\"64K\"", 65536}) {
            Manifest m = Manifest.parse(head + "size = " + ok + "\n", "m.toml");
            long expected = ok.toString().contains("64K") || ok.equals(65536) ? 64L << 10 : 1L << 30;
            assertEquals(expected, m.devices().get(0).sizeBytes(), ok.toString());
        }
        for (String bad : new String[] {"\"1025M\"", "1073745920", "\"2G\"", "\"60K\"", "61440", "\"0G\""}) {
            ManifestException e = rejected(head + "size = " + bad + "\n");
            assertEquals(7, e.line(), e.getMessage());
            assertTrue(e.getMessage().contains("allowed: 64K..1G"), e.getMessage());
        }
    }

    @Test
    void hugeAndNegativeNumbersAreRangeErrors() {
        String[][] cases = {
            {"priority = 9223372036854775807", "'priority' = 9223372036854775807 is out of range"},
            {"priority = -1", "out of range"},
            {"stack = \"99999999999999999999K\"", "is too large"},
            {"stack = \"9007199254740992G\"", "is too large"},
            {"heap = -4096", "is negative"},
            {"stack = \"-4K\"", "is negative"},
            {"runaway_ms = -9223372036854775808", "out of range"},
            {"heap = 1.5e300", "must be a size"},
        };
        for (String[] c : cases) {
            ManifestException e = rejected("name = \"x\"\n" + TASK + c[0] + "\n");
            assertEquals(4, e.line(), c[0] + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
            assertOneLine(e);
        }
        ManifestException q = rejected("name = \"x\"\nquantum_ms = -5\n" + TASK);
        assertTrue(q.getMessage().contains("'quantum_ms' = -5 is out of range"), q.getMessage());
    }

    @Test
    void controlCharactersInNamesAreEscapedInMessages() {
        ManifestException task = rejected("name = \"x\"\n[task.\"a\\u0000b\\nc\"]\nimage = \"a.elf\"\n");
        assertTrue(task.getMessage().contains("task name 'a\\0b\\nc' is invalid"), task.getMessage());
        assertOneLine(task);

        ManifestException key = rejected("name = \"x\"\n" + TASK + "\"ima\\u001bge\" = 1\n");
        assertTrue(key.getMessage().contains("unknown key 'ima\\u001bge'"), key.getMessage());
        assertOneLine(key);

        ManifestException list = rejected("name = \"x\"\n" + TASK + "serves = [\"k\\u0000v\"]\n");
        assertTrue(list.getMessage().contains("endpoint name 'k\\0v' is invalid"), list.getMessage());
        assertOneLine(list);

        ManifestException value = rejected("name = \"x\"\n" + TASK + "recovery = \"re\\u0007start\"\n");
        assertOneLine(value);
        assertTrue(value.getMessage().contains("re\\u0007start"), value.getMessage());

        ManifestException sys = rejected("name = \"de\\u0000mo\"\n" + TASK);
        assertTrue(sys.getMessage().contains("'name' = \"de\\0mo\" contains a control character"), sys.getMessage());

        ManifestException longName = rejected("name = \"" + "n".repeat(65) + "\"\n" + TASK);
        assertTrue(longName.getMessage().contains("at most 64"), longName.getMessage());

        ManifestException longKey = rejected("name = \"x\"\n" + TASK + "k" + "x".repeat(10_000) + " = 1\n");
        assertTrue(longKey.getMessage().length() < 1_000, "a 10,000-character key is cut in the message");
    }

    @Test
    void duplicatesAreErrors() {
        ManifestException task = rejected("name = \"x\"\n" + TASK + TASK);
        assertTrue(task.getMessage().contains("TOML syntax error"), task.getMessage());
        ManifestException dev = rejected("name = \"x\"\n[task.a]\nimage = \"a.elf\"\ndevices = [\"t\"]\n"
                + "[device.t]\nkind = \"timer\"\n[device.t]\nkind = \"timer\"\n");
        assertTrue(dev.getMessage().contains("TOML syntax error"), dev.getMessage());
        ManifestException ep = rejected("name = \"x\"\n" + TASK + "serves = [\"kv\", \"kv\"]\n");
        assertTrue(ep.getMessage().contains("lists 'kv' more than once"), ep.getMessage());
    }

    @Test
    void maxTasksKey() throws ManifestException {
        assertEquals(0, Manifest.parse("name = \"x\"\n" + TASK, "m.toml").maxTasks());
        assertEquals(
                3000,
                Manifest.parse("name = \"x\"\nmax_tasks = 3000\n" + TASK, "m.toml")
                        .maxTasks());
        for (String bad : new String[] {"0", "-1", "4097", "\"10\""}) {
            ManifestException e = rejected("name = \"x\"\nmax_tasks = " + bad + "\n" + TASK);
            assertEquals(2, e.line(), e.getMessage());
            assertTrue(e.getMessage().contains("'max_tasks'"), e.getMessage());
        }
        ManifestException typo = rejected("name = \"x\"\nmax_task = 10\n" + TASK);
        assertTrue(typo.getMessage().contains("did you mean 'max_tasks'?"), typo.getMessage());
    }

    @Test
    void loadRefusesSpecialAndHugeFiles(@TempDir Path dir) throws Exception {
        ManifestException zero = assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> assertThrows(ManifestException.class, () -> Manifest.load(Path.of("/dev/zero"))));
        assertTrue(zero.getMessage().contains("not a regular file but a character device"), zero.getMessage());

        Path fifo = dir.resolve("fifo.toml");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, p.waitFor());
        ManifestException f = assertTimeoutPreemptively(
                Duration.ofSeconds(10), () -> assertThrows(ManifestException.class, () -> Manifest.load(fifo)));
        assertTrue(f.getMessage().contains("not a regular file but a FIFO"), f.getMessage());

        Path sparse = dir.resolve("big.toml");
        try (RandomAccessFile raf = new RandomAccessFile(sparse.toFile(), "rw")) {
            raf.setLength(3L << 30); // 3 GiB, sparse: costs no disk
        }
        ManifestException big = assertTimeoutPreemptively(
                Duration.ofSeconds(10), () -> assertThrows(ManifestException.class, () -> Manifest.load(sparse)));
        assertTrue(
                big.getMessage().contains("too large: 3221225472 bytes (the limit for a manifest is 1 MiB)"),
                big.getMessage());
    }

    @Test
    void inputFilesChecksBeforeReading(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.elf");
        Files.write(f, new byte[100]);
        assertEquals(100, InputFiles.read(f, 100, "an ELF file").length);
        IOException e = assertThrows(IOException.class, () -> InputFiles.read(f, 99, "an ELF file"));
        assertEquals("too large: 100 bytes (the limit for an ELF file is 99 bytes)", e.getMessage());
        IOException d = assertThrows(IOException.class, () -> InputFiles.read(dir, 99, "an ELF file"));
        assertTrue(d.getMessage().contains("not a regular file but a folder"), d.getMessage());
    }
}
