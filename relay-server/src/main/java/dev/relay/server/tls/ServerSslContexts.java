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
 * Builds the receiver's Netty {@link SslContext} from {@link TlsSettings}:
 * the administrator's PEM chain and key, or the self-signed pair from
 * {@link SelfSignedCertificates}; TLS 1.2 and 1.3 only; forward-secret AEAD cipher suites only.
 * The JDK provider is used (no native OpenSSL on the class path), so the cipher list is
 * filtered to what the running JDK supports.
 */
public final class ServerSslContexts {

    /** The only protocols offered (TLS 1.2 and 1.3 only, as RFC 8996 and RFC 9325 ask). */
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
        requireMatching(cert, key);
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

    /**
     * Fails when the key of {@code key} is not the one of the first (leaf) certificate of
     * {@code cert}: the JDK builds a context from such a pair without complaint, and every handshake
     * then fails. Proved by signing a few bytes with the private key and verifying the signature
     * with the certificate's public key. A key type without a known signature is let through.
     */
    static void requireMatching(Path cert, Path key) throws IOException {
        java.security.cert.X509Certificate leaf;
        java.security.PrivateKey privateKey;
        try {
            java.security.cert.X509Certificate[] chain = PemFiles.certificates(cert.toFile());
            if (chain.length == 0) {
                throw new IOException("tls_certificate: " + cert + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            }
            leaf = chain[0];
        } catch (java.security.cert.CertificateException | RuntimeException e) {
            throw new IOException("tls_certificate: " + cert + " is not a PEM certificate chain: " + rootMessage(e), e);
        }
        try {
            PemFiles.privateKey(key.toFile()); // as the context reads it: any form Netty knows
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            throw new IOException("tls_key: " + key + " is not a PEM private key (PKCS#8 or PKCS#1): " + rootMessage(e), e);
        }
        privateKey = jdkPrivateKey(key);
        if (privateKey == null) {
            return; // a form only Netty reads (e.g. SEC1 "EC PRIVATE KEY"): the handshake will tell
        }
        String algorithm = switch (leaf.getPublicKey().getAlgorithm()) { // the JDK's name; a key read by Bouncy Castle may say ECDSA
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            case "DSA" -> "SHA256withDSA";
            default -> null;
        };
        if (algorithm == null) {
            return;
        }
        boolean matches;
        try {
            byte[] probe = "relay: does this key belong to this certificate?".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.security.Signature signer = java.security.Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(probe);
            byte[] signature = signer.sign();
            java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (java.security.GeneralSecurityException e) {
            matches = false; // e.g. an EC key against an RSA certificate
        }
        if (!matches) {
            throw new IOException("tls_key: the key in " + key + " does not belong to the certificate in " + cert
                    + " (" + leaf.getSubjectX500Principal().getName() + "); give the key the certificate was issued for");
        }
    }

    /**
     * The PKCS#8 ("PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY") key of a PEM file as a JDK key, so
     * that signing is done by the JDK's own providers; null for other forms.
     */
    private static java.security.PrivateKey jdkPrivateKey(Path file) throws IOException {
        String text = Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII);
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("-----BEGIN (RSA )?PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END (RSA )?PRIVATE KEY-----").matcher(text);
        if (!m.find()) {
            return null;
        }
        byte[] der = java.util.Base64.getMimeDecoder().decode(m.group(2));
        if (m.group(1) != null) {
            der = pkcs1ToPkcs8(der);
        }
        java.security.spec.PKCS8EncodedKeySpec spec = new java.security.spec.PKCS8EncodedKeySpec(der);
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "DSA", "RSASSA-PSS")) {
            try {
                return java.security.KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (java.security.GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        return null;
    }

    /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (RFC 5208) with the rsaEncryption algorithm. */
    private static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octets = derItem(0x04, pkcs1);
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(version);
        body.writeBytes(algorithm);
        body.writeBytes(octets);
        return derItem(0x30, body.toByteArray());
    }

    private static byte[] derItem(int tag, byte[] content) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n & 0xff);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write((n >> 8) & 0xff);
            out.write(n & 0xff);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    /** Netty's own PEM readers (protected in {@link SslContext}), so that the check reads the files as the context does. */
    private abstract static class PemFiles extends SslContext {
        static java.security.cert.X509Certificate[] certificates(java.io.File file)
                throws java.security.cert.CertificateException {
            return toX509Certificates(file);
        }

        static java.security.PrivateKey privateKey(java.io.File file) throws java.security.GeneralSecurityException {
            try {
                return toPrivateKey(file, null);
            } catch (IOException e) {
                throw new java.security.spec.InvalidKeySpecException(e.getMessage(), e);
            }
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
