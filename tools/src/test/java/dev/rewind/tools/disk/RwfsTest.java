package dev.rewind.tools.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.disk.Rwfs.Entry;
import dev.rewind.tools.disk.Rwfs.Snapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rwfs format, byte for byte, and its crash and corruption behaviour. */
class RwfsTest {
    static final int S = Rwfs.SECTOR_SIZE;

    @TempDir
    Path dir;

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] readSector(Path f, long sector) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "r")) {
            byte[] b = new byte[S];
            r.seek(sector * S);
            r.readFully(b);
            return b;
        }
    }

    static void flipByte(Path f, long offset) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.seek(offset);
            int b = r.read();
            r.seek(offset);
            r.write(b ^ 0x5a);
        }
    }

    static void writeAt(Path f, long offset, byte[] data) throws IOException {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            r.seek(offset);
            r.write(data);
        }
    }

    static int zlibCrc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    @Test
    void crcIsZlibs() {
        assertEquals(0xCBF43926, Rwfs.crc(bytes("123456789"), 9));
    }

    @Test
    void formatWritesOneHeaderAndAnEmptyTree() throws IOException {
        Path img = dir.resolve("d.img");
        Snapshot s = Rwfs.format(img, 64 << 10);
        assertEquals(64 << 10, Files.size(img));
        assertEquals(128, s.capacity());
        assertEquals(0, s.slot());
        assertEquals('A', s.slotName());
        assertEquals(1, s.sequence());
        assertEquals(1, s.dataLength());
        assertEquals(63 * S, s.slotBytes());
        assertEquals(List.of(), s.entries());
        assertFalse(s.otherSlot().headerValid());

        // Header of slot A, byte for byte (docs/DEVICES.md).
        ByteBuffer h = ByteBuffer.wrap(readSector(img, 0)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        h.get(0, magic);
        assertArrayEquals(new byte[] {'R', 'W', 'F', 'S', 0, 0, 0, 1}, magic);
        assertEquals(1, h.getInt(8));
        assertEquals(1, h.getLong(16));
        assertEquals(128, h.getLong(24));
        assertEquals(1, h.getLong(32));
        assertEquals(zlibCrc(new byte[1], 0, 1), h.getInt(40));
        byte[] crcInput = Arrays.copyOf(h.array(), 64);
        Arrays.fill(crcInput, 12, 16, (byte) 0);
        assertEquals(zlibCrc(crcInput, 0, 64), h.getInt(12));
        for (int i = 44; i < S; i++) {
            assertEquals(0, h.get(i), "header byte " + i);
        }
        assertArrayEquals(new byte[S], readSector(img, 1), "slot B has no header");
        assertEquals(0, readSector(img, 2)[0], "slot A data: the end record");
    }

    @Test
    void formatRejectsBadSizes() {
        assertThrows(IllegalArgumentException.class, () -> Rwfs.format(dir.resolve("a"), 1000));
        assertThrows(IllegalArgumentException.class, () -> Rwfs.format(dir.resolve("a"), 32 << 10));
        assertThrows(IllegalArgumentException.class, () -> Rwfs.format(dir.resolve("a"), 32L << 30));
        assertFalse(Files.exists(dir.resolve("a")));
    }

    @Test
    void encodingIsByteForByte() {
        byte[] got =
                Rwfs.encode(List.of(Entry.dir("/a"), Entry.file("/a/f", bytes("xyz")), Entry.file("/e", new byte[0])));
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        want.writeBytes(new byte[] {1, 2, 0, '/', 'a'});
        want.writeBytes(new byte[] {2, 4, 0, '/', 'a', '/', 'f', 3, 0, 0, 0, 'x', 'y', 'z'});
        want.writeBytes(new byte[] {2, 2, 0, '/', 'e', 0, 0, 0, 0});
        want.write(0);
        assertArrayEquals(want.toByteArray(), got);
        assertArrayEquals(new byte[] {0}, Rwfs.encode(List.of()));
    }

    @Test
    void putLsCatRoundTrip() throws IOException {
        Path img = dir.resolve("d.img");
        Rwfs.format(img, 1 << 20);
        byte[] bin = new byte[70_000];
        new Random(1).nextBytes(bin);
        List<Entry> t = Rwfs.withFile(List.of(), "/docs/readme.txt", bytes("hello\n"));
        t = Rwfs.withFile(t, "/bin/blob", bin);
        t = Rwfs.withFile(t, "/docs/readme.txt", bytes("replaced\n")); // in place
        t = new ArrayList<>(t);
        t.add(Entry.dir("/empty"));
        Rwfs.commit(img, t);
        Snapshot s = Rwfs.open(img);
        assertEquals(
                List.of(
                        Entry.dir("/docs"),
                        Entry.file("/docs/readme.txt", bytes("replaced\n")),
                        Entry.dir("/bin"),
                        Entry.file("/bin/blob", bin),
                        Entry.dir("/empty")),
                s.entries());
        assertEquals(2, s.files());
        assertEquals(3, s.dirs());
        assertEquals(9 + bin.length, s.fileBytes());
        assertArrayEquals(bin, s.find("/bin/blob").orElseThrow().data());
        assertEquals(Rwfs.encode(t).length, s.dataLength());
    }

    @Test
    void withFileRefusesToPutThroughAFileOrOverADirectory() {
        List<Entry> t = Rwfs.withFile(List.of(), "/a/f", bytes("x"));
        assertTrue(assertThrows(RwfsException.class, () -> Rwfs.withFile(t, "/a/f/g", bytes("y")))
                .getMessage()
                .contains("/a/f is a file"));
        assertTrue(assertThrows(RwfsException.class, () -> Rwfs.withFile(t, "/a", bytes("y")))
                .getMessage()
                .contains("/a is a directory"));
        assertThrows(RwfsException.class, () -> Rwfs.withFile(t, "/", bytes("y")));
        assertThrows(RwfsException.class, () -> Rwfs.withFile(t, "/a/../b", bytes("y")));
    }

    @Test
    void commitAlternatesSlotsAndBumpsTheSequence() throws IOException {
        Path img = dir.resolve("d.img");
        Rwfs.format(img, 64 << 10);
        List<Entry> t = List.of();
        for (int i = 1; i <= 5; i++) {
            t = Rwfs.withFile(t, "/f" + i, bytes("data " + i));
            Snapshot s = Rwfs.commit(img, t);
            assertEquals(1 + i, s.sequence());
            assertEquals(i % 2, s.slot(), "commit " + i);
            assertEquals(t, s.entries());
            assertTrue(s.otherSlot().valid());
            assertEquals(i, s.otherSlot().sequence(), "the other slot holds the previous snapshot");
            assertEquals(s, Rwfs.open(img));
        }
    }

    @Test
    void aCorruptNewestSlotFallsBackToThePreviousSnapshot() throws IOException {
        Path img = dir.resolve("d.img");
        Rwfs.format(img, 64 << 10);
        List<Entry> old = Rwfs.withFile(List.of(), "/old", bytes("old contents"));
        Rwfs.commit(img, old); // seq 2, slot B
        Snapshot newest = Rwfs.commit(img, Rwfs.withFile(old, "/new", bytes("new contents"))); // seq 3, slot A
        assertEquals(0, newest.slot());
        flipByte(img, 2L * S + 10); // slot A's data
        Snapshot s = Rwfs.open(img);
        assertEquals(1, s.slot());
        assertEquals(2, s.sequence());
        assertEquals(old, s.entries());
        assertEquals("data CRC mismatch", s.otherSlot().problem());
        assertEquals(3, s.otherSlot().sequence());

        // The next commit goes to the corrupt slot, which then wins again.
        Snapshot again = Rwfs.commit(img, s.entries());
        assertEquals(0, again.slot());
        assertEquals(3, again.sequence());

        // A corrupt header also falls back.
        flipByte(img, 20);
        assertEquals(1, Rwfs.open(img).slot());
        assertTrue(
                Rwfs.open(img).otherSlot().problem().contains("header CRC mismatch"),
                Rwfs.open(img).otherSlot().problem());
    }

    @Test
    void aTornCommitLeavesTheOldSnapshot() throws IOException {
        Path img = dir.resolve("d.img");
        Rwfs.format(img, 64 << 10);
        List<Entry> t1 = Rwfs.withFile(List.of(), "/a", bytes("one"));
        Rwfs.commit(img, t1); // seq 2, slot B
        byte[] before = Files.readAllBytes(img);
        Rwfs.commit(img, Rwfs.withFile(t1, "/b", bytes("two")), true); // data into slot A, no header
        assertFalse(Arrays.equals(before, Files.readAllBytes(img)), "the data was written");
        Snapshot s = Rwfs.open(img);
        assertEquals(2, s.sequence());
        assertEquals(1, s.slot());
        assertEquals(t1, s.entries());
        // Slot A's data changed under its old header (seq 1): now invalid, and ignored.
        assertEquals("data CRC mismatch", s.otherSlot().problem());
        Snapshot next = Rwfs.commit(img, Rwfs.withFile(t1, "/c", bytes("three")));
        assertEquals(3, next.sequence());
        assertEquals(0, next.slot());
    }

    @Test
    void noValidSnapshotIsAClearError() throws IOException {
        Path img = dir.resolve("d.img");
        Rwfs.format(img, 64 << 10);
        Rwfs.commit(img, Rwfs.withFile(List.of(), "/a", bytes("x")));
        flipByte(img, 2L * S); // slot A (seq 1) data
        flipByte(img, (2L + 63) * S + 5); // slot B (seq 2) data
        RwfsException e = assertThrows(RwfsException.class, () -> Rwfs.open(img));
        assertEquals(
                "corrupt: data CRC mismatch in slot A (seq 1); data CRC mismatch in slot B (seq 2)", e.getMessage());
        assertThrows(RwfsException.class, () -> Rwfs.commit(img, List.of()));

        Path blank = dir.resolve("blank.img");
        Files.write(blank, new byte[64 << 10]);
        assertEquals(
                "not an rwfs disk image (or not formatted): no valid header (slot A: blank; slot B: blank)",
                assertThrows(RwfsException.class, () -> Rwfs.open(blank)).getMessage());
    }

    @Test
    void aHeaderForAnotherCapacityIsNotValid() throws IOException {
        Path img = dir.resolve("d.img");
        Rwfs.format(img, 64 << 10);
        try (RandomAccessFile r = new RandomAccessFile(img.toFile(), "rw")) {
            r.setLength(128 << 10); // the disk grew
        }
        RwfsException e = assertThrows(RwfsException.class, () -> Rwfs.open(img));
        assertTrue(e.getMessage().contains("capacity 128 sectors does not match the image's 256"), e.getMessage());
    }

    /** Writes data with a valid header and CRC into slot B with sequence 9 (a buggy writer). */
    static void writeRawSnapshot(Path img, byte[] data) throws IOException {
        long capacity = Files.size(img) / S;
        writeAt(img, Rwfs.slotFirstSector(capacity, 1) * S, data);
        writeAt(img, S, Rwfs.header(9, capacity, data.length, zlibCrc(data, 0, data.length)));
    }

    @Test
    void aMalformedSnapshotWithAValidCrcIsIgnored() throws IOException {
        byte[][] bad = {
            {2, 4, 0, '/', 'a', '/', 'f', 0, 0, 0, 0, 0}, // parent missing
            {1, 2, 0, '/', 'a', 1, 2, 0, '/', 'a', 0}, // duplicate
            {2, 2, 0, '/', 'a', 0, 0, 0, 0, 2, 4, 0, '/', 'a', '/', 'b', 0, 0, 0, 0, 0}, // parent is a file
            {1, 1, 0, '/', 0}, // the root as a record
            {1, 2, 0, '/', 'a', 0, 0}, // bytes after the end
            {3, 2, 0, '/', 'a', 0}, // unknown type
            {1, 2, 0, '/', 'a'}, // no end record
            {2, 2, 0, '/', 'a', 1, 0, 0x10, 0, 0}, // file of 1M + 1 bytes
            {2, 2, 0, '/', 'a', 9, 0, 0, 0, 'x', 0}, // file data truncated
            {1, 3, 0, '/', '.', '.', 0}, // ".."
            {1, 3, 0, '/', 'a', '/', 0}, // trailing '/'
            {1, 2, 0, '/', 0, 0}, // NUL in the path
            {1, 0, 0, 0}, // empty path
        };
        for (byte[] data : bad) {
            Path img = dir.resolve("m.img");
            Rwfs.format(img, 64 << 10);
            writeRawSnapshot(img, data);
            Snapshot s = Rwfs.open(img);
            String what = Arrays.toString(data);
            assertEquals(0, s.slot(), what);
            assertEquals(1, s.sequence(), what);
            assertTrue(
                    s.otherSlot().problem().startsWith("malformed snapshot: "),
                    what + ": " + s.otherSlot().problem());
        }
        // And the same data written well is accepted: the checks are not too strict.
        Path img = dir.resolve("ok.img");
        Rwfs.format(img, 64 << 10);
        writeRawSnapshot(img, new byte[] {1, 2, 0, '/', 'a', 2, 4, 0, '/', 'a', '/', 'b', 1, 0, 0, 0, 'x', 0});
        assertEquals(
                List.of(Entry.dir("/a"), Entry.file("/a/b", bytes("x"))),
                Rwfs.open(img).entries());
    }

    @Test
    void encodeEnforcesTheServersRules() {
        assertThrows(RwfsException.class, () -> Rwfs.encode(List.of(Entry.file("/a/b", new byte[0]))));
        assertThrows(RwfsException.class, () -> Rwfs.encode(List.of(Entry.dir("/a"), Entry.dir("/a"))));
        assertThrows(RwfsException.class, () -> Rwfs.encode(List.of(Entry.dir("/"))));
        assertThrows(RwfsException.class, () -> Rwfs.encode(List.of(Entry.dir("relative"))));
        assertThrows(RwfsException.class, () -> Rwfs.encode(List.of(Entry.dir("/" + "n".repeat(33)))));
        assertThrows(RwfsException.class, () -> Rwfs.encode(List.of(Entry.file("/big", new byte[Rwfs.FILE_MAX + 1]))));
        Rwfs.encode(List.of(Entry.dir("/" + "n".repeat(32)), Entry.file("/big", new byte[Rwfs.FILE_MAX])));
        List<Entry> many = new ArrayList<>();
        for (int i = 0; i < Rwfs.MAX_ENTRIES; i++) {
            many.add(Entry.dir("/d" + i));
        }
        Rwfs.encode(many);
        many.add(Entry.dir("/one-too-many"));
        assertTrue(assertThrows(RwfsException.class, () -> Rwfs.encode(many))
                .getMessage()
                .contains("more than 511"));
    }

    @Test
    void aTreeTooLargeForASlotIsRefusedAndTheImageUnchanged() throws IOException {
        Path img = dir.resolve("d.img");
        Rwfs.format(img, 64 << 10); // slots of 32256 bytes
        byte[] before = Files.readAllBytes(img);
        RwfsException e = assertThrows(
                RwfsException.class, () -> Rwfs.commit(img, List.of(Entry.file("/big", new byte[40_000]))));
        assertTrue(e.getMessage().contains("a slot of this image holds only 32256"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(img));
    }

    @Test
    void garbageFilesGiveClearErrors() throws IOException {
        Path empty = dir.resolve("empty.img");
        Files.write(empty, new byte[0]);
        assertTrue(assertThrows(RwfsException.class, () -> Rwfs.open(empty))
                .getMessage()
                .contains("is empty"));
        Path odd = dir.resolve("odd.img");
        Files.write(odd, new byte[1000]);
        assertTrue(assertThrows(RwfsException.class, () -> Rwfs.open(odd))
                .getMessage()
                .contains("not a whole number of 512-byte sectors"));
        Path tiny = dir.resolve("tiny.img");
        Files.write(tiny, new byte[1024]);
        assertTrue(assertThrows(RwfsException.class, () -> Rwfs.open(tiny))
                .getMessage()
                .contains("too small"));
        assertTrue(assertThrows(RwfsException.class, () -> Rwfs.open(dir))
                .getMessage()
                .contains("is a directory"));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Rwfs.open(dir.resolve("missing.img")));

        Random rnd = new Random(42);
        for (int i = 0; i < 100; i++) {
            Path g = dir.resolve("g" + i + ".img");
            byte[] b = new byte[(rnd.nextInt(300) + 1) * (rnd.nextBoolean() ? S : 7)];
            rnd.nextBytes(b);
            if (i % 3 == 0 && b.length >= S) {
                System.arraycopy(Rwfs.MAGIC, 0, b, 0, 8); // a magic, nothing else
            }
            Files.write(g, b);
            RwfsException e = assertThrows(RwfsException.class, () -> Rwfs.open(g));
            assertTrue(e.getMessage().startsWith("not an rwfs disk image"), e.getMessage());
        }
    }

    @Test
    void damagedImagesOpenOrFailCleanly() throws IOException {
        // Random byte flips in a real image: open() either finds a valid snapshot or throws
        // RwfsException, and a snapshot it returns is one that was committed.
        Path src = dir.resolve("src.img");
        Rwfs.format(src, 64 << 10);
        List<Entry> t1 = Rwfs.withFile(List.of(), "/dir/a", bytes("alpha"));
        Rwfs.commit(src, t1);
        List<Entry> t2 = Rwfs.withFile(t1, "/dir/b", new byte[3000]);
        Rwfs.commit(src, t2);
        byte[] image = Files.readAllBytes(src);
        Random rnd = new Random(7);
        Path img = dir.resolve("damaged.img");
        int opened = 0;
        for (int i = 0; i < 300; i++) {
            byte[] b = image.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int at = rnd.nextInt(i % 2 == 0 ? 4 * S : 8 * S); // headers and the start of slot A
                b[at] ^= (byte) (1 + rnd.nextInt(255));
            }
            Files.write(img, b);
            try {
                Snapshot s = Rwfs.open(img);
                assertTrue(s.entries().equals(t1) || s.entries().equals(t2), s.entries()::toString);
                opened++;
            } catch (RwfsException e) {
                assertFalse(e.getMessage().isBlank());
            }
        }
        assertTrue(opened > 0);
    }

    @Test
    void checkPathNamesTheProblem() {
        Rwfs.checkPath("/");
        Rwfs.checkPath("/a/b");
        assertTrue(assertThrows(RwfsException.class, () -> Rwfs.checkPath("/a//b"))
                .getMessage()
                .contains("empty component"));
        assertTrue(assertThrows(RwfsException.class, () -> Rwfs.checkPath("a"))
                .getMessage()
                .contains("must start with /"));
    }
}
