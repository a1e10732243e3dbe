package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The tools reach the engine only through hw's CPU package: no class names the binding or JNA. */
class ToolsLayeringTest {
    @Test
    void theToolsNeverNameTheUnicornBindingOrJna() throws Exception {
        Path classes = Path.of(
                Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> bad = new ArrayList<>();
        int n = 0;
        try (Stream<Path> s = Files.isDirectory(classes) ? Files.walk(classes) : Stream.empty()) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".class"))::iterator) {
                n++;
                String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                for (String f : new String[] {"dev/rewind/hw/unicorn/", "com/sun/jna/"}) {
                    if (text.contains(f)) {
                        bad.add(classes.relativize(p) + " refers to " + f);
                    }
                }
            }
        }
        assertTrue(n > 20 || !Files.isDirectory(classes), "found the tools' classes in " + classes);
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }
}
