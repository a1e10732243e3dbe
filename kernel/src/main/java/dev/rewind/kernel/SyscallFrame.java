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

    /** The kernel thread's one frame, set up afresh for each syscall (no allocation per trap). */
    SyscallFrame reset(long[] args) {
        this.a = args;
        this.written = 0;
        this.sum = -1;
        return this;
    }

    /**
     * Take the message's sum off the number in a[7] if the task put one there (CALL, REPLY and
     * REPLY_RECV with {@link Abi#SYS_SUMMED}), leaving the number alone. Any other number with
     * that bit, or with the bit and other high bits of the low word, is left as it is: no such
     * syscall (ENOSYS).
     */
    void takeSum() {
        long nr = a[7];
        if ((nr & Abi.SYS_SUMMED) == 0) {
            return;
        }
        long base = nr & (Abi.SYS_SUMMED - 1);
        if (base == Abi.SYS_CALL || base == Abi.SYS_REPLY || base == Abi.SYS_REPLY_RECV) {
            sum = nr >>> 32;
            a[7] = base;
        }
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
        final long k = 0x9e3779b97f4a7c15L;
        long h = k;
        for (int i = 1; i <= 6; i++) {
            h = (h ^ a[i]) * k;
            h ^= h >>> 32;
        }
        return h & 0xffffffffL;
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
