package dev.relay.client.retry;

import java.time.Duration;
import java.util.Objects;

/**
 * The retry schedule (RFC 5321 section 4.5.4.1: "The parameters to the retry algorithm MUST be
 * configurable").
 *
 * @param minBackoff     the shortest wait between attempts ({@code retry.min-backoff}, default 300 s, Postfix minimal_backoff_time)
 * @param maxBackoff     the longest wait ({@code retry.max-backoff}, default 4000 s, Postfix maximal_backoff_time)
 * @param jitter         the wait is multiplied by a random factor in [1 - jitter, 1 + jitter] ({@code retry.jitter}, default 0.1)
 * @param maxLifetime    after this time in the queue a recipient is bounced with 4.4.7 ({@code retry.max-lifetime}, default 5 days)
 * @param bounceLifetime the same for bounces (null reverse-path), which are dropped ({@code retry.bounce-lifetime}, default 5 days)
 * @param hostDownTime   after a failed connect, the next hop is not tried again for this long; its other
 *                       recipients are deferred without a connection ({@code retry.host-down-time}, default 60 s)
 */
public record RetrySettings(Duration minBackoff, Duration maxBackoff, double jitter, Duration maxLifetime,
                            Duration bounceLifetime, Duration hostDownTime) {

    /** The defaults above. */
    public static final RetrySettings DEFAULTS = new RetrySettings(Duration.ofSeconds(300), Duration.ofSeconds(4000),
            0.1, Duration.ofDays(5), Duration.ofDays(5), Duration.ofSeconds(60));

    public RetrySettings {
        Objects.requireNonNull(minBackoff, "minBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(maxLifetime, "maxLifetime");
        Objects.requireNonNull(bounceLifetime, "bounceLifetime");
        Objects.requireNonNull(hostDownTime, "hostDownTime");
        if (minBackoff.isNegative() || minBackoff.isZero()) {
            throw new IllegalArgumentException("retry.min-backoff must be positive: " + minBackoff);
        }
        if (maxBackoff.compareTo(minBackoff) < 0) {
            throw new IllegalArgumentException("retry.max-backoff " + maxBackoff + " is below retry.min-backoff " + minBackoff);
        }
        if (jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("retry.jitter must be in [0, 1): " + jitter);
        }
        if (maxLifetime.isNegative() || bounceLifetime.isNegative() || hostDownTime.isNegative()) {
            throw new IllegalArgumentException("lifetimes and host-down time must not be negative");
        }
    }
}
