package dev.relay.mail;

/** RCPT {@code NOTIFY=} (RFC 3461 section 4.1): NEVER, or any of SUCCESS, FAILURE, DELAY. */
public enum Notify {
    NEVER,
    SUCCESS,
    FAILURE,
    DELAY
}
