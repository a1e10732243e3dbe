package dev.rewind.hw.elf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A validated, statically linked RISC-V 64 executable (ELF64, little-endian, ET_EXEC).
 *
 * <p>{@link #parse} checks everything a loader relies on (header fields, program header bounds,
 * PT_LOAD sizes and overlaps, the entry point) and rejects anything else with an {@link
 * ElfException}; a hostile file never causes any other exception. All addresses and sizes are
 * treated as unsigned 64-bit values.
 *
 * <p>Symbols come from {@code .symtab} when present. A missing or malformed symbol table is not an
 * error: the image then simply has no symbols.
 */
public final class ElfImage {
    private static final Logger log = LoggerFactory.getLogger(ElfImage.class);

    /** e_machine for RISC-V. */
    public static final int EM_RISCV = 243;
    /** e_machine for AArch64. */
    public static final int EM_AARCH64 = 183;
    /** Largest accepted p_memsz of a single PT_LOAD segment (1 GiB). */
    public static final long MAX_SEGMENT_SIZE = 1L << 30;
    /** Most non-empty PT_LOAD segments an image may have (a linked program has 2 to 4). */
    public static final int MAX_LOAD_SEGMENTS = 1024;
    /** How far past a size-less function symbol {@link #describe} still attributes an address to it. */
    public static final long UNSIZED_SYMBOL_REACH = 64 * 1024;

    static final int EHDR_SIZE = 64;
    static final int PHDR_SIZE = 56;
    static final int SHDR_SIZE = 64;
    static final int SYM_SIZE = 24;

    static final int PT_LOAD = 1;
    static final int PT_INTERP = 3;
    static final int PF_X = 1, PF_W = 2, PF_R = 4;
    static final int SHT_SYMTAB = 2, SHT_STRTAB = 3;
    static final int STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2;
    static final int STB_LOCAL = 0;

    /**
     * One PT_LOAD segment: {@code memSize} bytes at {@code vaddr}, of which the first {@code
     * fileSize} come from the file at {@code fileOffset} and the rest are zero.
     */
    public record Segment(
            long vaddr, long memSize, long fileOffset, long fileSize, boolean read, boolean write, boolean exec) {
        /** Exclusive end address; never overflows for segments of a parsed image. */
        public long end() {
            return vaddr + memSize;
        }

        /** Whether {@code addr} lies inside {@code [vaddr, vaddr + memSize)} (unsigned). */
        public boolean contains(long addr) {
            return Long.compareUnsigned(addr, vaddr) >= 0 && Long.compareUnsigned(addr - vaddr, memSize) < 0;
        }

        /** Permissions as {@code "r-x"} style text. */
        public String flags() {
            return (read ? "r" : "-") + (write ? "w" : "-") + (exec ? "x" : "-");
        }

        @Override
        public String toString() {
            return String.format("Segment[0x%x..0x%x %s, file 0x%x+0x%x]", vaddr, end(), flags(), fileOffset, fileSize);
        }
    }

    /** A named FUNC, OBJECT or global NOTYPE symbol from {@code .symtab}. */
    public record Symbol(String name, long address, long size, boolean function, boolean global) {}

    private final String name;
    private final byte[] data;
    private final long entry;
    private final List<Segment> segments;
    /** Symbols usable by {@link #describe}, sorted by unsigned address. */
    private final Symbol[] sorted;

    private final long[] sortedAddrs;
    private final long maxSymbolSize;
    private final Map<String, Symbol> byName;

    private final int machine;
    private final boolean floatingPoint;

    private ElfImage(
            String name,
            byte[] data,
            int machine,
            long entry,
            List<Segment> segments,
            List<Symbol> symbols,
            boolean floatingPoint) {
        this.name = name;
        this.machine = machine;
        this.floatingPoint = floatingPoint;
        this.data = data;
        this.entry = entry;
        this.segments = List.copyOf(segments);
        this.sorted = symbols.toArray(new Symbol[0]);
        Arrays.sort(
                sorted,
                Comparator.comparing(Symbol::address, Long::compareUnsigned)
                        // among symbols at one address prefer sized, then global, then functions
                        .thenComparing(s -> s.size() == 0)
                        .thenComparing(s -> !s.global())
                        .thenComparing(s -> !s.function())
                        .thenComparing(Symbol::name));
        this.sortedAddrs = new long[sorted.length];
        long max = 0;
        Map<String, Symbol> names = new HashMap<>();
        for (int i = 0; i < sorted.length; i++) {
            Symbol s = sorted[i];
            sortedAddrs[i] = s.address();
            if (Long.compareUnsigned(s.size(), max) > 0) {
                max = s.size();
            }
        }
        // name lookup: first global definition wins, a local only when there is no global one
        for (Symbol s : symbols) {
            Symbol prev = names.get(s.name());
            if (prev == null || (!prev.global() && s.global())) {
                names.put(s.name(), s);
            }
        }
        this.maxSymbolSize = max;
        this.byName = names;
    }

    /** The file name given to {@link #parse}, used in messages. */
    public String name() {
        return name;
    }

    /** e_entry: the initial program counter (may be odd; the CPU traps that at run time). */
    /** e_machine: {@link #EM_RISCV} or {@link #EM_AARCH64}. */
    public int machine() {
        return machine;
    }

    public long entry() {
        return entry;
    }

    /** The PT_LOAD segments with a non-zero p_memsz, in program header order. */
    public List<Segment> segments() {
        return segments;
    }

    /** A copy of the whole file. */
    public byte[] fileBytes() {
        return data.clone();
    }

    /** Size of the file in bytes. */
    public int fileSize() {
        return data.length;
    }

    /**
     * A copy of the bytes of {@code seg} that come from the file ({@code seg.fileSize()} bytes; the
     * remaining {@code memSize - fileSize} bytes of the segment are zero).
     */
    public byte[] segmentBytes(Segment seg) {
        checkOwn(seg);
        return Arrays.copyOfRange(data, (int) seg.fileOffset(), (int) (seg.fileOffset() + seg.fileSize()));
    }

    /**
     * Copies the file bytes of {@code seg} into {@code dest} at {@code destOffset}; returns the
     * number of bytes copied ({@code seg.fileSize()}).
     */
    public int copySegment(Segment seg, byte[] dest, int destOffset) {
        checkOwn(seg);
        int n = (int) seg.fileSize();
        System.arraycopy(data, (int) seg.fileOffset(), dest, destOffset, n);
        return n;
    }

    private void checkOwn(Segment seg) {
        if (!segments.contains(seg)) {
            throw new IllegalArgumentException(name + ": " + seg + " is not a segment of this image");
        }
    }

    /** Whether {@code .symtab} provided any usable symbols. */
    public boolean hasSymbols() {
        return sorted.length > 0;
    }

    /** The DWARF line tables, read at the first {@link #sourceLine} (only a fault report asks). */
    private volatile DwarfLines lines;

    /**
     * The source line of the instruction at {@code pc}, {@code "file.c:42"}, from the image's
     * DWARF line tables (the SDK builds with -g); empty without them or for an address outside the
     * image's executable segments (a discarded function's lines start at 0).
     */
    public java.util.Optional<String> sourceLine(long pc) {
        boolean inText = false;
        for (Segment s : segments) {
            inText |= s.exec() && s.contains(pc);
        }
        if (!inText) {
            return java.util.Optional.empty();
        }
        DwarfLines l = lines;
        if (l == null) {
            l = DwarfLines.parse(data);
            lines = l;
        }
        return l.lineOf(pc);
    }

    /** All usable symbols, sorted by address. */
    public List<Symbol> symbols() {
        return Collections.unmodifiableList(Arrays.asList(sorted));
    }

    /** The address of the named symbol, if {@code .symtab} defines it. */
    public OptionalLong symbol(String symbolName) {
        Symbol s = byName.get(symbolName);
        return s == null ? OptionalLong.empty() : OptionalLong.of(s.address());
    }

    /**
     * Names {@code addr} for humans: {@code "kv_put+0x1c"} for the symbol containing it (using the
     * symbol's size when non-zero; a size-less function symbol covers up to {@value
     * #UNSIZED_SYMBOL_REACH} bytes unless another symbol starts first), {@code "kv_put"} for its
     * exact start, or {@code "0x..."} when no symbol fits.
     */
    public String describe(long addr) {
        int i = lastAtOrBelow(addr);
        if (i >= 0) {
            // 1. a sized symbol that contains addr; sizes never exceed maxSymbolSize, so stop there
            for (int j = i; j >= 0; j--) {
                Symbol s = sorted[j];
                long off = addr - s.address();
                if (Long.compareUnsigned(off, maxSymbolSize) >= 0) {
                    break;
                }
                if (s.size() != 0 && Long.compareUnsigned(off, s.size()) < 0) {
                    return format(s, off);
                }
            }
            // 2. the nearest preceding symbol, if it is a size-less function close enough
            long nearest = sortedAddrs[i];
            long off = addr - nearest;
            if (Long.compareUnsigned(off, UNSIZED_SYMBOL_REACH) < 0) {
                for (int j = i; j >= 0 && sortedAddrs[j] == nearest; j--) {
                    Symbol s = sorted[j];
                    if (s.function() && s.size() == 0) {
                        return format(s, off);
                    }
                }
            }
        }
        return "0x" + Long.toHexString(addr);
    }

    private static String format(Symbol s, long off) {
        return off == 0 ? s.name() : s.name() + "+0x" + Long.toHexString(off);
    }

    /** Index of the last symbol whose address is <= addr (unsigned), or -1. */
    private int lastAtOrBelow(long addr) {
        int lo = 0, hi = sortedAddrs.length - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(sortedAddrs[mid], addr) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    @Override
    public String toString() {
        return "ElfImage[" + name + ", entry=0x" + Long.toHexString(entry) + ", " + segments.size() + " segments, "
                + sorted.length + " symbols]";
    }

    // ------------------------------------------------------------------------------------------
    // Parsing

    /**
     * Parses and validates {@code data}; {@code name} is used in messages. The array is copied.
     *
     * @throws ElfException if the file is not a loadable static RISC-V 64 executable
     */
    public static ElfImage parse(byte[] data, String name) throws ElfException {
        if (data == null) {
            throw new ElfException(name, "no data");
        }
        byte[] d = data.clone();
        Reader r = new Reader(d);

        if (d.length == 0) {
            throw new ElfException(name, "empty file (0 bytes), not an ELF executable");
        }
        if (d.length < 4 || d[0] != 0x7f || d[1] != 'E' || d[2] != 'L' || d[3] != 'F') {
            String got = d.length >= 4 ? String.format(" 0x%08x", r.be32(0)) : "";
            throw new ElfException(name, "not an ELF file (bad magic" + got + ", expected 0x7f454c46)");
        }
        if (d.length < EHDR_SIZE) {
            throw new ElfException(
                    name,
                    String.format(
                            "truncated ELF header (file is 0x%x bytes, an ELF64 header needs 0x%x)",
                            d.length, EHDR_SIZE));
        }
        int cls = r.u8(4);
        if (cls != 2) {
            throw new ElfException(
                    name,
                    String.format(
                            "not a 64-bit ELF file (EI_CLASS=0x%x%s), expected ELFCLASS64 (2)",
                            cls, cls == 1 ? ", ELFCLASS32" : ""));
        }
        int enc = r.u8(5);
        if (enc != 1) {
            throw new ElfException(
                    name,
                    String.format(
                            "not little-endian (EI_DATA=0x%x%s), expected ELFDATA2LSB (1)",
                            enc, enc == 2 ? ", big-endian" : ""));
        }
        int ver = r.u8(6);
        if (ver != 1) {
            throw new ElfException(name, String.format("unsupported ELF version (EI_VERSION=0x%x), expected 1", ver));
        }
        // The machine first: a program built by the host's compiler is an x86-64 PIE (ET_DYN), and
        // "not an executable" would not say what is wrong with it.
        int machine = r.u16(0x12);
        if (machine != EM_RISCV && machine != EM_AARCH64) {
            throw new ElfException(
                    name,
                    String.format(
                            "is for machine %s (e_machine=%d), expected RISC-V (%d) or AArch64 (%d)"
                                    + " (build guest programs with the SDK's cross-compilers:"
                                    + " guest/sdk/README.md)",
                            machineName(machine), machine, EM_RISCV, EM_AARCH64));
        }
        int type = r.u16(0x10);
        if (type != 2) {
            throw new ElfException(
                    name,
                    String.format(
                            "not an executable (e_type=0x%x, %s), expected ET_EXEC (2)%s",
                            type,
                            typeName(type),
                            type == 3 ? " (link it static and without -pie, as guest/sdk/rewind.mk does)" : ""));
        }
        long eVersion = r.u32(0x14);
        if (eVersion != 1) {
            throw new ElfException(
                    name, String.format("unsupported ELF version (e_version=0x%x), expected 1", eVersion));
        }
        long entry = r.u64(0x18);
        long phoff = r.u64(0x20);
        long shoff = r.u64(0x28);
        int phentsize = r.u16(0x36);
        int phnum = r.u16(0x38);
        int shentsize = r.u16(0x3a);
        int shnum = r.u16(0x3c);

        if (phnum == 0) {
            throw new ElfException(name, "has no program headers (e_phnum=0x0), so nothing to load");
        }
        if (phnum == 0xffff) {
            throw new ElfException(
                    name, "uses extended program header numbering (e_phnum=0xffff), which is not supported");
        }
        if (phentsize != PHDR_SIZE) {
            throw new ElfException(
                    name,
                    String.format("bad program header size (e_phentsize=0x%x), expected 0x%x", phentsize, PHDR_SIZE));
        }
        long phBytes = (long) phnum * PHDR_SIZE;
        if (!r.inBounds(phoff, phBytes)) {
            throw new ElfException(
                    name,
                    String.format(
                            "program header table out of bounds (e_phoff=0x%x, e_phnum=0x%x, 0x%x bytes) in a file of 0x%x bytes",
                            phoff, phnum, phBytes, d.length));
        }

        List<Segment> segs = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int p = (int) phoff + i * PHDR_SIZE;
            long ptype = r.u32(p);
            if (ptype == PT_INTERP) {
                throw new ElfException(
                        name,
                        String.format(
                                "program header %d is PT_INTERP: the file needs a dynamic loader, only static executables are supported",
                                i));
            }
            if (ptype != PT_LOAD) {
                continue;
            }
            long flags = r.u32(p + 4);
            long off = r.u64(p + 8);
            long vaddr = r.u64(p + 16);
            long filesz = r.u64(p + 32);
            long memsz = r.u64(p + 40);
            // (Concatenated, not String.format: this runs for every image, and the formatter's
            // first use loads locale data, ~10 ms of a short command.)
            String what = "PT_LOAD segment " + i + " (p_vaddr=0x" + Long.toHexString(vaddr) + ")";
            if (Long.compareUnsigned(filesz, memsz) > 0) {
                throw new ElfException(
                        name, String.format("%s has p_filesz=0x%x larger than p_memsz=0x%x", what, filesz, memsz));
            }
            if (Long.compareUnsigned(memsz, MAX_SEGMENT_SIZE) > 0) {
                throw new ElfException(
                        name,
                        String.format(
                                "%s is too large (p_memsz=0x%x, limit 0x%x = 1 GiB)", what, memsz, MAX_SEGMENT_SIZE));
            }
            if (!r.inBounds(off, filesz)) {
                throw new ElfException(
                        name,
                        String.format(
                                "%s extends beyond the end of the file (p_offset=0x%x + p_filesz=0x%x > file size 0x%x)",
                                what, off, filesz, d.length));
            }
            if (vaddr != 0 && Long.compareUnsigned(memsz, -vaddr) >= 0) {
                throw new ElfException(
                        name,
                        String.format(
                                "%s wraps around the address space (p_vaddr=0x%x + p_memsz=0x%x overflows)",
                                what, vaddr, memsz));
            }
            long align = r.u64(p + 48);
            if (filesz > 0 && Long.bitCount(align) == 1 && ((vaddr - off) & (align - 1)) != 0) {
                // The file was changed after linking: its bytes would land off by the difference.
                throw new ElfException(
                        name,
                        String.format(
                                "%s: p_vaddr=0x%x and p_offset=0x%x differ modulo p_align=0x%x (the ELF"
                                        + " specification requires them congruent)",
                                what, vaddr, off, align));
            }
            if (memsz == 0) {
                log.debug("{}: ignoring empty PT_LOAD segment {} at 0x{}", name, i, Long.toHexString(vaddr));
                continue;
            }
            if (segs.size() == MAX_LOAD_SEGMENTS) {
                throw new ElfException(
                        name,
                        String.format(
                                "has more than %d PT_LOAD segments (program header %d is"
                                        + " one more), which no linked program needs",
                                MAX_LOAD_SEGMENTS, i));
            }
            segs.add(new Segment(
                    vaddr, memsz, off, filesz, (flags & PF_R) != 0, (flags & PF_W) != 0, (flags & PF_X) != 0));
        }
        if (segs.isEmpty()) {
            throw new ElfException(name, "has no non-empty PT_LOAD segment, so nothing to load");
        }

        List<Segment> byAddr = new ArrayList<>(segs);
        byAddr.sort(Comparator.comparing(Segment::vaddr, Long::compareUnsigned));
        for (int i = 1; i < byAddr.size(); i++) {
            Segment a = byAddr.get(i - 1), b = byAddr.get(i);
            if (Long.compareUnsigned(b.vaddr(), a.end()) < 0) {
                throw new ElfException(
                        name,
                        String.format(
                                "PT_LOAD segments overlap: 0x%x..0x%x and 0x%x..0x%x",
                                a.vaddr(), a.end(), b.vaddr(), b.end()));
            }
        }

        boolean entryOk = segs.stream().anyMatch(s -> s.exec() && s.contains(entry));
        if (!entryOk) {
            Segment in =
                    segs.stream().filter(s -> s.contains(entry)).findFirst().orElse(null);
            throw new ElfException(
                    name,
                    String.format(
                            "entry point 0x%x is not inside an executable segment%s",
                            entry,
                            in == null
                                    ? ""
                                    : String.format(
                                            " (it lies in %s segment 0x%x..0x%x)", in.flags(), in.vaddr(), in.end())));
        }

        boolean fp = machine == EM_RISCV && checkFloatingPoint(r, name, shoff, shentsize, shnum);
        List<Symbol> symbols = readSymbols(r, name, shoff, shentsize, shnum, segs);
        return new ElfImage(name, d, machine, entry, segs, symbols, fp);
    }

    /**
     * A RISC-V program built for the floating-point unit (a hard-float ABI, or F or D in its
     * ISA): the loader turns the unit on for it. False for AArch64, whose FP/SIMD is always on.
     */
    public boolean usesFloatingPoint() {
        return floatingPoint;
    }

    /** e_flags: the RISC-V float ABI (0 soft-float, 2 single, 4 double, 6 quad). */
    static final int EF_RISCV_FLOAT_ABI = 0x6;
    /** sh_type of .riscv.attributes. */
    static final long SHT_RISCV_ATTRIBUTES = 0x70000003L;

    /**
     * The RISC-V machine is rv64imafdc: its floating-point unit has F and D (single and double
     * precision), as QEMU's virt board, and nothing past them. A program built for more (the
     * quad-float ABI in e_flags, or Q or a Zf* extension in its .riscv.attributes) is refused
     * here, not left to fault, or worse, at its first instruction the engine does not have.
     * Soft-float (lp64) and hard-float (lp64f, lp64d) programs both run. Returns whether the
     * program is built for the FPU (a hard-float ABI, or F or D in its ISA): the loader turns it
     * on for those ({@link #usesFloatingPoint}).
     */
    private static boolean checkFloatingPoint(Reader r, String name, long shoff, int shentsize, int shnum)
            throws ElfException {
        long flags = r.u32(0x30);
        String arch = riscvArch(r, shoff, shentsize, shnum);
        String fp = arch == null ? null : floatingPointExtensions(arch);
        String beyond = fp == null
                ? null
                : java.util.Arrays.stream(fp.split("\\+"))
                        .filter(e -> !e.equals("F") && !e.equals("D") && !e.equals("G"))
                        .reduce((a, b) -> a + "+" + b)
                        .orElse(null);
        String why;
        if ((flags & EF_RISCV_FLOAT_ABI) == EF_RISCV_FLOAT_ABI) {
            why = String.format("is built for the quad-float ABI (e_flags=0x%x)", flags);
        } else if (beyond != null) {
            why = "uses floating-point extensions the machine does not have (" + beyond + " in its ISA, \""
                    + dev.rewind.hw.GuestText.escape(arch) + "\")";
        } else {
            return (flags & EF_RISCV_FLOAT_ABI) != 0 || fp != null;
        }
        throw new ElfException(
                name,
                why + "; the RISC-V machine is rv64imafdc (F and D only): build with -march=rv64imafdc"
                        + " -mabi=lp64d (the guest SDK's FLOAT=hard) or -march=rv64imac -mabi=lp64 (its default,"
                        + " floating point in software)");
    }

    /** Tag_RISCV_arch from the .riscv.attributes section, or null if there is none (or it is malformed). */
    static String riscvArch(Reader r, long shoff, int shentsize, int shnum) {
        if (shoff == 0 || shnum == 0 || shentsize != SHDR_SIZE || !r.inBounds(shoff, (long) shnum * SHDR_SIZE)) {
            return null;
        }
        for (int i = 0; i < shnum; i++) {
            int sh = (int) shoff + i * SHDR_SIZE;
            if (r.u32(sh + 4) != SHT_RISCV_ATTRIBUTES) {
                continue;
            }
            long off = r.u64(sh + 0x18);
            long size = r.u64(sh + 0x20);
            if (!r.inBounds(off, size) || size < 1 || r.u8((int) off) != 'A') {
                return null;
            }
            return attributeArch(r.data, (int) off + 1, (int) (off + size));
        }
        return null;
    }

    /**
     * The arch string in an attributes section's body {@code [at, end)}: subsections of
     * (length, vendor "riscv", Tag_File (1) with its size, then tag/value pairs: an odd tag
     * takes a NUL-terminated string, an even one a ULEB128 number; Tag_RISCV_arch is 5).
     */
    static String attributeArch(byte[] b, int at, int end) {
        Reader r = new Reader(b);
        while (at + 4 <= end) {
            long len = r.u32(at);
            if (len < 5 || len > end - at) {
                return null;
            }
            int subEnd = (int) (at + len);
            int p = at + 4;
            int vendor = p;
            while (p < subEnd && b[p] != 0) {
                p++;
            }
            boolean riscv =
                    new String(b, vendor, p - vendor, java.nio.charset.StandardCharsets.ISO_8859_1).equals("riscv");
            p++;
            while (riscv && p + 5 <= subEnd) {
                int tag = b[p] & 0xff;
                long size = r.u32(p + 1);
                if (size < 5 || size > subEnd - p) {
                    return null;
                }
                int tagEnd = (int) (p + size);
                if (tag == 1) { // Tag_File: attributes of the whole file
                    int q = p + 5;
                    while (q < tagEnd) {
                        long attr = 0;
                        int shift = 0;
                        while (q < tagEnd && shift < 63) {
                            int c = b[q++] & 0xff;
                            attr |= (long) (c & 0x7f) << shift;
                            shift += 7;
                            if (c < 0x80) {
                                break;
                            }
                        }
                        if ((attr & 1) == 1) {
                            int s = q;
                            while (q < tagEnd && b[q] != 0) {
                                q++;
                            }
                            if (attr == 5) {
                                return new String(b, s, q - s, java.nio.charset.StandardCharsets.ISO_8859_1);
                            }
                            q++;
                        } else {
                            while (q < tagEnd && (b[q] & 0x80) != 0) {
                                q++;
                            }
                            q++;
                        }
                    }
                }
                p = tagEnd;
            }
            at = subEnd;
        }
        return null;
    }

    /**
     * The floating-point extensions an ISA string such as "rv64i2p1_m2p0_a2p1_f2p2_d2p2_c2p0"
     * (or "rv64imafdc") names, joined with '+', or null if it names none: F, D, Q, G (which
     * includes F and D) and the Zf* extensions that need F.
     */
    static String floatingPointExtensions(String arch) {
        String a = arch.toLowerCase(java.util.Locale.ROOT);
        if (!a.startsWith("rv32") && !a.startsWith("rv64") && !a.startsWith("rv128")) {
            return null;
        }
        a = a.substring(a.startsWith("rv128") ? 5 : 4);
        StringBuilder found = new StringBuilder();
        for (String token : a.split("_")) {
            if (token.isEmpty()) {
                continue;
            }
            char first = token.charAt(0);
            if (first == 'z' || first == 's' || first == 'x' || first == 'h') {
                String ext = token.replaceFirst("[0-9]+(p[0-9]+)?$", "");
                if (ext.startsWith("zfh") || ext.equals("zfa") || ext.startsWith("zfbf")) {
                    found.append(found.length() > 0 ? "+" : "").append(ext);
                }
                continue;
            }
            for (int j = 0; j < token.length(); ) {
                char c = token.charAt(j++);
                while (j < token.length() && Character.isDigit(token.charAt(j))) {
                    j++; // a version: 2p1
                }
                if (j + 1 < token.length() && token.charAt(j) == 'p' && Character.isDigit(token.charAt(j + 1))) {
                    j++;
                    while (j < token.length() && Character.isDigit(token.charAt(j))) {
                        j++;
                    }
                }
                if (c == 'f' || c == 'd' || c == 'q' || c == 'g') {
                    found.append(found.length() > 0 ? "+" : "").append(Character.toUpperCase(c));
                }
            }
        }
        return found.length() > 0 ? found.toString() : null;
    }

    /** Reads .symtab; any problem only means "no symbols" (logged at debug level). */
    private static List<Symbol> readSymbols(
            Reader r, String name, long shoff, int shentsize, int shnum, List<Segment> segs) {
        if (shoff == 0 || shnum == 0) {
            log.debug("{}: no section headers, no symbols", name);
            return List.of();
        }
        if (shentsize != SHDR_SIZE || !r.inBounds(shoff, (long) shnum * SHDR_SIZE)) {
            log.debug(
                    "{}: section header table unusable (e_shoff=0x{}, e_shentsize=0x{}, e_shnum=0x{}), no symbols",
                    name,
                    Long.toHexString(shoff),
                    Integer.toHexString(shentsize),
                    Integer.toHexString(shnum));
            return List.of();
        }
        int symtab = -1;
        for (int i = 0; i < shnum; i++) {
            if (r.u32((int) shoff + i * SHDR_SIZE + 4) == SHT_SYMTAB) {
                symtab = (int) shoff + i * SHDR_SIZE;
                break;
            }
        }
        if (symtab < 0) {
            log.debug("{}: no .symtab section, no symbols", name);
            return List.of();
        }
        long symOff = r.u64(symtab + 0x18);
        long symSize = r.u64(symtab + 0x20);
        long link = r.u32(symtab + 0x28);
        long entsize = r.u64(symtab + 0x38);
        if ((entsize != SYM_SIZE && entsize != 0) || !r.inBounds(symOff, symSize)) {
            log.debug(
                    "{}: .symtab unusable (offset 0x{}, size 0x{}, entsize 0x{}), no symbols",
                    name,
                    Long.toHexString(symOff),
                    Long.toHexString(symSize),
                    Long.toHexString(entsize));
            return List.of();
        }
        if (Long.compareUnsigned(link, shnum) >= 0) {
            log.debug("{}: .symtab sh_link=0x{} is not a section, no symbols", name, Long.toHexString(link));
            return List.of();
        }
        int strtab = (int) shoff + (int) link * SHDR_SIZE;
        long strOff = r.u64(strtab + 0x18);
        long strSize = r.u64(strtab + 0x20);
        if (r.u32(strtab + 4) != SHT_STRTAB || !r.inBounds(strOff, strSize)) {
            log.debug("{}: .symtab string table unusable, no symbols", name);
            return List.of();
        }
        int strStart = (int) strOff, strEnd = (int) (strOff + strSize);
        int count = (int) (symSize / SYM_SIZE);
        List<Symbol> out = new ArrayList<>();
        for (int i = 1; i < count; i++) { // entry 0 is the reserved null symbol
            int s = (int) symOff + i * SYM_SIZE;
            long nameIdx = r.u32(s);
            int info = r.u8(s + 4);
            int shndx = r.u16(s + 6);
            long value = r.u64(s + 8);
            long size = r.u64(s + 16);
            int stType = info & 0xf;
            boolean global = (info >>> 4) != STB_LOCAL;
            if (shndx == 0 || nameIdx == 0 || Long.compareUnsigned(nameIdx, strSize) >= 0) {
                continue;
            }
            boolean function;
            if (stType == STT_FUNC) {
                function = true;
            } else if (stType == STT_OBJECT) {
                function = false;
            } else if (stType == STT_NOTYPE && global) {
                // assembly labels such as _start: treat as code when they point into code
                function = segs.stream().anyMatch(g -> g.exec() && g.contains(value));
            } else {
                continue;
            }
            int nStart = strStart + (int) nameIdx;
            int nEnd = nStart;
            while (nEnd < strEnd && r.data[nEnd] != 0) {
                nEnd++;
            }
            if (nEnd >= strEnd || nEnd == nStart) {
                continue; // unterminated or empty name
            }
            // a guest's text, shown in Rewind's messages (fault lines, the debugger): escaped
            String symName = dev.rewind.hw.GuestText.decode(r.data, nStart, nEnd - nStart);
            out.add(new Symbol(symName, value, size, function, global));
        }
        log.debug("{}: {} symbols", name, out.size());
        return out;
    }

    static String typeName(int type) {
        return switch (type) {
            case 0 -> "ET_NONE";
            case 1 -> "ET_REL, a relocatable object file that still needs linking";
            case 3 -> "ET_DYN, a shared object or position-independent executable";
            case 4 -> "ET_CORE, a core dump";
            default -> "unknown type";
        };
    }

    static String machineName(int machine) {
        return switch (machine) {
            case 0 -> "none";
            case 3 -> "i386";
            case 8 -> "MIPS";
            case 20 -> "PowerPC";
            case 21 -> "PowerPC64";
            case 22 -> "s390";
            case 40 -> "ARM";
            case 62 -> "x86-64";
            case 183 -> "AArch64";
            case 243 -> "RISC-V";
            case 247 -> "BPF";
            case 258 -> "LoongArch";
            default -> "unknown";
        };
    }

    /** Little-endian reads; callers check bounds with {@link #inBounds} before reading. */
    private static final class Reader {
        final byte[] data;

        Reader(byte[] data) {
            this.data = data;
        }

        /** Whether {@code [off, off + len)} (unsigned) lies inside the file. */
        boolean inBounds(long off, long len) {
            long n = data.length;
            return Long.compareUnsigned(off, n) <= 0 && Long.compareUnsigned(len, n - off) <= 0;
        }

        int u8(int off) {
            return data[off] & 0xff;
        }

        int u16(int off) {
            return u8(off) | (u8(off + 1) << 8);
        }

        long u32(int off) {
            return (u16(off) | ((long) u16(off + 2) << 16)) & 0xffffffffL;
        }

        long u64(int off) {
            return u32(off) | (u32(off + 4) << 32);
        }

        int be32(int off) {
            return (u8(off) << 24) | (u8(off + 1) << 16) | (u8(off + 2) << 8) | u8(off + 3);
        }
    }
}
