package dev.relay.queue.admin;

import dev.relay.queue.RecipientState;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Counts for {@code relayctl stats}: recipients by state, non-final recipients by last next hop
 * (null hop as "-"), and, like Postfix's qshape, per next hop the number of non-final recipients
 * whose message is younger than each bucket limit (the last bucket has no upper limit).
 */
public record QueueStats(Map<RecipientState, Long> byState, Map<String, Long> byNextHop,
                         List<Duration> ageBuckets, Map<String, long[]> ageHistogramByNextHop) {
}
