package dev.relay.server.command;

import dev.relay.mail.SmtpReply;
import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.session.SmtpSession;

/**
 * A precondition of a command row (HELO first, no argument, TLS first, ...): returns the reply
 * that refuses the command, or null to let it through. Guards run in the order of the row.
 */
@FunctionalInterface
public interface Guard {
    SmtpReply check(SmtpSession session, SmtpCommand command);

    /** RFC 5321 4.1.4: mail transactions need EHLO or HELO first: 503 5.5.1. */
    Guard HELO_FIRST = (s, c) -> s.connection().heloName() == null ? Replies.NEED_HELO : null;

    /** Commands that take no argument (RSET, DATA, QUIT): 501 5.5.4. */
    Guard NO_ARGUMENT = (s, c) -> c.hasArgument() ? Replies.NO_ARGUMENTS_ALLOWED : null;

    /** {@code tls_required}: MAIL outside TLS is refused, RFC 3207 section 4: 530 5.7.0. */
    Guard TLS_FIRST = (s, c) -> s.connection().tlsActive() ? null : Replies.MUST_STARTTLS;
}
