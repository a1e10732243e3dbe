package dev.rewind.tools.gdb;

import dev.rewind.kernel.Fault;
import dev.rewind.kernel.FaultKind;
import dev.rewind.kernel.debug.DebugTarget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * General queries and settings: {@code qSupported}, {@code QStartNoAckMode},
 * {@code qXfer:features:read} (annex {@code target.xml}: the system's
 * {@link TargetDescription}, shipped as the resource {@code riscv64.xml} or {@code aarch64.xml}), {@code qAttached}, {@code qSymbol}, and empty replies for what is not
 * supported (tracepoints, offsets, ...).
 */
final class QueryCommands {
    static final int PACKET_SIZE = 0x4000;

    private final GdbSession s;

    QueryCommands(GdbSession s) {
        this.s = s;
    }

    String handle(String p) {
        if (p.startsWith("qSupported")) {
            String features = p.length() > "qSupported:".length() ? p.substring("qSupported:".length()) : "";
            for (String f : features.split(";")) {
                if (f.equals("swbreak+")) {
                    s.gdbSwbreak = true;
                } else if (f.equals("hwbreak+")) {
                    s.gdbHwbreak = true;
                } else if (f.equals("multiprocess+") && s.allowMultiprocess) {
                    s.multiprocess = true;
                }
            }
            return "PacketSize=" + Integer.toHexString(PACKET_SIZE)
                    + ";QStartNoAckMode+;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;qXfer:siginfo:read+"
                    + ";ReverseStep+;ReverseContinue+"
                    + (s.multiprocess ? ";multiprocess+" : "")
                    + ";qXfer:exec-file:read+;qXfer:osdata:read+";
        }
        if (p.equals("QStartNoAckMode")) {
            s.noAck = true; // this reply is still acked by gdb; nothing after it
            return "OK";
        }
        if (p.startsWith("qXfer:features:read:")) {
            return features(p.substring("qXfer:features:read:".length()));
        }
        if (p.startsWith("qXfer:siginfo:read::")) {
            return siginfo(p.substring("qXfer:siginfo:read::".length()));
        }
        if (p.startsWith("qXfer:osdata:read:")) {
            return osdata(p.substring("qXfer:osdata:read:".length()));
        }
        if (p.startsWith("qXfer:exec-file:read:")) {
            return execFile(p.substring("qXfer:exec-file:read:".length()));
        }
        if (p.equals("qAttached") || p.startsWith("qAttached:")) {
            return "1"; // attached to a running system: quitting gdb detaches, it does not kill
        }
        if (p.startsWith("qSymbol")) {
            return s.execFileCheck.handle(p);
        }
        return "";
    }

    /** annex:offset,length */
    private String features(String args) {
        XferRead read = XferRead.of(args);
        if (read == null) {
            return "E01";
        }
        String annex = read.annex();
        int[] range = read.range();
        if (!annex.equals("target.xml")) {
            return "E00";
        }
        return chunk(s.description().xml(), range);
    }

    /** A qXfer read's "annex:offset,length": the annex and the range. */
    private record XferRead(String annex, int[] range) {
        /** {@code args} parsed, or null if malformed. */
        static XferRead of(String args) {
            int colon = args.lastIndexOf(':');
            int[] range = colon < 0 ? null : QueryCommands.range(args.substring(colon + 1));
            return range == null ? null : new XferRead(args.substring(0, colon), range);
        }
    }

    /** A qXfer read's "offset,length" (hex), or null if malformed. */
    private static int[] range(String offsetLength) {
        String[] ol = offsetLength.split(",", -1);
        if (ol.length != 2) {
            return null;
        }
        return new int[] {
            PacketCodec.parseHexInt(ol[0], Integer.MAX_VALUE), PacketCodec.parseHexInt(ol[1], Integer.MAX_VALUE)
        };
    }

    /** The qXfer reply for {@code range} of {@code doc}: "m" + a piece, or "l" + the last piece. */
    private static String chunk(byte[] doc, int[] range) {
        int offset = range[0];
        if (offset >= doc.length) {
            return "l";
        }
        int n = Math.min(range[1], Math.min(doc.length - offset, PACKET_SIZE / 2));
        byte[] piece = PacketCodec.escape(doc, offset, n);
        return (offset + n >= doc.length ? "l" : "m") + new String(piece, StandardCharsets.ISO_8859_1);
    }

    /**
     * pid:offset,length (an empty pid: the current process): the host path of the task's
     * executable, a copy of its image in a temporary file that lives as long as the session.
     */
    private String execFile(String args) {
        XferRead read = XferRead.of(args);
        if (read == null) {
            return "E01";
        }
        String annex = read.annex();
        int[] range = read.range();
        int thread = annex.isEmpty() ? s.generalThread() : PacketCodec.parseHexInt(annex, 0xffff);
        DebugTarget.ThreadInfo info = null;
        for (DebugTarget.ThreadInfo t : s.target.threads()) {
            if (t.id() == thread) {
                info = t;
            }
        }
        if (info == null) {
            return "E02";
        }
        java.nio.file.Path path = s.executableCopy(info);
        if (path == null) {
            return "E02";
        }
        return chunk(path.toString().getBytes(StandardCharsets.UTF_8), range);
    }

    /**
     * annex:offset,length: gdb's "OS data" ({@code info os}, gdb/MI's {@code -list-thread-groups
     * --available}, an IDE's attach picker). Annex {@code processes}: the live tasks, each as a
     * process whose pid is its thread id (its inferior number with {@code --gdb-inferiors});
     * none once the system ended. Annex {@code threads} ({@code info os threads}): the same
     * tasks as threads (pid and tid the thread id, as in {@code info threads}), with generation,
     * state and pc. Annex empty: the types there are.
     */
    private String osdata(String args) {
        XferRead read = XferRead.of(args);
        if (read == null) {
            return "E01";
        }
        String annex = read.annex();
        int[] range = read.range();
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"osdata.dtd\">\n");
        if (annex.isEmpty()) {
            xml.append("<osdata type=\"types\">\n<item><column name=\"Type\">processes</column>")
                    .append("<column name=\"Description\">The system's live tasks</column>")
                    .append("<column name=\"Title\">Processes</column></item>\n")
                    .append("<item><column name=\"Type\">threads</column>")
                    .append("<column name=\"Description\">The system's live tasks, one thread each</column>")
                    .append("<column name=\"Title\">Threads</column></item>\n");
        } else if (annex.equals("threads")) {
            // as Linux's threads table (pid, command, tid, core), with the kernel's view added
            xml.append("<osdata type=\"threads\">\n");
            for (DebugTarget.ThreadInfo t : liveTasks()) {
                osdataRow(
                        xml,
                        "pid",
                        Integer.toString(t.id()),
                        "command",
                        t.name() + " (" + t.image() + ")",
                        "tid",
                        Integer.toString(t.id()),
                        "core",
                        "0",
                        "generation",
                        Integer.toString(t.generation()),
                        "state",
                        t.state().replace('_', ' '),
                        "pc",
                        String.format("0x%x", t.pc()));
            }
        } else if (annex.equals("processes")) {
            xml.append("<osdata type=\"processes\">\n");
            for (DebugTarget.ThreadInfo t : liveTasks()) {
                osdataRow(
                        xml,
                        "pid",
                        Integer.toString(t.id()),
                        "user",
                        "rewind",
                        "command",
                        t.name() + " (" + t.image() + ")",
                        "cores",
                        "0",
                        "state",
                        ThreadCommands.describe(t));
            }
        } else {
            return "E00";
        }
        xml.append("</osdata>\n");
        return chunk(xml.toString().getBytes(StandardCharsets.UTF_8), range);
    }

    /** The live tasks, for the osdata tables (none while the system is over). */
    private List<DebugTarget.ThreadInfo> liveTasks() {
        List<DebugTarget.ThreadInfo> live = new ArrayList<>();
        if (s.systemStatus == null) {
            for (DebugTarget.ThreadInfo t : s.target.threads()) {
                if (GdbSession.alive(t)) {
                    live.add(t);
                }
            }
        }
        return live;
    }

    /** One osdata item: {@code columns} as name, value pairs (values escaped). */
    private static void osdataRow(StringBuilder xml, String... columns) {
        xml.append("<item>");
        for (int i = 0; i < columns.length; i += 2) {
            xml.append("<column name=\"")
                    .append(columns[i])
                    .append("\">")
                    .append(xmlText(columns[i + 1]))
                    .append("</column>");
        }
        xml.append("</item>\n");
    }

    private static String xmlText(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Linux siginfo_t on a 64-bit target: what {@code $_siginfo} shows (gdb's Linux layout, the same on riscv64 and aarch64). */
    static final int SIGINFO_SIZE = 128;

    /** The siginfo of the current stop, for its thread only. offset,length */
    private String siginfo(String args) {
        int[] range = range(args);
        if (range == null) {
            return "E01";
        }
        DebugTarget.StopEvent stop = s.target.currentStop();
        int thread = s.generalThread();
        if (stop == null || stop.thread() != thread) {
            return "E02"; // no signal pending for this thread
        }
        return chunk(siginfo(stop, s.target.lastFault(thread), s.target.readRegister(thread, DebugTarget.PC)), range);
    }

    /**
     * si_signo (Linux numbering), si_errno 0, si_code, and at offset 16 the union, whose
     * _sigfault.si_addr is the faulting data address (SIGSEGV, SIGBUS) or instruction (SIGILL,
     * SIGTRAP), as Linux reports them.
     */
    static byte[] siginfo(DebugTarget.StopEvent stop, Fault fault, long pc) {
        int signo = stop.signal() == DebugTarget.SIGBUS ? 7 : stop.signal(); // gdb's 10 is Linux's 7
        int code = 0; // SI_USER
        long addr = 0;
        boolean faulted = stop.kind() == DebugTarget.StopKind.FAULTED && fault != null;
        switch (stop.signal()) {
            case DebugTarget.SIGSEGV -> {
                code = faulted && isAccessError(fault.kind()) ? 2 : 1; // SEGV_ACCERR : SEGV_MAPERR
                addr = faulted ? fault.address() : 0;
            }
            case DebugTarget.SIGBUS -> {
                code = 1; // BUS_ADRALN
                addr = faulted ? fault.address() : 0;
            }
            case DebugTarget.SIGILL -> {
                code = 1; // ILL_ILLOPC
                addr = faulted ? fault.pc() : pc;
            }
            case DebugTarget.SIGTRAP -> {
                code = stop.kind() == DebugTarget.StopKind.STEPPED ? 2 : 1; // TRAP_TRACE : TRAP_BRKPT
                addr = pc;
            }
            default -> {}
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(SIGINFO_SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, signo);
        b.putInt(4, 0);
        b.putInt(8, code);
        b.putLong(16, addr);
        return b.array();
    }

    private static boolean isAccessError(FaultKind k) {
        return switch (k) {
            case PROTECTED_READ,
                    PROTECTED_WRITE,
                    PROTECTED_FETCH,
                    ACCESS_FAULT_FETCH,
                    ACCESS_FAULT_READ,
                    ACCESS_FAULT_WRITE -> true;
            default -> false;
        };
    }
}
