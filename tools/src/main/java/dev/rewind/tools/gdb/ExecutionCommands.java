package dev.rewind.tools.gdb;

import dev.rewind.kernel.debug.DebugTarget;
import dev.rewind.kernel.debug.DebugTarget.Action;
import dev.rewind.kernel.debug.DebugTarget.StopEvent;
import dev.rewind.kernel.debug.DebugTarget.StopKind;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Running and stopping: {@code ?} (why stopped), {@code c}/{@code C}, {@code s}/{@code S},
 * {@code vCont?} and {@code vCont} (c, C, s, S), {@code D} (detach), {@code k} and
 * {@code vKill}; and the stop replies ({@code T} packets) sent when the target halts.
 *
 * <p>All-stop, with per-thread resume as in QEMU for its vCPUs: {@code vCont} applies to each
 * thread the leftmost action that names it (or names every thread); a thread that no action
 * matches stays stopped. So {@code vCont;s:T;c} steps T while the others run, and
 * {@code vCont;c:T} (how gdb steps over a breakpoint) runs T alone. {@code c}/{@code C}
 * resume every thread; {@code s}/{@code S} step the {@code Hc} thread alone.
 *
 * <p>Signals: tasks have no signal handlers. At a fault stop, resuming the faulted thread with
 * a signal ({@code C}/{@code S} with a non-zero signal, which gdb sends when it passes the
 * fault's signal on) hands the fault to the kernel's recovery policy; resuming it without one
 * ({@code signal 0}, {@code handle SIGSEGV nopass}) resumes the task from its registers, as
 * does any resume after the registers were changed at the stop.
 */
final class ExecutionCommands {
    private final GdbSession s;

    ExecutionCommands(GdbSession s) {
        this.s = s;
    }

    String handle(String p) throws IllegalArgumentException {
        switch (p.charAt(0)) {
            case '?' -> {
                StopEvent stop = s.target.currentStop();
                if (stop == null) {
                    s.waitingForStop = true; // attaching: the halt is on its way
                    s.resumed = false;
                    return null;
                }
                s.firstStop();
                if (stop.kind() == StopKind.HISTORY_BEGIN) {
                    // why the target is halted, not a reverse move gdb just made: `replaylog:begin`
                    // here made a gdb connecting after one print "No more reverse-execution history."
                    stop = new StopEvent(StopKind.STEPPED, stop.thread(), stop.signal(), stop.description());
                }
                return stopReply(stop);
            }
            case 'c', 's' -> {
                boolean step = p.charAt(0) == 's';
                long addr = p.length() > 1 ? PacketCodec.parseHex(p.substring(1)) : 0;
                if (p.length() > 1) {
                    s.target.writeRegister(s.continueThread(), DebugTarget.PC, addr);
                }
                return resume(step, s.continueThread(), 0);
            }
            case 'C', 'S' -> {
                boolean step = p.charAt(0) == 'S';
                String rest = p.substring(1);
                int semi = rest.indexOf(';');
                int sig = PacketCodec.parseHexInt(semi < 0 ? rest : rest.substring(0, semi), 255);
                if (semi >= 0) {
                    s.target.writeRegister(
                            s.continueThread(), DebugTarget.PC, PacketCodec.parseHex(rest.substring(semi + 1)));
                }
                return resume(step, s.continueThread(), sig);
            }
            case 'D' -> {
                if (!p.equals("D")) {
                    if (!p.startsWith("D;")) {
                        return "E01";
                    }
                    int pid = s.process(p.substring(2)); // E01 malformed, E02 no such process: no detach
                    if (s.multiprocess) {
                        // one inferior leaves: the system is all-stop, so it resumes once gdb
                        // has left every process it knows (or closes the connection)
                        s.detached.add(pid);
                        if (!s.knownProcesses().isEmpty()) {
                            return "OK";
                        }
                    }
                }
                s.target.detach();
                s.closing = true;
                return "OK";
            }
            case 'k' -> {
                s.target.kill();
                s.closing = true;
                return null; // k has no reply
            }
            case 'b' -> {
                return reverse(p);
            }
            default -> {
                if (p.equals("vCont?")) {
                    return "vCont;c;C;s;S";
                }
                if (p.startsWith("vKill")) {
                    if (!p.startsWith("vKill;")) {
                        return "E01";
                    }
                    int pid = s.process(p.substring("vKill;".length())); // E01/E02: nothing killed
                    boolean others = false;
                    if (s.multiprocess && s.gone != null) {
                        // gdb kills one inferior: the others end with the system, and each
                        // hears it on its next resume (or gdb detaches them); the session stays
                        s.gone.add(pid);
                        others = !s.knownProcesses().isEmpty();
                    }
                    s.target.kill(); // every task: the system ends
                    if (others) {
                        s.awaitOver();
                        return "OK";
                    }
                    s.closing = true;
                    return "OK";
                }
                if (p.startsWith("vCont;")) {
                    return vCont(p.substring("vCont;".length()));
                }
                return "";
            }
        }
    }

    /**
     * vCont;action[:thread];...: each thread takes the leftmost action that applies to it (one
     * naming it, or one without a thread); threads no action applies to stay stopped.
     */
    private String vCont(String actions) {
        resumedProcesses = new java.util.TreeSet<>();
        Map<Integer, Action> byThread = new LinkedHashMap<>();
        Map<Integer, Integer> signals = new HashMap<>();
        Action others = Action.STOP;
        int othersSignal = 0;
        boolean any = false;
        for (String a : actions.split(";", -1)) {
            if (a.isEmpty()) {
                return "E01";
            }
            int colon = a.indexOf(':');
            String act = colon < 0 ? a : a.substring(0, colon);
            int thread = colon < 0 ? -1 : s.thread(a.substring(colon + 1));
            noteResumed(colon < 0 ? "-1" : a.substring(colon + 1));
            char c = act.charAt(0);
            if ((c == 'c' || c == 's') && act.length() != 1) {
                return "E01";
            }
            int sig = 0;
            if (c == 'C' || c == 'S') {
                sig = PacketCodec.parseHexInt(act.substring(1), 255);
            }
            Action action = switch (c) {
                case 'c', 'C' -> Action.CONTINUE;
                case 's', 'S' -> Action.STEP;
                default -> null;
            };
            if (action == null) {
                return ""; // t, r, ...: unsupported
            }
            if (thread == 0) {
                thread = s.resolve(0); // "any thread": the current one
            }
            if (thread > 0 && !s.known(thread)) {
                return "E02"; // also after a wildcard that would shadow it: nothing resumes
            }
            if (any) {
                continue; // a wildcard came first: it applies to every thread not named before it
            }
            if (thread < 0) {
                any = true;
                others = action;
                othersSignal = sig;
            } else if (!byThread.containsKey(thread)) {
                byThread.put(thread, action);
                signals.put(thread, sig);
            }
        }
        for (int t : byThread.keySet()) {
            if (!s.alive(t)) {
                String ended = s.endedReply(t, "it cannot run (info threads shows the live tasks)");
                return ended != null ? ended : "E02";
            }
        }
        if (others != Action.STOP) {
            // gdb steps the current thread (stepi, next) with a breakpoint and vCont;c: name it,
            // so that breakpoints apply to it even outside the monitor scope
            byThread.putIfAbsent(s.generalThread(), others);
        }
        StopEvent stop = s.target.currentStop();
        int faultSignal = othersSignal;
        if (stop != null && signals.containsKey(stop.thread())) {
            faultSignal = signals.get(stop.thread());
        }
        return resume(byThread, others, faultSignal);
    }

    /**
     * Multiprocess: the processes the resume being parsed names (gdb resumes only the current
     * inferior, {@code pP.-1}, unless {@code schedule-multiple} is on); null: every process.
     * Every task runs either way (tasks serve each other), but gdb expects an exit only of a
     * process it resumed: another one's end waits until gdb resumes that process.
     */
    private java.util.Set<Integer> resumedProcesses;

    private void noteResumed(String id) {
        if (resumedProcesses == null) {
            return;
        }
        if (id.equals("-1") || id.startsWith("p-1") || !s.multiprocess) {
            resumedProcesses = null; // every process
            return;
        }
        int t = s.thread(id.startsWith("p") ? "p" + id.substring(1).split("\\.", 2)[0] : id);
        if (t == 0) {
            t = s.resolve(0);
        }
        resumedProcesses.add(t);
    }

    /** {@code s}/{@code S} step {@code thread} alone; {@code c}/{@code C} resume every thread. */
    private String resume(boolean step, int thread, int signal) {
        resumedProcesses = step ? new java.util.TreeSet<>(java.util.Set.of(thread)) : null;
        if (step) {
            return resume(Map.of(thread, Action.STEP), Action.STOP, signal);
        }
        return resume(Map.of(thread, Action.CONTINUE), Action.CONTINUE, signal);
    }

    /**
     * A non-zero signal for the thread at a fault stop hands its fault to recovery. With
     * multiprocess, a process gdb knows that has ended (every one, once the system ended) is
     * reported instead, one per resume, and the system stays halted.
     */
    private String resume(Map<Integer, Action> actions, Action others, int faultSignal) {
        java.util.Set<Integer> resumed = resumedProcesses;
        String exit = s.nextExit(resumed);
        if (exit != null) {
            return exit;
        }
        if (s.systemStatus != null) {
            return "E03"; // nothing runs any more
        }
        java.util.List<Integer> alsoRun = new java.util.ArrayList<>();
        Map<Integer, Action> run = actions;
        if (s.multiprocess) {
            // gdb forgets what it knew of the stops of the threads it resumes; a held thread
            // runs again once gdb resumes (or leaves) its process, and stays frozen until then
            s.stopPcs.keySet().removeIf(t -> resumed == null || resumed.contains(t));
            s.held.removeIf(t -> resumed == null || resumed.contains(t) || s.detached.contains(t));
            run = withHeld(actions, others);
            java.util.Set<Integer> watch = new java.util.HashSet<>();
            for (int id : s.knownProcesses()) {
                if (resumed == null || resumed.contains(id)) {
                    watch.add(id);
                } else if (others != Action.STOP && !s.held.contains(id)) {
                    alsoRun.add(id);
                }
            }
            s.target.reportTaskEnds(watch);
        }
        boolean deliver = faultSignal != 0;
        s.lastResumed = resumed;
        Map<Integer, Action> again = run;
        s.lastResume = () -> s.target.resume(again, others, false);
        s.lastActions = actions;
        s.lastOthers = others;
        s.target.resume(run, others, deliver);
        s.waitingForStop = true;
        s.resumed = true;
        if (!alsoRun.isEmpty() && !s.toldOthersRun) {
            s.toldOthersRun = true;
            tellOthersRun(alsoRun);
        }
        String mismatch = s.execFileCheck.takePending();
        if (mismatch != null) {
            tell(mismatch);
        }
        return null;
    }

    /** {@code actions} with every held thread frozen (see {@link GdbSession#held}). */
    private Map<Integer, Action> withHeld(Map<Integer, Action> actions, Action others) {
        if (s.held.isEmpty()) {
            return actions;
        }
        Map<Integer, Action> out = new LinkedHashMap<>(actions);
        for (int t : s.held) {
            if (out.getOrDefault(t, others) != Action.STOP) {
                out.put(t, Action.STOP);
            }
        }
        return out;
    }

    /**
     * Multiprocess: whether {@code stop}, in a thread of a process gdb did not resume, is a
     * stop at the pc of that thread's last reported stop, which gdb 13.1 cannot take (an
     * internal error, {@code skip_inline_frames: Assertion `find_inline_frame_state (thread) ==
     * NULL' failed}): the thread is held there instead, frozen, and the others run on. It is
     * where gdb believes it is (gdb thinks it did not run), so nothing is lost: when gdb resumes
     * its process it steps it over its breakpoint (or it meets its watchpoint or fault again)
     * and the stop comes then. Typical: a stop at a breakpoint of a server (inferior 1), then
     * {@code inferior 2} and {@code continue}: the server, still at its breakpoint, runs too,
     * and would hit it again at once.
     */
    private boolean holdAgainAtTheSamePc(StopEvent stop) {
        int t = stop.thread();
        if (!s.multiprocess
                || s.lastResumed == null
                || s.lastResumed.contains(t)
                || s.lastActions == null
                || stop.kind() == DebugTarget.StopKind.INTERRUPTED
                || stop.kind() == DebugTarget.StopKind.ATTACHED) {
            return false;
        }
        Long last = s.stopPcs.get(t);
        long pc;
        try {
            pc = s.target.readRegister(t, DebugTarget.PC);
        } catch (RuntimeException e) {
            return false;
        }
        if (last == null || last != pc) {
            return false;
        }
        if (s.held.add(t)) {
            tell(String.format(
                    "rewind: thread %d.1 stopped again at 0x%x, where it last stopped, in inferior %d, which gdb"
                            + " did not resume: it waits there until gdb resumes that inferior (gdb 13.1 fails an"
                            + " internal assertion on such a stop); 'set schedule-multiple on' resumes every"
                            + " inferior%n",
                    t, pc, t));
        }
        Map<Integer, Action> run = withHeld(s.lastActions, s.lastOthers);
        s.lastResume = () -> s.target.resume(run, s.lastOthers, false);
        s.target.resume(run, s.lastOthers, false);
        return true;
    }

    /**
     * Multiprocess: the exit reply to send for a Ctrl-C that came when no task of the processes
     * gdb resumed is alive any more (one ended meanwhile: the halt request, coming first, kept the
     * kernel from reporting its end), or null. gdb waits for a stop of those processes only; a
     * SIGINT in another inferior's thread that gdb last saw stopped at the same pc fails gdb
     * 13.1's skip_inline_frames assertion, and its end is what gdb is owed anyway.
     */
    private String endInsteadOfInterrupt(StopEvent stop) {
        if (!s.multiprocess || s.lastResumed == null || stop.kind() != DebugTarget.StopKind.INTERRUPTED) {
            return null;
        }
        for (int t : s.lastResumed) {
            if (s.alive(t)) {
                return null;
            }
        }
        return s.nextExit(s.lastResumed);
    }

    /**
     * Multiprocess: a Ctrl-C is reported in a thread of a process gdb resumed (the kernel names
     * the task whose slice it ended, which may be another inferior's: gdb would fail an internal
     * assertion on it if that thread's last reported stop was at the same pc).
     */
    private StopEvent interruptInAResumedThread(StopEvent stop) {
        if (!s.multiprocess
                || s.lastResumed == null
                || s.lastResumed.contains(stop.thread())
                || stop.kind() != DebugTarget.StopKind.INTERRUPTED) {
            return stop;
        }
        for (int t : new java.util.TreeSet<>(s.lastResumed)) {
            if (s.alive(t)) {
                return new StopEvent(stop.kind(), t, stop.signal(), stop.description());
            }
        }
        return stop;
    }

    /**
     * gdb resumed only some inferiors (schedule-multiple off, its default), and the system runs
     * every task anyway (tasks serve each other). gdb keeps the registers it read of the
     * inferiors it did not resume, as if they had not run: their frames in {@code info threads}
     * and after {@code inferior N} are stale until it reads them again. Said once a connection,
     * as console output while the system runs.
     */
    private void tellOthersRun(java.util.List<Integer> alsoRun) {
        StringBuilder ids = new StringBuilder();
        for (int id : alsoRun) {
            ids.append(ids.length() == 0 ? "" : ", ").append(id);
        }
        String note = "rewind: every task runs on a continue, also those of inferiors gdb did not resume ("
                + ids
                + "); gdb keeps the registers and the stack memory it read of those before: 'set schedule-multiple on'"
                + " resumes every inferior ('maintenance flush register-cache' reads the registers again,"
                + " 'set stack-cache off' the stack)\n";
        tell(note);
    }

    /** Console output to gdb, which waits for the stop reply of a resume. */
    private void tell(String text) {
        try {
            s.send("O" + PacketCodec.toHex(text));
        } catch (java.io.IOException e) {
            // the target runs already: no error reply; the session ends at its next read or write
            GdbSession.log.debug("gdb connection write failed: {}", e.toString());
        }
    }

    /**
     * {@code bs} (reverse-stepi) and {@code bc} (reverse-continue): the {@code Hc} thread runs
     * backwards, the others stay frozen; the stop reply comes when it stops.
     */
    private String reverse(String p) {
        if (!p.equals("bs") && !p.equals("bc")) {
            return "";
        }
        if (s.systemStatus != null) {
            return "E03"; // the system ended
        }
        try {
            s.target.reverse(s.continueThread(), p.equals("bs"));
        } catch (UnsupportedOperationException e) {
            return ""; // a target without reverse execution
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().startsWith("no thread")) {
                throw e;
            }
            // gdb shows the reason: "warning: Remote failure reply: E.thread 1 (task kv) is at its fault stop ..."
            GdbSession.log.warn("gdb: reverse execution refused: {}", e.getMessage());
            return "E." + e.getMessage();
        }
        s.waitingForStop = true;
        s.resumed = true;
        return null;
    }

    /** Send the stop reply for {@code stop} (the target has halted while gdb waited). */
    void reportStop(StopEvent stop) throws IOException {
        if (stop.kind() == DebugTarget.StopKind.EXITED || stop.kind() == DebugTarget.StopKind.TERMINATED) {
            if (!s.multiprocess || s.gone == null || !s.listed(stop.thread())) {
                // a process gdb does not know (detached): not a stop for gdb, the system goes on
                if (s.lastResume != null) {
                    s.lastResume.run();
                }
                return;
            }
            s.waitingForStop = false;
            s.resumed = false;
            s.gone.add(stop.thread());
            if (s.stopThread == stop.thread()) {
                s.stopThread = 0;
            }
            s.gThread = 0;
            s.cThread = 0;
            s.send(s.exitReply(stop.thread(), stop));
            return;
        }
        String end = endInsteadOfInterrupt(stop);
        if (end != null) {
            s.waitingForStop = false;
            s.resumed = false;
            s.send(end);
            return;
        }
        stop = interruptInAResumedThread(stop);
        if (holdAgainAtTheSamePc(stop)) {
            return;
        }
        s.firstStop();
        if (s.resumed
                && (stop.kind() == DebugTarget.StopKind.FAULTED || stop.kind() == DebugTarget.StopKind.INJECTION)) {
            s.send("O" + PacketCodec.toHex("rewind: " + stop.description() + "\n"));
        }
        s.waitingForStop = false;
        s.resumed = false;
        s.send(stopReply(stop));
    }

    /**
     * T packet: signal, thread, the pc, and the stop reason. With multiprocess, a stop in a
     * process gdb did not resume (a breakpoint or fault in another inferior's task) carries every
     * general register too: gdb did not drop the registers it had read of that thread when it
     * resumed (it believes the thread did not run), and only the values in the stop reply replace
     * them, so without them its arguments and backtrace would be those of before the resume.
     */
    String stopReply(StopEvent stop) {
        s.stopThread = stop.thread();
        s.gThread = 0;
        s.cThread = 0;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("T%02x", stop.signal() & 0xff));
        sb.append("thread:").append(s.threadId(stop.thread())).append(';');
        try {
            if (s.multiprocess && s.lastResumed != null && !s.lastResumed.contains(stop.thread())) {
                long[] r = s.target.readRegisters(stop.thread());
                for (int i = 0; i < r.length && i < DebugTarget.PC; i++) {
                    sb.append(String.format("%02x", i))
                            .append(':')
                            .append(PacketCodec.le64(r[i]))
                            .append(';');
                }
            }
            long pc = s.target.readRegister(stop.thread(), DebugTarget.PC);
            if (s.multiprocess) {
                s.stopPcs.put(stop.thread(), pc);
            }
            sb.append(Integer.toHexString(DebugTarget.PC))
                    .append(':')
                    .append(PacketCodec.le64(pc))
                    .append(';');
        } catch (RuntimeException e) {
            // the thread is gone or the target resumed: gdb will ask
        }
        switch (stop.kind()) {
            case WATCHPOINT -> {
                String kind = switch (stop.watchKind()) {
                    case WRITE -> "watch";
                    case READ -> "rwatch";
                    case ACCESS -> "awatch";
                };
                sb.append(kind)
                        .append(':')
                        .append(Long.toHexString(stop.watchAddress()))
                        .append(';');
            }
            case BREAKPOINT -> {
                if (s.gdbSwbreak) {
                    sb.append("swbreak:;");
                }
            }
            case HISTORY_BEGIN -> sb.append("replaylog:begin;");
            default -> {}
        }
        return sb.toString();
    }
}
