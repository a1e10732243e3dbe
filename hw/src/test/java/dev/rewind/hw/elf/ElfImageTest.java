package dev.rewind.hw.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rewind.hw.elf.ElfImage.Segment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ElfImageTest {

    static final long TEXT = 0x10000;
    static final long DATA = 0x20000;

    // ------------------------------------------------------------------------------------------
    // A tiny ELF64 writer for tests

    record Ph(int type, int flags, long vaddr, byte[] bytes, long memSize) {}

    record Sym(String name, int type, int bind, long value, long size, int shndx) {}

    static final class ElfBuilder {
        int elfClass = 2, dataEnc = 1, identVersion = 1, type = 2, machine = 243;
        long entry = TEXT;
        final List<Ph> phs = new ArrayList<>();
        final List<Sym> syms = new ArrayList<>();

        ElfBuilder load(int flags, long vaddr, byte[] bytes, long memSize) {
            phs.add(new Ph(ElfImage.PT_LOAD, flags, vaddr, bytes, memSize));
            return this;
        }

        ElfBuilder ph(int type, long vaddr, byte[] bytes) {
            phs.add(new Ph(type, ElfImage.PF_R, vaddr, bytes, bytes.length));
            return this;
        }

        ElfBuilder sym(String name, int type, int bind, long value, long size) {
            syms.add(new Sym(name, type, bind, value, size, 1));
            return this;
        }

        byte[] build() {
            Out o = new Out();
            o.skip(64 + 56 * phs.size());
            long[] offs = new long[phs.size()];
            for (int i = 0; i < phs.size(); i++) {
                o.align(16);
                offs[i] = o.pos();
                o.bytes(phs.get(i).bytes());
            }
            long shoff = 0;
            int shnum = 0;
            int shstrndx = 0;
            if (!syms.isEmpty()) {
                // .strtab
                o.align(8);
                long strOff = o.pos();
                ByteArrayOutputStream str = new ByteArrayOutputStream();
                str.write(0);
                int[] nameIdx = new int[syms.size()];
                for (int i = 0; i < syms.size(); i++) {
                    nameIdx[i] = str.size();
                    str.writeBytes(syms.get(i).name().getBytes(StandardCharsets.UTF_8));
                    str.write(0);
                }
                o.bytes(str.toByteArray());
                long strSize = o.pos() - strOff;
                // .symtab
                o.align(8);
                long symOff = o.pos();
                o.bytes(new byte[24]); // null symbol
                for (int i = 0; i < syms.size(); i++) {
                    Sym s = syms.get(i);
                    o.u32(nameIdx[i]);
                    o.u8((s.bind() << 4) | s.type());
                    o.u8(0);
                    o.u16(s.shndx());
                    o.u64(s.value());
                    o.u64(s.size());
                }
                long symSize = o.pos() - symOff;
                // .shstrtab
                long shstrOff = o.pos();
                o.bytes("\0.symtab\0.strtab\0.shstrtab\0".getBytes(StandardCharsets.US_ASCII));
                long shstrSize = o.pos() - shstrOff;
                o.align(8);
                shoff = o.pos();
                shnum = 4;
                shstrndx = 3;
                o.bytes(new byte[64]); // SHN_UNDEF
                shdr(o, 1, ElfImage.SHT_SYMTAB, symOff, symSize, 2, 24);
                shdr(o, 9, ElfImage.SHT_STRTAB, strOff, strSize, 0, 0);
                shdr(o, 17, ElfImage.SHT_STRTAB, shstrOff, shstrSize, 0, 0);
            }
            byte[] b = o.toByteArray();
            // ELF header
            b[0] = 0x7f;
            b[1] = 'E';
            b[2] = 'L';
            b[3] = 'F';
            b[4] = (byte) elfClass;
            b[5] = (byte) dataEnc;
            b[6] = (byte) identVersion;
            put16(b, 0x10, type);
            put16(b, 0x12, machine);
            put32(b, 0x14, 1);
            put64(b, 0x18, entry);
            put64(b, 0x20, 64);
            put64(b, 0x28, shoff);
            put16(b, 0x34, 64);
            put16(b, 0x36, 56);
            put16(b, 0x38, phs.size());
            put16(b, 0x3a, 64);
            put16(b, 0x3c, shnum);
            put16(b, 0x3e, shstrndx);
            for (int i = 0; i < phs.size(); i++) {
                Ph p = phs.get(i);
                int at = 64 + 56 * i;
                put32(b, at, p.type());
                put32(b, at + 4, p.flags());
                put64(b, at + 8, offs[i]);
                put64(b, at + 16, p.vaddr());
                put64(b, at + 24, p.vaddr());
                put64(b, at + 32, p.bytes().length);
                put64(b, at + 40, p.memSize());
                // p_align 16 where vaddr and offset agree modulo 16 (as a linker writes), else 1
                put64(b, at + 48, ((p.vaddr() - offs[i]) & 15) == 0 ? 16 : 1);
            }
            return b;
        }

        private static void shdr(Out o, int name, int type, long off, long size, int link, int entsize) {
            o.u32(name);
            o.u32(type);
            o.u64(0);
            o.u64(0);
            o.u64(off);
            o.u64(size);
            o.u32(link);
            o.u32(0);
            o.u64(8);
            o.u64(entsize);
        }
    }

    static final class Out extends ByteArrayOutputStream {
        long pos() {
            return size();
        }

        void skip(int n) {
            writeBytes(new byte[n]);
        }

        void align(int a) {
            while (size() % a != 0) write(0);
        }

        void bytes(byte[] b) {
            writeBytes(b);
        }

        void u8(int v) {
            write(v);
        }

        void u16(int v) {
            u8(v & 0xff);
            u8((v >>> 8) & 0xff);
        }

        void u32(long v) {
            u16((int) v & 0xffff);
            u16((int) (v >>> 16) & 0xffff);
        }

        void u64(long v) {
            u32(v & 0xffffffffL);
            u32(v >>> 32);
        }
    }

    static void put16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }

    static void put32(byte[] b, int at, long v) {
        for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    static void put64(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    /** Offset of field {@code field} in program header {@code i}. */
    static int ph(int i, int field) {
        return 64 + 56 * i + field;
    }

    static byte[] text() {
        byte[] t = new byte[0x100];
        for (int i = 0; i < t.length; i++) t[i] = (byte) (i * 7 + 1);
        return t;
    }

    /** Text (r-x, with symbols) at TEXT and data+bss (rw-) at DATA. */
    static ElfBuilder standard() {
        return new ElfBuilder()
                .load(ElfImage.PF_R | ElfImage.PF_X, TEXT, text(), 0x100)
                .load(ElfImage.PF_R | ElfImage.PF_W, DATA, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 0x1000)
                .sym("_start", ElfImage.STT_NOTYPE, 1, TEXT, 0)
                .sym("main", ElfImage.STT_FUNC, 1, TEXT + 0x20, 0x40)
                .sym("kv_put", ElfImage.STT_FUNC, 1, TEXT + 0x60, 0x30)
                .sym("helper", ElfImage.STT_FUNC, 0, TEXT + 0xa0, 0)
                .sym("table", ElfImage.STT_OBJECT, 1, DATA + 0x10, 0x20)
                .sym("file.c", 4 /* STT_FILE */, 0, 0, 0)
                .sym("$x", ElfImage.STT_NOTYPE, 0, TEXT + 0x20, 0);
    }

    static byte[] valid() {
        return standard().build();
    }

    static ElfException rejects(byte[] b) {
        return assertThrows(ElfException.class, () -> ElfImage.parse(b, "t.elf"));
    }

    static void assertRejected(byte[] b, String... phrases) {
        ElfException e = rejects(b);
        assertTrue(e.getMessage().startsWith("t.elf: "), e.getMessage());
        assertEquals("t.elf", e.fileName());
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Valid files

    @Test
    void parsesValidImage() throws ElfException {
        ElfImage img = ElfImage.parse(valid(), "t.elf");
        assertEquals("t.elf", img.name());
        assertEquals(TEXT, img.entry());
        List<Segment> segs = img.segments();
        assertEquals(2, segs.size());

        Segment t = segs.get(0);
        assertEquals(TEXT, t.vaddr());
        assertEquals(0x100, t.memSize());
        assertEquals(0x100, t.fileSize());
        assertTrue(t.read());
        assertFalse(t.write());
        assertTrue(t.exec());
        assertEquals("r-x", t.flags());
        assertEquals(TEXT + 0x100, t.end());
        assertArrayEquals(text(), img.segmentBytes(t));

        Segment d = segs.get(1);
        assertEquals(DATA, d.vaddr());
        assertEquals(0x1000, d.memSize());
        assertEquals(8, d.fileSize());
        assertEquals("rw-", d.flags());
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, img.segmentBytes(d));
        byte[] dest = new byte[12];
        assertEquals(8, img.copySegment(d, dest, 2));
        assertArrayEquals(new byte[] {0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0}, dest);

        byte[] file = img.fileBytes();
        assertEquals(img.fileSize(), file.length);
        byte[] text = Arrays.copyOfRange(file, (int) t.fileOffset(), (int) (t.fileOffset() + t.fileSize()));
        assertArrayEquals(text(), text);
    }

    @Test
    void imageIsIndependentOfCallerArray() throws ElfException {
        byte[] b = valid();
        ElfImage img = ElfImage.parse(b, "t.elf");
        Segment t = img.segments().get(0);
        Arrays.fill(b, (byte) 0);
        assertArrayEquals(text(), img.segmentBytes(t));
        img.fileBytes()[0] = 0;
        assertEquals(0x7f, img.fileBytes()[0]);
    }

    @Test
    void symbolsAndDescribe() throws ElfException {
        ElfImage img = ElfImage.parse(valid(), "t.elf");
        assertTrue(img.hasSymbols());
        assertEquals(OptionalLong.of(TEXT + 0x20), img.symbol("main"));
        assertEquals(OptionalLong.of(TEXT), img.symbol("_start"));
        assertEquals(OptionalLong.of(DATA + 0x10), img.symbol("table"));
        assertEquals(OptionalLong.empty(), img.symbol("nope"));
        assertEquals(OptionalLong.empty(), img.symbol("file.c"), "STT_FILE is not a symbol");
        assertEquals(OptionalLong.empty(), img.symbol("$x"), "local NOTYPE mapping symbol is skipped");

        assertEquals("main", img.describe(TEXT + 0x20));
        assertEquals("main+0x1c", img.describe(TEXT + 0x3c));
        assertEquals("main+0x3f", img.describe(TEXT + 0x5f));
        assertEquals("kv_put+0x1c", img.describe(TEXT + 0x7c));
        assertEquals("_start+0x4", img.describe(TEXT + 0x4), "size-less global label in code");
        // past the end of sized kv_put (0x60..0x90): nearest preceding symbol is sized, so no name
        assertEquals("0x10094", img.describe(TEXT + 0x94));
        // size-less local function reaches up to 64 KiB, but not further
        assertEquals("helper+0x10", img.describe(TEXT + 0xb0));
        assertEquals("helper+0xff5f", img.describe(TEXT + 0xa0 + 0xff5f));
        assertEquals("table+0x4", img.describe(DATA + 0x14));
        assertEquals("0x20030", img.describe(DATA + 0x30), "past the end of a sized object");
        assertEquals("0x0", img.describe(0));
        assertEquals("0xffffffffffffffff", img.describe(-1L));
        assertEquals("0xfff0", img.describe(TEXT - 0x10));
    }

    @Test
    void unsizedFunctionReachesAtMost64K() throws ElfException {
        ElfBuilder b = new ElfBuilder()
                .load(ElfImage.PF_R | ElfImage.PF_X, TEXT, new byte[16], 0x30000)
                .sym("blob", ElfImage.STT_FUNC, 1, TEXT + 8, 0);
        ElfImage img = ElfImage.parse(b.build(), "t.elf");
        assertEquals("blob+0xffff", img.describe(TEXT + 8 + 0xffff));
        assertEquals("0x20008", img.describe(TEXT + 8 + 0x10000));
        assertEquals("0x10007", img.describe(TEXT + 7));
    }

    @Test
    void describeWithManySymbolsUsesNearest() throws ElfException {
        ElfBuilder b = new ElfBuilder().load(ElfImage.PF_R | ElfImage.PF_X, TEXT, new byte[0x4000], 0x4000);
        for (int i = 0; i < 1000; i++) {
            b.sym("f" + i, ElfImage.STT_FUNC, 1, TEXT + 16L * i, 12);
        }
        ElfImage img = ElfImage.parse(b.build(), "t.elf");
        assertEquals(1000, img.symbols().size());
        for (int i = 0; i < 1000; i += 37) {
            assertEquals("f" + i + "+0x8", img.describe(TEXT + 16L * i + 8));
            assertEquals("0x" + Long.toHexString(TEXT + 16L * i + 12), img.describe(TEXT + 16L * i + 12));
        }
    }

    @Test
    void noSectionHeadersMeansNoSymbols() throws ElfException {
        ElfImage img =
                ElfImage.parse(new ElfBuilder().load(5, TEXT, text(), 0x100).build(), "t.elf");
        assertFalse(img.hasSymbols());
        assertTrue(img.symbols().isEmpty());
        assertEquals(OptionalLong.empty(), img.symbol("main"));
        assertEquals("0x10010", img.describe(TEXT + 0x10));
    }

    @Test
    void brokenSectionTableMeansNoSymbolsNotAnError() throws ElfException {
        byte[] b = valid();
        put64(b, 0x28, 0x7fff_ffff_0000L); // e_shoff far out of the file
        ElfImage img = ElfImage.parse(b, "t.elf");
        assertFalse(img.hasSymbols());
        assertEquals(2, img.segments().size());

        byte[] c = valid();
        put16(c, 0x3c, 0xffff); // e_shnum too large for the file
        assertFalse(ElfImage.parse(c, "t.elf").hasSymbols());

        byte[] e = valid();
        put16(e, 0x3a, 40); // e_shentsize wrong
        assertFalse(ElfImage.parse(e, "t.elf").hasSymbols());
    }

    @Test
    void oddEntryInsideExecutableSegmentIsAllowed() throws ElfException {
        ElfBuilder b = standard();
        b.entry = TEXT + 0x21;
        assertEquals(TEXT + 0x21, ElfImage.parse(b.build(), "t.elf").entry());
    }

    @Test
    void nonLoadHeadersAndEmptyLoadsAreIgnored() throws ElfException {
        ElfBuilder b = standard();
        b.ph(0x6474e551 /* PT_GNU_STACK */, 0, new byte[0]);
        b.ph(0x70000003 /* PT_RISCV_ATTRIBUTES */, 0, new byte[] {0x41, 0x10});
        b.load(ElfImage.PF_R, TEXT + 0x50, new byte[0], 0); // empty, inside text: not an overlap
        ElfImage img = ElfImage.parse(b.build(), "t.elf");
        assertEquals(2, img.segments().size());
    }

    @Test
    void adjacentSegmentsDoNotOverlap() throws ElfException {
        ElfBuilder b = new ElfBuilder().load(5, TEXT, text(), 0x100).load(6, TEXT + 0x100, new byte[4], 0x10);
        assertEquals(2, ElfImage.parse(b.build(), "t.elf").segments().size());
    }

    @Test
    void segmentAtTopOfAddressSpace() throws ElfException {
        ElfBuilder b = new ElfBuilder().load(5, -0x1000L - 0x100, text(), 0x100);
        b.entry = -0x1000L - 0x100;
        ElfImage img = ElfImage.parse(b.build(), "t.elf");
        assertTrue(img.segments().get(0).contains(-0x1000L - 1));
        assertFalse(img.segments().get(0).contains(-0x1000L));
    }

    // ------------------------------------------------------------------------------------------
    // Malformed files

    @Test
    void rejectsNonElf() {
        assertRejected(new byte[0], "empty file (0 bytes), not an ELF executable");
        assertRejected(new byte[] {0x7f, 'E', 'L'}, "not an ELF file (bad magic");
        assertRejected(
                "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.US_ASCII), "not an ELF file (bad magic 0x23212f62");
        ElfException e = assertThrows(ElfException.class, () -> ElfImage.parse(new byte[10], "kv_server.elf"));
        assertTrue(e.getMessage().startsWith("kv_server.elf: not an ELF file (bad magic"), e.getMessage());
        assertThrows(ElfException.class, () -> ElfImage.parse(null, "x.elf"));
    }

    @Test
    void rejectsTruncatedHeader() {
        assertRejected(Arrays.copyOf(valid(), 40), "truncated ELF header", "0x28");
    }

    @Test
    void rejectsWrongClassEncodingVersion() {
        ElfBuilder b = standard();
        b.elfClass = 1;
        assertRejected(b.build(), "not a 64-bit ELF file (EI_CLASS=0x1, ELFCLASS32)");
        b = standard();
        b.dataEnc = 2;
        assertRejected(b.build(), "not little-endian (EI_DATA=0x2, big-endian)");
        b = standard();
        b.identVersion = 7;
        assertRejected(b.build(), "unsupported ELF version (EI_VERSION=0x7)");
        byte[] v = valid();
        put32(v, 0x14, 0x22);
        assertRejected(v, "unsupported ELF version (e_version=0x22)");
    }

    @Test
    void rejectsWrongType() {
        ElfBuilder b = standard();
        b.type = 3;
        assertRejected(
                b.build(),
                "not an executable (e_type=0x3, ET_DYN",
                "expected ET_EXEC (2) (link it static and without -pie");
        b.type = 1;
        assertRejected(b.build(), "e_type=0x1, ET_REL");
    }

    @Test
    void aHostCompilersPieIsReportedByItsMachine() {
        // (what `gcc hello.c` on the host makes: an x86-64 ET_DYN; it was "not an executable")
        ElfBuilder b = standard();
        b.type = 3;
        b.machine = 62;
        assertRejected(b.build(), "is for machine x86-64 (e_machine=62)", "guest/sdk/README.md");
    }

    @Test
    void acceptsBothMachinesAndSaysWhich() throws Exception {
        ElfBuilder b = standard();
        assertEquals(ElfImage.EM_RISCV, ElfImage.parse(b.build(), "rv").machine());
        b.machine = ElfImage.EM_AARCH64;
        assertEquals(ElfImage.EM_AARCH64, ElfImage.parse(b.build(), "arm").machine());
    }

    @Test
    void rejectsWrongMachine() {
        int[][] cases = {{62, 0}, {40, 2}, {3, 3}, {999, 4}};
        String[] names = {"x86-64", "AArch64", "ARM", "i386", "unknown"};
        for (int[] c : cases) {
            ElfBuilder b = standard();
            b.machine = c[0];
            assertRejected(
                    b.build(),
                    "is for machine " + names[c[1]] + " (e_machine=" + c[0]
                            + "), expected RISC-V (243) or AArch64 (183)");
        }
    }

    @Test
    void rejectsBadProgramHeaderTable() {
        byte[] b = valid();
        put16(b, 0x36, 32);
        assertRejected(b, "e_phentsize=0x20", "expected 0x38");
        b = valid();
        put16(b, 0x38, 0);
        assertRejected(b, "no program headers (e_phnum=0x0)");
        b = valid();
        put16(b, 0x38, 0xffff);
        assertRejected(b, "e_phnum=0xffff");
        b = valid();
        put16(b, 0x38, 900);
        assertRejected(b, "program header table out of bounds", "e_phnum=0x384");
        b = valid();
        put64(b, 0x20, 0xffff_ffff_ffff_fff0L);
        assertRejected(b, "program header table out of bounds (e_phoff=0xfffffffffffffff0");
        b = valid();
        put64(b, 0x20, b.length - 10);
        assertRejected(b, "program header table out of bounds");
    }

    @Test
    void aRiscvImageBuiltForTheFpuLoadsAndOneBuiltForMoreIsRefused() throws ElfException {
        byte[] b = valid();
        put32(b, 0x30, 0x5); // e_flags: RVC, double-float ABI
        assertTrue(ElfImage.parse(b, "t.elf").usesFloatingPoint(), "the loader turns the FPU on for it");
        put32(b, 0x30, 0x3); // RVC, single-float ABI
        assertTrue(ElfImage.parse(b, "t.elf").usesFloatingPoint());
        put32(b, 0x30, 0x1); // RVC, soft-float
        assertFalse(ElfImage.parse(b, "t.elf").usesFloatingPoint());
        put32(b, 0x30, 0x7); // RVC, quad-float ABI
        assertRejected(b, "quad-float ABI (e_flags=0x7)", "rv64imafdc", "-march=rv64imafdc -mabi=lp64d");
        b = valid();
        put16(b, 0x12, ElfImage.EM_AARCH64);
        put32(b, 0x30, 0x5); // not RISC-V's flags: AArch64 always has FP/SIMD
        assertFalse(ElfImage.parse(b, "t.elf").usesFloatingPoint());
    }

    @Test
    void theIsaStringNamesTheFloatingPointExtensions() {
        assertEquals("F+D", ElfImage.floatingPointExtensions("rv64i2p1_m2p0_a2p1_f2p2_d2p2_c2p0_zicsr2p0"));
        assertEquals("F+D", ElfImage.floatingPointExtensions("rv64imafdc"));
        assertEquals("G", ElfImage.floatingPointExtensions("RV64GC"));
        assertEquals("zfhmin", ElfImage.floatingPointExtensions("rv64i2p1_zfhmin1p0"));
        assertEquals(null, ElfImage.floatingPointExtensions("rv64i2p1_m2p0_a2p1_c2p0_zicsr2p0_zifencei2p0"));
        assertEquals(null, ElfImage.floatingPointExtensions("rv64imac"));
        assertEquals(
                null, ElfImage.floatingPointExtensions("rv64i2p0_m2p0_a2p0_c2p0_zdinx1p0"), "in integer registers");
        assertEquals(null, ElfImage.floatingPointExtensions("not an isa"));
    }

    @Test
    void theArchIsReadFromAnAttributesSection() {
        // 'A' was skipped; subsection: length, "riscv\0", Tag_File (1) + size, then
        // Tag_RISCV_stack_align (4) = 16 (ULEB128), Tag_RISCV_arch (5) = "rv64imafdc\0"
        byte[] arch = "rv64imafdc\0".getBytes(StandardCharsets.US_ASCII);
        int fileSize = 5 + 2 + 1 + arch.length;
        int len = 4 + 6 + fileSize;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {(byte) len, 0, 0, 0});
        o.writeBytes("riscv\0".getBytes(StandardCharsets.US_ASCII));
        o.writeBytes(new byte[] {1, (byte) fileSize, 0, 0, 0, 4, 16, 5});
        o.writeBytes(arch);
        byte[] b = o.toByteArray();
        assertEquals("rv64imafdc", ElfImage.attributeArch(b, 0, b.length));
        assertEquals(null, ElfImage.attributeArch(b, 0, b.length - 3), "truncated: no arch, no exception");
        b[0] = (byte) 0xff;
        assertEquals(null, ElfImage.attributeArch(b, 0, b.length), "a length past the end");
    }

    @Test
    void rejectsBadLoadSegments() throws ElfException {
        byte[] b = valid();
        put64(b, ph(1, 32), 0x2000); // filesz > memsz
        assertRejected(b, "PT_LOAD segment 1 (p_vaddr=0x20000) has p_filesz=0x2000 larger than p_memsz=0x1000");

        b = valid();
        put64(b, ph(0, 32), 0x10000); // filesz beyond file
        put64(b, ph(0, 40), 0x10000);
        assertRejected(b, "PT_LOAD segment 0", "beyond the end of the file", "p_filesz=0x10000");

        b = valid();
        put64(b, ph(0, 8), 0xffff_ffff_ffff_ff00L); // offset + filesz overflows
        assertRejected(b, "beyond the end of the file", "p_offset=0xffffffffffffff00");

        b = valid();
        put64(b, ph(1, 16), 0xffff_ffff_ffff_f800L); // vaddr + memsz wraps
        assertRejected(b, "wraps around the address space", "p_vaddr=0xfffffffffffff800", "p_memsz=0x1000");

        b = valid();
        put64(b, ph(1, 16), DATA + 3); // moved after linking: its bytes would land 3 bytes off
        assertRejected(b, "PT_LOAD segment 1 (p_vaddr=0x20003)", "differ modulo p_align=0x10", "congruent");
        put64(b, ph(1, 48), 1); // ...unless the file asks for no alignment (as ld -N may)
        assertEquals(DATA + 3, ElfImage.parse(b, "t.elf").segments().get(1).vaddr());

        b = valid();
        put64(b, ph(1, 16), 0xffff_ffff_ffff_f000L); // end would be exactly 2^64
        assertRejected(b, "wraps around the address space");

        b = valid();
        put64(b, ph(1, 40), (1L << 30) + 1); // memsz over 1 GiB
        assertRejected(b, "too large (p_memsz=0x40000001");

        b = valid();
        put64(b, ph(1, 40), -1L);
        assertRejected(b, "too large (p_memsz=0xffffffffffffffff");
    }

    @Test
    void rejectsOverlappingSegments() {
        ElfBuilder b = new ElfBuilder().load(5, TEXT, text(), 0x100).load(6, TEXT + 0xff, new byte[4], 0x10);
        assertRejected(b.build(), "PT_LOAD segments overlap: 0x10000..0x10100 and 0x100ff..0x1010f");
        // contained entirely, listed first
        b = new ElfBuilder().load(6, TEXT + 0x10, new byte[4], 0x10).load(5, TEXT, text(), 0x100);
        assertRejected(b.build(), "PT_LOAD segments overlap");
    }

    @Test
    void rejectsTooManyLoadSegments() throws ElfException {
        ElfBuilder ok = new ElfBuilder().load(5, TEXT, text(), 0x100);
        for (int i = 1; i < ElfImage.MAX_LOAD_SEGMENTS; i++) {
            ok.load(6, DATA + i * 0x1000L, new byte[4], 0x10);
        }
        assertEquals(
                ElfImage.MAX_LOAD_SEGMENTS,
                ElfImage.parse(ok.build(), "ok.elf").segments().size());
        ok.load(6, DATA + 0x1000_000L, new byte[4], 0x10);
        assertRejected(ok.build(), "more than " + ElfImage.MAX_LOAD_SEGMENTS + " PT_LOAD segments");
    }

    @Test
    void rejectsMissingLoad() {
        byte[] b = valid();
        put32(b, ph(0, 0), 4); // PT_NOTE
        put32(b, ph(1, 0), 4);
        assertRejected(b, "no non-empty PT_LOAD segment");
        ElfBuilder e = new ElfBuilder().load(5, TEXT, new byte[0], 0);
        assertRejected(e.build(), "no non-empty PT_LOAD segment");
    }

    @Test
    void rejectsInterp() {
        ElfBuilder b = standard().ph(ElfImage.PT_INTERP, 0, "/lib/ld.so\0".getBytes(StandardCharsets.US_ASCII));
        assertRejected(b.build(), "PT_INTERP", "dynamic loader");
    }

    @Test
    void rejectsBadEntry() {
        ElfBuilder b = standard();
        b.entry = 0x5000;
        assertRejected(b.build(), "entry point 0x5000 is not inside an executable segment");
        b.entry = DATA + 4;
        assertRejected(
                b.build(),
                "entry point 0x20004 is not inside an executable segment (it lies in rw- segment 0x20000..0x21000)");
        b.entry = TEXT + 0x100; // one past the end
        assertRejected(b.build(), "entry point 0x10100");
    }

    // ------------------------------------------------------------------------------------------
    // Fuzzing: a hostile file may only ever produce ElfException

    @Test
    void mutatedFilesOnlyEverThrowElfException() {
        byte[] base = valid();
        Random rnd = new Random(0x5eed_e1f);
        int ok = 0, rejected = 0;
        for (int iter = 0; iter < 20_000; iter++) {
            byte[] b = mutate(base, rnd);
            try {
                ElfImage img = ElfImage.parse(b, "fuzz.elf");
                ok++;
                // a successfully parsed image must be fully usable
                assertFalse(img.segments().isEmpty());
                assertTrue(img.segments().stream().anyMatch(s -> s.exec() && s.contains(img.entry())));
                for (Segment s : img.segments()) {
                    assertEquals(s.fileSize(), img.segmentBytes(s).length);
                    assertTrue(Long.compareUnsigned(s.fileSize(), s.memSize()) <= 0);
                    assertNotNull(img.describe(s.vaddr()));
                    assertNotNull(img.describe(s.vaddr() + s.memSize() / 2));
                }
                assertNotNull(img.describe(img.entry()));
                assertNotNull(img.describe(rnd.nextLong()));
                img.symbol("main");
            } catch (ElfException e) {
                rejected++;
                assertTrue(e.getMessage().startsWith("fuzz.elf: "), e.getMessage());
            } catch (RuntimeException | AssertionError e) {
                fail("iteration " + iter + ": unexpected " + e, e);
            }
        }
        assertTrue(ok > 100, "too few mutations survived: " + ok);
        assertTrue(rejected > 100, "too few mutations rejected: " + rejected);
    }

    private static byte[] mutate(byte[] base, Random rnd) {
        byte[] b = base.clone();
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
            switch (rnd.nextInt(7)) {
                case 0 -> { // flip a bit anywhere
                    int i = rnd.nextInt(b.length);
                    b[i] ^= (byte) (1 << rnd.nextInt(8));
                }
                case 1 -> b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                case 2 -> { // random byte in the headers, where it hurts most
                    int i = rnd.nextInt(Math.min(b.length, 64 + 56 * 2));
                    b[i] = (byte) rnd.nextInt(256);
                }
                case 3 -> { // a 64-bit field of the ELF or program headers set to something nasty
                    int lim = Math.min(b.length, 64 + 56 * 2) - 8;
                    if (lim > 0) {
                        int i = rnd.nextInt(lim) & ~7;
                        put64(b, i, nasty(rnd));
                    }
                }
                case 4 -> { // a 64-bit field in the section headers / symbol table area
                    int from = Math.min(b.length - 8, 64 + 56 * 2 + 0x108);
                    if (from > 0 && b.length - 8 > from) {
                        int i = from + rnd.nextInt(b.length - 8 - from);
                        if (rnd.nextBoolean()) {
                            put64(b, i, nasty(rnd));
                        } else {
                            put32(b, i, nasty(rnd));
                        }
                    }
                }
                case 5 -> b = Arrays.copyOf(b, rnd.nextInt(b.length + 1)); // truncate
                default -> b = Arrays.copyOf(b, b.length + rnd.nextInt(64)); // extend with zeros
            }
            if (b.length == 0) {
                break;
            }
        }
        return b;
    }

    private static long nasty(Random rnd) {
        return switch (rnd.nextInt(8)) {
            case 0 -> -1L;
            case 1 -> Long.MIN_VALUE;
            case 2 -> Long.MAX_VALUE;
            case 3 -> 0;
            case 4 -> 0x8000_0000L;
            case 5 -> rnd.nextInt(0x400);
            case 6 -> -rnd.nextInt(0x400);
            default -> rnd.nextLong();
        };
    }

    // ------------------------------------------------------------------------------------------
    // The real guest image, when `make -C guest` has built it

    @Test
    void parsesGuestHelloElfWhenBuilt() throws IOException, ElfException {
        Path p = findGuestImage("hello.elf");
        Assumptions.assumeTrue(p != null, "guest/build/image/hello.elf not built; skipping");
        ElfImage img = ElfImage.parse(Files.readAllBytes(p), "hello.elf");
        assertFalse(img.segments().isEmpty());
        assertTrue(img.segments().stream().anyMatch(s -> s.exec() && s.contains(img.entry())));
        assertTrue(img.hasSymbols(), "hello.elf should keep its .symtab");
        OptionalLong main = img.symbol("main");
        assertTrue(main.isPresent(), "hello.elf defines main");
        assertTrue(img.segments().stream().anyMatch(s -> s.exec() && s.contains(main.getAsLong())));
        assertEquals("main", img.describe(main.getAsLong()));
        assertTrue(img.describe(main.getAsLong() + 2).startsWith("main+0x2"), img.describe(main.getAsLong() + 2));
    }

    private static Path findGuestImage(String file) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("guest").resolve("build").resolve("image").resolve(file);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }
}
