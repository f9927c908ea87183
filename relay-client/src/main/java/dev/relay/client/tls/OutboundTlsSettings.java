package dev.relay.client.tls;

import java.nio.file.Path;

/**
 * The forwarder's TLS settings, immutable.
 *
 * @param defaultPolicy   policy for next hops whose route names none ({@code client_tls}, default {@code opportunistic})
 * @param caFile          PEM file of trusted CA certificates for verified sessions
 *                        ({@code client_tls_ca_file}); null for the JDK's trust store
 * @param credentialsFile the smarthost credentials file ({@code client_credentials_file}, mode 0600); null for none
 */
public record OutboundTlsSettings(TlsPolicy defaultPolicy, Path caFile, Path credentialsFile) {

    public OutboundTlsSettings {
        if (defaultPolicy == null) {
            defaultPolicy = TlsPolicy.OPPORTUNISTIC;
        }
    }

    /** The defaults: opportunistic STARTTLS, the JDK trust store, no credentials. */
    public static OutboundTlsSettings defaults() {
        return new OutboundTlsSettings(TlsPolicy.OPPORTUNISTIC, null, null);
    }
}
