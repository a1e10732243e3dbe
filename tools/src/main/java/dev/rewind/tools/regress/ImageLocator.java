package dev.rewind.tools.regress;

import dev.rewind.kernel.BootException;
import dev.rewind.kernel.ImageSource;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.image.InputFiles;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.ManifestException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens the image a case boots: {@code builtin:NAME}, or a path relative to the suite's folder
 * (a host folder, or a folder on the class path for built-in suites). An ELF file that a
 * manifest names is looked up beside the manifest first and then among the built-in images, so
 * a suite can carry small manifests that reuse the built-in programs.
 */
public interface ImageLocator {
    /** The class-path folder of the built-in images. */
    String BUILTIN_IMAGES = "rewind/image";

    /** Opens {@code spec}; the message of the exception says what is wrong. */
    SystemImage open(String spec) throws BootException;

    /** Relative paths are resolved against the host folder {@code dir}. */
    static ImageLocator folder(Path dir) {
        return spec -> {
            if (spec.startsWith(SystemImage.BUILTIN_PREFIX)) {
                return SystemImage.open(spec);
            }
            Path path = dir.resolve(spec).normalize();
            if (!Files.exists(path) || Files.isDirectory(path)) {
                throw new BootException("no such image file: " + path
                        + (Files.isDirectory(path) ? " (a folder: name the manifest .toml in it)" : ""));
            }
            if (!isManifest(spec)) {
                return SystemImage.open(path.toString());
            }
            String text;
            try {
                // a regular file of at most 1 MiB: never a FIFO, a device or a huge file
                text = new String(
                        InputFiles.read(path, InputFiles.MAX_TEXT_BYTES, "a manifest"), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new BootException("cannot read " + path + ": " + e.getMessage(), e);
            }
            ImageSource src = withBuiltinFallback(
                    ImageSource.directory(path.toAbsolutePath().getParent()));
            return new SystemImage(parseManifest(text, path.getFileName().toString()), src, path.toString());
        };
    }

    /** Relative paths are resolved against the class-path folder {@code prefix} (no trailing slash). */
    static ImageLocator classpath(String prefix) {
        return spec -> {
            if (spec.startsWith(SystemImage.BUILTIN_PREFIX)) {
                return SystemImage.open(spec);
            }
            if (spec.startsWith("/") || spec.contains("..") || spec.contains("\\")) {
                throw new BootException(
                        "a built-in suite can only name images in its own folder or builtin:NAME: " + spec);
            }
            String resource = prefix + "/" + spec;
            byte[] bytes;
            try (InputStream in = ImageLocator.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new BootException("no such image in the built-in suites: " + spec);
                }
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new BootException("cannot read built-in " + resource + ": " + e.getMessage(), e);
            }
            int slash = spec.lastIndexOf('/');
            String folder = slash < 0 ? prefix : prefix + "/" + spec.substring(0, slash);
            String fileName = spec.substring(slash + 1);
            ImageSource own = described(
                    ImageSource.classpath(folder),
                    SuiteLoader.BUILTIN_PREFIX + "suites/" + (slash < 0 ? "" : spec.substring(0, slash + 1)));
            if (isManifest(spec)) {
                return new SystemImage(
                        parseManifest(new String(bytes, StandardCharsets.UTF_8), fileName),
                        withBuiltinFallback(own),
                        "builtin-suite:" + spec);
            }
            // A bare ELF: the same one-task system `rewind boot prog.elf` makes.
            String task = fileName.replaceFirst("\\.[^.]*$", "")
                    .toLowerCase(Locale.ROOT)
                    .replaceAll("[^a-z0-9_-]", "_");
            task = task.isEmpty() ? "main" : task.length() > 32 ? task.substring(0, 32) : task;
            String toml = "name = \"" + task + "\"\n[task." + task + "]\nimage = \"" + fileName + "\"\n";
            return new SystemImage(parseManifest(toml, fileName), own, "builtin-suite:" + spec);
        };
    }

    private static boolean isManifest(String spec) {
        return spec.endsWith(".toml");
    }

    private static Manifest parseManifest(String text, String fileName) throws BootException {
        try {
            return Manifest.parse(text, fileName);
        } catch (ManifestException e) {
            throw new BootException(e.getMessage(), e);
        }
    }

    /** {@code src}, described in messages as {@code prefix + name}. */
    private static ImageSource described(ImageSource src, String prefix) {
        return new ImageSource() {
            @Override
            public byte[] read(String name) throws IOException {
                return src.read(name);
            }

            @Override
            public String describe(String name) {
                return prefix + name;
            }
        };
    }

    /** {@code primary}, and for files it lacks, the built-in images. */
    static ImageSource withBuiltinFallback(ImageSource primary) {
        ImageSource builtin = ImageSource.classpath(BUILTIN_IMAGES);
        return new ImageSource() {
            @Override
            public byte[] read(String name) throws IOException {
                try {
                    return primary.read(name);
                } catch (IOException notHere) {
                    try {
                        return builtin.read(name);
                    } catch (IOException alsoNotBuiltin) {
                        throw notHere;
                    }
                }
            }

            @Override
            public String describe(String name) {
                return primary.describe(name) + " (nor " + builtin.describe(name) + ")";
            }
        };
    }
}
