package dev.relay.client.transport;

import dev.relay.mail.SmtpReply;

/**
 * A session that could not be opened: TCP connect failed, the greeting was not 220, or EHLO and
 * HELO were refused. {@link #reply()} is the server's reply or one we made up (4.4.1 for connect
 * failures); {@link #connectFailed()} tells the engine to mark the next hop down.
 */
public final class TransportException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient SmtpReply reply;
    private final boolean connectFailed;
    private final boolean tlsSetupFailed;

    public TransportException(SmtpReply reply, boolean connectFailed, Throwable cause) {
        this(reply, connectFailed, false, cause);
    }

    TransportException(SmtpReply reply, boolean connectFailed, boolean tlsSetupFailed, Throwable cause) {
        super(reply.toString(), cause);
        this.reply = reply;
        this.connectFailed = connectFailed;
        this.tlsSetupFailed = tlsSetupFailed;
    }

    /** The session broke between STARTTLS and the EHLO that follows it (a failed TLS handshake). */
    public boolean tlsSetupFailed() {
        return tlsSetupFailed;
    }

    public SmtpReply reply() {
        return reply;
    }

    public boolean connectFailed() {
        return connectFailed;
    }
}
