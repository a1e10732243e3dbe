package dev.rewind.kernel.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/MANIFEST.md is the one description of the manifest format: its example must name every key
 * {@link ManifestParser} accepts, in the table where it belongs, and no key the parser refuses.
 */
class ManifestDocTest {
    private static final Pattern TABLE = Pattern.compile("^\\[(task|device)\\.[a-z0-9_-]+\\]");
    private static final Pattern KEY = Pattern.compile("^(?:#\\s*)?([a-z_]+)\\s*=");

    /** The keys of the doc's TOML example, by table: "" (top level), "task" and "device". */
    private static Map<String, List<String>> documentedKeys() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "MANIFEST.md"));
        int start = doc.indexOf("```toml\n");
        assertTrue(start >= 0, "docs/MANIFEST.md has a ```toml example");
        String example = doc.substring(start + 8, doc.indexOf("```", start + 8));
        Map<String, List<String>> keys = new LinkedHashMap<>();
        String table = "";
        keys.put(table, new ArrayList<>());
        for (String line : example.split("\n")) {
            String l = line.strip();
            Matcher t = TABLE.matcher(l);
            Matcher k = KEY.matcher(l);
            if (t.find()) {
                table = t.group(1);
                keys.putIfAbsent(table, new ArrayList<>());
            } else if (k.find()) {
                keys.get(table).add(k.group(1));
            }
        }
        return keys;
    }

    @Test
    void theDocumentedKeysAreExactlyTheParsersKeys() throws Exception {
        Map<String, List<String>> doc = documentedKeys();
        List<String> top = new ArrayList<>(ManifestParser.TOP_KEYS);
        top.removeAll(List.of("task", "device")); // written as [task.NAME] and [device.NAME] tables
        assertEquals(sorted(top), sorted(doc.get("")), "top-level keys in docs/MANIFEST.md");
        assertEquals(sorted(ManifestParser.TASK_KEYS), sorted(doc.get("task")), "task keys in docs/MANIFEST.md");
        assertEquals(sorted(ManifestParser.DEVICE_KEYS), sorted(doc.get("device")), "device keys in docs/MANIFEST.md");
    }

    /**
     * Every other TOML example of the user's documents (README.md, the guest READMEs, docs/*.md)
     * is a manifest the parser accepts: a whole one as written, a fragment ([device...] and
     * [task...] tables without a name) once given a name. MANIFEST.md's first example is the
     * catalogue of every key, some of which exclude each other (txipc's and shadow's); the test
     * above checks it.
     */
    @Test
    void everyOtherManifestExampleInTheDocumentsParses() throws Exception {
        Path root = Path.of("..");
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (var s = Files.walk(root.resolve("guest"), 3)) {
            s.filter(p -> p.getFileName().toString().equals("README.md")
                            && !p.toString().contains("/build/"))
                    .forEach(docs::add);
        }
        try (var s = Files.list(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        Pattern block = Pattern.compile("^```toml\\n(.*?)^```", Pattern.MULTILINE | Pattern.DOTALL);
        List<String> failures = new ArrayList<>();
        int examples = 0;
        for (Path doc : docs) {
            Matcher m = block.matcher(Files.readString(doc));
            boolean catalogue = doc.getFileName().toString().equals("MANIFEST.md");
            while (m.find()) {
                if (catalogue) {
                    catalogue = false;
                    continue;
                }
                String text = m.group(1);
                if (!Pattern.compile("^name\\s*=", Pattern.MULTILINE)
                        .matcher(text)
                        .find()) {
                    text = "name = \"example\"\n" + text;
                }
                examples++;
                try {
                    ManifestParser.parse(text, doc.getFileName().toString());
                } catch (ManifestException e) {
                    failures.add(doc + ": " + e.getMessage());
                }
            }
        }
        assertEquals(List.of(), failures);
        assertTrue(examples >= 2, "found only " + examples + " TOML examples");
    }

    private static List<String> sorted(List<String> keys) {
        return keys.stream().sorted().toList();
    }
}
