package dev.relay.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.queue.ClaimedMessage;
import dev.relay.server.testing.RawClient;
import dev.relay.server.testing.RunningServer;
import jakarta.activation.DataHandler;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.ByteArrayOutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.smtp.SMTPClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conversations over real sockets with two real clients, Angus Mail and Commons Net, each ending
 * with what reached the durable H2 queue: envelope, and body byte-exact apart from the Received
 * header (RFC 5321 section 4.4: a relay adds its trace field and changes nothing else).
 */
class ConversationIT {
    @TempDir
    Path dir;
    private RunningServer relay;

    @BeforeEach
    void start() {
        relay = RunningServer.start(dir);
    }

    @AfterEach
    void stop() {
        relay.close();
    }

    @Test
    void angusMailMimeMessageWithAnAttachment() throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(relay.port()));
        p.put("mail.smtp.localhost", "angus.client.example");
        p.put("mail.smtp.timeout", "10000");
        Session session = Session.getInstance(p);
        MimeMessage msg = new MimeMessage(session);
        msg.setFrom(new InternetAddress("sender@client.example"));
        msg.setRecipients(Message.RecipientType.TO, "alice@example.org, bob@elsewhere.example");
        msg.setSubject("report with an attachment");
        MimeBodyPart text = new MimeBodyPart();
        text.setText("Hello,\n.\n..\n.x\nsee the attachment.\n", "UTF-8");
        MimeBodyPart attachment = new MimeBodyPart();
        byte[] data = new byte[3000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        attachment.setDataHandler(new DataHandler(new ByteArrayDataSource(data, "application/octet-stream")));
        attachment.setFileName("data.bin");
        MimeMultipart mp = new MimeMultipart(text, attachment);
        msg.setContent(mp);
        msg.saveChanges();
        try (Transport t = session.getTransport("smtp")) {
            t.connect();
            t.sendMessage(msg, msg.getAllRecipients());
        }
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        msg.writeTo(expected);

        List<ClaimedMessage> stored = relay.messages();
        assertThat(stored).hasSize(1);
        ClaimedMessage m = stored.get(0);
        assertThat(m.envelope().reversePath().toString()).isEqualTo("<sender@client.example>");
        assertThat(m.envelope().recipients()).extracting(r -> r.forwardPath().toString())
                .containsExactly("<alice@example.org>", "<bob@elsewhere.example>");
        assertThat(m.envelope().origin().heloName()).isEqualTo("angus.client.example");
        assertThat(m.envelope().origin().protocol()).isEqualTo("ESMTP");
        assertThat(new String(relay.bodyWithoutReceived(m), StandardCharsets.ISO_8859_1))
                .isEqualTo(crlf(expected.toString(StandardCharsets.ISO_8859_1)));
        assertThat(relay.receivedHeader(m)).startsWith("Received: from angus.client.example ([127.0.0.1])\r\n"
                + "\tby relay.example.org with ESMTP id " + m.id() + ";");
    }

    @Test
    void commonsNetDotLinesEightBitAndALastLineWithoutCrlf() throws Exception {
        AuthenticatingSMTPClient client = new AuthenticatingSMTPClient("TLS", "ISO-8859-1");
        client.setDefaultTimeout(10_000);
        client.connect("127.0.0.1", relay.port());
        assertThat(client.getReplyString()).isEqualTo("220 relay.example.org ESMTP\r\n");
        assertThat(client.elogin("net.client.example")).isTrue();
        assertThat(client.getReplyStrings()).contains("250-PIPELINING", "250-8BITMIME", "250 DSN");
        // setSender/addRecipient would add angle brackets of their own
        assertThat(client.mail("<@hop1.example,@hop2.example:sender@client.example>")).isEqualTo(250);
        assertThat(client.rcpt("<@relay.example.org,@next.example:user@far.example>")).isEqualTo(250);
        String body = "Subject: dots\r\n\r\n.\r\n..\r\n.x\r\nstuffed ...\r\ncaf\u00e9 \u00ff\u00e0\u0080\r\nlast line without CRLF";
        Writer w = client.sendMessageData();
        assertThat(w).isNotNull();
        w.write(body);
        w.close();
        assertThat(client.completePendingCommand()).isTrue();
        assertThat(client.getReplyString()).matches("250 2\\.0\\.0 Ok: queued as [0-9A-Z]+\r\n");
        client.logout();
        assertThat(client.getReplyCode()).isEqualTo(221);
        client.disconnect();

        ClaimedMessage m = relay.messages().get(0);
        assertThat(m.envelope().reversePath().toString()).isEqualTo("<@hop1.example,@hop2.example:sender@client.example>");
        assertThat(m.envelope().recipients().get(0).forwardPath().toString())
                .isEqualTo("<@relay.example.org,@next.example:user@far.example>");
        // the client ends the last line with CRLF before the final dot (RFC 5321 4.1.1.4)
        assertThat(relay.bodyWithoutReceived(m)).isEqualTo((body + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        assertThat(relay.receivedHeader(m)).contains("\r\n\tfor <@relay.example.org,@next.example:user@far.example>; ");
    }

    @Test
    void commonsNetHeloSessionWithRsetAndTwoTransactions() throws Exception {
        SMTPClient client = new SMTPClient("UTF-8");
        client.setDefaultTimeout(10_000);
        client.connect("127.0.0.1", relay.port());
        assertThat(client.login("old.client.example")).isTrue();
        assertThat(client.getReplyString()).isEqualTo("250 relay.example.org\r\n");
        assertThat(client.setSender("a@client.example")).isTrue();
        assertThat(client.reset()).isTrue();
        assertThat(client.sendSimpleMessage("b@client.example", "x@example.org", "Subject: one\r\n\r\nfirst\r\n")).isTrue();
        assertThat(client.sendSimpleMessage("", new String[] {"y@example.org", "z@example.org"}, "Subject: two\r\n\r\nsecond\r\n")).isTrue();
        assertThat(client.vrfy("root")).isEqualTo(252); // never confirms or denies a user
        assertThat(client.sendCommand("EXPN staff")).isEqualTo(502);
        assertThat(client.sendCommand("HELP")).isEqualTo(214);
        client.logout();
        client.disconnect();

        List<ClaimedMessage> stored = relay.messages();
        assertThat(stored).hasSize(2);
        ClaimedMessage first = stored.stream().filter(m -> m.envelope().recipients().size() == 1).findFirst().orElseThrow();
        ClaimedMessage second = stored.stream().filter(m -> m.envelope().recipients().size() == 2).findFirst().orElseThrow();
        assertThat(first.envelope().reversePath().toString()).isEqualTo("<b@client.example>");
        assertThat(relay.bodyWithoutReceived(first)).isEqualTo("Subject: one\r\n\r\nfirst\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(second.envelope().reversePath().isNull()).isTrue();
        assertThat(second.envelope().origin().protocol()).isEqualTo("SMTP");
        assertThat(relay.receivedHeader(second)).doesNotContain("for <").contains("with SMTP id " + second.id());
        assertThat(relay.bodyWithoutReceived(second)).isEqualTo("Subject: two\r\n\r\nsecond\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void listensOnIpv4AndIpv6Together() throws Exception {
        relay.close();
        java.net.InetAddress v6;
        try {
            v6 = java.net.InetAddress.getByName("::1");
            new java.net.ServerSocket(0, 1, v6).close();
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback on this machine: " + e);
            return;
        }
        relay = RunningServer.start(RunningServer.settings(dir).listen(List.of(
                new java.net.InetSocketAddress("127.0.0.1", 0), new java.net.InetSocketAddress(v6, 0))).build(), dir.resolve("two"));
        assertThat(relay.server.boundAddresses()).hasSize(2);
        int v6port = relay.server.boundAddresses().get(1).getPort();
        try (RawClient c = new RawClient("::1", v6port)) {
            assertThat(c.reply()).isEqualTo("220 relay.example.org ESMTP\r\n");
            c.send("EHLO v6.example");
            c.write("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.org>\r\nDATA\r\nhi\r\n.\r\n");
            assertThat(c.replies(4).get(3)).startsWith("250 2.0.0");
        }
        ClaimedMessage m = relay.messages().get(0);
        assertThat(m.envelope().origin().clientAddress()).isEqualTo("::1");
        assertThat(relay.receivedHeader(m)).startsWith("Received: from v6.example ([IPv6:::1])");
    }

    @Test
    void anAddressInUseIsAClearErrorAndNothingStaysBound() {
        java.net.InetSocketAddress taken = relay.server.address();
        dev.relay.server.SmtpServer second = new dev.relay.server.SmtpServer(
                RunningServer.settings(dir.resolve("second")).listen(List.of(taken)).build(), relay.queue,
                dev.relay.server.LocalRecipients.ACCEPT_ALL, new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                java.time.Clock.systemUTC());
        org.assertj.core.api.Assertions.assertThatThrownBy(second::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cannot listen on 127.0.0.1:" + taken.getPort() + ": "); // no "/127..."
        try (RawClient c = new RawClient(relay.port())) {
            assertThat(c.reply()).isEqualTo("220 relay.example.org ESMTP\r\n"); // the first server is untouched
        }
    }

    @Test
    void theListeningLineNamesTheAddressAsTheConfigurationWritesIt() {
        dev.relay.queue.testing.CapturedLogs logs = dev.relay.queue.testing.CapturedLogs.of(dev.relay.server.SmtpServer.class);
        dev.relay.server.SmtpServer third = new dev.relay.server.SmtpServer(
                RunningServer.settings(dir.resolve("third")).listen(List.of(
                        new java.net.InetSocketAddress("127.0.0.1", 0))).build(), relay.queue,
                dev.relay.server.LocalRecipients.ACCEPT_ALL, new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                java.time.Clock.systemUTC());
        try {
            third.start();
            assertThat(logs.messages())
                    .anySatisfy(m -> assertThat(m)
                            .startsWith("listening on 127.0.0.1:" + third.address().getPort() + " ("));
        } finally {
            logs.close();
            third.stop(java.time.Duration.ofSeconds(5));
        }
    }

    /** What an SMTP client sends for text with LF line ends: CRLF everywhere, ending in CRLF. */
    private static String crlf(String s) {
        String t = s.replace("\r\n", "\n").replace("\n", "\r\n");
        return t.endsWith("\r\n") ? t : t + "\r\n";
    }
}
