package dev.rewind.kernel;

import dev.rewind.abi.Abi;
import dev.rewind.hw.GuestText;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.Perm;
import dev.rewind.kernel.SyscallFrame.Next;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The syscall dispatcher. Runs on the kernel thread after the task's CPU stopped at an ecall.
 * Every syscall has one shape: take a0..a7, validate every argument (a bad pointer is EFAULT,
 * a bad capability ECAP, a bad length EINVAL/ETOOBIG; nothing a guest passes can throw), then
 * either answer at once through its {@link SyscallFrame} (the task goes on, or yields) or block
 * or end the task; the handler returns which ({@link Next}).
 */
final class Syscalls {
    private static final Logger log = LoggerFactory.getLogger(Syscalls.class);
    private static final Logger trace = LoggerFactory.getLogger("rewind.trace");
    private static final long MAX_CONSOLE_WRITE = 1 << 20;
    private static final long HEAP_CHUNK = 64 * 1024;

    private final Kernel k;
    private long[] a;
    private final byte[] scratch = new byte[4096];
    private final SyscallFrame frame = new SyscallFrame();

    Syscalls(Kernel k) {
        this.k = k;
    }

    /**
     * Handle the syscall whose registers are in {@code a} (a0..a7, then the PC; the array is the
     * CPU's): the handler writes its results into it, and they are copied to the CPU unless the
     * task blocked. Returns what the task does next.
     */
    Next dispatch(Task t, long[] a) {
        this.a = a;
        SyscallFrame f = frame.reset(a);
        f.takeSum(); // (a[7] holds the number alone from here on)
        t.madeSyscall(System.nanoTime());
        long nr = a[7];
        if (nr == Abi.SYS_CALL) {
            t.callSumBack(f.sumBack());
        }
        long a0 = a[0];
        long a1 = a[1];
        long a2 = a[2];
        Recovery rec = t.recovery();
        Fault notBuilt = notAsBuilt(t, f);
        if (notBuilt != null) {
            // (before anything commits: a held reply, or the work after a call, is still open)
            t.faultWhenStopped(notBuilt);
            return Next.BLOCKED;
        }
        if ((rec.heldReply() != null || rec.continuing())
                && TxIpc.releasesHeldReply(nr)
                && !Ipc.refusedAtOnce(t, nr, a)) {
            // (the request's transaction, or the work after a call, commits before this syscall;
            // not before a receive that is refused at once: a register of the server's loop
            // flipped after its REPLY made its WAIT_ANY ECAP, it committed the request, and the
            // fault that followed was outside any request, a restart; outside scheduler seed 1212045)
            if (rec.heldReply() != null) {
                Fault stop = rec.releasing(nr, a);
                if (stop != null) {
                    t.faultWhenStopped(stop);
                    return Next.BLOCKED;
                }
                k.ipc.releaseReply(t);
            } else {
                Fault exit = nr == Abi.SYS_EXIT ? rec.checkExit(a[8]) : null;
                if (exit != null) {
                    // (an exit from the work after a call, before that work commits: checkExit)
                    t.faultWhenStopped(exit);
                    return Next.BLOCKED;
                }
                rec.leaving(nr);
            }
        }
        Fault stop = rec.beforeSyscall(a[8]);
        if (stop != null) {
            t.faultWhenStopped(stop);
            return Next.BLOCKED;
        }
        rec.syscall(nr);
        Next next = rec.answerFromRecord(nr, f);
        if (next == null) {
            next = handle(t, f, nr, a0, a1);
            if (next != Next.BLOCKED) {
                rec.answered(nr, a, f.written());
            }
        }
        if (k.config.trace()) {
            traceCall(
                    t,
                    nr,
                    a0,
                    a1,
                    a2,
                    next == Next.BLOCKED ? "blocked" : describe(a[0]) + (f.written() >= 2 ? " a1=" + a[1] : ""));
        }
        if (next != Next.BLOCKED) {
            if (f.sumBack() && a[0] == Abi.OK) {
                // (the sum of the request or reply it got, as it asked: SYS_SUM_BACK)
                if (nr == Abi.SYS_CALL ? f.written() >= 7 : f.written() == 8) {
                    a[0] = SyscallFrame.summedStatus(a, nr != Abi.SYS_CALL);
                }
            }
            t.cpu().writeArgs(a, f.written());
        }
        return next;
    }

    /**
     * Null if the message in a1..a6 is the one the task built in memory, or it sent no sum
     * ({@link Abi#SYS_SUMMED}); else the fault its recovery raises instead of making the call: a
     * skipped load, or a register changed after it, with nothing sent.
     */
    private static Fault notAsBuilt(Task t, SyscallFrame f) {
        long want = f.sum();
        if (want < 0) {
            return null;
        }
        long have = SyscallFrame.messageSum(f.a);
        if (have == want) {
            return null;
        }
        String what = String.format(
                "%s's message in a1..a6 is not the one built in memory (registers' sum 0x%08x, the message's 0x%08x)",
                Abi.syscallName(f.a[7]), have, want);
        return t.recovery().messageNotAsBuilt(t, f.a[8], f.a[7] != Abi.SYS_CALL, what);
    }

    /** Run syscall {@code nr}'s handler. */
    private Next handle(Task t, SyscallFrame f, long nr, long a0, long a1) {
        return nr < 0 || nr > Integer.MAX_VALUE
                ? f.ret(Abi.ENOSYS)
                : switch ((int) nr) {
                    case Abi.SYS_CALL -> k.ipc.call(t, f);
                    case Abi.SYS_REPLY_RECV -> k.ipc.replyRecv(t, f);
                    case Abi.SYS_RECV -> k.ipc.recv(t, f);
                    case Abi.SYS_REPLY -> k.ipc.reply(t, f);
                    case Abi.SYS_TASK_SELF -> f.ret(t.id().packed());
                    case Abi.SYS_DEVICE_INFO -> k.ipc.deviceInfo(t, f);
                    case Abi.SYS_CLOCK -> f.ret(k.now());
                    case Abi.SYS_WALL_CLOCK -> f.ret(k.wallClock());
                    case Abi.SYS_CONSOLE_WRITE -> f.ret(consoleWrite(t, a0, a1));
                    case Abi.SYS_CONSOLE_READ -> f.ret(consoleRead(t, a0, a1));
                    case Abi.SYS_SBRK -> f.ret(sbrk(t, a0));
                    case Abi.SYS_YIELD -> {
                        f.ret(0);
                        yield Next.PREEMPT;
                    }
                    case Abi.SYS_EXIT -> {
                        Fault corrupt = t.recovery().checkExit(f.a[8]);
                        if (corrupt != null) {
                            t.faultWhenStopped(corrupt);
                            yield Next.BLOCKED;
                        }
                        t.exited(a0);
                        yield Next.BLOCKED;
                    }
                    case Abi.SYS_ABORT -> {
                        Fault abort = abortFault(t, a0, a1 & ~Abi.ABORT_DELIVERY);
                        // (with the bit: the SDK found a delivered message changed before its store)
                        t.faultWhenStopped(
                                (a1 & Abi.ABORT_DELIVERY) != 0 ? t.recovery().deliveryNotAsSent(t, abort) : abort);
                        yield Next.BLOCKED;
                    }
                    case Abi.SYS_NOTIFY -> k.ipc.notify(t, f);
                    case Abi.SYS_WAIT -> k.ipc.waitOn(t, f, true);
                    case Abi.SYS_POLL -> k.ipc.waitOn(t, f, false);
                    case Abi.SYS_WAIT_ANY -> k.ipc.waitAny(t, f);
                    case Abi.SYS_CAP_LOOKUP -> f.ret(capLookup(t, a0, a1));
                    case Abi.SYS_CAP_REFRESH -> k.ipc.refresh(t, f);
                    case Abi.SYS_CLIENT_ALIVE -> k.ipc.clientAlive(t, f);
                    default -> f.ret(Abi.ENOSYS);
                };
    }

    private void traceCall(Task t, long nr, long a0, long a1, long a2, String result) {
        String name = Abi.syscallName(nr);
        if (nr == Abi.SYS_CALL || nr == Abi.SYS_RECV || nr == Abi.SYS_REPLY_RECV || nr == Abi.SYS_WAIT_ANY) {
            a0 = Task.slot(a0); // (the slot, without the SDK's tag)
        }
        trace.info(
                "{} {}(a0=0x{}, a1=0x{}, a2=0x{}) -> {}",
                t,
                name == null ? "#" + nr : name,
                Long.toHexString(a0),
                Long.toHexString(a1),
                Long.toHexString(a2),
                result);
    }

    private static String describe(long r) {
        String e = r < 0 ? Abi.errorName(r) : null;
        return e != null ? e : Long.toString(r);
    }

    /**
     * Up to {@code len} bytes of the console's input into the task's memory at {@code ptr},
     * without waiting: their count, 0 at the end of the input (also when there is none), EAGAIN
     * while none has come. Input is consumed once: a rolled-back request does not get it again.
     */
    private long consoleRead(Task t, long ptr, long len) {
        if (len < 0 || len > MAX_CONSOLE_WRITE) {
            return Abi.EINVAL;
        }
        AddressSpace mem = t.cpu().memory();
        if (!mem.check(ptr, len, Perm.WRITE)) {
            return Abi.EFAULT;
        }
        ConsoleInput in = k.consoleInput;
        if (in == null || len == 0) {
            return 0;
        }
        int n = in.read(scratch, (int) Math.min(len, scratch.length));
        if (n < 0) {
            return Abi.EAGAIN;
        }
        mem.write(ptr, scratch, 0, n);
        return n;
    }

    private long consoleWrite(Task t, long ptr, long len) {
        if (len < 0 || len > MAX_CONSOLE_WRITE) {
            return Abi.EINVAL;
        }
        AddressSpace mem = t.cpu().memory();
        if (!mem.check(ptr, len, Perm.READ)) {
            return Abi.EFAULT;
        }
        if (t.recovery().replaying()) {
            return len; // printed when the request first ran
        }
        long done = 0;
        while (done < len) {
            int n = (int) Math.min(scratch.length, len - done);
            mem.read(ptr + done, scratch, 0, n);
            k.console.transmit(scratch, 0, n);
            done += n;
        }
        return len;
    }

    /**
     * Grow the heap. The heap is mapped in runs that grow geometrically: each new run is at least
     * as large as the heap mapped so far (and at least 64 KiB), capped at the task's heap limit,
     * so a heap grown in small steps costs a handful of mappings (log2 of its size), not one per
     * step. Frames not yet touched cost no host memory (see PhysicalMemory). The limit stops
     * below any device-register window above the heap: growing into it is ENOMEM.
     */
    private long sbrk(Task t, long increment) {
        if (increment < 0) {
            return Abi.EINVAL;
        }
        long limit = heapLimit(t);
        if (increment > limit - t.brk()) {
            return Abi.ENOMEM;
        }
        long newBrk = t.brk() + increment;
        long mapped = t.heapMappedEnd();
        if (newBrk > mapped) {
            long needed = (newBrk + Kernel.PAGE - 1) & -Kernel.PAGE;
            long step = Math.max(HEAP_CHUNK, mapped - t.heapStart());
            long end = Math.min(Math.max(needed, mapped + step), limit);
            // Where the RAM has no run that large, the largest run that fits, halving down to
            // what this call needs: a heap grown in small steps on a nearly full machine must
            // not become one mapping per step (the engine holds a bounded number).
            String why;
            while ((why = t.growHeap(end)) != null) {
                if (end == needed) {
                    // once per task at WARN: a guest retrying in a loop must not flood the log
                    if (t.noteHeapRefused()) {
                        log.warn("task {}: sbrk({}) failed: {} (further failures logged at debug)", t, increment, why);
                    } else {
                        log.debug("task {}: sbrk({}) failed: {}", t, increment, why);
                    }
                    return Abi.ENOMEM;
                }
                end = Math.max(needed, (mapped + (end - mapped) / 2 + Kernel.PAGE - 1) & -Kernel.PAGE);
            }
        }
        return t.moveBreak(newBrk);
    }

    /**
     * The highest break {@code t} may have: its heap size past the image, and below the first
     * device-register window at or above the heap (page-aligned, since both are).
     */
    static long heapLimit(Task t) {
        long limit = t.heapStart() + t.spec().heapBytes();
        for (BoundDevice bd : t.devices()) {
            if (bd.base >= t.heapStart()) {
                limit = Math.min(limit, bd.base);
            }
        }
        return limit;
    }

    private long capLookup(Task t, long ptr, long len) {
        if (len <= 0 || len > Abi.NAME_MAX) {
            return Abi.EINVAL;
        }
        if (!t.cpu().memory().read(ptr, scratch, 0, (int) len)) {
            return Abi.EFAULT;
        }
        String name = new String(scratch, 0, (int) len, StandardCharsets.UTF_8);
        int slot = t.capSlot(name);
        return slot >= 0 ? slot : Abi.ENOENT;
    }

    private static boolean blank(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    private Fault abortFault(Task t, long ptr, long len) {
        String msg = "";
        if (len > 0) {
            int n = (int) Math.min(len, 256);
            if (t.cpu().memory().read(ptr, scratch, 0, n)) {
                int from = 0;
                // Blanks and line ends around the message go; any other control character
                // stays, escaped (an ESC at the start must show, not vanish).
                while (n > 0 && blank(scratch[n - 1])) {
                    n--;
                }
                while (from < n && blank(scratch[from])) {
                    from++;
                }
                msg = GuestText.decode(scratch, from, n - from); // guest text: control characters escaped
            } else {
                msg = String.format("(unreadable message at 0x%x)", ptr);
            }
        }
        long pc = a[8] - 4;
        return new Fault(FaultKind.ABORT, pc, 0, t.image().describe(pc), msg);
    }
}
