package dev.rewind.tools.fuzz;

import dev.rewind.tools.CliRun.Result;
import dev.rewind.tools.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Family 2, suite files: small suites cut from guest/suites/*.suite (the header and one to three
 * cases), mutated, and given to {@code rewind test}: five in six with {@code --list} (the
 * parser and the selection), the rest run for real ({@code -j 2}; the suites' time limits are
 * first cut to 2 s, and an input whose mutation set one over 5 s again is only listed). Every
 * run must end within the limit with a documented status (0, 1, 2) and no Java exception on
 * stderr; a suite that --list accepts must list at least one case.
 */
class SuiteFuzzTest {
    static final Map<String, String> KNOWN = Map.of();

    static final String[] UNKNOWN = {
        "expekt line \"x\"",
        "case",
        "case a",
        "case " + "n".repeat(65),
        "case a/b",
        "boot",
        "boot builtin:",
        "boot builtin:nothere.elf",
        "boot /dev/zero",
        "boot /",
        "boot ../../../../etc/passwd",
        "boot deadlock.toml",
        "boot builtin:hello.elf",
        "boot builtin:t_disk.toml",
        "timeout 0",
        "timeout -1s",
        "timeout 1.5.5s",
        "timeout 99999999999999999999h",
        "timeout 1e9s",
        "timeout 0.0000000001s",
        "expect line",
        "expect line \"",
        "expect line /(/",
        "expect line /a{99999999}/",
        "expect line /(a+)+$/",
        "expect line contains",
        "expect line \"x\" times -1",
        "expect line \"x\" times 99999999999999999999",
        "expect exit 70",
        "expect exit 2147483648",
        "expect exit nope",
        "expect fault * any",
        "expect fault t KIND",
        "expect task t exit 99999999999",
        "expect task t state nowhere",
        "expect task t restarts -3",
        "expect task t generation 0",
        "allow fault",
        "allow fault * NOPE",
        "allow faults",
        "until lines",
        "until",
        "skip",
        "skip " + "r".repeat(10_000),
        "tags",
        "tag " + "t ".repeat(5_000),
        "suite",
        "suite x y",
        "expect lines in order",
        "expect no line /x/i",
        "expect line /x/q",
    };

    @TempDir
    Path tmp;

    @Test
    void mutatedSuitesRunOrAreRefused() throws IOException {
        campaign(Fuzz.count(150), Duration.ofSeconds(60));
    }

    @Test
    @Tag("slow")
    void mutatedSuitesRunOrAreRefusedMany() throws IOException {
        campaign(Fuzz.count(4000), Duration.ofSeconds(60));
    }

    /** A suite's header (up to its first case) and its cases, each as text. */
    record Parsed(String header, List<String> cases) {}

    static Parsed split(String text) {
        List<String> cases = new ArrayList<>();
        StringBuilder head = new StringBuilder();
        StringBuilder cur = null;
        for (String l : text.split("\n", -1)) {
            if (l.startsWith("case ")) {
                if (cur != null) {
                    cases.add(cur.toString());
                }
                cur = new StringBuilder();
            }
            (cur != null ? cur : head).append(l).append('\n');
        }
        if (cur != null) {
            cases.add(cur.toString());
        }
        return new Parsed(head.toString(), cases);
    }

    void campaign(int count, Duration limit) throws IOException {
        Path suites = Fixtures.projectRoot().resolve("guest/suites");
        List<Parsed> bases = new ArrayList<>();
        List<Path> manifests = new ArrayList<>();
        try (Stream<Path> s = Files.list(suites)) {
            for (Path p : s.sorted().toList()) {
                if (p.toString().endsWith(".suite")) {
                    bases.add(split(Fuzz.read(p)));
                } else if (p.toString().endsWith(".toml")) {
                    manifests.add(p);
                }
            }
        }
        Fuzz.Campaign c = new Fuzz.Campaign("suite", Fuzz.seed(2002), limit, KNOWN);
        Random r = c.rnd;
        Pattern longTimeout = Pattern.compile("(?m)^\\s*timeout\\s+(\\d+)");
        for (int i = 0; i < count; i++) {
            Parsed p = bases.get(r.nextInt(bases.size()));
            StringBuilder b = new StringBuilder(p.header());
            for (int n = 1 + r.nextInt(3); n > 0; n--) {
                b.append(p.cases().get(r.nextInt(p.cases().size())));
            }
            // The suites' own time limits (10 s, 20 s, 30 s) come down to 2 s, so that a case run for
            // real ends soon; a time limit a mutation makes long again sends the input to --list.
            String text = b.toString().replaceAll("(?m)^(\\s*timeout\\s+)\\d+s", "$12s");
            String donor = text;
            for (int n = r.nextInt(3) == 0 ? 2 + r.nextInt(3) : 1; n > 0; n--) {
                text = Fuzz.mutate(r, text, donor, UNKNOWN);
            }
            c.input();
            Path work = Fuzz.mkdirs(tmp.resolve("in" + i));
            for (Path m : manifests) {
                Files.copy(m, work.resolve(m.getFileName()));
            }
            Path suite = work.resolve("f.suite");
            Fuzz.write(suite, text);
            boolean list = r.nextInt(6) != 0;
            Matcher t = longTimeout.matcher(text);
            while (!list && t.find()) {
                list = t.group(1).length() > 6 || Long.parseLong(t.group(1)) > 5;
            }
            if (list) {
                String[] args = {"test", "--list", suite.toString()};
                Result res = c.run(work, args);
                if (res != null && res.status() == 0 && res.out().isBlank()) {
                    c.claimFailed(work, args, "--list succeeded but listed no case", res);
                }
            } else {
                c.run(work, "test", "-j", "2", "--timeout", "2s", suite.toString());
            }
            Fuzz.deleteTree(work);
        }
        c.finish();
    }
}
