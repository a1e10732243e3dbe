package dev.rewind.kernel.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny RV64 assembler for the fuzzer: instruction encoders, a code buffer with a literal pool
 * (64-bit constants loaded with {@code auipc; ld}) and jumps to marks resolved at the end, and
 * a writer of a static ELF64 executable (text RX at {@link #TEXT}, data RW after it).
 */
final class RvAsm {
    static final long TEXT = 0x10000;
    static final int PAGE = 0x1000;

    // registers
    static final int ZERO = 0,
            RA = 1,
            SP = 2,
            T0 = 5,
            T1 = 6,
            T2 = 7,
            S0 = 8,
            S1 = 9,
            A0 = 10,
            A1 = 11,
            A2 = 12,
            A3 = 13,
            A4 = 14,
            A5 = 15,
            A6 = 16,
            A7 = 17,
            T3 = 28,
            T4 = 29,
            T5 = 30,
            T6 = 31;

    // ---- encoders ----------------------------------------------------------------------------

    static int r(int f7, int rs2, int rs1, int f3, int rd, int op) {
        return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
    }

    static int i(int imm, int rs1, int f3, int rd, int op) {
        return ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
    }

    static int s(int imm, int rs2, int rs1, int f3, int op) {
        return (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op;
    }

    static int b(int imm, int rs2, int rs1, int f3) {
        return (((imm >> 12) & 1) << 31)
                | (((imm >> 5) & 0x3f) << 25)
                | (rs2 << 20)
                | (rs1 << 15)
                | (f3 << 12)
                | (((imm >> 1) & 0xf) << 8)
                | (((imm >> 11) & 1) << 7)
                | 0x63;
    }

    static int u(int imm20, int rd, int op) {
        return (imm20 << 12) | (rd << 7) | op;
    }

    static int j(int imm, int rd) {
        return (((imm >> 20) & 1) << 31)
                | (((imm >> 1) & 0x3ff) << 21)
                | (((imm >> 11) & 1) << 20)
                | (((imm >> 12) & 0xff) << 12)
                | (rd << 7)
                | 0x6f;
    }

    static int addi(int rd, int rs1, int imm) {
        return i(imm, rs1, 0, rd, 0x13);
    }

    static int jalr(int rd, int rs1, int imm) {
        return i(imm, rs1, 0, rd, 0x67);
    }

    static final int ECALL = 0x00000073;
    static final int EBREAK = 0x00100073;

    // ---- the code buffer ---------------------------------------------------------------------

    private final ByteArrayOutputStream code = new ByteArrayOutputStream();
    private final List<Long> pool = new ArrayList<>();
    /** auipc+ld pairs: code offset of the auipc, pool index. */
    private final List<int[]> poolRefs = new ArrayList<>();
    /** jumps to marks: code offset, mark index, kind (0 jal, 1 branch), rd/rs fields in the word. */
    private final List<int[]> jumps = new ArrayList<>();

    private final List<Integer> marks = new ArrayList<>();

    int offset() {
        return code.size();
    }

    void w32(int w) {
        code.write(w);
        code.write(w >> 8);
        code.write(w >> 16);
        code.write(w >> 24);
    }

    void w16(int w) {
        code.write(w);
        code.write(w >> 8);
    }

    /** rd = value (any 64-bit constant), two instructions. */
    void li(int rd, long value) {
        if (rd == ZERO) {
            rd = T0;
        }
        poolRefs.add(new int[] {offset(), pool.size(), rd});
        pool.add(value);
        w32(0); // auipc, patched
        w32(0); // ld, patched
    }

    /** rd = small constant (fits 12 bits signed), one instruction. */
    void liSmall(int rd, int value) {
        w32(addi(rd, ZERO, value));
    }

    /** A new mark at the current offset; returns its index. */
    int mark() {
        marks.add(offset());
        return marks.size() - 1;
    }

    /** A mark to be placed later with {@link #place}. */
    int newMark() {
        marks.add(-1);
        return marks.size() - 1;
    }

    void place(int mark) {
        marks.set(mark, offset());
    }

    int markCount() {
        return marks.size();
    }

    /** jal rd, mark. */
    void jal(int rd, int mark) {
        jumps.add(new int[] {offset(), mark, 0});
        w32(j(0, rd));
    }

    /** branch (funct3 f3) rs1, rs2 to mark; an out-of-range target becomes a short hop. */
    void branch(int f3, int rs1, int rs2, int mark) {
        jumps.add(new int[] {offset(), mark, 1});
        w32(b(0, rs2, rs1, f3));
    }

    /** The text bytes: code, then the literal pool (8-aligned). */
    byte[] text() {
        byte[] c = code.toByteArray();
        int poolAt = (c.length + 7) & ~7;
        byte[] t = new byte[poolAt + 8 * pool.size()];
        System.arraycopy(c, 0, t, 0, c.length);
        for (int k = 0; k < pool.size(); k++) {
            put64(t, poolAt + 8 * k, pool.get(k));
        }
        for (int[] ref : poolRefs) {
            int at = ref[0];
            int off = poolAt + 8 * ref[1] - at;
            int hi = (off + 0x800) >> 12;
            int lo = off - (hi << 12);
            int rd = ref[2];
            put32(t, at, u(hi, rd, 0x17));
            put32(t, at + 4, i(lo, rd, 3, rd, 0x03));
        }
        for (int[] jmp : jumps) {
            int at = jmp[0];
            int target = marks.get(jmp[1]);
            int off = target < 0 ? 4 : target - at;
            int w = get32(t, at);
            if (jmp[2] == 0) {
                w = j(off, (w >> 7) & 31);
            } else {
                if (off < -4096 || off >= 4096) {
                    off = (off & 0x7fe) | 2; // out of range: some short hop instead
                }
                w = b(off, (w >> 20) & 31, (w >> 15) & 31, (w >> 12) & 7);
            }
            put32(t, at, w);
        }
        return t;
    }

    // ---- ELF ---------------------------------------------------------------------------------

    /** Where the data segment goes (text must end below it, leaving unmapped pages between). */
    static final long DATA = TEXT + 0x40000;

    /** A static RISC-V ELF64 executable: text (RX) at TEXT, entry at TEXT, data (RW) at DATA. */
    static byte[] elf(byte[] text, byte[] data, long dataMemSize) {
        return elf(text, data, dataMemSize, 0);
    }

    /** As {@link #elf(byte[], byte[], long)}, plus (if {@code extra} != 0) an empty RW page at {@code extra}. */
    static byte[] elf(byte[] text, byte[] data, long dataMemSize, long extra) {
        return elf(EM_RISCV, 0x1, text, data, dataMemSize, extra); // e_flags: RVC, soft-float ABI (no FPU)
    }

    static final int EM_RISCV = 243;
    static final int EM_AARCH64 = 183;

    /** As {@link #elf(byte[], byte[], long, long)} for machine {@code machine} with {@code flags}. */
    static byte[] elf(int machine, int flags, byte[] text, byte[] data, long dataMemSize, long extra) {
        long dataVaddr = DATA;
        if (text.length > DATA - TEXT - PAGE) {
            throw new IllegalArgumentException("text too large: " + text.length);
        }
        int textOff = PAGE;
        int dataOff = textOff + ((text.length + PAGE - 1) & -PAGE);
        byte[] b = new byte[dataOff + data.length];
        b[0] = 0x7f;
        b[1] = 'E';
        b[2] = 'L';
        b[3] = 'F';
        b[4] = 2; // ELFCLASS64
        b[5] = 1; // little-endian
        b[6] = 1;
        put16(b, 0x10, 2); // ET_EXEC
        put16(b, 0x12, machine);
        put32(b, 0x14, 1);
        put64(b, 0x18, TEXT);
        put64(b, 0x20, 64);
        put32(b, 0x30, flags);
        put16(b, 0x34, 64);
        put16(b, 0x36, 56);
        put16(b, 0x38, extra != 0 ? 3 : 2);
        put16(b, 0x3a, 64);
        phdr(b, 64, 5, textOff, TEXT, text.length, text.length);
        phdr(b, 64 + 56, 6, dataOff, dataVaddr, data.length, Math.max(dataMemSize, data.length));
        if (extra != 0) {
            phdr(b, 64 + 112, 6, dataOff, extra, 0, PAGE);
        }
        System.arraycopy(text, 0, b, textOff, text.length);
        System.arraycopy(data, 0, b, dataOff, data.length);
        return b;
    }

    private static void phdr(byte[] b, int at, int flags, long off, long vaddr, long filesz, long memsz) {
        put32(b, at, 1); // PT_LOAD
        put32(b, at + 4, flags);
        put64(b, at + 8, off);
        put64(b, at + 16, vaddr);
        put64(b, at + 24, vaddr);
        put64(b, at + 32, filesz);
        put64(b, at + 40, memsz);
        put64(b, at + 48, PAGE);
    }

    static void put16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
    }

    static void put32(byte[] b, int at, int v) {
        for (int k = 0; k < 4; k++) {
            b[at + k] = (byte) (v >> (8 * k));
        }
    }

    static void put64(byte[] b, int at, long v) {
        for (int k = 0; k < 8; k++) {
            b[at + k] = (byte) (v >> (8 * k));
        }
    }

    static int get32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }
}
