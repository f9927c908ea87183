package dev.relay.dist.cli;

import dev.relay.queue.RecipientState;
import dev.relay.queue.admin.QueueFilter;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The filters of {@code relayctl queue}, mixed into it and into every command that acts on
 * messages (retry, hold, release, delete, bounce), so that the same filters always select the
 * same messages and are described once.
 */
final class FilterOptions {

    @Option(names = "--state", paramLabel = "STATE", converter = Converters.StateConverter.class,
            description = "Only messages with a recipient in this state: queued, deferred, delivered, failed or held.")
    RecipientState state;

    @Option(names = "--from", paramLabel = "TEXT", description = "Only senders containing TEXT (case-insensitive).")
    String from;

    @Option(names = "--to", paramLabel = "TEXT", description = "Only messages with a recipient containing TEXT (case-insensitive).")
    String to;

    @Option(names = "--older-than", paramLabel = "AGE", converter = Converters.DurationConverter.class,
            description = "Only messages that arrived longer ago than AGE (30s, 5m, 4h, 5d).")
    Duration olderThan;

    @Option(names = "--next-hop", paramLabel = "HOST",
            description = "Only messages last tried at HOST: a route's next hop as relayctl routes prints it,"
                    + " a host name or address, or the recipients' domain.")
    String nextHop;

    /** Whether any filter was given. */
    boolean any() {
        return state != null || from != null || to != null || olderThan != null || nextHop != null;
    }

    /** Whether --next-hop is the only filter given. */
    boolean onlyNextHop() {
        return state == null && from == null && to == null && olderThan == null;
    }

    /** The filters as the queue takes them. */
    QueueFilter filter() {
        return new QueueFilter(state, from, to, olderThan, nextHop);
    }
}
