package dev.rewind.tools.inject;

import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.image.TaskSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The digest that identifies an image's content in a campaign's result file: SHA-256 over the
 * image file as opened (the manifest, or a bare ELF), then the ELF file of each task of its
 * manifest in manifest order (a bare ELF's one task is that file again); each file contributes
 * its length (8 bytes, big-endian) and then its bytes. A built-in image's files are read from
 * the packaged image folder. Disks are not part of it: every run formats them afresh.
 */
public final class ImageDigest {
    private ImageDigest() {}

    /** The lower-case hex SHA-256 of {@code img}'s files (see the class comment). */
    public static String sha256(SystemImage img) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try {
            String loc = img.location();
            byte[] top = loc.startsWith(SystemImage.BUILTIN_PREFIX)
                    ? img.source().read(builtinFile(loc))
                    : Files.readAllBytes(Path.of(loc));
            add(md, top);
            for (TaskSpec t : img.manifest().tasks()) {
                add(md, img.source().read(t.image()));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read the image " + img.location() + " to name it in --results: " + e.getMessage());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The lower-case hex SHA-256 of {@code bytes} (a campaign's --input). */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lower-case hex SHA-256 of the bytes of {@code file}, read in pieces (a disk image may be large). */
    public static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The file of built-in image {@code loc} in its folder (builtin:aarch64/x.toml: x.toml of the AArch64 folder). */
    private static String builtinFile(String loc) {
        String name = loc.substring(SystemImage.BUILTIN_PREFIX.length());
        return name.startsWith(SystemImage.AARCH64_PREFIX) ? name.substring(SystemImage.AARCH64_PREFIX.length()) : name;
    }

    private static void add(MessageDigest md, byte[] b) {
        md.update(ByteBuffer.allocate(8).putLong(b.length).array());
        md.update(b);
    }
}
