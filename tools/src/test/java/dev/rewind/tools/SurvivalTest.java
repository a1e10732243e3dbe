package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The application-survival table: every application runs normally under shadow while its
 * driver is killed three times. Under none no application does; under restart, none of those
 * that talk to the driver directly does (the file-system and network apps may, because the
 * file system server and the network stack between them and the driver re-open their sessions
 * when the driver restarts, and TCP retransmits what was lost). The network servers
 * (http_server, net_echo) are driven by a client on the host through a forwarded port.
 * Read from {@code rewind survival --tsv}, one row per application and policy.
 */
class SurvivalTest {
    record Row(String application, String driver, String policy, int failures, String verdict, String why) {}

    @Test
    void everyApplicationSurvivesItsDriverFailuresOnlyUnderShadow() {
        CliRun.Result r = Fixtures.rewind("survival", "--tsv");
        assertEquals(0, r.status(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals("application\tdriver\tpolicy\tfailures\tverdict\twhy", lines.get(0), r::toString);
        List<Row> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t", -1);
            assertEquals(6, f.length, () -> "six fields: " + line);
            rows.add(new Row(f[0], f[1], f[2], Integer.parseInt(f[3]), f[4], f[5]));
        }
        assertEquals(27, rows.size(), "nine applications under three policies\n" + r);

        Map<String, Map<String, Row>> byApp = new TreeMap<>();
        for (Row row : rows) {
            byApp.computeIfAbsent(row.application(), a -> new TreeMap<>()).put(row.policy(), row);
            // Each run counts the failures it injected; under none the driver stays dead after its first.
            assertTrue(row.failures() >= 1 && row.failures() <= 3, () -> "driver failures were injected: " + row);
            assertEquals(
                    row.verdict().equals("runs normally"), row.why().isEmpty(), () -> "a failure says how: " + row);
        }
        assertEquals(9, byApp.size(), r::toString);
        for (String net : List.of("net_oracle", "http_server", "net_echo")) {
            assertTrue(byApp.containsKey(net), r::toString);
        }
        assertEquals(
                List.of("blk", "nic", "tty"),
                rows.stream().map(Row::driver).distinct().sorted().toList());
        for (Map<String, Row> app : byApp.values()) {
            assertEquals(List.of("none", "restart", "shadow"), List.copyOf(app.keySet()), app::toString);
            assertEquals(3, app.get("shadow").failures(), () -> "three driver failures were injected: " + app);
            assertEquals("runs normally", app.get("shadow").verdict(), app::toString);
            assertNotEquals(
                    "runs normally",
                    app.get("none").verdict(),
                    () -> "the failures are visible without recovery: " + app);
            String name = app.get("restart").application();
            if (!name.startsWith("fs_") && !app.get("restart").driver().equals("nic")) {
                assertNotEquals(
                        "runs normally",
                        app.get("restart").verdict(),
                        () -> "a restart is visible to direct clients: " + app);
            }
        }
    }

    @Test
    void oneApplicationCanBeChosen() {
        CliRun.Result r = Fixtures.rewind("survival", "--tsv", "--app", "net_oracle");
        assertEquals(0, r.status(), r::toString);
        List<String> rows = r.out().lines().skip(1).toList();
        assertEquals(3, rows.size(), r::toString);
        for (String row : rows) {
            assertTrue(row.startsWith("net_oracle\tnic\t"), row);
        }
        assertTrue(rows.get(2).contains("\tshadow\t3\truns normally\t"), rows.get(2));
        assertTrue(rows.get(0).contains("\tnone\t1\t"), "under none the driver stays dead: " + rows.get(0));
        assertTrue(!rows.get(0).contains("runs normally"), rows.get(0));
    }

    @Test
    void anUnknownApplicationIsAClearError() {
        CliRun.Result r = Fixtures.rewind("survival", "--app", "nope");
        assertNotEquals(0, r.status(), r::toString);
        assertTrue(r.err().contains("--app: no application 'nope'"), r::toString);
    }

    /** Strikes beyond every request inject nothing: "not struck" and a failing status, never "runs normally". */
    @Test
    void aRunWithNothingInjectedIsNotCalledNormal() {
        CliRun.Result r = Fixtures.rewind("survival", "--tsv", "--app", "tty_writer", "--instruction", "1000000");
        assertEquals(1, r.status(), r::toString);
        String[] rows = r.out().strip().split("\n");
        assertEquals(4, rows.length, r::toString);
        for (int i = 1; i < rows.length; i++) {
            String[] f = rows[i].split("\t", -1);
            assertEquals("0", f[3], rows[i]);
            assertEquals("not struck", f[4], rows[i]);
            assertTrue(f[5].contains("no failure was injected"), rows[i]);
        }
    }

    @Test
    void tsvAndMarkdownTogetherAreRefused() {
        Fixtures.assertUsageError(Fixtures.rewind("survival", "--tsv", "--markdown"), "--tsv", "--markdown");
    }

    @Test
    void aJobCountOutOfRangeIsRefused() {
        Fixtures.assertUsageError(Fixtures.rewind("survival", "--jobs", "0"), "--jobs");
        Fixtures.assertUsageError(Fixtures.rewind("survival", "--jobs", "257"), "--jobs");
    }
}
