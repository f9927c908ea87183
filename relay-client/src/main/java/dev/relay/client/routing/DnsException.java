package dev.relay.client.routing;

/** A DNS lookup that gave no answer: the name does not exist (permanent) or the server failed (temporary). */
public final class DnsException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why there is no answer. */
    public enum Kind {
        /** NXDOMAIN: the name does not exist. */
        NOT_FOUND,
        /** SERVFAIL, REFUSED, a timeout or an I/O error: try again later (RFC 5321 section 4.5.4.1). */
        TEMPORARY
    }

    private final Kind kind;

    public DnsException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
