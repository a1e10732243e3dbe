package dev.rewind.tools.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.debug.DebugTarget;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Packet handling against an in-memory target: one reply per packet, as gdb expects. */
class GdbSessionTest {
    final FakeTarget target = new FakeTarget();
    final ByteArrayOutputStream sent = new ByteArrayOutputStream();
    final GdbSession s = new GdbSession(target, new ByteArrayInputStream(new byte[0]), sent);

    String call(String packet) {
        return s.dispatch(packet.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void queries() {
        String sup = call("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;vContSupported+");
        assertTrue(sup.startsWith("PacketSize=4000;"), sup);
        assertTrue(sup.contains("qXfer:features:read+") && sup.contains("QStartNoAckMode+"), sup);
        assertTrue(s.gdbSwbreak);
        assertEquals("1", call("qAttached"));
        assertEquals("", call("qTStatus"));
        assertEquals("", call("vMustReplyEmpty"));
        assertEquals("vCont;c;C;s;S", call("vCont?"));
        String xml = call("qXfer:features:read:target.xml:0,3fff");
        assertTrue(xml.startsWith("l<?xml"), xml);
        assertTrue(xml.contains("org.gnu.gdb.riscv.cpu") && xml.contains("name=\"pc\""), xml);
        assertTrue(call("qXfer:features:read:target.xml:0,10").startsWith("m<?xml"));
        assertEquals("E00", call("qXfer:features:read:other.xml:0,10"));
        assertEquals("OK", call("QStartNoAckMode"));
        assertTrue(s.noAck);
    }

    @Test
    void threads() {
        assertEquals("m1,2,3", call("qfThreadInfo"));
        assertEquals("l", call("qsThreadInfo"));
        assertEquals(PacketCodec.toHex("fake2 gen 1, ready"), call("qThreadExtraInfo,2"));
        assertEquals("OK", call("T3"));
        assertEquals("E02", call("T9"));
        assertEquals("OK", call("Hg2"));
        assertEquals("QC2", call("qC"));
        assertEquals("E02", call("Hg7"));
        assertEquals("OK", call("Hgp1.3"));
        assertEquals("OK", call("Hc-1"));
    }

    @Test
    void multiprocessMakesEveryTaskAProcessWithItsExecutableAndBreakpoints() throws Exception {
        assertTrue(call("qSupported:swbreak+").indexOf("multiprocess+") < 0, "only when gdb asks");
        assertTrue(call("qSupported:multiprocess+;swbreak+").indexOf("multiprocess+") < 0, "only with --gdb-inferiors");
        s.allowMultiprocess = true;
        String sup = call("qSupported:multiprocess+;swbreak+");
        assertTrue(sup.contains(";multiprocess+") && sup.contains(";qXfer:exec-file:read+"), sup);
        assertEquals("mp1.1,p2.1,p3.1", call("qfThreadInfo"));
        assertEquals("OK", call("Hgp2.1"));
        assertEquals("QCp2.1", call("qC"));
        assertEquals("OK", call("Tp3.1"));
        assertEquals("E02", call("Tp9.1"));
        assertEquals("OK", call("Z0,1000,2"));
        assertEquals("OK", call("Hgp3.1"));
        assertEquals("OK", call("Z0,1000,2"));
        assertEquals(java.util.Set.of("2:1000", "3:1000"), target.ownBreakpoints);
        assertTrue(target.breakpoints.isEmpty(), "no breakpoint for every task");
        assertEquals("OK", call("z0,1000,2"));
        assertEquals(java.util.Set.of("2:1000"), target.ownBreakpoints);
        String exe = call("qXfer:exec-file:read:2:0,fff");
        assertTrue(exe.startsWith("l/") && exe.contains("rewind-gdb-") && exe.endsWith("fake.elf"), exe);
        java.nio.file.Path p = java.nio.file.Path.of(exe.substring(1));
        assertEquals("ELF of 2", java.nio.file.Files.readString(p));
        assertEquals("E02", call("qXfer:exec-file:read:9:0,fff"));
        assertNull(call("vCont;c:p1.-1"));
        assertEquals(
                "resume {3=CONTINUE} CONTINUE false",
                target.log.get(target.log.size() - 1),
                "a process's threads: every task");
    }

    /**
     * A live task's {@code /proc/PID/} files, made by the stub for gdb's {@code info proc}:
     * {@code cmdline} (its image), {@code maps} (its address space in Linux's format),
     * {@code status} and {@code stat}, and the links {@code exe} (the executable's copy) and
     * {@code cwd}; nothing for a task that does not exist or has ended, nothing writable.
     */
    @Test
    void procFilesDescribeALiveTaskForInfoProc() throws Exception {
        target.images.put(2, "cli.elf");
        target.mappings = List.of(
                new DebugTarget.Mapping(0x10000, 0x12000, "r-x", "segment0"),
                new DebugTarget.Mapping(0x7ffd0000L, 0x7ffe0000L, "rw-", "stack"));
        call("qSupported:swbreak+");
        assertEquals("cli.elf\0", new String(readAll("/proc/2/cmdline"), StandardCharsets.UTF_8));
        assertEquals(
                "10000-12000 r-xp 00000000 00:00 0          cli.elf\n"
                        + "7ffd0000-7ffe0000 rw-p 00000000 00:00 0          [stack]\n",
                new String(readAll("/proc/2/maps"), StandardCharsets.UTF_8));
        String status = new String(readAll("/proc/2/status"), StandardCharsets.UTF_8);
        assertTrue(status.startsWith("Name:\tfake2\nState:\tR (ready)\n") && status.contains("Pid:\t2\n"), status);
        String[] stat = new String(readAll("/proc/2/stat"), StandardCharsets.UTF_8)
                .trim()
                .split(" ");
        assertEquals(52, stat.length, "proc(5)'s 52 fields");
        assertEquals(List.of("2", "(fake2)", "R"), List.of(stat[0], stat[1], stat[2]));
        assertEquals(Long.toString(0x2000 + 0x10000), stat[22], "vsize: the mapped bytes");
        String exe = call("vFile:readlink:" + PacketCodec.toHex("/proc/2/exe"));
        String path = new String(attachment(exe), StandardCharsets.UTF_8);
        assertTrue(exe.startsWith("F") && path.startsWith("/tmp/rewind-gdb-") && path.endsWith("-cli.elf"), exe);
        assertEquals("ELF of 2", java.nio.file.Files.readString(java.nio.file.Path.of(path)), "the task's executable");
        assertEquals("l" + path, call("qXfer:exec-file:read:2:0,fff"), "one copy per image");
        assertEquals("F1;/", call("vFile:readlink:" + PacketCodec.toHex("/proc/2/cwd")));
        assertEquals("F-1,16", call("vFile:readlink:" + PacketCodec.toHex("/proc/2/maps")), "a file, not a link");
        assertEquals("F-1,2", call("vFile:open:" + PacketCodec.toHex("/proc/9/cmdline") + ",0,0"), "no task 9");
        assertEquals("F-1,2", call("vFile:open:" + PacketCodec.toHex("/proc/2/environ") + ",0,0"));
        assertEquals("F-1,2", call("vFile:readlink:" + PacketCodec.toHex("/proc/9/exe")));
        assertEquals("F-1,1e", call("vFile:open:" + PacketCodec.toHex("/proc/2/cmdline") + ",1,0"), "read-only");
        target.ends.put(2, new DebugTarget.StopEvent(DebugTarget.StopKind.EXITED, 2, 0, "exited"));
        assertEquals("F-1,2", call("vFile:open:" + PacketCodec.toHex("/proc/2/cmdline") + ",0,0"), "task 2 ended");
    }

    /** The whole of a served file, read through vFile:open, pread and close. */
    private byte[] readAll(String path) throws Exception {
        String fd = call("vFile:open:" + PacketCodec.toHex(path) + ",0,0");
        assertTrue(fd.matches("F[0-9a-f]+"), path + ": " + fd);
        fd = fd.substring(1);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (true) {
            byte[] data = attachment(call("vFile:pread:" + fd + ",3fff," + Integer.toHexString(got.size())));
            if (data.length == 0) {
                break;
            }
            got.write(data);
        }
        assertEquals("F0", call("vFile:close:" + fd));
        return got.toByteArray();
    }

    /** The vFile reply's attachment (after ';', unescaped), for reads and fstat. */
    static byte[] attachment(String reply) {
        byte[] raw = reply.substring(reply.indexOf(';') + 1).getBytes(StandardCharsets.ISO_8859_1);
        return PacketCodec.unescape(raw, 0, raw.length);
    }

    /**
     * Host I/O reads the executables the stub handed out, and nothing else: gdb (sysroot
     * {@code target:}) fetches the program through the connection, from another machine too.
     */
    @Test
    void hostIoReadsTheHandedOutExecutableOnlyAndWritesNothing() throws Exception {
        byte[] hello = dev.rewind.tools.Fixtures.builtinBytes("hello.elf");
        target.executables.put(1, hello);
        target.images.put(1, "hello.elf");
        call("qSupported:swbreak+");
        assertEquals("F0", call("vFile:setfs:0"));
        String notHandedOut = PacketCodec.toHex("/tmp/rewind-gdb-1-hello.elf");
        assertEquals("F-1,2", call("vFile:open:" + notHandedOut + ",0,0"), "before qXfer:exec-file: no file");
        assertEquals("F-1,2", call("vFile:open:" + PacketCodec.toHex("/etc/passwd") + ",0,0"));
        String exe = call("qXfer:exec-file:read::0,fff").substring(1);
        String hex = PacketCodec.toHex(exe);
        assertEquals("F-1,1e", call("vFile:open:" + hex + ",241,1a4"), "O_WRONLY|O_CREAT|O_TRUNC: read-only");
        assertEquals("F-1,1e", call("vFile:open:" + hex + ",2,0"), "O_RDWR: read-only");
        assertEquals("F-1,1e", call("vFile:unlink:" + hex));
        String fd = call("vFile:open:" + hex + ",0,0");
        assertTrue(fd.matches("F[0-9a-f]+"), fd);
        fd = fd.substring(1);
        String st = call("vFile:fstat:" + fd);
        assertTrue(st.startsWith("F40;"), st);
        java.nio.ByteBuffer stat = java.nio.ByteBuffer.wrap(attachment(st));
        assertEquals(HostIoCommands.STAT_SIZE, stat.capacity());
        assertEquals(0100444, stat.getInt(8), "st_mode: a read-only regular file");
        assertEquals(hello.length, stat.getLong(28), "st_size");
        // read it all in gdb's chunks, the last one short; past the end: 0 bytes
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (true) {
            String r = call("vFile:pread:" + fd + ",3fff," + Integer.toHexString(got.size()));
            int n = Integer.parseInt(r.substring(1, r.indexOf(';')), 16);
            byte[] data = attachment(r);
            assertEquals(n, data.length, "the count is what the attachment holds");
            assertTrue(r.length() <= QueryCommands.PACKET_SIZE, "fits a packet escaped");
            if (n == 0) {
                break;
            }
            got.write(data);
        }
        assertTrue(java.util.Arrays.equals(hello, got.toByteArray()), "the image, byte for byte");
        assertEquals("F-1,9", call("vFile:pwrite:" + fd + ",0,abc"));
        assertEquals("F0", call("vFile:close:" + fd));
        assertEquals("F-1,9", call("vFile:close:" + fd), "closed once");
        assertEquals("F-1,9", call("vFile:pread:" + fd + ",10,0"));
        // malformed packets are host I/O errors, unknown ones unsupported
        assertEquals("F-1,16", call("vFile:open:zz,0,0"));
        assertEquals("F-1,16", call("vFile:pread:"));
        assertEquals("F-1,16", call("vFile:close"));
        assertEquals("", call("vFile:nosuch:0"));
        // a bounded number of open files
        for (int i = 0; i < HostIoCommands.MAX_OPEN; i++) {
            assertTrue(call("vFile:open:" + hex + ",0,0").startsWith("F"));
        }
        assertEquals("F-1,18", call("vFile:open:" + hex + ",0,0"), "EMFILE");
    }

    /**
     * gdb answers the symbol lookups of {@code qSymbol} from {@code gdbFile} until the stub says
     * OK; returns the names asked.
     */
    java.util.List<String> lookUpFrom(dev.rewind.hw.elf.ElfImage gdbFile) {
        java.util.List<String> asked = new java.util.ArrayList<>();
        String reply = call("qSymbol::");
        while (reply.startsWith("qSymbol:")) {
            String hexName = reply.substring("qSymbol:".length());
            String name = new String(PacketCodec.fromHex(hexName), StandardCharsets.ISO_8859_1);
            asked.add(name);
            java.util.OptionalLong a = gdbFile.symbol(name);
            reply = call("qSymbol:" + (a.isPresent() ? Long.toHexString(a.getAsLong()) : "") + ":" + hexName);
            assertTrue(asked.size() <= ExecFileCheck.MAX_LOOKUPS, "asks no end of symbols");
        }
        assertEquals("OK", reply);
        return asked;
    }

    /** The text of the O packets (console output) sent since {@code from} bytes of {@link #sent}. */
    String consoleOutput(int from) {
        String all = sent.toString(StandardCharsets.ISO_8859_1).substring(from);
        StringBuilder out = new StringBuilder();
        for (int i = all.indexOf("$O"); i >= 0; i = all.indexOf("$O", i + 1)) {
            String body = all.substring(i + 2, all.indexOf('#', i));
            out.append(new String(
                    PacketCodec.fromHex(new String(
                            PacketCodec.decodeRle(body.getBytes(StandardCharsets.ISO_8859_1)),
                            StandardCharsets.ISO_8859_1)),
                    StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    @Test
    void theStubTellsGdbTheBootedExecutableAndWarnsWhenGdbLoadedAnother() throws Exception {
        byte[] hello = dev.rewind.tools.Fixtures.builtinBytes("hello.elf");
        for (int t = 1; t <= 3; t++) {
            target.executables.put(t, hello);
            target.images.put(t, "hello.elf");
        }
        String sup = call("qSupported:multiprocess+;swbreak+");
        assertTrue(sup.contains(";qXfer:exec-file:read+") && !sup.contains("multiprocess+"), sup);
        // gdb started without a file asks for the executable of the current process
        String exe = call("qXfer:exec-file:read::0,fff");
        assertTrue(exe.startsWith("l/") && exe.endsWith("-hello.elf"), exe);
        assertTrue(java.util.Arrays.equals(
                hello, java.nio.file.Files.readAllBytes(java.nio.file.Path.of(exe.substring(1)))));

        // gdb loaded another program whose main is where hello's is and whose code ends elsewhere
        // (main follows the SDK's string functions, which programs link more or fewer of)
        dev.rewind.hw.elf.ElfImage kv = otherProgramWithMainAt(dev.rewind.hw.elf.ElfImage.parse(hello, "hello.elf"));
        java.util.List<String> asked = lookUpFrom(kv);
        assertTrue(asked.containsAll(java.util.List.of("main", "__rodata_end", "__bss_end")), asked::toString);
        int before = sent.size();
        assertNull(call("c"));
        String console = consoleOutput(before);
        assertTrue(
                console.startsWith("rewind: warning: the program gdb loaded is not the one the system runs"
                        + " (hello.elf): gdb's __rodata_end is at 0x"),
                console);
        assertTrue(console.endsWith("itself\n"), console);
        before = sent.size();
        assertNull(call("c"));
        assertEquals("", consoleOutput(before), "said once");

        // gdb's file is the booted one (as after `file hello.elf`, or loaded through exec-file): no warning
        lookUpFrom(kv);
        lookUpFrom(dev.rewind.hw.elf.ElfImage.parse(hello, "hello.elf"));
        before = sent.size();
        assertNull(call("c"));
        assertEquals("", consoleOutput(before), "the right file since: the earlier warning is dropped");
        // lookups gdb answers unasked, or a malformed one, end the exchange
        assertEquals("OK", call("qSymbol:10000:" + PacketCodec.toHex("main")));
        assertEquals("OK", call("qSymbol:zz"));
    }

    /** A built-in RISC-V program other than {@code hello}: its main at hello's, its read-only data ending elsewhere. */
    private static dev.rewind.hw.elf.ElfImage otherProgramWithMainAt(dev.rewind.hw.elf.ElfImage hello)
            throws Exception {
        long main = hello.symbol("main").orElseThrow(),
                rodataEnd = hello.symbol("__rodata_end").orElseThrow();
        for (String name : dev.rewind.kernel.SystemImage.builtinNames()) {
            if (!name.endsWith(".elf") || name.contains("/") || name.equals("hello.elf")) {
                continue;
            }
            dev.rewind.hw.elf.ElfImage other;
            try {
                other = dev.rewind.hw.elf.ElfImage.parse(dev.rewind.tools.Fixtures.builtinBytes(name), name);
            } catch (dev.rewind.hw.elf.ElfException e) {
                continue; // an image made to be refused
            }
            if (other.symbol("main").orElse(-1) == main
                    && other.symbol("__rodata_end").orElse(rodataEnd) != rodataEnd) {
                return other;
            }
        }
        throw new AssertionError("no built-in program with main at 0x" + Long.toHexString(main));
    }

    /**
     * gdb 13.1 fails an internal assertion (skip_inline_frames) when a thread it did not resume
     * reports a second stop at the pc of its last one: such a thread is held where it is, frozen,
     * until gdb resumes its process; and a Ctrl-C is reported in a thread gdb resumed.
     */
    @Test
    void multiprocessHoldsAThreadGdbDidNotResumeThatStopsAgainWhereItLastStopped() throws Exception {
        s.allowMultiprocess = true;
        call("qSupported:multiprocess+;swbreak+");
        call("?");
        assertNull(call("vCont;c:p1.-1"));
        // task 2 (not resumed) stops at a breakpoint: reported, with its registers
        target.regs[1][DebugTarget.PC] = 0x10120;
        s.execution().reportStop(new DebugTarget.StopEvent(DebugTarget.StopKind.BREAKPOINT, 2, 5, "bp"));
        assertTrue(sent.toString(StandardCharsets.ISO_8859_1).contains("T05thread:p2.1;"), sent::toString);
        // gdb resumes inferior 1 only: task 2, still at its breakpoint, hits it again at once
        assertNull(call("vCont;c:p1.-1"));
        sent.reset();
        int resumes = target.log.size();
        s.execution().reportStop(new DebugTarget.StopEvent(DebugTarget.StopKind.BREAKPOINT, 2, 5, "bp"));
        String out = sent.toString(StandardCharsets.ISO_8859_1);
        assertFalse(out.contains("T05"), "no stop for gdb: " + out);
        assertTrue(out.contains(PacketCodec.toHex("rewind: thread 2.1 stopped again at 0x10120")), out);
        assertEquals(resumes + 1, target.log.size(), "the others run on");
        assertTrue(
                target.log.get(resumes).matches("resume \\{(1=CONTINUE, )?2=STOP\\} CONTINUE false"),
                target.log::toString);
        assertEquals(java.util.Set.of(2), s.held);
        // a Ctrl-C the kernel names task 2 for: reported in the thread gdb resumed
        sent.reset();
        s.execution().reportStop(new DebugTarget.StopEvent(DebugTarget.StopKind.INTERRUPTED, 2, 2, "interrupted"));
        assertTrue(sent.toString(StandardCharsets.ISO_8859_1).contains("T02thread:p1.1;"), sent::toString);
        // another resume of inferior 1 keeps task 2 frozen; one of inferior 2 lets it run
        assertNull(call("vCont;c:p1.-1"));
        assertTrue(
                target.log.get(target.log.size() - 1).matches("resume \\{(1=CONTINUE, )?2=STOP\\} CONTINUE false"),
                target.log::toString);
        s.execution().reportStop(new DebugTarget.StopEvent(DebugTarget.StopKind.INTERRUPTED, 1, 2, "interrupted"));
        assertNull(call("vCont;c:p2.-1"));
        assertEquals("resume {1=CONTINUE} CONTINUE false", target.log.get(target.log.size() - 1), "2 not frozen");
        assertTrue(s.held.isEmpty());
        // now resumed, its stop at the same pc is an ordinary stop
        sent.reset();
        s.execution().reportStop(new DebugTarget.StopEvent(DebugTarget.StopKind.BREAKPOINT, 2, 5, "bp"));
        assertTrue(sent.toString(StandardCharsets.ISO_8859_1).contains("T05thread:p2.1;"), sent::toString);
    }

    /**
     * A Ctrl-C that comes when every task of the inferiors gdb resumed has ended (a client that
     * faulted with no recovery, its SIGSEGV passed on by gdb's continue) is that process's end:
     * gdb waits for that inferior only, and a SIGINT in a thread of another inferior, which gdb
     * did not resume and last saw stopped at the same pc, fails gdb 13.1's skip_inline_frames
     * assertion (an outside team's Ctrl-C loop crashed gdb so).
     */
    @Test
    void multiprocessCtrlCAfterTheResumedProcessEndedReportsItsEnd() throws Exception {
        s.allowMultiprocess = true;
        call("qSupported:multiprocess+;swbreak+");
        call("?");
        assertNull(call("vCont;C0b:p2.1;c:p2.-1"));
        // task 2 dies of its fault meanwhile; the Ctrl-C came first, so the kernel names task 1
        target.ends.put(2, new DebugTarget.StopEvent(DebugTarget.StopKind.TERMINATED, 2, 11, "stopped"));
        sent.reset();
        s.execution().reportStop(new DebugTarget.StopEvent(DebugTarget.StopKind.INTERRUPTED, 1, 2, "interrupted"));
        String out = sent.toString(StandardCharsets.ISO_8859_1);
        assertTrue(out.contains("$X0b;process:2#"), out);
        assertFalse(out.contains("T02"), "no SIGINT in an inferior gdb did not resume: " + out);
        assertEquals("mp1.1,p3.1", call("qfThreadInfo"), "process 2 is gone for gdb");
    }

    @Test
    void multiprocessReportsEachProcessEndOnItsOwnResume() throws Exception {
        s.allowMultiprocess = true;
        call("qSupported:multiprocess+;swbreak+");
        assertEquals("T05thread:p1.1;20:0000010000000000;", call("?"));
        assertEquals("mp1.1,p2.1,p3.1", call("qfThreadInfo"));
        // gdb resumes inferior 1: only its end would stop the run
        assertNull(call("vCont;c:p1.-1"));
        assertEquals(java.util.Set.of(1), target.reportedEnds);
        assertNull(call("vCont;c"));
        assertEquals(java.util.Set.of(1, 2, 3), target.reportedEnds, "schedule-multiple: every process");
        // task 2 ended while gdb ran inferior 1: not reported until gdb resumes inferior 2
        target.ends.put(2, new DebugTarget.StopEvent(DebugTarget.StopKind.EXITED, 2, 3, "exited"));
        int resumes = target.log.size();
        assertNull(call("vCont;c:p1.-1"));
        assertEquals(resumes + 1, target.log.size());
        assertEquals(java.util.Set.of(1), target.reportedEnds, "an ended task is not watched");
        assertEquals("W03;process:2", call("vCont;c:p2.-1"), "reported at once, the target not resumed");
        assertEquals(resumes + 1, target.log.size());
        assertEquals("mp1.1,p3.1", call("qfThreadInfo"), "gone for gdb");
        assertEquals("E02", call("Tp2.1"));
        // a stop the kernel reports for a resumed process
        assertNull(call("vCont;c:p3.-1"));
        target.ends.put(3, new DebugTarget.StopEvent(DebugTarget.StopKind.TERMINATED, 3, DebugTarget.SIGSEGV, "died"));
        s.execution().reportStop(target.ends.get(3));
        assertTrue(
                sent.toString(StandardCharsets.ISO_8859_1).endsWith("$X0b;process:3#91"),
                sent.toString(StandardCharsets.ISO_8859_1));
        assertEquals("mp1.1", call("qfThreadInfo"));
        // the system ends while gdb waits: the resumed process first, then one per resume
        assertNull(call("vCont;c:p1.-1"));
        target.ends.clear();
        s.systemStatus = 0;
        assertEquals("W00;process:1", s.nextExit(java.util.Set.of(1)));
        assertEquals("l", call("qfThreadInfo"), "no process left for gdb");
        assertEquals("E02", call("vCont;c"), "no thread to run any more");
    }

    /** How many times the stub told gdb that a resume of some inferiors ran the others too. */
    int othersRunNotes() {
        String out = sent.toString(StandardCharsets.ISO_8859_1);
        String note = "$O" + PacketCodec.toHex("rewind: every task runs on a continue");
        int n = 0;
        for (int i = out.indexOf(note); i >= 0; i = out.indexOf(note, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void multiprocessTellsGdbOnceThatTheInferiorsItDidNotResumeRanToo() {
        s.allowMultiprocess = true;
        call("qSupported:multiprocess+;swbreak+");
        call("?");
        assertNull(call("vCont;s:p1.1"));
        assertEquals(0, othersRunNotes(), "a step runs its task alone");
        assertNull(call("vCont;c"));
        assertEquals(0, othersRunNotes(), "schedule-multiple: gdb resumed every inferior");
        assertNull(call("vCont;c:p1.-1"));
        assertEquals(1, othersRunNotes());
        String out = sent.toString(StandardCharsets.ISO_8859_1);
        assertTrue(out.contains(PacketCodec.toHex("gdb did not resume (2, 3)")), out);
        assertTrue(out.contains(PacketCodec.toHex("'set schedule-multiple on'")), out);
        assertNull(call("vCont;c:p2.-1"));
        assertEquals(1, othersRunNotes(), "once a connection");
    }

    @Test
    void registersAndMemory() {
        target.regs[0][10] = 0x1122334455667788L;
        String g = call("g");
        assertEquals(33 * 16, g.length());
        assertEquals("8877665544332211", g.substring(10 * 16, 11 * 16));
        assertEquals("0000010000000000", call("p20"));
        assertEquals("OK", call("P20=0400010000000000"));
        assertEquals(0x10004, target.regs[0][32]);
        assertEquals("0000000000000000", call("p21"), "mepc: no fault yet");
        // f0 (0x24) .. fcsr (0x46): unavailable, the target's CPU having no FPU on (a write says
        // so in words gdb shows); beyond: E01
        assertEquals("x".repeat(16), call("p24"));
        assertEquals("x".repeat(8), call("p46"));
        assertEquals(RegisterCommands.FPU_OFF, call("P24=0000000000000000"));
        assertTrue(RegisterCommands.FPU_OFF.matches("E\\.[^$#*}]+"), "no character a packet must escape");
        assertEquals("E01", call("p47"));
        assertEquals("OK", call("M10000,4:deadbeef"));
        assertEquals("deadbeef", call("m10000,4"));
        assertEquals("E14", call("m0,4"));
        assertEquals("00", call("m1ffff,8"), "a read running into unmapped memory returns what could be read");
        // binary write with escapes: 0x23 '#' 0x7d '}' sent as }0x03 }0x5d
        byte[] x = {'X', '1', '0', '0', '1', '0', ',', '3', ':', '}', 0x03, '}', 0x5d, 'a'};
        assertEquals("OK", s.dispatch(x));
        assertEquals("237d61", call("m10010,3"));
        assertEquals("E01", call("X10010,4:ab"));
        assertEquals("OK", call("X10010,0:"));
        assertEquals("OK", call("Z0,10000,2"));
        assertTrue(target.breakpoints.contains(0x10000L));
        assertEquals("OK", call("z0,10000,2"));
        assertEquals("OK", call("Z2,10000,8"));
        assertTrue(call("Z2,10000,9").startsWith("E"), "the target refused it");
        assertEquals("", call("Z9,10000,8"));
    }

    @Test
    void resumeStepAndStopReplies() {
        call("qSupported:swbreak+");
        assertEquals("T05thread:1;20:0000010000000000;", call("?"));
        assertNull(call("vCont;s:2;c"));
        assertEquals("resume {1=CONTINUE, 2=STEP} CONTINUE false", target.log.get(target.log.size() - 1));
        assertTrue(s.waitingForStop);
        assertNull(call("c"));
        assertEquals("resume {1=CONTINUE} CONTINUE false", target.log.get(target.log.size() - 1));
        assertEquals("", call("vCont;x"));
        assertEquals("", call("vCont;t:1"));
        String w = s.dispatch("?".getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(w.startsWith("T05thread:"), w);
        assertEquals("OK", call("D"));
        assertTrue(s.closing);
    }

    @Test
    void vContAppliesTheLeftmostMatchingActionToEachThreadAndStopsTheRest() {
        call("?");
        String[][] cases = {
            {"vCont;c:2", "resume {2=CONTINUE} STOP false"},
            {"vCont;s:2", "resume {2=STEP} STOP false"},
            {"vCont;s:1;c", "resume {1=STEP} CONTINUE false"},
            {"vCont;s:3;c:3;c:1", "resume {1=CONTINUE, 3=STEP} STOP false"},
            {"vCont;c;s:2", "resume {1=CONTINUE} CONTINUE false"}, // the wildcard comes first: it wins for 2 too
            {"vCont;C0b:1;c", "resume {1=CONTINUE} CONTINUE true"}, // the stop thread's signal: deliver the fault
            {"vCont;C0b:2;c", "resume {1=CONTINUE, 2=CONTINUE} CONTINUE false"}, // another thread's signal
            {"vCont;C0b", "resume {1=CONTINUE} CONTINUE true"},
            {"vCont;c:p1.2;c:p1.-1", "resume {1=CONTINUE, 2=CONTINUE} CONTINUE false"},
            {"C0b", "resume {1=CONTINUE} CONTINUE true"},
            {"s", "resume {1=STEP} STOP false"},
        };
        for (String[] c : cases) {
            target.stop = new DebugTarget.StopEvent(DebugTarget.StopKind.FAULTED, 1, DebugTarget.SIGSEGV, "fake");
            call("?");
            assertNull(call(c[0]), c[0]);
            assertEquals(c[1], target.log.get(target.log.size() - 1), c[0]);
        }
        assertEquals("E02", call("vCont;c:9"));
        assertEquals("E01", call("vCont;cx:1"));
    }

    @Test
    void vKillNeedsTheProcessGdbKnowsAndKillsNothingOtherwise() {
        call("?");
        // malformed: E01; a process that is not the one gdb sees: E02; nothing is killed
        for (String[] c : new String[][] {
            {"vKill;zz", "E01"},
            {"vKill;", "E01"},
            {"vKill", "E01"},
            {"vKillx", "E01"},
            {"vKill;99", "E02"},
            {"vKill;0", "E02"},
            {"vKill;1", "E02"},
            {"vKill;ffffffffffffffffff", "E01"}
        }) {
            assertEquals(c[1], call(c[0]), c[0]);
            assertFalse(target.killed, c[0]);
            assertFalse(s.closing, c[0]);
        }
        // without multiprocess gdb calls the one process 42000 (its MAGIC_NULL_PID)
        assertEquals("OK", call("vKill;a410"));
        assertTrue(target.killed);
        assertTrue(s.closing);
    }

    @Test
    void anEndedTaskRefusesRegisterWritesAndResumesWithAReasonGdbShows() {
        call("?");
        target.ends.put(2, new DebugTarget.StopEvent(DebugTarget.StopKind.EXITED, 2, 0, "exited"));
        target.ends.put(3, new DebugTarget.StopEvent(DebugTarget.StopKind.TERMINATED, 3, 11, "died"));
        assertEquals("OK", call("Hg2"));
        String exited = "E.thread 2 (task fake2) has exited: it has no registers to write";
        assertEquals(exited, call("P0=0500000000000000"));
        assertEquals(exited, call("G" + "00".repeat(33 * 8)));
        assertEquals(0, target.regs[1][0], "nothing written");
        assertEquals("OK", call("Hg3"));
        assertEquals("E.thread 3 (task fake3) has died: it has no registers to write", call("P0=05"));
        int resumes = target.log.size();
        assertEquals(
                "E.thread 2 (task fake2) has exited: it cannot run (info threads shows the live tasks)",
                call("vCont;s:2"));
        assertEquals(resumes, target.log.size(), "nothing resumed");
        assertEquals("E02", call("vCont;s:9"), "no such thread");
        assertEquals("E02", call("vCont;c:-1;s:99"), "no such thread, after a wildcard");
        assertEquals("E02", call("vCont;c;c:99"), "no such thread, after a wildcard");
        assertEquals(resumes, target.log.size(), "nothing resumed");
        assertEquals("OK", call("Hg1"));
        assertEquals("OK", call("P0=0500000000000000"), "a live task's registers are written");
        assertEquals(5, target.regs[0][0]);
    }

    /**
     * Without multiprocess gdb writes thread ids without a process; a client that names a
     * process other than gdb's one ({@code pPID.TID}) names no thread: E02, nothing resumed
     * or selected. Its process used to be ignored: {@code vCont;c:p99.1} resumed task 1 and
     * {@code vCont;c:p99} every task.
     */
    @Test
    void withoutMultiprocessAThreadIdOfAnotherProcessIsNoThread() {
        call("?");
        int resumes = target.log.size();
        for (String p : List.of("vCont;c:p99.1", "vCont;c:p99", "vCont;s:p99.-1", "vCont;c:pzz.1")) {
            String r = call(p);
            assertTrue(r != null && r.startsWith("E0"), p + " -> " + r);
            assertEquals(resumes, target.log.size(), p + ": nothing resumed");
        }
        assertEquals("E02", call("vCont;c:p99.1"));
        assertEquals("E02", call("Hgp99.1"));
        assertEquals("E02", call("Tp99.1"));
        assertEquals("OK", call("Tpa410.1"), "gdb's own process (42000)");
        assertEquals("OK", call("Hgp-1.1"));
    }

    /** A session over {@code input}, run until the input ends. */
    GdbSession runOver(String input, FakeTarget t, ByteArrayOutputStream out) {
        GdbSession session =
                new GdbSession(t, new ByteArrayInputStream(input.getBytes(StandardCharsets.ISO_8859_1)), out);
        session.run();
        return session;
    }

    /**
     * A client that pipelines packets and never reads the replies: the session blocks writing
     * its first reply, and the reader stops taking input once {@link GdbSession#MAX_PENDING}
     * events wait (TCP then holds the client back). Before, the reader queued every packet,
     * 80 MB of heap a second, until the JVM (the whole emulator) ran out of memory.
     */
    @Test
    void aClientThatNeverReadsRepliesIsHeldBackNotQueuedWithoutBound() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicLong consumed = new java.util.concurrent.atomic.AtomicLong();
        // the client keeps sending for 5 s after it closed its end (what is already in the socket)
        java.util.concurrent.atomic.AtomicLong inputEnds = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
        byte[] packet = PacketCodec.frame("m0,4");
        java.io.InputStream endless = new java.io.InputStream() {
            @Override
            public int read() {
                return -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (System.nanoTime() > inputEnds.get()) {
                    return -1;
                }
                for (int i = 0; i < len; i++) {
                    b[off + i] = packet[(int) ((consumed.get() + i) % packet.length)];
                }
                consumed.addAndGet(len);
                return len;
            }
        };
        java.io.OutputStream stuck = new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws java.io.IOException {
                try {
                    release.await(); // the client never reads
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new java.io.IOException("connection closed");
            }
        };
        GdbSession session = new GdbSession(new FakeTarget(), endless, stuck);
        Thread t = new Thread(session::run, "test-gdb-session");
        t.setDaemon(true);
        t.start();
        Thread.sleep(1500);
        long taken = consumed.get();
        assertTrue(taken < 64 * 1024, "the reader took " + taken + " bytes from a client whose replies wait");
        inputEnds.set(System.nanoTime() + 5_000_000_000L);
        release.countDown();
        t.join(10_000);
        assertTrue(!t.isAlive(), "the session ended with the connection");
        // and its reader with it, not after 100 ms for each packet left in its buffer
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (Thread.getAllStackTraces().keySet().stream()
                .anyMatch(x -> x.getName().equals("rewind-gdb-reader") && x.isAlive())) {
            assertTrue(System.nanoTime() < deadline, "the reader thread outlived its session");
            Thread.sleep(10);
        }
    }

    /** A session served on a thread of its own over a pipe, as gdb talks to it. */
    static final class Live implements AutoCloseable {
        final FakeTarget target = new FakeTarget();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final java.io.PipedOutputStream toStub = new java.io.PipedOutputStream();
        final GdbSession session;
        final Thread thread;

        Live(java.util.function.Consumer<GdbSession> setup) throws Exception {
            target.runsOn = true;
            session = new GdbSession(target, new java.io.PipedInputStream(toStub, 1 << 16), out);
            setup.accept(session);
            thread = new Thread(session::run, "test-gdb-session");
            thread.setDaemon(true);
            thread.start();
        }

        /** Send {@code packet} and wait until the stub's output has {@code expected} after what it had. */
        void send(String packet, String expected) throws Exception {
            int from = out.size();
            toStub.write(PacketCodec.frame(packet));
            toStub.flush();
            await(from, expected);
        }

        void await(int from, String expected) throws InterruptedException {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!text().substring(from).contains(expected)) {
                assertTrue(System.nanoTime() < deadline, "no '" + expected + "' after " + from + " in: " + text());
                Thread.sleep(5);
            }
        }

        String text() {
            return out.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws Exception {
            toStub.close();
            thread.join(10_000);
        }
    }

    /** The framed packet {@code payload} as the stub sends it. */
    static String framed(String payload) {
        return new String(PacketCodec.frame(payload), StandardCharsets.ISO_8859_1);
    }

    /**
     * {@code target extended-remote}: gdb stays connected after the exit and asks for the thread
     * list at once; the session answers it (none), repeats the exit for {@code ?}, refuses to
     * run again with the reason, and ends when gdb detaches, not at the exit.
     */
    @Test
    void extendedRemoteKeepsTheSessionAfterTheEndUntilGdbDetaches() throws Exception {
        try (Live l = new Live(x -> {})) {
            l.send("!", framed("OK"));
            assertTrue(l.session.extended);
            l.send("?", "$T05thread:1;");
            int from = l.out.size();
            l.toStub.write(PacketCodec.frame("vCont;c"));
            l.toStub.flush();
            l.await(from, "+");
            l.session.systemEnded(3);
            l.await(from, framed("W03"));
            Thread.sleep(200);
            assertTrue(l.thread.isAlive(), "the session outlives the end of the run");
            assertFalse(l.session.ended());
            l.send("qfThreadInfo", framed("l"));
            l.send("?", framed("W03"));
            l.send("vCont;c", "$E.the system has ended (exit status 3): nothing runs any more#");
            l.send("vRun;", "$E.the system has ended (exit status 3): boot it again (rewind boot)");
            l.send("vAttach;1", "$E.the system has ended (exit status 3)");
            l.send("vCont?", framed("vCont;c;C;s;S"));
            int resumes = l.target.log.size();
            l.send("D", framed("OK"));
            l.thread.join(5_000);
            assertFalse(l.thread.isAlive(), "detach ends the session");
            assertTrue(l.session.ended());
            assertEquals(resumes, l.target.log.size(), "nothing resumed after the end");
        }
    }

    /** A gdb that stays connected after the end does not keep the session past its deadline. */
    @Test
    void extendedRemoteSessionEndsByItselfAfterTheLingerDeadline() throws Exception {
        try (Live l = new Live(x -> x.lingerNanos = 300_000_000L)) {
            l.send("!", framed("OK"));
            l.send("?", "$T05thread:1;");
            int from = l.out.size();
            l.toStub.write(PacketCodec.frame("c"));
            l.toStub.flush();
            l.await(from, "+");
            long t0 = System.nanoTime();
            l.session.systemEnded(0);
            l.await(from, framed("W00"));
            l.thread.join(10_000);
            assertFalse(l.thread.isAlive(), "the session ended at its deadline");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 250, "not before the deadline: " + ms + " ms");
        }
    }

    /**
     * Extended: the system ended while gdb had it stopped: gdb's next continue gets the exit as
     * its stop reply, and the session stays as above; a kill then ends it.
     */
    @Test
    void extendedRemoteHearsAnEndThatCameWhileStoppedAtItsNextResume() throws Exception {
        try (Live l = new Live(x -> {})) {
            l.send("!", framed("OK"));
            l.send("?", "$T05thread:1;");
            int from = l.out.size();
            l.session.systemEnded(0);
            l.await(from, "$O" + PacketCodec.toHex("rewind: the system ended (exit status 0)"));
            l.send("qfThreadInfo", framed("m1,2,3")); // gdb believes they are stopped
            l.send("vCont;c", framed("W00"));
            l.send("qfThreadInfo", framed("l"));
            l.toStub.write(PacketCodec.frame("k"));
            l.toStub.flush();
            l.thread.join(5_000);
            assertFalse(l.thread.isAlive(), "kill ends the session");
            assertFalse(l.target.killed, "nothing to kill after the end");
        }
    }

    /** {@code target remote}: the session ends with the exit, as before. */
    @Test
    void plainRemoteSessionEndsWithTheExit() throws Exception {
        try (Live l = new Live(x -> {})) {
            l.send("?", "$T05thread:1;");
            int from = l.out.size();
            l.toStub.write(PacketCodec.frame("vCont;c"));
            l.toStub.flush();
            l.await(from, "+");
            l.session.systemEnded(0);
            l.await(from, framed("W00"));
            l.thread.join(5_000);
            assertFalse(l.thread.isAlive(), "the session ended with the exit");
        }
    }

    /**
     * {@code run}/{@code attach} are refused with the reason (an empty reply made gdb fall back
     * to {@code R}); {@code R} has no reply (one would answer gdb's next packet).
     */
    @Test
    void runAttachAndRestartAreRefusedWithoutDesynchronisingTheReplies() {
        call("!");
        assertTrue(call("vRun;").startsWith("E.the stub cannot start or attach a process"), call("vRun;"));
        assertTrue(call("vAttach;2").startsWith("E.the stub cannot start or attach a process"));
        assertNull(call("R00"));
        assertTrue(
                target.log.isEmpty() || !target.log.get(target.log.size() - 1).startsWith("resume"));
    }

    /** gdb's OS data ({@code info os processes}, MI's {@code -list-thread-groups --available}): the live tasks. */
    @Test
    void osdataListsTheLiveTasksAsProcesses() {
        assertTrue(call("qSupported:swbreak+").contains(";qXfer:osdata:read+"));
        target.ends.put(2, new DebugTarget.StopEvent(DebugTarget.StopKind.EXITED, 2, 0, "exited"));
        String ps = call("qXfer:osdata:read:processes:0,fff");
        assertTrue(ps.startsWith("l<?xml") && ps.contains("<osdata type=\"processes\">"), ps);
        assertTrue(
                ps.contains("<item><column name=\"pid\">1</column><column name=\"user\">rewind</column>"
                        + "<column name=\"command\">fake1 (fake.elf)</column><column name=\"cores\">0</column>"
                        + "<column name=\"state\">fake1 gen 1, ready</column></item>"),
                ps);
        assertTrue(ps.contains("<column name=\"pid\">3</column>"), ps);
        assertFalse(ps.contains("<column name=\"pid\">2</column>"), "an ended task is no process: " + ps);
        assertTrue(call("qXfer:osdata:read::0,fff").contains("<column name=\"Type\">processes</column>"));
        assertEquals("E00", call("qXfer:osdata:read:files:0,fff"));
        assertEquals("E01", call("qXfer:osdata:read:processes"));
        assertTrue(call("qXfer:osdata:read:processes:0,10").startsWith("m<?xml"));
        s.systemStatus = 0;
        assertFalse(call("qXfer:osdata:read:processes:0,fff").contains("<item>"), "none after the end");
    }

    @Test
    void aConnectionWithoutOneWellFormedPacketNeitherAttachesNorDetaches() {
        // a port probe (nc -z: connect, close), noise, a bad checksum, a lone Ctrl-C and acks:
        // no debugger, so a running system is not halted and a --gdb-wait hold is not released
        for (String input : new String[] {"", "garbage", "$qSupported#00", "\u0003+-", "$qSupported:multipro"}) {
            FakeTarget t = new FakeTarget();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            runOver(input, t, out);
            assertEquals(0, t.attaches, input);
            assertEquals(0, t.detaches, input);
        }
        FakeTarget t = new FakeTarget();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        runOver("garbage" + new String(PacketCodec.frame("qSupported"), StandardCharsets.ISO_8859_1), t, out);
        assertEquals(1, t.attaches, "a debugger: its first well-formed packet attaches");
        assertEquals(1, t.detaches, "and closing the connection detaches");
        assertTrue(out.toString(StandardCharsets.ISO_8859_1).contains("$PacketSize="), out.toString());
    }

    @Test
    void detachWithAProcessNeedsTheProcessGdbKnows() {
        call("?");
        for (String[] c : new String[][] {
            {"Dzz", "E01"}, {"D;", "E01"}, {"D;zz", "E01"}, {"D;99", "E02"}, {"D;0", "E02"}, {"D;1", "E02"}
        }) {
            assertEquals(c[1], call(c[0]), c[0]);
            assertEquals(0, target.detaches, c[0]);
            assertFalse(s.closing, c[0]);
        }
        assertEquals("OK", call("D;a410"));
        assertEquals(1, target.detaches);
        assertTrue(s.closing);
    }

    @Test
    void multiprocessKillAndDetachNeedAProcessGdbKnows() {
        s.allowMultiprocess = true;
        call("qSupported:multiprocess+;swbreak+");
        assertEquals("T05thread:p1.1;20:0000010000000000;", call("?"));
        for (String[] c : new String[][] {
            {"vKill;99", "E02"},
            {"vKill;0", "E02"},
            {"vKill;zz", "E01"},
            {"vKill;", "E01"},
            {"vKill;a410", "E02"},
            {"D;99", "E02"},
            {"D;0", "E02"},
            {"D;zz", "E01"},
            {"Dzz", "E01"}
        }) {
            assertEquals(c[1], call(c[0]), c[0]);
            assertFalse(target.killed, c[0]);
            assertFalse(s.closing, c[0]);
            assertTrue(s.detached.isEmpty(), c[0]);
            assertEquals(0, target.detaches, c[0]);
        }
        // one inferior leaves; then gdb kills another: the third stays, so the session stays
        assertEquals("OK", call("D;2"));
        assertEquals(java.util.Set.of(2), s.detached);
        assertEquals(0, target.detaches);
        assertEquals("E02", call("D;2"), "already detached");
        assertEquals("E02", call("vKill;2"), "detached: gdb does not know it");
        assertFalse(target.killed);
        assertEquals("OK", call("vKill;1"));
        assertTrue(target.killed);
        assertFalse(s.closing, "process 3 is left for gdb");
    }

    @Test
    void multiprocessRefusesThreadsThatDoNotExistWithoutActing() {
        s.allowMultiprocess = true;
        call("qSupported:multiprocess+;swbreak+");
        assertEquals("T05thread:p1.1;20:0000010000000000;", call("?"));
        int resumes = target.log.size();
        for (String[] c : new String[][] {
            // a process is one thread (1; 0 any, -1 all): p1.2 and p1.99 do not exist
            {"Hgp1.99", "E02"},
            {"Hgp1.2", "E02"},
            {"Hcp1.2", "E02"},
            {"Hgp99.-1", "E02"},
            {"Hgp99", "E02"},
            {"Hgp1.zz", "E01"},
            {"Hgpzz.1", "E01"},
            {"Tp1.2", "E02"},
            {"Tp1.99", "E02"},
            {"Tp99.1", "E02"},
            {"Tp1.-1", "E02"},
            {"qThreadExtraInfo,p1.2", "E02"},
            {"vCont;s:p1.99", "E02"},
            {"vCont;s:p1.2;c", "E02"},
            {"vCont;c:p99.-1", "E02"},
            {"vCont;c:p1.-1;s:p2.5", "E02"},
        }) {
            assertEquals(c[1], call(c[0]), c[0]);
            assertEquals(1, s.resolve(s.gThread), c[0] + ": the selection stays");
            assertEquals(resumes, target.log.size(), c[0] + ": nothing resumed");
            assertFalse(s.waitingForStop, c[0]);
        }
        assertEquals("OK", call("Tp1.1"));
        assertEquals("OK", call("Tp3.0"));
        assertEquals("OK", call("Hgp2.1"));
        assertEquals("QCp2.1", call("qC"));
        assertEquals("OK", call("Hgp0.0"));
        assertEquals("OK", call("Hcp1.-1"));
        assertNull(call("vCont;s:p2.1"));
        assertEquals("resume {2=STEP} STOP false", target.log.get(target.log.size() - 1));
    }

    @Test
    void withoutMultiprocessThreadsThatDoNotExistAreRefusedToo() {
        call("?");
        for (String p : new String[] {"Hg9", "Hc9", "T9", "T0", "vCont;s:9", "vCont;s:9;c", "vCont;c:1;s:63"}) {
            assertEquals("E02", call(p), p);
        }
        assertTrue(target.log.isEmpty(), "nothing resumed");
    }

    @Test
    void watchRangesThatWrapPastTheTopOfTheAddressSpaceAreRefused() {
        for (String p : new String[] {
            "Z2,fffffffffffffffc,8",
            "Z3,fffffffffffffffc,8",
            "Z4,ffffffffffffffff,2",
            "z2,fffffffffffffffc,8",
            "Z2,10000,0",
            "Z2,1,ffffffffffffffff"
        }) {
            assertTrue(call(p).startsWith("E."), p + ": refused with a reason");
        }
        assertEquals("OK", call("Z2,fffffffffffffff8,8"), "ends at the last byte: no wrap");
        assertEquals("OK", call("Z4,ffffffffffffffff,1"));
    }

    /**
     * Z0/Z1 take a kind that is an instruction's size on the architecture, at an address aligned
     * to it; watchpoints 1 byte to 64 KiB; z removes only what was inserted, and a break and an
     * hbreak at one address are two points sharing one hook.
     */
    @Test
    void breakpointKindsAndLengthsAreCheckedAndRemovalsMustMatchAnInsertion() {
        for (String p : new String[] {"Z0,10000,1", "Z0,10000,3", "Z1,10000,8", "Z0,10000,0", "Z0,10001,2"}) {
            String r = call(p);
            assertTrue(r.startsWith("E.") && (r.contains("instruction")), p + " -> " + r);
        }
        assertTrue(target.breakpoints.isEmpty(), "nothing inserted");
        assertEquals("OK", call("Z0,10002,2"), "a compressed instruction");
        assertEquals("OK", call("Z0,10006,4"), "RISC-V's 4-byte instructions may be 2-aligned");
        target.arch = dev.rewind.hw.cpu.Arch.AARCH64;
        assertTrue(call("Z0,10000,2").contains("AArch64 instructions are 4 bytes"));
        assertTrue(call("Z1,10002,4").contains("4-byte aligned"));
        assertEquals("OK", call("Z0,10008,4"));
        // break and hbreak at one address: deleting one keeps the other
        assertEquals("OK", call("Z1,10008,4"));
        assertEquals("OK", call("z0,10008,4"));
        assertTrue(target.breakpoints.contains(0x10008L), "the hbreak still stops there");
        assertEquals("OK", call("z1,10008,4"));
        assertFalse(target.breakpoints.contains(0x10008L));
        // removing what was never inserted (or twice) is an error, as in gdbserver and QEMU
        String r = call("z1,10008,4");
        assertTrue(r.startsWith("E.no hardware breakpoint at 0x10008"), r);
        r = call("z2,10000,8");
        assertTrue(r.startsWith("E.no write watchpoint at 0x10000 of 8 bytes"), r);
        assertEquals("OK", call("Z2,10000,8"));
        assertTrue(call("z3,10000,8").startsWith("E.no read watchpoint"), "another kind");
        assertTrue(call("z2,10000,4").startsWith("E.no write watchpoint"), "another length");
        assertEquals("OK", call("z2,10000,8"));
        assertTrue(call("Z2,10000,0").contains("0 bytes watches nothing"));
        assertTrue(call("Z4,10000,10001").contains("longer than the 64 KiB"));
        assertTrue(call("Z3,fffffffffffffff0,20").contains("wrap past the top"));
    }

    /**
     * {@code ?} says why the target is halted: after a reverse move that reached the start of
     * the history (a client's {@code bc} with none), not {@code replaylog:begin}, which a gdb
     * connecting next printed as "No more reverse-execution history." before anything else.
     */
    @Test
    void theHaltReasonIsNoEndOfHistory() {
        target.stop = new DebugTarget.StopEvent(DebugTarget.StopKind.HISTORY_BEGIN, 2, DebugTarget.SIGTRAP, "begin");
        assertEquals("T05thread:2;20:0000010000000000;", call("?"));
    }

    /** {@code info os threads}: the live tasks as threads, with the kernel's view. */
    @Test
    void osdataListsTheLiveTasksAsThreads() {
        target.ends.put(2, new DebugTarget.StopEvent(DebugTarget.StopKind.EXITED, 2, 0, "exited"));
        assertTrue(call("qXfer:osdata:read::0,fff").contains("<column name=\"Type\">threads</column>"));
        String ts = call("qXfer:osdata:read:threads:0,fff");
        assertTrue(ts.startsWith("l<?xml") && ts.contains("<osdata type=\"threads\">"), ts);
        assertTrue(
                ts.contains("<item><column name=\"pid\">1</column><column name=\"command\">fake1 (fake.elf)</column>"
                        + "<column name=\"tid\">1</column><column name=\"core\">0</column>"
                        + "<column name=\"generation\">1</column><column name=\"state\">ready</column>"
                        + "<column name=\"pc\">0x10000</column></item>"),
                ts);
        assertTrue(ts.contains("<column name=\"tid\">3</column>"), ts);
        assertFalse(ts.contains("<column name=\"tid\">2</column>"), "an ended task is no thread: " + ts);
        s.systemStatus = 0;
        assertFalse(call("qXfer:osdata:read:threads:0,fff").contains("<item>"), "none after the end");
    }

    /** A task in its past refuses memory and register writes with a reason; other tasks do not. */
    @Test
    void writesToATaskInItsPastAreRefusedWithAReason() {
        target.past.add(1);
        assertEquals("OK", call("Hg1"));
        String before = call("m10000,4");
        for (String p :
                new String[] {"M10000,4:01020304", "X10000,1:a", "P1=0100000000000000", "G" + "00".repeat(33 * 8)}) {
            String r = call(p);
            assertTrue(r.startsWith("E.thread 1 (task fake1) is in its past (reverse execution)"), p + " -> " + r);
        }
        assertEquals(before, call("m10000,4"), "memory unchanged");
        assertEquals(0L, target.regs[0][1], "registers unchanged");
        assertEquals("OK", call("Hg2"));
        assertEquals("OK", call("M10000,4:01020304"), "thread 2 is in the present");
    }

    @Test
    void monitor() {
        String help =
                new String(PacketCodec.fromHex(call("qRcmd," + PacketCodec.toHex("help"))), StandardCharsets.UTF_8);
        assertTrue(help.contains("monitor scope"), help);
        // the scope's default is the tasks running gdb's program (docs/DEBUGGING.md), not every task
        assertTrue(help.contains("(by default\n") && help.contains("the tasks running the program gdb loaded"), help);
        assertFalse(help.contains("every task (the default)"), help);
        String tasks =
                new String(PacketCodec.fromHex(call("qRcmd," + PacketCodec.toHex("tasks"))), StandardCharsets.UTF_8);
        assertTrue(tasks.contains("fake3"), tasks);
        String scope = new String(
                PacketCodec.fromHex(call("qRcmd," + PacketCodec.toHex("scope fake1"))), StandardCharsets.UTF_8);
        assertTrue(scope.contains("apply to fake1"), scope);
        assertEquals(java.util.List.of("fake1"), target.scope);
        call("qRcmd," + PacketCodec.toHex("scope all"));
        assertEquals(java.util.List.of(), target.scope);
        assertEquals("E01", call("qRcmd,zz"));
    }

    /**
     * A packet longer than the reader keeps (a client of its own ignoring PacketSize) is dropped
     * with a reply that says so, and the next packet is served as usual.
     */
    @Test
    void anOversizedPacketIsRefusedWithTheReason() throws Exception {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.write(PacketCodec.frame("qSupported"));
        in.write(PacketCodec.frame("M10000,8000:" + "00".repeat(0x8000))); // 64 KiB of hex and more
        in.write(PacketCodec.frame("qAttached"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GdbSession session = new GdbSession(new FakeTarget(), new ByteArrayInputStream(in.toByteArray()), out);
        Thread t = new Thread(session::run, "test-gdb-session");
        t.setDaemon(true);
        t.start();
        t.join(10_000);
        assertFalse(t.isAlive(), "the session ended with its input");
        String replies = out.toString(StandardCharsets.ISO_8859_1);
        assertTrue(
                replies.contains(
                        "$E.a packet longer than 65536 bytes was dropped unread (the stub's PacketSize is 16384"),
                replies);
        assertTrue(replies.contains("$1#31"), "qAttached after it answered: " + replies);
    }

    @Test
    void malformedPacketsGetErrors() {
        for (String p : new String[] {
            "m",
            "m,",
            "mzz,4",
            "m10000",
            "M10000,2:abc",
            "G12",
            "P",
            "P1",
            "p",
            "Hx",
            "H",
            "Z0",
            "Z0,1",
            "qXfer:features:read:target.xml:",
            "qThreadExtraInfo,",
            "T",
            "C",
            "Cxx",
            "vCont;",
            "m10000,ffffffffffffffffff"
        }) {
            String r = call(p);
            assertTrue(r != null && (r.startsWith("E") || r.isEmpty()), p + " -> " + r);
        }
    }
}
