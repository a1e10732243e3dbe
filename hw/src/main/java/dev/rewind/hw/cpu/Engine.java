package dev.rewind.hw.cpu;

import dev.rewind.hw.unicorn.Unicorn;
import dev.rewind.hw.unicorn.UnicornException;

/** The CPU engine in use, for what tools print about it (the tools never name the binding). */
public final class Engine {
    private Engine() {}

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
        return Unicorn.hasVirtualTlb() && RiscvCpu.virtualTlbWanted();
    }

    /**
     * The message if {@code e} (or a cause) says the engine's library cannot be loaded, else
     * null. Its static initialiser fails with an ExceptionInInitializerError the first time and
     * NoClassDefFoundError after.
     */
    public static String loadProblem(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof UnicornException && c.getMessage() != null && c.getMessage().startsWith("cannot load the Unicorn library")) {
                return c.getMessage();
            }
            if (c instanceof NoClassDefFoundError && String.valueOf(c.getMessage()).contains("dev/rewind/hw/unicorn/")) {
                return "the Unicorn library could not be loaded (see the first error above): " + c.getMessage();
            }
        }
        return null;
    }
}
