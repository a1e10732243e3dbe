package dev.rewind.kernel.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reading the host files Rewind takes as input (manifests, ELF files, suite files) safely: only
 * regular files (never a FIFO, a device such as {@code /dev/zero}, or a folder, which would hang
 * or never end), and only up to a documented size, checked before anything is read (docs/MANIFEST.md,
 * "Limits").
 */
public final class InputFiles {
    /** Largest manifest (or suite / expected-output) text file: 1 MiB. */
    public static final long MAX_TEXT_BYTES = 1L << 20;
    /** Largest ELF file (and so the largest boot image file of any kind): 64 MiB. */
    public static final long MAX_ELF_BYTES = 64L << 20;

    private InputFiles() {}

    /**
     * The bytes of {@code file}, which must be a regular file of at most {@code limit} bytes.
     *
     * @param what what the file is, for messages ("a manifest", "an ELF file")
     * @throws IOException with a one-line message saying what is wrong (callers name the file)
     */
    public static byte[] read(Path file, long limit, String what) throws IOException {
        long size = check(file, limit, what);
        try (InputStream in = Files.newInputStream(file)) {
            // The file may grow between the check and the read: never read past the limit.
            byte[] bytes = in.readNBytes((int) Math.min(limit + 1, Math.max(size + 1, 1)));
            if (bytes.length > limit) {
                throw new IOException(tooLarge(file, bytes.length, limit, what));
            }
            return bytes;
        }
    }

    /**
     * Checks that {@code file} is a regular file of at most {@code limit} bytes and returns its size.
     *
     * @throws IOException (a {@link NoSuchFileException} when it does not exist) with a one-line message
     *     that does not repeat the file name
     */
    public static long check(Path file, long limit, String what) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "file not found");
        }
        if (!a.isRegularFile()) {
            throw new IOException("not a regular file but " + kind(file, a) + " (only regular files are read)");
        }
        if (a.size() > limit) {
            throw new IOException(tooLarge(file, a.size(), limit, what));
        }
        return a.size();
    }

    private static String tooLarge(Path file, long size, long limit, String what) {
        return "too large: " + size + " bytes (the limit for " + what + " is " + formatBytes(limit) + ")";
    }

    private static String kind(Path file, BasicFileAttributes a) {
        if (a.isDirectory()) {
            return "a folder";
        }
        try {
            Object fifo = Files.getAttribute(file, "unix:mode");
            if (fifo instanceof Integer mode) {
                switch (mode & 0xf000) {
                    case 0x1000:
                        return "a FIFO";
                    case 0x2000:
                        return "a character device";
                    case 0x6000:
                        return "a block device";
                    case 0xc000:
                        return "a socket";
                    default:
                        break;
                }
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            // fall through
        }
        return "a device, FIFO or other special file";
    }

    /** "64 MiB", "1 MiB", "512 KiB" or a number of bytes. */
    public static String formatBytes(long n) {
        if (n >= (1L << 30) && n % (1L << 30) == 0) {
            return (n >> 30) + " GiB";
        }
        if (n >= (1L << 20) && n % (1L << 20) == 0) {
            return (n >> 20) + " MiB";
        }
        if (n >= 1024 && n % 1024 == 0) {
            return (n >> 10) + " KiB";
        }
        return n + " bytes";
    }
}
