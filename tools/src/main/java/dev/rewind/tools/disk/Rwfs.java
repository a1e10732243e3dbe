package dev.rewind.tools.disk;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * Reader and writer of rwfs disk images, the format of the file-system server's disk (see
 * docs/DEVICES.md, "Disk format (rwfs)"), in pure Java.
 *
 * <p>An image is a file of 512-byte sectors: sector 0 and 1 are the headers of slot A and B,
 * then come the two slots of H = (capacity - 2) / 2 sectors each. The whole tree is one snapshot
 * in one slot; a commit writes the new snapshot into the other slot, forces it to disk, then
 * writes and forces that slot's header with the next sequence number (shadow paging), so that a
 * crash at any point leaves the previous snapshot intact. The valid snapshot with the highest
 * sequence number is the current one.
 *
 * <p>Errors about the image or the tree are {@link RwfsException}s (one-line messages); host I/O
 * failures are {@link IOException}s. Nothing else is thrown for any file contents.
 */
public final class Rwfs {
    public static final int SECTOR_SIZE = 512;
    /** Smallest image {@link #format} makes. */
    public static final long MIN_BYTES = 64L << 10;
    /** Largest image {@link #format} makes. */
    public static final long MAX_BYTES = 16L << 30;
    /** Limits of the file-system server (fs.h), enforced on every snapshot. */
    public static final int PATH_MAX = 256;

    public static final int NAME_MAX = 32;
    public static final int FILE_MAX = 1 << 20;
    /** Most records in a snapshot (the server has 512 nodes, one of them the root). */
    public static final int MAX_ENTRIES = 511;

    static final int TYPE_END = 0;
    static final int TYPE_DIR = 1;
    static final int TYPE_FILE = 2;
    static final byte[] MAGIC = {'R', 'W', 'F', 'S', 0, 0, 0, 1};
    static final int VERSION = 1;
    static final int OFF_VERSION = 8;
    static final int OFF_HCRC = 12;
    static final int OFF_SEQ = 16;
    static final int OFF_CAPACITY = 24;
    static final int OFF_DLEN = 32;
    static final int OFF_DCRC = 40;
    static final int HDR_CRC_LEN = 64;

    private Rwfs() {}

    /** One directory or file of a snapshot. Directories have no data. */
    public record Entry(String path, boolean isDir, byte[] data) {
        public Entry {
            Objects.requireNonNull(path, "path");
            data = isDir ? new byte[0] : Objects.requireNonNull(data, "data");
        }

        public static Entry dir(String path) {
            return new Entry(path, true, null);
        }

        public static Entry file(String path, byte[] data) {
            return new Entry(path, false, data);
        }

        public long size() {
            return data.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.path.equals(path) && e.isDir == isDir && Arrays.equals(e.data, data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(path, isDir, Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return (isDir ? "dir " : "file ") + path + (isDir ? "" : " (" + data.length + " bytes)");
        }
    }

    /**
     * What a slot holds: {@code problem} is null for a valid snapshot, else why it is not one.
     * {@code sequence} and {@code dataLength} are meaningful only when {@code headerValid}.
     */
    public record SlotState(char name, boolean headerValid, long sequence, long dataLength, String problem) {
        public boolean valid() {
            return problem == null;
        }
    }

    /** The mounted (newest valid) snapshot of an image. */
    public record Snapshot(
            long capacity, int slot, long sequence, long dataLength, List<Entry> entries, List<SlotState> slots) {
        public Snapshot {
            entries = List.copyOf(entries);
            slots = List.copyOf(slots);
        }

        public char slotName() {
            return (char) ('A' + slot);
        }

        /** Bytes one slot can hold. */
        public long slotBytes() {
            return slotSectors(capacity) * SECTOR_SIZE;
        }

        public long files() {
            return entries.stream().filter(e -> !e.isDir()).count();
        }

        /** Directories, not counting the (implied) root. */
        public long dirs() {
            return entries.stream().filter(Entry::isDir).count();
        }

        public long fileBytes() {
            return entries.stream().mapToLong(Entry::size).sum();
        }

        public Optional<Entry> find(String path) {
            return entries.stream().filter(e -> e.path().equals(path)).findFirst();
        }

        /** The state of the slot not holding this snapshot. */
        public SlotState otherSlot() {
            return slots.get(1 - slot);
        }
    }

    // ---- geometry ----

    static long slotSectors(long capacity) {
        return (capacity - 2) / 2;
    }

    static long slotFirstSector(long capacity, int slot) {
        return 2 + slot * slotSectors(capacity);
    }

    // ---- format / open / commit ----

    /**
     * Creates (or replaces) {@code file} as an empty rwfs image of {@code bytes} bytes: slot A
     * holds sequence 1, an empty tree; slot B has no header. Returns the new image's snapshot.
     *
     * @throws IllegalArgumentException if bytes is not a multiple of 512 between 64K and 16G
     */
    public static Snapshot format(Path file, long bytes) throws IOException {
        if (bytes % SECTOR_SIZE != 0) {
            throw new IllegalArgumentException(
                    "disk size " + bytes + " is not a multiple of " + SECTOR_SIZE + " bytes");
        }
        if (bytes < MIN_BYTES || bytes > MAX_BYTES) {
            throw new IllegalArgumentException("disk size " + bytes + " is out of range (64K .. 16G)");
        }
        long capacity = bytes / SECTOR_SIZE;
        byte[] data = {TYPE_END};
        try (FileChannel ch =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            lock(ch, file);
            ch.truncate(0); // (only once the lock is held: an image in use is left as it is)
            writeAt(ch, bytes - 1, new byte[1]); // sets the size; the rest reads as zeros
            writeAt(ch, slotFirstSector(capacity, 0) * SECTOR_SIZE, padded(data));
            writeAt(ch, 0, header(1, capacity, data.length, crc(data, data.length)));
            ch.force(true);
            return read(ch, capacity);
        }
    }

    /** The exclusive lock a writer of {@code file} holds until {@code ch} closes (BlockDevice's). */
    private static void lock(FileChannel ch, Path file) throws IOException {
        String busy = dev.rewind.hw.dev.BlockDevice.lockForWriting(ch);
        if (busy != null) {
            throw new RwfsException(dev.rewind.tools.Printable.escape(file.toString()) + " " + busy);
        }
    }

    /**
     * Reads the newest valid snapshot of an image.
     *
     * @throws RwfsException if the file is not an rwfs image, or no slot holds a valid snapshot
     */
    public static Snapshot open(Path file) throws IOException {
        long capacity = checkImageSize(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, capacity);
        }
    }

    /** Writes {@code entries} as the image's new snapshot (shadow paging); returns it. */
    public static Snapshot commit(Path file, List<Entry> entries) throws IOException {
        return commit(file, entries, false);
    }

    /**
     * {@link #commit}; with {@code tornAfterData} it stops after the data is written and forced
     * but before the header (a crash in the middle of a commit, for tests) and returns the old
     * snapshot.
     */
    static Snapshot commit(Path file, List<Entry> entries, boolean tornAfterData) throws IOException {
        byte[] data = encode(entries);
        long capacity = checkImageSize(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            lock(ch, file);
            Snapshot cur = read(ch, capacity);
            if (data.length > cur.slotBytes()) {
                throw new RwfsException("the tree needs " + data.length + " bytes but a slot of this image holds only "
                        + cur.slotBytes() + " (use a larger disk)");
            }
            int target = 1 - cur.slot();
            writeAt(ch, slotFirstSector(capacity, target) * SECTOR_SIZE, padded(data));
            ch.force(true);
            if (tornAfterData) {
                return cur;
            }
            long seq = cur.sequence() + 1; // wraps from 2^64 - 1 to 0: see newer()
            writeAt(ch, (long) target * SECTOR_SIZE, header(seq, capacity, data.length, crc(data, data.length)));
            ch.force(true);
            Snapshot after = read(ch, capacity);
            // Read back what was committed: success is never reported for a tree that is not
            // the one a reader now mounts.
            if (after.slot() != target
                    || after.sequence() != seq
                    || !after.entries().equals(entries)) {
                throw new RwfsException("the commit did not take: after writing sequence " + Long.toUnsignedString(seq)
                        + " in slot " + (char) ('A' + target) + " the image mounts slot " + after.slotName()
                        + " (sequence "
                        + Long.toUnsignedString(after.sequence()) + ")"
                        + (after.slot() == target && after.sequence() == seq ? " with a different tree" : ""));
            }
            return after;
        }
    }

    /**
     * Whether sequence number {@code a} is newer than {@code b}: serial-number arithmetic
     * (RFC 1982) on 64 bits, {@code (int64) (a - b) > 0}, so that the sequence may wrap from
     * 2^64 - 1 to 0. Two sequences exactly 2^63 apart are neither (slot A then wins). The
     * file-system server (fs_disk.c) compares the same way.
     */
    static boolean newer(long a, long b) {
        return a - b > 0;
    }

    /**
     * Returns {@code entries} with the file {@code path} set to {@code data}: replaced in place if
     * it exists, else appended after any missing parent directories (which are created).
     */
    public static List<Entry> withFile(List<Entry> entries, String path, byte[] data) {
        if (entries.stream().noneMatch(e -> e.path().equals(path))) {
            checkNewPath(path); // (an existing file keeps its name, whatever it is)
        }
        checkPath(path);
        if (path.equals("/")) {
            throw new RwfsException("/ is a directory");
        }
        List<Entry> out = new ArrayList<>(entries);
        for (int i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
            String dir = path.substring(0, i);
            Optional<Entry> e = out.stream().filter(x -> x.path().equals(dir)).findFirst();
            if (e.isEmpty()) {
                out.add(Entry.dir(dir));
            } else if (!e.get().isDir()) {
                throw new RwfsException(dir + " is a file, not a directory");
            }
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).path().equals(path)) {
                if (out.get(i).isDir()) {
                    throw new RwfsException(path + " is a directory");
                }
                out.set(i, Entry.file(path, data));
                return out;
            }
        }
        out.add(Entry.file(path, data));
        return out;
    }

    /** Checks the syntax of an absolute path ("/" included); throws RwfsException if invalid. */
    public static void checkPath(String path) {
        String why = pathProblem(path.getBytes(StandardCharsets.UTF_8));
        if (why != null && !path.equals("/")) {
            throw new RwfsException("invalid path '" + dev.rewind.tools.Printable.escape(path) + "': " + why);
        }
    }

    /**
     * {@link #checkPath}, and no control character: a name this tool stores (a guest's own may
     * hold anything; 'disk ls' shows those escaped, and cat and put still reach them).
     */
    static void checkNewPath(String path) {
        checkPath(path);
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (dev.rewind.tools.Printable.isControl(c)) {
                // a newline or an escape sequence in a name would make 'disk ls' lines lie
                throw new RwfsException("invalid path '" + dev.rewind.tools.Printable.escape(path)
                        + "': it holds a control character (" + String.format("\\x%02x", (int) c) + ")");
            }
        }
    }

    // ---- reading ----

    private static long checkImageSize(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new RwfsException("not an rwfs disk image: " + file + " is a directory");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new RwfsException(
                    "not an rwfs disk image: " + file + " is not a regular file (a FIFO, socket or device)");
        }
        long size = Files.size(file);
        if (size == 0) {
            throw new RwfsException("not an rwfs disk image: " + file + " is empty");
        }
        if (size % SECTOR_SIZE != 0) {
            throw new RwfsException("not an rwfs disk image: " + file + " is " + size
                    + " bytes, not a whole number of 512-byte sectors");
        }
        if (size < 4 * SECTOR_SIZE) {
            throw new RwfsException("not an rwfs disk image: " + file + " is too small (" + size + " bytes)");
        }
        return size / SECTOR_SIZE;
    }

    private record RawEntry(byte[] path, boolean isDir, byte[] data) {}

    private static Snapshot read(FileChannel ch, long capacity) throws IOException {
        SlotState[] states = new SlotState[2];
        String[] headerProblems = new String[2];
        List<List<RawEntry>> trees = new ArrayList<>(List.of(List.of(), List.of()));
        for (int s = 0; s < 2; s++) {
            char name = (char) ('A' + s);
            ByteBuffer h = ByteBuffer.wrap(readAt(ch, (long) s * SECTOR_SIZE, SECTOR_SIZE))
                    .order(ByteOrder.LITTLE_ENDIAN);
            String problem = headerProblem(h, capacity);
            if (problem != null) {
                headerProblems[s] = problem;
                states[s] = new SlotState(name, false, 0, 0, "no valid header (" + problem + ")");
                continue;
            }
            long seq = h.getLong(OFF_SEQ);
            long dlen = h.getLong(OFF_DLEN);
            if (dlen > Integer.MAX_VALUE - 8) {
                states[s] = new SlotState(name, true, seq, dlen, "data length " + dlen + " too large for this tool");
                continue;
            }
            byte[] data = readAt(ch, slotFirstSector(capacity, s) * SECTOR_SIZE, (int) dlen);
            if (crc(data, data.length) != h.getInt(OFF_DCRC)) {
                states[s] = new SlotState(name, true, seq, dlen, "data CRC mismatch");
                continue;
            }
            try {
                trees.set(s, decode(data));
                states[s] = new SlotState(name, true, seq, dlen, null);
            } catch (RwfsException e) {
                states[s] = new SlotState(name, true, seq, dlen, "malformed snapshot: " + e.getMessage());
            }
        }
        int best = -1;
        for (int s = 0; s < 2; s++) {
            if (states[s].valid() && (best < 0 || newer(states[s].sequence(), states[best].sequence()))) {
                best = s;
            }
        }
        if (best < 0) {
            throw new RwfsException(noSnapshotMessage(states, headerProblems));
        }
        List<Entry> entries = new ArrayList<>();
        for (RawEntry r : trees.get(best)) {
            entries.add(new Entry(utf8(r.path(), states[best]), r.isDir(), r.data()));
        }
        return new Snapshot(
                capacity,
                best,
                states[best].sequence(),
                states[best].dataLength(),
                entries,
                List.of(states[0], states[1]));
    }

    private static String noSnapshotMessage(SlotState[] states, String[] headerProblems) {
        if (!states[0].headerValid() && !states[1].headerValid()) {
            return "not an rwfs disk image (or not formatted): no valid header (slot A: " + headerProblems[0]
                    + "; slot B: " + headerProblems[1] + ")";
        }
        StringBuilder sb = new StringBuilder("corrupt: ");
        for (SlotState st : states) {
            if (sb.length() > "corrupt: ".length()) {
                sb.append("; ");
            }
            if (st.headerValid()) {
                sb.append(st.problem())
                        .append(" in slot ")
                        .append(st.name())
                        .append(" (seq ")
                        .append(Long.toUnsignedString(st.sequence()))
                        .append(')');
            } else {
                sb.append("slot ").append(st.name()).append(" has ").append(st.problem());
            }
        }
        return sb.toString();
    }

    private static String utf8(byte[] path, SlotState st) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(path))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new RwfsException("slot " + st.name() + " holds a path that is not UTF-8 ("
                    + dev.rewind.hw.GuestText.decode(path, 0, path.length)
                    + "); this tool handles UTF-8 names only");
        }
    }

    /** Why a header sector is not valid (all but the data CRC), or null. */
    private static String headerProblem(ByteBuffer h, long capacity) {
        byte[] magic = new byte[MAGIC.length];
        h.get(0, magic);
        if (!Arrays.equals(magic, MAGIC)) {
            byte[] first = new byte[HDR_CRC_LEN];
            h.get(0, first);
            return Arrays.equals(first, new byte[HDR_CRC_LEN]) ? "blank" : "bad magic";
        }
        int version = h.getInt(OFF_VERSION);
        if (version != VERSION) {
            return "unsupported version " + Integer.toUnsignedString(version);
        }
        byte[] hdr = new byte[HDR_CRC_LEN];
        h.get(0, hdr);
        Arrays.fill(hdr, OFF_HCRC, OFF_HCRC + 4, (byte) 0);
        if (crc(hdr, HDR_CRC_LEN) != h.getInt(OFF_HCRC)) {
            return "header CRC mismatch";
        }
        long cap = h.getLong(OFF_CAPACITY);
        if (cap != capacity) {
            return "capacity " + Long.toUnsignedString(cap) + " sectors does not match the image's " + capacity;
        }
        long dlen = h.getLong(OFF_DLEN);
        long slotBytes = slotSectors(capacity) * SECTOR_SIZE;
        if (dlen < 1 || Long.compareUnsigned(dlen, slotBytes) > 0) {
            return "data length " + Long.toUnsignedString(dlen) + " out of range 1.." + slotBytes;
        }
        return null;
    }

    // ---- snapshot data ----

    /**
     * Encodes a tree as snapshot data.
     *
     * @throws RwfsException if the entries break a rule of the format (order, paths, limits)
     */
    public static byte[] encode(List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, Boolean> seen = new HashMap<>();
        int index = 0;
        for (Entry e : entries) {
            index++;
            byte[] path = e.path().getBytes(StandardCharsets.UTF_8);
            String why = recordProblem(path, e.isDir(), e.size(), seen);
            if (why != null) {
                throw new RwfsException("entry " + index + " (" + e.path() + "): " + why);
            }
            out.write(e.isDir() ? TYPE_DIR : TYPE_FILE);
            out.write(path.length & 0xff);
            out.write(path.length >>> 8);
            out.writeBytes(path);
            if (!e.isDir()) {
                int n = e.data().length;
                out.write(n & 0xff);
                out.write((n >>> 8) & 0xff);
                out.write((n >>> 16) & 0xff);
                out.write(n >>> 24);
                out.writeBytes(e.data());
            }
        }
        out.write(TYPE_END);
        return out.toByteArray();
    }

    /** Decodes snapshot data (already CRC-checked); throws RwfsException naming the bad record. */
    private static List<RawEntry> decode(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Boolean> seen = new HashMap<>();
        List<RawEntry> out = new ArrayList<>();
        for (int index = 1; ; index++) {
            if (!b.hasRemaining()) {
                throw new RwfsException("no end record");
            }
            int type = b.get() & 0xff;
            if (type == TYPE_END) {
                if (b.hasRemaining()) {
                    throw new RwfsException(b.remaining() + " bytes after the end record");
                }
                return out;
            }
            if (type != TYPE_DIR && type != TYPE_FILE) {
                throw new RwfsException("record " + index + ": unknown type " + type);
            }
            if (b.remaining() < 2) {
                throw new RwfsException("record " + index + ": truncated");
            }
            int plen = b.getShort() & 0xffff;
            if (plen == 0 || plen > PATH_MAX || b.remaining() < plen) {
                throw new RwfsException("record " + index + ": bad path length " + plen);
            }
            byte[] path = new byte[plen];
            b.get(path);
            boolean isDir = type == TYPE_DIR;
            long size = 0;
            if (!isDir) {
                if (b.remaining() < 4) {
                    throw new RwfsException("record " + index + ": truncated");
                }
                size = b.getInt() & 0xffffffffL;
            }
            String why = recordProblem(path, isDir, size, seen);
            if (why == null && size > b.remaining()) {
                why = "file data truncated";
            }
            if (why != null) {
                throw new RwfsException(
                        "record " + index + " (" + new String(path, StandardCharsets.UTF_8) + "): " + why);
            }
            byte[] fileData = new byte[(int) size];
            b.get(fileData);
            out.add(new RawEntry(path, isDir, fileData));
        }
    }

    /**
     * The rules a record must follow given the records before it (seen: path → isDir, updated
     * when the record is fine), or null. Paths are compared as bytes.
     */
    private static String recordProblem(byte[] path, boolean isDir, long size, Map<String, Boolean> seen) {
        if (seen.size() >= MAX_ENTRIES) {
            return "more than " + MAX_ENTRIES + " entries";
        }
        if (path.length == 1 && path[0] == '/') {
            return "the root directory is implied and cannot be a record";
        }
        String why = pathProblem(path);
        if (why != null) {
            return "invalid path: " + why;
        }
        String key = new String(path, StandardCharsets.ISO_8859_1);
        if (seen.containsKey(key)) {
            return "duplicate path";
        }
        int slash = key.lastIndexOf('/');
        if (slash > 0) {
            Boolean parentIsDir = seen.get(key.substring(0, slash));
            if (parentIsDir == null) {
                return "its parent directory comes later or is missing";
            }
            if (!parentIsDir) {
                return "its parent is a file";
            }
        }
        if (!isDir && size > FILE_MAX) {
            return "file of " + size + " bytes is larger than the limit of " + FILE_MAX;
        }
        seen.put(key, isDir);
        return null;
    }

    /** Why a path (bytes) is not a valid absolute path other than "/", or null. */
    private static String pathProblem(byte[] p) {
        if (p.length == 0 || p[0] != '/') {
            return "must start with /";
        }
        if (p.length > PATH_MAX) {
            return "longer than " + PATH_MAX + " bytes";
        }
        int start = 1;
        for (int i = 1; i <= p.length; i++) {
            if (i < p.length && p[i] == 0) {
                return "contains a NUL byte";
            }
            if (i == p.length || p[i] == '/') {
                int n = i - start;
                if (n == 0) {
                    return "empty component (a trailing or double /)";
                }
                if (n > NAME_MAX) {
                    return "a component is longer than " + NAME_MAX + " bytes";
                }
                if ((n == 1 && p[start] == '.') || (n == 2 && p[start] == '.' && p[start + 1] == '.')) {
                    return ". and .. are not allowed";
                }
                start = i + 1;
            }
        }
        return null;
    }

    // ---- bytes ----

    static int crc(byte[] b, int len) {
        CRC32 c = new CRC32();
        c.update(b, 0, len);
        return (int) c.getValue();
    }

    static byte[] header(long seq, long capacity, long dlen, int dcrc) {
        ByteBuffer h = ByteBuffer.allocate(SECTOR_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        h.put(0, MAGIC);
        h.putInt(OFF_VERSION, VERSION);
        h.putLong(OFF_SEQ, seq);
        h.putLong(OFF_CAPACITY, capacity);
        h.putLong(OFF_DLEN, dlen);
        h.putInt(OFF_DCRC, dcrc);
        h.putInt(OFF_HCRC, crc(h.array(), HDR_CRC_LEN));
        return h.array();
    }

    private static byte[] padded(byte[] data) {
        int n = (data.length + SECTOR_SIZE - 1) / SECTOR_SIZE * SECTOR_SIZE;
        return Arrays.copyOf(data, n);
    }

    private static byte[] readAt(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            int n = ch.read(b, pos + b.position());
            if (n < 0) {
                throw new RwfsException("not an rwfs disk image: the file ended early (it changed while being read?)");
            }
        }
        return b.array();
    }

    private static void writeAt(FileChannel ch, long pos, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            ch.write(b, pos + b.position());
        }
    }
}
