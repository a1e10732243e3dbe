package dev.rewind.tools.gdb;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * gdb's host I/O ({@code vFile:} packets), read-only and for the executables the stub handed
 * to gdb only ({@code qXfer:exec-file:read}, {@link GdbSession#executables}): gdb, whose
 * {@code sysroot} is {@code target:} by default, reads a program the stub named through the
 * connection instead of from its own file system, so it can run on another machine than
 * {@code rewind boot} (a container, a port forwarded over ssh). Every other path is ENOENT and
 * nothing can be written, created or removed (EROFS).
 *
 * <p>Replies are {@code F result[,errno][;attachment]}; errno values are the protocol's (gdb's
 * "Errno Values"), not the host's.
 */
final class HostIoCommands {
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EBADF = 9;
    static final int EINVAL = 22;
    static final int EMFILE = 24;
    static final int EROFS = 30;
    /** Open files at once (gdb keeps one or two). */
    static final int MAX_OPEN = 16;
    /** The protocol's struct stat: 13 big-endian fields, 64 bytes. */
    static final int STAT_SIZE = 64;

    private final GdbSession s;
    private final Map<Integer, byte[]> open = new HashMap<>();
    private int nextFd = 3;

    HostIoCommands(GdbSession s) {
        this.s = s;
    }

    String handle(String p) {
        String body = p.substring("vFile:".length());
        int colon = body.indexOf(':');
        String op = colon < 0 ? body : body.substring(0, colon);
        String[] args =
                colon < 0 ? new String[] {""} : body.substring(colon + 1).split(",", -1);
        try {
            return dispatch(op, args);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return error(EINVAL); // malformed arguments: a host I/O error, as gdb expects
        }
    }

    private String dispatch(String op, String[] args) {
        return switch (op) {
            case "setfs" -> "F0"; // every process sees the same files: the handed-out copies
            case "open" -> open(args);
            case "pread" -> pread(args);
            case "pwrite" -> error(EBADF); // every file is open read-only
            case "close" -> open.remove(fd(args[0])) != null ? "F0" : error(EBADF);
            case "fstat" -> {
                byte[] file = open.get(fd(args[0]));
                yield file == null ? error(EBADF) : stat(file.length);
            }
            case "stat" -> {
                Path path = served(args[0]);
                yield path == null ? error(ENOENT) : stat(size(path));
            }
            case "unlink" -> error(EROFS);
            case "readlink" -> served(args[0]) == null ? error(ENOENT) : error(EINVAL); // not a link
            default -> ""; // not supported
        };
    }

    /** open:pathname,flags,mode (hex): O_RDONLY only. */
    private String open(String[] args) {
        if (args.length != 3) {
            return error(EINVAL);
        }
        long flags = PacketCodec.parseHex(args[1]);
        if (flags != 0) { // not O_RDONLY: write access, O_CREAT, O_TRUNC, ...
            return error(EROFS);
        }
        Path path = served(args[0]);
        if (path == null) {
            return error(ENOENT);
        }
        if (open.size() >= MAX_OPEN) {
            return error(EMFILE);
        }
        byte[] file;
        try {
            file = Files.readAllBytes(path);
        } catch (IOException e) {
            return error(ENOENT);
        }
        int fd = nextFd++;
        open.put(fd, file);
        return "F" + Integer.toHexString(fd);
    }

    /** pread:fd,count,offset (hex): at most what fits a packet once escaped. */
    private String pread(String[] args) {
        if (args.length != 3) {
            return error(EINVAL);
        }
        byte[] file = open.get(fd(args[0]));
        if (file == null) {
            return error(EBADF);
        }
        long count = PacketCodec.parseHex(args[1]);
        long offset = PacketCodec.parseHex(args[2]);
        if (count < 0 || offset < 0) {
            return error(EINVAL);
        }
        if (offset >= file.length) {
            return "F0;";
        }
        int n = (int) Math.min(Math.min(count, file.length - offset), (QueryCommands.PACKET_SIZE - 32) / 2);
        byte[] data = PacketCodec.escape(file, (int) offset, n);
        return "F" + Integer.toHexString(n) + ";" + new String(data, StandardCharsets.ISO_8859_1);
    }

    /** The handed-out executable at the hex-encoded path, or null. */
    private Path served(String hexPath) {
        String path = new String(PacketCodec.fromHex(hexPath), StandardCharsets.UTF_8);
        for (Path p : s.executables.values()) {
            if (p.toString().equals(path)) {
                return p;
            }
        }
        return null;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private static int fd(String hex) {
        return PacketCodec.parseHexInt(hex, Integer.MAX_VALUE);
    }

    private static String error(int errno) {
        return "F-1," + Integer.toHexString(errno);
    }

    /**
     * The protocol's struct stat of a read-only regular file of {@code size} bytes: st_dev,
     * st_ino, st_mode, st_nlink, st_uid, st_gid, st_rdev (4 bytes each), st_size, st_blksize,
     * st_blocks (8 each), st_atime, st_mtime, st_ctime (4 each), big-endian.
     */
    static String stat(long size) {
        ByteBuffer b = ByteBuffer.allocate(STAT_SIZE); // big-endian
        b.putInt(0).putInt(0).putInt(0100444).putInt(1).putInt(0).putInt(0).putInt(0);
        b.putLong(size).putLong(4096).putLong((size + 511) / 512);
        b.putInt(0).putInt(0).putInt(0);
        byte[] data = PacketCodec.escape(b.array(), 0, STAT_SIZE);
        return "F" + Integer.toHexString(STAT_SIZE) + ";" + new String(data, StandardCharsets.ISO_8859_1);
    }
}
