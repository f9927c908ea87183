package dev.relay.dist;

import dev.relay.queue.Envelope;
import dev.relay.queue.ForwardingMessageQueue;
import dev.relay.queue.MessageBody;
import dev.relay.queue.MessageQueue;
import dev.relay.queue.QueueId;
import java.util.concurrent.CompletableFuture;

/**
 * The queue as the receiver sees it: every stored message wakes the forwarder, so new mail goes
 * out at once instead of at the next poll. The receiver and the forwarder never know each other
 * (DESIGN.md); relay-dist, which knows both, joins them here. The wake-up runs on the queue
 * writer's thread after the sync, never on an event loop, and only signals a condition. The
 * queue belongs to the relay, which closes it after the receiver and the forwarder.
 */
final class WakingQueue extends ForwardingMessageQueue {

    private final Runnable wakeUp;

    WakingQueue(MessageQueue queue, Runnable wakeUp) {
        super(queue);
        this.wakeUp = wakeUp;
    }

    @Override
    public CompletableFuture<Void> enqueue(QueueId id, Envelope envelope, MessageBody body) {
        CompletableFuture<Void> f = delegate().enqueue(id, envelope, body);
        f.thenRun(wakeUp);
        return f;
    }
}
