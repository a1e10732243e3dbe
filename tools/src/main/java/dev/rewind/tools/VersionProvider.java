package dev.rewind.tools;

import dev.rewind.hw.unicorn.Unicorn;
import picocli.CommandLine;

/** {@code rewind --version}: our version and the Unicorn library in use. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        String unicorn;
        try {
            unicorn = Unicorn.version() + " from " + Unicorn.libraryOrigin() + ": " + Unicorn.librarySource()
                    + (Unicorn.hasVirtualTlb() ? "" : " (no virtual TLB: slow stores; see docs/PERFORMANCE.md)");
        } catch (RuntimeException | LinkageError e) {
            Throwable c = e;
            while (c instanceof ExceptionInInitializerError && c.getCause() != null) {
                c = c.getCause(); // the library's static initialiser failed: say why
            }
            unicorn = "not loadable: " + c.getMessage();
        }
        return new String[] {"rewind " + (v == null ? "development build" : v), "unicorn " + unicorn,
                "java " + System.getProperty("java.version")};
    }
}
