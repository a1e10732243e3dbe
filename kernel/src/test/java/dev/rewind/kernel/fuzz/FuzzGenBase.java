package dev.rewind.kernel.fuzz;

import static dev.rewind.kernel.fuzz.FuzzGen.*;
import static dev.rewind.kernel.fuzz.RvAsm.PAGE;

import dev.rewind.abi.Blk;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * What the program generators of both instruction sets share ({@link FuzzGen} for RISC-V,
 * {@link A64Gen} for AArch64): the seed's random source, the task, the data segment (capability
 * names, random bytes, a console line), the items' marks, and the choice of values: interesting
 * addresses, register values, capability slots, lengths, labels, pointers and sbrk increments.
 * The layout is the same on both (the ABI's addresses are), so only the encoding differs.
 */
abstract class FuzzGenBase {
    protected final Random rnd;
    protected final FuzzGen.Task task;
    protected long dataAddr;
    protected long heapStart;
    protected int[] itemMarks;
    /** The share of items that fault, confuse or end the program (per program). */
    protected double hostility;

    protected int item;
    /** data layout: names at NAMES, random bytes after */
    protected static final int NAMES = 0;

    protected int[] nameOffsets;
    protected final byte[] data = new byte[PAGE];

    protected FuzzGenBase(long seed, FuzzGen.Task task) {
        this.rnd = new Random(seed);
        this.task = task;
    }

    protected void writeData() {
        String[] names = {"wb", "fz0", "fz1", "fz2", "fz3", "nt", "dev0", "ipc_echo", "nosuch", ""};
        nameOffsets = new int[names.length];
        int at = NAMES;
        for (int k = 0; k < names.length; k++) {
            byte[] n = names[k].getBytes(StandardCharsets.US_ASCII);
            nameOffsets[k] = at;
            System.arraycopy(n, 0, data, at, n.length);
            at += n.length + 1;
        }
        for (int k = 128; k < data.length; k++) {
            data[k] = (byte) rnd.nextInt();
        }
        // some readable text for console writes
        byte[] hello = "fuzz says hi\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(hello, 0, data, 96, hello.length);
    }

    protected int forwardTarget() {
        return itemMarks[Math.min(itemMarks.length - 1, item + 1 + rnd.nextInt(4))];
    }

    protected long validSlot() {
        return task.caps().isEmpty() ? 0 : rnd.nextInt(task.caps().size());
    }

    protected int randomTarget() {
        // mostly forward (programs tend to make progress), sometimes back
        if (rnd.nextInt(3) == 0) {
            return itemMarks[rnd.nextInt(itemMarks.length)];
        }
        return itemMarks[Math.min(itemMarks.length - 1, item + 1 + rnd.nextInt(8))];
    }

    protected int pick(int... options) {
        return options[rnd.nextInt(options.length)];
    }

    protected long pickL(long... options) {
        return options[rnd.nextInt(options.length)];
    }

    protected long randomValue() {
        return switch (rnd.nextInt(6)) {
            case 0 -> rnd.nextLong();
            case 1 -> rnd.nextInt(16) - 4;
            case 2 -> address();
            case 3 -> pickL(Long.MIN_VALUE, Long.MAX_VALUE, -1, 0x7fffffffL, 0x80000000L, 1L << 32);
            default -> rnd.nextInt(1 << 16);
        };
    }

    /** An address of some interesting kind. */
    protected long address() {
        long a = switch (rnd.nextInt(14)) {
            case 0, 1 -> dataAddr + rnd.nextInt(PAGE * 2);
            case 2 -> RvAsm.TEXT + rnd.nextInt(2 * PAGE);
            case 3, 4 -> STACK_TOP - 8 - rnd.nextInt(4096);
            case 5 -> heapStart + rnd.nextInt(1 << (4 + rnd.nextInt(18)));
            case 6, 7 -> IPC_BUF + rnd.nextInt(PAGE + 64);
            case 8 -> MMIO_BASE + rnd.nextInt(4) * 0x1000L + rnd.nextInt(64);
            case 9 -> STACK_TOP - task.stackBytes() - rnd.nextInt(2 * PAGE); // guard page and below
            case 10 -> rnd.nextInt(0x10000);
            case 11 -> pickL(0xffffffff80000000L, 0x8000000000000000L, 0x0000800000000000L, 0x7ffffffffffff000L, -8);
            case 12 -> STACK_TOP + rnd.nextInt(0x20000); // between stack and IPC buffer
            default -> rnd.nextLong();
        };
        if (rnd.nextInt(4) == 0) {
            a += rnd.nextInt(8); // often misaligned
        } else {
            a &= ~7L;
        }
        return a;
    }

    protected long slot() {
        return switch (rnd.nextInt(10)) {
            case 0 -> rnd.nextInt(16);
            case 1 -> pickL(-1, 1L << 32, Integer.MAX_VALUE, Long.MIN_VALUE, 64, 65536);
            default ->
                task.caps().isEmpty() ? rnd.nextInt(4) : rnd.nextInt(task.caps().size());
        };
    }

    protected long len() {
        return switch (rnd.nextInt(8)) {
            case 0 -> pickL(-1, 4097, 1L << 40, Long.MIN_VALUE, 8192);
            case 1 -> 4096;
            case 2 -> rnd.nextInt(4097);
            default -> rnd.nextInt(65);
        };
    }

    protected long label() {
        return switch (rnd.nextInt(4)) {
            case 0 -> (Blk.MAGIC << 16) | rnd.nextInt(8);
            case 1 -> rnd.nextLong();
            default -> rnd.nextInt(16);
        };
    }

    protected long pointer() {
        return switch (rnd.nextInt(6)) {
            case 0, 1 -> dataAddr + rnd.nextInt(PAGE);
            case 2 -> IPC_BUF + rnd.nextInt(PAGE);
            case 3 -> dataAddr + 96;
            default -> address();
        };
    }

    protected int nameLength(int n) {
        int end = nameOffsets[n];
        while (data[end] != 0) {
            end++;
        }
        return end - nameOffsets[n];
    }

    /**
     * A syscall that keeps the task going, for {@code task}: its arguments a0..a6 in [0..7),
     * its number in [7] (both instruction sets draw them alike, in the same order).
     */
    protected long[] benignSyscall(FuzzGen.Task task) {
        int nr = pick(
                YIELD,
                CONSOLE_WRITE,
                CLOCK,
                CALL,
                CALL,
                CALL,
                REPLY,
                NOTIFY,
                POLL,
                CAP_LOOKUP,
                CAP_REFRESH,
                TASK_SELF,
                DEVICE_INFO,
                RECV,
                REPLY_RECV);
        if (!task.server() && (nr == RECV || nr == REPLY_RECV || nr == REPLY)) {
            nr = CALL;
        }
        long[] a = new long[8];
        for (int k = 0; k < 7; k++) {
            a[k] = rnd.nextInt(16);
        }
        switch (nr) {
            case CONSOLE_WRITE -> {
                a[0] = dataAddr + 96;
                a[1] = rnd.nextInt(14);
            }
            case CAP_LOOKUP -> {
                int n = rnd.nextInt(nameOffsets.length - 1);
                a[0] = dataAddr + nameOffsets[n];
                a[1] = nameLength(n);
            }
            case RECV, REPLY_RECV -> {
                a[0] = task.serveSlots().isEmpty()
                        ? validSlot()
                        : task.serveSlots().get(rnd.nextInt(task.serveSlots().size()));
                a[1] = label();
                a[6] = rnd.nextInt(4) == 0 ? rnd.nextInt(4097) : rnd.nextInt(64);
            }
            default -> {
                a[0] = validSlot();
                a[1] = label();
                a[6] = rnd.nextInt(4) == 0 ? rnd.nextInt(4097) : rnd.nextInt(64);
            }
        }
        a[7] = nr;
        return a;
    }

    /**
     * Plausible arguments a0..a6 for syscall {@code nr} (both instruction sets draw them alike,
     * in the same order: a seed's program does not change with where this lives).
     */
    protected long[] syscallArgs(int nr) {
        long[] a = new long[7];
        for (int k = 0; k < 7; k++) {
            a[k] = rnd.nextInt(3) == 0 ? randomValue() : rnd.nextInt(8);
        }
        switch (nr) {
            case EXIT -> a[0] = rnd.nextInt(3) == 0 ? randomValue() : 0;
            case CONSOLE_WRITE -> {
                a[0] = pointer();
                a[1] = rnd.nextInt(6) == 0 ? len() : rnd.nextInt(24);
            }
            case SBRK -> a[0] = sbrkIncrement();
            case ABORT -> {
                a[0] = pointer();
                a[1] = rnd.nextInt(4) == 0 ? len() : rnd.nextInt(300);
            }
            case CALL, REPLY, REPLY_RECV, RECV -> {
                a[0] = slot();
                a[1] = label();
                a[6] = len();
            }
            case NOTIFY, WAIT, POLL, CAP_REFRESH, DEVICE_INFO -> {
                a[0] = slot();
                a[1] = rnd.nextInt(3) == 0 ? rnd.nextLong() : 1L << rnd.nextInt(64);
            }
            case CAP_LOOKUP -> {
                int n = rnd.nextInt(nameOffsets.length);
                a[0] = rnd.nextInt(5) == 0 ? pointer() : dataAddr + nameOffsets[n];
                a[1] = rnd.nextInt(5) == 0 ? len() : nameLength(n);
            }
            default -> {}
        }
        return a;
    }

    protected long sbrkIncrement() {
        return switch (rnd.nextInt(10)) {
            case 0 -> -rnd.nextInt(8192) - 1;
            case 1 -> pickL(Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40, 1L << 31, -4096, 1L << 62);
            case 2 -> task.heapBytes() - rnd.nextInt(4) * 4096L + rnd.nextInt(3) - 1; // about the limit
            case 3 -> 4096L * (1 + rnd.nextInt(64));
            case 4 -> 64 * 1024 + rnd.nextInt(3) - 1;
            case 5 -> 1L << (12 + rnd.nextInt(18));
            default -> rnd.nextInt(256);
        };
    }
}
