package dev.relay.dist.cli;

/** An expected failure of a relayctl command: printed as one line {@code relayctl: MESSAGE}, exit code 1. */
public final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CliException(String message) {
        super(message);
    }

    public CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
