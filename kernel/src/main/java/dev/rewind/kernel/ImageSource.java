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
