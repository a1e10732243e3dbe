package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.kernel.probe.RequestStrike;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A skip sweep, for developers hardening a server (not part of the suite: it runs only when the
 * property {@code sweep} is set). For each chosen request of a server, every instruction the
 * request runs is skipped in turn, the first time it runs, in a fresh boot of the image; a run
 * whose oracle fails is reported, "SILENT" if the server had no fault (a wrong answer nothing
 * caught: the classes of faults worth a check), "FAILED" if it had one and still went wrong.
 * Where random campaigns ({@code rewind inject}) sample, a sweep covers one request completely;
 * session 56's sweeps of kv, fs and bank found the classes DispatchReturnCheckTest,
 * ServingBoundCheckTest, KvPutCheckTest and FsCreateCheckTest cover. About 30 ms a run.
 *
 * <pre>
 * mvn -o -B test -pl kernel -Dtest=SkipSweepTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     '-Dsweep=t_kv_oracle.toml,kv,kv_oracle: ok,130,400' [-Dsweep.out=FILE]
 * </pre>
 *
 * {@code sweep} is a built-in image, the server, the line its oracle prints when all went well,
 * and the requests (1-based deliveries to the server). The report goes to {@code sweep.out}
 * (appended) or to the test's standard output.
 */
@EnabledIfSystemProperty(named = "sweep", matches = ".+")
class SkipSweepTest {
    /** Records, for one request, the index (1-based) of the first run of each instruction. */
    static final class Trace implements KernelProbe {
        final String server;
        final int request;
        int delivered;
        boolean on;
        long index;
        final Map<Long, Long> first = new LinkedHashMap<>();
        CpuHook hook;

        Trace(String server, int request) {
            this.server = server;
            this.request = request;
        }

        @Override
        public void requestDelivered(Task t) {
            if (!t.name().equals(server) || ++delivered != request) {
                return;
            }
            on = true;
            Cpu cpu = t.cpu();
            hook = cpu.hookInstructions(0, -1L, (addr, size) -> {
                if (on) {
                    first.putIfAbsent(addr, ++index);
                }
            });
            cpu.dropCodeTranslations();
        }

        @Override
        public void replied(Task t) {
            if (t.name().equals(server) && on) {
                on = false;
                hook.close();
                t.cpu().dropCodeTranslations();
            }
        }
    }

    /** Skips the instruction-th instruction of the request-th request, as rewind inject's skip does. */
    static final class Skip extends RequestStrike {
        final int request;
        long at = -1;
        String where = "";

        Skip(String server, int request, long instruction) {
            super(server, instruction);
            this.request = request;
        }

        @Override
        protected boolean strikes(int r) {
            return r == request && at < 0;
        }

        @Override
        protected Fault strike(Task t, int r) {
            at = t.pc();
            where = t.image().describe(at);
            t.resumeAt(at + dev.rewind.kernel.probe.FaultInjector.instructionLength(t.cpu(), at));
            return null;
        }
    }

    @Test
    void sweep() throws Exception {
        String[] a = System.getProperty("sweep").split(",");
        assertTrue(a.length >= 4, "sweep = IMAGE,SERVER,OK-LINE,REQUEST[,REQUEST...]");
        SystemImage system = SystemImage.builtin(a[0]);
        String server = a[1];
        String ok = a[2];
        for (int i = 3; i < a.length; i++) {
            int request = Integer.parseInt(a[i].trim());
            Trace trace = new Trace(server, request);
            GuestRun clean = GuestRun.runWithProbe(system, trace);
            assertTrue(clean.console.contains(ok) && !trace.first.isEmpty(), clean::toString);
            List<String> bad = new ArrayList<>();
            int faulted = 0;
            for (Map.Entry<Long, Long> e : trace.first.entrySet()) {
                Skip s = new Skip(server, request, e.getValue());
                GuestRun run = GuestRun.runWithProbe(system, s);
                boolean fault = run.faults.stream().anyMatch(f -> f.task().equals(server));
                faulted += fault ? 1 : 0;
                if (!run.console.contains(ok) || run.console.contains("FAIL")) {
                    String line = run.console
                            .lines()
                            .filter(l -> l.contains("FAIL"))
                            .findFirst()
                            .orElse("");
                    bad.add(String.format(
                            "%s skip 0x%x (%s) [%s]: %s",
                            fault ? "FAILED" : "SILENT", e.getKey(), s.where, run.result.outcome(), line));
                }
            }
            StringBuilder out = new StringBuilder(String.format(
                    "SWEEP %s request %d: %d instructions (%d run), %d skips faulted, %d went wrong%n",
                    a[0], request, trace.first.size(), trace.index, faulted, bad.size()));
            bad.forEach(b -> out.append("SWEEP   ").append(b).append('\n'));
            String file = System.getProperty("sweep.out");
            if (file == null) {
                System.out.print(out);
            } else {
                Files.writeString(Path.of(file), out, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }
    }
}
