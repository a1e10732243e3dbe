package dev.rewind.tools.trace;

import static dev.rewind.tools.Fixtures.assertUsageError;
import static dev.rewind.tools.Fixtures.rewind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.KernelProbe;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.Task;
import dev.rewind.tools.CliRun;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rewind boot --trace-out FILE}: the run as a Chrome trace (docs/TRACING.md). */
class TraceOutTest {
    @TempDir
    Path dir;

    /** t_kv_faults: kv (txipc) is sent six faulting requests between model-checked ones; each is rolled back. */
    private static final String IMAGE = "t_kv_faults.toml";

    /** Times are whole nanoseconds written as µs; sums of two of them as doubles are off by far less than this. */
    private static final double HALF_NS = 0.0005;

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> events(Path file) throws Exception {
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(Files.readString(file, StandardCharsets.UTF_8));
        assertEquals("ns", root.get("displayTimeUnit"));
        return (List<Map<String, Object>>) root.get("traceEvents");
    }

    private static double num(Map<String, Object> e, String key) {
        return (Double) e.get(key);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> args(Map<String, Object> e) {
        return (Map<String, Object>) e.get("args");
    }

    /** The number of requests kv is handed, and of replies it sends, in a run of the image without a trace. */
    private static int[] requestsAndReplies() throws Exception {
        SystemImage img = SystemImage.builtin(IMAGE);
        int[] n = new int[2];
        try (Kernel k = new Kernel(
                KernelConfig.defaults().withBudgetNanos(60_000_000_000L),
                img.manifest(),
                img.source(),
                new Uart(new ByteArrayOutputStream()),
                null)) {
            k.setProbe(new KernelProbe() {
                @Override
                public void requestDelivered(Task server) {
                    n[0]++;
                }

                @Override
                public void replied(Task server) {
                    n[1]++;
                }
            });
            k.run();
        }
        return n;
    }

    @Test
    void aRunWithRolledBackFaultsBecomesAValidTrace() throws Exception {
        Path file = dir.resolve("trace.json");
        CliRun.Result r = rewind("boot", "--trace-out", file, "builtin:" + IMAGE);
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("kv_faults: ok ") && r.out().contains("recovered=6"), r::toString);
        assertFalse(r.out().contains("traceEvents") || r.out().contains("trace written"), "stdout is the console");
        assertTrue(r.err().contains("trace written to " + file), r::toString);
        Matcher took =
                Pattern.compile("all tasks finished \\((\\d+\\.\\d+) s\\)").matcher(r.err());
        assertTrue(took.find(), r::toString);
        double runEndMicros = Double.parseDouble(took.group(1)) * 1e6 + 1000; // (printed to the ms)

        List<Map<String, Object>> events = events(file);
        Map<Integer, String> threads = new TreeMap<>();
        String process = null;
        Map<Integer, List<double[]>> cpu = new HashMap<>();
        Map<Integer, List<double[]>> slices = new HashMap<>();
        Map<Double, List<Map<String, Object>>> flows = new HashMap<>();
        int delivered = 0;
        int replied = 0;
        int rolledBack = 0;
        List<String> faults = new ArrayList<>();
        int rollbacks = 0;
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (Map<String, Object> e : events) {
            String ph = (String) e.get("ph");
            assertEquals(1.0, num(e, "pid"), e::toString);
            int tid = (int) num(e, "tid");
            if (ph.equals("M")) {
                if (e.get("name").equals("thread_name")) {
                    threads.put(tid, (String) args(e).get("name"));
                } else if (e.get("name").equals("process_name")) {
                    process = (String) args(e).get("name");
                }
                continue;
            }
            double ts = num(e, "ts");
            assertTrue(ts >= 0 && ts <= runEndMicros, () -> "within the run: " + e);
            switch (ph) {
                case "X" -> {
                    double end = ts + num(e, "dur");
                    assertTrue(end <= runEndMicros, () -> "within the run: " + e);
                    slices.computeIfAbsent(tid, t -> new ArrayList<>()).add(new double[] {ts, end});
                    if (e.get("cat").equals("cpu")) {
                        cpu.computeIfAbsent(tid, t -> new ArrayList<>()).add(new double[] {ts, end});
                    } else {
                        assertEquals("ipc", e.get("cat"), e::toString);
                        assertEquals(1, tid, () -> "only kv serves: " + e);
                        Map<String, Object> a = args(e);
                        assertEquals("kv_faults", a.get("client"), e::toString);
                        assertEquals(2.0, a.get("badge"), e::toString);
                        String op = (String) a.get("op");
                        assertEquals("kv " + (op != null ? op : a.get("label")), e.get("name"), e::toString);
                        names.add(op != null ? op : "");
                        if (a.get("again").equals(Boolean.FALSE)) {
                            delivered++;
                        }
                        if (a.get("end").equals("replied")) {
                            replied++;
                        } else {
                            rolledBack++;
                        }
                    }
                }
                case "s", "f" ->
                    flows.computeIfAbsent(num(e, "id"), id -> new ArrayList<>()).add(e);
                case "i" -> {
                    assertEquals("t", e.get("s"), e::toString);
                    if (e.get("cat").equals("fault")) {
                        assertEquals(1, tid, e::toString);
                        Map<String, Object> a = args(e);
                        assertTrue(((String) a.get("pc")).matches("0x[0-9a-f]+"), e::toString);
                        assertTrue(((String) a.get("address")).matches("0x[0-9a-f]+"), e::toString);
                        faults.add((String) a.get("kind"));
                    } else if (e.get("name").equals("rollback")) {
                        assertEquals(1, tid, e::toString);
                        assertTrue(num(args(e), "pages") > 0, e::toString);
                        rollbacks++;
                    }
                }
                default -> throw new AssertionError("unexpected event " + e);
            }
        }
        assertEquals("t_kv_faults", process);
        assertEquals(Map.of(1, "kv", 2, "kv_faults"), threads, "a thread per task, tid = slot + 1");

        // CPU slices: one task runs at a time, so they overlap neither on a thread nor across threads.
        List<double[]> all = new ArrayList<>();
        cpu.values().forEach(all::addAll);
        all.sort(Comparator.comparingDouble(s -> s[0]));
        assertTrue(all.size() > 100, () -> "cpu slices: " + all.size());
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i - 1)[1] <= all.get(i)[0] + HALF_NS, "cpu slices overlap at " + all.get(i)[0]);
        }
        // All slices of a thread nest (a CPU slice lies wholly inside or outside a request).
        for (Map.Entry<Integer, List<double[]>> t : slices.entrySet()) {
            List<double[]> l = t.getValue();
            l.sort(Comparator.<double[]>comparingDouble(s -> s[0]).thenComparingDouble(s -> -s[1]));
            ArrayList<double[]> stack = new ArrayList<>();
            for (double[] s : l) {
                while (!stack.isEmpty() && stack.get(stack.size() - 1)[1] <= s[0] + HALF_NS) {
                    stack.remove(stack.size() - 1);
                }
                assertTrue(
                        stack.isEmpty() || s[1] <= stack.get(stack.size() - 1)[1] + HALF_NS,
                        "slices of thread " + t.getKey() + " do not nest at " + s[0]);
                stack.add(s);
            }
        }

        // The same image without a trace: as many requests delivered and replies sent.
        int[] known = requestsAndReplies();
        assertEquals(known[0], delivered, "a request slice per request kv was handed");
        assertEquals(known[1], replied, "a request slice ended by each reply");
        assertEquals(6, rolledBack, "the six faulting requests end at their fault");
        assertEquals(6, rollbacks, "a rollback instant per rolled-back request");
        assertEquals(6, faults.size(), faults::toString);
        assertTrue(names.containsAll(List.of("PUT", "GET", "DEL", "")), names::toString); // "": the debug fault's label

        // Arrows: a call's and a reply's, one start and one finish each; a call per request, a reply per reply.
        int calls = 0;
        int replies = 0;
        for (List<Map<String, Object>> f : flows.values()) {
            assertEquals(2, f.size(), f::toString);
            Map<String, Object> s = f.get(0).get("ph").equals("s") ? f.get(0) : f.get(1);
            Map<String, Object> fin = s == f.get(0) ? f.get(1) : f.get(0);
            assertEquals("s", s.get("ph"), f::toString);
            assertEquals("f", fin.get("ph"), f::toString);
            assertEquals("e", fin.get("bp"), f::toString);
            assertTrue(num(s, "ts") <= num(fin, "ts"), f::toString);
            if (s.get("name").equals("call")) {
                calls++;
                assertEquals(2.0, num(s, "tid"), f::toString);
                assertEquals(1.0, num(fin, "tid"), f::toString);
            } else {
                replies++;
                assertEquals(1.0, num(s, "tid"), f::toString);
                assertEquals(2.0, num(fin, "tid"), f::toString);
            }
        }
        assertEquals(known[0], calls);
        assertEquals(known[1], replies);
    }

    @Test
    void aTraceThatCannotBeWrittenIsRefusedBeforeBooting() throws Exception {
        Path missing = dir.resolve("no-such-folder").resolve("trace.json");
        CliRun.Result r = rewind("boot", "--trace-out", missing, "builtin:" + IMAGE);
        assertUsageError(r, "--trace-out", "does not exist");
        assertEquals("", r.out(), "nothing booted");

        CliRun.Result d = rewind("boot", "--trace-out", dir, "builtin:" + IMAGE);
        assertUsageError(d, "--trace-out", "is a directory");
        assertEquals("", d.out(), "nothing booted");
        assertFalse(Files.exists(missing));
    }

    @Test
    void theTimesAreExactMicroseconds() {
        assertEquals("0.000", ChromeTrace.micros(0));
        assertEquals("0.007", ChromeTrace.micros(7));
        assertEquals("1.050", ChromeTrace.micros(1050));
        assertEquals("1234.567", ChromeTrace.micros(1_234_567));
        StringBuilder b = new StringBuilder();
        ChromeTrace.string(b, "a\"b\\c\n\u0001\ud800");
        assertEquals("\"a\\\"b\\\\c\\n\\u0001\\ud800\"", b.toString());
        assertEquals("a\"b\\c\n\u0001", ((String) MiniJson.parse("\"a\\\"b\\\\c\\n\\u0001\"")));
    }
}
