package dev.relay.queue;

import java.time.Instant;
import java.util.List;

/**
 * A message with the recipients of it that one claim took. The body is read with
 * {@link MessageQueue#openBody(QueueId)}.
 */
public record ClaimedMessage(QueueId id, Envelope envelope, long size, Instant leaseExpiry,
                             List<ClaimedRecipient> recipients) {
    public ClaimedMessage {
        recipients = List.copyOf(recipients);
    }
}
