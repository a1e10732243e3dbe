package dev.rewind.tools;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.rewind.tools.bench.BenchCommand;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code rewind} command line. */
@Command(name = "rewind", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Rewind: an emulated RISC-V 64 machine and microkernel whose servers survive their own faults.", ""},
        subcommands = {BootCommand.class, dev.rewind.tools.inject.InjectCommand.class, dev.rewind.tools.inject.SurvivalCommand.class, ImagesCommand.class, dev.rewind.tools.disk.DiskCommand.class, BenchCommand.class, TestCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'rewind help COMMAND' for a command's options."})
public final class Main implements Runnable {
    /** Exit status for bad usage or an image that cannot be booted. */
    public static final int EXIT_USAGE = 2;
    /** Exit status for a bug in Rewind itself (an unexpected exception). */
    public static final int EXIT_INTERNAL = 70;

    /** Exit status when the Unicorn library cannot be loaded (sysexits EX_UNAVAILABLE). */
    public static final int EXIT_ENGINE = 69;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Run the CLI and return its exit status (tests call this). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(e -> EXIT_USAGE);
        // picocli's own Path conversion reports a NUL byte as "java.nio.file.InvalidPathException: ...".
        cl.registerConverter(java.nio.file.Path.class, s -> {
            try {
                return java.nio.file.Path.of(s);
            } catch (java.nio.file.InvalidPathException e) {
                throw new CommandLine.TypeConversionException("not a file name: '" + s + "' (" + e.getReason() + ")");
            }
        });
        cl.setExecutionExceptionHandler((e, cmd, parse) -> {
            String engine = engineProblem(e);
            if (engine != null) {
                cmd.getErr().println("rewind: " + engine);
                return EXIT_ENGINE;
            }
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("rewind: " + Printable.escape(e.getMessage()));
                return EXIT_USAGE;
            }
            cmd.getErr().println("rewind: internal error: " + e);
            LoggerFactory.getLogger(Main.class).error("internal error", e);
            return EXIT_INTERNAL;
        });
        cl.setParameterExceptionHandler((e, unused) -> {
            // picocli's own report (message, suggestions or usage), with control characters of
            // the user's arguments escaped so that they cannot garble the terminal.
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println(Printable.escape(e.getMessage()));
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr())) {
                cmd.usage(cmd.getErr(), cmd.getColorScheme());
            }
            return EXIT_USAGE;
        });
        cl.getCommandSpec().exitCodeOnInvalidInput(EXIT_USAGE);
        try {
            return cl.execute(args);
        } catch (Error e) {
            String engine = engineProblem(e);
            if (engine != null) {
                System.err.println("rewind: " + engine);
                return EXIT_ENGINE;
            }
            // picocli hands only Exceptions to the handler above; a JVM error (a StackOverflowError
            // of a parser, say) would otherwise leave as an uncaught stack trace with status 1.
            System.err.println("rewind: internal error: " + e);
            LoggerFactory.getLogger(Main.class).error("internal error", e);
            return EXIT_INTERNAL;
        }
    }

    /**
     * The message if {@code e} says the Unicorn library cannot be loaded (not an internal error:
     * the machine lacks the engine), else null. The binding's static initialiser fails with an
     * ExceptionInInitializerError the first time, NoClassDefFoundError after.
     */
    static String engineProblem(Throwable e) {
        return dev.rewind.hw.cpu.Engine.loadProblem(e);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Set the root log level ("error", "warn", "info", "debug", "trace"). */
    public static void setLogLevel(String level) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level l = Level.toLevel(level, null);
        if (l == null) {
            throw new IllegalArgumentException("--log-level: unknown log level '" + level
                    + "' (expected error, warn, info, debug or trace)");
        }
        root.setLevel(l);
    }
}
