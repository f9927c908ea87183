package dev.relay.server.command;

import dev.relay.mail.SmtpReply;
import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.tls.ServerTls;
import dev.relay.server.session.SmtpSession;
import io.netty.channel.Channel;

/**
 * STARTTLS (RFC 3207). The order of the steps is the security of it:
 *
 * <ol>
 * <li>Input the client sent after the STARTTLS line and that is still buffered is dropped (RFC
 *     3207 section 4.2 and CVE-2011-0411, the Postfix/Exim "STARTTLS command injection": a
 *     man in the middle appends {@code RSET\r\nMAIL FROM...} to the client's STARTTLS packet so
 *     that it runs inside the client's TLS session). Bytes that arrive later in clear text reach
 *     the SslHandler, which refuses them as not-TLS and ends the connection.</li>
 * <li>The SslHandler goes in front, in "start TLS" mode: the 220 is the last clear-text write.</li>
 * <li>The session goes back to the state right after the greeting (RFC 3207 section 4.2: the
 *     server MUST discard any knowledge obtained from the client, such as the EHLO argument):
 *     no EHLO name, no transaction, not authenticated. The session counts as encrypted only once
 *     the handshake succeeded ({@link ServerTls}).</li>
 * </ol>
 */
final class StartTlsCommand implements CommandHandler {

    /** RFC 3207 section 4: 220 Ready to start TLS. */
    static final SmtpReply READY = SmtpReply.of(220, "2.0.0", "Ready to start TLS");
    /** STARTTLS inside TLS (RFC 3207 section 4.2: not offered again). */
    static final SmtpReply ALREADY_ACTIVE = SmtpReply.of(503, "5.5.1", "Error: TLS already active");

    private final ServerTls tls;

    StartTlsCommand(ServerTls tls) {
        this.tls = tls;
    }

    @Override
    public void handle(SmtpSession session, SmtpCommand command) {
        Channel ch = session.channelContext().channel();
        if (session.connection().tlsActive() || ServerTls.hasTls(ch)) {
            session.reply(ALREADY_ACTIVE);
            return;
        }
        session.discardBufferedInput();
        tls.install(ch, true);
        session.reply(READY);
        session.channelContext().flush();
        session.resetToInitialState();
    }
}
