package dev.rewind.tools.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rewind.tools.CliRun;
import dev.rewind.tools.CliRun.Result;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Family 3, rwfs disk images: a 64K image made by {@code disk format} and two {@code disk put}s
 * (so both slots hold a valid snapshot: sequence 2 in B, sequence 3 in A), mutated (bits flipped
 * in a header, in snapshot data or anywhere; header fields set to extreme values; sectors
 * overwritten; slots swapped; the file truncated or extended), with the CRCs left stale or
 * recomputed, then given to {@code disk ls/cat/info/put} or booted with builtin:t_disk.toml
 * {@code --disk}.
 *
 * <p>Besides the checks of every run: with stale CRCs a command that succeeds must show one of
 * the two snapshots the image really held (a corrupt slot is never taken for something else);
 * with recomputed CRCs whatever {@code ls} lists must be readable with {@code cat} at the size
 * listed; a {@code put} that succeeds must be readable back; a guest fs server that mounts a
 * stale-CRC image must mount sequence 2 or 3.
 */
class DiskFuzzTest {
    static final Map<String, String> KNOWN = Map.of();

    static final byte[] ONE = "first file\n".getBytes(StandardCharsets.UTF_8);
    static final byte[] TWO = "second file, a little longer\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    @Test
    void mutatedDiskImagesAreReadOrRefused() throws IOException {
        campaign(Fuzz.count(150), Duration.ofSeconds(30), 16);
    }

    @Test
    @Tag("slow")
    void mutatedDiskImagesAreReadOrRefusedMany() throws IOException {
        campaign(Fuzz.count(3000), Duration.ofSeconds(30), 16);
    }

    static Result ok(String... args) {
        Result r = CliRun.rewind(Duration.ofSeconds(30), args);
        assertEquals(0, r.status(), r::toString);
        return r;
    }

    /** Make the base image; returns its bytes. Listings of slot B (seq 2) and slot A (seq 3) go in {@code listings}. */
    byte[] base(Path dir, String[] listings) throws IOException {
        Path img = dir.resolve("base.img");
        Path one = dir.resolve("one.txt");
        Path two = dir.resolve("two.txt");
        Files.write(one, ONE);
        Files.write(two, TWO);
        ok("disk", "format", img.toString(), "--size", "64K");
        ok("disk", "put", img.toString(), one.toString(), "/a/one");
        listings[0] = ok("disk", "ls", img.toString()).out();
        ok("disk", "put", img.toString(), two.toString(), "/dir/two");
        listings[1] = ok("disk", "ls", img.toString()).out();
        return Files.readAllBytes(img);
    }

    static int crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    /** Recompute the header CRC of the header at {@code sector}. */
    static void fixHeader(byte[] d, int sector) {
        int h = sector * 512;
        if (d.length < h + 64) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(h + 12, 0);
        b.putInt(h + 12, crc(d, h, 64));
    }

    /** Recompute the data CRC (over the length the header states, if it fits) and then the header CRC. */
    static void fixData(byte[] d, int slot) {
        int h = slot * 512;
        if (d.length < 1024) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        long capacity = d.length / 512;
        long half = (capacity - 2) / 2;
        long first = 2 + slot * half;
        long len = b.getLong(h + 32);
        if (len > 0 && len <= d.length - first * 512) {
            b.putInt(h + 40, crc(d, (int) (first * 512), (int) len));
        }
        fixHeader(d, slot);
    }

    static final String[] KINDS = {
        "header-flip", "header-field", "data-flip", "data-edit", "any-flip", "sector", "swap", "truncate", "extend",
    };

    /** Mutate {@code d}; returns the new bytes and whether the CRCs were recomputed (via {@code fixed[0]}). */
    static byte[] mutate(Random r, byte[] d, boolean[] fixed, StringBuilder what) {
        d = d.clone();
        boolean fix = r.nextBoolean();
        String kind = KINDS[r.nextInt(KINDS.length)];
        int slot = r.nextInt(2);
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        long half = (d.length / 512 - 2) / 2;
        int dataStart = (int) ((2 + slot * half) * 512);
        switch (kind) {
            case "header-flip" -> {
                for (int n = 1 + r.nextInt(8); n > 0; n--) {
                    int p = slot * 512 + (r.nextInt(4) == 0 ? r.nextInt(512) : r.nextInt(64));
                    d[p] ^= (byte) (1 << r.nextInt(8));
                }
                if (fix) {
                    fixHeader(d, slot);
                }
            }
            case "header-field" -> {
                int[] offs = {8, 16, 24, 32, 40};
                int off = offs[r.nextInt(offs.length)];
                long[] vals = {
                    0,
                    1,
                    -1,
                    Long.MAX_VALUE,
                    Long.MIN_VALUE,
                    0x7fffffffL,
                    0x80000000L,
                    0xffffffffL,
                    126,
                    127,
                    128,
                    129,
                    63 * 512,
                    63 * 512 + 1,
                    1L << 40,
                    r.nextLong()
                };
                long v = vals[r.nextInt(vals.length)];
                if (off == 8 || off == 40) {
                    b.putInt(slot * 512 + off, (int) v);
                } else {
                    b.putLong(slot * 512 + off, v);
                }
                fix = r.nextInt(4) != 0;
                if (fix) {
                    if (off != 40 && r.nextBoolean()) {
                        fixData(d, slot);
                    } else {
                        fixHeader(d, slot);
                    }
                }
            }
            case "data-flip", "data-edit" -> {
                int len = (int) Math.min(b.getLong(slot * 512 + 32), half * 512);
                int span = Math.max(1, kind.equals("data-edit") ? Math.max(1, len) : (int) (half * 512));
                for (int n = 1 + r.nextInt(kind.equals("data-edit") ? 3 : 8); n > 0; n--) {
                    int p = dataStart + r.nextInt(span);
                    if (kind.equals("data-edit")) {
                        byte[] vals = {0, 1, 2, 3, (byte) 0xff, (byte) 0x80, '/', '.', 0x7f, (byte) r.nextInt()};
                        d[p] = vals[r.nextInt(vals.length)];
                    } else {
                        d[p] ^= (byte) (1 << r.nextInt(8));
                    }
                }
                if (fix) {
                    fixData(d, slot);
                }
            }
            case "any-flip" -> {
                for (int n = 1 + r.nextInt(16); n > 0; n--) {
                    int p = r.nextInt(d.length);
                    d[p] ^= (byte) (1 << r.nextInt(8));
                }
                if (fix) {
                    fixData(d, 0);
                    fixData(d, 1);
                }
            }
            case "sector" -> {
                int s = r.nextInt(d.length / 512);
                byte[] fill = new byte[512];
                if (r.nextBoolean()) {
                    r.nextBytes(fill);
                }
                System.arraycopy(fill, 0, d, s * 512, 512);
                if (fix) {
                    fixData(d, 0);
                    fixData(d, 1);
                }
            }
            case "swap" -> {
                byte[] a = Arrays.copyOfRange(d, 0, 512);
                System.arraycopy(d, 512, d, 0, 512);
                System.arraycopy(a, 0, d, 512, 512);
                fix = false;
            }
            case "truncate" -> {
                int[] lens = {0, 1, 511, 512, 1024, 1536, d.length - 512, d.length - 1, r.nextInt(d.length)};
                d = Arrays.copyOf(d, lens[r.nextInt(lens.length)]);
                fix = false;
            }
            default -> { // extend
                int[] more = {1, 511, 512, 1024, 64 << 10, 1 + r.nextInt(100_000)};
                int n = more[r.nextInt(more.length)];
                byte[] e = Arrays.copyOf(d, d.length + n);
                if (r.nextBoolean()) {
                    for (int i = d.length; i < e.length; i++) {
                        e[i] = (byte) r.nextInt();
                    }
                }
                d = e;
                fix = false;
            }
        }
        fixed[0] = fix;
        what.append(kind)
                .append(fix ? " (CRCs recomputed)" : " (CRCs stale)")
                .append(" slot ")
                .append(slot == 0 ? 'A' : 'B');
        return d;
    }

    void campaign(int count, Duration limit, int bootEvery) throws IOException {
        String[] listings = new String[2];
        byte[] base = base(Fuzz.mkdirs(tmp.resolve("base")), listings);
        Set<String> snapshots = Set.of(listings[0], listings[1]);
        Fuzz.Campaign c = new Fuzz.Campaign("disk", Fuzz.seed(3003), limit, KNOWN);
        Random r = c.rnd;
        Pattern mounted = Pattern.compile("fs: mounted disk \\(seq=(\\d+)");
        for (int i = 0; i < count; i++) {
            boolean[] fixed = new boolean[1];
            StringBuilder what = new StringBuilder();
            byte[] d = mutate(r, base, fixed, what);
            c.input();
            Path work = Fuzz.mkdirs(tmp.resolve("in" + i));
            Path img = work.resolve("disk.img");
            Fuzz.write(img, d);
            Files.writeString(work.resolve("mutation.txt"), what + "\n");
            String image = img.toString();
            int cmd = r.nextInt(bootEvery);
            if (cmd == 0) {
                String[] args = {"boot", "-q", "--timeout", "3s", "builtin:t_disk.toml", "--disk", image};
                Result res = c.run(work, args);
                Matcher m = res == null ? null : mounted.matcher(res.out());
                if (m != null && m.find() && !fixed[0] && !Set.of("2", "3").contains(m.group(1))) {
                    c.claimFailed(
                            work,
                            args,
                            "the fs server mounted sequence " + m.group(1) + " of an image whose"
                                    + " only snapshots are 2 and 3 (" + what + ")",
                            res);
                }
            } else if (cmd <= 4) {
                String[] args = {"disk", "ls", image};
                Result res = c.run(work, args);
                if (res != null && res.status() == 0) {
                    if (!fixed[0] && !snapshots.contains(res.out())) {
                        c.claimFailed(work, args, "ls of a stale-CRC image shows neither snapshot (" + what + ")", res);
                    } else if (fixed[0]) {
                        checkReadable(c, work, image, res.out());
                    }
                }
            } else if (cmd <= 7) {
                boolean first = r.nextBoolean();
                String path = first ? "/a/one" : "/dir/two";
                String[] args = {"disk", "cat", image, path};
                Result res = c.run(work, args);
                if (res != null && res.status() == 0 && !fixed[0] && !Arrays.equals(res.stdout(), first ? ONE : TWO)) {
                    c.claimFailed(work, args, "cat of a stale-CRC image gave other bytes (" + what + ")", res);
                }
            } else if (cmd <= 10) {
                String[] args = {"disk", "info", image};
                Result res = c.run(work, args);
                if (res != null && res.status() == 0 && !fixed[0] && !res.out().matches("(?s).*sequence: +[23]\n.*")) {
                    c.claimFailed(work, args, "info of a stale-CRC image shows another sequence (" + what + ")", res);
                }
            } else {
                Path host = work.resolve("new.txt");
                byte[] data = new byte[r.nextInt(3) == 0 ? r.nextInt(40_000) : r.nextInt(100)];
                r.nextBytes(data);
                Files.write(host, data);
                String path = r.nextBoolean() ? "/a/one" : "/new/file" + r.nextInt(3);
                String[] args = {"disk", "put", image, host.toString(), path};
                Result res = c.run(work, args);
                if (res != null && res.status() == 0) {
                    Result back = c.run(work, "disk", "cat", image, path);
                    if (back == null || back.status() != 0 || !Arrays.equals(back.stdout(), data)) {
                        c.claimFailed(work, args, "put succeeded but cat does not give the data back", back);
                    }
                }
            }
            Fuzz.deleteTree(work);
        }
        c.finish();
    }

    /** Every file {@code ls} listed is readable with {@code cat}, at the size listed. */
    static void checkReadable(Fuzz.Campaign c, Path work, String image, String listing) {
        for (String line : listing.split("\n")) {
            String[] f = line.trim().split(" +", 3);
            if (f.length == 3 && f[0].equals("-")) {
                String[] args = {"disk", "cat", image, f[2]};
                Result res = c.run(work, args);
                if (res == null || res.status() != 0 || res.stdout().length != Long.parseLong(f[1])) {
                    c.claimFailed(
                            work, args, "ls listed " + f[2] + " (" + f[1] + " bytes) but cat cannot read it so", res);
                }
            }
        }
    }
}
