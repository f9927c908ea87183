package dev.relay.server.command;

import dev.relay.mail.AddressException;
import dev.relay.mail.ParameterException;
import dev.relay.mail.Path;
import dev.relay.mail.RcptParameters;
import dev.relay.queue.Recipient;
import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.policy.RelayPolicy;
import dev.relay.server.session.SmtpSession;
import dev.relay.server.session.Transaction;

/**
 * RCPT TO (RFC 5321 section 4.1.1.3): sequence (503 without MAIL), syntax (501 5.1.3),
 * parameters (555/501), the recipient limit (452 4.5.3, section 4.5.3.1.10), relay policy
 * (554 5.7.1, 550 5.7.1 for refused source routes), unknown local users (550 5.1.1; a local part
 * with a routing operator, {@code %}, {@code !} or {@code @}, never names a local mailbox, even from
 * a trusted client); then the forward-path is added exactly as received, source route included.
 */
final class RcptCommand implements CommandHandler {

    @Override
    public void handle(SmtpSession session, SmtpCommand command) {
        Transaction tx = session.transaction();
        if (tx == null) {
            session.reply(Replies.NEED_MAIL);
            return;
        }
        PathArgument arg = PathArgument.split(command.argument(), "TO:");
        if (arg == null) {
            session.reply(Replies.RCPT_SYNTAX);
            return;
        }
        RcptParameters parameters;
        try {
            if (arg.parameters().isEmpty()) {
                parameters = RcptParameters.NONE;
            } else if (!session.connection().esmtp()) {
                throw new ParameterException(ParameterException.Kind.UNKNOWN_KEYWORD,
                        MailCommand.firstKeyword(arg.parameters()), "no extensions after HELO");
            } else {
                parameters = RcptParameters.parse(arg.parameters());
            }
        } catch (ParameterException e) {
            session.reply(MailCommand.parameterRefusal(e));
            return;
        }
        Path forwardPath;
        try {
            forwardPath = Path.parseForwardPath(arg.path(), tx.smtputf8());
        } catch (AddressException e) {
            session.reply(Replies.badRecipient(e.reason()));
            return;
        }
        if (tx.recipients().size() >= session.context().settings().maxRecipients()) {
            session.context().metrics().recipientRefused("limit");
            session.reply(Replies.TOO_MANY_RECIPIENTS);
            return;
        }
        RelayPolicy.Decision decision = session.context().relayPolicy().decide(forwardPath, session.connection().mayRelay());
        switch (decision) {
            case ROUTE_REFUSED -> {
                session.context().metrics().recipientRefused("route");
                session.rejectRecipient(Replies.sourceRouteRefused(forwardPath), forwardPath);
                return;
            }
            case RELAY_DENIED -> {
                session.context().metrics().recipientRefused("relay");
                session.rejectRecipient(Replies.relayDenied(forwardPath), forwardPath);
                return;
            }
            case LOCAL -> {
                // RFC 5321 4.5.1: postmaster of a local domain is always accepted
                if (!forwardPath.mailbox().isPostmaster()
                        && (RelayPolicy.hasRoutingOperator(forwardPath.mailbox().localPart())
                        || !session.context().localRecipients().exists(forwardPath.mailbox()))) {
                    session.context().metrics().recipientRefused("unknown-user");
                    session.rejectRecipient(Replies.unknownUser(forwardPath), forwardPath);
                    return;
                }
            }
            case RELAY -> {
                // accepted
            }
        }
        tx.addRecipient(new Recipient(forwardPath, parameters));
        session.reply(Replies.RECIPIENT_OK);
    }
}
