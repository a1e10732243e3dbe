package dev.rewind.kernel.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny A64 assembler for the fuzzer, the AArch64 counterpart of {@link RvAsm}: instruction
 * encoders, a code buffer with a literal pool (64-bit constants loaded with {@code ldr xN,
 * literal}) and branches to marks resolved at the end. The ELF writer is {@link RvAsm#elf}'s
 * with EM_AARCH64. Register 31 is sp or xzr, as the instruction defines it.
 */
final class A64Asm {
    static final int SP = 31, XZR = 31, LR = 30, FP = 29;

    static final int SVC0 = 0xd4000001;
    static final int NOP = 0xd503201f;

    // ---- encoders ----------------------------------------------------------------------------

    /** movz xd, #imm16, lsl #(16 * hw). */
    static int movz(int rd, int imm16, int hw) {
        return 0xd2800000 | (hw << 21) | ((imm16 & 0xffff) << 5) | rd;
    }

    /** movn xd, #imm16: xd = ~imm16. */
    static int movn(int rd, int imm16) {
        return 0x92800000 | ((imm16 & 0xffff) << 5) | rd;
    }

    /** add/sub (immediate), 64-bit: {@code sub} selects sub; Rd/Rn 31 is sp. */
    static int addImm(boolean sub, boolean setFlags, int rd, int rn, int imm12) {
        return 0x91000000 | (sub ? 1 << 30 : 0) | (setFlags ? 1 << 29 : 0) | ((imm12 & 0xfff) << 10) | (rn << 5) | rd;
    }

    /** add/sub (shifted register), 64-bit. */
    static int addReg(boolean sub, boolean setFlags, int rd, int rn, int rm) {
        return 0x8b000000 | (sub ? 1 << 30 : 0) | (setFlags ? 1 << 29 : 0) | (rm << 16) | (rn << 5) | rd;
    }

    /** cmp xn, xm. */
    static int cmp(int rn, int rm) {
        return addReg(true, true, XZR, rn, rm);
    }

    /** mov xd, xm (orr xd, xzr, xm). */
    static int mov(int rd, int rm) {
        return 0xaa000000 | (rm << 16) | (XZR << 5) | rd;
    }

    /** ldr xt, [xn, #imm] (unsigned offset, imm a multiple of 8). */
    static int ldr(int rt, int rn, int imm) {
        return 0xf9400000 | ((imm >> 3) << 10) | (rn << 5) | rt;
    }

    /** str xt, [xn, #imm] (unsigned offset, imm a multiple of 8). */
    static int str(int rt, int rn, int imm) {
        return 0xf9000000 | ((imm >> 3) << 10) | (rn << 5) | rt;
    }

    /** A load/store of {@code size} (0..3) with an unscaled signed 9-bit offset (ldur/stur). */
    static int ldur(boolean load, int size, int rt, int rn, int simm9) {
        return 0x38000000 | (size << 30) | ((load ? 1 : 0) << 22) | ((simm9 & 0x1ff) << 12) | (rn << 5) | rt;
    }

    static int svc(int imm16) {
        return 0xd4000001 | ((imm16 & 0xffff) << 5);
    }

    static int brk(int imm16) {
        return 0xd4200000 | ((imm16 & 0xffff) << 5);
    }

    static int br(int rn) {
        return 0xd61f0000 | (rn << 5);
    }

    static int blr(int rn) {
        return 0xd63f0000 | (rn << 5);
    }

    static int ret(int rn) {
        return 0xd65f0000 | (rn << 5);
    }

    // ---- the code buffer ---------------------------------------------------------------------

    private final ByteArrayOutputStream code = new ByteArrayOutputStream();
    private final List<Long> pool = new ArrayList<>();
    /** ldr-literal words: code offset, pool index. */
    private final List<int[]> poolRefs = new ArrayList<>();
    /** branches to marks: code offset, mark index, kind (0 imm26, 1 imm19, 2 imm14). */
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

    /** xd = value (any 64-bit constant): one instruction (movz/movn or a literal load). */
    void li(int rd, long value) {
        if (rd == XZR) {
            rd = 9;
        }
        if (value >= 0 && value < 0x10000) {
            w32(movz(rd, (int) value, 0));
        } else if (value < 0 && value >= -0x10000) {
            w32(movn(rd, (int) ~value));
        } else {
            poolRefs.add(new int[] {offset(), pool.size()});
            pool.add(value);
            w32(0x58000000 | rd); // ldr xd, literal (patched)
        }
    }

    int mark() {
        marks.add(offset());
        return marks.size() - 1;
    }

    int newMark() {
        marks.add(-1);
        return marks.size() - 1;
    }

    void place(int mark) {
        marks.set(mark, offset());
    }

    /** b (or bl) to mark. */
    void b(boolean link, int mark) {
        jumps.add(new int[] {offset(), mark, 0});
        w32(link ? 0x94000000 : 0x14000000);
    }

    /** b.cond to mark. */
    void bcond(int cond, int mark) {
        jumps.add(new int[] {offset(), mark, 1});
        w32(0x54000000 | (cond & 15));
    }

    /** cbz/cbnz xt (or wt) to mark. */
    void cbz(boolean nonZero, boolean x, int rt, int mark) {
        jumps.add(new int[] {offset(), mark, 1});
        w32((x ? 0xb4000000 : 0x34000000) | (nonZero ? 1 << 24 : 0) | rt);
    }

    /** tbz/tbnz xt, #bit to mark. */
    void tbz(boolean nonZero, int rt, int bit, int mark) {
        jumps.add(new int[] {offset(), mark, 2});
        w32(0x36000000 | ((bit >> 5) << 31) | (nonZero ? 1 << 24 : 0) | ((bit & 31) << 19) | rt);
    }

    /** The text bytes: code, then the literal pool (8-aligned). */
    byte[] text() {
        byte[] c = code.toByteArray();
        int poolAt = (c.length + 7) & ~7;
        byte[] t = new byte[poolAt + 8 * pool.size()];
        System.arraycopy(c, 0, t, 0, c.length);
        for (int k = 0; k < pool.size(); k++) {
            RvAsm.put64(t, poolAt + 8 * k, pool.get(k));
        }
        for (int[] ref : poolRefs) {
            int at = ref[0];
            int off = (poolAt + 8 * ref[1] - at) >> 2;
            RvAsm.put32(t, at, RvAsm.get32(t, at) | ((off & 0x7ffff) << 5));
        }
        for (int[] jmp : jumps) {
            int at = jmp[0];
            int target = marks.get(jmp[1]);
            int off = (target < 0 ? 4 : target - at) >> 2;
            int w = RvAsm.get32(t, at);
            w = switch (jmp[2]) {
                case 0 -> w | (off & 0x3ffffff);
                case 1 -> w | ((off & 0x7ffff) << 5);
                default -> {
                    if (off < -(1 << 13) || off >= 1 << 13) {
                        off = 1; // out of range: fall through instead
                    }
                    yield w | ((off & 0x3fff) << 5);
                }
            };
            RvAsm.put32(t, at, w);
        }
        return t;
    }

    /** A static AArch64 ELF64 executable, laid out as {@link RvAsm#elf}'s. */
    static byte[] elf(byte[] text, byte[] data, long dataMemSize, long extra) {
        return RvAsm.elf(RvAsm.EM_AARCH64, 0, text, data, dataMemSize, extra);
    }

    static byte[] elf(byte[] text, byte[] data, long dataMemSize) {
        return elf(text, data, dataMemSize, 0);
    }
}
