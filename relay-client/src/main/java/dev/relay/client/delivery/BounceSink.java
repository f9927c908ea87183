package dev.relay.client.delivery;

import dev.relay.queue.ClaimedMessage;
import java.util.List;
import java.util.Set;

/**
 * Where the delivery engine reports what each attempt did, so delivery status notifications can
 * be sent (RFC 3464): failures, delays and, for NOTIFY=SUCCESS, successes. The engine never builds
 * a DSN itself; the implementation (the DSN service) decides NOTIFY, the null reverse-path (never
 * bounced) and the rest.
 *
 * <p>Contract: called once per attempt at some recipients of one message, on an engine thread,
 * <em>before</em> the outcomes are recorded in the queue; it returns only when every notification
 * it made is durable in the queue. If it throws, the engine records the failed and expired
 * recipients as deferred (retried after the minimum backoff), never as failed, so no bounce is lost.
 */
@FunctionalInterface
public interface BounceSink {

    /** Sends no notifications (tests, or DSNs switched off). */
    BounceSink NONE = (message, reports) -> Set.of();

    /**
     * @param message the claimed message the recipients belong to
     * @param reports one per recipient attempted, in no particular order
     * @return the ids of the recipients for which a DELAY notice was sent now
     */
    Set<Long> report(ClaimedMessage message, List<RecipientReport> reports);
}
