package dev.rewind.kernel.debug;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Kernel;
import java.util.List;
import java.util.Map;

/**
 * What a debugger (the gdb stub) may do to a running system: the narrow interface between a
 * debug protocol and the kernel ({@link KernelDebugger} implements it).
 *
 * <p>The model is all-stop: the whole system is either running or halted. While it is
 * halted the kernel thread waits and nothing runs; every method that touches tasks
 * (registers, memory, breakpoints) requires the halted state and throws
 * {@link IllegalStateException} otherwise. A resume may let only some tasks run
 * ({@link #resume(Map, Action, boolean)}): the others stay frozen, and any stop halts the
 * whole system again. Each task is a thread whose id is its slot index + 1, for the whole
 * run: the id stays the same across restarts (the generation changes) and after the task
 * has ended (it is then listed as exited or dead).
 *
 * <p>Methods may be called from any thread. Stop events are delivered to the {@link Listener}
 * on the kernel thread, which must not block in it.
 */
public interface DebugTarget {
    /**
     * General registers then pc: {@link Arch}'s readAll layout (RISC-V x0..x31, AArch64 x0..x30
     * and sp), in the order of the gdb target description.
     */
    int REGISTER_COUNT = Arch.REGISTERS;

    int PC = 32;

    /** gdb's own signal numbers (the remote protocol's, not the host's). */
    int SIGINT = 2;

    int SIGILL = 4;
    int SIGTRAP = 5;
    int SIGABRT = 6;
    int SIGBUS = 10;
    int SIGSEGV = 11;
    int SIGXCPU = 24;

    enum StopKind {
        /** The system is stopped because a debugger attached (or before the first instruction). */
        ATTACHED,
        /** The debugger asked for a halt (Ctrl-C). */
        INTERRUPTED,
        /** A task reached a breakpoint; its PC is the breakpoint address, not yet executed. */
        BREAKPOINT,
        /** A task touched a watched range. */
        WATCHPOINT,
        /** A single step completed. */
        STEPPED,
        /** A task faulted; recovery runs when the system resumes. */
        FAULTED,
        /**
         * A planned fault injection ({@code rewind inject --gdb}) is about to strike the task at
         * this instruction: it strikes when the system resumes.
         */
        INJECTION,
        /** Reverse execution reached the start of the task's history (gdb: no more history). */
        HISTORY_BEGIN,
        /**
         * The task ended by itself ({@link #reportTaskEnds}); the event's signal is its exit
         * status. The task is gone: it has no registers or memory.
         */
        EXITED,
        /**
         * The kernel stopped the task for good after a fault (recovery gave up); the event's
         * signal is the fault's. The task is gone.
         */
        TERMINATED
    }

    /** What one thread does when the system resumes. */
    enum Action {
        /** Stays frozen: it does not run until a later resume lets it (a caller waits for it). */
        STOP,
        CONTINUE,
        /** Executes one instruction, then the system stops (STEPPED). */
        STEP
    }

    enum WatchKind {
        WRITE,
        READ,
        ACCESS
    }

    /**
     * Why the system stopped.
     *
     * @param thread       the thread that stopped (task index + 1)
     * @param signal       the gdb signal number to report
     * @param watchKind    for WATCHPOINT: which kind of watchpoint triggered, else null
     * @param watchAddress for WATCHPOINT: the watched address that was accessed
     * @param description  a one-line explanation (the fault, for FAULTED)
     */
    record StopEvent(
            StopKind kind, int thread, int signal, WatchKind watchKind, long watchAddress, String description) {
        public StopEvent(StopKind kind, int thread, int signal, String description) {
            this(kind, thread, signal, null, 0, description);
        }
    }

    /**
     * A task as a thread.
     *
     * @param id    task index + 1
     * @param state the task state in lower case ("ready", "receiving", ...)
     * @param pc    where it will resume (at a fault stop: the faulting instruction)
     */
    record ThreadInfo(int id, String name, int generation, String state, String image, long pc) {}

    /** Hears stop events; called on the kernel thread, must not block. */
    interface Listener {
        void stopped(StopEvent event);
    }

    /**
     * A debugger connects: halt the system if it runs (a stop event follows, of kind
     * ATTACHED) and report stops to {@code listener} from now on.
     */
    void attach(Listener listener);

    /** The debugger leaves: forget every breakpoint, watchpoint and step, and resume. */
    void detach();

    /**
     * The debugger's connection ended without resuming the system or detaching (a handshake gdb
     * gave up on, a gdb that crashed before {@code continue}). If the system is still held before
     * its first instruction for a debugger ({@code --gdb-wait}), forget this debugger's
     * breakpoints and watchpoints and keep the system held, unchanged, for the next debugger:
     * true. Otherwise false, and nothing changes (the caller then {@link #detach()}es).
     */
    default boolean leaveHeld() {
        return false;
    }

    /** True while the kernel is stopped for the debugger. */
    boolean halted();

    /** Why the system is halted, or null while it runs. */
    StopEvent currentStop();

    /** Halt the running system soon (a stop event of kind INTERRUPTED follows). No-op if halted. */
    void interrupt();

    /**
     * As {@link #interrupt()}; if no task is on the CPU when the halt takes effect (every task
     * blocked: an idle system), the stop is reported in {@code preferred} (the thread the
     * debugger has selected) where it is live and the last resume let it run, as the thread a
     * user at the debugger looks at. 0: no preference.
     */
    default void interrupt(int preferred) {
        interrupt();
    }

    /** Resume every task (a fault stop's fault goes to the recovery policy). */
    default void resume() {
        resume(Map.of(), Action.CONTINUE, true);
    }

    /** Resume only {@code thread} for one instruction; the other tasks stay frozen. */
    default void step(int thread) {
        resume(Map.of(thread, Action.STEP), Action.STOP, true);
    }

    /**
     * Resume thread by thread: {@code actions} says what the threads it names do, {@code others}
     * what every other thread does. A stepped task executes one instruction (a system call
     * that blocks counts as executed: the step ends with the task blocked after its
     * {@code ecall}); a frozen task does not run, and a task that calls it waits until a later
     * resume lets it run. While only frozen tasks could run, the system waits for the
     * debugger (an {@link #interrupt()}) instead of ending.
     *
     * <p>At a fault stop, {@code deliverFault} says what becomes of the fault: true passes it
     * to the task's recovery policy, unless the debugger changed the task's registers at the
     * stop; false, or changed registers, resumes the task from its (possibly changed)
     * registers as if the fault had not happened. A fault stop that is really gdb's own
     * breakpoint (an instruction fetch from a breakpoint address, as where an inferior call
     * returns) always resumes from the registers. Throws IllegalArgumentException for an
     * unknown thread.
     */
    void resume(Map<Integer, Action> actions, Action others, boolean deliverFault);

    /**
     * Run {@code thread} backwards while every other task stays frozen: one instruction
     * ({@code step}), or back to the last breakpoint or watchpoint hit before now. A stop event
     * follows as for a resume ({@code HISTORY_BEGIN} at the start of the history). A later
     * resume of the thread replays its history forward before it runs live again.
     *
     * @throws IllegalArgumentException with the reason, when the thread cannot move back now (it
     *     is at its fault stop)
     */
    default void reverse(int thread, boolean step) {
        throw new UnsupportedOperationException("no reverse execution");
    }

    /**
     * For the resumes that follow (until changed): also halt when one of {@code threads} ends
     * while the system runs (a stop of kind {@link StopKind#EXITED} or
     * {@link StopKind#TERMINATED} for it). A debugger that shows every task as a process of its
     * own (gdb's multiprocess extensions) names the processes it resumed: gdb expects an exit
     * only of those. A task is reported so once, and only if it was live when the resume
     * began. Empty (the default, and after a detach): no such stops.
     */
    default void reportTaskEnds(java.util.Set<Integer> threads) {}

    /**
     * How the ended task {@code thread} ended, as the stop {@link #reportTaskEnds} reports (kind
     * EXITED with its exit status, or TERMINATED with its fault's signal); null while it lives.
     */
    default StopEvent endOf(int thread) {
        return null;
    }

    /**
     * True once the run is over (the kernel returned from {@link Kernel#run()}, for instance
     * after {@link #kill()}) and its final state is readable as while halted.
     */
    default boolean over() {
        return false;
    }

    /**
     * How many instructions back {@link #reverse} can take a task that serves no endpoint,
     * counted from where it first moves back (0: no limit but the checkpoint limits); a server
     * keeps the history of its whole request. Takes effect at the next move back from the
     * present. Throws IllegalArgumentException for a negative count.
     */
    default void setReverseWindow(long instructions) {
        throw new UnsupportedOperationException("no reverse execution");
    }

    /** The window of {@link #setReverseWindow}; 0: no limit. */
    default long reverseWindow() {
        return 0;
    }

    /** End the run: the kernel returns from {@link Kernel#run()} as soon as it can. */
    void kill();

    /** True once {@link #kill()} was called. */
    boolean killed();

    /**
     * Every task, by id, including those that have ended (state "exited" or "dead"; they have
     * no registers or memory any more).
     */
    List<ThreadInfo> threads();

    /** The instruction set the system's tasks run (one for the whole system). */
    default Arch arch() {
        return Arch.RISCV64;
    }

    /** The general registers and pc of {@code thread}; throws IllegalArgumentException for no such thread. */
    long[] readRegisters(int thread);

    /**
     * {@code thread}'s condition flags ({@link dev.rewind.hw.cpu.Cpu#flags()}: AArch64 NZCV as
     * cpsr holds them; 0 where the architecture has none, and for an ended task).
     */
    default long readFlags(int thread) {
        return 0;
    }

    /** Set what {@link #readFlags} reads, as {@link #writeRegister} sets a register. */
    default void writeFlags(int thread, long value) {}

    /**
     * {@code thread}'s extended registers ({@link dev.rewind.hw.cpu.Cpu#readExtended}'s layout:
     * AArch64 q0..q31 as two longs each, fpsr, fpcr, nzcv; empty where the architecture has
     * none; all zero for an ended task).
     */
    default long[] readExtended(int thread) {
        return new long[0];
    }

    /**
     * Is {@code thread}'s task in its past (reverse execution moved it back, and it has not gone
     * forward to the present yet)? Its memory and registers cannot be written there: the write
     * methods throw IllegalArgumentException, since reaching the present restores the state the
     * task left it in and would drop the change.
     */
    default boolean inPast(int thread) {
        return false;
    }

    /** Set what {@link #readExtended} reads (the whole array), as {@link #writeRegister} sets a register. */
    default void writeExtended(int thread, long[] values) {}

    /**
     * Set {@code thread}'s general registers and pc from {@code values} (in the order of
     * {@link #readRegisters}; RISC-V's x0 and entries past pc are ignored, a shorter array sets only what
     * it holds). At a fault stop a change makes the task resume from its registers (see
     * {@link #resume(Map, Action, boolean)}). Throws IllegalArgumentException for no such live
     * thread.
     */
    void writeRegisters(int thread, long[] values);

    /** Register {@code reg} (0..32, {@link #PC} last) of {@link #readRegisters}; IllegalArgumentException for no such register or thread. */
    long readRegister(int thread, int reg);

    /** Set one register as {@link #writeRegisters} does (writing RISC-V's x0 has no effect). */
    void writeRegister(int thread, int reg, long value);

    /**
     * Read {@code thread}'s memory at {@code address} into {@code dst}; returns how many bytes
     * (from the start) could be read: fewer than asked where the range runs into unmapped memory.
     */
    int readMemory(int thread, long address, byte[] dst);

    /** Write into {@code thread}'s memory (read-only pages too); false if any byte is unmapped. */
    boolean writeMemory(int thread, long address, byte[] src);

    /**
     * One mapped region of a task's address space: [start, end), its permissions as "rwx" text
     * ("r-x"), and the kernel's name of it ("segment0", "stack", "heap", "ipc", ...).
     */
    record Mapping(long start, long end, String perms, String name) {}

    /**
     * {@code thread}'s address space, in address order (gdb's {@code info proc mappings}, through
     * a {@code /proc/PID/maps} the stub makes); empty for a task that has ended.
     */
    default List<Mapping> memoryMap(int thread) {
        return List.of();
    }

    /**
     * A breakpoint at {@code address} in every task in scope (no guest memory is patched);
     * false if there are too many (1024).
     */
    boolean insertBreakpoint(long address);

    /** Remove the breakpoint at {@code address}; true, also where there was none. */
    boolean removeBreakpoint(long address);

    /**
     * A breakpoint at {@code address} in {@code thread}'s task alone (gdb's multiprocess: the
     * breakpoint of one inferior), whatever the scope. Throws IllegalArgumentException for no
     * such thread.
     */
    default boolean insertBreakpoint(int thread, long address) {
        return insertBreakpoint(address);
    }

    /** Remove {@code thread}'s own breakpoint at {@code address}; true, also where there was none. */
    default boolean removeBreakpoint(int thread, long address) {
        return removeBreakpoint(address);
    }

    /** The ELF file {@code thread}'s task runs (its image's bytes), or null if not known. */
    default byte[] executable(int thread) {
        return null;
    }

    /**
     * Watch {@code length} bytes at {@code address} in every task in scope: stores
     * ({@code WRITE}), loads ({@code READ}) or both ({@code ACCESS}). False for no kind, a length
     * outside 1..65536, a range that wraps around, or too many watchpoints (64).
     */
    boolean insertWatchpoint(WatchKind kind, long address, long length);

    /** Remove the watchpoint of that kind, address and length; true, also where there was none. */
    boolean removeWatchpoint(WatchKind kind, long address, long length);

    /**
     * Restrict breakpoints and watchpoints to the tasks named (task or image names); an empty
     * list means every task. Throws IllegalArgumentException for an unknown name.
     */
    void setScope(List<String> names);

    /** The current scope; empty = every task. */
    List<String> scope();

    /**
     * The images whose symbols gdb loaded, as the stub found out (gdb without multiprocess has
     * one program for every task); empty: not known. While no explicit {@link #setScope scope}
     * is set, breakpoints and watchpoints apply only to the tasks running one of these, and the
     * thread gdb resumes gets them only if it runs one. {@code setScope} of nothing (every task)
     * clears it.
     */
    default void setProgramScope(List<String> images) {}

    /** What {@link #setProgramScope} set; empty: every task. */
    default List<String> programScope() {
        return List.of();
    }

    // ---- what the monitor and the stop's details show (defaults: nothing known) -------------

    /**
     * The fault a thread's task last had (of any generation, including the one of the current
     * fault stop, before recovery), or null.
     */
    default Fault lastFault(int thread) {
        return null;
    }

    /** An endpoint: its server, whether the server waits in receive, and the queued callers. */
    record EndpointInfo(String name, String server, boolean serverReceiving, List<String> callers) {}

    /** Every endpoint, by name. */
    default List<EndpointInfo> endpoints() {
        return List.of();
    }

    /** A notification: its owner, pending bits, whether the owner waits on it. */
    record NotificationInfo(String name, String owner, long bits, boolean ownerWaiting) {}

    /** Every notification, by name. */
    default List<NotificationInfo> notifications() {
        return List.of();
    }

    /** The capabilities of a thread's task, one line each ("slot kind name ..."). */
    default List<String> capabilities(int thread) {
        return List.of();
    }

    /** One recovery: a task's fault and what the kernel did about it. */
    record RecoveryEntry(long millis, String task, int generation, Fault fault, String action) {}

    /** The recoveries so far, oldest first (at most the last 256). */
    default List<RecoveryEntry> recoveryLog() {
        return List.of();
    }

    /**
     * Restart a live task now (a new generation, loaded afresh from its image), as its recovery
     * would; returns what was done. Throws IllegalArgumentException for no such live thread.
     */
    default String restart(int thread) {
        throw new IllegalArgumentException("restart is not supported");
    }
}
