package dev.rewind.tools.gdb;

import dev.rewind.kernel.DebugTarget;
import dev.rewind.kernel.DebugTarget.StopEvent;
import java.io.IOException;

/**
 * Running and stopping: {@code ?} (why stopped), {@code c}/{@code C}, {@code s}/{@code S},
 * {@code vCont?} and {@code vCont} (c, C, s, S), {@code D} (detach), {@code k} and
 * {@code vKill}; and the stop replies ({@code T} packets) sent when the target halts.
 *
 * <p>All-stop: a continue resumes every task; a step runs the chosen task for one instruction
 * (other tasks run only if that task is blocked in a system call). A signal given with C or S
 * is not delivered (tasks have no signal handlers): after a fault stop, continuing lets the
 * kernel's recovery run.
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
                return stopReply(stop);
            }
            case 'c', 's' -> {
                boolean step = p.charAt(0) == 's';
                if (p.length() > 1) {
                    s.target.writeRegister(s.continueThread(), DebugTarget.PC, PacketCodec.parseHex(p.substring(1)));
                }
                return resume(step, s.continueThread());
            }
            case 'C', 'S' -> {
                boolean step = p.charAt(0) == 'S';
                String rest = p.substring(1);
                int semi = rest.indexOf(';');
                PacketCodec.parseHexInt(semi < 0 ? rest : rest.substring(0, semi), 255); // the signal: not delivered
                if (semi >= 0) {
                    s.target.writeRegister(s.continueThread(), DebugTarget.PC, PacketCodec.parseHex(rest.substring(semi + 1)));
                }
                return resume(step, s.continueThread());
            }
            case 'D' -> {
                s.target.detach();
                s.closing = true;
                return "OK";
            }
            case 'k' -> {
                s.target.kill();
                s.closing = true;
                return null; // k has no reply
            }
            default -> {
                if (p.equals("vCont?")) {
                    return "vCont;c;C;s;S";
                }
                if (p.startsWith("vKill")) {
                    s.target.kill();
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

    /** vCont;action[:thread];...: the first step action decides; otherwise continue all. */
    private String vCont(String actions) {
        int stepThread = 0;
        boolean cont = false;
        boolean step = false;
        for (String a : actions.split(";", -1)) {
            if (a.isEmpty()) {
                return "E01";
            }
            int colon = a.indexOf(':');
            String act = colon < 0 ? a : a.substring(0, colon);
            int thread = colon < 0 ? -1 : GdbSession.parseThread(a.substring(colon + 1));
            char c = act.charAt(0);
            if ((c == 'c' || c == 's') && act.length() != 1) {
                return "E01";
            }
            if (c == 'C' || c == 'S') {
                PacketCodec.parseHexInt(act.substring(1), 255);
            }
            switch (c) {
                case 'c', 'C' -> cont = true;
                case 's', 'S' -> {
                    if (!step) {
                        step = true;
                        stepThread = thread;
                    }
                }
                default -> {
                    return ""; // t, r, ...: unsupported
                }
            }
        }
        if (step) {
            return resume(true, s.resolve(stepThread > 0 ? stepThread : s.cThread));
        }
        return cont ? resume(false, 0) : "E01";
    }

    private String resume(boolean step, int thread) {
        if (step) {
            s.target.step(thread);
        } else {
            s.target.resume();
        }
        s.waitingForStop = true;
        s.resumed = true;
        return null;
    }

    /** Send the stop reply for {@code stop} (the target has halted while gdb waited). */
    void reportStop(StopEvent stop) throws IOException {
        if (s.resumed && stop.kind() == DebugTarget.StopKind.FAULTED) {
            s.send("O" + PacketCodec.toHex("rewind: " + stop.description() + "\n"));
        }
        s.waitingForStop = false;
        s.resumed = false;
        s.send(stopReply(stop));
    }

    /** T packet: signal, thread, the pc, and the stop reason. */
    String stopReply(StopEvent stop) {
        s.stopThread = stop.thread();
        s.gThread = 0;
        s.cThread = 0;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("T%02x", stop.signal() & 0xff));
        sb.append("thread:").append(Integer.toHexString(stop.thread())).append(';');
        try {
            long pc = s.target.readRegister(stop.thread(), DebugTarget.PC);
            sb.append(Integer.toHexString(DebugTarget.PC)).append(':').append(PacketCodec.le64(pc)).append(';');
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
                sb.append(kind).append(':').append(Long.toHexString(stop.watchAddress())).append(';');
            }
            case BREAKPOINT -> {
                if (s.gdbSwbreak) {
                    sb.append("swbreak:;");
                }
            }
            default -> { }
        }
        return sb.toString();
    }
}
