package dev.rewind.kernel.fuzz;

import static dev.rewind.kernel.fuzz.RvAsm.*;

import dev.rewind.abi.Blk;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/**
 * Generates one random guest program from a seed: a mix of random 32- and 16-bit instruction
 * words, well-formed loads, stores and AMOs to every kind of address (data, text, stack, heap,
 * IPC buffer, device windows, unmapped and non-canonical), random direct and indirect jumps and
 * branches, syscalls with random and plausible arguments (IPC on random capability slots, sbrk
 * patterns, console writes, aborts with random bytes, exits), ebreak, CSR accesses, mret, wfi,
 * fences. Also the two well-behaved helper programs the fuzz systems use (an echo server and a
 * client that calls a fuzz server).
 */
final class FuzzGen extends FuzzGenBase {
    // syscall numbers (guest/abi/abi.def)
    static final int EXIT = 0,
            YIELD = 1,
            CONSOLE_WRITE = 2,
            SBRK = 3,
            CLOCK = 4,
            ABORT = 5,
            CALL = 6,
            RECV = 7,
            REPLY = 8,
            REPLY_RECV = 9,
            NOTIFY = 10,
            WAIT = 11,
            POLL = 12,
            CAP_LOOKUP = 13,
            CAP_REFRESH = 14,
            TASK_SELF = 15,
            DEVICE_INFO = 16;

    static final long IPC_BUF = 0x7fff0000L;
    static final long STACK_TOP = 0x7ffe0000L;
    static final long MMIO_BASE = 0x40000000L;

    /**
     * What the generator knows about the task it writes for.
     *
     * @param caps       the task's capability names in slot order
     * @param serveSlots slots of endpoints it serves
     * @param server     weight the code towards serve loops
     * @param stackBytes its stack size (for addresses near the guard page)
     * @param heapBytes  its heap limit (for sbrk patterns)
     * @param nearDevices give the image a segment ending just below the device windows (so the
     *                   heap starts there)
     */
    record Task(
            List<String> caps,
            List<Integer> serveSlots,
            boolean server,
            long stackBytes,
            long heapBytes,
            boolean nearDevices) {}

    private final RvAsm asm = new RvAsm();

    private FuzzGen(long seed, Task task) {
        super(seed, task);
    }

    /** The ELF image of the fuzz program for {@code seed}. */
    static byte[] program(long seed, Task task) {
        return new FuzzGen(seed, task).build();
    }

    private byte[] build() {
        int items = 8 + rnd.nextInt(task.server ? 60 : 120);
        hostility = new double[] {0.02, 0.05, 0.1, 0.2, 0.4}[rnd.nextInt(5)];
        dataAddr = RvAsm.DATA;
        long dataMem = PAGE * (1 + rnd.nextInt(3));
        heapStart = task.nearDevices ? MMIO_BASE - PAGE : dataAddr + dataMem;
        writeData();
        itemMarks = new int[items + 1];
        for (int k = 0; k <= items; k++) {
            itemMarks[k] = asm.newMark();
        }
        for (item = 0; item < items; item++) {
            asm.place(itemMarks[item]);
            if (item == 0 && (task.nearDevices || rnd.nextInt(4) == 0)) {
                benignSbrk(); // grow the heap before anything can fault
            }
            emitItem();
        }
        asm.place(itemMarks[items]);
        // falling off the end: exit (status 0 or random)
        asm.li(A0, rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 0);
        asm.liSmall(A7, EXIT);
        asm.w32(ECALL);
        asm.w32(EBREAK);
        byte[] text = asm.text();
        // pad the text to its page with junk, reachable by jumps
        byte[] full = new byte[(text.length + PAGE - 1) & -PAGE];
        System.arraycopy(text, 0, full, 0, text.length);
        for (int k = (text.length + 3) & ~3; k + 4 <= full.length; k += 4) {
            RvAsm.put32(full, k, rnd.nextInt(3) == 0 ? rnd.nextInt() : 0); // junk past the end, reachable by jumps
        }
        return RvAsm.elf(full, data, dataMem, task.nearDevices ? MMIO_BASE - 2 * PAGE : 0);
    }

    // ---- items -------------------------------------------------------------------------------

    private void emitItem() {
        if (rnd.nextDouble() < hostility) {
            hostileItem();
        } else {
            benignItem();
        }
    }

    /** Things real code does: they keep a program running (and reaching deeper states). */
    private void benignItem() {
        int w = rnd.nextInt(100);
        if (task.server && w < 20) {
            serveLoop();
        } else if (w < 40) {
            benignSyscall();
        } else if (w < 55) {
            benignAlu();
        } else if (w < 72) {
            benignLoadStore();
        } else if (w < 76) {
            benignAmo();
        } else if (w < 80) {
            asm.jal(ZERO, forwardTarget());
        } else if (w < 85) {
            asm.branch(pick(0, 1, 4, 5, 6, 7), reg(), reg(), forwardTarget());
        } else if (w < 90) {
            benignSbrk();
        } else if (w < 94) {
            callLoop();
        } else if (w < 96) {
            asm.w32(pick(0x0ff0000f, 0x0000100f, 0x8330000f)); // fences
        } else {
            syscall(pick(YIELD, CLOCK, TASK_SELF));
        }
    }

    /** Things that fault, confuse or end the program. */
    private void hostileItem() {
        int w = rnd.nextInt(100);
        if (w < 12) {
            syscall(-1);
        } else if (w < 20) {
            alu();
        } else if (w < 32) {
            asm.w32(randomWord32());
        } else if (w < 40) {
            asm.w16(randomWord16());
        } else if (w < 52) {
            loadStore();
        } else if (w < 58) {
            amo();
        } else if (w < 62) {
            asm.jal(rnd.nextInt(4) == 0 ? RA : ZERO, randomTarget());
        } else if (w < 67) {
            asm.branch(pick(0, 1, 4, 5, 6, 7), reg(), reg(), randomTarget());
        } else if (w < 72) {
            indirectJump();
        } else if (w < 80) {
            sbrkPattern();
        } else if (w < 83) {
            asm.w32(EBREAK);
        } else if (w < 89) {
            csr();
        } else if (w < 94) {
            system();
        } else if (w < 97) {
            syscall(pick(EXIT, ABORT, WAIT));
        } else {
            asm.w32(ECALL); // whatever the registers hold
        }
    }

    /** A register benign code may clobber (not sp, ra, gp, tp, s1). */
    private int scratchReg() {
        return pick(
                T0, T1, T2, S0, A0, A1, A2, A3, A4, A5, A6, A7, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, T3, T4, T5, T6);
    }

    private void benignAlu() {
        int k = rnd.nextInt(5);
        switch (k) {
            case 0 -> asm.w32(RvAsm.addi(scratchReg(), reg(), rnd.nextInt(4096) - 2048));
            case 1 -> asm.w32(RvAsm.u(rnd.nextInt(1 << 20), scratchReg(), 0x37));
            case 2 -> asm.w32(RvAsm.r(pick(0, 0x20, 1), reg(), reg(), rnd.nextInt(8), scratchReg(), 0x33));
            case 3 -> asm.w32(RvAsm.r(pick(0, 0x20, 1), reg(), reg(), pick(0, 1, 4, 5, 6, 7), scratchReg(), 0x3b));
            default -> asm.li(scratchReg(), randomValue());
        }
    }

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

    private void benignLoadStore() {
        int base = pick(T0, T1, T2, T3, T4, T5);
        int f3 = rnd.nextInt(4);
        asm.li(base, benignAddress(8));
        if (rnd.nextBoolean()) {
            asm.w32(RvAsm.i(0, base, f3 | (f3 < 3 && rnd.nextBoolean() ? 4 : 0), scratchReg(), 0x03));
        } else {
            asm.w32(RvAsm.s(0, reg(), base, f3, 0x23));
        }
    }

    private void benignAmo() {
        int base = pick(T0, T1, T2);
        asm.li(base, benignAddress(8));
        int f5 = pick(0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c);
        asm.w32(RvAsm.r((f5 << 2) | rnd.nextInt(4), reg(), base, pick(2, 3), scratchReg(), 0x2f));
    }

    private void benignSbrk() {
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
            setReg(A0, rnd.nextBoolean() ? rnd.nextInt(512) * 8 : 4096L * rnd.nextInt(20));
            asm.liSmall(A7, SBRK);
            asm.w32(ECALL);
            int skip = asm.newMark();
            asm.branch(4, A0, ZERO, skip); // blt a0, zero: ENOMEM
            asm.w32(RvAsm.s(0, A1, A0, 3, 0x23)); // store at the old break (never past the new one: inc >= 8 or 0)
            asm.place(skip);
        }
    }

    private void benignSyscall() {
        long[] a = benignSyscall(task);
        int nr = (int) a[7];
        for (int k = 0; k < 7; k++) {
            setReg(A0 + k, a[k]);
        }
        asm.liSmall(A7, nr);
        asm.w32(ECALL);
    }

    private int reg() {
        return rnd.nextInt(32);
    }

    /** A destination register: rarely sp (so that stack accesses mostly stay plausible). */
    private int rd() {
        int r = rnd.nextInt(32);
        return r == SP && rnd.nextInt(8) != 0 ? T1 : r;
    }

    private int randomWord32() {
        int w = rnd.nextInt();
        return rnd.nextBoolean() ? w | 3 : w; // mostly 32-bit encodings
    }

    private int randomWord16() {
        int w = rnd.nextInt(0x10000);
        return (w & 3) == 3 ? w & ~1 : w;
    }

    private void alu() {
        int k = rnd.nextInt(8);
        switch (k) {
            case 0 -> asm.w32(RvAsm.addi(rd(), reg(), rnd.nextInt(4096) - 2048));
            case 1 -> asm.w32(RvAsm.u(rnd.nextInt(1 << 20), rd(), 0x37)); // lui
            case 2 -> asm.w32(RvAsm.r(pick(0, 0x20, 1), reg(), reg(), rnd.nextInt(8), rd(), 0x33)); // OP / M
            case 3 -> asm.w32(RvAsm.r(pick(0, 0x20, 1), reg(), reg(), pick(0, 1, 4, 5, 6, 7), rd(), 0x3b)); // OP-32
            case 4 ->
                asm.w32(RvAsm.i(rnd.nextInt(64) | (rnd.nextBoolean() ? 0x400 : 0), reg(), pick(1, 5), rd(), 0x13));
            case 5 -> asm.w32(RvAsm.u(rnd.nextInt(1 << 20), rd(), 0x17)); // auipc
            case 6 -> asm.li(rd(), randomValue());
            default -> asm.w32(RvAsm.i(rnd.nextInt(4096), reg(), pick(0, 2, 3, 4, 6, 7), rd(), 0x13));
        }
    }

    private void loadStore() {
        int base = pick(T0, T1, T2, T3, T4, T5, A0, A5);
        int off = rnd.nextInt(4) == 0 ? rnd.nextInt(4096) - 2048 : rnd.nextInt(64) - 32;
        if (rnd.nextInt(5) == 0) {
            base = SP;
        } else {
            asm.li(base, address() - off);
        }
        if (rnd.nextBoolean()) {
            asm.w32(RvAsm.i(off, base, pick(0, 1, 2, 3, 4, 5, 6), rd(), pick(0x03, 0x03, 0x07))); // loads (int, fp)
        } else {
            asm.w32(RvAsm.s(off, reg(), base, pick(0, 1, 2, 3), pick(0x23, 0x23, 0x27))); // stores (int, fp)
        }
    }

    private void amo() {
        int base = pick(T0, T1, T2, A0);
        asm.li(base, address());
        int f5 = pick(0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c);
        int aqrl = rnd.nextInt(4);
        int rs2 = f5 == 0x02 ? 0 : reg(); // lr: rs2 = 0
        asm.w32(RvAsm.r((f5 << 2) | aqrl, rs2, base, pick(2, 3), rd(), 0x2f));
    }

    private void indirectJump() {
        int r = pick(T0, T1, A0, RA);
        long target = switch (rnd.nextInt(6)) {
            case 0, 1 -> RvAsm.TEXT + (rnd.nextInt(asm.offset() + 64) & ~1); // somewhere in the code
            case 2 -> RvAsm.TEXT + rnd.nextInt(asm.offset() + 64) | 1; // odd (jalr clears bit 0)
            default -> address();
        };
        asm.li(r, target);
        asm.w32(RvAsm.jalr(rnd.nextBoolean() ? RA : ZERO, r, rnd.nextInt(16) - 8));
    }

    private void csr() {
        int csr = switch (rnd.nextInt(6)) {
            case 0 -> pick(0x300, 0x305, 0x341, 0x342, 0x343, 0x344, 0x304, 0x180, 0x100, 0x105, 0x141, 0x3a0, 0x3b0);
            case 1 -> pick(0xc00, 0xc01, 0xc02, 0xb00, 0xf14, 0x001, 0x002, 0x003);
            default -> rnd.nextInt(4096);
        };
        int f3 = pick(1, 2, 3, 5, 6, 7);
        int src = f3 >= 5 ? rnd.nextInt(32) : reg();
        if (rnd.nextInt(3) == 0 && f3 < 5) {
            asm.li(src == 0 ? T0 : src, randomValue());
        }
        asm.w32(RvAsm.i(csr, src, f3, rd(), 0x73));
    }

    private void system() {
        asm.w32(
                switch (rnd.nextInt(8)) {
                    case 0 -> 0x30200073; // mret
                    case 1 -> 0x10200073; // sret
                    case 2 -> 0x10500073; // wfi
                    case 3 -> 0x0ff0000f; // fence
                    case 4 -> 0x0000100f; // fence.i
                    case 5 -> 0x12000073; // sfence.vma
                    case 6 -> 0x00200073; // uret
                    default -> 0x8330000f; // fence.tso
                });
    }

    // ---- syscalls ----------------------------------------------------------------------------

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
                        default -> -2; // a random number
                    };
        }
        long[] a = syscallArgs(nr);
        for (int k = 0; k < 7; k++) {
            if (rnd.nextInt(12) != 0) { // sometimes leave a register as it is
                setReg(A0 + k, a[k]);
            }
        }
        if (nr == -2) {
            asm.li(
                    A7,
                    pickL(
                            17,
                            18,
                            19,
                            20,
                            31,
                            64,
                            255,
                            1000,
                            -1,
                            -17,
                            1L << 31,
                            1L << 32,
                            Long.MIN_VALUE,
                            rnd.nextLong()));
        } else {
            asm.liSmall(A7, nr);
        }
        asm.w32(ECALL);
        if (rnd.nextInt(3) == 0) {
            useResult();
        }
    }

    private void setReg(int r, long v) {
        if (v >= -2048 && v < 2048) {
            asm.liSmall(r, (int) v);
        } else {
            asm.li(r, v);
        }
    }

    /** Touch memory at (or branch on) the syscall's result, as real code would. */
    private void useResult() {
        switch (rnd.nextInt(4)) {
            case 0 -> asm.w32(RvAsm.s(rnd.nextInt(64) - 8, reg(), A0, pick(0, 3), 0x23)); // store at a0
            case 1 -> asm.w32(RvAsm.i(rnd.nextInt(64) - 8, A0, pick(2, 3), rd(), 0x03)); // load from a0
            case 2 -> asm.branch(pick(4, 5), A0, ZERO, randomTarget()); // on sign
            default -> asm.w32(RvAsm.s(rnd.nextInt(64), A1, A0, 3, 0x23));
        }
    }

    /** A burst of sbrk calls in a pattern, each result stored through. */
    private void sbrkPattern() {
        int n = 1 + rnd.nextInt(6);
        int kind = rnd.nextInt(4);
        long inc = sbrkIncrement();
        for (int k = 0; k < n; k++) {
            long v = switch (kind) {
                case 0 -> inc; // the same again and again
                case 1 -> inc * (k + 1); // growing
                case 2 -> (k & 1) == 0 ? inc : -inc; // up and (invalid) down
                default -> sbrkIncrement();
            };
            setReg(A0, v);
            asm.liSmall(A7, SBRK);
            asm.w32(ECALL);
            if (rnd.nextBoolean()) {
                // write at the old break (valid if sbrk succeeded) or just past it
                asm.w32(RvAsm.s(
                        rnd.nextBoolean() ? 0 : (int) Math.min(2040, Math.max(-2048, v)) & ~7, A7, A0, 3, 0x23));
            }
        }
    }

    /** A serve loop: receive, a few random items, reply-and-receive, repeat. */
    private void serveLoop() {
        long ep = task.serveSlots.isEmpty() ? slot() : task.serveSlots.get(rnd.nextInt(task.serveSlots.size()));
        int top = asm.mark();
        setReg(A0, ep);
        asm.liSmall(A7, rnd.nextInt(4) == 0 ? RECV : REPLY_RECV);
        asm.w32(ECALL);
        int body = rnd.nextInt(5);
        for (int k = 0; k < body; k++) {
            switch (rnd.nextInt(6)) {
                case 0 -> loadStore();
                case 1 -> asm.w32(randomWord32());
                case 2 -> sbrkPattern();
                case 3 -> syscall(-1);
                default -> alu();
            }
        }
        if (rnd.nextBoolean()) {
            setReg(A6, len()); // reply length
        }
        asm.jal(ZERO, top);
    }

    /** A few calls on one slot in a loop. */
    private void callLoop() {
        int count = 1 + rnd.nextInt(20);
        asm.liSmall(S1, count);
        int top = asm.mark();
        setReg(A0, slot());
        setReg(A1, label());
        setReg(A6, len());
        asm.liSmall(A7, CALL);
        asm.w32(ECALL);
        asm.w32(RvAsm.addi(S1, S1, -1));
        asm.branch(1, S1, ZERO, top); // bne s1, zero, top
    }

    // ---- the well-behaved helpers ------------------------------------------------------------

    /** An echo server on slot 0 that replies to every request with the message it got. */
    static byte[] echoServer() {
        RvAsm a = new RvAsm();
        int recv = a.mark();
        a.liSmall(A0, 0);
        a.liSmall(A7, RECV);
        a.w32(ECALL);
        int loop = a.mark();
        a.branch(4, A0, ZERO, recv); // blt a0, zero, recv
        a.liSmall(A0, 0);
        a.liSmall(A7, REPLY_RECV);
        a.w32(ECALL);
        a.jal(ZERO, loop);
        byte[] text = a.text();
        return RvAsm.elf(text, new byte[16], PAGE);
    }

    /** A client that calls slot 0 {@code calls} times with plausible messages, then exits 0. */
    static byte[] caller(int calls, long seed) {
        Random r = new Random(seed);
        RvAsm a = new RvAsm();
        a.liSmall(S1, calls);
        int top = a.mark();
        a.liSmall(A0, 0);
        a.li(A1, r.nextBoolean() ? (Blk.MAGIC << 16) | r.nextInt(6) : r.nextInt(8));
        a.li(A2, r.nextInt(4));
        a.li(A3, r.nextInt(64));
        a.li(A4, r.nextInt(8));
        a.liSmall(A5, 0);
        a.li(A6, r.nextInt(3) == 0 ? r.nextInt(4097) : 0);
        a.liSmall(A7, CALL);
        a.w32(ECALL);
        a.w32(RvAsm.addi(S1, S1, -1));
        a.branch(1, S1, ZERO, top);
        a.liSmall(A0, 0);
        a.liSmall(A7, EXIT);
        a.w32(ECALL);
        byte[] text = a.text();
        return RvAsm.elf(text, new byte[16], PAGE);
    }

    /**
     * The reference server: on slot 0, replies label + 1, w0 + w1, and the first buffer word + 7
     * (8 bytes).
     */
    static byte[] refServer() {
        RvAsm a = new RvAsm();
        int recv = a.mark();
        a.liSmall(A0, 0);
        a.liSmall(A7, RECV);
        a.w32(ECALL);
        int loop = a.mark();
        a.branch(4, A0, ZERO, recv); // blt a0, zero, recv
        a.w32(RvAsm.addi(A1, A1, 1));
        a.w32(RvAsm.r(0, A3, A2, 0, A2, 0x33)); // add a2, a2, a3
        a.li(T0, IPC_BUF);
        a.w32(RvAsm.i(0, T0, 3, T1, 0x03)); // ld t1, 0(t0)
        a.w32(RvAsm.addi(T1, T1, 7));
        a.w32(RvAsm.s(0, T1, T0, 3, 0x23)); // sd t1, 0(t0)
        a.liSmall(A6, 8);
        a.liSmall(A0, 0);
        a.liSmall(A7, REPLY_RECV);
        a.w32(ECALL);
        a.jal(ZERO, loop);
        return RvAsm.elf(a.text(), new byte[16], PAGE);
    }

    static final String REF_OK = "ref: ok\n";
    static final String REF_FAIL = "ref: FAIL\n";

    /** The reference client: {@code calls} calls to slot 0, each reply checked; prints REF_OK and exits 0. */
    static byte[] refClient(int calls) {
        RvAsm a = new RvAsm();
        int fail = a.newMark();
        a.liSmall(S1, calls);
        int top = a.mark();
        a.li(T0, IPC_BUF);
        a.w32(RvAsm.s(0, S1, T0, 3, 0x23)); // buffer word = s1
        a.liSmall(A0, 0);
        a.w32(RvAsm.addi(A1, S1, 0));
        a.w32(RvAsm.addi(A2, S1, 0));
        a.li(A3, 0x1234);
        a.liSmall(A6, 8);
        a.liSmall(A7, CALL);
        a.w32(ECALL);
        a.branch(1, A0, ZERO, fail); // status
        a.w32(RvAsm.addi(T1, S1, 1));
        a.branch(1, A1, T1, fail); // label + 1
        a.li(T1, 0x1234);
        a.w32(RvAsm.r(0, T1, S1, 0, T1, 0x33));
        a.branch(1, A2, T1, fail); // w0 + w1
        a.liSmall(T1, 8);
        a.branch(1, A6, T1, fail); // 8 bytes back
        a.li(T0, IPC_BUF);
        a.w32(RvAsm.i(0, T0, 3, T2, 0x03));
        a.w32(RvAsm.addi(T1, S1, 7));
        a.branch(1, T2, T1, fail); // buffer word + 7
        a.w32(RvAsm.addi(S1, S1, -1));
        a.branch(1, S1, ZERO, top);
        a.li(A0, RvAsm.DATA);
        a.liSmall(A1, REF_OK.length());
        a.liSmall(A7, CONSOLE_WRITE);
        a.w32(ECALL);
        a.liSmall(A0, 0);
        a.liSmall(A7, EXIT);
        a.w32(ECALL);
        a.place(fail);
        a.li(A0, RvAsm.DATA + 16);
        a.liSmall(A1, REF_FAIL.length());
        a.liSmall(A7, CONSOLE_WRITE);
        a.w32(ECALL);
        a.liSmall(A0, 1);
        a.liSmall(A7, EXIT);
        a.w32(ECALL);
        byte[] data = new byte[32];
        byte[] ok = REF_OK.getBytes(StandardCharsets.US_ASCII);
        byte[] bad = REF_FAIL.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(ok, 0, data, 0, ok.length);
        System.arraycopy(bad, 0, data, 16, bad.length);
        return RvAsm.elf(a.text(), data, PAGE);
    }
}
