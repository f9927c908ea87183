package dev.relay.server.command;

import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.session.SmtpSession;

/** The effect of one verb, run on the session's event loop after the row's guards passed. */
@FunctionalInterface
public interface CommandHandler {
    void handle(SmtpSession session, SmtpCommand command);
}
