package dev.rewind.tools.gdb;

import dev.rewind.kernel.debug.DebugTarget;
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
 * {@code rewind boot} (a container, a port forwarded over ssh). Besides those, a live task's
 * {@code /proc/PID/cmdline} and {@code maps} (PID: its thread id, the pid of {@code info os
 * processes} and of its inferior with {@code --gdb-inferiors}) and the links {@code exe} (its
 * executable's copy) and {@code cwd} ({@code /}: tasks have no working folder), which gdb's
 * {@code info proc} reads. Every other path is ENOENT and nothing can be written, created or
 * removed (EROFS).
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
                byte[] file = contents(args[0]);
                yield file == null ? error(ENOENT) : stat(file.length);
            }
            case "unlink" -> error(EROFS);
            case "readlink" -> readlink(args[0]);
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
        if (open.size() >= MAX_OPEN) {
            return error(EMFILE);
        }
        byte[] file = contents(args[0]);
        if (file == null) {
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

    /** The contents of the served file at the hex-encoded path, or null if there is none. */
    private byte[] contents(String hexPath) {
        String path = new String(PacketCodec.fromHex(hexPath), StandardCharsets.UTF_8);
        for (Path p : s.executables.values()) {
            if (p.toString().equals(path)) {
                try {
                    return Files.readAllBytes(p);
                } catch (IOException e) {
                    return null;
                }
            }
        }
        ProcFile proc = ProcFile.of(path);
        DebugTarget.ThreadInfo task = proc == null ? null : liveTask(proc.pid());
        if (task == null) {
            return null;
        }
        return switch (proc.file()) {
            case "cmdline" -> (task.image() + "\0").getBytes(StandardCharsets.UTF_8); // argv[0], as Linux NUL-ends it
            case "maps" -> maps(task);
            case "status" -> procStatus(task);
            case "stat" -> procStat(task);
            default -> null;
        };
    }

    /** readlink:pathname: a task's {@code /proc/PID/exe} and {@code cwd}; nothing else is a link. */
    private String readlink(String hexPath) {
        String path = new String(PacketCodec.fromHex(hexPath), StandardCharsets.UTF_8);
        ProcFile proc = ProcFile.of(path);
        DebugTarget.ThreadInfo task = proc == null ? null : liveTask(proc.pid());
        String target = null;
        if (task != null && proc.file().equals("exe")) {
            Path exe = s.executableCopy(task);
            target = exe == null ? null : exe.toString();
        } else if (task != null && proc.file().equals("cwd")) {
            target = "/"; // a task has no working folder (no file system of its own)
        }
        if (target == null) {
            return contents(hexPath) == null ? error(ENOENT) : error(EINVAL); // a file, not a link
        }
        byte[] data = target.getBytes(StandardCharsets.UTF_8);
        byte[] escaped = PacketCodec.escape(data, 0, data.length);
        return "F" + Integer.toHexString(data.length) + ";" + new String(escaped, StandardCharsets.ISO_8859_1);
    }

    /** A path {@code /proc/PID/FILE} (PID decimal), split. */
    private record ProcFile(int pid, String file) {
        static ProcFile of(String path) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("/proc/([1-9][0-9]{0,5})/([a-z]+)")
                    .matcher(path);
            return m.matches() ? new ProcFile(Integer.parseInt(m.group(1)), m.group(2)) : null;
        }
    }

    /** The live task whose thread id is {@code pid}, or null (none, ended, or the system ended). */
    private DebugTarget.ThreadInfo liveTask(int pid) {
        if (s.systemStatus != null) {
            return null;
        }
        for (DebugTarget.ThreadInfo t : s.target.threads()) {
            if (t.id() == pid && GdbSession.alive(t)) {
                return t;
            }
        }
        return null;
    }

    /** Linux's status format, with Rewind's own fields: name, state, pid, image, generation. */
    private byte[] procStatus(DebugTarget.ThreadInfo task) {
        String text = "Name:\t" + task.name() + "\nState:\t" + stateLetter(task) + " ("
                + task.state().replace('_', ' ') + ")\nTgid:\t" + task.id() + "\nPid:\t" + task.id()
                + "\nPPid:\t0\nThreads:\t1\nVmSize:\t" + mappedBytes(task) / 1024 + " kB\nImage:\t" + task.image()
                + "\nGeneration:\t" + task.generation() + "\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Linux's stat format (the 52 fields of proc(5), which gdb's {@code info proc stat} names):
     * pid, (name), state, ppid 0, process group and session the pid, no terminal, one thread,
     * the virtual size; times, faults and the rest 0.
     */
    private byte[] procStat(DebugTarget.ThreadInfo task) {
        StringBuilder b = new StringBuilder();
        b.append(task.id()).append(" (").append(task.name()).append(") ").append(stateLetter(task));
        b.append(" 0 ").append(task.id()).append(' ').append(task.id()).append(" 0 -1"); // ppid pgrp session tty tpgid
        for (int field = 9; field <= 52; field++) {
            b.append(' ')
                    .append(
                            switch (field) {
                                case 20 -> "1"; // num_threads
                                case 23 -> Long.toString(mappedBytes(task)); // vsize
                                default -> "0";
                            });
        }
        return b.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Linux's state letter: R for a task that can run, S for one blocked in a system call. */
    private static String stateLetter(DebugTarget.ThreadInfo task) {
        return switch (task.state()) {
            case "ready", "running" -> "R";
            case "faulted" -> "t"; // stopped by the debugger at its fault
            default -> "S";
        };
    }

    private long mappedBytes(DebugTarget.ThreadInfo task) {
        long n = 0;
        for (DebugTarget.Mapping m : s.target.memoryMap(task.id())) {
            n += m.end() - m.start();
        }
        return n;
    }

    /**
     * Linux's maps format, which gdb's {@code info proc mappings} parses: {@code start-end perms
     * offset dev inode path}, a private mapping each; the image's segments named by the image,
     * the others as Linux names its anonymous ones ({@code [stack]}, {@code [heap]}, and Rewind's
     * IPC buffer {@code [ipc]}).
     */
    private byte[] maps(DebugTarget.ThreadInfo task) {
        StringBuilder out = new StringBuilder();
        for (DebugTarget.Mapping m : s.target.memoryMap(task.id())) {
            String name = m.name().startsWith("segment") ? task.image() : "[" + m.name() + "]";
            out.append(String.format("%x-%x %sp 00000000 00:00 0", m.start(), m.end(), m.perms()));
            out.append(" ".repeat(10)).append(name).append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
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
