package dev.rewind.tools;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code rewind images}: list the built-in guest images. */
@Command(
        name = "images",
        mixinStandardHelpOptions = true,
        description = {
            "List the built-in guest images (boot one with 'rewind boot builtin:NAME').",
            "Manifests (.toml) are whole systems; an .elf boots alone as a one-task system.",
            "builtin:aarch64/NAME is the same image built for AArch64."
        })
public final class ImagesCommand implements Callable<Integer> {
    @Override
    public Integer call() throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("rewind/image/INDEX")) {
            if (in == null) {
                System.err.println("rewind: no built-in images in this build (guest/build/image/INDEX missing)");
                return 1;
            }
        }
        for (String name : dev.rewind.kernel.SystemImage.builtinNames()) {
            System.out.println("builtin:" + name);
        }
        return 0;
    }
}
