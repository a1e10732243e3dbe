package dev.rewind.hw.cpu;

import dev.rewind.hw.unicorn.Unicorn;
import dev.rewind.hw.unicorn.UnicornException;

/** The CPU engine in use, for what tools print about it (the tools never name the binding). */
public final class Engine {
    private Engine() {}

    /**
     * What {@code rewind --version} says of the engine: "VERSION from ORIGIN: FILE", and a note
     * when stores are slow. A provisioned engine is named from its ORIGIN record without loading
     * it (the load is ~0.13 s of the command); any other is loaded to ask its version.
     */
    public static String describe() {
        String[] p = dev.rewind.hw.unicorn.EngineChoice.provisionedWithoutLoading();
        String version;
        String origin;
        String file;
        boolean fast;
        if (p != null) {
            version = p[0];
            origin = p[1];
            file = p[2];
            String[] mm = version.split("\\.");
            boolean at21 =
                    Integer.parseInt(mm[0]) > 2 || (Integer.parseInt(mm[0]) == 2 && Integer.parseInt(mm[1]) >= 1);
            fast = at21 && !"cpu".equals(System.getProperty(UnicornCpu.TLB_PROPERTY));
        } else {
            version = version();
            origin = origin();
            file = library();
            fast = fastStores();
        }
        return version + " from " + origin + ": " + file
                + (fast ? "" : " (no virtual TLB: slow stores; see docs/PERFORMANCE.md)");
    }

    /**
     * Start loading the engine in the background, for a command that will run guests: its
     * ~0.07 s then overlaps the rest of start-up. Errors are reported by the load that needs it.
     */
    public static void preload() {
        Unicorn.preload();
    }

    /** The engine's version, "major.minor.patch" (loads the library). */
    public static String version() {
        return Unicorn.version();
    }

    /** Where it came from, in words: the provisioned engine, an override, or the system's. */
    public static String origin() {
        return Unicorn.libraryOrigin();
    }

    /** The library file (or name) loaded. */
    public static String library() {
        return Unicorn.librarySource();
    }

    /** True if guest stores take the engine's fast path (Unicorn 2.1's virtual TLB and the MMU in its fill hook). */
    public static boolean fastStores() {
        return Unicorn.hasVirtualTlb() && UnicornCpu.virtualTlbWanted();
    }

    /**
     * The message if {@code e} (or a cause) says the engine's library cannot be loaded, else
     * null. Its static initialiser fails with an ExceptionInInitializerError the first time and
     * NoClassDefFoundError after.
     */
    public static String loadProblem(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof UnicornException
                    && c.getMessage() != null
                    && c.getMessage().startsWith("cannot load the Unicorn library")) {
                return c.getMessage();
            }
            if (c instanceof NoClassDefFoundError
                    && String.valueOf(c.getMessage()).contains("dev/rewind/hw/unicorn/")) {
                return "the Unicorn library could not be loaded (see the first error above): " + c.getMessage();
            }
        }
        return null;
    }
}
