package dev.rewind.kernel;

import dev.rewind.abi.Abi;

/**
 * One syscall's registers: a0..a7 as the task passed them (a[8] is the PC to resume at), and
 * the results its handler writes back into the same array. A handler answers through
 * {@link #ret(long)} / {@link #ret(long, long)} (a0, or a0 and a1) or {@link #filled} (it wrote
 * a[0..n) itself) and returns what the task does next ({@link Next}); the dispatcher copies
 * the written registers to the CPU.
 */
final class SyscallFrame {
    /** What the task does after its syscall. */
    enum Next {
        /** Its results are written: it goes on at once, in the same slice. */
        CONTINUE,
        /** Its results are written, but it gives up the CPU (YIELD). */
        PREEMPT,
        /** It does not go on now: it blocked (whoever wakes it writes its results), exited, or faults. */
        BLOCKED
    }

    /** The CPU's argument array (a0..a7, then the PC). */
    long[] a;
    /** Registers a0..a(written-1) hold results to copy to the CPU. */
    private int written;

    /**
     * The sum the task put beside the syscall's number ({@link Abi#SYS_SUMMED}: the message it
     * built in memory), or -1 if it put none. The dispatcher takes it off a[7], which then holds
     * the number alone.
     */
    private long sum = -1;

    /** The task asked for its results' sum in a0 ({@link Abi#SYS_SUM_BACK}). */
    private boolean sumBack;

    /** The kernel thread's one frame, set up afresh for each syscall (no allocation per trap). */
    SyscallFrame reset(long[] args) {
        this.a = args;
        this.written = 0;
        this.sum = -1;
        this.sumBack = false;
        return this;
    }

    /**
     * Take the message's sum off the number in a[7] if the task put one there (CALL, REPLY and
     * REPLY_RECV with {@link Abi#SYS_SUMMED}), and the request for its results' sum ({@link
     * Abi#SYS_SUM_BACK}: CALL, RECV, REPLY_RECV and WAIT_ANY), leaving the number alone. Any
     * other number with those bits, or with them and other high bits of the low word, is left as
     * it is: no such syscall (ENOSYS).
     */
    void takeSum() {
        long nr = a[7];
        long flags = nr & (Abi.SYS_SUMMED | Abi.SYS_SUM_BACK);
        if (flags == 0) {
            return;
        }
        long base = nr & (Abi.SYS_SUM_BACK - 1);
        boolean sums = (flags & Abi.SYS_SUMMED) == 0
                || base == Abi.SYS_CALL
                || base == Abi.SYS_REPLY
                || base == Abi.SYS_REPLY_RECV;
        boolean back = (flags & Abi.SYS_SUM_BACK) == 0
                || base == Abi.SYS_CALL
                || base == Abi.SYS_RECV
                || base == Abi.SYS_REPLY_RECV
                || base == Abi.SYS_WAIT_ANY;
        if (!sums || !back || ((flags & Abi.SYS_SUMMED) == 0 && (nr >>> 32) != 0)) {
            return;
        }
        if ((flags & Abi.SYS_SUMMED) != 0) {
            sum = nr >>> 32;
        }
        sumBack = (flags & Abi.SYS_SUM_BACK) != 0;
        a[7] = base;
    }

    /** Whether the task asked for its results' sum in a0 ({@link Abi#SYS_SUM_BACK}). */
    boolean sumBack() {
        return sumBack;
    }

    /**
     * a0 as the task gets it when it asked for its results' sum ({@link Abi#SYS_SUM_BACK}) and
     * the call ended with {@code a[0]} OK and a message in {@code a[1..6]}, and a request's badge
     * in {@code a[7]} if {@code request}: 0x80000000 | the sum's 32 bits folded to 31 (bit 31
     * into bit 0), in the upper half.
     */
    static long summedStatus(long[] a, boolean request) {
        long h = chain(a);
        if (request) {
            h = step(h, a[7]);
        }
        long s = h & 0xffffffffL;
        return (0x80000000L | ((s ^ (s >>> 31)) & 0x7fffffffL)) << 32; // (bit 31 folded into bit 0)
    }

    private static long step(long h, long x) {
        h = (h ^ x) * 0x9e3779b97f4a7c15L;
        return h ^ (h >>> 32);
    }

    private static long chain(long[] a) {
        long h = 0x9e3779b97f4a7c15L;
        for (int i = 1; i <= 6; i++) {
            h = step(h, a[i]);
        }
        return h;
    }

    /** The message's sum as the task built it, or -1 if it sent none. */
    long sum() {
        return sum;
    }

    /**
     * The sum of the message in a1..a6 (guest/abi/abi.def, SYS_SUMMED; the SDK's {@code
     * rw__msg_sum}): 32 bits.
     */
    static long messageSum(long[] a) {
        return chain(a) & 0xffffffffL;
    }

    /** The task goes on with {@code a0} in a0. */
    Next ret(long a0) {
        a[0] = a0;
        written = Math.max(written, 1);
        return Next.CONTINUE;
    }

    /** The task goes on with {@code a0} and {@code a1}. */
    Next ret(long a0, long a1) {
        a[0] = a0;
        a[1] = a1;
        written = Math.max(written, 2);
        return Next.CONTINUE;
    }

    /** The handler wrote a[0..n) itself; the task goes on. */
    Next filled(int n) {
        written = Math.max(written, n);
        return Next.CONTINUE;
    }

    int written() {
        return written;
    }
}
