package dev.relay.queue.admin;

import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.QueueId;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/** What the admin CLI calls: look inside the queue and change it. Every change is one transaction. */
public interface QueueAdmin {

    /** Messages matching the filter (any of their recipients matching), oldest first, paged. */
    List<MessageView> list(QueueFilter filter, int offset, int limit);

    /**
     * Messages matching the filter, oldest first, starting after {@code after} (null: from the
     * oldest). Keyset paging: the last page of a large queue costs what the first does, where an
     * offset is counted off row by row.
     */
    List<MessageView> listAfter(QueueFilter filter, MessageView after, int limit);

    /**
     * The ids of the messages matching the filter, in id order, after {@code after} (null: from the
     * first): what a bulk action works on, page by page.
     */
    List<QueueId> ids(QueueFilter filter, QueueId after, int limit);

    /**
     * How many messages match the filter (any of their recipients matching): what a bulk action on
     * that filter would touch, counted in the database without loading a row.
     */
    long count(QueueFilter filter);

    /** The whole stored message (headers and body, as received with our Received: line), or empty. */
    Optional<java.io.InputStream> body(QueueId id);

    /** One message: envelope, headers, recipients with their states, attempt history. */
    Optional<MessageDetail> show(QueueId id);

    /** Makes the unheld, non-final recipients of these messages due now; returns how many recipients. */
    int retry(Collection<QueueId> ids);

    /**
     * Makes every unheld, non-final recipient due now, or only those last tried at {@code nextHop}
     * (matched as {@link QueueFilter#nextHop}) when it is not null; progress receives the running count.
     */
    int retryAll(String nextHop, LongConsumer progress);

    /** Holds the non-final recipients of these messages; returns how many recipients. */
    int hold(Collection<QueueId> ids);

    /** Releases held recipients of these messages (they become due now); returns how many. */
    int release(Collection<QueueId> ids);

    /** Deletes these messages without any notification; returns how many messages. */
    int delete(Collection<QueueId> ids);

    /**
     * Asks the forwarder to bounce the non-final recipients of these messages with {@code reason}
     * (they become due now with {@link ClaimedRecipient#adminBounceReason()} set); returns how many recipients.
     */
    int bounce(Collection<QueueId> ids, String reason);

    /** Counts by state and by next hop, and the age histogram of non-final recipients (like Postfix's qshape). */
    QueueStats stats(List<Duration> ageBuckets);
}
