package dev.relay.client.routing;

import java.util.Locale;

/**
 * How a route uses TLS towards its next hop (the route table's {@code tls=} option). The
 * forwarder carries the policy; TLS itself is wired in by the security issue.
 */
public enum TlsPolicy {
    /** Never STARTTLS. */
    NONE,
    /** STARTTLS when the next hop offers it, plain text otherwise (the default). */
    OPPORTUNISTIC,
    /** STARTTLS is required: a next hop without it is deferred. */
    REQUIRED,
    /** TLS from the first byte (SMTPS, RFC 8314, usually port 465). */
    IMPLICIT;

    /** The name as written in the route table, e.g. {@code opportunistic}. */
    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a route-table value; null when unknown. */
    static TlsPolicy fromKeyword(String value) {
        for (TlsPolicy p : values()) {
            if (p.keyword().equalsIgnoreCase(value)) {
                return p;
            }
        }
        return null;
    }
}
