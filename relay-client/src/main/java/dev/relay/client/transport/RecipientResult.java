package dev.relay.client.transport;

import dev.relay.mail.SmtpReply;

/** What the next hop did with one recipient: the reply decides (2xx delivered, 4xx deferred, 5xx failed). */
public sealed interface RecipientResult {

    SmtpReply reply();

    /** The next hop took responsibility (250 after the final dot). */
    record Delivered(SmtpReply reply) implements RecipientResult {
    }

    /** Try again later: a 4xx reply, or a connection failure or timeout (treated as 451, RFC 5321 section 3.8). */
    record Deferred(SmtpReply reply) implements RecipientResult {
    }

    /** Permanent: a 5xx reply, or a check that failed before sending (size, 8-bit, SMTPUTF8). */
    record Failed(SmtpReply reply) implements RecipientResult {
    }

    /** The result a reply means: 2xx delivered, 4xx deferred, 5xx failed. */
    static RecipientResult of(SmtpReply reply) {
        if (reply.isPositive()) {
            return new Delivered(reply);
        }
        return reply.isPermanent() ? new Failed(reply) : new Deferred(reply);
    }
}
