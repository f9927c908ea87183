package dev.relay.client.bounce;

import java.time.Duration;
import java.util.Objects;

/**
 * How delivery status notifications (RFC 3464) are made.
 *
 * @param hostName                  our host name: {@code Reporting-MTA: dns; <hostName>} and the sender
 *                                  {@code MAILER-DAEMON@<hostName>} ({@code relay.hostname})
 * @param delayWarningTime          after this time in the queue a recipient that is still deferred gets one
 *                                  "delayed" DSN, if its NOTIFY asks for DELAY ({@code dsn.delay-warning-time},
 *                                  default 4h, as OpenSMTPD; {@code 0} turns delay notices off, as Postfix's default)
 * @param delayWarningWithoutNotify also send the delay notice to recipients that gave no NOTIFY parameter
 *                                  (RFC 3461 section 4.1 lets an MTA treat a missing NOTIFY as FAILURE,DELAY;
 *                                  {@code dsn.delay-warning-without-notify}, default false: only on request)
 * @param returnSizeLimit           with {@code RET=FULL} the failed message is returned whole only up to this many
 *                                  bytes, above it only its header section ({@code dsn.return-size-limit}, default
 *                                  50000, as Postfix's bounce_size_limit)
 */
public record DsnSettings(String hostName, Duration delayWarningTime, boolean delayWarningWithoutNotify,
                          long returnSizeLimit) {

    /** Default delay warning time. */
    public static final Duration DEFAULT_DELAY_WARNING_TIME = Duration.ofHours(4);
    /** Default size limit of a returned message. */
    public static final long DEFAULT_RETURN_SIZE_LIMIT = 50_000;

    public DsnSettings {
        Objects.requireNonNull(hostName, "hostName");
        Objects.requireNonNull(delayWarningTime, "delayWarningTime");
        if (hostName.isBlank()) {
            throw new IllegalArgumentException("relay.hostname must not be empty");
        }
        if (delayWarningTime.isNegative()) {
            throw new IllegalArgumentException("dsn.delay-warning-time must not be negative: " + delayWarningTime);
        }
        if (returnSizeLimit < 0) {
            throw new IllegalArgumentException("dsn.return-size-limit must not be negative: " + returnSizeLimit);
        }
    }

    /** The defaults above for a host name. */
    public static DsnSettings defaults(String hostName) {
        return new DsnSettings(hostName, DEFAULT_DELAY_WARNING_TIME, false, DEFAULT_RETURN_SIZE_LIMIT);
    }

    /** True when delay notices are sent at all. */
    public boolean delayNoticesEnabled() {
        return !delayWarningTime.isZero();
    }
}
