package dev.relay.mail;

/** MAIL {@code RET=} (RFC 3461 section 4.3): what a DSN carries of the original message. */
public enum Ret {
    FULL,
    HDRS
}
