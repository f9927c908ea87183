package dev.relay.client.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.queue.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final Instant arrival = Instant.parse("2026-03-01T10:00:00Z");
    private final MutableClock clock = new MutableClock(arrival);
    private final RetryPolicy policy = new RetryPolicy(RetrySettings.DEFAULTS, clock, new Random(3));

    @Test
    void backoffGrowsWithAgeClampedBetweenMinimumAndMaximum() {
        assertThat(policy.backoff(arrival)).isEqualTo(Duration.ofSeconds(300));
        clock.advance(Duration.ofMinutes(20));
        assertThat(policy.backoff(arrival)).isEqualTo(Duration.ofMinutes(20));
        clock.advance(Duration.ofHours(10));
        assertThat(policy.backoff(arrival)).isEqualTo(Duration.ofSeconds(4000));
    }

    @Test
    void nextAttemptHasJitterWithinBounds() {
        clock.advance(Duration.ofMinutes(30));
        for (int i = 0; i < 200; i++) {
            Duration wait = Duration.between(clock.instant(), policy.nextAttempt(arrival, false));
            assertThat(wait).isBetween(Duration.ofMinutes(27), Duration.ofMinutes(33));
        }
    }

    @Test
    void nextAttemptNeverAfterTheExpirySoTheBounceIsOnTime() {
        clock.advance(Duration.ofDays(5).minusMinutes(2));
        assertThat(policy.nextAttempt(arrival, false)).isEqualTo(arrival.plus(Duration.ofDays(5)));
        assertThat(policy.expired(arrival, false)).isFalse();
        clock.advance(Duration.ofMinutes(2));
        assertThat(policy.expired(arrival, false)).isTrue();
    }

    @Test
    void bouncesHaveTheirOwnLifetime() {
        RetryPolicy p = new RetryPolicy(new RetrySettings(Duration.ofMinutes(5), Duration.ofHours(1), 0.1,
                Duration.ofDays(5), Duration.ofDays(1), Duration.ofSeconds(60)), clock, new Random(1));
        clock.advance(Duration.ofDays(1));
        assertThat(p.expired(arrival, true)).isTrue();
        assertThat(p.expired(arrival, false)).isFalse();
    }

    @Test
    void hostDownUntilUsesTheClock() {
        assertThat(policy.hostDownUntil()).isEqualTo(arrival.plusSeconds(60));
    }

    @Test
    void invalidSettingsNameTheKey() {
        assertThatThrownBy(() -> new RetrySettings(Duration.ofMinutes(10), Duration.ofMinutes(5), 0.1,
                Duration.ofDays(5), Duration.ofDays(5), Duration.ofSeconds(60)))
                .hasMessageContaining("retry.max-backoff");
        assertThatThrownBy(() -> new RetrySettings(Duration.ofMinutes(5), Duration.ofMinutes(50), 1.5,
                Duration.ofDays(5), Duration.ofDays(5), Duration.ofSeconds(60)))
                .hasMessageContaining("retry.jitter");
    }
}
