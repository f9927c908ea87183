package dev.relay.client.tls;

import dev.relay.queue.testing.CapturedLogs;
import dev.relay.client.routing.NextHop;
import dev.relay.client.routing.Target;
import dev.relay.client.transport.RecipientResult;
import dev.relay.client.transport.Connection;
import dev.relay.client.transport.SmtpTransport;
import dev.relay.client.transport.Transaction;
import dev.relay.client.transport.TransactionResult;
import dev.relay.client.transport.TransportException;
import dev.relay.client.transport.TransportSettings;
import dev.relay.client.transport.OutboundRecipient;
import dev.relay.mail.MailParameters;
import dev.relay.mail.Path;
import dev.relay.mail.RcptParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS and AUTH out through the forwarder's real transport, against a TLS
 * SMTP server on loopback whose certificate comes from a test CA. The transport connects by IP
 * address, as after an MX lookup; the name to verify is the target's host name.
 */
class TransportTlsIT {

    private static final String SECRET = "sm@rthost pass word";

    private static TlsTestServer.Ca trusted;
    private static TlsTestServer.Ca stranger;
    private static CapturedLogs logs;

    @TempDir
    java.nio.file.Path dir;

    @BeforeAll
    static void pki() throws Exception {
        trusted = new TlsTestServer.Ca("Trusted Test CA");
        stranger = new TlsTestServer.Ca("Unknown CA");
        logs = CapturedLogs.root();
    }

    @AfterAll
    static void detach() {
        logs.close();
    }

    private SmtpTransport transport(TlsPolicy defaultPolicy, CredentialsFile credentials) throws Exception {
        OutboundTls tls = new OutboundTls(new OutboundTlsSettings(defaultPolicy, trusted.write(dir.resolve("ca.pem")), null));
        return new SmtpTransport(TransportSettings.allTimeouts(Duration.ofSeconds(10)), "relay.test", tls, credentials);
    }

    private static Target target(String name, int port) throws Exception {
        return new Target(name, InetAddress.getLoopbackAddress(), port);
    }

    private static Transaction message() throws Exception {
        byte[] body = "Subject: tls\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
        return new Transaction(Path.parseReversePath("<s@src.test>", false), MailParameters.NONE,
                List.of(new OutboundRecipient(Path.parseForwardPath("<u@dest.test>", false), RcptParameters.NONE)),
                body.length, () -> new ByteArrayInputStream(body));
    }

    private static TransactionResult deliver(SmtpTransport t, Target target, NextHop hop) throws Exception {
        try (Connection c = t.connect(target, hop)) {
            return c.send(message());
        }
    }

    private static NextHop hop(int port, TlsPolicy tls, String auth) {
        return new NextHop("mx.test", port, false, tls, auth, 0);
    }

    @Test
    void opportunisticByDefaultEncryptsEvenWithAnUnverifiableCertificate() throws Exception {
        try (TlsTestServer server = new TlsTestServer(stranger.serverContext("elsewhere.test"), false, true)) {
            TransactionResult r = deliver(transport(TlsPolicy.OPPORTUNISTIC, null), target("mx.test", server.port()),
                    hop(server.port(), null, null));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
            assertThat(server.commands).contains("STARTTLS").contains("TLS MAIL FROM:<s@src.test>")
                    .noneMatch(l -> l.startsWith("MAIL"));
        }
    }

    @Test
    void opportunisticSendsInClearWhenStartTlsIsNotOffered() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, false)) {
            TransactionResult r = deliver(transport(TlsPolicy.OPPORTUNISTIC, null), target("mx.test", server.port()),
                    hop(server.port(), null, null));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
            assertThat(server.commands).contains("MAIL FROM:<s@src.test>").doesNotContain("STARTTLS");
        }
    }

    @Test
    void opportunisticTriesAgainInClearAtOnceWhenTheTlsHandshakeFails() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, true)) {
            server.brokenTls = true;
            TransactionResult r = deliver(transport(TlsPolicy.OPPORTUNISTIC, null), target("mx.test", server.port()),
                    hop(server.port(), null, null));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
            // first session: EHLO, STARTTLS, broken handshake; second: EHLO and the mail in clear
            assertThat(server.commands).containsSubsequence("STARTTLS", "MAIL FROM:<s@src.test>")
                    .noneMatch(l -> l.startsWith("TLS "));
            assertThat(server.commands.stream().filter(l -> l.startsWith("EHLO"))).hasSize(2);
            assertThat(server.commands.stream().filter(l -> l.equals("STARTTLS"))).hasSize(1);
        }
    }

    @Test
    void requiredNeverFallsBackToClearWhenTheTlsHandshakeFails() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, true)) {
            server.brokenTls = true;
            assertThatThrownBy(() -> deliver(transport(TlsPolicy.OPPORTUNISTIC, null), target("mx.test", server.port()),
                    hop(server.port(), TlsPolicy.REQUIRED, null)))
                    .isInstanceOf(TransportException.class)
                    .satisfies(e -> assertThat(((TransportException) e).reply().code()).isEqualTo(421));
            assertThat(server.commands).noneMatch(l -> l.contains("MAIL"));
        }
    }

    @Test
    void aRouteWithCredentialsNeverFallsBackToClearWhenTheTlsHandshakeFails() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, true)) {
            server.brokenTls = true;
            assertThatThrownBy(() -> deliver(transport(TlsPolicy.OPPORTUNISTIC, null), target("mx.test", server.port()),
                    hop(server.port(), TlsPolicy.OPPORTUNISTIC, "smarthost")))
                    .isInstanceOf(TransportException.class);
            assertThat(server.commands).noneMatch(l -> l.contains("MAIL") || l.startsWith("AUTH"));
            assertThat(server.commands.stream().filter(l -> l.startsWith("EHLO"))).hasSize(1);
        }
    }

    @Test
    void pipelinedCommandsAndContentGoThroughTheTlsStreamAfterStartTls() throws Exception {
        for (boolean pipelining : new boolean[] {true, false}) {
            try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, true)) {
                server.pipelining = pipelining;
                TransactionResult r = deliver(transport(TlsPolicy.OPPORTUNISTIC, null), target("mx.test", server.port()),
                        hop(server.port(), TlsPolicy.REQUIRED, null));
                assertThat(r.recipients().get(0)).as("pipelining %s", pipelining).isInstanceOf(RecipientResult.Delivered.class);
                assertThat(server.commands).as("pipelining %s", pipelining)
                        .containsSubsequence("STARTTLS", "TLS MAIL FROM:<s@src.test>", "TLS RCPT TO:<u@dest.test>",
                                "TLS DATA", "TLS DATA| Subject: tls", "TLS DATA| ", "TLS DATA| hello")
                        .noneMatch(l -> l.startsWith("ERROR"));
            }
        }
    }

    @Test
    void requiredVerifiesChainAndHostName() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, true)) {
            TransactionResult r = deliver(transport(TlsPolicy.OPPORTUNISTIC, null), target("mx.test", server.port()),
                    hop(server.port(), TlsPolicy.REQUIRED, null));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
            assertThat(server.commands).contains("TLS MAIL FROM:<s@src.test>");
        }
    }

    @Test
    void requiredRefusesAnotherHostsCertificateAndSendsNothing() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("other.test"), false, true)) {
            SmtpTransport t = transport(TlsPolicy.OPPORTUNISTIC, null);
            assertThatThrownBy(() -> deliver(t, target("mx.test", server.port()), hop(server.port(), TlsPolicy.REQUIRED, null)))
                    .isInstanceOfSatisfying(TransportException.class, e -> {
                        assertThat(e.reply().isTransient()).as("deferred, never sent in clear: %s", e.reply()).isTrue();
                        assertThat(e.connectFailed()).isFalse();
                    });
            assertThat(server.commands).noneMatch(l -> l.contains("MAIL"));
        }
    }

    @Test
    void requiredRefusesAnUntrustedChain() throws Exception {
        try (TlsTestServer server = new TlsTestServer(stranger.serverContext("mx.test"), false, true)) {
            SmtpTransport t = transport(TlsPolicy.OPPORTUNISTIC, null);
            assertThatThrownBy(() -> deliver(t, target("mx.test", server.port()), hop(server.port(), TlsPolicy.REQUIRED, null)))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.reply().isTransient()).isTrue());
            assertThat(server.commands).noneMatch(l -> l.contains("MAIL"));
        }
    }

    @Test
    void requiredDefersWhenStartTlsIsNotOffered() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, false)) {
            SmtpTransport t = transport(TlsPolicy.OPPORTUNISTIC, null);
            assertThatThrownBy(() -> deliver(t, target("mx.test", server.port()), hop(server.port(), TlsPolicy.REQUIRED, null)))
                    .isInstanceOfSatisfying(TransportException.class,
                            e -> assertThat(e.reply().toString()).contains("4.7.4").contains("STARTTLS"));
            assertThat(server.commands).noneMatch(l -> l.contains("MAIL"));
        }
    }

    @Test
    void noneNeverStartsTls() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, true)) {
            TransactionResult r = deliver(transport(TlsPolicy.OPPORTUNISTIC, null), target("mx.test", server.port()),
                    hop(server.port(), TlsPolicy.NONE, null));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
            assertThat(server.commands).doesNotContain("STARTTLS").contains("MAIL FROM:<s@src.test>");
        }
    }

    @Test
    void implicitTlsFromTheFirstByteVerified() throws Exception {
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), true, false)) {
            TransactionResult r = deliver(transport(TlsPolicy.OPPORTUNISTIC, null), target("mx.test", server.port()),
                    hop(server.port(), TlsPolicy.IMPLICIT, null));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
            assertThat(server.commands).contains("TLS MAIL FROM:<s@src.test>");
        }
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("other.test"), true, false)) {
            SmtpTransport t = transport(TlsPolicy.OPPORTUNISTIC, null);
            assertThatThrownBy(() -> deliver(t, target("mx.test", server.port()), hop(server.port(), TlsPolicy.IMPLICIT, null)))
                    .isInstanceOf(TransportException.class);
        }
    }

    @Test
    void authToASmarthostWithCredentialsFromAPrivateFileAndNoSecretInLogs() throws Exception {
        java.nio.file.Path file = dir.resolve("credentials");
        Files.writeString(file, "# smarthost\nsmarthost alice:" + SECRET + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        CredentialsFile credentials = CredentialsFile.load(file);
        assertThat(credentials.toString()).doesNotContain(SECRET);
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, true)) {
            TransactionResult r = deliver(transport(TlsPolicy.OPPORTUNISTIC, credentials), target("mx.test", server.port()),
                    hop(server.port(), TlsPolicy.REQUIRED, "smarthost"));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
            String expected = Base64.getEncoder().encodeToString(("\0alice\0" + SECRET).getBytes(StandardCharsets.UTF_8));
            assertThat(server.commands).as("credentials only inside TLS")
                    .anyMatch(l -> l.equals("TLS AUTH PLAIN " + expected) || l.equals("TLS " + expected))
                    .noneMatch(l -> !l.startsWith("TLS ") && l.contains(expected));
        }
        assertThat(logs.events()).noneMatch(e -> e.getFormattedMessage().contains(SECRET)
                || (e.getThrowableProxy() != null && String.valueOf(e.getThrowableProxy().getMessage()).contains(SECRET)));
    }

    @Test
    void credentialsAreNeverSentWithoutTls() throws Exception {
        java.nio.file.Path file = dir.resolve("credentials");
        Files.writeString(file, "smarthost alice:" + SECRET + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        try (TlsTestServer server = new TlsTestServer(trusted.serverContext("mx.test"), false, false)) {
            SmtpTransport t = transport(TlsPolicy.OPPORTUNISTIC, CredentialsFile.load(file));
            assertThatThrownBy(() -> deliver(t, target("mx.test", server.port()), hop(server.port(), null, "smarthost")))
                    .isInstanceOfSatisfying(TransportException.class, e -> {
                        assertThat(e.reply().isTransient()).isTrue();
                        assertThat(e.getMessage()).doesNotContain(SECRET);
                    });
            assertThat(server.commands).noneMatch(l -> l.startsWith("AUTH"));
        }
    }

    @Test
    void aCredentialsFileOthersCanReadIsRefused() throws Exception {
        java.nio.file.Path file = dir.resolve("credentials");
        Files.writeString(file, "smarthost alice:" + SECRET + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> CredentialsFile.load(file)).hasMessageContaining("chmod 600")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
    }
}
