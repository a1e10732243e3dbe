package dev.rewind.tools;

import dev.rewind.hw.cpu.Engine;
import picocli.CommandLine;

/** {@code rewind --version}: our version and the Unicorn library in use. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        String unicorn;
        try {
            unicorn = Engine.describe();
        } catch (RuntimeException | LinkageError e) {
            Throwable c = e;
            while (c instanceof ExceptionInInitializerError && c.getCause() != null) {
                c = c.getCause(); // the library's static initialiser failed: say why
            }
            unicorn = "not loadable: " + c.getMessage();
        }
        return new String[] {
            "rewind " + (v == null ? "development build" : v),
            "unicorn " + unicorn,
            "java " + System.getProperty("java.version")
        };
    }
}
