package dev.relay.server.tls;

import dev.relay.files.PrivateFiles;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObjectGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * The self-signed certificate used when the administrator names no certificate, so that
 * STARTTLS works out of the box: made once at first start with BouncyCastle (RSA 2048, SHA-256, the host name as
 * subject CN and DNS subject alternative name, 10 years), kept as PEM in a 0700 folder with the
 * key file at mode 0600, and reused at every later start. Its use is logged at each start, since
 * clients that verify certificates will not trust it: a relay on the internet should be given a
 * real certificate.
 */
public final class SelfSignedCertificates {

    private static final Logger LOG = LoggerFactory.getLogger(SelfSignedCertificates.class);

    /** The certificate file inside the folder. */
    public static final String CERT_FILE = "selfsigned-cert.pem";
    /** The key file inside the folder (mode 0600). */
    public static final String KEY_FILE = "selfsigned-key.pem";

    private static final Duration VALIDITY = Duration.ofDays(3650);

    private SelfSignedCertificates() {
    }

    /** The certificate and key files in {@code dir}, made now if missing. */
    public record CertificateFiles(Path certificate, Path key) {
    }

    /** Returns the certificate and key in {@code dir}, creating them for {@code hostname} if missing. */
    public static CertificateFiles loadOrCreate(Path dir, String hostname, Clock clock) throws IOException {
        Path cert = dir.resolve(CERT_FILE);
        Path key = dir.resolve(KEY_FILE);
        if (Files.isRegularFile(cert) && Files.isRegularFile(key)) {
            LOG.warn("TLS: using the self-signed certificate {} (clients that verify certificates will refuse it; "
                    + "set tls_certificate and tls_key before exposing the relay)", cert);
            return new CertificateFiles(cert, key);
        }
        PrivateFiles.createPrivateDirectories(dir);
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048, new SecureRandom());
            KeyPair pair = gen.generateKeyPair();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, hostname).build();
            Instant now = clock.instant();
            BigInteger serial = new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial,
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(VALIDITY)), subject, pair.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, hostname)));
            X509CertificateHolder holder = builder.build(
                    new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate()));
            PrivateFiles.writePrivate(key, pem(new JcaPKCS8Generator(pair.getPrivate(), null).generate()));
            // The certificate is public, but the folder is private anyway; write it last so a
            // crash in between leaves no certificate without its key.
            PrivateFiles.writePrivate(cert, pem(holder));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot create a self-signed certificate in " + dir + ": " + e.getMessage(), e);
        }
        LOG.warn("TLS: created and using the self-signed certificate {} for {} (clients that verify certificates "
                + "will refuse it; set tls_certificate and tls_key before exposing the relay)", cert, hostname);
        return new CertificateFiles(cert, key);
    }

    private static byte[] pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            if (o instanceof PemObjectGenerator g) {
                w.writeObject(g);
            } else {
                w.writeObject(o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
