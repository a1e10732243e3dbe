package dev.rewind.hw.unicorn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which Unicorn library {@link UnicornLibrary} will load, worked out without loading anything
 * (no JNA here): so that {@code rewind --version} can name a provisioned engine from its
 * record alone, ~0.13 s sooner than by loading it.
 */
public final class EngineChoice {
    private EngineChoice() {}

    /**
     * Start opening the engine's library on a background thread, so that the dynamic loader's
     * work (JNA's own native part, then relocating a 20 MiB libunicorn) overlaps the rest of a
     * command's start-up (the command-line model, logging, reading the image). Only the
     * {@link com.sun.jna.NativeLibrary} is opened: JNA keeps it by name, so UnicornLibrary's static initialiser
     * finds it loaded. {@link UnicornLibrary} itself is not initialised there (this class has no
     * static state), so a library that cannot be loaded is reported by the thread that needs it,
     * with UnicornLibrary's message; a failure here is dropped.
     */
    static void preload() {
        JnaSetup.apply(); // (before the thread: it is JNA's first use)
        Thread t = new Thread(
                () -> {
                    try {
                        com.sun.jna.NativeLibrary.getInstance(choose().path());
                    } catch (Throwable e) {
                        // Reported by the real load, on the thread that needs it. (Not logged here:
                        // this thread must not be the one that sets up logging.)
                    }
                },
                "engine-preload");
        t.setDaemon(true);
        t.start();
    }

    /**
     * The library to load, where it came from in words, and whether it is the system's by
     * default (fallback: a notice is due), first match wins: an explicit file (system property,
     * then environment), the provisioned engine, the system's.
     */
    record Choice(String path, String from, boolean fallback, boolean overridden) {}

    static Choice choose() {
        String p = System.getProperty(UnicornLibrary.PATH_PROPERTY);
        if (p != null && !p.isBlank()) {
            return new Choice(p, "system property " + UnicornLibrary.PATH_PROPERTY, false, true);
        }
        p = System.getenv(UnicornLibrary.PATH_ENV);
        if (p != null && !p.isBlank()) {
            return new Choice(p, "environment variable " + UnicornLibrary.PATH_ENV, false, true);
        }
        Path cached = provisioned();
        if (cached != null) {
            return new Choice(cached.resolve(UnicornLibrary.DEFAULT_NAME).toString(), describe(cached), false, false);
        }
        return new Choice(
                UnicornLibrary.DEFAULT_NAME,
                "the system's " + UnicornLibrary.DEFAULT_NAME,
                !"system".equals(System.getenv(UnicornLibrary.ENGINE_ENV)),
                false);
    }

    /** The provisioned engine's folder (holding libunicorn.so.2 and ORIGIN), or null. */
    static Path provisioned() {
        if ("system".equals(System.getenv(UnicornLibrary.ENGINE_ENV))) {
            return null;
        }
        String dir = System.getenv(UnicornLibrary.CACHE_ENV);
        if (dir == null || dir.isBlank()) {
            String xdg = System.getenv("XDG_CACHE_HOME");
            String base = xdg != null && !xdg.isBlank() ? xdg : System.getProperty("user.home") + "/.cache";
            dir = base + "/rewind/engine";
        }
        Path current = Path.of(dir, "current");
        if (Files.isRegularFile(current.resolve(UnicornLibrary.DEFAULT_NAME))
                && Files.isRegularFile(current.resolve("ORIGIN"))) {
            return current;
        }
        return null;
    }

    /** The first line of the provisioned engine's ORIGIN file, and where it is. */
    static String describe(Path dir) {
        return firstLine(dir) + ", cached in " + dir;
    }

    private static String firstLine(Path dir) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("ORIGIN"));
            return lines.isEmpty() ? "provisioned" : lines.get(0).strip();
        } catch (IOException e) {
            return "provisioned";
        }
    }

    /**
     * If the library to be loaded is the provisioned one and its record names a version (the
     * package's, e.g. "... libunicorn2t64 2.1.4-4": the Debian revision and epoch dropped),
     * {version, origin, file}; else null (the library must be loaded to say).
     */
    public static String[] provisionedWithoutLoading() {
        if (choose().overridden()) {
            return null;
        }
        Path dir = provisioned();
        if (dir == null) {
            return null;
        }
        String line = firstLine(dir);
        String[] words = line.split("\\s+");
        String v = words[words.length - 1];
        v = v.replaceFirst("^\\d+:", "").replaceFirst("-[^-]*$", "");
        if (!v.matches("\\d+\\.\\d+\\.\\d+")) {
            return null;
        }
        return new String[] {
            v, describe(dir), dir.resolve(UnicornLibrary.DEFAULT_NAME).toString()
        };
    }
}
