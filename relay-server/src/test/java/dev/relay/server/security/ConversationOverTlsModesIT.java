package dev.relay.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.admin.MessageView;
import dev.relay.server.policy.Cidr;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One conversation suite run over the three ways a client reaches the receiver, as Apache James
 * runs its SMTP server tests over plain and STARTTLS: plain SMTP, STARTTLS (RFC 3207) and implicit
 * TLS (RFC 8314). Each test ends with what reached the durable queue, and the protocol it records
 * (ESMTP in clear, ESMTPS inside TLS, RFC 3848).
 */
class ConversationOverTlsModesIT {

    /** How the conversation starts: after the greeting and EHLO (again inside TLS), the session is ready. */
    enum Mode {
        PLAIN("ESMTP"),
        STARTTLS("ESMTPS"),
        IMPLICIT_TLS("ESMTPS");

        final String protocol;

        Mode(String protocol) {
            this.protocol = protocol;
        }

        RawSmtp open(RelayFixture relay) throws Exception {
            RawSmtp c = this == IMPLICIT_TLS
                    ? RawSmtp.implicitTls(relay.implicitTlsPort(), RelayFixture.clientTls(), RelayFixture.HOST)
                    : relay.connect();
            assertThat(c.reply().toString()).isEqualTo("220 " + RelayFixture.HOST + " ESMTP");
            RawSmtp.Reply ehlo = c.command("EHLO client.test");
            if (this == STARTTLS) {
                assertThat(c.command("STARTTLS").code()).isEqualTo(220);
                c.startTls(RelayFixture.clientTls(), RelayFixture.HOST);
                ehlo = c.command("EHLO client.test");
            }
            assertThat(ehlo.code()).isEqualTo(250);
            assertThat(ehlo.lines()).contains("PIPELINING");
            return c;
        }
    }

    @TempDir
    static Path dir;
    private static RelayFixture relay;

    @BeforeAll
    static void start() throws Exception {
        // the loopback client is trusted here, so that it may relay without AUTH in every mode
        relay = RelayFixture.start(dir, b -> b.trustedNetworks(List.of(Cidr.parse("127.0.0.0/8"))));
    }

    @AfterAll
    static void stop() {
        relay.close();
    }

    private static MessageView onlyMessageFor(String recipient) {
        List<MessageView> found = relay.messages().stream().filter(v -> v.recipients().stream()
                .anyMatch(r -> r.forwardPath().toString().equals(recipient))).toList();
        assertThat(found).as("messages for " + recipient).hasSize(1);
        return found.get(0);
    }

    /** The stored body after our Received header (its first line and its folded continuation lines). */
    private static String withoutReceived(String body) {
        assertThat(body).startsWith("Received: ");
        return body.replaceFirst("^Received: [^\r]*(\r\n[ \t][^\r]*)*\r\n", "");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aWholeTransactionIsRecordedWithTheProtocolOfTheMode(Mode mode) throws Exception {
        String marker = "whole-" + mode;
        try (RawSmtp c = mode.open(relay)) {
            assertThat(c.command("MAIL FROM:<s@elsewhere.test>").code()).isEqualTo(250);
            assertThat(c.command("RCPT TO:<bob@ourdomain.test>").code()).isEqualTo(250);
            assertThat(c.command("RCPT TO:<" + marker + "@example.org>").code()).isEqualTo(250);
            assertThat(c.command("DATA").code()).isEqualTo(354);
            assertThat(c.command("Subject: " + marker + "\r\n\r\nover " + mode + "\r\n.").code()).isEqualTo(250);
            assertThat(c.command("QUIT").code()).isEqualTo(221);
        }
        MessageDetail d = relay.detail(onlyMessageFor("<" + marker + "@example.org>").id());
        assertThat(d.envelope().recipients()).extracting(r -> r.forwardPath().toString())
                .containsExactly("<bob@ourdomain.test>", "<" + marker + "@example.org>");
        assertThat(d.envelope().origin().protocol()).isEqualTo(mode.protocol);
        assertThat(d.envelope().origin().authUser()).isNull();
        assertThat(relay.body(d.view().id())).contains("with " + mode.protocol + " id " + d.view().id())
                .contains("over " + mode);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aWholeTransactionPipelinedInOneWrite(Mode mode) throws Exception {
        String marker = "piped-" + mode;
        try (RawSmtp c = mode.open(relay)) {
            c.send("MAIL FROM:<a@client.example> SIZE=100 BODY=8BITMIME\r\n"
                    + "RCPT TO:<" + marker + "@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@example.org\r\n"
                    + "RCPT TO:<@" + RelayFixture.HOST + ":y@example.org>\r\n"
                    + "RCPT TO:<bad address>\r\n"
                    + "DATA\r\n"
                    + "Subject: piped\r\n\r\n..dot\r\n.\r\n"
                    + "QUIT\r\n");
            assertThat(c.reply().toString()).isEqualTo("250 2.1.0 Ok");
            assertThat(c.reply().toString()).isEqualTo("250 2.1.5 Ok");
            assertThat(c.reply().toString()).isEqualTo("250 2.1.5 Ok");
            assertThat(c.reply().toString()).startsWith("501 5.1.3 ");
            assertThat(c.reply().toString()).isEqualTo("354 End data with <CR><LF>.<CR><LF>");
            assertThat(c.reply().toString()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(c.reply().toString()).isEqualTo("221 2.0.0 Bye");
            assertThat(c.closedByServer()).isTrue();
        }
        MessageDetail d = relay.detail(onlyMessageFor("<" + marker + "@example.org>").id());
        assertThat(d.envelope().parameters().size()).isEqualTo(100L);
        assertThat(d.envelope().recipients()).hasSize(2);
        assertThat(d.envelope().recipients().get(0).parameters().orcpt()).isNotNull();
        assertThat(d.envelope().origin().protocol()).isEqualTo(mode.protocol);
        assertThat(withoutReceived(relay.body(d.view().id()))).isEqualTo("Subject: piped\r\n\r\n.dot\r\n");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void rsetThenASecondTransactionOnTheSameSession(Mode mode) throws Exception {
        String marker = "second-" + mode;
        try (RawSmtp c = mode.open(relay)) {
            assertThat(c.command("MAIL FROM:<first@client.example>").code()).isEqualTo(250);
            assertThat(c.command("RCPT TO:<dropped-" + mode + "@example.org>").code()).isEqualTo(250);
            assertThat(c.command("RSET").toString()).isEqualTo("250 2.0.0 Ok");
            assertThat(c.command("MAIL FROM:<>").code()).isEqualTo(250);
            assertThat(c.command("RCPT TO:<" + marker + "@example.org>").code()).isEqualTo(250);
            assertThat(c.command("DATA").code()).isEqualTo(354);
            assertThat(c.command("Subject: two\r\n\r\nsecond\r\n.").code()).isEqualTo(250);
            assertThat(c.command("NOOP").code()).isEqualTo(250);
        }
        MessageDetail d = relay.detail(onlyMessageFor("<" + marker + "@example.org>").id());
        assertThat(d.envelope().reversePath().isNull()).isTrue();
        assertThat(d.envelope().recipients()).hasSize(1);
        assertThat(relay.messages()).noneMatch(v -> v.recipients().stream()
                .anyMatch(r -> r.forwardPath().toString().equals("<dropped-" + mode + "@example.org>")));
    }
}
