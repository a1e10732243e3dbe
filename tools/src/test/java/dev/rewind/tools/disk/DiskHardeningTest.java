package dev.rewind.tools.disk;

import static dev.rewind.tools.Fixtures.assertUsageError;
import static dev.rewind.tools.Fixtures.rewind;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rewind.tools.CliRun;
import dev.rewind.tools.CliRun.Result;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rewind disk} and the disk format given hostile host input: devices, names, sequence wrap. */
class DiskHardeningTest {
    @TempDir
    Path dir;

    Path formatted(String name) throws Exception {
        Path img = dir.resolve(name);
        Rwfs.format(img, 64 << 10);
        return img;
    }

    /** Rewrites slot {@code slot}'s header with sequence {@code seq}, keeping its data valid. */
    static void setSequence(Path img, int slot, long seq) throws Exception {
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer h = ByteBuffer.allocate(Rwfs.SECTOR_SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.read(h, (long) slot * Rwfs.SECTOR_SIZE);
            long capacity = h.getLong(Rwfs.OFF_CAPACITY);
            long dlen = h.getLong(Rwfs.OFF_DLEN);
            int dcrc = h.getInt(Rwfs.OFF_DCRC);
            ch.write(ByteBuffer.wrap(Rwfs.header(seq, capacity, dlen, dcrc)), (long) slot * Rwfs.SECTOR_SIZE);
        }
    }

    @Test
    void putRefusesADeviceBeforeReadingIt() throws Exception {
        Path img = formatted("d.img");
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero));
        assertUsageError(
                CliRun.rewind(Duration.ofSeconds(20), "disk", "put", img.toString(), zero.toString(), "/x"),
                "not a regular file");
        assertUsageError(rewind("disk", "put", img, dir, "/x"), "is a directory");
        assertUsageError(rewind("disk", "ls", zero), "not a regular file");
        assertUsageError(rewind("disk", "format", "/dev/null", "--force"), "not a regular file");
        assertEquals(0, Rwfs.open(img).files());
    }

    /**
     * A name with a newline or an escape sequence would make 'disk ls' lines lie: put refuses to
     * store one; one already in the image (a guest may write any name) is listed escaped and can
     * still be read.
     */
    @Test
    void controlCharactersInNamesNeverReachTheTerminalRaw() throws Exception {
        Path img = formatted("ctl.img");
        Path file = dir.resolve("f.txt");
        Files.writeString(file, "x");
        assertUsageError(
                rewind("disk", "put", img, file, "/a\nd          - /fake"), "holds a control character (\\x0a)");
        assertUsageError(rewind("disk", "put", img, file, "/\u001b[31mred"), "'/\\x1b[31mred'");
        // a guest's name with ESC in it, written straight into the image
        Rwfs.commit(img, Rwfs.withFile(java.util.List.of(), "/ok", "y".getBytes(StandardCharsets.UTF_8)));
        java.util.List<Rwfs.Entry> guest =
                new java.util.ArrayList<>(Rwfs.open(img).entries());
        guest.add(Rwfs.Entry.file("/\u001bodd", "z".getBytes(StandardCharsets.UTF_8)));
        Rwfs.commit(img, guest);
        Result ls = rewind("disk", "ls", img);
        assertEquals(0, ls.status(), ls::toString);
        assertTrue(ls.out().contains("/\\x1bodd") && !ls.out().contains("\u001b"), ls::toString);
        Result cat = rewind("disk", "cat", img, "/\u001bodd");
        assertEquals("z", cat.out(), cat::toString);
    }

    /** The CLI in a process of its own: its status and stderr. */
    static Result subprocess(String... args) throws Exception {
        String jvm = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                jvm, "-cp", System.getProperty("java.class.path"), dev.rewind.tools.Main.class.getName()));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "still running: " + cmd);
        return new Result(p.exitValue(), new byte[0], err);
    }

    /**
     * A disk image a process has open for writing (a running boot) is written by no one else:
     * another process's boot, put or format, and another command of the same process, are
     * refused; the image is left as it was.
     */
    @Test
    void anImageInUseHasOneWriter() throws Exception {
        Path img = formatted("busy.img");
        Path file = dir.resolve("f.txt");
        Files.writeString(file, "x");
        byte[] before = Files.readAllBytes(img);
        try (FileChannel held = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            assertEquals(null, dev.rewind.hw.dev.BlockDevice.lockForWriting(held));
            String other = "is in use by another process";
            assertUsageError(subprocess("disk", "put", img.toString(), file.toString(), "/f"), other);
            assertUsageError(subprocess("disk", "format", "--force", img.toString(), "--size", "64K"), other);
            Result boot = subprocess("boot", "builtin:t_disk.toml", "--disk", img.toString());
            assertEquals(dev.rewind.tools.Main.EXIT_USAGE, boot.status(), boot::toString);
            assertTrue(boot.err().contains("disk image " + img + " " + other), boot::toString);
            // in this process (the lock is the process's): refused too
            assertUsageError(rewind("disk", "put", img, file, "/f"), "is already in use by this process");
            assertArrayEquals(before, Files.readAllBytes(img));
        }
        // released: writable again, and still readable while in use (reading takes no lock)
        assertEquals(0, rewind("disk", "put", img, file, "/f").status());
        assertEquals(1, Rwfs.open(img).files());
    }

    @Test
    void putAfterTheLastSequenceNumberWrapsAndKeepsTheFile() throws Exception {
        Path img = formatted("wrap.img");
        setSequence(img, 0, -1L); // 2^64 - 1
        Path host = dir.resolve("note.txt");
        Files.writeString(host, "kept");
        Result r = rewind("disk", "put", img, host, "/note");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("sequence 0 in slot B"), r::toString);
        Result cat = rewind("disk", "cat", img, "/note");
        assertEquals(0, cat.status(), cat::toString);
        assertEquals("kept", cat.out());
        // ...and the next commit goes on from 0.
        Result again = rewind("disk", "put", img, host, "/again");
        assertEquals(0, again.status(), again::toString);
        assertTrue(again.out().contains("sequence 1 in slot A"), again::toString);
        assertEquals(2, Rwfs.open(img).files());
    }

    @Test
    void theGuestFileSystemWrapsItsSequenceTheSameWay() throws Exception {
        Path img = dir.resolve("guest.img");
        Rwfs.format(img, 8L << 20);
        // The first boot of t_disk commits 5 snapshots: MAX-3, MAX-2, MAX-1, MAX, then 0.
        setSequence(img, 0, -5L);
        Result first = rewind("boot", "-q", "builtin:t_disk.toml", "--disk", img);
        assertEquals(0, first.status(), first::toString);
        assertTrue(first.out().contains("fs_persist: wrote boot=1"), first::toString);
        Rwfs.Snapshot s = Rwfs.open(img);
        assertTrue(Long.compareUnsigned(s.sequence(), 10) < 0, () -> "wrapped: " + s);
        Result second = rewind("boot", "-q", "builtin:t_disk.toml", "--disk", img);
        assertEquals(0, second.status(), second::toString);
        assertTrue(second.out().contains("fs_persist: found boot=1 ok"), second::toString);
        Result cat = rewind("disk", "cat", img, "/persist/counter");
        assertEquals(2, Long.parseLong(cat.out().strip()), cat::toString);
    }

    @Test
    void namesThatAreNotUtf8AreRefusedNotChanged() throws Exception {
        Path img = formatted("n.img");
        Path host = dir.resolve("f");
        Files.writeString(host, "x");
        // What the JVM hands us for an argument with an invalid UTF-8 byte.
        assertUsageError(rewind("disk", "put", img, host, "/a\ufffd"), "not valid UTF-8");
        assertEquals(0, Rwfs.open(img).files());
        Result ok = rewind("disk", "put", img, host, "/é");
        assertEquals(0, ok.status(), ok::toString);
        assertArrayEquals(
                "/é".getBytes(StandardCharsets.UTF_8),
                Rwfs.open(img).entries().get(0).path().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anImmutableDiskIsReportedWithoutJavaNames() throws Exception {
        Path img = formatted("imm.img");
        Process p = new ProcessBuilder("chattr", "+i", img.toString())
                .redirectErrorStream(true)
                .start();
        boolean immutable;
        try {
            immutable = p.waitFor() == 0;
        } catch (Exception e) {
            immutable = false;
        }
        assumeTrue(immutable, "chattr +i is not available here");
        try {
            Path host = dir.resolve("f");
            Files.writeString(host, "x");
            assertUsageError(rewind("boot", "builtin:t_disk.toml", "--disk", img), "Operation not permitted");
            assertUsageError(rewind("disk", "put", img, host, "/f"), "Operation not permitted");
        } finally {
            new ProcessBuilder("chattr", "-i", img.toString()).start().waitFor();
        }
    }
}
