package dev.rewind.hw.unicorn;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * JNA settings made before JNA's first use in this JVM. On Linux, JNA's first library lookup starts
 * {@code /sbin/ldconfig -p} to learn the dynamic loader's folders unless the system property
 * {@value #PLATFORM_PATH} names them (a process forked from the JVM, ~20 ms of a short command's
 * start-up). This names the folders JNA would look in anyway (multiarch, lib64, lib, and
 * {@code /usr/local/lib}, which Debian's loader configuration adds); a value the user set is kept.
 * The binding loads the engine and its own library by path, and other libraries by full soname
 * (the dynamic loader's own search), so only bare names such as {@code "c"} use these folders.
 */
final class JnaSetup {
    static final String PLATFORM_PATH = "jna.platform.library.path";

    private JnaSetup() {}

    /** Apply the settings (idempotent; call before the first JNA class is initialised). */
    static void apply() {
        if (System.getProperty(PLATFORM_PATH) == null) {
            String path = platformPath(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
            if (path != null) {
                System.setProperty(PLATFORM_PATH, path);
            }
        }
    }

    /**
     * The loader's folders for {@code os}/{@code arch} that exist here, joined by the path
     * separator; null off Linux (JNA's own default is kept there).
     */
    static String platformPath(String os, String arch) {
        if (!os.startsWith("Linux")) {
            return null;
        }
        String multiarch = switch (arch) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64" -> "aarch64-linux-gnu";
            case "riscv64" -> "riscv64-linux-gnu";
            default -> null;
        };
        List<String> dirs = new ArrayList<>();
        if (multiarch != null) {
            dirs.add("/usr/local/lib/" + multiarch);
        }
        dirs.add("/usr/local/lib");
        if (multiarch != null) {
            dirs.add("/usr/lib/" + multiarch);
            dirs.add("/lib/" + multiarch);
        }
        dirs.addAll(List.of("/usr/lib64", "/lib64", "/usr/lib", "/lib"));
        StringBuilder sb = new StringBuilder();
        for (String d : dirs) {
            if (new File(d).isDirectory()) {
                if (sb.length() > 0) {
                    sb.append(File.pathSeparatorChar);
                }
                sb.append(d);
            }
        }
        return sb.toString();
    }
}
