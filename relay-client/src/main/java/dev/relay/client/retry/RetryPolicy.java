package dev.relay.client.retry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * When to try a deferred recipient again, and when to give up.
 *
 * <p>Design (as Postfix's queue manager): the wait grows with the message's age in the queue,
 * clamped to [{@code minBackoff}, {@code maxBackoff}], so a message that just failed is retried
 * after 5 minutes, one that has waited an hour about hourly; a random jitter spreads the retries
 * of a burst of messages that failed together. The next attempt is never later than the expiry,
 * so an expired recipient is bounced on time. Time comes from the injected clock only.
 */
public final class RetryPolicy {

    private final RetrySettings settings;
    private final Clock clock;
    private final RandomGenerator random;

    public RetryPolicy(RetrySettings settings, Clock clock, RandomGenerator random) {
        this.settings = settings;
        this.clock = clock;
        this.random = random;
    }

    public RetrySettings settings() {
        return settings;
    }

    public Instant now() {
        return clock.instant();
    }

    /** The wait after a failure of a message that arrived at {@code arrival}, before jitter. */
    public Duration backoff(Instant arrival) {
        Duration age = Duration.between(arrival, now());
        if (age.compareTo(settings.minBackoff()) < 0) {
            return settings.minBackoff();
        }
        return age.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : age;
    }

    /** The next attempt for a deferred recipient: now + backoff with jitter, but not after the expiry. */
    public Instant nextAttempt(Instant arrival, boolean bounce) {
        long base = backoff(arrival).toMillis();
        double factor = 1 + settings.jitter() * (2 * random.nextDouble() - 1);
        Instant next = now().plusMillis(Math.max(1000, Math.round(base * factor)));
        Instant expiry = expiry(arrival, bounce);
        return next.isAfter(expiry) ? (expiry.isAfter(now()) ? expiry : now()) : next;
    }

    /** When a message that arrived at {@code arrival} is given up (bounces have their own lifetime). */
    public Instant expiry(Instant arrival, boolean bounce) {
        return arrival.plus(bounce ? settings.bounceLifetime() : settings.maxLifetime());
    }

    /** True when the message has been queued for its whole lifetime. */
    public boolean expired(Instant arrival, boolean bounce) {
        return !now().isBefore(expiry(arrival, bounce));
    }

    /** Until when a next hop whose connect failed now is left alone. */
    public Instant hostDownUntil() {
        return now().plus(settings.hostDownTime());
    }
}
