package dev.relay.client.tls;

import java.util.Locale;

/**
 * How the forwarder uses TLS towards one next hop (RFC 3207), the route option
 * {@code tls=...}. The names follow Postfix's {@code smtp_tls_security_level} where they meet.
 */
public enum TlsPolicy {

    /** Never STARTTLS, even when offered ({@code tls=none}). */
    NONE,
    /**
     * STARTTLS whenever the next hop offers it, without verifying its certificate (Postfix's
     * {@code may}): protects against passive eavesdropping; the default, because most of the
     * internet's MX hosts present certificates that do not verify.
     */
    OPPORTUNISTIC,
    /**
     * STARTTLS must be offered and succeed; the certificate chain is verified against the
     * trust store and the host name against the certificate (Postfix's {@code secure}).
     * Without it, the delivery is deferred, never sent in clear ({@code tls=required}).
     */
    REQUIRED,
    /** TLS from the first byte (RFC 8314, port 465), verified like {@link #REQUIRED} ({@code tls=implicit}). */
    IMPLICIT;

    /** Whether the certificate and host name are verified. */
    public boolean verifies() {
        return this == REQUIRED || this == IMPLICIT;
    }

    /** The name used in configuration, e.g. {@code opportunistic}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a configuration value: {@code none}, {@code opportunistic}, {@code required} or
     * {@code implicit} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static TlsPolicy parse(String value) {
        if (value != null) {
            for (TlsPolicy p : values()) {
                if (p.configName().equalsIgnoreCase(value.strip())) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException("tls=" + value + " is not one of none, opportunistic, required, implicit");
    }
}
