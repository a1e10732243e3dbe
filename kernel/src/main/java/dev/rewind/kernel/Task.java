package dev.rewind.kernel;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.RiscvCpu;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.kernel.image.TaskSpec;

/**
 * A task: one program in its own address space, with its own CPU context (a {@link RiscvCpu},
 * i.e. one Unicorn engine), capability table and scheduling state. All fields are owned by the
 * kernel thread; only {@link #cpu} is touched by the watchdog (to stop it).
 */
public final class Task {
    final TaskSpec spec;
    final int index;
    final ElfImage image;
    int generation = 1;
    TaskState state = TaskState.READY;
    Cpu cpu;
    long pc;
    Capability[] caps = new Capability[0];

    /** Registers a0..a(resultCount-1) to write before the task next runs. */
    final long[] result = new long[8];
    int resultCount;

    /** The message of a call waiting to be received (buffer data stays in this task's IPC buffer). */
    final long[] msg = new long[6];
    /** The endpoint this task is queued on (SENDING) or waits on (RECEIVING). */
    Endpoint blockedOn;
    /** The badge of the capability the pending call was made through. */
    long sendBadge;
    /** For a server: the caller it owes a reply, and that caller's generation. */
    Task replyTo;
    int replyToGeneration;
    /** For a client in AWAITING_REPLY: the server serving it. */
    Task servedBy;
    /** The notification this task waits on. */
    Notification waitingOn;

    long heapStart;
    long brk;
    long heapMappedEnd;

    int exitCode;
    /** A fault raised inside a syscall (abort), handled once the CPU has stopped. */
    Fault pendingFault;
    Fault lastFault;
    int restarts;
    int faults;

    /** The task's recovery policy (null for an agent, which never runs). */
    Recovery recovery;
    /** CPU time spent on the open request, for the policy's deadline. Read by the watchdog. */
    final RequestClock request = new RequestClock();

    /** Devices this task owns (drives). */
    final java.util.List<BoundDevice> devices = new java.util.ArrayList<>();
    /** Non-null for a pseudo-client through which the kernel sends requests (never scheduled). */
    Agent agentFor;
    /** For such an agent: the bytes its request carries (else it carries none). */
    byte[] agentPayload;

    /** Slices in a row that started with no other task ready (see Kernel.adjustPreemption). */
    int uncontendedSlices;

    /** CPU time accounting, nanoseconds. */
    long cpuNanos;
    /** Runaway accounting: CPU time since the last syscall, banked at the end of each slice. */
    long quietNanos;
    volatile long lastSyscallAt;

    Task(TaskSpec spec, int index, ElfImage image) {
        this.spec = spec;
        this.index = index;
        this.image = image;
    }

    public String name() {
        return spec.name();
    }

    public TaskId id() {
        return new TaskId(index, generation);
    }

    public int generation() {
        return generation;
    }

    public TaskState state() {
        return state;
    }

    public int priority() {
        return spec.priority();
    }

    public TaskSpec spec() {
        return spec;
    }

    public int exitCode() {
        return exitCode;
    }

    public Fault lastFault() {
        return lastFault;
    }

    public int restarts() {
        return restarts;
    }

    public int faults() {
        return faults;
    }

    public long cpuNanos() {
        return cpuNanos;
    }

    public ElfImage image() {
        return image;
    }

    public Cpu cpu() {
        return cpu;
    }

    /**
     * Where the task resumes. Meaningful while its CPU is stopped (in a {@link KernelProbe}
     * callback); part of the probes' surface ({@code dev.rewind.kernel.probe}).
     */
    public long pc() {
        return pc;
    }

    /**
     * Make the task resume at {@code pc}: the fault injector's instruction skip, from a
     * {@link KernelProbe#stopped} callback (the kernel writes it back to the CPU), and a
     * debugger's PC writes while the task is stopped.
     */
    public void resumeAt(long pc) {
        this.pc = pc;
    }

    /** The task's program break (the end of the heap it has asked for). */
    public long brk() {
        return brk;
    }

    /** The task's index in the system (its slot in the manifest's order; -1 for an agent). */
    public int index() {
        return index;
    }

    /** The task's capability table, by slot (a copy). */
    public java.util.List<Capability> capabilities() {
        return java.util.Collections.unmodifiableList(java.util.Arrays.asList(caps.clone()));
    }

    /** For a client awaiting a reply: the server serving its call; else null. */
    public Task servedBy() {
        return servedBy;
    }

    /** True while the task (a server) handles a request its recovery policy times and can undo. */
    public boolean inRequest() {
        return request.isOpen();
    }

    /**
     * The syscall results the kernel writes to a0, a1, ... when the task next runs (a copy;
     * empty if none): part of its registers as a debugger shows them.
     */
    public long[] pendingResults() {
        return java.util.Arrays.copyOf(result, resultCount);
    }

    /**
     * Replace the pending syscall results (at most 8 values; none: empty). For a debugger, while
     * the task is stopped (it edits registers, or moves the task in its history).
     */
    public void setPendingResults(long[] values) {
        if (values.length > result.length) {
            throw new IllegalArgumentException("at most " + result.length + " results, not " + values.length);
        }
        System.arraycopy(values, 0, result, 0, values.length);
        resultCount = values.length;
    }

    /** True for a task that serves at least one endpoint. */
    public boolean isServer() {
        return !spec.serves().isEmpty();
    }

    void setResult(long a0) {
        result[0] = a0;
        resultCount = Math.max(resultCount, 1);
    }

    void setResult2(long a0, long a1) {
        result[0] = a0;
        result[1] = a1;
        resultCount = Math.max(resultCount, 2);
    }

    @Override
    public String toString() {
        return name() + "#" + index + "." + generation;
    }
}
