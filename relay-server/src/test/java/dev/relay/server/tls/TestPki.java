package dev.relay.server.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/** A test CA that issues server certificates, made with BouncyCastle (EC P-256, fast to generate). */
public final class TestPki {

    private static final AtomicLong SERIAL = new AtomicLong(1000);

    private final KeyPair caKeys;
    private final X509Certificate caCert;

    public TestPki(String caName) throws Exception {
        caKeys = ecKeys();
        X500Name name = new X500Name("CN=" + caName);
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), name, caKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        caCert = new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
    }

    public X509Certificate caCertificate() {
        return caCert;
    }

    /** A server certificate and key for {@code dnsNames}, signed by this CA. */
    public Issued issue(String... dnsNames) throws Exception {
        KeyPair keys = ecKeys();
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded()),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(30))), new X500Name("CN=" + dnsNames[0]), keys.getPublic());
        GeneralName[] sans = new GeneralName[dnsNames.length];
        for (int i = 0; i < dnsNames.length; i++) {
            sans[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
        return new Issued(cert, keys, caCert);
    }

    /** Writes the CA certificate as PEM. */
    public Path writeCa(Path file) throws Exception {
        Files.writeString(file, pem(caCert), StandardCharsets.US_ASCII);
        return file;
    }

    /** A client SSLContext that trusts only this CA. */
    public SSLContext clientContext() throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("ca", caCert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A certificate with its key and issuer. */
    public record Issued(X509Certificate certificate, KeyPair keys, X509Certificate issuer) {
        /** Writes {@code chain.pem} (leaf, then CA) and {@code key.pem} (PKCS#8) into {@code dir}. */
        public Path[] write(Path dir) throws Exception {
            Path chain = dir.resolve("chain.pem");
            Path key = dir.resolve("key.pem");
            Files.writeString(chain, pem(certificate) + pem(issuer), StandardCharsets.US_ASCII);
            StringWriter out = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(out)) {
                w.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
            }
            Files.writeString(key, out.toString(), StandardCharsets.US_ASCII);
            return new Path[] {chain, key};
        }
    }

    static String pem(Object o) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        }
        return out.toString();
    }

    private static KeyPair ecKeys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }
}
