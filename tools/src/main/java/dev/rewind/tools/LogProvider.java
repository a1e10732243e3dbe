package dev.rewind.tools;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.status.StatusUtil;
import ch.qos.logback.core.util.StatusPrinter;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The CLI's SLF4J provider: Logback, configured by {@link LogConfig} directly. Logback's own
 * provider finds its configuration through a service lookup whose class loader helper checks a
 * security permission, which makes the JDK load and parse its security policy (~20 ms of every
 * command); this one calls the configuration itself. {@link Main#main} selects it through SLF4J's
 * {@value #PROPERTY} property (the library's tests and embedders keep Logback's provider, which
 * finds the same {@link LogConfig}). With {@code -Dlogback.configurationFile=FILE}, Logback's own
 * start-up reads that file, as before.
 */
public final class LogProvider implements SLF4JServiceProvider {
    /** SLF4J's system property naming the provider class. */
    public static final String PROPERTY = "slf4j.provider";

    private LoggerContext context;
    private IMarkerFactory markers;
    private LogbackMDCAdapter mdc;

    /**
     * Make this the provider of this JVM unless one was named already, and keep SLF4J's own
     * "loading provider X" notice off stderr. Call before the first logger is asked for.
     */
    static void select() {
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, LogProvider.class.getName());
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
    }

    @Override
    public void initialize() {
        LoggerContext ctx = new LoggerContext();
        ctx.setName(CoreConstants.DEFAULT_CONTEXT_NAME);
        mdc = new LogbackMDCAdapter();
        ctx.setMDCAdapter(mdc);
        if (System.getProperty("logback.configurationFile") != null) {
            try {
                new ContextInitializer(ctx).autoConfig();
            } catch (Exception e) {
                System.err.println("rewind: logging configuration failed: " + e);
            }
            if (!StatusUtil.contextHasStatusListener(ctx)) {
                StatusPrinter.printInCaseOfErrorsOrWarnings(ctx);
            }
        } else {
            LogConfig config = new LogConfig();
            config.setContext(ctx);
            config.configure(ctx);
        }
        ctx.start();
        markers = new BasicMarkerFactory();
        context = ctx;
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return context;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }
}
