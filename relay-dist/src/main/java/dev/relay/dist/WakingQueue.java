package dev.relay.dist;

import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.MessageQueue;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The queue as the receiver sees it: every stored message wakes the forwarder, so new mail goes
 * out at once instead of at the next poll. The receiver and the forwarder never know each other
 * (DESIGN.md); relay-dist, which knows both, joins them here. The wake-up runs on the queue
 * writer's thread after the sync, never on an event loop, and only signals a condition.
 */
final class WakingQueue implements MessageQueue {

    private final MessageQueue queue;
    private final Runnable wakeUp;

    WakingQueue(MessageQueue queue, Runnable wakeUp) {
        this.queue = queue;
        this.wakeUp = wakeUp;
    }

    @Override
    public CompletableFuture<Void> enqueue(QueueId id, Envelope envelope, MessageBody body) {
        CompletableFuture<Void> f = queue.enqueue(id, envelope, body);
        f.thenRun(wakeUp);
        return f;
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

    /** The queue belongs to the relay, which closes it after the receiver and the forwarder. */
    @Override
    public void close() {
    }
}
