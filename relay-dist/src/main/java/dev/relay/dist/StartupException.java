package dev.relay.dist;

/** The relay cannot start: one line that says what and what to do; printed without a stack trace. */
public final class StartupException extends Exception {
    private static final long serialVersionUID = 1L;

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
