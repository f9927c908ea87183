package dev.relay.client.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A minimal SMTP server for TLS tests: EHLO (offering STARTTLS when asked), STARTTLS, AUTH PLAIN
 * (records what it got), QUIT, in plain or implicit-TLS mode, with a certificate from a test CA
 * made with BouncyCastle. One thread per connection; closed by the test.
 */
final class TlsTestServer implements AutoCloseable {

    /** A test CA. */
    static final class Ca {
        final KeyPair keys = ec();
        final X509Certificate cert;

        Ca(String name) throws Exception {
            X500Name n = new X500Name("CN=" + name);
            var b = builder(n, n, keys);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            cert = sign(b, keys);
        }

        /** A PEM file with this CA's certificate. */
        Path write(Path file) throws Exception {
            StringWriter out = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(out)) {
                w.writeObject(cert);
            }
            Files.writeString(file, out.toString());
            return file;
        }

        /** A server SSLContext with a certificate for {@code dnsName} signed by this CA. */
        SSLContext serverContext(String dnsName) throws Exception {
            KeyPair leafKeys = ec();
            var b = builder(X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()),
                    new X500Name("CN=" + dnsName), leafKeys);
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
            X509Certificate leaf = sign(b, keys);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("k", leafKeys.getPrivate(), "pw".toCharArray(), new X509Certificate[] {leaf, cert});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "pw".toCharArray());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        }

        private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair k) {
            Instant now = Instant.now();
            return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(System.nanoTime()),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), subject, k.getPublic());
        }

        private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair signer) throws Exception {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
        }

        private static KeyPair ec() {
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
                return g.generateKeyPair();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final ServerSocket listener;
    private final SSLContext tls;
    private final boolean implicit;
    private final boolean offerStartTls;
    /** Every command line received (inside TLS or not), prefixed "TLS " when encrypted. */
    final List<String> commands = new CopyOnWriteArrayList<>();
    /** Offer PIPELINING in EHLO (the commands are answered in order either way). */
    volatile boolean pipelining;
    /** Answer STARTTLS with 220, then send bytes that are not TLS and hang up (a broken TLS stack). */
    volatile boolean brokenTls;

    TlsTestServer(SSLContext tls, boolean implicit, boolean offerStartTls) throws Exception {
        this.tls = tls;
        this.implicit = implicit;
        this.offerStartTls = offerStartTls;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "tls-test-server");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                Thread t = new Thread(() -> serve(s), "tls-test-session");
                t.setDaemon(true);
                t.start();
            } catch (Exception e) {
                return;
            }
        }
    }

    private void serve(Socket plain) {
        try (Socket ignored = plain) {
            plain.setSoTimeout(10_000);
            Socket s = implicit ? upgrade(plain) : plain;
            boolean secure = implicit;
            write(s.getOutputStream(), "220 test ESMTP");
            session:
            while (true) {
                OutputStream out = s.getOutputStream();
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                String line;
                boolean saslPending = false;
                while ((line = in.readLine()) != null) {
                    commands.add((secure ? "TLS " : "") + line);
                    if (saslPending) {
                        saslPending = false;
                        write(out, "235 2.7.0 ok");
                        continue;
                    }
                    switch (line.split(" ", 2)[0].toUpperCase()) {
                        case "EHLO" -> write(out, "250-test\r\n" + (offerStartTls && !secure ? "250-STARTTLS\r\n" : "")
                                + (pipelining ? "250-PIPELINING\r\n" : "")
                                + "250-AUTH PLAIN LOGIN\r\n250 8BITMIME");
                        case "STARTTLS" -> {
                            write(out, "220 2.0.0 go ahead");
                            if (brokenTls) {
                                write(out, "this is not a TLS record");
                                return;
                            }
                            s = upgrade(s);
                            secure = true;
                            continue session;
                        }
                        case "AUTH" -> {
                            saslPending = line.split(" ").length == 2;
                            write(out, saslPending ? "334 " : "235 2.7.0 ok");
                        }
                        case "DATA" -> {
                            write(out, "354 go on");
                            String data;
                            while ((data = in.readLine()) != null && !data.equals(".")) {
                                commands.add((secure ? "TLS " : "") + "DATA| " + data);
                            }
                            write(out, "250 2.0.0 queued");
                        }
                        case "QUIT" -> {
                            write(out, "221 2.0.0 bye");
                            return;
                        }
                        default -> write(out, "250 ok");
                    }
                }
                return;
            }
        } catch (Exception e) {
            commands.add("ERROR " + e.getClass().getSimpleName());
        }
    }

    private Socket upgrade(Socket s) throws Exception {
        SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s, null, s.getPort(), false);
        ssl.setUseClientMode(false);
        ssl.startHandshake();
        return ssl;
    }

    private static void write(OutputStream out, String reply) throws Exception {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws Exception {
        listener.close();
    }
}
