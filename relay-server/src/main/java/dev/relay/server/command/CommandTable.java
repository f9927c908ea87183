package dev.relay.server.command;

import dev.relay.mail.SmtpReply;
import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.codec.Verb;
import dev.relay.server.auth.SmtpAuth;
import dev.relay.server.session.SmtpSession;
import dev.relay.server.tls.ServerTls;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The one table of verbs, as SubEthaSMTP's {@code CommandRegistry}: each row is a handler with its
 * guards (HELO first, no argument, TLS first), and the EHLO keywords are listed next to it,
 * advertised only when implemented (RFC 5321 section 4.1.1.1: a server lists the extensions it
 * supports). A verb with no row is answered 502 5.5.1, {@link Verb#UNKNOWN} 500 5.5.1.
 *
 * <p>{@link #standard(ServerTls, SmtpAuth)} registers every verb the receiver knows, STARTTLS and
 * AUTH included when they are configured; a test may replace a row with
 * {@link Builder#register(Verb, CommandHandler, Guard...)}.
 */
public final class CommandTable {

    private record Row(CommandHandler handler, List<Guard> guards) {
    }

    private final Map<Verb, Row> rows;
    private final List<Function<SmtpSession, String>> keywords;

    private CommandTable(Map<Verb, Row> rows, List<Function<SmtpSession, String>> keywords) {
        this.rows = rows;
        this.keywords = keywords;
    }

    /** The RFC 5321 commands and the extensions that need no configuration; no STARTTLS, no AUTH. */
    public static Builder standard() {
        return standard(null, null);
    }

    /**
     * Every command of the receiver:
     *
     * <ul>
     * <li>the RFC 5321 commands, and the extensions PIPELINING, SIZE, 8BITMIME,
     *     ENHANCEDSTATUSCODES, SMTPUTF8 and DSN;</li>
     * <li>{@code STARTTLS} when {@code tls} is not null, advertised in EHLO until TLS is active
     *     (RFC 3207 section 4.2: never after the handshake); with {@code tls_required}, MAIL
     *     outside TLS is answered 530 5.7.0 (RFC 3207 section 4), a guard after "HELO first".
     *     Only for private submission setups: a publicly referenced relay on port 25 MUST NOT
     *     require TLS;</li>
     * <li>{@code AUTH PLAIN LOGIN} when {@code auth} is not null, advertised only inside TLS
     *     (RFC 4954 section 4, and so that no password ever crosses the network in clear).</li>
     * </ul>
     */
    public static Builder standard(ServerTls tls, SmtpAuth auth) {
        boolean tlsRequired = tls != null && tls.settings().requireTls();
        Guard[] mailGuards = tlsRequired ? new Guard[] {Guard.HELO_FIRST, Guard.TLS_FIRST}
                : new Guard[] {Guard.HELO_FIRST};
        Builder table = new Builder()
                .register(Verb.EHLO, HeloCommand.EHLO)
                .register(Verb.HELO, HeloCommand.HELO)
                .register(Verb.MAIL, new MailCommand(), mailGuards)
                .register(Verb.RCPT, new RcptCommand())
                .register(Verb.DATA, new DataCommand(), Guard.NO_ARGUMENT)
                .register(Verb.RSET, (s, c) -> {
                    s.endTransaction();
                    s.reply(Replies.OK);
                }, Guard.NO_ARGUMENT)
                .register(Verb.NOOP, (s, c) -> s.reply(Replies.OK)) // RFC 5321 4.1.1.9: an argument is ignored
                .register(Verb.QUIT, (s, c) -> s.replyAndClose(Replies.BYE), Guard.NO_ARGUMENT)
                .register(Verb.VRFY, (s, c) -> s.reply(c.hasArgument() ? Replies.VRFY_CANNOT : Replies.VRFY_SYNTAX))
                .register(Verb.EXPN, fixed(Replies.EXPN_DISABLED))
                .register(Verb.HELP, fixed(Replies.HELP))
                .register(Verb.TURN, fixed(Replies.TURN_DISABLED))
                .register(Verb.SEND, fixed(Replies.OBSOLETE_COMMAND))
                .register(Verb.SOML, fixed(Replies.OBSOLETE_COMMAND))
                .register(Verb.SAML, fixed(Replies.OBSOLETE_COMMAND))
                // RFC 2920, RFC 1870, RFC 6152, RFC 2034, RFC 6531, RFC 3461: in this order after the host name
                .advertise(s -> "PIPELINING")
                .advertise(s -> "SIZE " + s.context().settings().maxMessageSize())
                .advertise(s -> "8BITMIME")
                .advertise(s -> "ENHANCEDSTATUSCODES")
                .advertise(s -> "SMTPUTF8")
                .advertise(s -> "DSN");
        if (tls != null) {
            table.register(Verb.STARTTLS, new StartTlsCommand(tls), Guard.NO_ARGUMENT)
                    .advertise(s -> s.connection().tlsActive() ? null : "STARTTLS");
        }
        if (auth != null) {
            table.register(Verb.AUTH, new AuthCommand(auth))
                    .advertise(s -> s.connection().tlsActive() ? "AUTH " + AuthCommand.MECHANISMS : null);
        }
        return table;
    }

    private static CommandHandler fixed(SmtpReply reply) {
        return (s, c) -> s.reply(reply);
    }

    /** Runs the row of {@code command}'s verb: guards in order, then the handler. */
    public void dispatch(SmtpSession session, SmtpCommand command) {
        if (command.verb() == Verb.UNKNOWN) {
            session.reply(Replies.UNKNOWN_COMMAND);
            return;
        }
        Row row = rows.get(command.verb());
        if (row == null) {
            session.reply(Replies.NOT_IMPLEMENTED);
            return;
        }
        for (Guard g : row.guards()) {
            SmtpReply refusal = g.check(session, command);
            if (refusal != null) {
                session.reply(refusal);
                return;
            }
        }
        row.handler().handle(session, command);
    }

    /** The EHLO keyword lines for this session, in order. */
    public List<String> ehloKeywords(SmtpSession session) {
        List<String> l = new ArrayList<>(keywords.size());
        for (Function<SmtpSession, String> k : keywords) {
            String v = k.apply(session);
            if (v != null) {
                l.add(v);
            }
        }
        return l;
    }

    /** Collects rows; the last registration of a verb wins. */
    public static final class Builder {
        private final Map<Verb, Row> rows = new EnumMap<>(Verb.class);
        private final List<Function<SmtpSession, String>> keywords = new ArrayList<>();

        /** Registers (or replaces) the row of {@code verb}. */
        public Builder register(Verb verb, CommandHandler handler, Guard... guards) {
            if (verb == Verb.UNKNOWN) {
                throw new IllegalArgumentException("UNKNOWN has no row");
            }
            rows.put(verb, new Row(handler, List.of(guards)));
            return this;
        }

        /** Adds an EHLO keyword line; the function returns null to leave it out for a session. */
        public Builder advertise(Function<SmtpSession, String> keyword) {
            keywords.add(keyword);
            return this;
        }

        public CommandTable build() {
            return new CommandTable(new EnumMap<>(rows), List.copyOf(keywords));
        }
    }
}
