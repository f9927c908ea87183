package dev.relay.server.tls;

import dev.relay.files.PrivateFiles;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerSslContextsIT {

    private static EventLoopGroup group;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void pemChainAndKeyServeAVerifiedHandshakeWithTls12And13Only() throws Exception {
        TestPki pki = new TestPki("Test CA");
        Path[] files = pki.issue("localhost").write(dir);
        SslContext ctx = ServerSslContexts.build(TlsSettings.pem(files[0], files[1], "localhost"), Clock.systemUTC());

        SSLEngine engine = ctx.newEngine(ByteBufAllocator.DEFAULT);
        assertThat(engine.getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
        assertThat(engine.getEnabledCipherSuites()).isNotEmpty();
        assertThat(ServerSslContexts.CIPHERS).contains(engine.getEnabledCipherSuites());
        io.netty.util.ReferenceCountUtil.release(engine);

        Channel server = tlsEchoServer(ctx);
        try {
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            // A client that verifies the chain and the host name, as a strict MTA does.
            try (SSLSocket s = (SSLSocket) pki.clientContext().getSocketFactory().createSocket("localhost", port)) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                p.setServerNames(List.of(new SNIHostName("localhost")));
                s.setSSLParameters(p);
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                assertThat(new String(s.getInputStream().readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("hello\n");
                assertThat(s.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            }
        } finally {
            server.close().syncUninterruptibly();
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesOrNotPemIsRefusedWhenTheContextIsBuilt() throws Exception {
        TestPki pki = new TestPki("Test CA");
        Path[] one = pki.issue("localhost").write(Files.createDirectories(dir.resolve("one")));
        Path[] other = pki.issue("localhost").write(Files.createDirectories(dir.resolve("other")));
        assertThatThrownBy(() -> ServerSslContexts.build(TlsSettings.pem(one[0], other[1], "localhost"), Clock.systemUTC()))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("tls_key: the key in " + other[1] + " does not belong to the certificate in " + one[0]);
        Path notPem = Files.writeString(dir.resolve("cert.txt"), "not a certificate\n");
        assertThatThrownBy(() -> ServerSslContexts.build(TlsSettings.pem(notPem, one[1], "localhost"), Clock.systemUTC()))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("tls_certificate: " + notPem);
        assertThatThrownBy(() -> ServerSslContexts.build(TlsSettings.pem(one[0], notPem, "localhost"), Clock.systemUTC()))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("tls_key: " + notPem + " is not a PEM private key");
        assertThat(ServerSslContexts.build(TlsSettings.pem(one[0], one[1], "localhost"), Clock.systemUTC())).isNotNull();
    }

    @Test
    void aCertificateForAnotherNameFailsHostNameVerification() throws Exception {
        TestPki pki = new TestPki("Test CA");
        Path[] files = pki.issue("mx.other.example").write(dir);
        SslContext ctx = ServerSslContexts.build(TlsSettings.pem(files[0], files[1], "localhost"), Clock.systemUTC());
        Channel server = tlsEchoServer(ctx);
        try (SSLSocket s = (SSLSocket) pki.clientContext().getSocketFactory()
                .createSocket("localhost", ((InetSocketAddress) server.localAddress()).getPort())) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            assertThatThrownBy(s::startHandshake).isInstanceOf(SSLHandshakeException.class);
        } finally {
            server.close().syncUninterruptibly();
        }
    }

    @Test
    void withoutPemFilesASelfSignedCertificateIsMadeOncePrivatelyAndReused() throws Exception {
        Path data = dir.resolve("data");
        TlsSettings settings = TlsSettings.selfSigned(data, "relay.example.org");
        SslContext first = ServerSslContexts.build(settings, Clock.systemUTC());
        assertThat(first.isServer()).isTrue();

        Path tls = data.resolve("tls");
        Path cert = tls.resolve(SelfSignedCertificates.CERT_FILE);
        Path key = tls.resolve(SelfSignedCertificates.KEY_FILE);
        assertThat(PrivateFiles.mode(tls)).isEqualTo("0700");
        assertThat(PrivateFiles.mode(key)).isEqualTo("0600");
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        byte[] certBytes = Files.readAllBytes(cert);

        X509Certificate x509;
        try (InputStream in = Files.newInputStream(cert)) {
            x509 = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        assertThat(x509.getSubjectX500Principal().getName()).isEqualTo("CN=relay.example.org");
        assertThat(x509.getSubjectAlternativeNames()).contains(List.of(2, "relay.example.org"));
        x509.verify(x509.getPublicKey());

        ServerSslContexts.build(settings, Clock.systemUTC());
        assertThat(Files.readAllBytes(cert)).isEqualTo(certBytes);
    }

    @Test
    void unreadableOrBrokenFilesAreNamedInTheError() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        assertThatThrownBy(() -> ServerSslContexts.build(TlsSettings.pem(cert, key, "h"), Clock.systemUTC()))
                .hasMessageContaining("tls_certificate").hasMessageContaining(cert.toString());
        Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        Files.writeString(key, "garbage\n");
        assertThatThrownBy(() -> ServerSslContexts.build(TlsSettings.pem(cert, key, "h"), Clock.systemUTC()))
                .hasMessageContaining(cert.toString());
    }

    @Test
    void settingsAreValidatedOnce() {
        assertThatThrownBy(() -> new TlsSettings(true, dir.resolve("c"), null, null, "h", false, null))
                .hasMessageContaining("tls_certificate and tls_key must be set together");
        assertThatThrownBy(() -> TlsSettings.disabled("h").withRequireTls(true))
                .hasMessageContaining("tls_required=true needs tls_enabled=true");
        assertThat(TlsSettings.selfSigned(dir, "h").handshakeTimeout()).isEqualTo(TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT);
    }

    private static Channel tlsEchoServer(SslContext ctx) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(ctx.newHandler(ch.alloc()), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext c, Object msg) {
                                c.writeAndFlush(msg);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                                c.close();
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }
}
