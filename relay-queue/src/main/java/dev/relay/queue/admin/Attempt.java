package dev.relay.queue.admin;

import dev.relay.queue.RecipientState;
import dev.relay.mail.SmtpReply;
import java.time.Instant;

/** One row of a recipient's attempt history: when, where, what came of it. */
public record Attempt(long recipientId, Instant time, String nextHop, RecipientState outcome, SmtpReply reply) {
}
