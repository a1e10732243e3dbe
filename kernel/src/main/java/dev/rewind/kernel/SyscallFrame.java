package dev.rewind.kernel;

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

    /** The kernel thread's one frame, set up afresh for each syscall (no allocation per trap). */
    SyscallFrame reset(long[] args) {
        this.a = args;
        this.written = 0;
        return this;
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
