package dev.relay.queue;

/**
 * A failure of the queue, with the kind the receiver turns into a reply (RFC 5321 section 4.2.2,
 * RFC 3463): {@link Kind#STORAGE_FULL} is 452 4.3.1, anything else 451 4.3.0. Its message names
 * the file and what to do, for operators.
 */
public final class QueueException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** The disk or the database is full. */
        STORAGE_FULL,
        /** The database is locked by another process. */
        LOCKED,
        /** The database file is corrupt or of another H2 version. */
        CORRUPT,
        /** The schema migration failed. */
        MIGRATION,
        /** The queue is closed or closing. */
        CLOSED,
        /** Any other I/O or SQL failure. */
        IO
    }

    private final Kind kind;

    public QueueException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
