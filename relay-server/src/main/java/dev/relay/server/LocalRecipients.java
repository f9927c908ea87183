package dev.relay.server;

import dev.relay.mail.Mailbox;

/**
 * Answers whether a mailbox of a local domain exists, so that RCPT can refuse an unknown local
 * user with {@code 550 5.1.1} instead of accepting mail that would bounce later. relay-dist plugs
 * in the forwarder's local-delivery settings; the receiver knows nothing else about them.
 *
 * <p>Called on a Netty event loop for every RCPT to a local domain: implementations must answer
 * from memory and never block (no file system or network look-ups).
 */
@FunctionalInterface
public interface LocalRecipients {

    /** Accepts every local mailbox (the default until relay-dist wires the real table). */
    LocalRecipients ACCEPT_ALL = mailbox -> true;

    /**
     * True when mail to {@code mailbox} (whose domain is a local domain; {@code <postmaster>}
     * without a domain included) can be delivered locally.
     */
    boolean exists(Mailbox mailbox);
}
