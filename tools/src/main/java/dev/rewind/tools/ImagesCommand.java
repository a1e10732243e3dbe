package dev.rewind.tools;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code rewind images}: list the built-in guest images. */
@Command(
        name = "images",
        mixinStandardHelpOptions = true,
        description = {
            "List the built-in guest images (boot one with 'rewind boot builtin:NAME').",
            "Manifests (.toml) are whole systems; an .elf boots alone as a one-task system."
        })
public final class ImagesCommand implements Callable<Integer> {
    @Override
    public Integer call() throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("rewind/image/INDEX")) {
            if (in == null) {
                System.err.println("rewind: no built-in images in this build (guest/build/image/INDEX missing)");
                return 1;
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.equals("INDEX")) {
                    System.out.println("builtin:" + line.strip());
                }
            }
        }
        return 0;
    }
}
