package dev.rewind.tools.regress;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.BootException;
import dev.rewind.kernel.ImageSource;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.image.InputFiles;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.ManifestException;
import dev.rewind.kernel.image.TaskSpec;
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
    default SystemImage open(String spec) throws BootException {
        return open(spec, BUILTIN_IMAGES);
    }

    /**
     * Opens {@code spec}, a manifest of which takes the programs it does not find beside it from
     * the class-path folder {@code builtinPrograms} (the RISC-V built-in images, or an
     * architecture's folder under them).
     */
    SystemImage open(String spec, String builtinPrograms) throws BootException;

    /**
     * The bytes of the data file {@code spec} (an expected output), found where an image of
     * that name would be; at most {@code limit} bytes. {@code what} names it in messages.
     */
    default byte[] data(String spec, long limit, String what) throws IOException {
        throw new IOException("this suite cannot name files (" + what + ": " + spec + ")");
    }

    /**
     * The host path the data file {@code spec} is read from, as a shell on this host can name it,
     * or null if it is not a host file (a built-in suite's).
     */
    default String hostPath(String spec) {
        return null;
    }

    /** Relative paths are resolved against the host folder {@code dir}. */
    static ImageLocator folder(Path dir) {
        ImageLocator images = (spec, builtinPrograms) -> {
            if (spec.startsWith(SystemImage.BUILTIN_PREFIX)) {
                return SystemImage.open(spec);
            }
            Path path = resolve(dir, spec);
            if (path == null) {
                throw new BootException(NOT_A_PATH);
            }
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
                    ImageSource.directory(path.toAbsolutePath().getParent()), builtinPrograms);
            return new SystemImage(parseManifest(text, path.getFileName().toString()), src, path.toString());
        };
        return withData(
                images,
                (spec, limit, what) -> {
                    Path path = resolve(dir, spec);
                    if (path == null) {
                        throw new IOException(NOT_A_PATH);
                    }
                    if (!Files.exists(path)) {
                        throw new IOException("no such file: " + path);
                    }
                    return InputFiles.read(path, limit, what);
                },
                spec -> {
                    Path path = resolve(dir, spec);
                    return path == null ? null : path.toString();
                });
    }

    /** Why a name that is no path on this host (it holds a NUL byte) is refused. */
    String NOT_A_PATH = "not a file name: it holds a NUL byte";

    /**
     * {@code spec} resolved against {@code dir}, or null if it is no path here (a NUL byte in it:
     * {@link java.nio.file.InvalidPathException}, which would escape as "Nul character not allowed").
     */
    private static Path resolve(Path dir, String spec) {
        try {
            return dir.resolve(spec).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    /** Relative paths are resolved against the class-path folder {@code prefix} (no trailing slash). */
    static ImageLocator classpath(String prefix) {
        ImageLocator images = (spec, builtinPrograms) -> {
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
                        withBuiltinFallback(own, builtinPrograms),
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
        return withData(images, (spec, limit, what) -> {
            if (spec.startsWith("/") || spec.contains("..") || spec.contains("\\")) {
                throw new IOException("a built-in suite can only name files in its own folder: " + spec);
            }
            try (InputStream in = ImageLocator.class.getClassLoader().getResourceAsStream(prefix + "/" + spec)) {
                if (in == null) {
                    throw new IOException("no such file in the built-in suites: " + spec);
                }
                byte[] b = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
                if (b.length > limit) {
                    throw new IOException(what + " is larger than " + limit + " bytes: " + spec);
                }
                return b;
            }
        });
    }

    /** Reads a suite's data file (see {@link ImageLocator#data}). */
    interface DataFiles {
        byte[] read(String spec, long limit, String what) throws IOException;
    }

    /** {@code images}, whose data files {@code files} reads. */
    private static ImageLocator withData(ImageLocator images, DataFiles files) {
        return withData(images, files, spec -> null);
    }

    /** {@code images}, whose data files {@code files} reads from the host paths {@code paths} gives. */
    private static ImageLocator withData(
            ImageLocator images, DataFiles files, java.util.function.Function<String, String> paths) {
        return new ImageLocator() {
            @Override
            public String hostPath(String spec) {
                return paths.apply(spec);
            }

            @Override
            public SystemImage open(String spec, String builtinPrograms) throws BootException {
                return images.open(spec, builtinPrograms);
            }

            @Override
            public byte[] data(String spec, long limit, String what) throws IOException {
                return files.read(spec, limit, what);
            }
        };
    }

    /**
     * {@code spec} built for {@code arch}, or null if there is no such build: {@code builtin:NAME}
     * becomes {@code builtin:aarch64/NAME} for AArch64; a suite's own manifest gets the programs
     * it does not find beside it from {@code arch}'s built-in images. Every program must be
     * built for {@code arch} (an ELF file beside the suite is built for one).
     */
    static SystemImage variant(ImageLocator images, String spec, Arch arch) throws BootException {
        SystemImage img = candidate(images, spec, arch);
        return img != null && archOf(img) == arch ? img : null;
    }

    /**
     * The image {@link #variant} checks for {@code arch}: {@code spec} with the built-in
     * programs of {@code arch} beside it, or null for a built-in image with no build for it.
     */
    private static SystemImage candidate(ImageLocator images, String spec, Arch arch) throws BootException {
        if (spec.startsWith(SystemImage.BUILTIN_PREFIX)) {
            String name = spec.substring(SystemImage.BUILTIN_PREFIX.length());
            if (arch == Arch.AARCH64 && !name.startsWith(SystemImage.AARCH64_PREFIX)) {
                try {
                    return SystemImage.builtin(SystemImage.AARCH64_PREFIX + name);
                } catch (BootException none) {
                    return null;
                }
            }
            return images.open(spec);
        }
        return images.open(spec, arch == Arch.RISCV64 ? BUILTIN_IMAGES : BUILTIN_IMAGES + "/" + arch.id());
    }

    /**
     * Why {@link #variant} found no image of {@code spec} for {@code arch}: the program that
     * cannot be read or is not an ELF file, or the two that are built for different
     * architectures, or the architecture they are built for, as booting it would say.
     */
    static String whyNoVariant(ImageLocator images, String spec, Arch arch) throws BootException {
        SystemImage img = candidate(images, spec, arch);
        if (img == null) {
            return "there is no " + arch.id() + " build of " + spec;
        }
        Arch decided =
                img.manifest().arch() == null ? null : Arch.named(img.manifest().arch());
        TaskSpec decidedBy = null;
        for (TaskSpec t : img.manifest().tasks()) {
            byte[] b;
            try {
                b = img.source().read(t.image());
            } catch (IOException e) {
                return "task '" + t.name() + "': cannot read image "
                        + img.source().describe(t.image()) + ": "
                        + (e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                                ? f.getReason()
                                : e.getMessage());
            }
            int machine = machine(b);
            if (machine < 0) {
                return "task '" + t.name() + "': " + t.image() + " is not an ELF file";
            }
            Arch a = Arch.ofElfMachine(machine);
            if (a == null) {
                return "task '" + t.name() + "': " + t.image() + ": no CPU for ELF machine " + machine;
            }
            if (decided == null) {
                decided = a;
                decidedBy = t;
            } else if (a != decided) {
                return "task '" + t.name() + "': " + t.image() + " is built for " + a.id() + ", but "
                        + (decidedBy == null
                                ? "the manifest says arch = \"" + decided.id() + "\""
                                : "task '" + decidedBy.name() + "' (" + decidedBy.image() + ") is built for "
                                        + decided.id())
                        + "; a system has one architecture";
            }
        }
        return decided == null
                ? "it has no program"
                : "it is built for " + decided.id() + " (ELF machine " + decided.elfMachine() + "), not " + arch.id()
                        + " (" + arch.elfMachine() + ")";
    }

    /**
     * The architecture every program of {@code img} is built for (its manifest's {@code arch}
     * must agree), or null if they differ or one cannot be read.
     */
    static Arch archOf(SystemImage img) {
        Arch found =
                img.manifest().arch() == null ? null : Arch.named(img.manifest().arch());
        for (TaskSpec t : img.manifest().tasks()) {
            Arch a;
            try {
                a = Arch.ofElfMachine(machine(img.source().read(t.image())));
            } catch (IOException e) {
                return null;
            }
            if (a == null || (found != null && a != found)) {
                return null;
            }
            found = a;
        }
        return found;
    }

    /** An ELF file's e_machine, or -1 if {@code b} is not an ELF file. */
    private static int machine(byte[] b) {
        if (b.length < 20 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F') {
            return -1;
        }
        return (b[18] & 0xff) | (b[19] & 0xff) << 8;
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
    static ImageSource withBuiltinFallback(ImageSource primary, String builtinPrograms) {
        ImageSource builtin = ImageSource.classpath(builtinPrograms);
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
