package dev.rewind.hw.cpu;

import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.Perm;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the instruction that caused a data-memory fault, and decodes the data access of one
 * instruction.
 *
 * <p>At an invalid data access Unicorn 2.0.1 ends the run without restoring the PC, so the PC
 * read afterwards is whatever the translated code last stored there. QEMU's RISC-V translator
 * stores the PC when a block is left without a chained jump (the store after {@code goto_tb}
 * runs only while the jump is not yet linked) and always for an indirect jump ({@code jalr},
 * {@code c.jr}, {@code c.jalr}) and for system instructions that end a block. Once direct jumps
 * are chained, the PC is therefore the start of the first block entered since the last indirect
 * jump or unchained exit: possibly in the caller of the function that faulted, or before a
 * taken branch (RiscvFaultPcTest measures this). The general registers, on the other hand, are
 * exact: they hold what the faulting instruction used, as it did not complete.
 *
 * <p>So the locator searches forward from the reported PC over the <em>direct</em> control-flow
 * graph: straight-line code, both sides of every conditional branch (including
 * {@code c.beqz}/{@code c.bnez}), and the targets of {@code jal}/{@code c.j}; never through an
 * indirect jump or a system instruction (those store the PC, so the fault cannot lie beyond
 * them). Each load, store, AMO, LR or SC on the way whose effective address, computed from the
 * exact registers, faults at the fault address with the right kind of access ({@link #faultsAt})
 * is a candidate. The
 * search visits at most {@link #MAX_VISIT} instructions.
 *
 * <p>Choosing among candidates: the faulting instruction is always among them unless a register
 * it used for its address was changed after an earlier access had the same address (then the
 * earlier one also matches). The locator picks the candidate reached in the fewest instructions
 * from the reported PC (lowest address on a tie): an instruction at the reported PC itself (the
 * PC was exact) wins outright. When more than one candidate remains, {@link Location#ambiguous()}
 * is true and {@link Location#others()} lists the rest, so a report can say so. With no
 * candidate at all (code changed under the engine, or the search bound reached) the reported PC
 * is returned unchanged.
 */
public final class FaultLocator {
    /** The most instructions one search decodes. */
    public static final int MAX_VISIT = 4096;

    private FaultLocator() {}

    /** Where a data fault happened: {@code pc}, and other candidates if the choice was not unique. */
    public record Location(long pc, List<Long> others, boolean found) {
        public boolean ambiguous() {
            return !others.isEmpty();
        }
    }

    /** A decoded data access: {@code kind} 1 load, 2 store, 3 both (AMO); the effective address and size. */
    public record Access(int kind, long address, int size) {
        public boolean reads() {
            return (kind & 1) != 0;
        }

        public boolean writes() {
            return (kind & 2) != 0;
        }

        /** True for an AMO (a read-modify-write). */
        public boolean amo() {
            return kind == 3;
        }
    }

    /**
     * @param regs x0..x31 at the fault
     * @param write true for a store fault, false for a load fault
     * @return the faulting instruction's address, or {@code reportedPc} if none matches
     */
    public static long locate(AddressSpace mem, long reportedPc, long[] regs, long faultAddr, boolean write) {
        return find(mem, reportedPc, regs, faultAddr, write).pc();
    }

    /** As {@link #locate}, with the other candidates. */
    public static Location find(AddressSpace mem, long reportedPc, long[] regs, long faultAddr, boolean write) {
        return find(mem, reportedPc, regs, faultAddr, write, false);
    }

    /**
     * As {@link #find(AddressSpace, long, long[], long, boolean)}; with {@code pcExact} (the
     * engine stopped at the faulting instruction itself, as with Unicorn 2.1's MMU fill hook)
     * an instruction at {@code reportedPc} whose access faults at {@code faultAddr} is the
     * answer, with no other candidates: the search is only for a stale PC.
     */
    public static Location find(
            AddressSpace mem, long reportedPc, long[] regs, long faultAddr, boolean write, boolean pcExact) {
        if (pcExact) {
            Access a = accessAt(mem, reportedPc, regs);
            if (a != null && (write ? a.writes() : a.reads()) && faultsAt(a, faultAddr)) {
                return new Location(reportedPc, List.of(), true);
            }
        }
        Set<Long> seen = new HashSet<>();
        ArrayDeque<Long> queue = new ArrayDeque<>();
        queue.add(reportedPc);
        seen.add(reportedPc);
        List<Long> found = new ArrayList<>();
        int visited = 0;
        // Breadth-first, level by level, so the first match is the one fewest instructions away.
        while (!queue.isEmpty() && visited < MAX_VISIT) {
            long pc = queue.poll();
            visited++;
            int insn = fetch(mem, pc);
            if (insn == -1) {
                continue;
            }
            int len = (insn & 3) == 3 ? 4 : 2;
            Access a = access(insn, regs);
            if (a != null && (write ? a.writes() : a.reads()) && faultsAt(a, faultAddr)) {
                found.add(pc);
            }
            for (long next : successors(insn, pc, len)) {
                if (next != -1 && seen.add(next)) {
                    queue.add(next);
                }
            }
        }
        if (found.isEmpty()) {
            return new Location(reportedPc, List.of(), false);
        }
        return new Location(found.get(0), List.copyOf(found.subList(1, found.size())), true);
    }

    /**
     * True if access {@code a} can fault at {@code faultAddr}. An access within one page faults
     * at its own address, whatever the engine (Unicorn passes the access's address to its
     * unmapped-memory hooks and to the fill hook). One that straddles two pages may fault in the
     * second at its start, and Unicorn 2.0.1 splits a straddling load into the two naturally
     * aligned accesses around it, so the address is then anywhere from the aligned-down start
     * to the end. Matching any byte the access covers made unrelated accesses candidates: a
     * misaligned {@code sd} at 9 "covered" a NULL store's fault at 0x10.
     */
    static boolean faultsAt(Access a, long faultAddr) {
        long start = a.address();
        long last = start + a.size() - 1;
        if ((start & -AddressSpace.PAGE) == (last & -AddressSpace.PAGE)) {
            return faultAddr == start;
        }
        long alignedDown = start & -(long) a.size();
        return Long.compareUnsigned(faultAddr - alignedDown, last - alignedDown + 1) < 0;
    }

    /**
     * The instruction at {@code pc} (16 or 32 bits, zero-extended), or -1 where it cannot be
     * fetched (unmapped or not executable).
     */
    public static int fetch(AddressSpace mem, long pc) {
        if ((pc & 1) != 0 || mem.translate(pc, 2, Perm.EXEC) < 0) {
            return -1;
        }
        int lo = (int) mem.load(pc, 2, Perm.EXEC);
        if ((lo & 3) != 3) {
            return lo & 0xffff;
        }
        if (mem.translate(pc, 4, Perm.EXEC) < 0) {
            return -1;
        }
        return (int) mem.load(pc, 4, Perm.EXEC);
    }

    /** The data access of the instruction at {@code pc} with registers {@code regs}, or null. */
    public static Access accessAt(AddressSpace mem, long pc, long[] regs) {
        int insn = fetch(mem, pc);
        return insn == -1 ? null : access(insn, regs);
    }

    /** The instruction's length in bytes, from its low bits. */
    public static int length(int insn) {
        return (insn & 3) == 3 ? 4 : 2;
    }

    private static final long[] NONE = {};
    private static final int SFENCE_VMA_FUNCT7 = 0x09;

    /**
     * Where execution may go directly after {@code insn} at {@code pc}: -1 entries are ignored.
     * Indirect jumps and system instructions have no successors here.
     */
    static long[] successors(int insn, long pc, int len) {
        if (len == 4) {
            switch (insn & 0x7f) {
                case 0x63: // conditional branch
                    return new long[] {pc + 4, pc + branchOffset(insn)};
                case 0x6f: // jal
                    return new long[] {pc + jalOffset(insn)};
                case 0x67: // jalr
                    return NONE;
                case 0x73: // ecall, ebreak, mret, wfi end a block; a CSR access and sfence.vma
                    // (translated as a TLB flush inside the block) may not
                    return ((insn >>> 12) & 7) == 0 && (insn >>> 25) != SFENCE_VMA_FUNCT7 ? NONE : new long[] {pc + 4};
                case 0x0f: // fence / fence.i: fence.i ends the block with a PC store
                    return ((insn >>> 12) & 7) == 1 ? NONE : new long[] {pc + 4};
                default:
                    return new long[] {pc + 4};
            }
        }
        int op = insn & 3;
        int funct3 = (insn >>> 13) & 7;
        if (insn == 0) {
            return NONE; // the defined illegal instruction
        }
        if (op == 1) {
            if (funct3 == 5) {
                return new long[] {pc + cjOffset(insn)}; // c.j
            }
            if (funct3 == 6 || funct3 == 7) {
                return new long[] {pc + 2, pc + cbOffset(insn)}; // c.beqz, c.bnez
            }
        }
        if (op == 2 && funct3 == 4 && ((insn >>> 2) & 31) == 0) {
            return NONE; // c.jr, c.jalr, c.ebreak
        }
        return new long[] {pc + 2};
    }

    static long branchOffset(int insn) {
        int imm = (((insn >> 31) & 1) << 12)
                | (((insn >>> 7) & 1) << 11)
                | (((insn >>> 25) & 0x3f) << 5)
                | (((insn >>> 8) & 0xf) << 1);
        return (imm << 19) >> 19;
    }

    static long jalOffset(int insn) {
        int imm = (((insn >>> 31) & 1) << 20)
                | (((insn >>> 12) & 0xff) << 12)
                | (((insn >>> 20) & 1) << 11)
                | (((insn >>> 21) & 0x3ff) << 1);
        return (imm << 11) >> 11;
    }

    static long cjOffset(int insn) {
        int imm = (((insn >>> 12) & 1) << 11)
                | (((insn >>> 11) & 1) << 4)
                | (((insn >>> 9) & 3) << 8)
                | (((insn >>> 8) & 1) << 10)
                | (((insn >>> 7) & 1) << 6)
                | (((insn >>> 6) & 1) << 7)
                | (((insn >>> 3) & 7) << 1)
                | (((insn >>> 2) & 1) << 5);
        return (imm << 20) >> 20;
    }

    static long cbOffset(int insn) {
        int imm = (((insn >>> 12) & 1) << 8)
                | (((insn >>> 10) & 3) << 3)
                | (((insn >>> 5) & 3) << 6)
                | (((insn >>> 3) & 3) << 1)
                | (((insn >>> 2) & 1) << 5);
        return (imm << 23) >> 23;
    }

    /** The data access of {@code insn} (16 or 32 bits) with registers {@code regs}, or null if it has none. */
    public static Access access(int insn, long[] regs) {
        return (insn & 3) == 3 ? decode32(insn, regs) : decode16(insn, regs);
    }

    private static Access decode32(int insn, long[] regs) {
        int opcode = insn & 0x7f;
        int funct3 = (insn >>> 12) & 7;
        long base = regs[(insn >>> 15) & 31];
        switch (opcode) {
            case 0x03: // LOAD
                return funct3 == 7 ? null : new Access(1, base + (insn >> 20), 1 << (funct3 & 3));
            case 0x07: // LOAD-FP
                return funct3 == 2 || funct3 == 3 ? new Access(1, base + (insn >> 20), funct3 == 2 ? 4 : 8) : null;
            case 0x23: { // STORE
                long imm = ((insn >> 25) << 5) | ((insn >>> 7) & 31);
                return funct3 > 3 ? null : new Access(2, base + imm, 1 << funct3);
            }
            case 0x27: { // STORE-FP
                long imm = ((insn >> 25) << 5) | ((insn >>> 7) & 31);
                return funct3 == 2 || funct3 == 3 ? new Access(2, base + imm, funct3 == 2 ? 4 : 8) : null;
            }
            case 0x2f: { // AMO, LR, SC
                if (funct3 != 2 && funct3 != 3) {
                    return null;
                }
                int funct5 = insn >>> 27;
                int kind = funct5 == 2 ? 1 : 3; // lr reads; sc and AMOs are reported as either
                return new Access(kind, base, funct3 == 2 ? 4 : 8);
            }
            default:
                return null;
        }
    }

    private static Access decode16(int insn, long[] regs) {
        int op = insn & 3;
        int funct3 = (insn >>> 13) & 7;
        int rsPrime = 8 + ((insn >>> 7) & 7);
        if (op == 0) {
            long ldImm = (((insn >>> 10) & 7) << 3) | (((insn >>> 5) & 3) << 6);
            long lwImm = (((insn >>> 10) & 7) << 3) | (((insn >>> 6) & 1) << 2) | (((insn >>> 5) & 1) << 6);
            return switch (funct3) {
                case 1, 3 -> new Access(1, regs[rsPrime] + ldImm, 8); // c.fld, c.ld
                case 2 -> new Access(1, regs[rsPrime] + lwImm, 4); // c.lw
                case 5, 7 -> new Access(2, regs[rsPrime] + ldImm, 8); // c.fsd, c.sd
                case 6 -> new Access(2, regs[rsPrime] + lwImm, 4); // c.sw
                default -> null;
            };
        }
        if (op != 2) {
            return null;
        }
        long sp = regs[2];
        switch (funct3) {
            case 1:
            case 3: { // c.fldsp, c.ldsp
                long imm = (((insn >>> 12) & 1) << 5) | (((insn >>> 5) & 3) << 3) | (((insn >>> 2) & 7) << 6);
                return new Access(1, sp + imm, 8);
            }
            case 2: { // c.lwsp
                long imm = (((insn >>> 12) & 1) << 5) | (((insn >>> 4) & 7) << 2) | (((insn >>> 2) & 3) << 6);
                return new Access(1, sp + imm, 4);
            }
            case 5:
            case 7: { // c.fsdsp, c.sdsp
                long imm = (((insn >>> 10) & 7) << 3) | (((insn >>> 7) & 7) << 6);
                return new Access(2, sp + imm, 8);
            }
            case 6: { // c.swsp
                long imm = (((insn >>> 9) & 15) << 2) | (((insn >>> 7) & 3) << 6);
                return new Access(2, sp + imm, 4);
            }
            default:
                return null;
        }
    }
}
