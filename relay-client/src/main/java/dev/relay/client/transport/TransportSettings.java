package dev.relay.client.transport;

import java.time.Duration;
import java.util.Objects;

/**
 * Timeouts and limits of outgoing SMTP sessions. RFC 5321 section 4.5.3.2: "An SMTP client MUST
 * provide a timeout mechanism. It MUST use per-command timeouts"; its minimums are the defaults.
 *
 * @param connectTimeout         TCP connect ({@code client.timeout.connect}, default 30 s, as Postfix smtp_connect_timeout)
 * @param greetingTimeout        the 220 greeting (4.5.3.2.1: 5 min)
 * @param heloTimeout            EHLO/HELO reply (5 min, as Postfix smtp_helo_timeout)
 * @param mailTimeout            MAIL reply (4.5.3.2.2: 5 min)
 * @param rcptTimeout            each RCPT reply (4.5.3.2.3: 5 min)
 * @param dataInitTimeout        the 354 after DATA (4.5.3.2.4: 2 min)
 * @param dataBlockTimeout       each block of the message sent (4.5.3.2.5: 3 min)
 * @param dataTerminationTimeout the reply to the final dot (4.5.3.2.6: 10 min)
 * @param rsetTimeout            RSET between messages, and QUIT (20 s, as Postfix smtp_rset_timeout)
 * @param maxReplyBytes          the most bytes one reply may have, continuation lines included (default 64 KiB)
 */
public record TransportSettings(Duration connectTimeout, Duration greetingTimeout, Duration heloTimeout,
                                Duration mailTimeout, Duration rcptTimeout, Duration dataInitTimeout,
                                Duration dataBlockTimeout, Duration dataTerminationTimeout, Duration rsetTimeout,
                                int maxReplyBytes) {

    /** The defaults above. */
    public static final TransportSettings DEFAULTS = new TransportSettings(Duration.ofSeconds(30),
            Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(5),
            Duration.ofMinutes(2), Duration.ofMinutes(3), Duration.ofMinutes(10), Duration.ofSeconds(20), 64 * 1024);

    public TransportSettings {
        for (Duration d : new Duration[] {connectTimeout, greetingTimeout, heloTimeout, mailTimeout, rcptTimeout,
                dataInitTimeout, dataBlockTimeout, dataTerminationTimeout, rsetTimeout}) {
            Objects.requireNonNull(d, "timeout");
            if (d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a timeout must be positive and below 24 days: " + d);
            }
        }
        if (maxReplyBytes < 512) {
            throw new IllegalArgumentException("maxReplyBytes must be at least 512 (RFC 5321 section 4.5.3.1.5): " + maxReplyBytes);
        }
    }

    /** Every timeout set to {@code t}: for tests. */
    public static TransportSettings allTimeouts(Duration t) {
        return new TransportSettings(t, t, t, t, t, t, t, t, t, DEFAULTS.maxReplyBytes());
    }
}
