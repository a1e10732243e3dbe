package dev.rewind.hw.unicorn;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The project's own native hooks (hw/src/main/c/: traps.c, undo_log.c, mmu.c), built by Maven for the host
 * and packaged next to this class. Unicorn calls them directly, so recording a trap costs
 * nanoseconds instead of a JNA callback. Loaded once; the library stays loaded for the life
 * of the JVM, as Unicorn holds pointers into it.
 */
final class NativeHooks {
    static final String RESOURCE = "librewind_native.so";
    static final Pointer INTR_HOOK;
    static final Pointer MEM_INVALID_HOOK;
    static final Pointer BLOCK_HOOK;
    static final Pointer MSR_HOOK;
    static final Pointer COUNT_HOOK;
    static final Pointer PAGE_HOOK;
    static final Pointer COUNTDOWN_HOOK;
    static final Pointer ACCESS_HOOK;
    static final Pointer UC_EMU_STOP;
    private static final NativeLibrary LIB;
    /** Where the library was extracted. */
    private static final Path FILE;

    /** Offsets in struct rw_trap. */
    static final int OFF_INTNO = 0;

    static final int OFF_MEM_TYPE = 4;
    static final int OFF_MEM_ADDR = 8;
    static final int OFF_MEM_SIZE = 16;
    /** rw_trap.sysreg: the encoding of a refused MSR (rw_msr_hook). */
    static final int OFF_SYSREG = 20;
    /** rw_msr_hook's trap number (RW_INTNO_MSR). */
    public static final int INTNO_MSR = 0x100;

    static final int OFF_STOP = 24;
    static final int OFF_PREEMPT = 32;
    static final int OFF_PREEMPTED = 36;
    static final int OFF_PREEMPT_PC = 40;
    static final int TRAP_SIZE = 48;

    static {
        UnicornLibrary.ensureLoaded();
        Path file;
        String resource = com.sun.jna.Platform.RESOURCE_PREFIX + "/" + RESOURCE;
        try (InputStream in = NativeHooks.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnicornException("the native hook library " + resource + " is missing from the class path"
                        + " (built for the machine that ran `mvn package`; this is "
                        + com.sun.jna.Platform.RESOURCE_PREFIX
                        + "): rebuild here with `mvn package` (needs gcc: apt-get install gcc)");
            }
            file = Files.createTempFile("rewind_native", ".so");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            file.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UnicornException(-1, "cannot extract " + RESOURCE + ": " + e.getMessage(), e);
        }
        FILE = file;
        LIB = NativeLibrary.getInstance(file.toString());
        INTR_HOOK = LIB.getFunction("rw_intr_hook");
        MEM_INVALID_HOOK = LIB.getFunction("rw_mem_invalid_hook");
        BLOCK_HOOK = LIB.getFunction("rw_block_hook");
        MSR_HOOK = LIB.getFunction("rw_msr_hook");
        COUNT_HOOK = LIB.getFunction("rw_count_hook");
        PAGE_HOOK = LIB.getFunction("rw_page_hook");
        COUNTDOWN_HOOK = LIB.getFunction("rw_countdown_hook");
        ACCESS_HOOK = LIB.getFunction("rw_access_hook");
        UC_EMU_STOP = UnicornLibrary.LIB.getFunction("uc_emu_stop");
        int logSize = LIB.getFunction("rw_access_log_size").invokeInt(new Object[0]);
        if (logSize != 8 + 16 * Unicorn.AccessLog.RING) {
            throw new UnicornException("native hook library mismatch: struct rw_access_log is " + logSize
                    + " bytes, expected " + (8 + 16 * Unicorn.AccessLog.RING));
        }
        int size = LIB.getFunction("rw_trap_size").invokeInt(new Object[0]);
        if (size != TRAP_SIZE) {
            throw new UnicornException(
                    "native hook library mismatch: struct rw_trap is " + size + " bytes, expected " + TRAP_SIZE);
        }
    }

    private NativeHooks() {}

    static Function function(String name) {
        return LIB.getFunction(name);
    }

    private static boolean jniLoaded;

    /**
     * Load the library for the JVM's own native methods too ({@link NativeRun}'s JNI method): the
     * same file, so the same copy of the code (the dynamic loader hands back the handle JNA has).
     */
    static synchronized void loadForJni() {
        if (!jniLoaded) {
            System.load(FILE.toString());
            jniLoaded = true;
        }
    }

    /** The loaded library, for direct mapping ({@code Native.register}) of hot calls. */
    static NativeLibrary library() {
        return LIB;
    }
}
