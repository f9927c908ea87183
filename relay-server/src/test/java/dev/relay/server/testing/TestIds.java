package dev.relay.server.testing;

import dev.relay.queue.QueueId;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Predictable queue ids: TEST000001, TEST000002, ... */
public final class TestIds implements Supplier<QueueId> {
    private final AtomicInteger next = new AtomicInteger();

    @Override
    public QueueId get() {
        return new QueueId(String.format("TEST%06d", next.incrementAndGet()));
    }
}
