package dev.rewind.hw.cpu;

import java.io.ByteArrayOutputStream;

/** A tiny RISC-V assembler for hand-built test code: emit instructions, patch labels by offset. */
final class Asm {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final long base;

    Asm(long base) {
        this.base = base;
    }

    /** The address of the next instruction. */
    long here() {
        return base + out.size();
    }

    Asm w(int insn) {
        for (int i = 0; i < 4; i++) {
            out.write(insn >>> (8 * i));
        }
        return this;
    }

    Asm h(int insn) {
        out.write(insn);
        out.write(insn >>> 8);
        return this;
    }

    /** Pad with nops (addi x0,x0,0) up to {@code addr}. */
    Asm org(long addr) {
        while (here() + 4 <= addr) {
            w(NOP);
        }
        if (here() < addr) {
            h(C_NOP);
        }
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    static final int NOP = 0x00000013;
    static final int C_NOP = 0x0001;
    static final int ECALL = 0x00000073;
    static final int EBREAK = 0x00100073;
    static final int C_EBREAK = 0x9002;
    static final int MRET = 0x30200073;

    static int addi(int rd, int rs1, int imm) {
        return ((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13;
    }

    static int lui(int rd, int imm20) {
        return (imm20 << 12) | (rd << 7) | 0x37;
    }

    static int store(int f3, int rs2, int rs1, int imm) {
        return ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | 0x23;
    }

    static int sd(int rs2, int rs1, int imm) {
        return store(3, rs2, rs1, imm);
    }

    static int sw(int rs2, int rs1, int imm) {
        return store(2, rs2, rs1, imm);
    }

    static int ld(int rd, int rs1, int imm) {
        return ((imm & 0xfff) << 20) | (rs1 << 15) | (3 << 12) | (rd << 7) | 0x03;
    }

    static int lw(int rd, int rs1, int imm) {
        return ((imm & 0xfff) << 20) | (rs1 << 15) | (2 << 12) | (rd << 7) | 0x03;
    }

    /** jal rd, to (from the instruction at {@code at}). */
    static int jal(int rd, long at, long to) {
        int off = (int) (to - at);
        return (((off >> 20) & 1) << 31)
                | (((off >> 1) & 0x3ff) << 21)
                | (((off >> 11) & 1) << 20)
                | (((off >> 12) & 0xff) << 12)
                | (rd << 7)
                | 0x6f;
    }

    static int jalr(int rd, int rs1, int imm) {
        return ((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x67;
    }

    static int branch(int f3, int rs1, int rs2, long at, long to) {
        int off = (int) (to - at);
        return (((off >> 12) & 1) << 31)
                | (((off >> 5) & 0x3f) << 25)
                | (rs2 << 20)
                | (rs1 << 15)
                | (f3 << 12)
                | (((off >> 1) & 0xf) << 8)
                | (((off >> 11) & 1) << 7)
                | 0x63;
    }

    static int beq(int rs1, int rs2, long at, long to) {
        return branch(0, rs1, rs2, at, to);
    }

    static int bne(int rs1, int rs2, long at, long to) {
        return branch(1, rs1, rs2, at, to);
    }

    static int csrrw(int rd, int csr, int rs1) {
        return (csr << 20) | (rs1 << 15) | (1 << 12) | (rd << 7) | 0x73;
    }

    static int csrrs(int rd, int csr, int rs1) {
        return (csr << 20) | (rs1 << 15) | (2 << 12) | (rd << 7) | 0x73;
    }

    /** amo (funct5) .d/.w (f3 3/2) rd, rs2, (rs1). */
    static int amo(int funct5, int f3, int rd, int rs2, int rs1) {
        return (funct5 << 27) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x2f;
    }

    static int amoaddD(int rd, int rs2, int rs1) {
        return amo(0, 3, rd, rs2, rs1);
    }

    static int lrD(int rd, int rs1) {
        return amo(2, 3, rd, 0, rs1);
    }

    static int scD(int rd, int rs2, int rs1) {
        return amo(3, 3, rd, rs2, rs1);
    }

    // ---- compressed (rd', rs' are x8..x15) ----

    /** c.lw rd', off(rs1'); off a multiple of 4 below 128. */
    static int cLw(int rd, int rs1, int off) {
        return (2 << 13)
                | (((off >> 3) & 7) << 10)
                | ((rs1 - 8) << 7)
                | (((off >> 2) & 1) << 6)
                | (((off >> 6) & 1) << 5)
                | ((rd - 8) << 2);
    }

    /** c.ld rd', off(rs1'); off a multiple of 8 below 256. */
    static int cLd(int rd, int rs1, int off) {
        return (3 << 13) | (((off >> 3) & 7) << 10) | ((rs1 - 8) << 7) | (((off >> 6) & 3) << 5) | ((rd - 8) << 2);
    }

    /** c.sd rs2', off(rs1'). */
    static int cSd(int rs2, int rs1, int off) {
        return (7 << 13) | (((off >> 3) & 7) << 10) | ((rs1 - 8) << 7) | (((off >> 6) & 3) << 5) | ((rs2 - 8) << 2);
    }

    /** c.j to. */
    static int cJ(long at, long to) {
        int off = (int) (to - at);
        int imm = (((off >> 11) & 1) << 12)
                | (((off >> 4) & 1) << 11)
                | (((off >> 8) & 3) << 9)
                | (((off >> 10) & 1) << 8)
                | (((off >> 6) & 1) << 7)
                | (((off >> 7) & 1) << 6)
                | (((off >> 1) & 7) << 3)
                | (((off >> 5) & 1) << 2);
        return (5 << 13) | imm | 1;
    }

    /** c.beqz / c.bnez rs1', to. */
    static int cBranch(boolean nez, int rs1, long at, long to) {
        int off = (int) (to - at);
        int imm = (((off >> 8) & 1) << 12)
                | (((off >> 3) & 3) << 10)
                | (((off >> 6) & 3) << 5)
                | (((off >> 1) & 3) << 3)
                | (((off >> 5) & 1) << 2);
        return ((nez ? 7 : 6) << 13) | imm | ((rs1 - 8) << 7) | 1;
    }

    /** c.jr rs1 */
    static int cJr(int rs1) {
        return (4 << 13) | (rs1 << 7) | 2;
    }

    /** c.addi rd, imm (-32..31) */
    static int cAddi(int rd, int imm) {
        return (((imm >> 5) & 1) << 12) | (rd << 7) | ((imm & 31) << 2) | 1;
    }
}
