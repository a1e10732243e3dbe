package dev.rewind.tools.disk;

import dev.rewind.kernel.text.Units;
import dev.rewind.tools.HostFiles;
import dev.rewind.tools.Printable;
import dev.rewind.tools.disk.Rwfs.Entry;
import dev.rewind.tools.disk.Rwfs.SlotState;
import dev.rewind.tools.disk.Rwfs.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rewind disk}: make and inspect rwfs disk images on the host. */
@Command(
        name = "disk",
        mixinStandardHelpOptions = true,
        description = {"Make, inspect and seed rwfs disk images (the file-system server's disks).", ""},
        subcommands = {
            DiskCommand.Format.class,
            DiskCommand.Ls.class,
            DiskCommand.Cat.class,
            DiskCommand.Put.class,
            DiskCommand.Info.class
        },
        footer = {"", "Run 'rewind disk COMMAND --help' for a command's options.", DiskCommand.ABOUT})
public final class DiskCommand implements Callable<Integer> {
    /** What rwfs is: the footer of every command (one constant, so annotations can use it). */
    static final String ABOUT = "%n"
            + "rwfs is the disk format of Rewind's file-system server (fs_server given a%n"
            + "\"blk\" block driver). A disk image is a plain host file of 512-byte sectors%n"
            + "that holds the whole file tree as one snapshot in one of two slots. Every%n"
            + "change writes a complete new snapshot into the other slot and only then%n"
            + "switches to it (shadow paging), so a crash never leaves a half-written tree.%n"
            + "The server refuses a disk that is not formatted: make one with%n"
            + "'rewind disk format'. Do not change an image while a machine is using it.%n"
            + "Layout: docs/DEVICES.md, \"Disk format (rwfs)\".%n"
            + "%n"
            + "Exit status: 0 success; 2 bad usage, or a file that is missing, not an rwfs%n"
            + "image, or corrupt.";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: format, ls, cat, put or info");
    }

    @Command(
            name = "format",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description = {
                "Create an empty rwfs disk image.",
                "Slot A holds an empty tree with sequence number 1; slot B is blank.",
                ""
            },
            footer = DiskCommand.ABOUT)
    static final class Format implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "Image file to create.")
        Path file;

        @Option(
                names = "--size",
                paramLabel = "SIZE",
                description = "Disk size, e.g. 64K, 8M, 1G; a multiple of 512 between 64K and 16G (default: 8M).")
        String size = "8M";

        @Option(
                names = {"-f", "--force"},
                description = "Overwrite FILE if it exists (its contents are lost).")
        boolean force;

        @Override
        public Integer call() {
            long bytes = parseSize(size);
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException(file + " is a directory");
            }
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + " is not a regular file (a FIFO, socket or device)");
            }
            if (Files.exists(file) && !force) {
                throw new IllegalArgumentException(file + " exists; use --force to overwrite it");
            }
            Snapshot s = io(file, () -> Rwfs.format(file, bytes));
            System.out.printf(
                    "formatted %s: %d sectors (%s), two slots of %d bytes%n",
                    file, s.capacity(), human(s.capacity() * Rwfs.SECTOR_SIZE), s.slotBytes());
            return 0;
        }
    }

    @Command(
            name = "ls",
            mixinStandardHelpOptions = true,
            description = {
                "List the files and directories of an image.",
                "One a line, like 'ls -l': type (d directory, - file), size in bytes",
                "(- for directories) and path.",
                ""
            },
            footer = DiskCommand.ABOUT)
    static final class Ls implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "Image file.")
        Path file;

        @Parameters(
                index = "1",
                arity = "0..1",
                paramLabel = "PATH",
                description = "List only this file, or everything under this directory (default: /, the whole tree).")
        String path = "/";

        @Override
        public Integer call() {
            checkIntact(path);
            Rwfs.checkPath(path);
            Snapshot s = io(file, () -> Rwfs.open(file));
            List<Entry> shown;
            if (path.equals("/")) {
                shown = s.entries();
            } else {
                Entry e = s.find(path)
                        .orElseThrow(() ->
                                new IllegalArgumentException("no such file or directory in " + file + ": " + path));
                shown = e.isDir()
                        ? s.entries().stream()
                                .filter(x -> x.path().startsWith(path + "/"))
                                .toList()
                        : List.of(e);
            }
            PrintStream out = utf8Out();
            for (Entry e : shown) {
                out.printf(
                        "%s %10s %s%n",
                        e.isDir() ? "d" : "-",
                        e.isDir() ? "-" : Long.toString(e.size()),
                        Printable.escape(e.path())); // (a name the guest wrote may hold anything)
            }
            return 0;
        }
    }

    @Command(
            name = "cat",
            mixinStandardHelpOptions = true,
            description = {"Write the contents of a file of an image to stdout (raw bytes).", ""},
            footer = DiskCommand.ABOUT)
    static final class Cat implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "Image file.")
        Path file;

        @Parameters(index = "1", paramLabel = "PATH", description = "Absolute path of the file in the image.")
        String path;

        @Override
        public Integer call() {
            checkIntact(path);
            Rwfs.checkPath(path);
            Snapshot s = io(file, () -> Rwfs.open(file));
            Entry e = s.find(path)
                    .orElseThrow(() -> new IllegalArgumentException("no such file in " + file + ": " + path));
            if (e.isDir() || path.equals("/")) {
                throw new IllegalArgumentException(path + " is a directory");
            }
            PrintStream out = System.out;
            out.write(e.data(), 0, e.data().length);
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "put",
            mixinStandardHelpOptions = true,
            description = {
                "Copy a host file into an image.",
                "PATH replaces a file of that name; missing parent directories are created.",
                "The change is committed as a new snapshot.",
                ""
            },
            footer = DiskCommand.ABOUT)
    static final class Put implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "Image file.")
        Path file;

        @Parameters(index = "1", paramLabel = "HOSTFILE", description = "Host file to copy.")
        Path hostFile;

        @Parameters(index = "2", paramLabel = "PATH", description = "Absolute path in the image, e.g. /etc/motd.")
        String path;

        @Override
        public Integer call() {
            checkIntact(path);
            Rwfs.checkPath(path);
            // Only a regular file of at most FILE_MAX bytes is read, and never more than that
            // many bytes (a FIFO, a device such as /dev/zero or a growing file cannot exhaust memory).
            HostFiles.checkReadable(hostFile, "host file");
            long size = io(hostFile, () -> Files.size(hostFile));
            if (size > Rwfs.FILE_MAX) {
                throw new IllegalArgumentException(
                        hostFile + " is " + size + " bytes; files in an image are at most " + Rwfs.FILE_MAX + " (1M)");
            }
            HostFiles.checkReadWrite(file, "image");
            byte[] data = io(hostFile, () -> {
                try (InputStream in = Files.newInputStream(hostFile)) {
                    return in.readNBytes(Rwfs.FILE_MAX + 1);
                }
            });
            if (data.length > Rwfs.FILE_MAX) {
                throw new IllegalArgumentException(hostFile + " grew past " + Rwfs.FILE_MAX
                        + " bytes while being read; files in an image are at most " + Rwfs.FILE_MAX + " (1M)");
            }
            Snapshot before = io(file, () -> Rwfs.open(file));
            List<Entry> entries = Rwfs.withFile(before.entries(), path, data);
            Snapshot after = io(file, () -> Rwfs.commit(file, entries));
            utf8Out()
                    .printf(
                            "put %s (%d bytes): sequence %s in slot %c%n",
                            Printable.escape(path),
                            data.length,
                            Long.toUnsignedString(after.sequence()),
                            after.slotName());
            return 0;
        }
    }

    @Command(
            name = "info",
            mixinStandardHelpOptions = true,
            description = {
                "Show an image's geometry and current snapshot.",
                "Capacity, active slot, sequence number, files, directories and bytes used,",
                "and what the other slot holds.",
                ""
            },
            footer = DiskCommand.ABOUT)
    static final class Info implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "Image file.")
        Path file;

        @Override
        public Integer call() {
            Snapshot s = io(file, () -> Rwfs.open(file));
            PrintStream o = System.out;
            o.printf("image:        %s%n", file);
            o.printf("capacity:     %d sectors (%s)%n", s.capacity(), human(s.capacity() * Rwfs.SECTOR_SIZE));
            o.printf("slot size:    %d sectors (%d bytes)%n", Rwfs.slotSectors(s.capacity()), s.slotBytes());
            o.printf("active slot:  %c%n", s.slotName());
            o.printf("sequence:     %s%n", Long.toUnsignedString(s.sequence()));
            o.printf("files:        %d%n", s.files());
            o.printf("dirs:         %d%n", s.dirs());
            o.printf("bytes used:   %d of %d (%d in files)%n", s.dataLength(), s.slotBytes(), s.fileBytes());
            SlotState other = s.otherSlot();
            String what;
            if (other.valid()) {
                what = "older snapshot, sequence " + Long.toUnsignedString(other.sequence());
            } else if (other.headerValid()) {
                what = other.problem() + " (sequence " + Long.toUnsignedString(other.sequence()) + ", ignored)";
            } else {
                what = other.problem();
            }
            o.printf("other slot:   %c: %s%n", other.name(), what);
            return 0;
        }
    }

    // ---- helpers ----

    /**
     * Names in an image are UTF-8 bytes, and the tool stores exactly the name it was given. A
     * command-line argument that was not valid UTF-8 (or not valid in the locale's encoding)
     * reaches Java with U+FFFD in place of the bad bytes: such a name is refused rather than
     * stored changed.
     */
    static void checkIntact(String path) {
        if (path.indexOf('\ufffd') >= 0) {
            throw new IllegalArgumentException(
                    "path '" + Printable.escape(path) + "' is not valid UTF-8 (or holds U+FFFD):"
                            + " names in an image are UTF-8 and are stored byte for byte; with a non-UTF-8 locale ("
                            + "LANG/LC_ALL) non-ASCII names cannot be passed intact");
        }
    }

    /** stdout for text that holds image names: UTF-8, whatever the locale, so names show as stored. */
    static PrintStream utf8Out() {
        return new PrintStream(System.out, true, StandardCharsets.UTF_8);
    }

    interface IoAction<T> {
        T run() throws IOException;
    }

    /** Runs an action on a file, turning I/O errors into one-line messages (exit status 2). */
    static <T> T io(Path file, IoAction<T> action) {
        try {
            return action.run();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + file);
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("permission denied: " + file);
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException(file + " exists");
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot access " + Printable.escape(file.toString()) + ": " + HostFiles.reason(e));
        }
    }

    static long parseSize(String text) {
        long bytes;
        try {
            bytes = Units.parseBytes(text, "--size");
        } catch (Units.BadValue e) {
            if (e.reason() != Units.Reason.TOO_LARGE) {
                throw e;
            }
            bytes = Long.MAX_VALUE; // out of range below, never a wrapped value
        }
        if (bytes % Rwfs.SECTOR_SIZE != 0 || bytes < Rwfs.MIN_BYTES || bytes > Rwfs.MAX_BYTES) {
            throw new IllegalArgumentException("--size must be a multiple of 512 between 64K and 16G: '" + text + "'");
        }
        return bytes;
    }

    static String human(long bytes) {
        if (bytes % (1L << 30) == 0) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes % (1L << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes % (1L << 10) == 0) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " bytes";
    }
}
