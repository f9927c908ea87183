package dev.relay.mail;

/**
 * What the relay does with a source-routed forward-path {@code <@a,@b:u@c>} (RFC 821 section 3.6
 * against RFC 5321 section 4.1.1.3 and appendix C). The receiver stores paths as received and
 * refuses them in {@link #REJECT} mode; the forwarder applies the other modes.
 */
public enum SourceRouteMode {
    /**
     * The seed's model and the default: our own names are removed from the front of the route,
     * the message goes to the first host left (never a shortcut, RFC 5321 appendix F.2), and our
     * host name is put in front of the reverse-path of the recipients that came with a route
     * (RFC 821 section 3.6); mail without a route keeps its reverse-path as received.
     */
    RFC821,
    /** As {@link #RFC821}, but the reverse-path is left alone (RFC 5321 appendix C). */
    HONOR,
    /** The route is dropped and the mailbox's domain decides (RFC 5321 section 3.6.1). */
    STRIP,
    /** RCPT with a source route is refused with 550 5.7.1. */
    REJECT
}
