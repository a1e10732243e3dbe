package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import dev.rewind.tools.CliRun.Result;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** What was made lazy or programmatic for start-up time still behaves as before. */
class StartupTest {
    static Result rewind(String... args) {
        return CliRun.rewind(Duration.ofSeconds(60), args);
    }

    @Test
    void versionNamesRewindTheEngineAndJava() {
        for (String opt : List.of("--version", "-V")) {
            Result r = rewind(opt);
            assertEquals(0, r.status(), r::toString);
            String[] lines = r.out().split("\n");
            assertEquals(3, lines.length, r::toString);
            assertTrue(lines[0].startsWith("rewind "), r::toString);
            // The engine's version, where it came from and the file, e.g.
            // "unicorn 2.1.4 from Debian unstable libunicorn2t64 2.1.4-4, cached in DIR: FILE".
            assertTrue(lines[1].matches("unicorn \\d+\\.\\d+\\.\\d+ from .+: .+"), r::toString);
            assertEquals("java " + System.getProperty("java.version"), lines[2]);
            assertEquals("", r.err());
        }
    }

    @Test
    void topLevelHelpListsEveryCommand() {
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"help"})) {
            Result r = rewind(args);
            assertEquals(0, r.status(), r::toString);
            for (String name : Main.SUBCOMMANDS) {
                assertTrue(r.out().contains("\n  " + name + " "), () -> name + " missing:\n" + r);
            }
        }
        Result boot = rewind("help", "boot");
        assertTrue(boot.out().startsWith("Usage: rewind boot"), boot::toString);
    }

    @Test
    void aMistypedCommandIsStillSuggested() {
        Result r = rewind("bot");
        assertEquals(Main.EXIT_USAGE, r.status());
        assertTrue(r.err().contains("Did you mean: rewind boot?"), r::toString);
    }

    @Test
    void onlyTheNamedSubcommandIsBuilt() {
        assertEquals(Set.of("boot"), subcommands("boot", "-q", "builtin:hello.elf"));
        assertEquals(Set.of("disk"), subcommands("disk", "ls", "x.img"));
        Set<String> all = new HashSet<>(Main.SUBCOMMANDS);
        assertEquals(all, subcommands());
        assertEquals(all, subcommands("help", "boot"));
        assertEquals(all, subcommands("--help"));
        assertEquals(all, subcommands("bot"));
        assertEquals(all, subcommands("@args.txt"));
        // The disk command's own subcommands come with it.
        assertEquals(
                Set.of("format", "ls", "cat", "put", "info"),
                new CommandLine(new Main())
                                .addSubcommand("disk", new dev.rewind.tools.disk.DiskCommand())
                                .getSubcommands()
                                .get("disk")
                                .getSubcommands()
                                .keySet()
                                .stream()
                                .filter(n -> !n.equals("help"))
                                .collect(java.util.stream.Collectors.toSet()));
    }

    private static Set<String> subcommands(String... args) {
        CommandLine cl = new CommandLine(new Main());
        Main.addSubcommands(cl, args);
        return cl.getSubcommands().keySet();
    }

    @Test
    void logsGoToStderrInTheSameFormatAsBefore() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
        root.iteratorForAppenders().forEachRemaining(appenders::add);
        assertEquals(1, appenders.size(), appenders::toString);
        ConsoleAppender<?> console = assertInstanceOf(ConsoleAppender.class, appenders.get(0));
        assertEquals("System.err", console.getTarget());
        LayoutWrappingEncoder<?> enc = assertInstanceOf(LayoutWrappingEncoder.class, console.getEncoder());
        assertInstanceOf(LogLayout.class, enc.getLayout());

        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            LoggerFactory.getLogger(StartupTest.class).error("disk {} is full", "d0");
        } finally {
            System.setErr(old);
        }
        String line = err.toString(StandardCharsets.UTF_8);
        assertTrue(line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d ERROR StartupTest - disk d0 is full\\R"), line);
    }

    @Test
    void theLayoutPrintsWhatThePatternDid() {
        // Logback's own PatternLayout with the former pattern, against LogLayout, on the same events
        // (one with a nested exception), in this JVM's zone.
        LoggerContext ctx = new LoggerContext();
        ch.qos.logback.classic.PatternLayout pattern = new ch.qos.logback.classic.PatternLayout();
        pattern.setContext(ctx);
        pattern.setPattern(LogLayout.PATTERN);
        pattern.start();
        LogLayout layout = new LogLayout();
        layout.setContext(ctx);
        layout.start();
        Logger logger = ctx.getLogger("dev.rewind.kernel.Kernel");
        RuntimeException e = new RuntimeException("outer", new IllegalStateException("inner"));
        for (ch.qos.logback.classic.spi.LoggingEvent event : List.of(
                new ch.qos.logback.classic.spi.LoggingEvent(
                        "x", logger, ch.qos.logback.classic.Level.INFO, "disk {} is full", null, new Object[] {"d0"}),
                new ch.qos.logback.classic.spi.LoggingEvent(
                        "x", logger, ch.qos.logback.classic.Level.ERROR, "failed", e, null),
                new ch.qos.logback.classic.spi.LoggingEvent(
                        "x", ctx.getLogger("plain"), ch.qos.logback.classic.Level.WARN, "m", null, null))) {
            assertEquals(pattern.doLayout(event), layout.doLayout(event));
        }
        ctx.stop();
    }

    @Test
    void logTimesAreLocalWithMilliseconds() {
        StringBuilder sb = new StringBuilder();
        long t = java.time.Instant.parse("2026-03-29T00:59:59.007Z").toEpochMilli();
        LogLayout.appendTime(sb, t, java.time.ZoneOffset.UTC.getRules());
        sb.append(' ');
        LogLayout.appendTime(sb, t, java.time.ZoneId.of("Asia/Kolkata").getRules());
        sb.append(' ');
        LogLayout.appendTime(sb, t + 1000, java.time.ZoneId.of("Europe/London").getRules()); // just past 01:00 UTC: BST
        sb.append(' ');
        LogLayout.appendTime(
                sb,
                java.time.Instant.parse("1969-12-31T23:00:00.999Z").toEpochMilli(),
                java.time.ZoneId.of("America/New_York").getRules());
        assertEquals("00:59:59.007 06:29:59.007 02:00:00.007 18:00:00.999", sb.toString());
    }

    @Test
    void theCliProviderConfiguresLogbackLikeLogConfig() {
        LogProvider provider = new LogProvider();
        provider.initialize();
        LoggerContext ctx = assertInstanceOf(LoggerContext.class, provider.getLoggerFactory());
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertEquals(ch.qos.logback.classic.Level.WARN, root.getLevel());
        ConsoleAppender<?> console = assertInstanceOf(ConsoleAppender.class, root.getAppender("STDERR"));
        assertTrue(console.isStarted());
        assertTrue(ctx.isStarted());
        assertTrue(provider.getMDCAdapter() != null && provider.getMarkerFactory() != null);
        ctx.stop();
    }

    @Test
    void rootLevelIsWarnUntilAskedOtherwise() {
        // A fresh context configured by LogConfig, as a new JVM would be.
        LoggerContext ctx = new LoggerContext();
        new LogConfig().configure(ctx);
        assertEquals(
                ch.qos.logback.classic.Level.WARN,
                ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel());
        ctx.stop();
    }
}
