package dev.relay.server.session;

/**
 * The names of the pipeline's handlers, in reading order. The TLS handler (RFC 3207 STARTTLS
 * or implicit TLS) goes in front of all of them under {@link #TLS}.
 */
public final class HandlerNames {
    private HandlerNames() {
    }

    /** Reserved for the SslHandler, always first. */
    public static final String TLS = "tls";
    /** IdleStateHandler: 421 4.4.2 after the idle timeout. */
    public static final String IDLE = "idle";
    /** LineDeadline: one line (command or DATA text) must arrive within the command timeout. */
    public static final String DEADLINE = "deadline";
    /** LineFramer in the command phase; swapped for {@link #CONTENT} during DATA. */
    public static final String FRAMER = "framer";
    /** ContentDecoder during DATA, in the framer's place. */
    public static final String CONTENT = "content";
    /** CommandDecoder: lines to SmtpCommand values. */
    public static final String COMMANDS = "commands";
    /** ReplyEncoder: SmtpReply values to bytes. */
    public static final String REPLIES = "replies";
    /** SmtpSession: the state machine. */
    public static final String SESSION = "session";
}
