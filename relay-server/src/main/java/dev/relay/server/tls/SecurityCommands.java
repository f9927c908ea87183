package dev.relay.server.tls;

import dev.relay.mail.SmtpReply;
import dev.relay.server.auth.SmtpAuth;
import dev.relay.server.command.CommandTable;
import dev.relay.server.command.Replies;

/**
 * The former second table of security rows, kept only until relay-dist builds its table with
 * {@link CommandTable#standard(ServerTls, SmtpAuth)}: every verb, STARTTLS and AUTH included, is
 * now registered there, and "TLS first" is a guard of the MAIL row.
 *
 * @deprecated use {@code CommandTable.standard(tls, auth)}
 */
@Deprecated(forRemoval = true)
public final class SecurityCommands {

    /** RFC 3207 section 4. */
    public static final SmtpReply MUST_STARTTLS = Replies.MUST_STARTTLS;

    private SecurityCommands() {
    }

    /**
     * The table of {@link CommandTable#standard(ServerTls, SmtpAuth)}; {@code table} must be a fresh
     * {@link CommandTable#standard()} (the only way it was ever called), and is not used.
     */
    public static CommandTable.Builder install(CommandTable.Builder table, ServerTls tls, SmtpAuth auth) {
        return CommandTable.standard(tls, auth);
    }
}
