package dev.rewind.kernel;

import dev.rewind.kernel.image.InputFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Where a system image's files (manifest, ELF files) come from. */
public interface ImageSource {
    /** The bytes of {@code name}, relative to the image folder. */
    byte[] read(String name) throws IOException;

    /** A human-readable location of {@code name} for messages. */
    String describe(String name);

    /**
     * The path a manifest written for this system names {@code name} by, or null if that is a
     * bare ELF file outside the current folder (a manifest beside it names it by its file name).
     * A manifest's files: {@code name} as the manifest wrote it; a bare ELF on the host: its path
     * from the current folder, so that a manifest there can name it.
     */
    default String manifestPath(String name) {
        return name;
    }

    /** This source, remembering each file after its first read (for many boots of one image). */
    default ImageSource cached() {
        ImageSource inner = this;
        java.util.Map<String, byte[]> cache = new java.util.concurrent.ConcurrentHashMap<>();
        return new ImageSource() {
            @Override
            public byte[] read(String name) throws IOException {
                byte[] b = cache.get(name);
                if (b == null) {
                    b = inner.read(name);
                    cache.put(name, b);
                }
                return b.clone();
            }

            @Override
            public String describe(String name) {
                return inner.describe(name);
            }

            @Override
            public String manifestPath(String name) {
                return inner.manifestPath(name);
            }
        };
    }

    /**
     * The folder {@code dir} of a bare ELF file: its {@link #manifestPath} is the file's path
     * from the current folder when it is inside it (a manifest may not name {@code ..}), else null.
     */
    static ImageSource bareElf(Path dir) {
        ImageSource files = directory(dir);
        return new ImageSource() {
            @Override
            public byte[] read(String name) throws IOException {
                return files.read(name);
            }

            @Override
            public String describe(String name) {
                return files.describe(name);
            }

            @Override
            public String manifestPath(String name) {
                try {
                    Path cwd = Path.of("").toAbsolutePath().normalize();
                    Path file = dir.resolve(name).toAbsolutePath().normalize();
                    if (!file.startsWith(cwd) || file.equals(cwd)) {
                        return null;
                    }
                    String rel = cwd.relativize(file).toString().replace(java.io.File.separatorChar, '/');
                    for (int i = 0; i < rel.length(); i++) {
                        char c = rel.charAt(i);
                        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                            return null; // not worth a TOML escape: the file name alone
                        }
                    }
                    return rel;
                } catch (RuntimeException e) {
                    return null;
                }
            }
        };
    }

    /** Files in a host folder (regular files of at most {@link InputFiles#MAX_ELF_BYTES} only). */
    static ImageSource directory(Path dir) {
        return new ImageSource() {
            @Override
            public byte[] read(String name) throws IOException {
                // only a regular file of at most MAX_ELF_BYTES: never a FIFO, a device or a huge file
                return InputFiles.read(dir.resolve(name), InputFiles.MAX_ELF_BYTES, "an ELF file");
            }

            @Override
            public String describe(String name) {
                return dir.resolve(name).toString();
            }
        };
    }

    /** Resources under {@code prefix} on the class path (the built-in images). */
    static ImageSource classpath(String prefix) {
        return new ImageSource() {
            @Override
            public byte[] read(String name) throws IOException {
                String path = prefix + "/" + name;
                try (InputStream in = ImageSource.class.getClassLoader().getResourceAsStream(path)) {
                    if (in == null) {
                        throw new NoSuchFileException("classpath:" + path, null, "built-in image file not found");
                    }
                    return in.readAllBytes();
                }
            }

            @Override
            public String describe(String name) {
                return "builtin:" + name;
            }
        };
    }
}
