package dev.relay.server.command;

import dev.relay.mail.SmtpReply;
import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.session.SmtpSession;
import java.util.ArrayList;
import java.util.List;

/**
 * EHLO and HELO (RFC 5321 section 4.1.1.1). Either one resets the session exactly as RSET would
 * (section 4.1.4) and records the client's name; EHLO answers with the extension keywords, HELO
 * with the host name alone. The name is taken as given (the Received header shows it next to the
 * address literal of the connection).
 */
public final class HeloCommand implements CommandHandler {
    static final HeloCommand EHLO = new HeloCommand(true);
    static final HeloCommand HELO = new HeloCommand(false);

    private final boolean extended;

    private HeloCommand(boolean extended) {
        this.extended = extended;
    }

    @Override
    public void handle(SmtpSession session, SmtpCommand command) {
        if (!command.hasArgument()) {
            session.reply(extended ? Replies.EHLO_SYNTAX : Replies.HELO_SYNTAX);
            return;
        }
        session.endTransaction();
        session.connection().helo(command.argument(), extended);
        String host = session.context().settings().hostName();
        if (!extended) {
            session.reply(Replies.helo(host));
            return;
        }
        List<String> lines = new ArrayList<>();
        lines.add(host);
        lines.addAll(session.context().commands().ehloKeywords(session));
        // RFC 5321 4.1.1.1: the EHLO reply is keyword lines, so no enhanced status code
        session.reply(new SmtpReply(250, null, lines));
    }
}
