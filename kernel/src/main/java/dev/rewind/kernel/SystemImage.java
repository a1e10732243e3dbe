package dev.rewind.kernel;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.elf.ElfException;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.kernel.image.InputFiles;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.ManifestException;
import dev.rewind.kernel.image.RecoveryPolicy;
import dev.rewind.kernel.image.TaskSpec;
import dev.rewind.kernel.text.Suggestions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A bootable system: a manifest plus the place its ELF files come from. Either a manifest
 * ({@code .toml}) naming its tasks, or a bare ELF file, which boots as a one-task system.
 * Built-in images (packaged from guest/build/image) are named {@code builtin:NAME}.
 */
public record SystemImage(Manifest manifest, ImageSource source, String location) {
    public static final String BUILTIN_PREFIX = "builtin:";
    static final String BUILTIN_FOLDER = "rewind/image";

    /** Open a path (manifest or ELF) or a builtin:NAME. */
    public static SystemImage open(String spec) throws BootException {
        if (spec.startsWith(BUILTIN_PREFIX)) {
            return builtin(spec.substring(BUILTIN_PREFIX.length()));
        }
        Path path;
        try {
            path = Path.of(spec);
        } catch (InvalidPathException e) {
            throw new BootException("not a valid file name: " + Manifest.escape(spec));
        }
        if (!Files.exists(path)) {
            throw new BootException("no such image file: " + Manifest.escape(spec));
        }
        if (Files.isDirectory(path)) {
            throw new BootException("no such image file: " + spec + " (a folder: name the manifest .toml in it)");
        }
        Path dir = path.toAbsolutePath().getParent();
        byte[] bytes;
        try {
            bytes = InputFiles.read(path, InputFiles.MAX_ELF_BYTES, "a boot image");
        } catch (IOException e) {
            throw new BootException("cannot read " + spec + ": " + e.getMessage(), e);
        }
        return fromBytes(path.getFileName().toString(), bytes, ImageSource.directory(dir), spec, dir);
    }

    /**
     * The architecture the system runs on, as the kernel decides it at boot: the manifest's
     * {@code arch}, else the ELF machine of its first task's image. Throws BootException if
     * that image cannot be read or is built for a machine that cannot run here.
     */
    public Arch arch() throws BootException {
        if (manifest.arch() != null) {
            return Arch.named(manifest.arch());
        }
        if (manifest.tasks().isEmpty()) {
            return Arch.RISCV64;
        }
        String file = manifest.tasks().get(0).image();
        try {
            int machine = ElfImage.parse(source.read(file), file).machine();
            Arch a = Arch.ofElfMachine(machine);
            if (a == null) {
                throw new BootException(file + ": no CPU for ELF machine " + machine);
            }
            return a;
        } catch (IOException | ElfException e) {
            throw new BootException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The prefix of the AArch64 builds of the built-in images: builtin:aarch64/NAME. */
    public static final String AARCH64_PREFIX = "aarch64/";

    /**
     * A built-in image: a manifest "NAME.toml" or ELF "NAME.elf" (or NAME as given); with the
     * prefix {@value #AARCH64_PREFIX}, the same image built for AArch64.
     */
    public static SystemImage builtin(String name) throws BootException {
        if (name.isBlank()) {
            throw new BootException("builtin: needs a name; see `rewind images` (e.g. builtin:demo.toml)");
        }
        String folder = BUILTIN_FOLDER;
        String shown = "";
        if (name.startsWith(AARCH64_PREFIX)) {
            folder = BUILTIN_FOLDER + "/aarch64";
            shown = AARCH64_PREFIX;
            name = name.substring(AARCH64_PREFIX.length());
        }
        ImageSource src = ImageSource.classpath(folder);
        boolean safe = !name.isEmpty() && !name.contains("/") && !name.contains("\\") && !name.contains("..");
        // Only the images the packaged INDEX lists: a folder of the class path (builtin:aarch64)
        // reads as an empty "file"
        List<String> known = builtinNames();
        for (String candidate : List.of(name, name + ".toml", name + ".elf")) {
            if (!safe) {
                break;
            }
            if (!known.isEmpty() && !known.contains(shown + candidate)) {
                continue;
            }
            try {
                byte[] bytes = src.read(candidate);
                return fromBytes(candidate, bytes, src, BUILTIN_PREFIX + shown + candidate);
            } catch (IOException e) {
                // try the next candidate
            }
        }
        throw new BootException("no built-in image '" + Manifest.escape(shown + name) + "'"
                + builtinSuggestion(shown + name)
                + " (see `rewind images`)");
    }

    /** The names of the built-in images (from the packaged INDEX), or none if it is missing. */
    public static List<String> builtinNames() {
        List<String> out = new ArrayList<>();
        readIndex(BUILTIN_FOLDER + "/INDEX", "", out);
        readIndex(BUILTIN_FOLDER + "/aarch64/INDEX", AARCH64_PREFIX, out);
        return out;
    }

    private static void readIndex(String resource, String prefix, List<String> out) {
        try (InputStream in = SystemImage.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return;
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String n = line.strip();
                if (!n.isEmpty() && !n.equals("INDEX")) {
                    out.add(prefix + n);
                }
            }
        } catch (IOException e) {
            // no index: no names from it
        }
    }

    /** "; did you mean 'builtin:hello.elf'?" for a near miss among the built-in images, else "". */
    static String builtinSuggestion(String name) {
        // each image by its full name and without its extension ("hell" is near "hello")
        Map<String, String> forms = new LinkedHashMap<>();
        for (String n : builtinNames()) {
            forms.putIfAbsent(n, n);
            forms.putIfAbsent(n.replaceFirst("\\.(toml|elf)$", ""), n);
        }
        return Suggestions.closest(name, forms.keySet())
                .map(f -> "; did you mean '" + BUILTIN_PREFIX + forms.get(f) + "'?")
                .orElse("");
    }

    private static SystemImage fromBytes(String fileName, byte[] bytes, ImageSource src, String location)
            throws BootException {
        return fromBytes(fileName, bytes, src, location, null);
    }

    /** {@code hostDir}: the host folder the file is in, or null (a built-in image). */
    private static SystemImage fromBytes(String fileName, byte[] bytes, ImageSource src, String location, Path hostDir)
            throws BootException {
        if (bytes.length == 0) {
            throw new BootException(
                    Manifest.escape(fileName) + ": empty file (expected a manifest .toml or an ELF executable)");
        }
        boolean elf = bytes.length >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F';
        String lower = fileName.toLowerCase(Locale.ROOT);
        boolean toml = !elf && lower.endsWith(".toml");
        if (elf || lower.endsWith(".elf") || (!toml && !looksLikeText(bytes))) {
            try {
                ElfImage.parse(bytes, fileName); // fail early with the loader's message
            } catch (ElfException e) {
                throw new BootException(e.getMessage(), e);
            }
            return new SystemImage(
                    singleTask(fileName), hostDir == null ? src : ImageSource.bareElf(hostDir), location);
        }
        if (bytes.length > InputFiles.MAX_TEXT_BYTES) {
            throw new BootException(Manifest.escape(fileName) + ": too large for a manifest (" + bytes.length
                    + " bytes; the limit is " + InputFiles.formatBytes(InputFiles.MAX_TEXT_BYTES) + ")");
        }
        try {
            return new SystemImage(Manifest.parse(new String(bytes, StandardCharsets.UTF_8), fileName), src, location);
        } catch (ManifestException e) {
            throw new BootException(e.getMessage(), e);
        }
    }

    private static boolean looksLikeText(byte[] bytes) {
        int n = Math.min(bytes.length, 512);
        for (int i = 0; i < n; i++) {
            int b = bytes[i] & 0xff;
            if (b < 0x09 || (b > 0x0d && b < 0x20 && b != 0x1b)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The manifest of a one-task system running {@code elfName} with default settings, but the
     * stack and heap of a program that has the machine to itself ({@link TaskSpec#ELF_STACK},
     * {@link TaskSpec#ELF_HEAP}).
     */
    static Manifest singleTask(String elfName) {
        String base =
                elfName.replaceFirst("\\.[^.]*$", "").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "_");
        if (base.isEmpty()) {
            base = "main";
        }
        if (base.length() > 32) {
            base = base.substring(0, 32);
        }
        TaskSpec spec = new TaskSpec(
                base,
                elfName,
                TaskSpec.DEFAULT_PRIORITY,
                TaskSpec.ELF_STACK,
                TaskSpec.ELF_HEAP,
                List.of(),
                List.of(),
                List.of(),
                RecoveryPolicy.NONE,
                0,
                TaskSpec.TxipcLimits.DEFAULT,
                0);
        return new Manifest(base, Manifest.DEFAULT_QUANTUM_MS, List.of(spec));
    }
}
