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
 * A queue that hands every call to another one, for decorators that change one or two calls
 * (the relay's wake-up on enqueue, a test's failing enqueue) without writing the other seven.
 * Closing does not close the queue behind it: that belongs to whoever opened it.
 */
public abstract class ForwardingMessageQueue implements MessageQueue {

    private final MessageQueue queue;

    protected ForwardingMessageQueue(MessageQueue queue) {
        this.queue = queue;
    }

    /** The queue behind this one. */
    protected final MessageQueue delegate() {
        return queue;
    }

    @Override
    public CompletableFuture<Void> enqueue(QueueId id, Envelope envelope, MessageBody body) {
        return queue.enqueue(id, envelope, body);
    }

    @Override
    public List<ClaimedMessage> claim(String owner, int maxRecipients, Duration lease) {
        return queue.claim(owner, maxRecipients, lease);
    }

    @Override
    public InputStream openBody(QueueId id) throws IOException {
        return queue.openBody(id);
    }

    @Override
    public void complete(QueueId id, List<RecipientOutcome> outcomes) {
        queue.complete(id, outcomes);
    }

    @Override
    public void release(QueueId id, Collection<Long> recipientIds) {
        queue.release(id, recipientIds);
    }

    @Override
    public int releaseLeases(String owner) {
        return queue.releaseLeases(owner);
    }

    @Override
    public Optional<Instant> nextDue() {
        return queue.nextDue();
    }

    @Override
    public QueueAdmin admin() {
        return queue.admin();
    }

    /** Does nothing: the queue behind this one is closed by its owner. */
    @Override
    public void close() {
    }
}
