package dev.rewind.tools.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.image.RecoveryPolicy;
import dev.rewind.kernel.probe.FaultInjector;
import dev.rewind.kernel.probe.FaultInjector.Type;
import dev.rewind.tools.inject.Campaign.Verdict;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The campaign report: its content and escaping, and what a real browser makes of it. */
class HtmlReportTest {
    private static final String NASTY = "kv_oracle: FAIL <script>alert('x')</script> & \"quoted\" \u0001";

    private static Campaign.Run run(long seed, Type type, Verdict v, long recoveryNanos, int replayed, String detail) {
        boolean manifested = v == Verdict.RECOVERED || v == Verdict.WRONG_REPLY || v == Verdict.FAILED;
        return new Campaign.Run(
                seed,
                type,
                (int) (seed % 97) + 1,
                seed * 7,
                v != Verdict.FALSE_DETECTION,
                manifested,
                manifested ? "kv: unmapped_read -> rolled back" : "",
                v,
                detail,
                "flip bit 3 of x" + seed,
                v == Verdict.FALSE_DETECTION ? 1 : 0,
                v == Verdict.WRONG_REPLY ? 1 : 0,
                0,
                recoveryNanos,
                replayed);
    }

    /** Two synthetic campaigns over several types and every verdict. */
    private static List<HtmlReport.Section> synthetic() {
        List<Campaign.Run> a = new ArrayList<>();
        long seed = 100;
        for (int i = 0; i < 7; i++) {
            a.add(run(seed++, Type.NULL_POINTER, Verdict.RECOVERED, 40_000L * (i + 1), i, ""));
        }
        a.add(run(seed++, Type.NULL_POINTER, Verdict.FAILED, -1, 0, "task(s) failed: kv | " + NASTY));
        for (int i = 0; i < 3; i++) {
            a.add(run(seed++, Type.INSTRUCTION_SKIP, Verdict.BENIGN, -1, 0, ""));
        }
        a.add(run(seed++, Type.INSTRUCTION_SKIP, Verdict.SILENT, -1, 0, "kv_oracle: FAIL key k3 missing & more"));
        a.add(run(seed++, Type.WILD_POINTER, Verdict.WRONG_REPLY, 2_500_000, 300, ""));
        a.add(run(seed++, Type.WILD_POINTER, Verdict.RECOVERED, 900, 0, ""));
        a.add(run(seed++, Type.MEMORY_BIT_FLIP, Verdict.FALSE_DETECTION, -1, 0, ""));
        List<Campaign.Run> b = new ArrayList<>();
        seed = 100;
        for (int i = 0; i < 7; i++) {
            b.add(run(seed++, Type.NULL_POINTER, Verdict.FAILED, -1, 0, "server dead"));
        }
        b.add(run(seed++, Type.NULL_POINTER, Verdict.BENIGN, -1, 0, ""));
        for (int i = 0; i < 4; i++) {
            b.add(run(seed++, Type.INSTRUCTION_SKIP, Verdict.SILENT, -1, 0, "wrong"));
        }
        return List.of(
                new HtmlReport.Section(
                        "builtin:t_kv_oracle.toml",
                        "kv",
                        "txipc",
                        "",
                        100,
                        a.size(),
                        HtmlReport.replayCommand("builtin:t_kv_oracle.toml", "kv", "txipc", ""),
                        a),
                new HtmlReport.Section(
                        "images/my kv.toml",
                        "kv",
                        "none",
                        "--hang-ms 500",
                        100,
                        b.size(),
                        HtmlReport.replayCommand("images/my kv.toml", "kv", "none", "--hang-ms 500"),
                        b));
    }

    @Test
    void escapesGuestTextAndLoadsNothing() {
        String html = HtmlReport.render("kv <campaigns> & more", synthetic(), Instant.parse("2026-12-05T10:00:00Z"));
        assertTrue(html.startsWith("<!DOCTYPE html>\n<html lang=\"en\">"), html.substring(0, 60));
        assertTrue(html.contains("<meta charset=\"utf-8\">"));
        assertTrue(html.contains("<meta name=\"viewport\""));
        assertTrue(html.contains("<title>kv &lt;campaigns&gt; &amp; more</title>"));
        assertTrue(html.contains("Generated 2026-12-05 10:00:00 UTC"));
        // Guest text never becomes markup.
        assertFalse(html.contains("<script"), "a script element");
        assertTrue(
                html.contains("FAIL &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot; \\x01"));
        assertTrue(html.contains("key k3 missing &amp; more"));
        // Every '&' starts an entity; no raw control character.
        Matcher amp = Pattern.compile("&(?!amp;|lt;|gt;|quot;|#39;)").matcher(html);
        assertFalse(amp.find(), () -> "a bare & at " + html.substring(amp.start(), amp.start() + 20));
        assertFalse(html.chars().anyMatch(c -> c < 0x20 && c != '\n' && c != '\t'), "a control character");
        // Self-contained: no URL at all, no external reference.
        assertFalse(html.contains("http://"));
        assertFalse(html.contains("https://"));
        assertFalse(Pattern.compile("\\s(src|href)\\s*=").matcher(html).find(), "a src or href attribute");
        assertFalse(html.contains("url("), "a CSS url()");
        assertFalse(html.contains("@import"));
    }

    @Test
    void everyFailureHasARowWithItsReplayCommand() {
        List<HtmlReport.Section> sections = synthetic();
        String html = HtmlReport.render("t", sections);
        int expected = 0;
        for (int i = 0; i < sections.size(); i++) {
            HtmlReport.Section s = sections.get(i);
            for (Campaign.Run r : s.runs()) {
                String row = "<tr class=\"failure\" data-campaign=\"" + (i + 1) + "\" data-seed=\"" + r.seed() + "\">";
                boolean bad = r.verdict() != Verdict.RECOVERED && r.verdict() != Verdict.BENIGN;
                assertEquals(bad, html.contains(row), () -> r.toString());
                if (bad) {
                    expected++;
                    String tr = html.substring(html.indexOf(row), html.indexOf("</tr>", html.indexOf(row)));
                    assertTrue(
                            codeText(tr)
                                    .contains("<code>"
                                            + HtmlReport.esc(s.replayCommand().apply(r.seed())) + "</code>"),
                            tr);
                    assertTrue(tr.contains(HtmlReport.verdictClass(r.verdict())), tr);
                }
            }
        }
        assertEquals(expected, count(html, "<tr class=\"failure\""));
        assertEquals(1 + 1 + 1 + 1 + 7 + 4, expected);
        // The replay command quotes a path with a space for the shell.
        assertTrue(
                codeText(html)
                        .contains(
                                "<code>rewind inject &#39;images/my kv.toml&#39; --server kv --policy none --hang-ms 500 --seed 100 -n 1 -v</code>"));
        assertTrue(
                codeText(html)
                        .contains(
                                "<code>rewind inject builtin:t_kv_oracle.toml --server kv --policy txipc --seed 107 -n 1 -v</code>"));
    }

    @Test
    void summaryCountsAndRatesAreRight() {
        List<HtmlReport.Section> sections = synthetic();
        String html = HtmlReport.render("t", sections);
        List<String> cards = between(html, "<div class=\"card campaign\"", "</div>\n");
        assertEquals(2, cards.size());
        for (int i = 0; i < 2; i++) {
            List<Campaign.Run> runs = sections.get(i).runs();
            int[] want = new int[9];
            want[0] = runs.size();
            for (Campaign.Run r : runs) {
                want[1] += r.activated() ? 1 : 0;
                want[2] += r.manifested() ? 1 : 0;
                want[3 + r.verdict().ordinal()]++;
            }
            String total = cards.get(i).substring(cards.get(i).indexOf("<tr class=\"total\">"));
            total = total.substring(0, total.indexOf("</tr>"));
            List<Integer> got = new ArrayList<>();
            Matcher m = Pattern.compile("<td>(\\d+)</td>").matcher(total);
            while (m.find()) {
                got.add(Integer.parseInt(m.group(1)));
            }
            assertEquals(List.of(want[0], want[1], want[2], want[3], want[4], want[5], want[6], want[7], want[8]), got);
            // The overview row: the same counts, then the rates.
            String row = html.substring(html.indexOf("<tr data-campaign=\"" + (i + 1) + "\">"));
            row = row.substring(0, row.indexOf("</tr>"));
            List<Integer> overview = new ArrayList<>();
            Matcher o = Pattern.compile("<td>(\\d+)</td>").matcher(row);
            while (o.find()) {
                overview.add(Integer.parseInt(o.group(1)));
            }
            assertEquals(got, overview);
            // The report's rates are the ones 'rewind inject' prints.
            String[] rates = HtmlReport.rates(want);
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            InjectCommand.printRates(
                    new java.io.PrintStream(b, true, StandardCharsets.UTF_8), InjectCommand.summarize(runs));
            String printed = b.toString(StandardCharsets.UTF_8);
            assertTrue(printed.contains("manifested faults (" + rates[0] + ")"), printed + rates[0]);
            assertTrue(printed.contains("manifested + silent (" + rates[1] + ")"), printed + rates[1]);
            assertTrue(printed.contains("injections (" + rates[2] + ":"), printed + rates[2]);
            assertTrue(
                    row.endsWith("<td class=\"rate\">" + rates[0] + "</td><td class=\"rate\">" + rates[1]
                            + "</td><td class=\"rate\">" + rates[2] + "</td>"),
                    row);
        }
        assertTrue(html.contains(
                "<td class=\"rate\">80.0%</td><td class=\"rate\">72.7%</td><td class=\"rate\">13.3%</td>"));
        // Campaign 1: 8 recovered (7 + 1) of 10 manifested (8 + 1 wrong reply + 1 failed); strict 8 of 11.
        assertTrue(
                cards.get(0)
                        .contains(
                                "<li>recovered 8 of 10 manifested faults (80.0%); strict: 8 of 11 manifested + silent (72.7%)</li>"),
                cards.get(0));
        assertTrue(cards.get(0).contains("after 2 of 15 injections (13.3%: 1 silent, 1 wrong replies)"));
        // Campaign 2: nothing recovered.
        assertTrue(cards.get(1).contains("recovered 0 of 7 manifested faults (0.0%); strict: 0 of 11"));
        assertTrue(cards.get(1).contains("<dt>options</dt><dd>--hang-ms 500</dd>"));
    }

    @Test
    void barWidthsAreProportionalToCounts() {
        List<HtmlReport.Section> sections = synthetic();
        String html = HtmlReport.render("t", sections);
        Pattern seg =
                Pattern.compile("<rect class=\"seg v-[a-z-]+\" data-campaign=\"(\\d+)\" data-verdict=\"([a-z_]+)\""
                        + " data-count=\"(\\d+)\" x=\"([0-9.]+)\" y=\"[0-9.]+\" width=\"([0-9.]+)\"");
        Pattern group = Pattern.compile("<g class=\"type\" data-type=\"([a-z_]+)\">(.*?)</g>", Pattern.DOTALL);
        Matcher g = group.matcher(html);
        Set<String> seen = new HashSet<>();
        while (g.find()) {
            String type = g.group(1);
            seen.add(type);
            for (int c = 1; c <= 2; c++) {
                // Expected counts per verdict from the runs themselves.
                Map<String, Integer> want = new HashMap<>();
                int total = 0;
                for (Campaign.Run r : sections.get(c - 1).runs()) {
                    if (type.equals("all")
                            || r.type().name().toLowerCase(Locale.ROOT).equals(type)) {
                        want.merge(r.verdict().name().toLowerCase(Locale.ROOT), 1, Integer::sum);
                        total++;
                    }
                }
                Matcher m = seg.matcher(g.group(2));
                Map<String, Integer> got = new HashMap<>();
                double sum = 0;
                double expectX = -1;
                while (m.find()) {
                    if (Integer.parseInt(m.group(1)) != c) {
                        continue;
                    }
                    int count = Integer.parseInt(m.group(3));
                    double x = Double.parseDouble(m.group(4));
                    double w = Double.parseDouble(m.group(5));
                    got.put(m.group(2), count);
                    assertEquals((double) HtmlReport.BAR_WIDTH * count / total, w, 0.02, type + " " + m.group(2));
                    if (expectX >= 0) {
                        assertEquals(expectX, x, 0.02, "segments adjoin");
                    }
                    expectX = x + w;
                    sum += w;
                }
                assertEquals(want, got, type + " campaign " + c);
                if (total > 0) {
                    assertEquals(HtmlReport.BAR_WIDTH, sum, 0.05, type + " campaign " + c);
                }
            }
        }
        assertEquals(Set.of("all", "memory_bit_flip", "instruction_skip", "null_pointer", "wild_pointer"), seen);
        // Counts on hover.
        assertTrue(html.contains("<title>kv / txipc, null pointer: recovered 7 of 8 (87.5%)</title>"), html);
    }

    @Test
    void histogramsAndEmptyCases() {
        String html = HtmlReport.render("t", synthetic());
        // Campaign 1: recovery times 900 ns, 40..280 µs and 2.5 ms: 9 runs in bins from <1 µs.
        String rec =
                html.substring(html.indexOf("<section id=\"recovery-times\">"), html.indexOf("<section id=\"replay"));
        assertTrue(rec.contains("9 runs: median 160 µs"), rec);
        assertEquals(9, sumCounts(rec, "<rect class=\"bin\" data-count=\"(\\d+)\""));
        assertTrue(rec.contains(">&lt;1</text>"), rec);
        assertTrue(rec.contains("No run of this campaign reported a recovery time."));
        String rep =
                html.substring(html.indexOf("<section id=\"replay-depths\">"), html.indexOf("<section id=\"failures"));
        assertEquals(7, sumCounts(rep, "<rect class=\"bin\" data-count=\"(\\d+)\"")); // replayed 1..6 and 300
        assertTrue(rep.contains(">256-511</text>"), rep);
        assertTrue(rep.contains("No history replay happened in this campaign."));
        // No failures, no replay, no recovery time at all.
        List<Campaign.Run> fine = List.of(run(1, Type.NULL_POINTER, Verdict.BENIGN, -1, 0, ""));
        String quiet = HtmlReport.render(
                "q", List.of(new HtmlReport.Section("i", "kv", "txipc", null, 1, 1, s -> "r " + s, fine)));
        assertTrue(quiet.contains("None: every run recovered or was benign."));
        assertTrue(quiet.contains("No history replay happened in any campaign."));
        assertTrue(quiet.contains("No run of any campaign reported a recovery time."));
    }

    @Test
    void longFailureListsAreCapped() {
        List<Campaign.Run> many = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            many.add(run(
                    i,
                    Type.values()[i % 8],
                    i % 3 == 0 ? Verdict.RECOVERED : Verdict.SILENT,
                    50_000 + i,
                    0,
                    "kv_oracle: FAIL op " + i + " " + "x".repeat(1000)));
        }
        String html = HtmlReport.render(
                "big", List.of(new HtmlReport.Section("i", "kv", "txipc", "", 0, 10_000, s -> "r " + s, many)));
        assertEquals(HtmlReport.MAX_FAILURE_ROWS, count(html, "<tr class=\"failure\""));
        assertTrue(html.contains("<p class=\"more\">" + (6666 - HtmlReport.MAX_FAILURE_ROWS) + " more runs not shown"));
        assertTrue(html.length() < 1_500_000, "report of 10,000 runs: " + html.length() + " chars");
    }

    @Test
    void binEdgesFollowOneTwoFive() {
        assertEquals(2000, HtmlReport.nextEdge(1000));
        assertEquals(5000, HtmlReport.nextEdge(2000));
        assertEquals(10_000, HtmlReport.nextEdge(5000));
        assertEquals(20_000_000, HtmlReport.nextEdge(10_000_000));
        assertEquals("20", HtmlReport.compactMicros(20_000));
        assertEquals("5k", HtmlReport.compactMicros(5_000_000));
        assertEquals("1M", HtmlReport.compactMicros(1_000_000_000));
    }

    // ------------------------------------------------------------------ a real browser

    private static Path chromium() {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
            if (Files.isExecutable(Path.of(c))) {
                return Path.of(c);
            }
        }
        return null;
    }

    /** Runs chromium headless with {@code args}, bounded in time; its stdout. */
    private static String chromium(Path exe, Path profile, Path log, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                exe.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(profile.getParent(), "chromium", ".out");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(log.toFile())
                .start();
        try {
            boolean done = p.waitFor(90, TimeUnit.SECONDS);
            assertTrue(done, () -> "chromium did not finish within 90 s: " + tail(log));
            assertEquals(0, p.exitValue(), () -> "chromium failed: " + tail(log));
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            // The browser and every process it started (zygote, renderer, GPU process).
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String tail(Path log) {
        try {
            String s = Files.readString(log, StandardCharsets.UTF_8);
            return s.substring(Math.max(0, s.length() - 2000));
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }

    @Test
    void aRealCampaignRendersInChromium(@TempDir Path tmp) throws Exception {
        Path exe = chromium();
        assumeTrue(exe != null, "chromium is not installed");
        // Two small real campaigns on the KV server: txipc (recoveries, replays) and none (failures).
        SystemImage img = SystemImage.open("builtin:t_kv_oracle.toml");
        KernelConfig cfg = KernelConfig.defaults().withRamBytes(64L << 20).withBudgetNanos(20_000_000_000L);
        List<HtmlReport.Section> sections = new ArrayList<>();
        int n = 16;
        for (RecoveryPolicy pol : List.of(RecoveryPolicy.TXIPC, RecoveryPolicy.NONE)) {
            Campaign c = new Campaign(img, "kv", pol, 1000, cfg);
            List<Campaign.Run> runs = c.run(1, n, FaultInjector.Type.DEFAULTS, 2);
            sections.add(new HtmlReport.Section(
                    img.location(),
                    "kv",
                    pol.configName(),
                    "",
                    1,
                    n,
                    HtmlReport.replayCommand(img.location(), "kv", pol.configName(), ""),
                    runs));
        }
        List<Campaign.Run> bad = new ArrayList<>();
        sections.forEach(s -> s.runs().stream()
                .filter(r -> r.verdict() != Verdict.RECOVERED && r.verdict() != Verdict.BENIGN)
                .forEach(bad::add));
        assertFalse(bad.isEmpty(), "the policy none campaign has failures");
        assertTrue(sections.get(0).runs().stream().anyMatch(r -> r.verdict() == Verdict.RECOVERED));

        Path html = tmp.resolve("report.html");
        Files.writeString(html, HtmlReport.render("kv: txipc vs none", sections), StandardCharsets.UTF_8);
        Path png = tmp.resolve("report.png");
        Path profile = tmp.resolve("profile");
        Files.createDirectories(profile);
        String url = html.toUri().toString();

        String dom = chromium(exe, profile, tmp.resolve("dom.log"), "--dump-dom", url);
        assertTrue(dom.contains("<section id=\"summary\">"), dom);
        for (String id : List.of("verdicts", "recovery-times", "replay-depths", "failures")) {
            assertTrue(dom.contains("<section id=\"" + id + "\">"), id);
        }
        assertEquals(2, count(dom, "class=\"card campaign\""));
        assertTrue(count(dom, "<rect class=\"seg ") >= 2 * (1 + 1), "stacked bar segments in the DOM");
        assertTrue(dom.contains("<table class=\"failures\">"));
        assertEquals(bad.size(), count(dom, "<tr class=\"failure\""));
        assertFalse(dom.contains("<script"));

        chromium(exe, profile, tmp.resolve("shot.log"), "--screenshot=" + png, "--window-size=1280,2200", url);
        BufferedImage shot = ImageIO.read(png.toFile());
        assertNotNull(shot, "a PNG");
        assertEquals(1280, shot.getWidth());
        assertEquals(2200, shot.getHeight());
        Set<Integer> colours = new HashSet<>();
        Map<Integer, Integer> hist = new HashMap<>();
        for (int y = 0; y < shot.getHeight(); y += 2) {
            for (int x = 0; x < shot.getWidth(); x += 2) {
                int rgb = shot.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                hist.merge(rgb, 1, Integer::sum);
            }
        }
        assertTrue(colours.size() > 100, "distinct colours: " + colours.size());
        int white = hist.getOrDefault(0xffffff, 0);
        assertTrue(white < 0.97 * (shot.getWidth() / 2) * (shot.getHeight() / 2), "mostly blank: " + white);
        int green = Integer.parseInt(HtmlReport.colour(Verdict.RECOVERED).substring(1), 16);
        int red = Integer.parseInt(HtmlReport.colour(Verdict.FAILED).substring(1), 16);
        assertTrue(hist.getOrDefault(green, 0) > 50, "recovered green pixels: " + hist.get(green));
        assertTrue(hist.getOrDefault(red, 0) > 50, "failed red pixels: " + hist.get(red));

        // Kept for a look (target/ is the module's build folder).
        Path keep = Path.of("target", "html-report");
        Files.createDirectories(keep);
        Files.copy(html, keep.resolve("report.html"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(png, keep.resolve("report.png"), StandardCopyOption.REPLACE_EXISTING);
    }

    // ------------------------------------------------------------------ helpers

    /** {@code html} with the word spans of its commands taken out. */
    private static String codeText(String html) {
        return html.replace("<span class=\"w\">", "").replace("</span>", "");
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static int sumCounts(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        int n = 0;
        while (m.find()) {
            n += Integer.parseInt(m.group(1));
        }
        return n;
    }

    /** The pieces of {@code s} from each {@code start} to the following {@code end}. */
    private static List<String> between(String s, String start, String end) {
        List<String> out = new ArrayList<>();
        for (int i = s.indexOf(start); i >= 0; i = s.indexOf(start, i + 1)) {
            int j = s.indexOf(end, i);
            out.add(s.substring(i, j < 0 ? s.length() : j));
        }
        return out;
    }
}
