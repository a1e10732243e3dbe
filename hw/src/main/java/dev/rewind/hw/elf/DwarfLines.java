package dev.rewind.hw.elf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The source line of an address, from an ELF file's DWARF line tables ({@code .debug_line},
 * versions 2 to 5, with the strings of {@code .debug_line_str} and {@code .debug_str}): the line
 * gdb shows for it. Where several rows share an address, the last one marked {@code is_stmt}
 * names it, as in gdb ({@code find_pc_line}); {@code addr2line} takes the last row, which at
 * {@code -Og}/{@code -O2} is often a non-statement row of the function's closing brace or of
 * an inlined callee. The guest SDK builds with {@code -g}, so a fault report can name the
 * line that faulted.
 *
 * <p>Anything malformed (a hostile or truncated file) only means fewer or no lines: {@link
 * #parse} never throws.
 */
public final class DwarfLines {
    /** One row range of a line program: {@code [start, end)} is {@code file:line}. */
    private record Range(long start, long end, String file, long line) {}

    private static final DwarfLines NONE = new DwarfLines(new Range[0]);
    /** Rows kept at most (a large program with -g has tens of thousands). */
    static final int MAX_ROWS = 1 << 18;

    private final Range[] ranges; // sorted by start, unsigned
    private final long[] starts;

    private DwarfLines(Range[] ranges) {
        this.ranges = ranges;
        this.starts = new long[ranges.length];
        for (int i = 0; i < ranges.length; i++) {
            starts[i] = ranges[i].start();
        }
    }

    /** Whether any line is known. */
    public boolean isEmpty() {
        return ranges.length == 0;
    }

    /** {@code "file.c:42"} for the instruction at {@code addr}, if a line table covers it. */
    public Optional<String> lineOf(long addr) {
        int lo = 0, hi = ranges.length - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(starts[mid], addr) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        // ranges may nest or overlap (several sequences): the latest start that still covers addr
        for (int i = found; i >= 0 && i > found - 8; i--) {
            Range r = ranges[i];
            if (Long.compareUnsigned(addr, r.start()) >= 0 && Long.compareUnsigned(addr, r.end()) < 0) {
                return Optional.of(r.file() + ":" + r.line());
            }
        }
        return Optional.empty();
    }

    /** The line tables of the ELF64 little-endian file {@code elf}; empty when it has none or they are unusable. */
    public static DwarfLines parse(byte[] elf) {
        try {
            Sections s = Sections.of(elf);
            if (s == null || s.line == null) {
                return NONE;
            }
            List<Range> out = new ArrayList<>();
            int at = s.line[0], end = s.line[0] + s.line[1];
            while (at < end && out.size() < MAX_ROWS) {
                int next = unit(new Cursor(elf, at, end), s, out);
                if (next <= at) {
                    break;
                }
                at = next;
            }
            Range[] sorted = out.toArray(new Range[0]);
            Arrays.sort(sorted, Comparator.comparing(Range::start, Long::compareUnsigned));
            return new DwarfLines(sorted);
        } catch (RuntimeException e) {
            return NONE; // malformed: no lines
        }
    }

    /** The sections the line tables need: offset and size of each, or null. */
    private record Sections(byte[] elf, int[] line, int[] lineStr, int[] str) {
        static Sections of(byte[] elf) {
            if (elf.length < 64 || elf[4] != 2 || elf[5] != 1) {
                return null; // ELF64 little-endian only
            }
            Cursor h = new Cursor(elf, 0, elf.length);
            long shoff = h.u64At(0x28);
            int shentsize = h.u16At(0x3a), shnum = h.u16At(0x3c), shstrndx = h.u16At(0x3e);
            if (shoff == 0 || shentsize != 64 || shstrndx >= shnum || !fits(elf, shoff, (long) shnum * 64)) {
                return null;
            }
            int[] names = section(elf, h, (int) shoff + shstrndx * 64);
            if (names == null) {
                return null;
            }
            int[] line = null, lineStr = null, str = null;
            for (int i = 0; i < shnum; i++) {
                int sh = (int) shoff + i * 64;
                String name = cString(elf, names[0] + (int) h.u32At(sh), names[0] + names[1]);
                switch (name) {
                    case ".debug_line" -> line = section(elf, h, sh);
                    case ".debug_line_str" -> lineStr = section(elf, h, sh);
                    case ".debug_str" -> str = section(elf, h, sh);
                    default -> {}
                }
            }
            return new Sections(elf, line, lineStr, str);
        }

        private static int[] section(byte[] elf, Cursor h, int sh) {
            long off = h.u64At(sh + 0x18), size = h.u64At(sh + 0x20);
            if (h.u32At(sh + 4) == 8 /* SHT_NOBITS */ || !fits(elf, off, size)) {
                return null;
            }
            return new int[] {(int) off, (int) size};
        }

        /** The NUL-terminated string at {@code offset} of the string section {@code sec}. */
        String string(int[] sec, long offset) {
            if (sec == null || offset < 0 || offset >= sec[1]) {
                throw new IllegalArgumentException("string offset outside its section");
            }
            return cString(elf, sec[0] + (int) offset, sec[0] + sec[1]);
        }
    }

    private static boolean fits(byte[] elf, long off, long size) {
        return off >= 0 && size >= 0 && off <= elf.length && size <= elf.length - off;
    }

    private static String cString(byte[] b, int at, int limit) {
        if (at < 0 || at >= limit) {
            throw new IllegalArgumentException("string outside its section");
        }
        int e = at;
        while (e < limit && b[e] != 0) {
            e++;
        }
        return new String(b, at, e - at, StandardCharsets.UTF_8);
    }

    /**
     * Runs the line program of the unit at {@code c}, adding its ranges to {@code out}; returns
     * the offset of the next unit.
     */
    private static int unit(Cursor c, Sections s, List<Range> out) {
        long length = c.u32();
        boolean dwarf64 = length == 0xffffffffL;
        if (dwarf64) {
            length = c.u64();
        }
        if (length < 2 || length > c.end - c.at) {
            return -1;
        }
        int unitEnd = c.at + (int) length;
        c.end = unitEnd;
        int version = c.u16();
        if (version < 2 || version > 5) {
            return unitEnd; // unknown: skip the unit
        }
        if (version >= 5) {
            c.u8(); // address size (DW_LNE_set_address says its own)
            c.u8(); // segment selector size
        }
        long headerLength = dwarf64 ? c.u64() : c.u32();
        int programStart = c.at + (int) Math.min(headerLength, unitEnd - c.at);
        int minInst = c.u8();
        if (version >= 4) {
            c.u8(); // maximum operations per instruction (VLIW only)
        }
        boolean defaultIsStmt = c.u8() != 0;
        int lineBase = (byte) c.u8();
        int lineRange = c.u8();
        int opcodeBase = c.u8();
        if (lineRange == 0 || opcodeBase == 0) {
            return unitEnd;
        }
        int[] argCounts = new int[opcodeBase];
        for (int i = 1; i < opcodeBase; i++) {
            argCounts[i] = c.u8();
        }
        List<String> dirs = new ArrayList<>();
        List<String> files = new ArrayList<>();
        if (version >= 5) {
            for (String[] e : entries(c, s, dwarf64)) {
                dirs.add(e[0]);
            }
            for (String[] e : entries(c, s, dwarf64)) {
                files.add(fileName(e[0], e[1], dirs));
            }
        } else {
            dirs.add(""); // index 0: the compilation directory
            String d;
            while (!(d = c.string()).isEmpty()) {
                dirs.add(d);
            }
            files.add("?"); // file numbers start at 1
            String f;
            while (!(f = c.string()).isEmpty()) {
                long dir = c.uleb();
                c.uleb(); // modification time
                c.uleb(); // length
                files.add(fileName(f, Long.toString(dir), dirs));
            }
        }
        c.at = programStart;

        long address = 0, line = 1, file = 1;
        boolean isStmt = defaultIsStmt;
        long rowAddress = 0, rowLine = 0, rowFile = 0;
        boolean haveRow = false, rowIsStmt = false;
        long discriminator = 0, lastLine = -1, lastFile = -1, lastAddress = 0;
        boolean lineHasDiscriminator = false, stmtAtAddress = false;
        while (c.at < unitEnd && out.size() < MAX_ROWS) {
            int op = c.u8();
            boolean emit = false, endSequence = false;
            if (op >= opcodeBase) {
                int adjusted = op - opcodeBase;
                address += (long) (adjusted / lineRange) * minInst;
                int delta = lineBase + adjusted % lineRange;
                line += delta;
                lineHasDiscriminator = delta == 0 ? lineHasDiscriminator : discriminator != 0;
                emit = true;
            } else if (op == 0) {
                long len = c.uleb();
                if (len == 0 || len > unitEnd - c.at) {
                    break;
                }
                int next = c.at + (int) len;
                int sub = c.u8();
                if (sub == 1) { // DW_LNE_end_sequence
                    emit = true;
                    endSequence = true;
                } else if (sub == 2) { // DW_LNE_set_address
                    address = len - 1 >= 8 ? c.u64() : len - 1 == 4 ? c.u32() : address;
                } else if (sub == 4) { // DW_LNE_set_discriminator
                    discriminator = c.uleb();
                    lineHasDiscriminator |= discriminator != 0;
                }
                c.at = next; // DW_LNE_define_file, vendor: skipped
            } else {
                switch (op) {
                    case 1 -> emit = true; // copy
                    case 2 -> address += c.uleb() * minInst; // advance_pc
                    case 3 -> { // advance_line
                        long delta = c.sleb();
                        line += delta;
                        lineHasDiscriminator = delta == 0 ? lineHasDiscriminator : discriminator != 0;
                    }
                    case 4 -> file = c.uleb(); // set_file
                    case 6 -> isStmt = !isStmt; // negate_stmt
                    case 8 -> address += (long) ((255 - opcodeBase) / lineRange) * minInst; // const_add_pc
                    case 9 -> address += c.u16(); // fixed_advance_pc
                    default -> {
                        for (int i = 0; i < argCounts[op]; i++) {
                            c.uleb(); // set_column, set_isa, ... and unknown ones
                        }
                    }
                }
            }
            if (emit && endSequence) {
                if (haveRow && Long.compareUnsigned(address, rowAddress) > 0) {
                    out.add(range(rowAddress, address, rowFile, rowLine, files));
                }
                haveRow = false;
                address = 0;
                line = 1;
                file = 1;
                isStmt = defaultIsStmt;
                lastLine = -1;
                lastFile = -1;
                lastAddress = 0;
                stmtAtAddress = false;
                lineHasDiscriminator = false;
                discriminator = 0;
            } else if (emit) {
                // The rows gdb keeps, and of those at one address the one it shows: so the line
                // named is the one gdb's frame shows, not addr2line's (the last row at the
                // address, often a non-statement row of the closing brace or of an inlined
                // callee). A non-statement row that switches files where a statement row already
                // is, gdb drops; a switch otherwise ends the old file's rows at this address; a
                // line repeated once it had a non-zero discriminator is not recorded again; and of
                // one file's rows at an address the last statement row wins.
                boolean fileChanged = file != lastFile;
                boolean ignored = line == 0 || (fileChanged && address == lastAddress && !isStmt && stmtAtAddress);
                boolean recorded = !ignored && (fileChanged || line != lastLine || !lineHasDiscriminator);
                if (recorded) {
                    boolean sameAddress = haveRow && address == rowAddress;
                    if (haveRow && Long.compareUnsigned(address, rowAddress) > 0) {
                        out.add(range(rowAddress, address, rowFile, rowLine, files));
                    }
                    if (!sameAddress || fileChanged || isStmt || !rowIsStmt) {
                        rowLine = line;
                        rowFile = file;
                        rowIsStmt = isStmt;
                    }
                    haveRow = true;
                    rowAddress = address;
                    lastLine = line;
                    lastFile = file;
                }
                if (address != lastAddress) {
                    stmtAtAddress = false;
                    lastAddress = address;
                }
                stmtAtAddress |= isStmt;
                discriminator = 0;
            }
        }
        return unitEnd;
    }

    private static Range range(long start, long end, long file, long line, List<String> files) {
        return new Range(start, end, file >= 0 && file < files.size() ? files.get((int) file) : "?", line);
    }

    /** A file's name as the compiler recorded it: relative to the compilation directory, else with its directory. */
    private static String fileName(String name, String dirIndex, List<String> dirs) {
        int d;
        try {
            d = Integer.parseInt(dirIndex);
        } catch (NumberFormatException e) {
            d = 0;
        }
        if (d <= 0 || d >= dirs.size() || name.startsWith("/") || dirs.get(d).isEmpty()) {
            return name;
        }
        return dirs.get(d) + "/" + name;
    }

    /**
     * A DWARF 5 directory or file table: each entry's path and directory index (as text; "0"
     * when absent).
     */
    private static List<String[]> entries(Cursor c, Sections s, boolean dwarf64) {
        int formatCount = c.u8();
        long[][] format = new long[formatCount][2];
        for (int i = 0; i < formatCount; i++) {
            format[i][0] = c.uleb(); // content type
            format[i][1] = c.uleb(); // form
        }
        long count = c.uleb();
        if (count > 100_000) {
            throw new IllegalArgumentException("too many entries");
        }
        List<String[]> out = new ArrayList<>();
        for (long n = 0; n < count; n++) {
            String path = "?", dir = "0";
            for (long[] f : format) {
                Object v = form(c, s, (int) f[1], dwarf64);
                if (f[0] == 1 && v instanceof String p) { // DW_LNCT_path
                    path = p;
                } else if (f[0] == 2 && v instanceof Long d) { // DW_LNCT_directory_index
                    dir = Long.toString(d);
                }
            }
            out.add(new String[] {path, dir});
        }
        return out;
    }

    /** One attribute value of the forms a line table header uses: a String, a Long, or null. */
    private static Object form(Cursor c, Sections s, int form, boolean dwarf64) {
        return switch (form) {
            case 0x08 -> c.string(); // DW_FORM_string
            case 0x1f -> s.string(s.lineStr(), dwarf64 ? c.u64() : c.u32()); // DW_FORM_line_strp
            case 0x0e -> s.string(s.str(), dwarf64 ? c.u64() : c.u32()); // DW_FORM_strp
            case 0x0b -> (long) c.u8(); // data1
            case 0x05 -> (long) c.u16(); // data2
            case 0x06 -> c.u32(); // data4
            case 0x07 -> c.u64(); // data8
            case 0x0f -> c.uleb(); // udata
            case 0x1e -> { // data16 (an MD5)
                c.skip(16);
                yield null;
            }
            case 0x09 -> { // block
                c.skip(c.uleb());
                yield null;
            }
            default -> throw new IllegalArgumentException("form 0x" + Integer.toHexString(form));
        };
    }

    /** Reads little-endian values and LEB128 numbers in {@code [at, end)}; past the end throws. */
    private static final class Cursor {
        final byte[] b;
        int at;
        int end;

        Cursor(byte[] b, int at, int end) {
            this.b = b;
            this.at = at;
            this.end = end;
        }

        int u8() {
            if (at >= end) {
                throw new IllegalArgumentException("past the end");
            }
            return b[at++] & 0xff;
        }

        int u16() {
            return u8() | (u8() << 8);
        }

        long u32() {
            return (u16() | ((long) u16() << 16)) & 0xffffffffL;
        }

        long u64() {
            return u32() | (u32() << 32);
        }

        int u16At(int off) {
            return (b[off] & 0xff) | ((b[off + 1] & 0xff) << 8);
        }

        long u32At(int off) {
            return (u16At(off) | ((long) u16At(off + 2) << 16)) & 0xffffffffL;
        }

        long u64At(int off) {
            return u32At(off) | (u32At(off + 4) << 32);
        }

        /** The bits {@link #uleb} read last, and its last byte (for {@link #sleb}'s sign). */
        private int lebShift, lebLast;

        long uleb() {
            long v = 0;
            int shift = 0, x;
            do {
                x = u8();
                if (shift < 64) {
                    v |= (long) (x & 0x7f) << shift;
                }
                shift += 7;
            } while ((x & 0x80) != 0);
            lebShift = shift;
            lebLast = x;
            return v;
        }

        long sleb() {
            long v = uleb();
            if (lebShift < 64 && (lebLast & 0x40) != 0) {
                v |= -1L << lebShift;
            }
            return v;
        }

        String string() {
            int e = at;
            while (e < end && b[e] != 0) {
                e++;
            }
            if (e >= end) {
                throw new IllegalArgumentException("unterminated string");
            }
            String s = new String(b, at, e - at, StandardCharsets.UTF_8);
            at = e + 1;
            return s;
        }

        void skip(long n) {
            if (n < 0 || n > end - at) {
                throw new IllegalArgumentException("past the end");
            }
            at += (int) n;
        }
    }
}
