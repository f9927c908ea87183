package dev.relay.client.local;

/** Local delivery to a local part that has no Maildir while unknown users are refused. */
public final class UnknownUserException extends Exception {
    private static final long serialVersionUID = 1L;

    public UnknownUserException(String message) {
        super(message);
    }
}
