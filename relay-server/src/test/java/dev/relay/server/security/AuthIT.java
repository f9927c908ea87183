package dev.relay.server.security;

import dev.relay.queue.testing.CapturedLogs;
import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.admin.MessageView;
import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.smtp.SimpleSMTPHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** SMTP AUTH (RFC 4954) over real sockets: Commons Net's client and a raw client. */
class AuthIT {

    @TempDir
    static Path dir;

    private static RelayFixture relay;
    private static CapturedLogs logs;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start(dir);
        logs = CapturedLogs.root();
    }

    @AfterAll
    static void stop() {
        logs.close();
        relay.close();
    }

    private static String plain(String user, String password) {
        return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Connected, EHLO, STARTTLS, EHLO again. */
    private static RawSmtp tlsSession() throws Exception {
        RawSmtp c = relay.connect();
        c.reply();
        c.command("EHLO client.test");
        assertThat(c.command("STARTTLS").code()).isEqualTo(220);
        c.startTls(RelayFixture.clientTls(), RelayFixture.HOST);
        assertThat(c.command("EHLO client.test").code()).isEqualTo(250);
        return c;
    }

    @Test
    void authenticatedClientMayRelayAndTheQueueRecordsWho() throws Exception {
        int before = relay.messages().size();
        AuthenticatingSMTPClient client = new AuthenticatingSMTPClient("TLS", false);
        client.setDefaultTimeout(10_000);
        client.connect("127.0.0.1", relay.port());
        try {
            client.ehlo("client.test");
            client.setTrustManager(trustTestCa());
            assertThat(client.execTLS()).isTrue();
            client.ehlo("client.test");
            assertThat(client.auth(AuthenticatingSMTPClient.AUTH_METHOD.PLAIN, RelayFixture.USER, RelayFixture.PASSWORD))
                    .isTrue();
            assertThat(client.getReplyString()).startsWith("235 2.7.0");
            assertThat(client.setSender("alice@ourdomain.test")).isTrue();
            // a domain that is neither local nor a relay domain: only an authenticated client gets here
            assertThat(client.addRecipient("friend@outside.example")).as(client.getReplyString()).isTrue();
            Writer w = client.sendMessageData();
            w.write(new SimpleSMTPHeader("alice@ourdomain.test", "friend@outside.example", "authenticated").toString());
            w.write("relayed after AUTH\r\n");
            w.close();
            assertThat(client.completePendingCommand()).as(client.getReplyString()).isTrue();
            client.logout();
        } finally {
            client.disconnect();
        }
        List<MessageView> messages = relay.messages();
        assertThat(messages).hasSize(before + 1);
        MessageView m = messages.get(messages.size() - 1);
        MessageDetail d = relay.detail(m.id());
        assertThat(d.envelope().origin().authUser()).isEqualTo(RelayFixture.USER);
        assertThat(d.envelope().origin().protocol()).isEqualTo("ESMTPSA");
        assertThat(relay.body(m.id())).contains("with ESMTPSA id " + m.id()).contains("relayed after AUTH");
        assertThat(logs.messages()).as("no log line carries the password")
                .noneMatch(line -> line.contains(RelayFixture.PASSWORD)
                        || line.contains(plain(RelayFixture.USER, RelayFixture.PASSWORD)));
    }

    @Test
    void withoutAuthTheSameRecipientIsRelayDenied() throws Exception {
        try (RawSmtp c = tlsSession()) {
            c.command("MAIL FROM:<alice@ourdomain.test>");
            assertThat(c.command("RCPT TO:<friend@outside.example>").toString()).startsWith("554 5.7.1");
        }
    }

    @Test
    void authIsRefusedOutsideTls() throws Exception {
        try (RawSmtp c = relay.connect()) {
            c.reply();
            assertThat(c.command("EHLO client.test").lines()).noneMatch(l -> l.startsWith("AUTH"));
            assertThat(c.command("AUTH PLAIN " + plain(RelayFixture.USER, RelayFixture.PASSWORD)).toString())
                    .startsWith("538 5.7.11");
        }
    }

    @Test
    void loginMechanismWithChallenges() throws Exception {
        try (RawSmtp c = tlsSession()) {
            RawSmtp.Reply r = c.command("AUTH LOGIN");
            assertThat(r.toString()).isEqualTo("334 VXNlcm5hbWU6");
            assertThat(c.command(b64(RelayFixture.USER)).toString()).isEqualTo("334 UGFzc3dvcmQ6");
            assertThat(c.command(b64(RelayFixture.PASSWORD)).toString()).startsWith("235 2.7.0");
            assertThat(c.command("AUTH PLAIN " + plain(RelayFixture.USER, RelayFixture.PASSWORD)).toString())
                    .as("RFC 4954: no second AUTH").startsWith("503 5.5.1");
        }
    }

    @Test
    void theDisconnectLineCountsAuthLoginOnceAndItsLinesAreNotUnknownCommands() throws Exception {
        try (RawSmtp c = tlsSession()) {
            c.command("AUTH LOGIN");
            c.command(b64(RelayFixture.USER));
            assertThat(c.command(b64(RelayFixture.PASSWORD)).code()).isEqualTo(235);
            c.command("QUIT");
        }
        try (RawSmtp c = tlsSession()) {
            assertThat(c.command("AUTH PLAIN " + plain(RelayFixture.USER, RelayFixture.PASSWORD)).code())
                    .isEqualTo(235);
            c.command("QUIT");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> disconnects().size() >= 2);
        // Postfix: "disconnect from ... ehlo=2 starttls=1 auth=1 quit=1 commands=5"
        assertThat(disconnects()).hasSize(2).allSatisfy(line -> assertThat(line)
                .contains(" auth=1 ", " commands=5").doesNotContain("unknown=").doesNotContain("/"));
    }

    private static java.util.List<String> disconnects() {
        return logs.messages().stream()
                .filter(m -> m.startsWith("disconnect from") && m.contains("auth=")).toList();
    }

    @Test
    void aFailedAuthIsOneWarningWithoutAWarningPrefixOfItsOwn() throws Exception {
        try (RawSmtp c = tlsSession()) {
            assertThat(c.command("AUTH PLAIN " + plain("nobody-here", "x")).code()).isEqualTo(535);
        }
        // the log layout puts "warning: " before every WARN line, as Postfix does
        assertThat(logs.events()).filteredOn(e -> e.getFormattedMessage().contains("sasl_username=nobody-here"))
                .singleElement().satisfies(e -> {
                    assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
                    assertThat(e.getFormattedMessage()).doesNotStartWith("warning:");
                });
    }

    @Test
    void plainWithAnEmptyChallenge() throws Exception {
        try (RawSmtp c = tlsSession()) {
            assertThat(c.command("AUTH PLAIN").toString()).isEqualTo("334 ");
            assertThat(c.command(plain(RelayFixture.USER, RelayFixture.PASSWORD)).code()).isEqualTo(235);
        }
    }

    @Test
    void wrongPasswordIsAnswered535AfterTheDelay() throws Exception {
        try (RawSmtp c = tlsSession()) {
            long t0 = System.nanoTime();
            RawSmtp.Reply r = c.command("AUTH PLAIN " + plain(RelayFixture.USER, "wrong"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.toString()).startsWith("535 5.7.8");
            assertThat(ms).as("the failure waits for auth_failure_delay (300 ms here)").isGreaterThanOrEqualTo(290);
            // an unknown user gets the same answer
            assertThat(c.command("AUTH PLAIN " + plain("mallory", "x")).toString()).startsWith("535 5.7.8");
            assertThat(c.command("NOOP").code()).isEqualTo(250);
        }
        assertThat(logs.messages()).noneMatch(line -> line.contains("wrong"));
    }

    @Test
    void tooManyFailuresCloseTheConnection() throws Exception {
        try (RawSmtp c = tlsSession()) {
            assertThat(c.command("AUTH PLAIN " + plain(RelayFixture.USER, "guess1")).code()).isEqualTo(535);
            assertThat(c.command("AUTH PLAIN " + plain(RelayFixture.USER, "guess2")).code()).isEqualTo(535);
            assertThat(c.command("AUTH PLAIN " + plain(RelayFixture.USER, "guess3")).toString()).startsWith("421 4.7.0");
            assertThat(c.closedByServer()).isTrue();
        }
        relay.sendOrdinaryMessage("after-guessing");
    }

    @Test
    void commandsPipelinedBehindAuthAreAnsweredInOrderWithItsOutcome() throws Exception {
        try (RawSmtp c = tlsSession()) {
            c.send("AUTH PLAIN " + plain(RelayFixture.USER, RelayFixture.PASSWORD) + "\r\n"
                    + "MAIL FROM:<alice@ourdomain.test>\r\nRCPT TO:<friend@outside.example>\r\nRSET\r\n");
            assertThat(c.reply().code()).isEqualTo(235);
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).as("RCPT judged as authenticated").isEqualTo(250);
            assertThat(c.reply().code()).isEqualTo(250);
        }
        try (RawSmtp c = tlsSession()) {
            c.send("AUTH PLAIN " + plain(RelayFixture.USER, "bad") + "\r\n"
                    + "MAIL FROM:<alice@ourdomain.test>\r\nRCPT TO:<friend@outside.example>\r\n");
            assertThat(c.reply().code()).isEqualTo(535);
            assertThat(c.reply().code()).isEqualTo(250);
            assertThat(c.reply().code()).as("RCPT judged as not authenticated").isEqualTo(554);
        }
    }

    @Test
    void sequenceAndSyntaxErrors() throws Exception {
        try (RawSmtp c = tlsSession()) {
            assertThat(c.command("AUTH CRAM-MD5").toString()).startsWith("504 5.5.4");
            assertThat(c.command("AUTH").toString()).startsWith("501 5.5.4");
            assertThat(c.command("AUTH PLAIN").code()).isEqualTo(334);
            assertThat(c.command("*").toString()).startsWith("501");
            assertThat(c.command("AUTH PLAIN !!notbase64!!").toString()).startsWith("501 5.5.2");
            c.command("MAIL FROM:<x@ourdomain.test>");
            assertThat(c.command("AUTH PLAIN " + plain(RelayFixture.USER, RelayFixture.PASSWORD)).toString())
                    .as("RFC 4954: not during a mail transaction").startsWith("503 5.5.1");
        }
        try (RawSmtp c = relay.connect()) {
            c.reply();
            assertThat(c.command("AUTH PLAIN x").toString()).as("before EHLO").startsWith("503");
        }
    }

    @Test
    void authorizationIdentityOfAnotherUserIsRefused() throws Exception {
        try (RawSmtp c = tlsSession()) {
            String b = Base64.getEncoder().encodeToString(("bob\0" + RelayFixture.USER + "\0" + RelayFixture.PASSWORD)
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(c.command("AUTH PLAIN " + b).toString()).startsWith("535 5.7.8");
        }
    }

    @Test
    void authStateIsForgottenWhenTheSessionResets() throws Exception {
        // RFC 3207 4.2 applies to what came before TLS; here: a new connection is a new session
        try (RawSmtp c = tlsSession()) {
            assertThat(c.command("AUTH PLAIN " + plain(RelayFixture.USER, RelayFixture.PASSWORD)).code()).isEqualTo(235);
        }
        try (RawSmtp c = tlsSession()) {
            c.command("MAIL FROM:<alice@ourdomain.test>");
            assertThat(c.command("RCPT TO:<friend@outside.example>").code()).isEqualTo(554);
        }
    }

    private static javax.net.ssl.TrustManager trustTestCa() throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("ca", RelayFixture.pki().caCertificate());
        javax.net.ssl.TrustManagerFactory tmf =
                javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return tmf.getTrustManagers()[0];
    }
}
