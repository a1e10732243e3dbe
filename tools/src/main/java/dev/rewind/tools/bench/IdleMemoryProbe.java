package dev.rewind.tools.bench;

import dev.rewind.kernel.SystemImage;
import dev.rewind.tools.Main;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child process of {@code rewind bench memory}, measuring host memory the way a user sees it:
 * it writes a manifest of N idle tasks ({@code idle.elf}: prints a banner, then waits in
 * {@code recv} forever) next to a copy of the image, runs a plain {@code rewind boot -q} of it
 * in this JVM (started with no options, as the {@code rewind} script starts it), and prints
 * the process's peak resident set (VmHWM) in bytes. The bench runs it for 1 and for 1 + N
 * tasks: the difference over N is the cost of an idle task, everything included (Unicorn's
 * engine, guest frames, the kernel's objects and the garbage the JVM keeps).
 */
public final class IdleMemoryProbe {
    private IdleMemoryProbe() {}

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        Path dir = Files.createTempDirectory("rewind-idle");
        try {
            Files.write(
                    dir.resolve("idle.elf"),
                    SystemImage.builtin("idle.elf").source().read("idle.elf"));
            StringBuilder m = new StringBuilder("name = \"idle\"\n");
            for (int i = 0; i < n; i++) {
                m.append("[task.idle")
                        .append(i)
                        .append("]\nimage = \"idle.elf\"\nserves = [\"ep")
                        .append(i)
                        .append("\"]\n");
            }
            Path manifest = dir.resolve("idle.toml");
            Files.writeString(manifest, m.toString());
            PrintStream out = System.out;
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            int rc = Main.run("boot", "-q", manifest.toString());
            System.setOut(out);
            if (rc != 0) {
                throw new IllegalStateException("rewind boot exited with " + rc);
            }
            System.out.println(peakRssBytes());
        } finally {
            for (String f : new String[] {"idle.elf", "idle.toml"}) {
                Files.deleteIfExists(dir.resolve(f));
            }
            Files.deleteIfExists(dir);
        }
    }

    static long peakRssBytes() throws Exception {
        for (String line : Files.readAllLines(new File("/proc/self/status").toPath(), StandardCharsets.UTF_8)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmHWM in /proc/self/status");
    }
}
