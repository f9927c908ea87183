package dev.relay.queue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings of the queue, validated once and immutable. Each has a default ({@link #defaults}).
 *
 * @param dataDirectory     the folder holding the database file {@code queue.mv.db}; created if missing.
 *                          Config key {@code queue.directory}; default {@code data/queue}.
 * @param defaultLease      the lease used when {@link MessageQueue#claim} is given a null lease
 *                          ({@code queue.lease}, default 10 minutes)
 * @param retention         how long a message whose recipients are all final is kept for relayctl
 *                          ({@code queue.retention}, default 0: removed at once, like Postfix)
 * @param maxGroupSize      at most this many enqueues share one commit and sync
 *                          ({@code queue.group-commit.max-messages}, default 512)
 * @param maxPendingEnqueues enqueues waiting for the writer beyond this fail at once with
 *                          {@link QueueException.Kind#IO} (the receiver answers 451), rather than
 *                          piling up in memory ({@code queue.max-pending}, default 10,000)
 * @param maxClaimBatch     the largest batch one claim may take ({@code queue.claim.max-batch}, default 1,000)
 * @param maxHeaderBytes    the most bytes of header section {@code relayctl show} reads
 *                          ({@code queue.show.max-header-bytes}, default 65,536)
 * @param maxConnections    JDBC connections for claims, completes, bodies and admin (the writer has its own)
 *                          ({@code queue.max-connections}, default 16)
 * @param compatibilityMode an H2 compatibility mode such as {@code PostgreSQL}, to check that the SQL is
 *                          portable; null (the default) for none. Not meant for production.
 */
public record QueueSettings(Path dataDirectory, Duration defaultLease, Duration retention, int maxGroupSize,
                            int maxPendingEnqueues, int maxClaimBatch, int maxHeaderBytes, int maxConnections,
                            String compatibilityMode) {

    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(10);
    public static final Duration DEFAULT_RETENTION = Duration.ZERO;
    public static final int DEFAULT_MAX_GROUP_SIZE = 512;
    public static final int DEFAULT_MAX_PENDING_ENQUEUES = 10_000;
    public static final int DEFAULT_MAX_CLAIM_BATCH = 1_000;
    public static final int DEFAULT_MAX_HEADER_BYTES = 64 * 1024;
    public static final int DEFAULT_MAX_CONNECTIONS = 16;

    public QueueSettings {
        Objects.requireNonNull(dataDirectory, "queue.directory must be set");
        Objects.requireNonNull(defaultLease, "queue.lease must be set");
        Objects.requireNonNull(retention, "queue.retention must be set");
        if (defaultLease.isNegative() || defaultLease.isZero()) {
            throw new IllegalArgumentException("queue.lease must be positive: " + defaultLease);
        }
        if (retention.isNegative()) {
            throw new IllegalArgumentException("queue.retention must not be negative: " + retention);
        }
        positive("queue.group-commit.max-messages", maxGroupSize);
        positive("queue.max-pending", maxPendingEnqueues);
        positive("queue.claim.max-batch", maxClaimBatch);
        positive("queue.show.max-header-bytes", maxHeaderBytes);
        positive("queue.max-connections", maxConnections);
    }

    /** The defaults, with the data in {@code dataDirectory}. */
    public static QueueSettings defaults(Path dataDirectory) {
        return new QueueSettings(dataDirectory, DEFAULT_LEASE, DEFAULT_RETENTION, DEFAULT_MAX_GROUP_SIZE,
                DEFAULT_MAX_PENDING_ENQUEUES, DEFAULT_MAX_CLAIM_BATCH, DEFAULT_MAX_HEADER_BYTES,
                DEFAULT_MAX_CONNECTIONS, null);
    }

    public QueueSettings withDataDirectory(Path value) {
        return new QueueSettings(value, defaultLease, retention, maxGroupSize, maxPendingEnqueues,
                maxClaimBatch, maxHeaderBytes, maxConnections, compatibilityMode);
    }

    public QueueSettings withRetention(Duration value) {
        return new QueueSettings(dataDirectory, defaultLease, value, maxGroupSize, maxPendingEnqueues,
                maxClaimBatch, maxHeaderBytes, maxConnections, compatibilityMode);
    }

    public QueueSettings withDefaultLease(Duration value) {
        return new QueueSettings(dataDirectory, value, retention, maxGroupSize, maxPendingEnqueues,
                maxClaimBatch, maxHeaderBytes, maxConnections, compatibilityMode);
    }

    public QueueSettings withMaxGroupSize(int value) {
        return new QueueSettings(dataDirectory, defaultLease, retention, value, maxPendingEnqueues,
                maxClaimBatch, maxHeaderBytes, maxConnections, compatibilityMode);
    }

    public QueueSettings withMaxPendingEnqueues(int value) {
        return new QueueSettings(dataDirectory, defaultLease, retention, maxGroupSize, value,
                maxClaimBatch, maxHeaderBytes, maxConnections, compatibilityMode);
    }

    public QueueSettings withCompatibilityMode(String value) {
        return new QueueSettings(dataDirectory, defaultLease, retention, maxGroupSize, maxPendingEnqueues,
                maxClaimBatch, maxHeaderBytes, maxConnections, value);
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive: " + value);
        }
    }
}
