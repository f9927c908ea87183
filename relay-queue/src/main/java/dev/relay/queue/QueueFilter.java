package dev.relay.queue;

import java.time.Duration;

/**
 * A filter for {@link QueueAdmin#list}; null fields do not filter.
 *
 * @param state     recipients in this state
 * @param from      substring of the reverse-path, case-insensitive
 * @param to        substring of a forward-path, case-insensitive
 * @param olderThan arrived longer ago than this
 * @param nextHop   last tried at this next hop (substring)
 */
public record QueueFilter(RecipientState state, String from, String to, Duration olderThan, String nextHop) {
    /** Everything. */
    public static final QueueFilter ALL = new QueueFilter(null, null, null, null, null);
}
