package dev.relay.queue;

/**
 * The short, unique, loggable id of a queued message, like Postfix's queue id (e.g.
 * {@code 4F2A1B9C3D}). The receiver takes one at the first MAIL of a transaction, so that every
 * log line and the {@code Received:} header can name it before the message is stored.
 */
public record QueueId(String value) {

    public QueueId {
        // [0-9A-Za-z]{6,20}, checked by hand: String.matches compiles the pattern on every call,
        // and the claim makes a QueueId for every row it reads.
        if (value == null || value.length() < 6 || value.length() > 20) {
            throw new IllegalArgumentException("not a queue id: " + value);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) {
                throw new IllegalArgumentException("not a queue id: " + value);
            }
        }
    }

    /** A new id, unique across restarts and across processes sharing the queue. */
    public static QueueId generate() {
        return QueueIds.next();
    }

    @Override
    public String toString() {
        return value;
    }
}
