package dev.relay.server.security;

import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.admin.MessageView;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** STARTTLS (RFC 3207) and implicit TLS (RFC 8314) over real sockets with the JDK's TLS client. */
class StartTlsIT {

    @TempDir
    static Path dir;

    private static RelayFixture relay;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start(dir);
    }

    @AfterAll
    static void stop() {
        relay.close();
    }

    @Test
    void startTlsIsOfferedInClearAndAuthOnlyInsideTls() throws Exception {
        try (RawSmtp c = relay.connect()) {
            c.reply();
            RawSmtp.Reply ehlo = c.command("EHLO client.test");
            assertThat(ehlo.lines()).contains("STARTTLS").noneMatch(l -> l.startsWith("AUTH"));
            assertThat(c.command("STARTTLS").code()).isEqualTo(220);
            c.startTls(RelayFixture.clientTls(), RelayFixture.HOST);
            assertThat(((SSLSocket) c.socket()).getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            RawSmtp.Reply tlsEhlo = c.command("EHLO client.test");
            assertThat(tlsEhlo.code()).isEqualTo(250);
            assertThat(tlsEhlo.lines()).doesNotContain("STARTTLS").contains("AUTH PLAIN LOGIN");
            // RFC 3207 section 4.2: STARTTLS is not offered, and not taken, inside TLS
            assertThat(c.command("STARTTLS").toString()).startsWith("503 5.5.1");
            assertThat(c.command("QUIT").code()).isEqualTo(221);
        }
    }

    @Test
    void theSessionStartsOverAfterStartTls() throws Exception {
        try (RawSmtp c = relay.connect()) {
            c.reply();
            c.command("EHLO client.test");
            assertThat(c.command("MAIL FROM:<s@elsewhere.test>").code()).isEqualTo(250);
            assertThat(c.command("STARTTLS").code()).isEqualTo(220);
            c.startTls(RelayFixture.clientTls(), RelayFixture.HOST);
            // the EHLO name and the transaction are forgotten: MAIL needs a new EHLO
            assertThat(c.command("MAIL FROM:<s@elsewhere.test>").toString()).startsWith("503");
            c.command("EHLO client.test");
            assertThat(c.command("RCPT TO:<u@ourdomain.test>").code()).as("no transaction survived").isEqualTo(503);
        }
    }

    /**
     * CVE-2011-0411: commands in the same packet as STARTTLS must not run inside TLS. RSET and a
     * whole MAIL/RCPT are injected; inside TLS there is no transaction and the first reply read
     * is the EHLO's.
     */
    @Test
    void commandsPipelinedBehindStartTlsAreDiscarded() throws Exception {
        try (RawSmtp c = relay.connect()) {
            c.reply();
            c.command("EHLO client.test");
            c.send("STARTTLS\r\nRSET\r\nEHLO evil.test\r\nMAIL FROM:<evil@elsewhere.test>\r\nRCPT TO:<u@ourdomain.test>\r\n");
            assertThat(c.reply().code()).isEqualTo(220);
            c.startTls(RelayFixture.clientTls(), RelayFixture.HOST);
            RawSmtp.Reply first = c.command("EHLO client.test");
            assertThat(first.code()).isEqualTo(250);
            assertThat(first.lines().get(0)).isEqualTo(RelayFixture.HOST);
            assertThat(c.command("RCPT TO:<u@ourdomain.test>").toString()).as("the injected MAIL never ran")
                    .startsWith("503 5.5.1");
            assertThat(c.command("NOOP").code()).isEqualTo(250);
        }
        assertThat(relay.messages()).noneMatch(m -> m.reversePath().toString().contains("evil"));
    }

    @Test
    void clearTextAfterStartTlsEndsTheConnection() throws Exception {
        try (RawSmtp c = relay.connect(5000)) {
            c.reply();
            c.command("EHLO client.test");
            assertThat(c.command("STARTTLS").code()).isEqualTo(220);
            c.send("RSET\r\nMAIL FROM:<evil@elsewhere.test>\r\n");
            assertThat(c.closedByServer()).isTrue();
        }
        relay.sendOrdinaryMessage("still-fine");
    }

    @Test
    void startTlsTakesNoArgument() throws Exception {
        try (RawSmtp c = relay.connect()) {
            c.reply();
            c.command("EHLO client.test");
            assertThat(c.command("STARTTLS now").toString()).startsWith("501 5.5.4");
            assertThat(c.command("NOOP").code()).isEqualTo(250);
        }
    }

    @Test
    void implicitTlsListenerGreetsInsideTls() throws Exception {
        try (SSLSocket s = (SSLSocket) RelayFixture.clientTls().getSocketFactory()
                .createSocket("127.0.0.1", relay.implicitTlsPort())) {
            s.setSoTimeout(10_000);
            javax.net.ssl.SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new javax.net.ssl.SNIHostName(RelayFixture.HOST)));
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.startHandshake();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            var out = s.getOutputStream();
            assertThat(in.readLine()).startsWith("220 " + RelayFixture.HOST);
            out.write("EHLO client.test\r\n".getBytes(StandardCharsets.US_ASCII));
            List<String> ehlo = new java.util.ArrayList<>();
            String line;
            do {
                line = in.readLine();
                ehlo.add(line);
            } while (line.charAt(3) == '-');
            assertThat(ehlo).anyMatch(l -> l.substring(4).equals("AUTH PLAIN LOGIN")).noneMatch(l -> l.contains("STARTTLS"));
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("221");
        }
    }

    @Test
    void clearTextOnTheImplicitTlsPortIsRefused() throws Exception {
        try (RawSmtp c = new RawSmtp(relay.implicitTlsPort(), 5000)) {
            c.send("EHLO client.test\r\n");
            assertThat(c.closedByServer()).isTrue();
        }
        relay.sendOrdinaryMessage("after-clear-text-on-465");
    }

    /** A client that answers 220 to STARTTLS with silence is cut off by the handshake timeout (1 s here). */
    @Test
    void aClientThatNeverStartsTheHandshakeIsCutOff(@TempDir Path own) throws Exception {
        try (RelayFixture r = RelayFixture.startWithHandshakeTimeout(own, Duration.ofSeconds(1));
             RawSmtp c = r.connect(15_000)) {
            c.reply();
            c.command("EHLO client.test");
            assertThat(c.command("STARTTLS").code()).isEqualTo(220);
            long t0 = System.nanoTime();
            assertThat(c.closedByServer()).isTrue();
            // the idle timeout is 5 minutes: only the handshake timeout ends this connection this soon
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void requiredTlsRefusesMailInClear(@TempDir Path own) throws Exception {
        try (RelayFixture required = RelayFixture.start(own, b -> b, true, Duration.ofMillis(100));
             RawSmtp c = required.connect()) {
            c.reply();
            c.command("EHLO client.test");
            assertThat(c.command("MAIL FROM:<s@elsewhere.test>").toString()).startsWith("530 5.7.0");
            assertThat(c.command("STARTTLS").code()).isEqualTo(220);
            c.startTls(RelayFixture.clientTls(), RelayFixture.HOST);
            c.command("EHLO client.test");
            assertThat(c.command("MAIL FROM:<s@elsewhere.test>").code()).isEqualTo(250);
        }
    }
}
