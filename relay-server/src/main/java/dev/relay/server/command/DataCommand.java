package dev.relay.server.command;

import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.session.SmtpSession;
import dev.relay.server.session.Transaction;

/**
 * DATA (RFC 5321 section 4.1.1.4): 503 without MAIL or without an accepted RCPT (section 3.3);
 * otherwise 354 and the session swaps in the content decoder.
 */
final class DataCommand implements CommandHandler {

    @Override
    public void handle(SmtpSession session, SmtpCommand command) {
        Transaction tx = session.transaction();
        if (tx == null) {
            session.reply(Replies.NEED_MAIL);
            return;
        }
        if (tx.recipients().isEmpty()) {
            session.reply(Replies.NEED_RCPT);
            return;
        }
        session.startData();
    }
}
