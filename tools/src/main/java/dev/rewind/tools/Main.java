package dev.rewind.tools;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.rewind.tools.bench.BenchCommand;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.List;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code rewind} command line. */
@Command(
        name = "rewind",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Rewind: an emulated RISC-V 64 and AArch64 machine and microkernel whose servers survive their own faults.",
            ""
        },
        footer = {"", "Run 'rewind help COMMAND' for a command's options."})
public final class Main implements Runnable {
    /** Exit status for bad usage or an image that cannot be booted. */
    public static final int EXIT_USAGE = 2;
    /** Exit status for a bug in Rewind itself (an unexpected exception). */
    public static final int EXIT_INTERNAL = 70;

    /** Exit status when the standard output could not be written (sysexits EX_IOERR). */
    public static final int EXIT_IO = 74;

    /** Exit status when the Unicorn library cannot be loaded (sysexits EX_UNAVAILABLE). */
    public static final int EXIT_ENGINE = 69;

    /** The subcommands, in the order 'rewind --help' lists them; see {@link #addSubcommands}. */
    static final List<String> SUBCOMMANDS =
            List.of("boot", "inject", "survival", "images", "disk", "bench", "test", "help");

    /** The subcommands that run guests, for which the engine is loaded while the rest starts. */
    private static final List<String> GUEST_COMMANDS = List.of("boot", "inject", "survival", "test");

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.setErr(lineBufferedStderr());
        LogProvider.select();
        int status = run(args);
        System.err.flush();
        System.exit(status);
    }

    /**
     * Standard error that reaches the file a whole line per write: the JVM's own writes each
     * piece of a {@code printf} separately (a fault line was 9 writes), so with stdout and stderr
     * on one terminal or pipe the guest console, written meanwhile by its own thread under
     * {@code --timeout}, landed in the middle of "rewind: task ... faulted" lines. Flushed at every
     * newline and by {@link Progress}, which draws without one.
     */
    static PrintStream lineBufferedStderr() {
        Charset cs = Charset.defaultCharset();
        String name = System.getProperty("sun.stderr.encoding");
        if (name != null) {
            try {
                cs = Charset.forName(name);
            } catch (IllegalArgumentException unknown) {
                // keep the default, as the JVM's own stderr does
            }
        }
        // (not PrintStream's autoflush, which flushes after every piece it encodes)
        return new PrintStream(new LineBuffered(new FileOutputStream(FileDescriptor.err)), false, cs);
    }

    /** Buffers bytes until a newline (or 8 KiB, or a flush), then writes them at once. */
    static final class LineBuffered extends BufferedOutputStream {
        LineBuffered(OutputStream out) {
            super(out, 8192);
        }

        @Override
        public synchronized void write(int b) throws IOException {
            super.write(b);
            if (b == '\n') {
                flush();
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            super.write(b, off, len);
            for (int i = off + len - 1; i >= off; i--) {
                if (b[i] == '\n') {
                    flush();
                    return;
                }
            }
        }
    }

    /**
     * Run the CLI and return its exit status (tests call this). Output that could not be written
     * (stdout a full disk, a closed pipe) makes a command that otherwise succeeded fail with
     * {@link #EXIT_IO}: a user redirecting a report to a file must not be told all went well.
     */
    public static int run(String... args) {
        stdoutAbandoned = false;
        int status = dispatch(args);
        if (!stdoutAbandoned && System.out.checkError()) { // flushes, then says whether any write to stdout failed
            System.err.println("rewind: cannot write the standard output: some of what this command printed is lost");
            if (status == 0) {
                status = EXIT_IO;
            }
        }
        return status;
    }

    /** Set when a command gave up on a stdout that stopped taking output: checking it would block. */
    private static volatile boolean stdoutAbandoned;

    /**
     * Say that stdout stopped taking output and what it did not take was reported as lost (a
     * {@code --timeout} run whose console a reader left unread): the end-of-command check of
     * stdout is skipped, as it would wait on that reader.
     */
    static void abandonStdout() {
        stdoutAbandoned = true;
    }

    private static int dispatch(String... args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            // What picocli would print, without building its model of the command line (a third
            // of the time 'rewind --version' took).
            for (String line : new VersionProvider().getVersion()) {
                System.out.println(line);
            }
            return 0;
        }
        if (args.length > 0 && GUEST_COMMANDS.contains(args[0])) { // (also a bare "boot": the demo)
            dev.rewind.hw.cpu.Engine.preload(); // overlaps the command line's model and logging set-up
        }
        CommandLine cl = new CommandLine(new Main());
        addSubcommands(cl, args);
        cl.setUsageHelpWidth(110); // the help texts are written for 110 columns (picocli's 80 breaks their lines)
        Handlers handlers = new Handlers();
        cl.setExitCodeExceptionMapper(handlers);
        cl.registerConverter(java.nio.file.Path.class, handlers);
        cl.setExecutionExceptionHandler(handlers);
        cl.setParameterExceptionHandler(handlers);
        cl.setExecutionStrategy(handlers);
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
        spec.commandLine().usage(System.out);
    }

    /**
     * How the command line reports errors and converts file names. A class rather than lambdas:
     * picocli's class files predate Java 6, and a lambda implementing one of its interfaces makes
     * the class-data sharing dump link that interface early and leave it (and every picocli class
     * implementing it, such as its 29 built-in converters) out of the archive.
     */
    private static final class Handlers
            implements CommandLine.IExitCodeExceptionMapper,
                    CommandLine.ITypeConverter<java.nio.file.Path>,
                    CommandLine.IExecutionExceptionHandler,
                    CommandLine.IParameterExceptionHandler,
                    CommandLine.IExecutionStrategy {
        /**
         * picocli's own strategy, except that words it could not place are an error also when
         * help was asked for: it shows the help of the last command it knew and exits 0, so
         * {@code rewind trace --help} printed the list of commands (without trace) as if all were
         * well.
         */
        @Override
        public int execute(CommandLine.ParseResult parsed) {
            for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
                if (!p.unmatched().isEmpty()) {
                    throw new CommandLine.UnmatchedArgumentException(
                            p.commandSpec().commandLine(), p.unmatched());
                }
            }
            return new CommandLine.RunLast().execute(parsed);
        }

        @Override
        public int getExitCode(Throwable e) {
            return EXIT_USAGE;
        }

        /** picocli's own Path conversion reports a NUL byte as "java.nio.file.InvalidPathException: ...". */
        @Override
        public java.nio.file.Path convert(String s) {
            if (s.isEmpty()) { // Path.of("") is the current folder: "'' is a directory" would puzzle
                throw new CommandLine.TypeConversionException("an empty file name");
            }
            try {
                return java.nio.file.Path.of(s);
            } catch (java.nio.file.InvalidPathException e) {
                throw new CommandLine.TypeConversionException("not a file name: '" + s + "' (" + e.getReason() + ")");
            }
        }

        @Override
        public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parse) {
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
        }

        /**
         * picocli's own report (message, suggestions or usage), with control characters of the
         * user's arguments escaped so that they cannot garble the terminal.
         */
        @Override
        public int handleParseException(CommandLine.ParameterException e, String[] args) {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println(Printable.escape(e.getMessage()));
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr())) {
                cmd.usage(cmd.getErr(), cmd.getColorScheme());
            }
            return EXIT_USAGE;
        }
    }

    /**
     * Register the subcommands this command line can reach. Building picocli's model of a command
     * loads its classes and reads its annotations, which for all of them cost more than the rest of
     * a short run: {@code rewind boot ...} gets only {@code boot}, anything else (no arguments,
     * {@code help}, an option, an unknown name, an {@code @file}) all of them.
     */
    static void addSubcommands(CommandLine cl, String... args) {
        String first = args.length > 0 ? args[0] : "";
        boolean one = SUBCOMMANDS.contains(first) && !first.equals("help");
        for (String name : SUBCOMMANDS) {
            if (!one || name.equals(first)) {
                cl.addSubcommand(name, newSubcommand(name));
            }
        }
    }

    private static Object newSubcommand(String name) {
        switch (name) {
            case "boot":
                return new BootCommand();
            case "inject":
                return new dev.rewind.tools.inject.InjectCommand();
            case "survival":
                return new dev.rewind.tools.inject.SurvivalCommand();
            case "images":
                return new ImagesCommand();
            case "disk":
                return new dev.rewind.tools.disk.DiskCommand();
            case "bench":
                return new BenchCommand();
            case "test":
                return new TestCommand();
            case "help":
                return new CommandLine.HelpCommand();
            default:
                throw new IllegalArgumentException(name);
        }
    }

    /** Set the root log level ("error", "warn", "info", "debug", "trace"). */
    public static void setLogLevel(String level) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level l = Level.toLevel(level, null);
        if (l == null) {
            throw new IllegalArgumentException(
                    "--log-level: unknown log level '" + level + "' (expected error, warn, info, debug or trace)");
        }
        root.setLevel(l);
    }
}
