package dev.relay.server.tls;

import dev.relay.mail.SmtpReply;
import dev.relay.server.auth.AuthCommand;
import dev.relay.server.auth.SmtpAuth;
import dev.relay.server.codec.Verb;
import dev.relay.server.command.CommandTable;
import dev.relay.server.command.Guard;
import dev.relay.server.session.SmtpSession;

/**
 * Adds the security rows to the receiver's command table (issue 6 sections 1 and 2):
 *
 * <ul>
 * <li>{@code STARTTLS} when TLS is configured, advertised in EHLO until TLS is active
 *     (RFC 3207 section 4.2: never after the handshake);</li>
 * <li>{@code AUTH PLAIN LOGIN} when a users file is configured, advertised only inside TLS
 *     (RFC 4954 section 4, and so that no password ever crosses the network in clear);</li>
 * <li>with {@code tls_required}, MAIL outside TLS is answered 530 5.7.0 (RFC 3207 section 4:
 *     "530 5.7.0 Must issue a STARTTLS command first"). Only for private submission setups:
 *     a publicly referenced relay on port 25 MUST NOT require TLS.</li>
 * </ul>
 *
 * <pre>
 * CommandTable table = SecurityCommands.install(CommandTable.standard(), tls, auth).build();
 * </pre>
 */
public final class SecurityCommands {

    /** RFC 3207 section 4. */
    public static final SmtpReply MUST_STARTTLS = SmtpReply.of(530, "5.7.0", "Must issue a STARTTLS command first");

    private SecurityCommands() {
    }

    /**
     * Registers STARTTLS (when {@code tls} is not null), AUTH (when {@code auth} is not null) and
     * the TLS requirement of {@code tls.settings().requireTls()} on {@code table}.
     */
    public static CommandTable.Builder install(CommandTable.Builder table, ServerTls tls, SmtpAuth auth) {
        if (tls != null) {
            table.register(Verb.STARTTLS, new StartTlsCommand(tls), Guard.NO_ARGUMENT)
                    .advertise(s -> s.connection().tlsActive() ? null : "STARTTLS");
            if (tls.settings().requireTls()) {
                CommandTable standard = CommandTable.standard().build();
                table.register(Verb.MAIL, (s, c) -> {
                    if (s.connection().heloName() != null && !s.connection().tlsActive()) {
                        s.reply(MUST_STARTTLS);
                    } else {
                        standard.dispatch(s, c);
                    }
                });
            }
        }
        if (auth != null) {
            table.register(Verb.AUTH, new AuthCommand(auth))
                    .advertise(s -> mayAuthenticate(s) ? "AUTH " + AuthCommand.MECHANISMS : null);
        }
        return table;
    }

    private static boolean mayAuthenticate(SmtpSession s) {
        return s.connection().tlsActive();
    }
}
