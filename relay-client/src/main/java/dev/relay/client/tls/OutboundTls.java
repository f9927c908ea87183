package dev.relay.client.tls;

import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.util.TrustManagerUtils;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/**
 * Makes the Commons Net clients for outbound sessions with the TLS behaviour of a
 * {@link TlsPolicy}.
 *
 * <p>Design: Commons Net's {@code SMTPSClient} verifies the host name only when told to
 * ({@code setEndpointCheckingEnabled}), and then checks it against the name given to
 * {@code connect(String)}, or against the IP address when connected by {@code InetAddress} —
 * which is how the forwarder connects after its own MX lookup. {@link Client} therefore
 * carries the name to verify (the MX host or the route's host) and puts it in place just before
 * the TLS handshake, so that the JDK's endpoint identification ("HTTPS" rules, RFC 6125) checks
 * the certificate against that name, and SNI carries it. Verified sessions trust the configured
 * CA file, or the JDK's trust store; opportunistic sessions accept any certificate (encryption
 * against passive eavesdropping only, as Postfix's {@code may}). TLS 1.2 and 1.3 only.
 */
public final class OutboundTls {

    /** Protocols offered to next hops. */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final OutboundTlsSettings settings;
    private final X509TrustManager verifying;

    /**
     * Loads the trust material of {@code settings}.
     *
     * @throws IOException naming the CA file when it cannot be read or holds no certificate
     */
    public OutboundTls(OutboundTlsSettings settings) throws IOException {
        this.settings = settings;
        this.verifying = settings.caFile() == null ? jdkTrust() : caFileTrust(settings.caFile());
    }

    /** The settings. */
    public OutboundTlsSettings settings() {
        return settings;
    }

    /** The policy for a route that names {@code routePolicy} (null: the default policy). */
    public TlsPolicy effective(TlsPolicy routePolicy) {
        return routePolicy == null ? settings.defaultPolicy() : routePolicy;
    }

    /**
     * A new, unconnected client for one session to {@code peerName} under {@code policy}.
     * With {@link TlsPolicy#IMPLICIT} the handshake happens at connect; otherwise the caller
     * sends STARTTLS ({@code execTLS()}) when the policy asks for it and the next hop offers it.
     *
     * @param peerName the host name the certificate must match (the MX or route host, not an IP)
     */
    public Client newClient(TlsPolicy policy, String peerName) {
        TrustManager trust = policy.verifies() ? verifying : TrustManagerUtils.getAcceptAllTrustManager();
        SSLContext ctx;
        try {
            ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {trust}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK offers no TLS context", e);
        }
        Client c = new Client(policy, peerName, ctx);
        c.setEnabledProtocols(PROTOCOLS.clone());
        c.setEndpointCheckingEnabled(policy.verifies());
        return c;
    }

    /**
     * A Commons Net client that knows the name its peer's certificate must match and
     * whether it must verify it.
     */
    public static final class Client extends AuthenticatingSMTPClient {
        private final TlsPolicy policy;
        private final String peerName;

        Client(TlsPolicy policy, String peerName, SSLContext ctx) {
            super(policy == TlsPolicy.IMPLICIT, ctx);
            this.policy = policy;
            this.peerName = peerName;
        }

        /** The policy of this session. */
        public TlsPolicy policy() {
            return policy;
        }

        /** The name the certificate is checked against. */
        public String peerName() {
            return peerName;
        }

        /** Whether the connection is encrypted now. */
        public boolean isTls() {
            return _socket_ instanceof javax.net.ssl.SSLSocket;
        }

        /**
         * Writes {@code commands} (without their CRLF) in one write and one flush, reading no
         * reply: an RFC 2920 command group. The caller reads one reply per command, in order,
         * with {@link #getReply()}. Commons Net flushes its own writer after every command it
         * sends, so nothing of its own is left buffered to go out after these.
         */
        public void pipeline(java.util.List<String> commands) throws IOException {
            StringBuilder group = new StringBuilder(64 * commands.size());
            for (String c : commands) {
                group.append(c).append("\r\n");
            }
            OutputStream out = output();
            out.write(group.toString().getBytes(encoding));
            out.flush();
            for (String c : commands) {
                int sp = c.indexOf(':');
                fireCommandSent(sp < 0 ? c : c.substring(0, sp), c + "\r\n");
            }
        }

        /**
         * The stream the session writes to now: the socket's, or after STARTTLS the TLS
         * socket's ({@code execTLS} replaces it). For the message content, written as bytes.
         */
        public OutputStream output() throws IOException {
            OutputStream out = _output_;
            if (out == null) {
                throw new IOException("not connected");
            }
            return out;
        }

        @Override
        protected void _connectAction_() throws IOException {
            // Set before an implicit handshake (run by super) and kept for a later execTLS().
            if (peerName != null) {
                _hostname_ = peerName;
            }
            super._connectAction_();
        }
    }

    private static X509TrustManager jdkTrust() throws IOException {
        try {
            return TrustManagerUtils.getDefaultTrustManager(null);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot load the JDK's trust store: " + e.getMessage(), e);
        }
    }

    private static X509TrustManager caFileTrust(Path caFile) throws IOException {
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(caFile)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (GeneralSecurityException e) {
            throw new IOException("client_tls_ca_file " + caFile + ": not PEM certificates: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException("client_tls_ca_file " + caFile + ": cannot read: " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new IOException("client_tls_ca_file " + caFile + ": no certificate in the file");
        }
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            return TrustManagerUtils.getDefaultTrustManager(ks);
        } catch (GeneralSecurityException e) {
            throw new IOException("client_tls_ca_file " + caFile + ": " + e.getMessage(), e);
        }
    }
}
