package dev.relay.dist.ops;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback converter {@code %severity}: nothing for INFO, and Postfix's prefixes otherwise
 * ({@code warning: }, {@code error: }, {@code debug: }), so ordinary events read exactly like
 * Postfix's and problems stand out to {@code grep warning:}.
 */
public final class SeverityConverter extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        Level level = event.getLevel();
        if (level == Level.INFO) {
            return "";
        }
        if (level == Level.WARN) {
            return "warning: ";
        }
        if (level == Level.ERROR) {
            return "error: ";
        }
        return level.levelStr.toLowerCase(java.util.Locale.ROOT) + ": ";
    }
}
