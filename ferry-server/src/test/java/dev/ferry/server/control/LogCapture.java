package dev.ferry.server.control;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/** Keeps every log line written in this JVM while installed, once, with its stack trace, at every level that is enabled. */
public final class LogCapture
        extends AbstractAppender
        implements AutoCloseable
{
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private LogCapture()
    {
        super("capture-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY);
    }

    public static LogCapture install()
    {
        LogCapture capture = new LogCapture();
        capture.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        LoggerConfig root = configuration.getRootLogger();
        root.addAppender(capture, null, null);
        // An additive logger passes its events on to the root: only loggers that do not get the appender too, so that
        // each line is kept once.
        for (LoggerConfig logger : configuration.getLoggers().values()) {
            if (logger != root && !logger.isAdditive()) {
                logger.addAppender(capture, null, null);
            }
        }
        context.updateLoggers();
        return capture;
    }

    @Override
    public void append(LogEvent event)
    {
        StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ').append(event.getMessage().getFormattedMessage());
        if (event.getThrown() != null) {
            StringWriter trace = new StringWriter();
            event.getThrown().printStackTrace(new PrintWriter(trace));
            line.append('\n').append(trace);
        }
        lines.add(line.toString());
    }

    public List<String> lines()
    {
        return List.copyOf(lines);
    }

    @Override
    public void close()
    {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        configuration.getRootLogger().removeAppender(getName());
        for (LoggerConfig logger : configuration.getLoggers().values()) {
            logger.removeAppender(getName());
        }
        context.updateLoggers();
        stop();
    }
}
