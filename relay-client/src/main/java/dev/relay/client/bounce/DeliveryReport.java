package dev.relay.client.bounce;

import dev.relay.mail.EnhancedStatus;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedRecipient;
import java.time.Instant;
import java.util.Objects;

/**
 * What one attempt did with one recipient, as the DSN service needs it. The delivery engine makes
 * one per recipient it tried, with the factories below, and hands them to {@link DsnService#send}.
 *
 * @param recipient         the claimed recipient (forward-path, NOTIFY, ORCPT, whether a delay notice went out)
 * @param action            what happened, in RFC 3464 section 2.3.3 terms
 * @param reply             the reply that decided: the next hop's, or one we made (a connection failure)
 * @param status            the {@code Status:} of the DSN (RFC 3463): the reply's enhanced status, or one
 *                          derived from its code; 4.4.7 for an expired recipient
 * @param remoteMta         the host name of the next hop that gave the reply ({@code Remote-MTA: dns; name}),
 *                          or null when there is none (local delivery, nothing reached)
 * @param nextHopOfferedDsn for {@link Action#RELAYED}: the next hop offered DSN, so the NOTIFY duty passed
 *                          to it with the parameters (RFC 3461 section 5.2.2) and we send no "relayed" DSN
 * @param attemptTime       when the attempt was made ({@code Last-Attempt-Date})
 * @param willRetryUntil    for {@link Action#DELAYED}: when the recipient will be given up ({@code Will-Retry-Until}), or null
 */
public record DeliveryReport(ClaimedRecipient recipient, Action action, SmtpReply reply, EnhancedStatus status,
                             String remoteMta, boolean nextHopOfferedDsn, Instant attemptTime, Instant willRetryUntil) {

    /** The RFC 3464 action values this relay reports. */
    public enum Action {
        /** Final delivery here (local Maildir). */
        DELIVERED,
        /** Accepted by the next hop. */
        RELAYED,
        /** Permanent failure, or the recipient's queue lifetime is over. */
        FAILED,
        /** Deferred: will be tried again. */
        DELAYED
    }

    /** The status for the DSN meaning "delivery time expired" (RFC 3463 section 3.5, X.4.7). */
    public static final EnhancedStatus EXPIRED = new EnhancedStatus(4, 4, 7);

    public DeliveryReport {
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(attemptTime, "attemptTime");
    }

    /** Delivered into a local Maildir. */
    public static DeliveryReport deliveredLocally(ClaimedRecipient r, SmtpReply reply, Instant at) {
        return new DeliveryReport(r, Action.DELIVERED, reply, statusOf(reply), null, false, at, null);
    }

    /** Accepted by the next hop {@code remoteMta}; {@code nextHopOfferedDsn} from its EHLO. */
    public static DeliveryReport relayed(ClaimedRecipient r, SmtpReply reply, String remoteMta, boolean nextHopOfferedDsn,
                                         Instant at) {
        return new DeliveryReport(r, Action.RELAYED, reply, statusOf(reply), remoteMta, nextHopOfferedDsn, at, null);
    }

    /** Failed permanently (a 5xx reply, or a check before sending); {@code remoteMta} null when no next hop answered. */
    public static DeliveryReport failed(ClaimedRecipient r, SmtpReply reply, String remoteMta, Instant at) {
        return new DeliveryReport(r, Action.FAILED, reply, statusOf(reply), remoteMta, false, at, null);
    }

    /**
     * Given up after the maximum queue lifetime: {@code Status: 4.4.7}, and the last reply (e.g. the
     * transport's {@code 421 4.4.1 connect to ...: Connection refused}) as the diagnostic.
     */
    public static DeliveryReport expired(ClaimedRecipient r, SmtpReply lastReply, String remoteMta, Instant at) {
        return new DeliveryReport(r, Action.FAILED, lastReply, EXPIRED, remoteMta, false, at, null);
    }

    /** Deferred, to be tried again until {@code willRetryUntil}. */
    public static DeliveryReport deferred(ClaimedRecipient r, SmtpReply reply, String remoteMta, Instant at,
                                          Instant willRetryUntil) {
        return new DeliveryReport(r, Action.DELAYED, reply, statusOf(reply), remoteMta, false, at, willRetryUntil);
    }

    /**
     * The enhanced status of a reply, or the generic one of its class (RFC 3463 section 3.1:
     * X.0.0 "Other undefined Status") when the reply carried none.
     */
    public static EnhancedStatus statusOf(SmtpReply reply) {
        if (reply.status() != null) {
            return reply.status();
        }
        return new EnhancedStatus(reply.code() / 100, 0, 0);
    }
}
