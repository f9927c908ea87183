package dev.relay.client.tls;

import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.smtp.SMTPReply;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Outbound TLS against a real TLS-capable SMTP server on loopback, connected by address as the forwarder does. */
class OutboundTlsIT {

    private static TlsTestServer.Ca trusted;
    private static TlsTestServer.Ca stranger;

    @TempDir
    Path dir;

    @BeforeAll
    static void pki() throws Exception {
        trusted = new TlsTestServer.Ca("Trusted Test CA");
        stranger = new TlsTestServer.Ca("Unknown CA");
    }

    private OutboundTls outbound() throws Exception {
        return new OutboundTls(new OutboundTlsSettings(TlsPolicy.OPPORTUNISTIC, trusted.write(dir.resolve("ca.pem")), null));
    }

    @Test
    void requiredVerifiesChainAndHostName() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, true)) {
            OutboundTls.Client c = outbound().newClient(TlsPolicy.REQUIRED, "mx.test");
            c.connect(InetAddress.getLoopbackAddress(), server.port());
            assertThat(SMTPReply.isPositiveCompletion(c.getReplyCode())).isTrue();
            c.ehlo("relay.test");
            assertThat(c.execTLS()).isTrue();
            assertThat(c.isTls()).isTrue();
            assertThat(c.ehlo("relay.test")).isEqualTo(250);
            c.logout();
            c.disconnect();
            assertThat(server.commands).contains("TLS EHLO relay.test");
        }
    }

    @Test
    void requiredRefusesAnotherHostsCertificate() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("other.test"), false, true)) {
            OutboundTls.Client c = outbound().newClient(TlsPolicy.REQUIRED, "mx.test");
            c.connect(InetAddress.getLoopbackAddress(), server.port());
            c.ehlo("relay.test");
            assertThatThrownBy(c::execTLS).isInstanceOf(SSLException.class);
            c.disconnect();
            assertThat(server.commands).noneMatch(l -> l.startsWith("TLS "));
        }
    }

    @Test
    void requiredRefusesAnUntrustedChainButOpportunisticEncryptsAnyway() throws Exception {
        try (TlsTestServer server = new TlsTestServer(stranger.serverContext("mx.test"), false, true)) {
            OutboundTls.Client strict = outbound().newClient(TlsPolicy.REQUIRED, "mx.test");
            strict.connect(InetAddress.getLoopbackAddress(), server.port());
            strict.ehlo("relay.test");
            assertThatThrownBy(strict::execTLS).isInstanceOf(SSLException.class);
            strict.disconnect();

            OutboundTls.Client may = outbound().newClient(TlsPolicy.OPPORTUNISTIC, "mx.test");
            may.connect(InetAddress.getLoopbackAddress(), server.port());
            may.ehlo("relay.test");
            assertThat(may.execTLS()).isTrue();
            assertThat(may.isTls()).isTrue();
            may.ehlo("relay.test");
            may.logout();
            may.disconnect();
            assertThat(server.commands).contains("TLS EHLO relay.test");
        }
    }

    @Test
    void implicitTlsFromTheFirstByte() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("smtp.test"), true, false)) {
            OutboundTls.Client c = outbound().newClient(TlsPolicy.IMPLICIT, "smtp.test");
            c.connect(InetAddress.getLoopbackAddress(), server.port());
            assertThat(c.isTls()).isTrue();
            assertThat(c.getReplyCode()).isEqualTo(220);
            c.ehlo("relay.test");
            assertThat(c.auth(AuthenticatingSMTPClient.AUTH_METHOD.PLAIN, "u", "p")).isTrue();
            c.logout();
            c.disconnect();
            assertThat(server.commands).first().isEqualTo("TLS EHLO relay.test");
            assertThat(server.commands).contains("TLS AUTH PLAIN", "TLS AHUAcA==");
        }
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("wrong.test"), true, false)) {
            OutboundTls.Client c = outbound().newClient(TlsPolicy.IMPLICIT, "smtp.test");
            assertThatThrownBy(() -> c.connect(InetAddress.getLoopbackAddress(), server.port()))
                    .isInstanceOf(SSLException.class);
        }
    }

    @Test
    void theJdkTrustStoreDoesNotTrustATestCa() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, true)) {
            OutboundTls jdk = new OutboundTls(OutboundTlsSettings.defaults());
            assertThat(jdk.effective(null)).isEqualTo(TlsPolicy.OPPORTUNISTIC);
            assertThat(jdk.effective(TlsPolicy.NONE)).isEqualTo(TlsPolicy.NONE);
            OutboundTls.Client c = jdk.newClient(TlsPolicy.REQUIRED, "mx.test");
            c.connect(InetAddress.getLoopbackAddress(), server.port());
            c.ehlo("relay.test");
            assertThatThrownBy(c::execTLS).isInstanceOf(SSLException.class);
            c.disconnect();
        }
    }

    @Test
    void aBadCaFileIsNamed() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.pem"), "not a certificate\n");
        assertThatThrownBy(() -> new OutboundTls(new OutboundTlsSettings(null, bad, null)))
                .hasMessageContaining("client_tls_ca_file " + bad);
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> new OutboundTls(new OutboundTlsSettings(null, missing, null)))
                .hasMessageContaining("client_tls_ca_file " + missing);
    }

    @Test
    void policiesParseFromConfiguration() {
        assertThat(TlsPolicy.parse("Required")).isEqualTo(TlsPolicy.REQUIRED);
        assertThat(TlsPolicy.parse(" none ")).isEqualTo(TlsPolicy.NONE);
        assertThat(TlsPolicy.IMPLICIT.verifies()).isTrue();
        assertThat(TlsPolicy.OPPORTUNISTIC.verifies()).isFalse();
        assertThatThrownBy(() -> TlsPolicy.parse("verify"))
                .hasMessage("tls=verify is not one of none, opportunistic, required, implicit");
    }
}
