package dev.relay.queue.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * Log lines captured for a test, safe to read while other threads still log.
 *
 * <p>Logback's {@code ListAppender} appends to a plain {@code ArrayList} under the appender's own
 * lock; a test that streams over {@code list} while a server thread logs gets a
 * {@code ConcurrentModificationException} now and then. This one keeps the events in a
 * {@link CopyOnWriteArrayList}, so every read sees a consistent snapshot.
 *
 * <pre>
 * try (CapturedLogs logs = CapturedLogs.of(SmtpServer.class)) { ...; assertThat(logs.messages())... }
 * </pre>
 */
public final class CapturedLogs extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    private final Logger logger;
    private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();

    private CapturedLogs(Logger logger) {
        this.logger = logger;
    }

    /** Captures what the logger of {@code type} (and its children) logs from now on, until {@link #close()}. */
    public static CapturedLogs of(Class<?> type) {
        return attach((Logger) LoggerFactory.getLogger(type));
    }

    /** Captures every log line of the process from now on, until {@link #close()}. */
    public static CapturedLogs root() {
        return attach((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME));
    }

    private static CapturedLogs attach(Logger logger) {
        CapturedLogs c = new CapturedLogs(logger);
        c.setContext(logger.getLoggerContext());
        c.start();
        logger.addAppender(c);
        return c;
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        events.add(event);
    }

    /** The events so far, a snapshot. */
    public List<ILoggingEvent> events() {
        return List.copyOf(events);
    }

    /** The formatted messages so far, a snapshot. */
    public List<String> messages() {
        return events.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** The formatted messages of {@code level} so far, a snapshot. */
    public List<String> messages(Level level) {
        return events.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** Forgets what was captured so far. */
    public void clear() {
        events.clear();
    }

    @Override
    public void close() {
        logger.detachAppender(this);
        stop();
    }
}
