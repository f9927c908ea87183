package dev.relay.queue;

/** Generates queue ids. */
final class QueueIds {
    private QueueIds() {
    }

    static QueueId next() {
        throw new UnsupportedOperationException("TODO: issue 2 section 2");
    }
}
