package dev.relay.queue;

import dev.relay.queue.admin.QueueAdmin;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The durable queue: the receiver puts messages in, the forwarder claims recipients and reports
 * their outcomes, relayctl looks inside through {@link #admin()}.
 *
 * <p><b>Acknowledged means durable.</b> The future of {@link #enqueue} completes only when the
 * message, its envelope and its recipients are written and synced to disk (RFC 5321 section 6.1:
 * the receiver's 250 takes responsibility). Concurrent enqueues share one commit and one sync.
 *
 * <p>Time comes from the {@link java.time.Clock} the queue was opened with. No method may be called
 * on a Netty event loop except {@link #enqueue}, which only hands work to the queue's writer thread.
 */
public interface MessageQueue extends AutoCloseable {

    /**
     * Stores a message. The returned future completes normally only after everything is synced;
     * it fails with a {@link QueueException} otherwise, and then nothing of the message is claimable.
     * The body is read on the queue's own thread.
     */
    CompletableFuture<Void> enqueue(QueueId id, Envelope envelope, MessageBody body);

    /**
     * Claims up to {@code maxRecipients} due recipients (state queued or deferred, next attempt
     * reached, not held, no live lease) for {@code owner} until now + {@code lease}, grouped by
     * message, oldest due first. Each claim is a conditional update whose count is checked, so two
     * claimers never get the same recipient.
     */
    List<ClaimedMessage> claim(String owner, int maxRecipients, Duration lease);

    /** Opens the body of a message that is in the queue; the caller closes the stream. */
    InputStream openBody(QueueId id) throws IOException;

    /**
     * Records the outcomes of claimed recipients in one transaction: states, last reply, next hop,
     * attempt count, next attempt time, one history row each; releases their lease. When every
     * recipient of the message is final, the message is removed (or kept for the retention period).
     */
    void complete(QueueId id, List<RecipientOutcome> outcomes);

    /** Gives claimed recipients back without counting an attempt (at shutdown). */
    void release(QueueId id, Collection<Long> recipientIds);

    /** Releases every lease held by {@code owner}, or (owner null) every expired lease; returns the count. */
    int releaseLeases(String owner);

    /** When the earliest queued or deferred, unheld recipient becomes due; empty when there is none. */
    Optional<Instant> nextDue();

    /** The operations relayctl needs. */
    QueueAdmin admin();

    /** Waits for pending enqueues, then closes the database. */
    @Override
    void close();
}
