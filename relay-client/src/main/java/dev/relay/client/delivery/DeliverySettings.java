package dev.relay.client.delivery;

import java.time.Duration;
import java.util.Objects;

/**
 * The delivery engine's limits. Defaults follow Postfix where it has a counterpart.
 *
 * @param totalConcurrency             outbound sessions (and local deliveries) at once, all next hops together
 *                                     ({@code delivery.concurrency.total}, default 100, Postfix default_process_limit)
 * @param destinationConcurrency       sessions at once to one next hop, unless its route says otherwise
 *                                     ({@code delivery.concurrency.per-destination}, default 10,
 *                                     Postfix default_destination_concurrency_limit 20 for smtp; 10 is gentler)
 * @param recipientsPerTransaction     most RCPTs in one transaction; more recipients of one message for one next
 *                                     hop go in further transactions ({@code delivery.recipients-per-transaction},
 *                                     default 50, Postfix smtp_destination_recipient_limit)
 * @param transactionsPerConnection    transactions on one connection before it is closed and a new one opened
 *                                     ({@code delivery.connection.reuse-limit}, default 100)
 * @param connectionIdleTime           how long an open connection waits for another message to the same next hop
 *                                     before QUIT ({@code delivery.connection.idle-time}, default 2 s, Postfix
 *                                     smtp_connection_cache_time_limit)
 * @param claimBatch                   most recipients claimed from the queue at once ({@code delivery.claim-batch},
 *                                     default 500)
 * @param maxPendingRecipients         most claimed recipients waiting in memory for a session; the engine claims no
 *                                     more until some are done ({@code delivery.max-pending}, default 5,000)
 * @param lease                        how long a claim holds recipients; must exceed the longest session
 *                                     ({@code delivery.lease}, default 30 min: above the sum of RFC 5321 timeouts
 *                                     of one transaction)
 * @param pollInterval                 how often the queue is looked at when nothing wakes the engine
 *                                     ({@code delivery.poll-interval}, default 1 s)
 */
public record DeliverySettings(int totalConcurrency, int destinationConcurrency, int recipientsPerTransaction,
                               int transactionsPerConnection, Duration connectionIdleTime, int claimBatch,
                               int maxPendingRecipients, Duration lease, Duration pollInterval) {

    /** The defaults above. */
    public static final DeliverySettings DEFAULTS = new DeliverySettings(100, 10, 50, 100, Duration.ofSeconds(2),
            500, 5_000, Duration.ofMinutes(30), Duration.ofSeconds(1));

    public DeliverySettings {
        positive("delivery.concurrency.total", totalConcurrency);
        positive("delivery.concurrency.per-destination", destinationConcurrency);
        positive("delivery.recipients-per-transaction", recipientsPerTransaction);
        positive("delivery.connection.reuse-limit", transactionsPerConnection);
        positive("delivery.claim-batch", claimBatch);
        positive("delivery.max-pending", maxPendingRecipients);
        Objects.requireNonNull(connectionIdleTime, "delivery.connection.idle-time");
        Objects.requireNonNull(lease, "delivery.lease");
        Objects.requireNonNull(pollInterval, "delivery.poll-interval");
        if (connectionIdleTime.isNegative()) {
            throw new IllegalArgumentException("delivery.connection.idle-time must not be negative: " + connectionIdleTime);
        }
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("delivery.lease must be positive: " + lease);
        }
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("delivery.poll-interval must be positive: " + pollInterval);
        }
    }

    private static void positive(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + " must be at least 1: " + value);
        }
    }

    public DeliverySettings withConcurrency(int total, int perDestination) {
        return new DeliverySettings(total, perDestination, recipientsPerTransaction, transactionsPerConnection,
                connectionIdleTime, claimBatch, maxPendingRecipients, lease, pollInterval);
    }

    public DeliverySettings withPollInterval(Duration poll) {
        return new DeliverySettings(totalConcurrency, destinationConcurrency, recipientsPerTransaction,
                transactionsPerConnection, connectionIdleTime, claimBatch, maxPendingRecipients, lease, poll);
    }

    public DeliverySettings withConnectionReuse(int transactions, Duration idle) {
        return new DeliverySettings(totalConcurrency, destinationConcurrency, recipientsPerTransaction,
                transactions, idle, claimBatch, maxPendingRecipients, lease, pollInterval);
    }

    public DeliverySettings withRecipientsPerTransaction(int n) {
        return new DeliverySettings(totalConcurrency, destinationConcurrency, n, transactionsPerConnection,
                connectionIdleTime, claimBatch, maxPendingRecipients, lease, pollInterval);
    }
}
