package dev.rewind.hw.cpu;

import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.Perm;

/**
 * Finds the instruction that caused a data-memory fault.
 *
 * <p>Unicorn 2.0.1 reports the PC of a faulting load or store as the start of its translation
 * block, not the instruction itself. A block is straight-line code that ends at the first
 * branch, jump or system instruction, and the registers at the fault hold the values the
 * faulting instruction used (it did not complete). So we decode forward from the block start
 * and pick the first load/store whose effective address, computed from the current registers,
 * covers the faulting address. An earlier access in the block could match only if its base
 * register was changed after it to exactly the faulting address's base: rare, and the worst
 * case names an instruction a few bytes early in the same block.
 */
public final class FaultLocator {
    private static final int MAX_SCAN = 512;

    private FaultLocator() {}

    /**
     * @param regs x0..x31 at the fault
     * @param write true for a store fault, false for a load fault
     * @return the faulting instruction's address, or {@code blockPc} if none matches
     */
    public static long locate(AddressSpace mem, long blockPc, long[] regs, long faultAddr, boolean write) {
        long pc = blockPc;
        for (int n = 0; n < MAX_SCAN; n++) {
            if (mem.translate(pc, 2, Perm.EXEC) < 0) {
                break;
            }
            int lo = (int) mem.load(pc, 2, Perm.EXEC);
            int insn;
            int len;
            if ((lo & 3) == 3) {
                if (mem.translate(pc, 4, Perm.EXEC) < 0) {
                    break;
                }
                insn = (int) mem.load(pc, 4, Perm.EXEC);
                len = 4;
            } else {
                insn = lo;
                len = 2;
            }
            long[] access = len == 4 ? decode32(insn, regs) : decode16(insn, regs);
            if (access == null) {
                break; // control transfer: the block ends here
            }
            // access = {kind, address, size}; kind 0 none, 1 load, 2 store, 3 both
            int kind = (int) access[0];
            boolean kindMatches = write ? (kind & 2) != 0 : (kind & 1) != 0;
            if (kindMatches && Long.compareUnsigned(faultAddr - access[1], access[2]) < 0) {
                return pc;
            }
            pc += len;
        }
        return blockPc;
    }

    private static final long[] NONE = {0, 0, 0};

    private static long[] mem(int kind, long addr, int size) {
        return new long[] {kind, addr, size};
    }

    private static long[] decode32(int insn, long[] regs) {
        int opcode = insn & 0x7f;
        int funct3 = (insn >>> 12) & 7;
        long base = regs[(insn >>> 15) & 31];
        switch (opcode) {
            case 0x03: { // LOAD
                int size = 1 << (funct3 & 3);
                return mem(1, base + (insn >> 20), size);
            }
            case 0x07: // LOAD-FP
                return mem(1, base + (insn >> 20), funct3 == 2 ? 4 : 8);
            case 0x23: { // STORE
                long imm = ((insn >> 25) << 5) | ((insn >>> 7) & 31);
                return mem(2, base + imm, 1 << (funct3 & 3));
            }
            case 0x27: {
                long imm = ((insn >> 25) << 5) | ((insn >>> 7) & 31);
                return mem(2, base + imm, funct3 == 2 ? 4 : 8);
            }
            case 0x2f: // AMO, LR, SC
                return mem(3, base, funct3 == 2 ? 4 : 8);
            case 0x63: case 0x67: case 0x6f: case 0x73:
                return null;
            default:
                return NONE;
        }
    }

    private static long[] decode16(int insn, long[] regs) {
        int op = insn & 3;
        int funct3 = (insn >>> 13) & 7;
        int rsPrime = 8 + ((insn >>> 7) & 7);
        if (op == 0) {
            long ldImm = (((insn >>> 10) & 7) << 3) | (((insn >>> 5) & 3) << 6);
            long lwImm = (((insn >>> 10) & 7) << 3) | (((insn >>> 6) & 1) << 2) | (((insn >>> 5) & 1) << 6);
            return switch (funct3) {
                case 1, 3 -> mem(1, regs[rsPrime] + ldImm, 8);  // c.fld, c.ld
                case 2 -> mem(1, regs[rsPrime] + lwImm, 4);     // c.lw
                case 5, 7 -> mem(2, regs[rsPrime] + ldImm, 8);  // c.fsd, c.sd
                case 6 -> mem(2, regs[rsPrime] + lwImm, 4);     // c.sw
                default -> NONE;
            };
        }
        if (op == 1) {
            return (funct3 == 5 || funct3 == 6 || funct3 == 7) ? null : NONE; // c.j, c.beqz, c.bnez
        }
        long sp = regs[2];
        switch (funct3) {
            case 1: case 3: { // c.fldsp, c.ldsp
                long imm = (((insn >>> 12) & 1) << 5) | (((insn >>> 5) & 3) << 3) | (((insn >>> 2) & 7) << 6);
                return mem(1, sp + imm, 8);
            }
            case 2: { // c.lwsp
                long imm = (((insn >>> 12) & 1) << 5) | (((insn >>> 4) & 7) << 2) | (((insn >>> 2) & 3) << 6);
                return mem(1, sp + imm, 4);
            }
            case 4: { // c.jr / c.jalr / c.ebreak end a block; c.mv / c.add do not
                int rs2 = (insn >>> 2) & 31;
                return rs2 == 0 ? null : NONE;
            }
            case 5: case 7: { // c.fsdsp, c.sdsp
                long imm = (((insn >>> 10) & 7) << 3) | (((insn >>> 7) & 7) << 6);
                return mem(2, sp + imm, 8);
            }
            case 6: { // c.swsp
                long imm = (((insn >>> 9) & 15) << 2) | (((insn >>> 7) & 3) << 6);
                return mem(2, sp + imm, 4);
            }
            default:
                return NONE;
        }
    }
}
