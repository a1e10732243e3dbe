package dev.rewind.hw.unicorn;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JNA binding to {@code libunicorn.so.2}: the only class that names Unicorn's C symbols.
 *
 * <p>Hot calls use JNA direct mapping ({@link Native#register}), which is several times cheaper
 * than interface mapping. The variadic {@code uc_hook_add} and {@code uc_ctl} are called
 * through {@link Function}. The {@link NativeLibrary} is held in a static field for the life of
 * the JVM, so Unicorn's code can never be unloaded under a running instance.
 *
 * <p>Which library, first match wins:
 * <ol>
 * <li>the file named by the system property {@value #PATH_PROPERTY} or the environment variable
 *     {@value #PATH_ENV} (a bare name such as {@code libunicorn.so.2} goes through the dynamic
 *     loader's search: the system's library);</li>
 * <li>the engine the launcher provisioned (scripts/engine.sh: Debian unstable's Unicorn 2.1,
 *     cached per user in {@code $XDG_CACHE_HOME/rewind/engine/current}, or the folder named by
 *     {@value #CACHE_ENV}), unless {@value #ENGINE_ENV}{@code =system};</li>
 * <li>the system's {@code libunicorn.so.2} (Debian bookworm: 2.0.1), with a one-line notice of
 *     what it costs.</li>
 * </ol>
 */
final class UnicornLibrary {
    static final String PATH_PROPERTY = "rewind.unicorn.library";
    static final String PATH_ENV = "REWIND_UNICORN_LIBRARY";
    static final String CACHE_ENV = "REWIND_ENGINE_CACHE";
    static final String ENGINE_ENV = "REWIND_ENGINE";
    static final String DEFAULT_NAME = "libunicorn.so.2";

    private static final Logger log = LoggerFactory.getLogger(UnicornLibrary.class);

    static final NativeLibrary LIB;
    static final Function HOOK_ADD;
    static final Function CTL;
    static final String SOURCE;
    /** Where the library came from, in words (for --version). */
    static final String ORIGIN;

    static final int VERSION;

    static {
        JnaSetup.apply();
        EngineChoice.Choice choice = EngineChoice.choose();
        String path = choice.path();
        String from = choice.from();
        boolean fallback = choice.fallback();
        NativeLibrary lib;
        try {
            lib = NativeLibrary.getInstance(path);
        } catch (UnsatisfiedLinkError e) {
            throw new UnicornException("cannot load the Unicorn library '" + path + "' (" + from + "): "
                    + e.getMessage() + "\n  Run ./rewind once (it fetches Unicorn 2.1), install the system's with"
                    + " apt-get install libunicorn2,"
                    + "\n  or point " + PATH_ENV + " (or -D" + PATH_PROPERTY + ") at a libunicorn.so.2 file.");
        }
        Native.register(UnicornLibrary.class, lib);
        LIB = lib;
        HOOK_ADD = lib.getFunction("uc_hook_add");
        CTL = lib.getFunction("uc_ctl");
        SOURCE = path;
        ORIGIN = from;
        VERSION = uc_version(null, null);
        disableHugePages();
        String v = ((VERSION >> 24) & 0xff) + "." + ((VERSION >> 16) & 0xff) + "." + ((VERSION >> 8) & 0xff);
        if (VERSION < 0x02010000 && fallback) {
            log.warn(
                    "using Unicorn {} ({}): guest stores cost ~85-115 ns instead of ~2 ns with 2.1,"
                            + " which ./rewind and scripts/test fetch when online (scripts/engine.sh)",
                    v,
                    from);
        } else {
            log.info("Unicorn {} loaded from {} ({})", v, SOURCE, from);
        }
    }

    private UnicornLibrary() {}

    /**
     * Turn transparent huge pages off for this process (prctl PR_SET_THP_DISABLE), before any
     * engine exists. Each engine's translation buffer is a 1 GiB mapping that QEMU marks
     * MADV_HUGEPAGE, so its first store made it a 2 MiB huge page: 2 MiB of host memory per task
     * where the code it holds needs a few KiB (measured: an idle task 3.0 MiB with, 1.0 MiB
     * without). Failing (not Linux) is harmless.
     */
    private static void disableHugePages() {
        try {
            int r = NativeLibrary.getInstance("c").getFunction("prctl").invokeInt(new Object[] {41, 1L, 0L, 0L, 0L});
            if (r != 0) {
                log.debug("prctl(PR_SET_THP_DISABLE) failed: errno {}", Native.getLastError());
            }
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            log.debug("prctl(PR_SET_THP_DISABLE) unavailable: {}", e.toString());
        }
    }

    static native int uc_version(Pointer major, Pointer minor);

    static native int uc_open(int arch, int mode, Pointer ucOut);

    static native int uc_close(Pointer uc);

    static native String uc_strerror(int code);

    static native int uc_reg_read(Pointer uc, int regid, Pointer value);

    static native int uc_reg_write(Pointer uc, int regid, Pointer value);

    static native int uc_reg_read_batch(Pointer uc, Pointer regs, Pointer vals, int count);

    static native int uc_reg_write_batch(Pointer uc, Pointer regs, Pointer vals, int count);

    static native int uc_mem_map_ptr(Pointer uc, long address, long size, int perms, Pointer host);

    static native int uc_mem_unmap(Pointer uc, long address, long size);

    static native int uc_mem_read(Pointer uc, long address, byte[] bytes, long size);

    static native int uc_mem_protect(Pointer uc, long address, long size, int perms);

    static native int uc_emu_start(Pointer uc, long begin, long until, long timeoutMicros, long count);

    static native int uc_emu_stop(Pointer uc);

    static native int uc_hook_del(Pointer uc, long hook);

    /**
     * (The callbacks, passed to a direct-mapped method, are JNA's direct kind: the native side
     * calls the Java method with its primitive arguments as they are; their pointers are longs,
     * so a call allocates nothing.)
     */
    static native int uc_mmio_map(
            Pointer uc,
            long address,
            long size,
            Unicorn.MmioReadCallback read,
            Pointer userRead,
            Unicorn.MmioWriteCallback write,
            Pointer userWrite);

    /** Load the library now, failing with a clear {@link UnicornException} if it is missing. */
    static void ensureLoaded() {
        // Touching LIB runs the static initialiser.
        if (LIB == null) {
            throw new IllegalStateException("unreachable");
        }
    }
}
