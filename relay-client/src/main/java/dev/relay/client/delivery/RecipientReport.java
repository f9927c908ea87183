package dev.relay.client.delivery;

import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedRecipient;
import java.time.Instant;
import java.util.Objects;

/**
 * What one attempt did with one recipient, for the {@link BounceSink}.
 *
 * @param recipient         the claimed recipient (forward-path as received, NOTIFY, ORCPT, delay notice sent)
 * @param kind              what happened
 * @param reply             the reply that decided: the next hop's, or one the engine made (connection failure,
 *                          size check, expiry); for {@link Kind#EXPIRED} the last reply before giving up
 * @param remoteMta         the host name of the next hop that answered, or null when none did (local delivery,
 *                          no connection)
 * @param nextHopOfferedDsn for {@link Kind#RELAYED}: the next hop offered DSN (RFC 3461), so NOTIFY went on with it
 * @param attemptTime       when the attempt was made
 * @param willRetryUntil    for {@link Kind#DEFERRED}: when the recipient will be given up; null otherwise
 */
public record RecipientReport(ClaimedRecipient recipient, Kind kind, SmtpReply reply, String remoteMta,
                              boolean nextHopOfferedDsn, Instant attemptTime, Instant willRetryUntil) {

    /** The kinds of result; they map onto RFC 3464 actions (delivered, relayed, failed, delayed). */
    public enum Kind {
        /** Delivered into a local Maildir (action delivered). */
        DELIVERED_LOCALLY,
        /** Accepted by the next hop (action relayed, or delivered as the next hop does DSN itself). */
        RELAYED,
        /** Permanent failure: a 5xx reply, a check before sending, an administrator's bounce (action failed). */
        FAILED,
        /** The queue lifetime is over (action failed, status 4.4.7). */
        EXPIRED,
        /** Temporary failure, will be retried (action delayed). */
        DEFERRED
    }

    public RecipientReport {
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(attemptTime, "attemptTime");
    }
}
