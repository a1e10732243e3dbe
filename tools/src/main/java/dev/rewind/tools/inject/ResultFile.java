package dev.rewind.tools.inject;

import dev.rewind.kernel.probe.FaultInjector;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A campaign's result file (JSON Lines, schema in docs/CAMPAIGNS.md): a header line describing
 * the campaign and its shard, then one line per finished run, in the order they finished.
 */
public final class ResultFile {
    /** The schema version the header's "schema" field carries. */
    public static final int SCHEMA = 1;

    /**
     * A header's {@code timeout_ns} when it has none: files written before the field existed
     * came from campaigns that all ran under the 20 s limit that is still the default.
     */
    static final long DEFAULT_TIMEOUT_NANOS = 20_000_000_000L;

    private ResultFile() {}

    /**
     * The header: everything that decides a campaign's runs, and which shard of it a file holds.
     *
     * @param timeoutNanos the wall-clock limit of each boot ({@code --timeout})
     * @param replayDepth  null: the manifest's
     * @param verify       {@code --verify}'s mode, or "manifest" without it
     * @param window       {@code --window}: "request" or "after-reply"
     * @param inputSha256  lower-case hex SHA-256 of the {@code --input} file's bytes, or null without one
     * @param diskSha256   {@code --disk}'s files as "DEVICE=SHA-256" (lower-case hex of the file's bytes), by
     *                     device name; empty without one
     */
    public record Header(
            String rewind,
            String engine,
            String arch,
            String image,
            String imageSha256,
            String server,
            String policy,
            int count,
            long firstSeed,
            List<String> types,
            long hangMs,
            long timeoutNanos,
            Integer replayDepth,
            boolean escalation,
            String verify,
            boolean faultFree,
            int shardIndex,
            int shardCount,
            String window,
            String inputSha256,
            List<String> diskSha256) {

        public Header {
            diskSha256 = List.copyOf(diskSha256);
        }

        /** True if injection {@code seed} belongs to this shard. */
        public boolean owns(long seed) {
            long i = seed - firstSeed;
            return i >= 0 && i < count && i % shardCount == shardIndex;
        }

        /** The shard that injection {@code seed} of the campaign belongs to. */
        public int shardOf(long seed) {
            return (int) ((seed - firstSeed) % shardCount);
        }

        /** This shard's seeds, ascending. */
        public List<Long> seeds() {
            List<Long> l = new ArrayList<>();
            for (long i = shardIndex; i < count; i += shardCount) {
                l.add(firstSeed + i);
            }
            return l;
        }

        /** The same campaign as shard {@code index} of {@code n}. */
        public Header shard(int index, int n) {
            return new Header(
                    rewind,
                    engine,
                    arch,
                    image,
                    imageSha256,
                    server,
                    policy,
                    count,
                    firstSeed,
                    types,
                    hangMs,
                    timeoutNanos,
                    replayDepth,
                    escalation,
                    verify,
                    faultFree,
                    index,
                    n,
                    window,
                    inputSha256,
                    diskSha256);
        }

        /** The fault types as parsed values. */
        public List<FaultInjector.Type> faultTypes() {
            return types.stream().map(FaultInjector.Type::parse).toList();
        }

        /** The header line (without its newline). */
        public String toJson() {
            return "{\"record\":\"campaign\",\"schema\":" + SCHEMA
                    + ",\"rewind\":" + Json.quote(rewind)
                    + ",\"engine\":" + Json.quote(engine)
                    + ",\"arch\":" + Json.quote(arch)
                    + ",\"image\":" + Json.quote(image)
                    + ",\"image_sha256\":" + Json.quote(imageSha256)
                    + ",\"server\":" + Json.quote(server)
                    + ",\"policy\":" + Json.quote(policy)
                    + ",\"count\":" + count
                    + ",\"first_seed\":" + firstSeed
                    + ",\"types\":" + jsonStrings(types)
                    + ",\"hang_ms\":" + hangMs
                    + ",\"timeout_ns\":" + timeoutNanos
                    + ",\"replay_depth\":" + (replayDepth == null ? "null" : replayDepth.toString())
                    + ",\"escalation\":" + escalation
                    + ",\"verify\":" + Json.quote(verify)
                    + ",\"fault_free\":" + faultFree
                    + ",\"window\":" + Json.quote(window)
                    + (inputSha256 == null ? "" : ",\"input_sha256\":" + Json.quote(inputSha256))
                    + (diskSha256.isEmpty() ? "" : ",\"disk_sha256\":" + jsonStrings(diskSha256))
                    + ",\"shard\":{\"index\":" + shardIndex + ",\"count\":" + shardCount + "}}";
        }

        /** The parameters, by their names in the file, for comparing two headers. */
        Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rewind", rewind);
            m.put("engine", engine);
            m.put("arch", arch);
            m.put("image", image);
            m.put("image_sha256", imageSha256);
            m.put("server", server);
            m.put("policy", policy);
            m.put("count", count);
            m.put("first_seed", firstSeed);
            m.put("types", String.join(",", types));
            m.put("hang_ms", hangMs);
            m.put("timeout_ns", timeoutNanos);
            m.put("replay_depth", replayDepth == null ? "null (the manifest's)" : replayDepth);
            m.put("escalation", escalation);
            m.put("verify", verify);
            m.put("fault_free", faultFree);
            m.put("window", window);
            m.put("input_sha256", inputSha256 == null ? "none" : inputSha256);
            m.put("disk_sha256", diskSha256.isEmpty() ? "none" : String.join(",", diskSha256));
            m.put("shard.index", shardIndex);
            m.put("shard.count", shardCount);
            return m;
        }

        /**
         * What differs from {@code other}, one "NAME: A (here) vs B (there)" each, shard.index
         * left out if {@code ignoreIndex}; empty if nothing.
         */
        public List<String> differences(Header other, String here, String there, boolean ignoreIndex) {
            List<String> d = new ArrayList<>();
            Map<String, Object> a = fields();
            Map<String, Object> b = other.fields();
            for (String k : a.keySet()) {
                if (ignoreIndex && k.equals("shard.index")) {
                    continue;
                }
                if (!Objects.equals(a.get(k), b.get(k))) {
                    d.add(k + ": " + a.get(k) + " (" + here + ") vs " + b.get(k) + " (" + there + ")");
                }
            }
            return d;
        }

        private static String window(String w) {
            return dev.rewind.kernel.probe.RequestStrike.Window.parse(w).id();
        }

        static Header parse(Map<String, Object> m) {
            if (!"campaign".equals(m.get("record"))) {
                throw new IllegalArgumentException("not a campaign header (its \"record\" is not \"campaign\")");
            }
            long schema = num(m, "schema");
            if (schema != SCHEMA) {
                throw new IllegalArgumentException("schema " + schema + " (this Rewind reads schema " + SCHEMA + ")");
            }
            Object ts = m.get("types");
            if (!(ts instanceof List<?> tl) || tl.isEmpty() || !tl.stream().allMatch(x -> x instanceof String)) {
                throw new IllegalArgumentException("\"types\" is not a list of fault type names");
            }
            List<String> types = tl.stream().map(x -> (String) x).toList();
            types.forEach(FaultInjector.Type::parse);
            Object sh = m.get("shard");
            if (!(sh instanceof Map<?, ?>)) {
                throw new IllegalArgumentException("\"shard\" is missing or not an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> shard = (Map<String, Object>) sh;
            Object depth = m.get("replay_depth");
            if (depth != null && !(depth instanceof Long)) {
                throw new IllegalArgumentException("\"replay_depth\" is neither a number nor null");
            }
            long count = num(m, "count");
            long index = num(shard, "index");
            long n = num(shard, "count");
            if (count < 1 || count > 1_000_000 || n < 1 || n > 100_000 || index < 0 || index >= n) {
                throw new IllegalArgumentException("count or shard out of range");
            }
            return new Header(
                    str(m, "rewind"),
                    str(m, "engine"),
                    m.containsKey("arch") ? str(m, "arch") : "riscv64", // files from before AArch64 left it out
                    str(m, "image"),
                    str(m, "image_sha256"),
                    str(m, "server"),
                    str(m, "policy"),
                    (int) count,
                    num(m, "first_seed"),
                    types,
                    num(m, "hang_ms"),
                    m.containsKey("timeout_ns") ? positive(m, "timeout_ns") : DEFAULT_TIMEOUT_NANOS,
                    depth == null ? null : (int) (long) (Long) depth,
                    bool(m, "escalation"),
                    str(m, "verify"),
                    bool(m, "fault_free"),
                    (int) index,
                    (int) n,
                    m.containsKey("window") ? window(str(m, "window")) : "request", // (files from before it: request)
                    m.containsKey("input_sha256") ? str(m, "input_sha256") : null, // (no --input)
                    m.containsKey("disk_sha256") ? strings(m, "disk_sha256") : List.of()); // (no --disk)
        }
    }

    /** One run's line (without its newline): every field of the run, recovery_ns included. */
    public static String runJson(Campaign.Run r) {
        return "{\"record\":\"run\",\"seed\":" + r.seed()
                + ",\"type\":" + Json.quote(r.type().name().toLowerCase(Locale.ROOT))
                + ",\"request\":" + r.request()
                + ",\"instruction\":" + r.instruction()
                + ",\"activated\":" + r.activated()
                + ",\"manifested\":" + r.manifested()
                + ",\"manifestation\":" + Json.quote(r.manifestation())
                + ",\"verdict\":" + Json.quote(r.verdict().name().toLowerCase(Locale.ROOT))
                + ",\"detail\":" + Json.quote(r.detail())
                + ",\"fault\":" + Json.quote(r.what())
                + ",\"false_detections\":" + r.falseDetections()
                + ",\"wrong_replies\":" + r.wrongReplies()
                + ",\"verify_caught\":" + r.verifyCaught()
                + ",\"recovery_ns\":" + r.recoveryNanos()
                + ",\"replayed\":" + r.replayed() + "}";
    }

    static Campaign.Run parseRun(Map<String, Object> m) {
        if (!"run".equals(m.get("record"))) {
            throw new IllegalArgumentException("not a run record (its \"record\" is not \"run\")");
        }
        Campaign.Verdict v;
        try {
            v = Campaign.Verdict.valueOf(str(m, "verdict").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown verdict \"" + str(m, "verdict") + "\"");
        }
        return new Campaign.Run(
                num(m, "seed"),
                FaultInjector.Type.parse(str(m, "type")),
                (int) num(m, "request"),
                num(m, "instruction"),
                bool(m, "activated"),
                bool(m, "manifested"),
                str(m, "manifestation"),
                v,
                str(m, "detail"),
                str(m, "fault"),
                (int) num(m, "false_detections"),
                (int) num(m, "wrong_replies"),
                (int) num(m, "verify_caught"),
                num(m, "recovery_ns"),
                (int) num(m, "replayed"));
    }

    private static long num(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof Long l)) {
            throw new IllegalArgumentException("\"" + k + "\" is missing or not a number");
        }
        return l;
    }

    private static long positive(Map<String, Object> m, String k) {
        long v = num(m, k);
        if (v <= 0) {
            throw new IllegalArgumentException("\"" + k + "\" is not positive");
        }
        return v;
    }

    private static String str(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof String s)) {
            throw new IllegalArgumentException("\"" + k + "\" is missing or not a string");
        }
        return s;
    }

    private static List<String> strings(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof List<?> l) || !l.stream().allMatch(x -> x instanceof String)) {
            throw new IllegalArgumentException("\"" + k + "\" is not a list of strings");
        }
        return l.stream().map(x -> (String) x).toList();
    }

    private static String jsonStrings(List<String> l) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < l.size(); i++) {
            b.append(i == 0 ? "" : ",").append(Json.quote(l.get(i)));
        }
        return b.append(']').toString();
    }

    private static boolean bool(Map<String, Object> m, String k) {
        if (!(m.get(k) instanceof Boolean b)) {
            throw new IllegalArgumentException("\"" + k + "\" is missing or not true/false");
        }
        return b;
    }

    /**
     * A result file as read: its header, its runs in file order, and where a cut-short last line
     * began (-1 if the file ends with a whole line).
     */
    public record Contents(Path file, Header header, List<Campaign.Run> runs, long cutAt, int cutLine) {}

    /** The longest line read: a run line is well under 1 KiB, so more is not a result file. */
    static final int MAX_LINE_BYTES = 1 << 20;

    /**
     * Read {@code file}. A last line without its newline (the writer was killed mid-line) is
     * reported in {@code cutAt} and left out; any other bad line is an IllegalArgumentException
     * naming the file and line. A file whose only line is cut short has a null header.
     */
    public static Contents read(Path file) throws IOException {
        String name = file.toString();
        Header header = null;
        List<FaultInjector.Type> types = List.of(); // the header's, parsed once
        List<Campaign.Run> runs = new ArrayList<>();
        long pos = 0; // where the line being read starts
        int line = 0;
        try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            while (true) {
                buf.reset();
                int c;
                while ((c = in.read()) >= 0 && c != '\n') {
                    if (buf.size() == MAX_LINE_BYTES) {
                        throw new IllegalArgumentException(name + ", line " + (line + 1) + " is longer than "
                                + MAX_LINE_BYTES / 1024 + " KiB: not a campaign result file (its lines are"
                                + " one short JSON record each)");
                    }
                    buf.write(c);
                }
                if (c < 0 && buf.size() == 0) {
                    break; // the end, after a whole line
                }
                line++;
                if (c < 0) {
                    return new Contents(file, header, runs, pos, line); // no newline: cut short
                }
                String text = buf.toString(StandardCharsets.UTF_8);
                try {
                    Map<String, Object> m = Json.parseObject(text);
                    if (line == 1) {
                        header = Header.parse(m);
                        types = header.faultTypes();
                    } else {
                        Campaign.Run r = parseRun(m);
                        if (!types.contains(r.type())) {
                            throw new IllegalArgumentException("its type \"" + str(m, "type")
                                    + "\" is not one of the campaign's types (" + String.join(", ", header.types())
                                    + ")");
                        }
                        runs.add(r);
                    }
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(name + ", line " + line + ": "
                            + (line == 1 ? "not a campaign result file's header: " : "not a run record: ")
                            + e.getMessage());
                }
                pos += buf.size() + 1;
            }
        }
        if (header == null) {
            throw new IllegalArgumentException(name + ": empty, not a campaign result file");
        }
        return new Contents(file, header, runs, -1, 0);
    }

    /** Appends run lines to a result file, each written whole and flushed as it comes. */
    public static final class Appender implements AutoCloseable {
        private final Path file;
        private final OutputStream out;
        private int lines;
        private boolean closed;

        /**
         * Open {@code file} for appending; if {@code header} is not null the file is created
         * (or emptied) and the header written first. {@code runs}: the run lines already in it.
         */
        public Appender(Path file, Header header, int runs) throws IOException {
            this.file = file;
            this.out = header == null
                    ? Files.newOutputStream(file, StandardOpenOption.APPEND, StandardOpenOption.WRITE)
                    : Files.newOutputStream(
                            file,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING,
                            StandardOpenOption.WRITE);
            this.lines = runs;
            if (header != null) {
                write(header.toJson());
            }
        }

        private void write(String line) throws IOException {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8)); // one write: a whole line
            out.flush();
        }

        /** Append one run (ignored after {@link #close}: an interrupted campaign's late runs). */
        public synchronized void append(Campaign.Run r) throws IOException {
            if (closed) {
                return;
            }
            write(runJson(r));
            lines++;
        }

        /** The run lines in the file. */
        public synchronized int runs() {
            return lines;
        }

        public Path file() {
            return file;
        }

        @Override
        public synchronized void close() throws IOException {
            if (!closed) {
                closed = true;
                out.close();
            }
        }
    }

    /** Cut {@code file} to its first {@code length} bytes (drop a cut-short last line). */
    public static void truncate(Path file, long length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(length);
        }
    }

    /**
     * The shards of one campaign, checked and merged: the campaign's header (as shard 0 of 1)
     * and every run, by seed. IllegalArgumentException naming the file and what is wrong for
     * a cut-short line, a different parameter, a missing or repeated shard, a foreign or
     * repeated seed, or an incomplete shard.
     */
    public static Contents merge(List<Path> files) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("merge: no result files");
        }
        List<Contents> all = new ArrayList<>();
        for (Path f : files) {
            Contents c = read(f);
            if (c.cutAt() >= 0) {
                throw new IllegalArgumentException(f + ", line " + c.cutLine() + " is cut short (the shard was killed"
                        + " while writing it): finish that shard with its command and --resume");
            }
            all.add(c);
        }
        Contents first = all.get(0);
        Header h = first.header();
        Map<Integer, Path> byIndex = new HashMap<>();
        for (Contents c : all) {
            List<String> d =
                    c.header().differences(h, c.file().toString(), first.file().toString(), true);
            if (!d.isEmpty()) {
                throw new IllegalArgumentException("the files are not shards of one campaign: " + String.join("; ", d));
            }
            Path other = byIndex.put(c.header().shardIndex(), c.file());
            if (other != null) {
                throw new IllegalArgumentException(other + " and " + c.file() + " are both shard "
                        + c.header().shardIndex() + "/" + h.shardCount() + " (an overlap)");
            }
        }
        List<String> missing = new ArrayList<>();
        for (int k = 0; k < h.shardCount(); k++) {
            if (!byIndex.containsKey(k)) {
                missing.add(String.valueOf(k));
            }
        }
        if (!missing.isEmpty()) {
            Header gap = h.shard(Integer.parseInt(missing.get(0)), h.shardCount());
            throw new IllegalArgumentException("a gap: shard" + (missing.size() == 1 ? " " : "s ")
                    + abbreviate(missing) + " of " + h.shardCount() + " missing (shard " + missing.get(0)
                    + " holds seeds "
                    + abbreviate(gap.seeds().stream().map(String::valueOf).toList()) + ")");
        }
        List<Campaign.Run> runs = new ArrayList<>();
        for (Contents c : all) {
            Header ch = c.header();
            Map<Long, Boolean> seen = new HashMap<>();
            for (Campaign.Run r : c.runs()) {
                if (!ch.owns(r.seed())) {
                    long i = r.seed() - ch.firstSeed();
                    throw new IllegalArgumentException(c.file() + ": seed " + r.seed() + " is foreign to shard "
                            + ch.shardIndex() + "/" + ch.shardCount()
                            + (i >= 0 && i < ch.count()
                                    ? " (it belongs to shard " + ch.shardOf(r.seed()) + ")"
                                    : " (the campaign's seeds are " + ch.firstSeed() + ".."
                                            + (ch.firstSeed() + ch.count() - 1) + ")"));
                }
                if (seen.put(r.seed(), Boolean.TRUE) != null) {
                    throw new IllegalArgumentException(c.file() + ": seed " + r.seed() + " twice (an overlap)");
                }
                runs.add(r);
            }
            List<String> absent = ch.seeds().stream()
                    .filter(s -> !seen.containsKey(s))
                    .map(String::valueOf)
                    .toList();
            if (!absent.isEmpty()) {
                throw new IllegalArgumentException(c.file() + ": shard " + ch.shardIndex() + "/" + ch.shardCount()
                        + " is incomplete (a gap): " + absent.size() + " of "
                        + ch.seeds().size()
                        + " runs missing, seeds " + abbreviate(absent)
                        + "; finish it with its command and --resume");
            }
        }
        runs.sort(Comparator.comparingLong(Campaign.Run::seed));
        return new Contents(null, h.shard(0, 1), runs, -1, 0);
    }

    /** "a, b, c" or "a, b, ... (N in all)". */
    static String abbreviate(List<String> items) {
        if (items.size() <= 8) {
            return String.join(", ", items);
        }
        return String.join(", ", items.subList(0, 6)) + ", ... " + items.get(items.size() - 1) + " (" + items.size()
                + " in all)";
    }
}
