package dev.relay.dist.cli;

import dev.relay.dist.config.BadValueException;
import dev.relay.dist.config.Values;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientState;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import java.time.Duration;
import picocli.CommandLine;

/** picocli converters for relayctl's argument types; their messages say what to write instead. */
final class Converters {
    private Converters() {
    }

    /**
     * A queue id as {@code relayctl queue} prints it, in any case: the relay makes upper-case ids
     * only ({@code QueueIds}), so {@code 0mhx3k9q2b7z} is {@code 0MHX3K9Q2B7Z}.
     */
    static final class QueueIdConverter implements CommandLine.ITypeConverter<QueueId> {
        @Override
        public QueueId convert(String value) {
            try {
                String id = value.endsWith("*") || value.endsWith("!") ? value.substring(0, value.length() - 1) : value;
                return new QueueId(id.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(
                        "'" + value + "' is not a queue id (6 to 20 letters and digits, as relayctl queue shows them)");
            }
        }
    }

    /** A recipient state, in any case: queued, deferred, delivered, failed, held. */
    static final class StateConverter implements CommandLine.ITypeConverter<RecipientState> {
        @Override
        public RecipientState convert(String value) {
            for (RecipientState s : RecipientState.values()) {
                if (s.name().equalsIgnoreCase(value.strip())) {
                    return s;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a recipient state (one of: "
                    + Arrays.stream(RecipientState.values()).map(s -> s.name().toLowerCase(Locale.ROOT))
                    .collect(Collectors.joining(", ")) + ")");
        }
    }

    /** A duration in the configuration's spelling: 30s, 5m, 4h, 5d. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Values.duration(Duration.ZERO, Duration.ofDays(3650)).parse(value);
            } catch (BadValueException e) {
                throw new CommandLine.TypeConversionException(e.getMessage() + " (" + e.todo() + ")");
            }
        }
    }
}
