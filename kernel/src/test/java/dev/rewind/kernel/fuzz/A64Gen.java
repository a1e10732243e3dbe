package dev.rewind.kernel.fuzz;

import static dev.rewind.kernel.fuzz.A64Asm.*;
import static dev.rewind.kernel.fuzz.FuzzGen.*;
import static dev.rewind.kernel.fuzz.RvAsm.PAGE;

import dev.rewind.abi.Blk;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * The AArch64 program generator, {@link FuzzGen}'s counterpart (the values, data and layout
 * are {@link FuzzGenBase}'s): mostly valid common A64 instructions with random registers (ALU,
 * loads and stores of every addressing form, pairs, exclusives, LSE atomics, FP and SIMD,
 * branches), syscalls through the AArch64 ABI ({@code svc #0}, x8 = number, x0..x6) with
 * random and plausible arguments, and a share of hostile items: system instructions (MRS/MSR
 * of EL1, EL2, EL3, debug, timer and GIC registers, MSR immediate to DAIF, SPSel, PAN, TCO),
 * ERET/DRPS, WFI/WFE, HVC/SMC/HLT/BRK/DCPS, the hint space (PAC, BTI), barriers, cache and TLB
 * maintenance (DC ZVA, IC IVAU, TLBI, AT) at hostile addresses, sp misuse, misaligned and
 * indirect jumps, and raw random words (fully random or in one encoding class).
 */
final class A64Gen extends FuzzGenBase {
    /** The syscall number's register and the loop counter of call loops (callee-saved). */
    static final int X8 = 8, X19 = 19;

    private final A64Asm asm = new A64Asm();

    private A64Gen(long seed, Task task) {
        super(seed, task);
    }

    /** The ELF image of the AArch64 fuzz program for {@code seed}. */
    static byte[] program(long seed, Task task) {
        return new A64Gen(seed, task).build();
    }

    private byte[] build() {
        int items = 8 + rnd.nextInt(task.server() ? 60 : 120);
        hostility = new double[] {0.02, 0.05, 0.1, 0.2, 0.4}[rnd.nextInt(5)];
        dataAddr = RvAsm.DATA;
        long dataMem = PAGE * (1 + rnd.nextInt(3));
        heapStart = task.nearDevices() ? MMIO_BASE - PAGE : dataAddr + dataMem;
        writeData();
        itemMarks = new int[items + 1];
        for (int k = 0; k <= items; k++) {
            itemMarks[k] = asm.newMark();
        }
        for (item = 0; item < items; item++) {
            asm.place(itemMarks[item]);
            if (item == 0 && (task.nearDevices() || rnd.nextInt(4) == 0)) {
                benignSbrk();
            }
            if (rnd.nextDouble() < hostility) {
                hostileItem();
            } else {
                benignItem();
            }
        }
        asm.place(itemMarks[items]);
        asm.li(0, rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 0);
        asm.li(X8, EXIT);
        asm.w32(SVC0);
        asm.w32(brk(0));
        byte[] text = asm.text();
        byte[] full = new byte[(text.length + PAGE - 1) & -PAGE];
        System.arraycopy(text, 0, full, 0, text.length);
        for (int k = (text.length + 3) & ~3; k + 4 <= full.length; k += 4) {
            RvAsm.put32(full, k, rnd.nextInt(3) == 0 ? rnd.nextInt() : 0); // junk, reachable by jumps
        }
        return A64Asm.elf(full, data, dataMem, task.nearDevices() ? MMIO_BASE - 2 * PAGE : 0);
    }

    // ---- items -------------------------------------------------------------------------------

    private void benignItem() {
        int w = rnd.nextInt(100);
        if (task.server() && w < 20) {
            serveLoop();
        } else if (w < 40) {
            benignSyscall();
        } else if (w < 52) {
            asm.w32(alu(scratch()));
        } else if (w < 66) {
            benignLoadStore();
        } else if (w < 70) {
            benignAtomic();
        } else if (w < 74) {
            asm.w32(fp());
        } else if (w < 77) {
            asm.b(false, forwardTarget());
        } else if (w < 82) {
            conditional(forwardTarget());
        } else if (w < 87) {
            benignSbrk();
        } else if (w < 91) {
            callLoop();
        } else if (w < 95) {
            asm.w32(pick(
                    0xd5033bbf, // dmb ish
                    0xd5033f9f, // dsb sy
                    0xd5033fdf, // isb
                    NOP,
                    0xd503203f, // yield
                    0xd503233f, // paciasp
                    0xd50323bf, // autiasp
                    0xd503245f)); // bti c
        } else {
            syscall(pick(YIELD, CLOCK, TASK_SELF));
        }
    }

    private void hostileItem() {
        int w = rnd.nextInt(100);
        if (w < 10) {
            syscall(-1);
        } else if (w < 17) {
            asm.w32(alu(rd()));
        } else if (w < 27) {
            asm.w32(randomWord());
        } else if (w < 39) {
            loadStore();
        } else if (w < 45) {
            atomic();
        } else if (w < 49) {
            asm.b(rnd.nextInt(4) == 0, randomTarget());
        } else if (w < 53) {
            conditional(randomTarget());
        } else if (w < 58) {
            indirectJump();
        } else if (w < 65) {
            sbrkPattern();
        } else if (w < 68) {
            asm.w32(rnd.nextBoolean() ? brk(rnd.nextInt(0x10000)) : 0xd4400000 | rnd.nextInt(0x10000) << 5); // brk, hlt
        } else if (w < 76) {
            sysreg();
        } else if (w < 82) {
            system();
        } else if (w < 87) {
            maintenance();
        } else if (w < 90) {
            spMisuse();
        } else if (w < 94) {
            syscall(pick(EXIT, ABORT, WAIT));
        } else {
            asm.w32(rnd.nextInt(4) == 0 ? svc(rnd.nextInt(0x10000)) : SVC0); // whatever the registers hold
        }
    }

    /** A register benign code may clobber: x0..x7, x9..x17 (not x8's number in flight, x19, fp, lr, sp). */
    private int scratch() {
        int r = rnd.nextInt(17);
        return r < 8 ? r : r + 1;
    }

    /** Any register; 31 (sp or xzr, as the instruction reads it) now and then. */
    private int reg() {
        return rnd.nextInt(32);
    }

    /** A destination register for hostile code: rarely sp or lr (so that they mostly stay plausible). */
    private int rd() {
        int r = rnd.nextInt(32);
        return (r == SP || r == LR || r == FP) && rnd.nextInt(6) != 0 ? 9 : r;
    }

    private void conditional(int target) {
        switch (rnd.nextInt(3)) {
            case 0 -> asm.bcond(rnd.nextInt(16), target);
            case 1 -> asm.cbz(rnd.nextBoolean(), rnd.nextBoolean(), reg(), target);
            default -> asm.tbz(rnd.nextBoolean(), reg(), rnd.nextInt(64), target);
        }
    }

    /** A data-processing instruction (integer) writing {@code rd}. */
    private int alu(int rd) {
        int sf = rnd.nextInt(4) == 0 ? 0 : 1;
        int rn = reg();
        int rm = reg();
        return switch (rnd.nextInt(13)) {
            case 0 ->
                0x11000000
                        | sf << 31
                        | rnd.nextInt(4) << 29
                        | rnd.nextInt(2) << 22
                        | rnd.nextInt(4096) << 10
                        | rn << 5
                        | rd; // add/sub imm (rd 31: sp unless flags are set)
            case 1 ->
                0x0a000000
                        | sf << 31
                        | rnd.nextInt(4) << 29
                        | rnd.nextInt(4) << 22
                        | rnd.nextInt(2) << 21
                        | rm << 16
                        | rnd.nextInt(sf == 1 ? 64 : 32) << 10
                        | rn << 5
                        | rd; // logical shifted
            case 2 ->
                0x0b000000
                        | sf << 31
                        | rnd.nextInt(4) << 29
                        | rnd.nextInt(3) << 22
                        | rm << 16
                        | rnd.nextInt(sf == 1 ? 64 : 32) << 10
                        | rn << 5
                        | rd; // add/sub shifted
            case 3 ->
                0x1ac00000
                        | sf << 31
                        | rm << 16
                        | pick(2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23) << 10
                        | rn << 5
                        | rd; // udiv, sdiv, shifts, crc32
            case 4 -> 0x1b000000 | sf << 31 | rm << 16 | rnd.nextInt(2) << 15 | reg() << 10 | rn << 5 | rd; // madd
            case 5 -> pick(0x9b407c00, 0x9bc07c00) | rm << 16 | rn << 5 | rd; // smulh, umulh
            case 6 ->
                0x1a800000
                        | sf << 31
                        | rnd.nextInt(2) << 30
                        | rm << 16
                        | rnd.nextInt(16) << 12
                        | rnd.nextInt(2) << 10
                        | rn << 5
                        | rd; // csel, csinc, csinv, csneg
            case 7 -> 0x5ac00000 | sf << 31 | rnd.nextInt(6) << 10 | rn << 5 | rd; // rbit, rev, clz, cls
            case 8 ->
                pick(0xd3400000, 0x93400000, 0xb3400000)
                        | rnd.nextInt(64) << 16
                        | rnd.nextInt(64) << 10
                        | rn << 5
                        | rd; // ubfm, sbfm, bfm
            case 9 ->
                0x12800000
                        | sf << 31
                        | pick(0, 2, 3) << 29
                        | rnd.nextInt(sf == 1 ? 4 : 2) << 21
                        | rnd.nextInt(0x10000) << 5
                        | rd; // movn, movz, movk
            case 10 ->
                (rnd.nextBoolean() ? 0x10000000 : 0x90000000)
                        | rnd.nextInt(4) << 29
                        | rnd.nextInt(1 << 19) << 5
                        | rd; // adr, adrp
            case 11 ->
                0x7a400000
                        | sf << 31
                        | rnd.nextInt(2) << 30
                        | rm << 16
                        | rnd.nextInt(16) << 12
                        | rnd.nextInt(2) << 11
                        | rn << 5
                        | rnd.nextInt(16); // ccmp, ccmn
            default -> 0x93c00000 | rm << 16 | rnd.nextInt(64) << 10 | rn << 5 | rd; // extr
        };
    }

    /** A floating-point or SIMD data-processing instruction (no memory access). */
    private int fp() {
        int d = rnd.nextInt(32);
        int n = rnd.nextInt(32);
        int m = rnd.nextInt(32);
        return switch (rnd.nextInt(12)) {
            case 0 -> 0x1e601000 | rnd.nextInt(256) << 13 | d; // fmov d, #imm
            case 1 ->
                pick(0x1e602800, 0x1e600800, 0x1e601800, 0x1e603800, 0x1e204800) | m << 16 | n << 5 | d; // fadd...
            case 2 -> 0x1e61c000 | n << 5 | d; // fsqrt
            case 3 -> 0x9e620000 | scratch() << 5 | d; // scvtf d, x
            case 4 -> pick(0x9e780000, 0x9e660000) | n << 5 | scratch(); // fcvtzs x, d; fmov x, d
            case 5 -> 0x9e670000 | reg() << 5 | d; // fmov d, x
            case 6 -> pick(0x4ea08400, 0x4ea09c00, 0x6e201c00, 0x4e000000, 0x4e201c00) | m << 16 | n << 5 | d;
            case 7 -> 0x4e080c00 | reg() << 5 | d; // dup v.2d, x
            case 8 -> 0x1e202000 | m << 16 | n << 5; // fcmp
            case 9 -> (rnd.nextInt() & 0xe1ffffff) | 0x0e000000; // Advanced SIMD, random fields
            case 10 -> 0x1e000000 | rnd.nextInt(1 << 24); // scalar FP, random fields
            default -> 0x4f000400 | rnd.nextInt(8) << 16 | rnd.nextInt(16) << 12 | rnd.nextInt(32) << 5 | d; // movi
        };
    }

    /** A random word: fully random, or random within one of A64's top-level encoding groups. */
    private int randomWord() {
        int w = rnd.nextInt();
        return switch (rnd.nextInt(6)) {
            case 0 -> (w & ~0x1e000000) | 0x08000000; // loads and stores (op0 x1x0)
            case 1 -> (w & ~0x1c000000) | 0x10000000; // data processing, immediate (100x)
            case 2 -> (w & ~0x0e000000) | 0x0a000000; // data processing, register (x101)
            case 3 -> (w & ~0x0e000000) | 0x0e000000; // SIMD and FP (x111)
            case 4 -> (w & ~0x1c000000) | 0x14000000; // branches, exceptions, system (101x)
            default -> w;
        };
    }

    // ---- memory ------------------------------------------------------------------------------

    /** A mapped, aligned address this task may read and write. */
    private long benignAddress(int size) {
        long a = switch (rnd.nextInt(4)) {
            case 0 -> dataAddr + rnd.nextInt(PAGE - 64);
            case 1 -> STACK_TOP - 64 - rnd.nextInt((int) Math.min(task.stackBytes() - 128, 8192));
            case 2 -> IPC_BUF + rnd.nextInt(PAGE - 64);
            default -> dataAddr + PAGE + rnd.nextInt(PAGE - 64); // bss
        };
        return a & -size;
    }

    private int base() {
        return pick(9, 10, 11, 12, 13, 14, 15, 16, 17);
    }

    private void benignLoadStore() {
        int base = base();
        asm.li(base, benignAddress(16));
        int size = rnd.nextInt(4);
        int t = scratch();
        switch (rnd.nextInt(5)) {
            case 0 -> {
                int opc = pick(0, 1, 2);
                asm.w32(0x39000000
                        | size << 30
                        | opc << 22
                        | rnd.nextInt(4) << 10
                        | base << 5
                        | (opc == 0 ? reg() : t)); // str / ldr / ldrs*, small offset
            }
            case 1 ->
                asm.w32(0x38000000
                        | size << 30
                        | pick(0, 1) << 22
                        | (rnd.nextInt(64) - 32 & 0x1ff) << 12
                        | base << 5
                        | t); // ldur/stur
            case 2 ->
                asm.w32(0xa9000000
                        | rnd.nextInt(2) << 22
                        | (rnd.nextInt(4) & 0x7f) << 15
                        | scratch() << 10
                        | base << 5
                        | t); // ldp/stp x, small offset
            case 3 -> asm.w32((rnd.nextBoolean() ? 0x3dc00000 : 0x3d800000) | base << 5 | rnd.nextInt(32)); // ldr/str q
            default ->
                asm.w32(0x0c000000
                        | rnd.nextInt(2) << 30
                        | rnd.nextInt(2) << 22
                        | 0x7000
                        | rnd.nextInt(4) << 10
                        | base << 5
                        | rnd.nextInt(32)); // ld1/st1 {vt}
        }
    }

    private void benignAtomic() {
        int base = base();
        int size = pick(2, 3);
        asm.li(base, benignAddress(8));
        int t = scratch();
        switch (rnd.nextInt(3)) {
            case 0 ->
                asm.w32(0x38200000
                        | size << 30
                        | rnd.nextInt(4) << 22
                        | scratch() << 16
                        | rnd.nextInt(8) << 12
                        | base << 5
                        | t); // ldadd, ldclr, ldeor, ldset, ldsmax... (acquire/release variants)
            case 1 -> asm.w32(0x38208000 | size << 30 | rnd.nextInt(4) << 22 | scratch() << 16 | base << 5 | t); // swp
            default -> {
                asm.w32(0x085f7c00 | size << 30 | base << 5 | t); // ldxr
                asm.w32(0x08007c00 | size << 30 | (t == 3 ? 4 : 3) << 16 | base << 5 | t); // stxr w3 (or w4)
            }
        }
    }

    /** A load or store of any form at an interesting address (or off sp). */
    private void loadStore() {
        int base = pick(9, 10, 11, 12, 13, 14, 0, 5);
        int off = rnd.nextInt(4) == 0 ? rnd.nextInt(4096) : rnd.nextInt(64);
        if (rnd.nextInt(5) == 0) {
            base = SP;
        } else {
            asm.li(base, address() - (rnd.nextBoolean() ? off : 0));
        }
        int size = rnd.nextInt(4);
        int v = rnd.nextInt(5) == 0 ? 1 : 0;
        int opc = rnd.nextInt(4);
        int t = rd();
        switch (rnd.nextInt(9)) {
            case 0, 1 -> asm.w32(0x39000000 | size << 30 | v << 26 | opc << 22 | rnd.nextInt(64) << 10 | base << 5 | t);
            case 2 ->
                asm.w32(0x38000000
                        | size << 30
                        | v << 26
                        | opc << 22
                        | (rnd.nextInt(512) & 0x1ff) << 12
                        | rnd.nextInt(4) << 10
                        | base << 5
                        | t); // unscaled, post, unprivileged, pre
            case 3 -> {
                int m = scratch();
                asm.li(m, rnd.nextInt(3) == 0 ? randomValue() : rnd.nextInt(64) - 32);
                asm.w32(0x38200800
                        | size << 30
                        | v << 26
                        | opc << 22
                        | m << 16
                        | pick(2, 3, 6, 7) << 13
                        | rnd.nextInt(2) << 12
                        | base << 5
                        | t); // register offset
            }
            case 4 ->
                asm.w32(0x28000000
                        | rnd.nextInt(3) << 30
                        | v << 26
                        | rnd.nextInt(4) << 23
                        | rnd.nextInt(2) << 22
                        | (rnd.nextInt(16) - 8 & 0x7f) << 15
                        | rd() << 10
                        | base << 5
                        | t); // pairs
            case 5 ->
                asm.w32(0x0c000000
                        | rnd.nextInt(2) << 30
                        | rnd.nextInt(2) << 23
                        | rnd.nextInt(2) << 22
                        | (rnd.nextBoolean() ? 31 : scratch()) << 16
                        | pick(0, 2, 4, 6, 7, 8, 10) << 12
                        | rnd.nextInt(4) << 10
                        | base << 5
                        | rnd.nextInt(32)); // ld1..ld4/st1..st4 (multiple)
            case 6 ->
                asm.w32(0x0d000000
                        | rnd.nextInt(2) << 30
                        | rnd.nextInt(2) << 23
                        | rnd.nextInt(2) << 22
                        | rnd.nextInt(2) << 21
                        | 31 << 16
                        | rnd.nextInt(8) << 13
                        | rnd.nextInt(2) << 12
                        | rnd.nextInt(4) << 10
                        | base << 5
                        | rnd.nextInt(32)); // single structure, ld1r
            case 7 ->
                asm.w32(0x18000000
                        | rnd.nextInt(4) << 30
                        | v << 26
                        | (rnd.nextInt(1 << 19) - (1 << 18) & 0x7ffff) << 5
                        | t); // ldr literal (pc-relative), prfm literal
            default ->
                asm.w32(0xf8200400
                        | rnd.nextInt(2) << 23
                        | rnd.nextInt(512) << 12
                        | rnd.nextInt(2) << 11
                        | base << 5
                        | t); // ldraa/ldrab (PAC)
        }
    }

    /** An exclusive, acquire/release or LSE atomic access at an interesting address. */
    private void atomic() {
        int base = pick(9, 10, 11, 0);
        asm.li(base, address());
        int size = rnd.nextInt(4);
        int t = rd();
        int s = scratch();
        switch (rnd.nextInt(4)) {
            case 0 ->
                asm.w32(0x08000000
                        | size << 30
                        | rnd.nextInt(2) << 23
                        | rnd.nextInt(2) << 22
                        | rnd.nextInt(2) << 21
                        | s << 16
                        | rnd.nextInt(2) << 15
                        | (rnd.nextBoolean() ? 31 : rd()) << 10
                        | base << 5
                        | t); // ldxr, stxr, ldaxp, stlxp, ldar, stlr, ldlar, cas, casp
            case 1 ->
                asm.w32(0x38200000
                        | size << 30
                        | rnd.nextInt(4) << 22
                        | reg() << 16
                        | rnd.nextInt(2) << 15
                        | rnd.nextInt(8) << 12
                        | base << 5
                        | t); // LSE: ld<op>, swp
            case 2 ->
                asm.w32(0x08a07c00
                        | size << 30
                        | rnd.nextInt(2) << 22
                        | s << 16
                        | rnd.nextInt(2) << 15
                        | base << 5
                        | t); // cas
            default ->
                asm.w32(0x19000000
                        | size << 30
                        | rnd.nextInt(4) << 22
                        | (rnd.nextInt(512) & 0x1ff) << 12
                        | base << 5
                        | t); // ldapur/stlur (RCpc)
        }
    }

    private void indirectJump() {
        int r = pick(9, 10, 0, LR);
        long target = switch (rnd.nextInt(6)) {
            case 0, 1 -> RvAsm.TEXT + (rnd.nextInt(asm.offset() + 64) & ~3); // somewhere in the code
            case 2 -> RvAsm.TEXT + (rnd.nextInt(asm.offset() + 64) | 1 + rnd.nextInt(3)); // misaligned
            default -> address();
        };
        asm.li(r, target);
        asm.w32(
                switch (rnd.nextInt(8)) {
                    case 0, 1, 2 -> br(r);
                    case 3, 4 -> blr(r);
                    case 5 -> ret(r);
                    case 6 ->
                        pick(0xd61f0800, 0xd63f0800, 0xd65f0bff) | r << 5 | rnd.nextInt(32); // braaz, blraaz, retaa
                    default -> 0xd61f0000 | rnd.nextInt(16) << 21 | rnd.nextInt(32) << 10 | r << 5 | rnd.nextInt(32);
                });
    }

    private void spMisuse() {
        switch (rnd.nextInt(3)) {
            case 0 -> {
                asm.li(9, rnd.nextBoolean() ? address() : randomValue());
                asm.w32(addImm(false, false, SP, 9, 0)); // mov sp, x9
            }
            case 1 -> asm.w32(addImm(rnd.nextBoolean(), false, SP, SP, rnd.nextInt(4096))); // sp +- imm
            default ->
                asm.w32(0xa9800000 | (rnd.nextInt(16) & 0x7f) << 15 | LR << 10 | SP << 5 | FP); // stp fp, lr, [sp..]!
        }
    }

    // ---- system instructions -----------------------------------------------------------------

    /** System registers by (op0, op1, CRn, CRm, op2): EL0, EL1, EL2, EL3, debug, timers, GIC, ids. */
    private static final int[][] SYSREGS = {
        {3, 0, 1, 0, 0}, // SCTLR_EL1
        {3, 0, 1, 0, 2}, // CPACR_EL1
        {3, 0, 2, 0, 0}, // TTBR0_EL1
        {3, 0, 2, 0, 1}, // TTBR1_EL1
        {3, 0, 2, 0, 2}, // TCR_EL1
        {3, 0, 10, 2, 0}, // MAIR_EL1
        {3, 0, 4, 0, 0}, // SPSR_EL1
        {3, 0, 4, 0, 1}, // ELR_EL1
        {3, 0, 4, 1, 0}, // SP_EL0
        {3, 0, 4, 2, 0}, // SPSel
        {3, 0, 4, 2, 2}, // CurrentEL
        {3, 3, 4, 2, 1}, // DAIF
        {3, 3, 4, 2, 0}, // NZCV
        {3, 3, 4, 4, 0}, // FPCR
        {3, 3, 4, 4, 1}, // FPSR
        {3, 0, 5, 2, 0}, // ESR_EL1
        {3, 0, 6, 0, 0}, // FAR_EL1
        {3, 0, 7, 4, 0}, // PAR_EL1
        {3, 0, 12, 0, 0}, // VBAR_EL1
        {3, 0, 13, 0, 4}, // TPIDR_EL1
        {3, 3, 13, 0, 2}, // TPIDR_EL0
        {3, 3, 13, 0, 3}, // TPIDRRO_EL0
        {3, 3, 14, 0, 0}, // CNTFRQ_EL0
        {3, 3, 14, 0, 2}, // CNTVCT_EL0
        {3, 3, 14, 3, 1}, // CNTV_CTL_EL0
        {3, 3, 14, 3, 2}, // CNTV_CVAL_EL0
        {3, 3, 14, 2, 1}, // CNTP_CTL_EL0
        {3, 0, 14, 1, 0}, // CNTKCTL_EL1
        {3, 0, 0, 0, 0}, // MIDR_EL1
        {3, 0, 0, 0, 5}, // MPIDR_EL1
        {3, 3, 0, 0, 7}, // DCZID_EL0
        {3, 3, 0, 0, 1}, // CTR_EL0
        {2, 0, 0, 2, 2}, // MDSCR_EL1
        {2, 0, 1, 0, 4}, // OSLAR_EL1
        {2, 0, 0, 0, 4}, // DBGBVR0_EL1
        {2, 0, 0, 0, 5}, // DBGBCR0_EL1
        {2, 0, 0, 0, 6}, // DBGWVR0_EL1
        {2, 0, 0, 0, 7}, // DBGWCR0_EL1
        {3, 3, 9, 12, 0}, // PMCR_EL0
        {3, 3, 9, 13, 0}, // PMCCNTR_EL0
        {3, 0, 4, 6, 0}, // ICC_PMR_EL1
        {3, 0, 12, 12, 0}, // ICC_IAR1_EL1
        {3, 0, 12, 12, 7}, // ICC_IGRPEN1_EL1
        {3, 3, 2, 4, 0}, // RNDR
        {3, 4, 1, 1, 0}, // HCR_EL2
        {3, 4, 1, 0, 0}, // SCTLR_EL2
        {3, 6, 1, 1, 0}, // SCR_EL3
        {3, 0, 1, 0, 1}, // ACTLR_EL1
        {3, 0, 5, 1, 0}, // AFSR0_EL1
        {3, 0, 2, 1, 0}, // APIAKeyLo_EL1
    };

    /** An MRS or MSR of a system register (a known one, or any encoding), with a hostile value. */
    private void sysreg() {
        int[] r = rnd.nextInt(5) == 0
                ? new int[] {2 + rnd.nextInt(2), rnd.nextInt(8), rnd.nextInt(16), rnd.nextInt(16), rnd.nextInt(8)}
                : SYSREGS[rnd.nextInt(SYSREGS.length)];
        int enc = (r[0] - 2) << 19 | r[1] << 16 | r[2] << 12 | r[3] << 8 | r[4] << 5;
        if (rnd.nextInt(3) == 0) {
            asm.w32(0xd5300000 | enc | rd()); // mrs
            return;
        }
        int t = scratch();
        long v = switch (rnd.nextInt(6)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> 1L << rnd.nextInt(64);
            case 3 ->
                0x30d00800L | rnd.nextInt(16) | (rnd.nextBoolean() ? 1L << 25 : 0) | (rnd.nextBoolean() ? 1L << 19 : 0);
            default -> randomValue();
        };
        asm.li(t, v);
        asm.w32(0xd5100000 | enc | (rnd.nextInt(8) == 0 ? 31 : t)); // msr (xzr now and then)
    }

    private void system() {
        switch (rnd.nextInt(10)) {
            case 0 -> {
                // an exception return to wherever ELR and SPSR say (often set just before)
                if (rnd.nextBoolean()) {
                    asm.li(9, rnd.nextBoolean() ? RvAsm.TEXT + (rnd.nextInt(asm.offset() + 64) & ~3) : address());
                    asm.w32(0xd5184029); // msr elr_el1, x9
                }
                if (rnd.nextBoolean()) {
                    asm.li(
                            9,
                            pick(0, 4, 5, 8, 9, 12, 13, 0x10, 0x3c5)
                                    | (rnd.nextInt(4) == 0 ? rnd.nextLong() & 0xf0300000L : 0));
                    asm.w32(0xd5184009); // msr spsr_el1, x9
                }
                asm.w32(pick(0xd69f03e0, 0xd6bf03e0, 0xd69f0bff)); // eret, drps, eretaa
            }
            case 1 -> asm.w32(pick(0xd503207f, 0xd503205f, 0xd503209f, 0xd50320bf)); // wfi, wfe, sev, sevl
            case 2 ->
                asm.w32(pick(0xd4000002, 0xd4000003, 0xd4a00001, 0xd4a00002, 0xd4a00003)
                        | rnd.nextInt(0x10000) << 5); // hvc, smc, dcps1..3
            case 3 -> {
                // msr <pstate field>, #imm: SPSel, DAIFSet/Clr, PAN, UAO, DIT, SSBS, TCO
                int[] f = new int[][] {{0, 5}, {3, 6}, {3, 7}, {0, 4}, {0, 3}, {3, 2}, {3, 1}, {3, 4}}[rnd.nextInt(8)];
                asm.w32(0xd500401f | f[0] << 16 | rnd.nextInt(16) << 8 | f[1] << 5);
            }
            case 4 -> asm.w32(0xd503201f | rnd.nextInt(128) << 5); // the hint space: PAC, BTI, ...
            case 5 ->
                asm.w32(pick(0xd503305f, 0xd503309f, 0xd50330bf, 0xd50330df, 0xd50330ff)
                        | rnd.nextInt(16) << 8); // clrex, dsb, dmb, isb, sb
            case 6 ->
                asm.w32(0xd500401f | rnd.nextInt(8) << 16 | rnd.nextInt(16) << 8 | rnd.nextInt(8) << 5); // msr imm, any
            case 7 -> asm.w32(0xd5000000 | rnd.nextInt(1 << 21) << 5 | rnd.nextInt(32)); // any system encoding
            default -> asm.w32(0xd4000000 | rnd.nextInt(1 << 24) << 5 | rnd.nextInt(32)); // exception generation space
        }
    }

    /** Cache and TLB maintenance and address translation, at interesting addresses. */
    private void maintenance() {
        int t = pick(9, 10, 11);
        asm.li(t, rnd.nextInt(4) == 0 ? benignAddress(64) : address());
        int[] op = new int[][] {
                    {3, 7, 4, 1}, // dc zva
                    {3, 7, 4, 1}, // dc zva
                    {3, 7, 14, 1}, // dc civac
                    {3, 7, 10, 1}, // dc cvac
                    {3, 7, 11, 1}, // dc cvau
                    {0, 7, 6, 1}, // dc ivac
                    {0, 7, 6, 2}, // dc isw
                    {3, 7, 5, 1}, // ic ivau
                    {0, 7, 5, 0}, // ic iallu
                    {0, 8, 7, 0}, // tlbi vmalle1
                    {0, 8, 7, 1}, // tlbi vae1
                    {0, 7, 8, 0}, // at s1e1r
                    {0, 7, 8, 1}, // at s1e1w
                    {0, 7, 8, 2}, // at s1e0r
                    {3, 7, 4, 3}, // dc gva
                    {3, 7, 4, 4}, // dc gzva
                }
                [rnd.nextInt(16)];
        asm.w32(0xd5080000 | op[0] << 16 | op[1] << 12 | op[2] << 8 | op[3] << 5 | t);
    }

    // ---- syscalls ----------------------------------------------------------------------------

    private void setReg(int r, long v) {
        asm.li(r, v);
    }

    private void svcNr(long nr) {
        asm.li(X8, nr);
        asm.w32(SVC0);
    }

    private void benignSyscall() {
        long[] a = benignSyscall(task);
        int nr = (int) a[7];
        for (int k = 0; k < 7; k++) {
            setReg(k, a[k]);
        }
        svcNr(nr);
    }

    /** One syscall with random plausible arguments ({@code nr} < 0: a random number). */
    private void syscall(int nr) {
        if (nr < 0) {
            int k = rnd.nextInt(24);
            nr = k <= 16
                    ? k
                    : switch (k) {
                        case 17 -> CALL;
                        case 18 -> REPLY_RECV;
                        case 19 -> SBRK;
                        case 20 -> RECV;
                        default -> -2;
                    };
        }
        long[] a = syscallArgs(nr);
        for (int k = 0; k < 7; k++) {
            if (rnd.nextInt(12) != 0) {
                setReg(k, a[k]);
            }
        }
        if (nr == -2) {
            svcNr(pickL(
                    17, 18, 19, 20, 31, 64, 255, 1000, -1, -17, 1L << 31, 1L << 32, Long.MIN_VALUE, rnd.nextLong()));
        } else {
            svcNr(nr);
        }
        if (rnd.nextInt(3) == 0) {
            useResult();
        }
    }

    /** Touch memory at (or branch on) the syscall's result, as real code would. */
    private void useResult() {
        switch (rnd.nextInt(4)) {
            case 0 -> asm.w32(ldur(false, pick(0, 3), reg(), 0, rnd.nextInt(64) - 8)); // store at x0
            case 1 -> asm.w32(ldur(true, pick(2, 3), scratch(), 0, rnd.nextInt(64) - 8)); // load from x0
            case 2 -> asm.tbz(rnd.nextBoolean(), 0, 63, randomTarget()); // on sign
            default -> asm.w32(str(1, 0, rnd.nextInt(8) * 8));
        }
    }

    private void benignSbrk() {
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
            setReg(0, rnd.nextBoolean() ? rnd.nextInt(512) * 8 : 4096L * rnd.nextInt(20));
            svcNr(SBRK);
            int skip = asm.newMark();
            asm.tbz(true, 0, 63, skip); // ENOMEM
            asm.w32(str(1, 0, 0)); // at the old break
            asm.place(skip);
        }
    }

    private void sbrkPattern() {
        int n = 1 + rnd.nextInt(6);
        int kind = rnd.nextInt(4);
        long inc = sbrkIncrement();
        for (int k = 0; k < n; k++) {
            long v = switch (kind) {
                case 0 -> inc;
                case 1 -> inc * (k + 1);
                case 2 -> (k & 1) == 0 ? inc : -inc;
                default -> sbrkIncrement();
            };
            setReg(0, v);
            svcNr(SBRK);
            if (rnd.nextBoolean()) {
                // at the old break (valid if sbrk succeeded) or just past it
                asm.w32(str(X8, 0, rnd.nextBoolean() ? 0 : (int) Math.min(32760, Math.max(0, v)) & ~7));
            }
        }
    }

    private void serveLoop() {
        long ep = task.serveSlots().isEmpty()
                ? slot()
                : task.serveSlots().get(rnd.nextInt(task.serveSlots().size()));
        int top = asm.mark();
        setReg(0, ep);
        svcNr(rnd.nextInt(4) == 0 ? RECV : REPLY_RECV);
        int body = rnd.nextInt(5);
        for (int k = 0; k < body; k++) {
            switch (rnd.nextInt(7)) {
                case 0 -> loadStore();
                case 1 -> asm.w32(randomWord());
                case 2 -> sbrkPattern();
                case 3 -> syscall(-1);
                case 4 -> asm.w32(fp());
                default -> asm.w32(alu(rd()));
            }
        }
        if (rnd.nextBoolean()) {
            setReg(6, len()); // reply length
        }
        asm.b(false, top);
    }

    private void callLoop() {
        asm.li(X19, 1 + rnd.nextInt(20));
        int top = asm.mark();
        setReg(0, slot());
        setReg(1, label());
        setReg(6, len());
        svcNr(CALL);
        asm.w32(addImm(true, false, X19, X19, 1));
        asm.cbz(true, true, X19, top);
    }

    // ---- the well-behaved helpers ------------------------------------------------------------

    /** An echo server on slot 0 that replies to every request with the message it got. */
    static byte[] echoServer() {
        A64Asm a = new A64Asm();
        int recv = a.mark();
        a.li(0, 0);
        a.li(X8, RECV);
        a.w32(SVC0);
        int loop = a.mark();
        a.tbz(true, 0, 63, recv); // x0 < 0: receive again
        a.li(0, 0);
        a.li(X8, REPLY_RECV);
        a.w32(SVC0);
        a.b(false, loop);
        return A64Asm.elf(a.text(), new byte[16], PAGE);
    }

    /** A client that calls slot 0 {@code calls} times with plausible messages, then exits 0. */
    static byte[] caller(int calls, long seed) {
        Random r = new Random(seed);
        A64Asm a = new A64Asm();
        a.li(X19, calls);
        int top = a.mark();
        a.li(0, 0);
        a.li(1, r.nextBoolean() ? (Blk.MAGIC << 16) | r.nextInt(6) : r.nextInt(8));
        a.li(2, r.nextInt(4));
        a.li(3, r.nextInt(64));
        a.li(4, r.nextInt(8));
        a.li(5, 0);
        a.li(6, r.nextInt(3) == 0 ? r.nextInt(4097) : 0);
        a.li(X8, CALL);
        a.w32(SVC0);
        a.w32(addImm(true, false, X19, X19, 1));
        a.cbz(true, true, X19, top);
        a.li(0, 0);
        a.li(X8, EXIT);
        a.w32(SVC0);
        return A64Asm.elf(a.text(), new byte[16], PAGE);
    }

    /** The reference server: replies label + 1, w0 + w1, and the first buffer word + 7 (8 bytes). */
    static byte[] refServer() {
        A64Asm a = new A64Asm();
        int recv = a.mark();
        a.li(0, 0);
        a.li(X8, RECV);
        a.w32(SVC0);
        int loop = a.mark();
        a.tbz(true, 0, 63, recv);
        a.w32(addImm(false, false, 1, 1, 1)); // add x1, x1, #1
        a.w32(addReg(false, false, 2, 2, 3)); // add x2, x2, x3
        a.li(9, IPC_BUF);
        a.w32(ldr(10, 9, 0));
        a.w32(addImm(false, false, 10, 10, 7));
        a.w32(str(10, 9, 0));
        a.li(6, 8);
        a.li(0, 0);
        a.li(X8, REPLY_RECV);
        a.w32(SVC0);
        a.b(false, loop);
        return A64Asm.elf(a.text(), new byte[16], PAGE);
    }

    /** The reference client: {@code calls} calls to slot 0, each reply checked; prints REF_OK and exits 0. */
    static byte[] refClient(int calls) {
        A64Asm a = new A64Asm();
        int fail = a.newMark();
        a.li(X19, calls);
        int top = a.mark();
        a.li(9, IPC_BUF);
        a.w32(str(X19, 9, 0)); // buffer word = x19
        a.li(0, 0);
        a.w32(mov(1, X19));
        a.w32(mov(2, X19));
        a.li(3, 0x1234);
        a.li(6, 8);
        a.li(X8, CALL);
        a.w32(SVC0);
        a.cbz(true, true, 0, fail); // status
        a.w32(addImm(false, false, 10, X19, 1));
        a.w32(cmp(1, 10));
        a.bcond(1, fail); // b.ne: label + 1
        a.li(10, 0x1234);
        a.w32(addReg(false, false, 10, 10, X19));
        a.w32(cmp(2, 10));
        a.bcond(1, fail); // w0 + w1
        a.li(10, 8);
        a.w32(cmp(6, 10));
        a.bcond(1, fail); // 8 bytes back
        a.li(9, IPC_BUF);
        a.w32(ldr(11, 9, 0));
        a.w32(addImm(false, false, 10, X19, 7));
        a.w32(cmp(11, 10));
        a.bcond(1, fail); // buffer word + 7
        a.w32(addImm(true, false, X19, X19, 1));
        a.cbz(true, true, X19, top);
        a.li(0, RvAsm.DATA);
        a.li(1, REF_OK.length());
        a.li(X8, CONSOLE_WRITE);
        a.w32(SVC0);
        a.li(0, 0);
        a.li(X8, EXIT);
        a.w32(SVC0);
        a.place(fail);
        a.li(0, RvAsm.DATA + 16);
        a.li(1, REF_FAIL.length());
        a.li(X8, CONSOLE_WRITE);
        a.w32(SVC0);
        a.li(0, 1);
        a.li(X8, EXIT);
        a.w32(SVC0);
        byte[] data = new byte[32];
        byte[] ok = REF_OK.getBytes(StandardCharsets.US_ASCII);
        byte[] bad = REF_FAIL.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(ok, 0, data, 0, ok.length);
        System.arraycopy(bad, 0, data, 16, bad.length);
        return A64Asm.elf(a.text(), data, PAGE);
    }
}
