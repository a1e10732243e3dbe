package dev.rewind.tools;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneId;
import java.time.zone.ZoneRules;

/**
 * Rewind's log line: {@code HH:mm:ss.SSS LEVEL Logger - message}, local time, the level padded to
 * five characters, the logger's simple name, then the exception's stack trace if there is one:
 * what the pattern {@code %d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n} printed. Written out
 * rather than compiled from that pattern: Logback's pattern compiler and date formatter cost a
 * short command ~35 ms of start-up (they load the time-zone database, locale data and a security
 * policy) for lines that a normal run never prints. The time zone is read at the first line. A line
 * logged for a case of {@code rewind test} has the case's name after the level ({@link #CASE_KEY}).
 */
public final class LogLayout extends LayoutBase<ILoggingEvent> {
    /** The pattern this layout prints, in Logback's notation (for documentation and tests). */
    public static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

    /**
     * The SLF4J MDC key under which {@code rewind test} puts the name of the case
     * ({@code SUITE/ARCH/CASE}) whose kernel logs on the thread: its lines show it in brackets
     * after the level ({@code 12:00:00.000 INFO  [core/riscv64/hello] Kernel - ...}), so that the
     * lines of cases run in parallel can be told apart. Other commands set no case: their lines are
     * as {@link #PATTERN} prints them.
     */
    public static final String CASE_KEY = "rewind.case";

    /** The local zone's rules, read at the first line. */
    private static final class Zone {
        static final ZoneRules RULES = ZoneId.systemDefault().getRules();
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder sb = new StringBuilder(128);
        appendTime(sb, event.getTimeStamp(), Zone.RULES);
        sb.append(' ');
        String level = event.getLevel().toString();
        sb.append(level);
        for (int i = level.length(); i < 5; i++) {
            sb.append(' ');
        }
        sb.append(' ');
        String inCase = caseOf(event);
        if (inCase != null) {
            sb.append('[').append(inCase).append("] ");
        }
        sb.append(simpleName(event.getLoggerName())).append(" - ");
        sb.append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            sb.append(ThrowableProxyUtil.asString(thrown)); // (ends with a line separator)
        }
        return sb.toString();
    }

    /** The case {@code event} was logged for ({@link #CASE_KEY}), or null. */
    private static String caseOf(ILoggingEvent event) {
        try {
            java.util.Map<String, String> mdc = event.getMDCPropertyMap();
            return mdc == null ? null : mdc.get(CASE_KEY);
        } catch (NullPointerException noAdapter) {
            return null; // an event made outside a configured context (no MDC adapter): no case
        }
    }

    /** {@code HH:mm:ss.SSS} of {@code millis} (since the epoch) in the zone of {@code rules}. */
    static void appendTime(StringBuilder sb, long millis, ZoneRules rules) {
        long offset = rules.getOffset(Instant.ofEpochMilli(millis)).getTotalSeconds() * 1000L;
        long ms = Math.floorMod(millis + offset, 86_400_000L);
        two(sb, ms / 3_600_000);
        sb.append(':');
        two(sb, ms / 60_000 % 60);
        sb.append(':');
        two(sb, ms / 1000 % 60);
        sb.append('.');
        long frac = ms % 1000;
        sb.append((char) ('0' + frac / 100))
                .append((char) ('0' + frac / 10 % 10))
                .append((char) ('0' + frac % 10));
    }

    private static void two(StringBuilder sb, long v) {
        sb.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
    }

    /** The part after the last dot (Logback's {@code %logger{0}}). */
    static String simpleName(String logger) {
        return logger.substring(logger.lastIndexOf('.') + 1);
    }
}
