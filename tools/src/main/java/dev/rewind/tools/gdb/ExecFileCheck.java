package dev.rewind.tools.gdb;

import dev.rewind.hw.elf.ElfException;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.kernel.debug.DebugTarget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether the program gdb loaded is one the system runs. gdb tells the stub nothing about its
 * file (no build id, no path), but once it has symbols it sends {@code qSymbol::} (after
 * connecting, and after each file it loads), offering to look up symbols for the stub: the stub
 * asks for a few symbols of the booted program(s), {@code qSymbol:HEXNAME}, and gdb answers
 * with their addresses in its file ({@code qSymbol:ADDR:HEXNAME}, or {@code qSymbol::HEXNAME}
 * if it has none). The stub compares them with the booted ELF: {@code main}, the ends of the
 * code and the data ({@code __rodata_end}, {@code __bss_end}, which move with any change in
 * size) and a few functions spread over the code. With one inferior per task, gdb's file is
 * compared with the image of the process gdb looks up for (gdb selects it first); without,
 * with every image the system runs (gdb's file may be any task's). When none matches, the
 * stub warns on stderr and, at the next resume, in gdb's console (an {@code O} packet: gdb
 * shows console output only while it waits for the target).
 */
final class ExecFileCheck {
    /** Symbols asked of gdb in one exchange, at most. */
    static final int MAX_LOOKUPS = 32;
    /** Functions sampled per image besides {@code main} and the section ends. */
    static final int SAMPLED_FUNCTIONS = 4;

    private final GdbSession s;
    /** The booted images parsed so far, by image name (a null value: not an ELF that parses). */
    private final Map<String, ElfImage> parsed = new HashMap<>();

    /** The exchange in progress: the names still to ask, null when none is in progress. */
    private Deque<String> toAsk;
    /** The images gdb's file is compared with (by image name), in this exchange. */
    private Map<String, ElfImage> candidates;
    /** The image named first in a warning (the current thread's). */
    private String reference;
    /** gdb's answers: name to address, or to null where gdb has no such symbol. */
    private Map<String, Long> answers;
    /**
     * The warnings to show in gdb's console at the next resume, by process (with one inferior
     * per task; else 0 for the one): a later exchange for a process replaces its own only.
     */
    private final Map<Integer, String> pending = new java.util.TreeMap<>();
    /** The process of the exchange in progress (0 without inferiors). */
    private int process;

    ExecFileCheck(GdbSession s) {
        this.s = s;
    }

    /** The reply to a {@code qSymbol} packet. */
    String handle(String p) {
        if (p.equals("qSymbol::")) {
            start();
            return next();
        }
        if (!p.startsWith("qSymbol:") || toAsk == null) {
            return "OK";
        }
        String rest = p.substring("qSymbol:".length());
        int colon = rest.indexOf(':');
        if (colon < 0) {
            toAsk = null;
            return "OK";
        }
        String name = new String(PacketCodec.fromHex(rest.substring(colon + 1)), StandardCharsets.ISO_8859_1);
        String value = rest.substring(0, colon);
        answers.put(name, value.isEmpty() ? null : PacketCodec.parseHex(value));
        return next();
    }

    /**
     * The warning not yet shown in gdb's console, as the text of an {@code O} packet; null if
     * none. Taken once.
     */
    String takePending() {
        if (pending.isEmpty()) {
            return null;
        }
        String w = String.join("", pending.values());
        pending.clear();
        return w;
    }

    private String next() {
        if (toAsk.isEmpty()) {
            toAsk = null;
            evaluate();
            return "OK";
        }
        return "qSymbol:" + PacketCodec.toHex(toAsk.poll());
    }

    /** Pick the images to compare with and the names to ask (none if no image parses). */
    private void start() {
        candidates = new LinkedHashMap<>();
        answers = new LinkedHashMap<>(); // (in the order asked: main first)
        reference = null;
        int current;
        try {
            current = s.generalThread();
        } catch (RuntimeException e) {
            current = 0;
        }
        process = s.multiprocess ? current : 0;
        for (DebugTarget.ThreadInfo t : s.target.threads()) {
            if (s.multiprocess && t.id() != current) {
                continue; // gdb looks up in the file of the current inferior, this task's
            }
            ElfImage img = image(t);
            if (img != null && !candidates.containsKey(t.image())) {
                candidates.put(t.image(), img);
            }
            if (t.id() == current && img != null) {
                reference = t.image();
            }
        }
        if (reference == null && !candidates.isEmpty()) {
            reference = candidates.keySet().iterator().next();
        }
        Set<String> names = new LinkedHashSet<>();
        for (ElfImage img : candidates.values()) {
            for (String n : sample(img)) {
                if (names.size() < MAX_LOOKUPS) {
                    names.add(n);
                }
            }
        }
        toAsk = new ArrayDeque<>(names);
    }

    private ElfImage image(DebugTarget.ThreadInfo t) {
        if (t.image() == null) {
            return null;
        }
        if (!parsed.containsKey(t.image())) {
            ElfImage img = null;
            try {
                byte[] elf = s.target.executable(t.id());
                img = elf == null ? null : ElfImage.parse(elf, t.image());
            } catch (ElfException | RuntimeException e) {
                img = null;
            }
            parsed.put(t.image(), img);
        }
        return parsed.get(t.image());
    }

    /**
     * The symbols of {@code img} to ask gdb for: {@code main}, the ends of the code and the data,
     * and a few global functions spread over the code, each a name only one symbol has.
     */
    static List<String> sample(ElfImage img) {
        Map<String, Long> unique = addresses(img);
        List<String> out = new ArrayList<>();
        for (String n : List.of("main", "__rodata_end", "__bss_end")) {
            if (unique.get(n) != null) {
                out.add(n);
            }
        }
        List<String> functions = new ArrayList<>();
        for (ElfImage.Symbol sym : img.symbols()) { // (by address)
            if (sym.function() && sym.global() && usable(sym.name()) && unique.get(sym.name()) != null) {
                functions.add(sym.name());
            }
        }
        int n = functions.size();
        for (int i = 0; i < SAMPLED_FUNCTIONS && n > 0; i++) {
            String name = functions.get((int) ((long) i * (n - 1) / (SAMPLED_FUNCTIONS - 1)));
            if (!out.contains(name)) {
                out.add(name);
            }
        }
        return out;
    }

    private static boolean usable(String name) {
        return !name.isEmpty() && name.charAt(0) != '$' && name.charAt(0) != '.' && name.length() <= 200;
    }

    /**
     * Every symbol name of {@code img} with its address, or with null where several symbols have
     * the name (gdb's answer may be any of them).
     */
    static Map<String, Long> addresses(ElfImage img) {
        Map<String, Long> out = new HashMap<>();
        for (ElfImage.Symbol sym : img.symbols()) {
            out.put(sym.name(), out.containsKey(sym.name()) ? null : sym.address());
        }
        return out;
    }

    /** The first name whose address differs between gdb's file and {@code img}, or null if none. */
    private String firstDifference(ElfImage img) {
        Map<String, Long> mine = addresses(img);
        for (Map.Entry<String, Long> a : answers.entrySet()) {
            if (mine.containsKey(a.getKey()) && mine.get(a.getKey()) == null) {
                continue; // several in this image: no difference to tell
            }
            if (!java.util.Objects.equals(mine.get(a.getKey()), a.getValue())) {
                return a.getKey();
            }
        }
        return null;
    }

    private void evaluate() {
        if (candidates.isEmpty() || answers.isEmpty()) {
            return;
        }
        List<String> matching = new ArrayList<>();
        for (Map.Entry<String, ElfImage> c : candidates.entrySet()) {
            if (firstDifference(c.getValue()) == null) {
                matching.add(c.getKey());
            }
        }
        if (!s.multiprocess) {
            // one program for every task: its breakpoints and watchpoints are for the tasks
            // running it (none matching: not known, every task)
            try {
                s.target.setProgramScope(matching);
            } catch (RuntimeException e) {
                GdbSession.log.debug("no program scope: {}", e.toString());
            }
        }
        if (!matching.isEmpty()) {
            pending.remove(process); // (gdb loaded the right file since an earlier warning)
            return;
        }
        String warning = warning();
        GdbSession.log.warn("gdb: {}", warning);
        pending.put(process, "rewind: warning: " + warning + "\n");
    }

    private String warning() {
        ElfImage ref = candidates.get(reference);
        String name = firstDifference(ref);
        Long theirs = answers.get(name);
        Long mine = addresses(ref).get(name);
        String detail = "gdb's "
                + (theirs == null ? "file has no symbol " + name : name + " is at 0x" + Long.toHexString(theirs))
                + ", " + (mine == null ? reference + " has none" : reference + "'s at 0x" + Long.toHexString(mine));
        String what;
        if (s.multiprocess) {
            what = "the program gdb loaded for process " + Integer.toHexString(process)
                    + " is not the one its task runs (" + reference + ")";
        } else if (candidates.size() == 1) {
            what = "the program gdb loaded is not the one the system runs (" + reference + ")";
        } else {
            what = "the program gdb loaded is none of the " + candidates.size() + " the system runs ("
                    + String.join(", ", candidates.keySet()) + ")";
        }
        return what + ": " + detail + "; its symbols, source lines and breakpoints do not fit."
                + " Load the right ELF (file PATH), or start gdb without one: it then loads "
                + (s.multiprocess
                        ? "each task's"
                        : candidates.size() == 1 ? "the booted one" : "that of the thread it stops in")
                + " itself";
    }
}
