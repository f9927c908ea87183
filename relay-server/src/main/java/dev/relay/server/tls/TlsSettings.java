package dev.relay.server.tls;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The receiver's TLS settings, immutable and validated once.
 *
 * <p>Defaults: {@code enabled=true} with a self-signed certificate kept in
 * {@code <data>/tls/} when no PEM files are named; {@code requireTls=false} (RFC 3207 section 4:
 * a publicly-referenced server on port 25 MUST NOT require STARTTLS); no implicit-TLS
 * listener; handshake timeout 30 seconds.
 *
 * @param enabled          whether STARTTLS is offered at all ({@code tls_enabled}, default true)
 * @param certificateChain PEM certificate chain, leaf first ({@code tls_certificate}); null for the self-signed one
 * @param privateKey       PEM private key, PKCS#8 or PKCS#1 ({@code tls_key}); null for the self-signed one
 * @param selfSignedDir    where the self-signed certificate and key are kept ({@code <data>/tls})
 * @param hostname         the name written into the self-signed certificate (the relay's host name)
 * @param requireTls       answer 530 5.7.0 to MAIL outside TLS ({@code tls_required}, default false)
 * @param handshakeTimeout how long a TLS handshake may take ({@code tls_handshake_timeout}, default 30s)
 */
public record TlsSettings(boolean enabled, Path certificateChain, Path privateKey, Path selfSignedDir,
                          String hostname, boolean requireTls, Duration handshakeTimeout) {

    /** Default handshake timeout. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

    public TlsSettings {
        if ((certificateChain == null) != (privateKey == null)) {
            throw new IllegalArgumentException("tls_certificate and tls_key must be set together (got "
                    + (certificateChain == null ? "only tls_key=" + privateKey : "only tls_certificate=" + certificateChain)
                    + ")");
        }
        if (enabled && certificateChain == null && selfSignedDir == null) {
            throw new IllegalArgumentException("TLS without tls_certificate/tls_key needs a folder for the self-signed certificate");
        }
        if (requireTls && !enabled) {
            throw new IllegalArgumentException("tls_required=true needs tls_enabled=true");
        }
        if (hostname == null || hostname.isBlank()) {
            throw new IllegalArgumentException("TLS settings need the relay's host name");
        }
        if (handshakeTimeout == null) {
            handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("tls_handshake_timeout must be positive: " + handshakeTimeout);
        }
    }

    /** TLS off: no STARTTLS, no AUTH (AUTH is offered only inside TLS). */
    public static TlsSettings disabled(String hostname) {
        return new TlsSettings(false, null, null, null, hostname, false, DEFAULT_HANDSHAKE_TIMEOUT);
    }

    /** The defaults: STARTTLS offered with a self-signed certificate kept in {@code dataDir/tls}. */
    public static TlsSettings selfSigned(Path dataDir, String hostname) {
        return new TlsSettings(true, null, null, dataDir.resolve("tls"), hostname, false, DEFAULT_HANDSHAKE_TIMEOUT);
    }

    /** STARTTLS with the administrator's certificate chain and key. */
    public static TlsSettings pem(Path certificateChain, Path privateKey, String hostname) {
        return new TlsSettings(true, certificateChain, privateKey, null, hostname, false, DEFAULT_HANDSHAKE_TIMEOUT);
    }

    /** A copy that requires TLS before MAIL. */
    public TlsSettings withRequireTls(boolean required) {
        return new TlsSettings(enabled, certificateChain, privateKey, selfSignedDir, hostname, required, handshakeTimeout);
    }
}
