package dev.relay.queue.admin;

import dev.relay.queue.RecipientState;
import java.time.Duration;

/**
 * A filter for {@link QueueAdmin#list}; null fields do not filter.
 *
 * @param state     recipients in this state
 * @param from      substring of the reverse-path, case-insensitive
 * @param to        substring of a forward-path, case-insensitive
 * @param olderThan arrived longer ago than this
 * @param nextHop   last tried at this next hop: a case-insensitive substring of the recorded next hop
 *                  ({@code mx.example.org[192.0.2.5]:25}, or the route's {@code [host]:port} when no
 *                  session was opened); a route's next hop as {@code relayctl routes} prints it
 *                  ({@code example.org:25}, {@code [10.0.0.5]:25}, options after a space ignored),
 *                  which also matches the servers it led to; or the recipient's domain
 */
public record QueueFilter(RecipientState state, String from, String to, Duration olderThan, String nextHop) {
    /** Everything. */
    public static final QueueFilter ALL = new QueueFilter(null, null, null, null, null);

    /** Whether this filter lets everything through. */
    public boolean isAll() {
        return state == null && from == null && to == null && olderThan == null && nextHop == null;
    }
}
