package dev.relay.dist.ops;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.List;
import java.util.Map;

/**
 * Logback converter {@code %process}: the Postfix-style name of the part of the relay that logged
 * an event, so that a log line reads like Postfix's {@code relay/smtpd[thread]: 4F2A1B9C3D: ...}
 * and admins can grep for {@code relay/smtp[} as they grep for {@code postfix/smtp[}.
 */
public final class ProcessNameConverter extends ClassicConverter {

    /** Logger-name prefixes and their names, longest prefix first. */
    private static final List<Map.Entry<String, String>> NAMES = List.of(
            Map.entry("dev.relay.client.bounce", "bounce"),
            Map.entry("dev.relay.client.local", "local"),
            Map.entry("dev.relay.client.routing", "trivial-rewrite"),
            Map.entry("dev.relay.client", "smtp"),
            Map.entry("dev.relay.server", "smtpd"),
            Map.entry("dev.relay.queue", "qmgr"),
            Map.entry("dev.relay.mail", "qmgr"),
            Map.entry("dev.relay.dist.cli", "relayctl"),
            Map.entry("dev.relay.dist.admin", "relayctl"),
            Map.entry("dev.relay.dist", "master"),
            Map.entry("org.flywaydb", "flyway"),
            Map.entry("org.h2", "h2"),
            Map.entry("io.netty", "netty"));

    @Override
    public String convert(ILoggingEvent event) {
        return nameOf(event.getLoggerName());
    }

    /** The process name for a logger name; {@code java} for anything unknown. */
    static String nameOf(String logger) {
        if (logger == null) {
            return "java";
        }
        for (Map.Entry<String, String> e : NAMES) {
            if (logger.startsWith(e.getKey())) {
                return e.getValue();
            }
        }
        return "java";
    }
}
