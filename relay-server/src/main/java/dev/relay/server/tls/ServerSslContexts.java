package dev.relay.server.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * Builds the receiver's Netty {@link SslContext} from {@link TlsSettings} (issue 6 section 1):
 * the administrator's PEM chain and key, or the self-signed pair from
 * {@link SelfSignedCertificates}; TLS 1.2 and 1.3 only; forward-secret AEAD cipher suites only.
 * The JDK provider is used (no native OpenSSL on the class path), so the cipher list is
 * filtered to what the running JDK supports.
 */
public final class ServerSslContexts {

    /** The only protocols offered (issue 6: TLS 1.2 and 1.3 only). */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /**
     * TLS 1.3 suites, then TLS 1.2 ECDHE/DHE with AES-GCM or ChaCha20-Poly1305 (Mozilla's
     * "intermediate" list): forward secrecy and AEAD only; no CBC, no RSA key exchange.
     */
    public static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");

    private ServerSslContexts() {
    }

    /**
     * The server context for {@code settings}; creates the self-signed certificate on first
     * use when no PEM files are named.
     *
     * @throws IOException naming the file when a certificate or key cannot be read or parsed
     */
    public static SslContext build(TlsSettings settings, Clock clock) throws IOException {
        if (!settings.enabled()) {
            throw new IllegalStateException("TLS is disabled in these settings");
        }
        Path cert = settings.certificateChain();
        Path key = settings.privateKey();
        if (cert == null) {
            SelfSignedCertificates.CertificateFiles pair =
                    SelfSignedCertificates.loadOrCreate(settings.selfSignedDir(), settings.hostname(), clock);
            cert = pair.certificate();
            key = pair.key();
        }
        requireReadable(cert, "tls_certificate");
        requireReadable(key, "tls_key");
        try {
            return SslContextBuilder.forServer(cert.toFile(), key.toFile())
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS)
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .clientAuth(ClientAuth.NONE)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot use certificate " + cert + " with key " + key + ": " + rootMessage(e), e);
        }
    }

    private static void requireReadable(Path file, String key) throws IOException {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IOException(key + ": no readable file " + file);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
