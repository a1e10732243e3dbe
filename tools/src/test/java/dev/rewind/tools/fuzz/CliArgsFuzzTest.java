package dev.rewind.tools.fuzz;

import dev.rewind.tools.CliRun;
import dev.rewind.tools.CliRun.Result;
import dev.rewind.tools.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Family 4, command-line arguments: random combinations of every command's options with hostile
 * values (negative, zero, huge and overflowing numbers, sizes and durations, empty strings,
 * control characters, paths that are folders, FIFOs, /dev/zero, /dev/null, missing, symlink
 * loops), plus unknown options and stray arguments. Each input gets fresh copies of the files
 * it names (a formatted disk image, a one-case suite, an ELF, an input file).
 *
 * <p>Options that only say how much work to do (inject -n, bench --runs/--idle-tasks, survival
 * --kills) get invalid or small values: a valid huge one asks for hours of work on purpose.
 * bench and survival get at least one refused value each (their valid runs take minutes), and
 * {@code boot} gets {@code --timeout 2s} unless the fuzzer chose a --timeout itself.
 */
class CliArgsFuzzTest {
    static final Map<String, String> KNOWN = Map.of();

    @TempDir
    Path tmp;

    @Test
    void hostileArgumentsAreRefusedOrHonoured() throws IOException {
        campaign(Fuzz.count(150), Duration.ofSeconds(60));
    }

    @Test
    @Tag("slow")
    void hostileArgumentsAreRefusedOrHonouredMany() throws IOException {
        campaign(Fuzz.count(4000), Duration.ofSeconds(60));
    }

    static final String[] NUMBERS = {
        "-1",
        "0",
        "1",
        "2",
        "-2147483648",
        "2147483647",
        "2147483648",
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999999",
        "1e9",
        "0x10",
        "1.5",
        "+5",
        " 3",
        "3 ",
        "",
        "NaN",
        "٣",
    };
    static final String[] SMALL_OR_BAD = {
        "-1",
        "0",
        "1",
        "2",
        "-2147483648",
        "2147483648",
        "9223372036854775808",
        "99999999999999999999999",
        "1e9",
        "0x10",
        "1.5",
        "",
        "x",
        "٣",
    };
    static final String[] BAD_COUNTS = {
        "-1",
        "0",
        "-2147483648",
        "2147483648",
        "9223372036854775808",
        "99999999999999999999999",
        "1e9",
        "0x10",
        "1.5",
        "",
        "x",
        "\u0000",
    };
    static final String[] SIZES = {
        "0",
        "1",
        "512",
        "64K",
        "63K",
        "65535",
        "65536",
        "256M",
        "1G",
        "1025M",
        "16G",
        "17G",
        "17179869185G",
        "-1M",
        "1T",
        "4097",
        "1.5M",
        "K",
        "",
        " 64K ",
        "64k",
        "64KB",
        "9223372036854775807",
        "9223372036854775807K",
    };
    static final String[] DURATIONS = {
        "0",
        "0ms",
        "1ms",
        "-1s",
        "1000h",
        "1001h",
        "999999999h",
        "1.5s",
        "2s",
        "10x",
        "",
        "9223372036854775807ms",
        "99999999999999999999s",
        "500ms",
        "1m",
        " 2s",
        "2S",
        "1e3ms",
    };
    static final String[] LEVELS = {
        "error", "warn", "info", "debug", "trace", "ERROR", "", "loud", "\u0000", "off", "all"
    };
    static final String[] STRINGS = {
        "",
        " ",
        "\u0000",
        "\u001b[31mred",
        "a\nb",
        "\t",
        "x".repeat(10_000),
        "../../etc/passwd",
        "é中",
        "-",
        "--",
        "-x",
        "--quiet",
        "=",
        "a=b=c",
        "*",
        "/(/",
        "/a{99999999}/",
        "[",
        "[z-a]",
        "/(a+)+$/",
        "\\",
        "\ud800",
        "\uffff",
    };
    static final String[] GDB = {
        "-1",
        "65536",
        "99999999999",
        "abc",
        "host:",
        ":",
        "",
        "1.2.3.4.5:80",
        "\u0000",
        "localhost:-5",
        "[::1]",
        "x".repeat(300),
        "localhost:99999",
        "0x50",
    };

    /** The files of one input. */
    record Files4(
            Path dir, Path disk, Path suite, Path elf, Path text, Path folder, Path fifo, Path loop, Path missing) {}

    Path fifo;
    byte[] disk;
    byte[] elf;

    void setUp() throws IOException {
        Path shared = Fuzz.mkdirs(tmp.resolve("shared"));
        fifo = shared.resolve("fifo");
        try {
            Process p =
                    new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Path img = shared.resolve("base.img");
        Result r = CliRun.rewind(Duration.ofSeconds(30), "disk", "format", img.toString(), "--size", "64K");
        if (r.status() != 0) {
            throw new IllegalStateException(r.toString());
        }
        disk = Files.readAllBytes(img);
        elf = Fixtures.builtinBytes("hello.elf");
    }

    Files4 files(Path dir) throws IOException {
        Fuzz.mkdirs(dir);
        Path d = dir.resolve("disk.img");
        Files.write(d, disk);
        Path s = dir.resolve("one.suite");
        Files.writeString(s, "case hello\n  boot builtin:hello.elf\n  expect line \"hello from rewind\"\n");
        Path e = dir.resolve("hello.elf");
        Files.write(e, elf);
        Path t = dir.resolve("input.txt");
        Files.writeString(t, "hello\n");
        Path f = Fuzz.mkdirs(dir.resolve("folder"));
        Path loop = dir.resolve("loop");
        Files.createSymbolicLink(loop, loop.getFileName());
        return new Files4(dir, d, s, e, t, f, fifo, loop, dir.resolve("missing/none"));
    }

    static String pick(Random r, String[] a) {
        return a[r.nextInt(a.length)];
    }

    String path(Random r, Files4 f, Path good) {
        return switch (r.nextInt(11)) {
            case 0 -> f.folder().toString();
            case 1 -> f.fifo().toString();
            case 2 -> "/dev/zero";
            case 3 -> "/dev/null";
            case 4 -> f.missing().toString();
            case 5 -> f.loop().toString();
            // A hostile name, inside this input's folder (never the working directory), or empty.
            case 6 -> r.nextInt(4) == 0 ? "" : f.dir() + "/" + pick(r, STRINGS);
            case 7 -> f.dir().resolve("new" + r.nextInt(3)).toString();
            case 8 -> f.text().toString();
            default -> good.toString();
        };
    }

    String image(Random r, Files4 f) {
        return switch (r.nextInt(8)) {
            case 0 -> "builtin:demo";
            case 1 -> "builtin:t_disk.toml";
            case 2 -> "builtin:nothere.toml";
            case 3 -> "builtin:";
            case 4 -> path(r, f, f.elf());
            default -> "builtin:hello.elf";
        };
    }

    /** Options of a command: name → value generator (null: a flag). */
    record Opt(String name, Function<Random, String> value) {}

    /** Random options from {@code opts}, each at most once except with small probability. */
    static void options(Random r, List<String> args, List<Opt> opts, int max) {
        for (int n = r.nextInt(max + 1); n > 0; n--) {
            Opt o = opts.get(r.nextInt(opts.size()));
            if (o.value() == null) {
                args.add(o.name());
            } else if (r.nextInt(5) == 0) {
                args.add(o.name() + "=" + o.value().apply(r));
            } else {
                args.add(o.name());
                args.add(o.value().apply(r));
            }
        }
    }

    List<String> generate(Random r, Files4 f) {
        List<String> a = new ArrayList<>();
        switch (r.nextInt(12)) {
            case 0, 1, 2 -> {
                a.add("boot");
                if (r.nextInt(6) != 0) {
                    a.add(image(r, f));
                }
                options(
                        r,
                        a,
                        List.of(
                                new Opt("--trace", null),
                                new Opt("--log-level", x -> pick(x, LEVELS)),
                                new Opt("--timeout", x -> pick(x, DURATIONS)),
                                new Opt("--ram", x -> pick(x, SIZES)),
                                new Opt("--quantum", x -> pick(x, NUMBERS)),
                                new Opt("-q", null),
                                new Opt(
                                        "--disk",
                                        x -> x.nextInt(3) == 0
                                                ? pick(x, new String[] {"disk0=", "=", "nodev=", "disk0=disk0="})
                                                        + path(x, f, f.disk())
                                                : path(x, f, f.disk())),
                                new Opt("--input", x -> path(x, f, f.text())),
                                new Opt("--gdb", x -> pick(x, GDB)),
                                new Opt("--gdb-wait", null)),
                        4);
                if (a.stream().noneMatch(s -> s.startsWith("--timeout"))) {
                    a.add("--timeout");
                    a.add("2s");
                }
                if (a.stream().noneMatch(s -> s.startsWith("--input"))) {
                    // Never read the test's own stdin.
                    a.add("--input");
                    a.add(f.text().toString());
                }
            }
            case 3, 4 -> {
                a.add("test");
                boolean list = r.nextBoolean();
                for (int n = r.nextInt(3); n > 0; n--) {
                    a.add(
                            switch (r.nextInt(4)) {
                                case 0 -> list ? "builtin:core" : "builtin:nothere";
                                default -> path(r, f, f.suite());
                            });
                }
                if (a.size() == 1) {
                    a.add(f.suite().toString());
                }
                if (list) {
                    a.add("--list");
                }
                options(
                        r,
                        a,
                        List.of(
                                new Opt("--filter", x -> pick(x, STRINGS)),
                                new Opt("--tag", x -> pick(x, STRINGS)),
                                new Opt("--exclude-tag", x -> pick(x, STRINGS)),
                                new Opt("-j", x -> pick(x, NUMBERS)),
                                new Opt("--timeout", x -> pick(x, DURATIONS)),
                                new Opt("--junit-xml", x -> path(x, f, f.dir().resolve("out.xml"))),
                                new Opt("-v", null),
                                new Opt("--log-level", x -> pick(x, LEVELS))),
                        4);
            }
            case 5, 6, 7 -> {
                a.add("disk");
                String img = path(r, f, f.disk());
                switch (r.nextInt(6)) {
                    case 0 -> {
                        a.add("format");
                        a.add(r.nextBoolean() ? f.dir().resolve("fresh.img").toString() : img);
                        options(
                                r,
                                a,
                                List.of(
                                        new Opt("--size", x -> pick(x, SIZES)),
                                        new Opt("-f", null),
                                        new Opt("--force", null)),
                                2);
                    }
                    case 1 -> {
                        a.add("ls");
                        a.add(img);
                        if (r.nextBoolean()) {
                            a.add(r.nextBoolean() ? "/" : pick(r, STRINGS));
                        }
                    }
                    case 2 -> {
                        a.add("cat");
                        a.add(img);
                        a.add(r.nextBoolean() ? "/x" : pick(r, STRINGS));
                    }
                    case 3, 4 -> {
                        a.add("put");
                        a.add(img);
                        a.add(path(r, f, f.elf()));
                        a.add(r.nextBoolean() ? "/bin/hello" : "/" + pick(r, STRINGS));
                    }
                    default -> {
                        a.add("info");
                        a.add(img);
                    }
                }
            }
            case 8 -> {
                a.add("inject");
                a.add(r.nextInt(4) == 0 ? image(r, f) : "builtin:t_kv_oracle.toml");
                a.add("--server");
                a.add(r.nextInt(4) == 0 ? pick(r, STRINGS) : "kv");
                a.add("-n");
                a.add(pick(r, SMALL_OR_BAD));
                options(
                        r,
                        a,
                        List.of(
                                new Opt(
                                        "--policy",
                                        x -> pick(x, new String[] {"none", "restart", "txipc", "shadow", "", "x"})),
                                new Opt("--seed", x -> pick(x, NUMBERS)),
                                new Opt(
                                        "--types",
                                        x -> pick(x, new String[] {",", "", "ALL", "x", "register,memory", "\u0000"})),
                                new Opt("--jobs", x -> pick(x, NUMBERS)),
                                new Opt("--hang-ms", x -> pick(x, NUMBERS)),
                                new Opt("--timeout", x -> pick(x, DURATIONS)),
                                new Opt("--replay-depth", x -> pick(x, NUMBERS)),
                                new Opt("--json", x -> path(x, f, f.dir().resolve("o.json"))),
                                new Opt("--csv", x -> path(x, f, f.dir().resolve("o.csv"))),
                                new Opt("-v", null)),
                        3);
            }
            case 9 -> {
                boolean bench = r.nextBoolean();
                a.add(bench ? "bench" : "survival");
                // At least one refused value: a valid run takes minutes.
                if (bench) {
                    switch (r.nextInt(3)) {
                        case 0 -> a.add(pick(r, new String[] {"nothing", "", "\u0000", "IPC", "all"}));
                        case 1 -> a.add("--runs=" + pick(r, BAD_COUNTS));
                        default -> a.add("--idle-tasks=" + pick(r, BAD_COUNTS));
                    }
                    options(
                            r,
                            a,
                            List.of(
                                    new Opt("--runs", x -> pick(x, SMALL_OR_BAD)),
                                    new Opt("--idle-tasks", x -> pick(x, SMALL_OR_BAD))),
                            2);
                } else {
                    a.add(r.nextBoolean() ? "--kills=" + pick(r, BAD_COUNTS) : "--instruction=" + pick(r, BAD_COUNTS));
                    options(
                            r,
                            a,
                            List.of(
                                    new Opt("--markdown", null),
                                    new Opt("-v", null),
                                    new Opt("--kills", x -> pick(x, BAD_COUNTS))),
                            2);
                }
            }
            case 10 -> {
                String[][] misc = {
                    {"images"},
                    {"help"},
                    {"help", "boot"},
                    {"help", "nothere"},
                    {"--version"},
                    {"-V"},
                    {"--help"},
                    {},
                    {"nothere"},
                    {"disk"},
                    {"disk", "nothere"},
                    {"images", "extra"},
                    {"boot", "--help"},
                    {"disk", "put", "--help"}
                };
                a.addAll(List.of(misc[r.nextInt(misc.length)]));
            }
            default -> { // junk anywhere
                a.add(pick(r, new String[] {"boot", "test", "disk", "inject", "images"}));
                for (int n = 1 + r.nextInt(4); n > 0; n--) {
                    a.add(pick(r, STRINGS));
                }
            }
        }
        if (r.nextInt(8) == 0 && !a.isEmpty()) { // an unknown option or a stray argument somewhere
            a.add(1 + r.nextInt(a.size()) - 1, pick(r, new String[] {"--nope", "-Z", "stray", "--timeout", "--"}));
        }
        return a;
    }

    void campaign(int count, Duration limit) throws IOException {
        setUp();
        Fuzz.Campaign c = new Fuzz.Campaign("cli-args", Fuzz.seed(4004), limit, KNOWN);
        Random r = c.rnd;
        for (int i = 0; i < count; i++) {
            c.input();
            Path work = tmp.resolve("in" + i);
            Files4 f = files(work);
            String[] args = generate(r, f).toArray(String[]::new);
            Files.write(work.resolve("args.txt"), String.join("\n", args).getBytes(StandardCharsets.UTF_8));
            Result res = c.run(work, args);
            if (res != null
                    && res.status() == 0
                    && args.length == 5
                    && args[0].equals("disk")
                    && args[1].equals("put")
                    && java.util.Arrays.stream(args).noneMatch(s -> s.startsWith("-"))) {
                Result back = c.run(work, "disk", "cat", args[2], args[4]);
                if (back == null
                        || back.status() != 0
                        || !java.util.Arrays.equals(back.stdout(), Files.readAllBytes(Path.of(args[3])))) {
                    c.claimFailed(work, args, "put succeeded but cat does not give the file back", back);
                }
            }
            Fuzz.deleteTree(work);
        }
        c.finish();
    }
}
