package dev.rewind.tools.regress;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * The guest console of one run: the lines kept (all of them, unless the console was very long:
 * then the last ones), how many were dropped from the front to bound memory, and how many the
 * guest wrote.
 *
 * <p>A run's results are all kept until the run ends (the JUnit XML is written then), so a
 * finished case's console of more than {@link #SPILL_CHARS} characters is moved to a temporary
 * file ({@link #spilled}), with only its last lines in memory: a run of many chatty cases needs
 * no more heap than one of few (a hundred cases that print 200,000 lines each ran out of a
 * 256 MiB heap at the 20th, with an internal error and no report). Every spilled console of a
 * run goes into one file ({@link Spill}), removed from its folder as soon as it is open, so
 * nothing is left behind however the run ends (a file per console, deleted at exit, stayed in
 * the temporary folder after a SIGKILL).
 */
public final class Console {
    public static final Console EMPTY = new Console(List.of(), 0, 0);

    /** A finished case's console of more characters than this is kept in a temporary file. */
    static final long SPILL_CHARS = 64 * 1024;
    /** The lines of a spilled console still held in memory (a failed case's report shows them). */
    static final int TAIL_KEPT = 20;

    /** Writes one line somewhere (a JUnit report). */
    @FunctionalInterface
    public interface LineSink {
        void line(String line) throws IOException;
    }

    /** All lines kept when {@link #file} is null; else the last of them. */
    private final List<String> held;
    /** The spill file holding the lines kept, one after another, or null when they are all {@link #held}. */
    private final Spill file;
    /** Where in {@link #file} they are (deflated), and how many bytes. */
    private final long at;

    private final long length;

    private final int kept;
    private final int dropped;
    private final int total;

    /**
     * @param lines   the lines kept (all of them, unless the console was very long: then the last ones)
     * @param dropped lines dropped from the front to bound memory
     * @param total   all lines the guest wrote
     */
    public Console(List<String> lines, int dropped, int total) {
        this(List.copyOf(lines), null, 0, 0, lines.size(), dropped, total);
    }

    private Console(List<String> held, Spill file, long at, long length, int kept, int dropped, int total) {
        this.held = held;
        this.file = file;
        this.at = at;
        this.length = length;
        this.kept = kept;
        this.dropped = dropped;
        this.total = total;
    }

    /** The lines kept (read back from the temporary file of a spilled console). */
    public List<String> lines() {
        if (file == null) {
            return held;
        }
        List<String> all = new ArrayList<>(kept);
        try {
            eachLine(all::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(all);
    }

    /** Lines dropped from the front to bound memory. */
    public int dropped() {
        return dropped;
    }

    /** All lines the guest wrote. */
    public int total() {
        return total;
    }

    /** The last {@code n} lines. */
    public List<String> tail(int n) {
        List<String> from = file == null || n <= held.size() ? held : lines();
        return from.subList(Math.max(0, from.size() - n), from.size());
    }

    /** Each line kept, in order, to {@code sink}. */
    public void eachLine(LineSink sink) throws IOException {
        if (file == null) {
            for (String l : held) {
                sink.line(l);
            }
            return;
        }
        try (DataInputStream in =
                new DataInputStream(new BufferedInputStream(new InflaterInputStream(file.read(at, length)), 1 << 16))) {
            byte[] b = new byte[256];
            for (int i = 0; i < kept; i++) {
                int n = in.readInt();
                if (n > b.length) {
                    b = new byte[Math.max(n, 2 * b.length)];
                }
                in.readFully(b, 0, n);
                sink.line(new String(b, 0, n, StandardCharsets.UTF_8));
            }
        }
    }

    /** The console as text, one line per line. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        if (dropped > 0) {
            sb.append("[... ").append(dropped).append(" earlier lines not kept ...]\n");
        }
        try {
            eachLine(l -> sb.append(l).append('\n'));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }

    /**
     * This console, or when it holds more than {@link #SPILL_CHARS} characters the same lines
     * in the run's spill file ({@link Spill#shared}) with only the last {@link #TAIL_KEPT} in
     * memory. Stays in memory if the file cannot be written.
     */
    Console spilled() {
        return spilledTo(null);
    }

    /** As {@link #spilled}, into {@code spill} (null: the run's). */
    Console spilledTo(Spill spill) {
        if (file != null) {
            return this;
        }
        long chars = 0;
        for (String l : held) {
            chars += l.length() + 1;
            if (!wellFormed(l)) {
                return this; // (UTF-8 would not give it back as it is)
            }
        }
        if (chars <= SPILL_CHARS) {
            return this;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(chars / 4, 1 << 20));
        Deflater fast = new Deflater(Deflater.BEST_SPEED);
        try {
            try (DataOutputStream out = new DataOutputStream(new DeflaterOutputStream(bytes, fast, 1 << 16))) {
                for (String l : held) {
                    byte[] b = l.getBytes(StandardCharsets.UTF_8);
                    out.writeInt(b.length);
                    out.write(b);
                }
            }
        } catch (IOException e) {
            return this; // (not thrown by a byte array)
        } finally {
            fast.end();
        }
        Spill to;
        long where;
        try {
            to = spill != null ? spill : Spill.shared();
            where = to.append(bytes);
        } catch (IOException | RuntimeException e) {
            return this;
        }
        List<String> last = List.copyOf(held.subList(Math.max(0, held.size() - TAIL_KEPT), held.size()));
        return new Console(last, to, where, bytes.size(), held.size(), dropped, total);
    }

    /**
     * One temporary file for all the consoles a run spills, appended to and read back at
     * offsets, and removed from its folder as soon as it is open (the open file lives on until
     * the JVM ends, however it ends). Where an open file cannot be removed, it is at exit.
     */
    static final class Spill {
        private static Spill shared;

        private final FileChannel channel;
        private long end;

        private Spill(FileChannel channel) {
            this.channel = channel;
        }

        /** The run's spill file, opened on first use. */
        static synchronized Spill shared() throws IOException {
            if (shared == null) {
                shared = openIn(null);
            }
            return shared;
        }

        /** A new spill file in {@code dir} (null: the system's temporary folder). */
        static Spill openIn(Path dir) throws IOException {
            String prefix = "rewind-test-console-";
            Path f = dir == null ? Files.createTempFile(prefix, ".bin") : Files.createTempFile(dir, prefix, ".bin");
            FileChannel ch;
            try {
                ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(f);
                throw e;
            }
            try {
                Files.delete(f);
            } catch (IOException e) {
                f.toFile().deleteOnExit();
            }
            return new Spill(ch);
        }

        /** Appends {@code bytes}; returns where they start. */
        synchronized long append(ByteArrayOutputStream bytes) throws IOException {
            long start = end;
            ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray());
            while (b.hasRemaining()) {
                channel.write(b, start + b.position());
            }
            end += bytes.size();
            return start;
        }

        /** The {@code length} bytes at {@code at}, as a stream (positional reads: safe beside appends). */
        InputStream read(long at, long length) {
            return new InputStream() {
                private long pos = at;
                private final long limit = at + length;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (pos >= limit) {
                        return -1;
                    }
                    int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, limit - pos)), pos);
                    if (n < 0) {
                        throw new IOException("the console spill file ends early");
                    }
                    pos += n;
                    return n;
                }
            };
        }
    }

    /** {@code s} has no surrogate that is not half of a pair. */
    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** The console is in a temporary file (for tests). */
    boolean isSpilled() {
        return file != null;
    }
}
