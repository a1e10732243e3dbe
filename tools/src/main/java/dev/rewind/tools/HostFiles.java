package dev.rewind.tools;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks of the host files named on the command line, made before any work starts: each failure
 * is an {@link IllegalArgumentException} with a one-line message (the CLI prints it after
 * "rewind: " and exits with status 2).
 */
public final class HostFiles {
    private HostFiles() {}

    /** Why an I/O operation failed, in words, without Java class names. */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f) {
            return f.getReason() != null ? f.getReason() : "cannot access it";
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? "I/O error" : Printable.escape(m);
    }

    /** What kind of thing a path that is not a regular file is ("a directory", "a FIFO or device"...). */
    private static String kind(Path p) {
        if (Files.isDirectory(p)) {
            return "a directory";
        }
        if (Files.isSymbolicLink(p) && !Files.exists(p)) {
            return "a dangling symbolic link";
        }
        return "not a regular file (a FIFO, socket or device)";
    }

    /**
     * A file to be read: it exists, is a regular file and can be opened for reading.
     *
     * @param what how to name it in messages, e.g. "--input" or "host file"
     */
    public static void checkReadable(Path p, String what) {
        if (!Files.exists(p)) {
            throw new IllegalArgumentException(what + ": no such file: " + Printable.escape(p.toString()));
        }
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(what + ": " + Printable.escape(p.toString()) + " is " + kind(p));
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            // opened: readable
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    what + ": cannot read " + Printable.escape(p.toString()) + ": " + reason(e));
        }
    }

    /** A file to be opened for reading and writing (a disk image): a regular file that can be. */
    public static void checkReadWrite(Path p, String what) {
        if (!Files.exists(p)) {
            throw new IllegalArgumentException(what + ": no such file: " + Printable.escape(p.toString()));
        }
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(what + ": " + Printable.escape(p.toString()) + " is " + kind(p));
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // opened: writable
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot open " + Printable.escape(p.toString())
                    + " for reading and writing: " + reason(e));
        }
    }

    /**
     * A file to be written (created or replaced) later: it is not a directory, FIFO or device;
     * if it exists it can be opened for writing (it is not truncated here); else its folder
     * exists and a file can be created in it (checked by creating and deleting a probe file).
     */
    public static void checkWritable(Path p, String what) {
        checkWritable(p, what, false);
    }

    /**
     * {@link #checkWritable(Path, String)}; with {@code parentsCreated} missing folders are
     * allowed (the writer creates them): the nearest existing one must be a writable folder.
     */
    public static void checkWritable(Path p, String what, boolean parentsCreated) {
        String shown = Printable.escape(p.toString());
        if (Files.exists(p) || Files.isSymbolicLink(p)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(what + ": " + shown + " is " + kind(p) + "; name a file");
            }
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                // opened: writable, contents untouched
            } catch (IOException e) {
                throw new IllegalArgumentException(what + ": cannot write " + shown + ": " + reason(e));
            }
            return;
        }
        Path parent = p.toAbsolutePath().getParent();
        if (parentsCreated) {
            while (parent != null && !Files.exists(parent)) {
                parent = parent.getParent();
            }
            if (parent == null || !Files.isDirectory(parent)) {
                throw new IllegalArgumentException(what + ": cannot write " + shown + ": "
                        + (parent == null ? "no folder" : Printable.escape(parent.toString()) + " is not a folder"));
            }
            p = parent.resolve(".rewind-probe-" + ProcessHandle.current().pid());
        } else if (parent == null || !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(what + ": cannot write " + shown + ": its folder "
                    + (parent == null ? "" : Printable.escape(parent.toString()) + " ") + "does not exist");
        }
        try {
            Files.createFile(p);
            Files.delete(p);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot write " + shown + ": " + reason(e));
        }
    }
}
