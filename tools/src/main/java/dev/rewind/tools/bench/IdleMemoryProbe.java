package dev.rewind.tools.bench;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.ImageSource;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.image.Manifest;
import java.io.ByteArrayOutputStream;

/**
 * Child process of {@code rewind bench memory}: boots N idle tasks (kv_server, which starts,
 * prints its banner and waits in recv) and prints "rss_before rss_after" in bytes. Run with a
 * fixed, pre-touched Java heap so that heap growth does not count as task memory.
 */
public final class IdleMemoryProbe {
    private IdleMemoryProbe() {}

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        ImageSource src = SystemImage.builtin("kv_server.elf").source();
        StringBuilder m = new StringBuilder("name = \"idle\"\n");
        for (int i = 0; i < n; i++) {
            m.append("[task.idle").append(i).append("]\nimage = \"kv_server.elf\"\nserves = [\"ep").append(i).append("\"]\n");
        }
        Manifest manifest = Manifest.parse(m.toString(), "idle.toml");
        // Load the libraries and warm up with one task so one-time costs are not counted.
        Manifest one = Manifest.parse("name = \"one\"\n[task.idle]\nimage = \"kv_server.elf\"\nserves = [\"ep\"]\n", "one.toml");
        try (Kernel k = new Kernel(KernelConfig.defaults(), one, src, new Uart(new ByteArrayOutputStream()), null)) {
            k.run();
        }
        System.gc();
        long before = BenchCommand.rssBytes();
        try (Kernel k = new Kernel(KernelConfig.defaults(), manifest, src, new Uart(new ByteArrayOutputStream()), null)) {
            k.run();
            System.gc();
            long after = BenchCommand.rssBytes();
            System.out.println(before + " " + after);
        }
    }
}
