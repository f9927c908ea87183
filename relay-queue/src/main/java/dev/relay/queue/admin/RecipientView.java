package dev.relay.queue.admin;

import dev.relay.queue.RecipientState;
import dev.relay.mail.Path;
import dev.relay.mail.SmtpReply;
import java.time.Instant;

/** A recipient as relayctl shows it; {@code nextAttempt}, {@code lastReply} and {@code lastNextHop} may be null. */
public record RecipientView(long id, Path forwardPath, String orcpt, String notifyOn, RecipientState state,
                            int attempts, Instant nextAttempt, SmtpReply lastReply, String lastNextHop) {
}
