package dev.relay.server.command;

import dev.relay.mail.AddressException;
import dev.relay.mail.MailParameters;
import dev.relay.mail.ParameterException;
import dev.relay.mail.Path;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.QueueId;
import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.session.SmtpSession;
import dev.relay.server.session.Transaction;

/**
 * MAIL FROM (RFC 5321 section 4.1.1.2): sequence, syntax, parameters, size; then a new
 * transaction with a fresh queue id. The reverse-path is stored exactly as received; the
 * forwarder, not the receiver, applies the source-route mode to it.
 */
final class MailCommand implements CommandHandler {

    @Override
    public void handle(SmtpSession session, SmtpCommand command) {
        if (session.transaction() != null) {
            session.reply(Replies.NESTED_MAIL);
            return;
        }
        PathArgument arg = PathArgument.split(command.argument(), "FROM:");
        if (arg == null) {
            session.reply(Replies.MAIL_SYNTAX);
            return;
        }
        MailParameters parameters;
        try {
            parameters = parseParameters(session, arg.parameters());
        } catch (ParameterException e) {
            session.reply(parameterRefusal(e));
            return;
        }
        Path reversePath;
        try {
            reversePath = Path.parseReversePath(arg.path(), parameters.smtputf8());
        } catch (AddressException e) {
            session.reply(Replies.badSender(e.reason()));
            return;
        }
        long max = session.context().settings().maxMessageSize();
        if (parameters.size() != null && parameters.size() > max) {
            // RFC 1870 section 6.1: the declared size is over the fixed maximum
            session.context().metrics().messageRefused("size");
            session.reply(Replies.SIZE_EXCEEDED);
            return;
        }
        QueueId id = session.context().newQueueId();
        session.beginTransaction(new Transaction(id, reversePath, parameters));
        session.reply(Replies.SENDER_OK);
    }

    /**
     * RFC 5321 4.1.1.11 / 4.1.1.2: parameters only for extensions the server offered; after HELO
     * none were offered, so any parameter is unknown (555).
     */
    private static MailParameters parseParameters(SmtpSession session, String text) throws ParameterException {
        if (text.isEmpty()) {
            return MailParameters.NONE;
        }
        if (!session.connection().esmtp()) {
            throw new ParameterException(ParameterException.Kind.UNKNOWN_KEYWORD, firstKeyword(text), "no extensions after HELO");
        }
        return MailParameters.parse(text);
    }

    static String firstKeyword(String text) {
        String first = text.split(" ", 2)[0];
        int eq = first.indexOf('=');
        return eq < 0 ? first : first.substring(0, eq);
    }

    /** 555 5.5.4 for an unknown keyword, 501 5.5.4 for a bad value. */
    static SmtpReply parameterRefusal(ParameterException e) {
        return e.kind() == ParameterException.Kind.UNKNOWN_KEYWORD
                ? Replies.unknownParameter(e.keyword())
                : Replies.badParameter(e.getMessage());
    }
}
