package dev.rewind.tools.disk;

import static dev.rewind.tools.Fixtures.rewind;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.CliRun.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rewind disk} as a user meets it: output, exit statuses and error messages. */
class DiskCommandTest {
    @TempDir
    Path dir;

    @Test
    void formatThenInfo() {
        Path img = dir.resolve("d.img");
        Result f = rewind("disk", "format", img, "--size", "8M");
        assertEquals(0, f.status(), f::toString);
        assertTrue(f.out().contains("16384 sectors (8 MiB)"), f::toString);
        Result i = rewind("disk", "info", img);
        assertEquals(0, i.status(), i::toString);
        String o = i.out();
        assertTrue(o.contains("capacity:     16384 sectors (8 MiB)"), o);
        assertTrue(o.contains("slot size:    8191 sectors (4193792 bytes)"), o);
        assertTrue(o.contains("active slot:  A"), o);
        assertTrue(o.contains("sequence:     1"), o);
        assertTrue(o.contains("files:        0"), o);
        assertTrue(o.contains("dirs:         0"), o);
        assertTrue(o.contains("bytes used:   1 of 4193792"), o);
        assertTrue(o.contains("other slot:   B: no valid header (blank)"), o);
    }

    @Test
    void formatRefusesToOverwriteWithoutForce() throws Exception {
        Path img = dir.resolve("d.img");
        Files.writeString(img, "precious");
        Result r = rewind("disk", "format", img);
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("exists; use --force"), r::toString);
        assertEquals("precious", Files.readString(img));
        Result f = rewind("disk", "format", img, "--size", "64K", "--force");
        assertEquals(0, f.status(), f::toString);
        assertEquals(64 << 10, Files.size(img));
        Result bad = rewind("disk", "format", dir.resolve("x.img"), "--size", "lots");
        assertEquals(2, bad.status(), bad::toString);
        assertTrue(bad.err().contains("not a size"), bad::toString);
        Result negative = rewind("disk", "format", dir.resolve("x.img"), "--size", "-64K");
        assertEquals(2, negative.status(), negative::toString);
        assertTrue(negative.err().contains("--size: a size must not be negative: '-64K'"), negative::toString);
        Result lower = rewind("disk", "format", dir.resolve("y.img"), "--size", " 128k ");
        assertEquals(0, lower.status(), lower::toString);
        assertEquals(128 << 10, Files.size(dir.resolve("y.img")));
        Result small = rewind("disk", "format", dir.resolve("x.img"), "--size", "4K");
        assertEquals(2, small.status(), small::toString);
        assertTrue(small.err().contains("between 64K and 16G"), small::toString);
    }

    @Test
    void putLsCatRoundTrip() throws Exception {
        Path img = dir.resolve("d.img");
        assertEquals(0, rewind("disk", "format", img, "--size", "4M").status());
        byte[] bin = new byte[256 * 40];
        for (int i = 0; i < bin.length; i++) {
            bin[i] = (byte) i; // every byte value
        }
        Path host = dir.resolve("host.bin");
        Files.write(host, bin);
        Path motd = dir.resolve("motd");
        Files.writeString(motd, "hello, rewind\n");

        Result p1 = rewind("disk", "put", img, host, "/data/deep/blob.bin");
        assertEquals(0, p1.status(), p1::toString);
        assertTrue(p1.out().contains("sequence 2 in slot B"), p1::toString);
        Result p2 = rewind("disk", "put", img, motd, "/motd");
        assertEquals(0, p2.status(), p2::toString);
        assertTrue(p2.out().contains("sequence 3 in slot A"), p2::toString);

        Result ls = rewind("disk", "ls", img);
        assertEquals(0, ls.status(), ls::toString);
        assertEquals(
                String.join(
                        "\n",
                        "d          - /data",
                        "d          - /data/deep",
                        "-      10240 /data/deep/blob.bin",
                        "-         14 /motd",
                        ""),
                ls.out().replace(System.lineSeparator(), "\n"));
        Result lsSub = rewind("disk", "ls", img, "/data/deep");
        assertEquals("-      10240 /data/deep/blob.bin", lsSub.out().strip());
        Result lsFile = rewind("disk", "ls", img, "/motd");
        assertEquals("-         14 /motd", lsFile.out().strip());

        Result cat = rewind("disk", "cat", img, "/data/deep/blob.bin");
        assertEquals(0, cat.status(), cat::toString);
        assertArrayEquals(bin, cat.stdout());
        assertEquals("hello, rewind\n", rewind("disk", "cat", img, "/motd").out());

        // Replacing keeps the file's place.
        Files.writeString(motd, "bye\n");
        assertEquals(0, rewind("disk", "put", img, motd, "/motd").status());
        assertEquals("bye\n", rewind("disk", "cat", img, "/motd").out());
        Result info = rewind("disk", "info", img);
        assertTrue(info.out().contains("files:        2"), info::toString);
        assertTrue(info.out().contains("dirs:         2"), info::toString);
        assertTrue(info.out().contains("sequence:     4"), info::toString);
        assertTrue(info.out().contains("other slot:   A: older snapshot, sequence 3"), info::toString);
    }

    @Test
    void errorsAreOneLineAndExitStatus2() throws Exception {
        Path img = dir.resolve("d.img");
        assertEquals(0, rewind("disk", "format", img, "--size", "64K").status());
        Path motd = dir.resolve("motd");
        Files.writeString(motd, "x");
        assertEquals(0, rewind("disk", "put", img, motd, "/dir/f").status());

        assertError("no such file in", "disk", "cat", img, "/nope");
        assertError("/dir is a directory", "disk", "cat", img, "/dir");
        assertError("no such file or directory in", "disk", "ls", img, "/nope");
        assertError("invalid path 'dir/f'", "disk", "cat", img, "dir/f");
        assertError("no such file: " + dir.resolve("missing.img"), "disk", "info", dir.resolve("missing.img"));
        assertError(
                "no such file: " + dir.resolve("missing.txt"), "disk", "put", img, dir.resolve("missing.txt"), "/x");
        assertError("/dir/f is a file", "disk", "put", img, motd, "/dir/f/g");
        assertError("/dir is a directory", "disk", "put", img, motd, "/dir");

        Path big = dir.resolve("big");
        Files.write(big, new byte[(1 << 20) + 1]);
        assertError("at most 1048576", "disk", "put", img, big, "/big");
        Path large = dir.resolve("large");
        Files.write(large, new byte[40_000]);
        assertError("holds only 32256", "disk", "put", img, large, "/large");

        Path garbage = dir.resolve("garbage.img");
        byte[] g = new byte[64 << 10];
        new Random(3).nextBytes(g);
        Files.write(garbage, g);
        assertError("not an rwfs disk image (or not formatted): no valid header", "disk", "ls", garbage);
        Path odd = dir.resolve("odd.img");
        Files.write(odd, new byte[777]);
        assertError("not a whole number of 512-byte sectors", "disk", "info", odd);
        Path empty = dir.resolve("empty.img");
        Files.write(empty, new byte[0]);
        assertError("is empty", "disk", "cat", empty, "/x");

        Result none = rewind("disk");
        assertEquals(2, none.status(), none::toString);
        assertTrue(none.err().contains("missing command"), none::toString);
        Result unknown = rewind("disk", "frob");
        assertEquals(2, unknown.status(), unknown::toString);
        Result missingArg = rewind("disk", "cat", img);
        assertEquals(2, missingArg.status(), missingArg::toString);
    }

    private static void assertError(String expected, Object... args) {
        Result r = rewind(args);
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains(expected), () -> "expected '" + expected + "' in\n" + r);
        assertEquals(1, r.err().strip().lines().count(), r::toString);
        assertTrue(r.err().startsWith("rewind: "), r::toString);
        assertEquals(0, r.stdout().length, r::toString);
    }

    @Test
    void everyCommandExplainsRwfsInItsHelp() {
        for (String cmd : new String[] {"format", "ls", "cat", "put", "info"}) {
            Result r = rewind("disk", cmd, "--help");
            assertEquals(0, r.status(), r::toString);
            assertTrue(r.out().contains("rwfs is the disk format"), r::toString);
            assertTrue(r.out().contains("Usage: rewind disk " + cmd), r::toString);
        }
        Result top = rewind("disk", "--help");
        assertTrue(
                top.out().contains("format")
                        && top.out().contains("put")
                        && top.out().contains("shadow paging"),
                top::toString);
        assertTrue(rewind("--help").out().contains("disk"));
    }
}
