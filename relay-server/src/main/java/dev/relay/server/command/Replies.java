package dev.relay.server.command;

import dev.relay.mail.EnhancedStatus;
import dev.relay.mail.Printable;
import dev.relay.mail.SmtpReply;
import java.util.List;

/**
 * Every reply the receiver sends, as named values. Codes follow RFC 5321 section 4.2 and the
 * enhanced status codes RFC 3463 (sent after EHLO, RFC 2034); the text follows Postfix where an
 * administrator would compare.
 */
public final class Replies {
    private Replies() {
    }

    // --- connection ---------------------------------------------------------------------------

    /** RFC 5321 4.2: 221 closing the transmission channel (after QUIT, section 4.1.1.10). */
    public static final SmtpReply BYE = SmtpReply.of(221, "2.0.0", "Bye");
    /** RFC 5321 3.8: 421 when the service shuts down; RFC 3463 4.3.2 "system not accepting network messages". */
    public static final SmtpReply SHUTTING_DOWN = SmtpReply.of(421, "4.3.2", "Service shutting down, closing transmission channel");
    /** RFC 5321 4.5.3.2.7 server timeout; RFC 3463 4.4.2 "bad connection". */
    public static final SmtpReply TIMEOUT = SmtpReply.of(421, "4.4.2", "Error: timeout exceeded, closing transmission channel");
    /** Too many connections in total; RFC 3463 4.7.0 "other security or policy status". */
    public static final SmtpReply TOO_MANY_CONNECTIONS = SmtpReply.of(421, "4.7.0", "Error: too many connections, try again later");
    /** Too many connections from one client address. */
    public static final SmtpReply TOO_MANY_CONNECTIONS_FROM_CLIENT = SmtpReply.of(421, "4.7.0", "Error: too many connections from your address, try again later");
    /** The session made too many errors (Postfix smtpd_hard_error_limit). */
    public static final SmtpReply TOO_MANY_ERRORS = SmtpReply.of(421, "4.7.0", "Error: too many errors, closing transmission channel");

    // --- generic ------------------------------------------------------------------------------

    /** RFC 5321 4.1.1.5 RSET / 4.1.1.9 NOOP: 250; RFC 3463 2.0.0. */
    public static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "Ok");
    /** RFC 5321 4.1.1.6 and 3.5.3: 252 "cannot VRFY user, but will accept message"; never confirms or denies a user. */
    public static final SmtpReply VRFY_CANNOT = SmtpReply.of(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
    /** RFC 5321 4.1.1.7 and 7.3: EXPN exposes lists, so it is not implemented: 502. */
    public static final SmtpReply EXPN_DISABLED = SmtpReply.of(502, "5.5.1", "Error: EXPN is not available");
    /** RFC 5321 4.1.1.8 HELP: 214. */
    public static final SmtpReply HELP = new SmtpReply(214, EnhancedStatus.parse("2.0.0"), List.of(
            "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP",
            "See RFC 5321"));
    /** RFC 2505 / RFC 5321 appendix F.1: TURN is a security hole and removed: 502. */
    public static final SmtpReply TURN_DISABLED = SmtpReply.of(502, "5.5.1", "Error: TURN is not supported");
    /** RFC 5321 appendix F.6: SEND, SOML and SAML are obsolete: 502. */
    public static final SmtpReply OBSOLETE_COMMAND = SmtpReply.of(502, "5.5.1", "Error: command not implemented");
    /** A known verb this server does not implement: 502 (RFC 5321 4.2.4). */
    public static final SmtpReply NOT_IMPLEMENTED = SmtpReply.of(502, "5.5.1", "Error: command not implemented");
    /** RFC 5321 4.2.4: 500 for an unrecognised command; RFC 3463 5.5.1 "invalid command". */
    public static final SmtpReply UNKNOWN_COMMAND = SmtpReply.of(500, "5.5.1", "Error: command not recognized");
    /** RFC 5321 4.5.3.1.9 "500 Line too long"; RFC 3463 5.5.2 "syntax error". */
    public static final SmtpReply LINE_TOO_LONG = SmtpReply.of(500, "5.5.2", "Error: line too long");
    /** A command line ended by a bare LF when bare line ends are refused (RFC 5321 2.3.8). */
    public static final SmtpReply BARE_LF_IN_COMMAND = SmtpReply.of(500, "5.5.2", "Error: bare <LF> received, commands end with <CR><LF>");
    /** RFC 5321 4.1.2: invalid character codes get 501. */
    public static final SmtpReply INVALID_CHARACTERS = SmtpReply.of(501, "5.5.2", "Syntax error: invalid character in command");
    /** RFC 5321 4.2.4: 501 syntax error in parameters or arguments; RFC 3463 5.5.4. */
    public static final SmtpReply NO_ARGUMENTS_ALLOWED = SmtpReply.of(501, "5.5.4", "Syntax error: no arguments allowed");
    public static final SmtpReply HELO_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: HELO hostname");
    public static final SmtpReply EHLO_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: EHLO hostname");
    public static final SmtpReply MAIL_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: MAIL FROM:<address>");
    public static final SmtpReply RCPT_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: RCPT TO:<address>");
    public static final SmtpReply VRFY_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: VRFY address");

    // --- sequence (RFC 5321 4.1.4 and 3.3: 503) ----------------------------------------------------

    /** RFC 5321 4.1.4: a session that will contain mail transactions MUST first be initialised by EHLO. */
    public static final SmtpReply NEED_HELO = SmtpReply.of(503, "5.5.1", "Error: send HELO/EHLO first");
    /** RFC 5321 4.1.4: MAIL inside a transaction. */
    public static final SmtpReply NESTED_MAIL = SmtpReply.of(503, "5.5.1", "Error: nested MAIL command");
    /** RFC 5321 3.3: RCPT without MAIL MUST get 503. */
    public static final SmtpReply NEED_MAIL = SmtpReply.of(503, "5.5.1", "Error: need MAIL command");
    /** RFC 5321 3.3: DATA without an accepted RCPT. */
    public static final SmtpReply NEED_RCPT = SmtpReply.of(503, "5.5.1", "Error: need RCPT command");

    // --- transaction ---------------------------------------------------------------------------

    /** RFC 5321 4.1.1.2 MAIL accepted; RFC 3463 2.1.0 "other address status". */
    public static final SmtpReply SENDER_OK = SmtpReply.of(250, "2.1.0", "Ok");
    /** RFC 5321 4.1.1.3 RCPT accepted; RFC 3463 2.1.5 "destination address valid". */
    public static final SmtpReply RECIPIENT_OK = SmtpReply.of(250, "2.1.5", "Ok");
    /**
     * RFC 5321 4.1.1.4: 354 start mail input. No enhanced code: RFC 3463 defines classes 2, 4
     * and 5 only, and Postfix and Exim send none here either.
     */
    public static final SmtpReply START_MAIL_INPUT = new SmtpReply(354, null, List.of("End data with <CR><LF>.<CR><LF>"));
    /** RFC 5321 4.5.3.1.10: a recipient limit MUST be answered 452; RFC 3463 4.5.3 "too many recipients". */
    public static final SmtpReply TOO_MANY_RECIPIENTS = SmtpReply.of(452, "4.5.3", "Error: too many recipients");
    /** RFC 1870 6.1: SIZE= over the fixed maximum: 552; RFC 3463 5.3.4 "message too big for system". */
    public static final SmtpReply SIZE_EXCEEDED = SmtpReply.of(552, "5.3.4", "Error: message size exceeds fixed limit");
    /** RFC 5321 4.5.3.1.6/4.5.3.1.9: a text line over the limit, refused at the end of data. */
    public static final SmtpReply TEXT_LINE_TOO_LONG = SmtpReply.of(500, "5.5.2", "Error: message refused, a text line is too long");
    /** RFC 5321 2.3.8 and 4.1.1.4: lines end with CRLF; refused when bare line ends are not accepted. */
    public static final SmtpReply BARE_LINE_END_IN_DATA = SmtpReply.of(550, "5.5.2", "Error: message refused, bare <CR> or <LF> received");
    /** RFC 5321 6.3 loop detection by Received count; RFC 3463 5.4.6 "routing loop detected". */
    public static final SmtpReply LOOP_DETECTED = SmtpReply.of(554, "5.4.6", "Error: too many Received headers, mail forwarding loop");
    /** RFC 5321 4.2.5 / 6.1: the message could not be stored; nothing was acknowledged. RFC 3463 4.3.0. */
    public static final SmtpReply QUEUE_FAILED = SmtpReply.of(451, "4.3.0", "Error: queue file write error, try again later");
    /** RFC 1870 6.1 "452 insufficient system storage"; RFC 3463 4.3.1 "mail system full". */
    public static final SmtpReply QUEUE_FULL = SmtpReply.of(452, "4.3.1", "Error: insufficient system storage");

    /** RFC 5321 4.1.1.4: 250 only once the message is durable (section 6.1). */
    public static SmtpReply queued(Object queueId) {
        return SmtpReply.of(250, "2.0.0", "Ok: queued as " + queueId);
    }

    /** RFC 5321 4.1.1.1: the one-line answer to HELO (no enhanced code: the client did not ask for them). */
    public static SmtpReply helo(String hostName) {
        return new SmtpReply(250, null, List.of(hostName));
    }

    /** A bad reverse-path: 501 with RFC 3463 5.1.7 "bad sender's mailbox address syntax" and the parser's reason. */
    public static SmtpReply badSender(String reason) {
        return SmtpReply.of(501, "5.1.7", "Bad sender address syntax: " + Printable.escape(reason));
    }

    /** A bad forward-path: 501 with RFC 3463 5.1.3 "bad destination mailbox address syntax". */
    public static SmtpReply badRecipient(String reason) {
        return SmtpReply.of(501, "5.1.3", "Bad recipient address syntax: " + Printable.escape(reason));
    }

    /** RFC 5321 4.1.1.11: an unknown MAIL/RCPT parameter is 555; RFC 3463 5.5.4. */
    public static SmtpReply unknownParameter(String keyword) {
        return SmtpReply.of(555, "5.5.4", "Unsupported parameter: " + Printable.escape(keyword));
    }

    /** A known MAIL/RCPT parameter with a bad value: 501 5.5.4. */
    public static SmtpReply badParameter(String message) {
        return SmtpReply.of(501, "5.5.4", "Bad parameter: " + Printable.escape(message));
    }

    /**
     * Every relay refusal (a foreign domain, a source route through a host that is not ours, a
     * routing operator in the local part, an address literal), one reply for all: 554 5.7.1, as
     * Postfix's reject_unauth_destination sends (relay_domains_reject_code). RFC 5321 sections
     * 3.6.2 and 7.9 suggest 550; both are permanent and clients treat them alike. RFC 3463 X.7.1:
     * delivery not authorized, message refused.
     */
    public static SmtpReply relayDenied(Object path) {
        return SmtpReply.of(554, "5.7.1", Printable.escape(String.valueOf(path)) + ": Relay access denied");
    }

    /** RFC 5321 4.1.1.3 and appendix C: source routes refused by configuration; 550 5.7.1. */
    public static SmtpReply sourceRouteRefused(Object path) {
        return SmtpReply.of(550, "5.7.1", Printable.escape(String.valueOf(path)) + ": Source routes are not accepted");
    }

    /** RFC 5321 4.2.2: 550 mailbox unavailable; RFC 3463 5.1.1 "bad destination mailbox address". */
    public static SmtpReply unknownUser(Object path) {
        return SmtpReply.of(550, "5.1.1", Printable.escape(String.valueOf(path)) + ": Recipient address rejected: User unknown in local recipient table");
    }

    /** RFC 3207 section 4: MAIL outside TLS when the server requires TLS. */
    public static final SmtpReply MUST_STARTTLS = SmtpReply.of(530, "5.7.0", "Must issue a STARTTLS command first");
}
