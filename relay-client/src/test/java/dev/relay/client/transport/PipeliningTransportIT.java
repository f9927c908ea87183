package dev.relay.client.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.client.routing.NextHop;
import dev.relay.client.routing.Target;
import dev.relay.client.testing.FaultySmtpServer;
import dev.relay.client.testing.TestMessages;
import dev.relay.client.tls.OutboundTls;
import dev.relay.client.tls.OutboundTlsSettings;
import dev.relay.mail.MailParameters;
import dev.relay.mail.RcptParameters;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Outbound PIPELINING (RFC 2920), the byte-level content path (RFC 5321 section 4.5.2) and RSET
 * only where it is needed, against the fault-injecting test server: what went on the wire, and
 * which reply decided each recipient.
 */
class PipeliningTransportIT {

    private FaultySmtpServer server;
    private SmtpTransport transport;

    @BeforeEach
    void start() throws Exception {
        server = new FaultySmtpServer();
        transport = new SmtpTransport(TransportSettings.allTimeouts(Duration.ofSeconds(5)), "relay.test",
                new OutboundTls(OutboundTlsSettings.defaults()), null);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private Connection connect() throws Exception {
        Target t = new Target("127.0.0.1", InetAddress.getLoopbackAddress(), server.port());
        return transport.connect(t, NextHop.direct("127.0.0.1", server.port()));
    }

    private static Transaction tx(byte[] content, String... to) {
        List<OutboundRecipient> rcpts = Arrays.stream(to)
                .map(a -> new OutboundRecipient(TestMessages.path(a), RcptParameters.NONE)).toList();
        return new Transaction(TestMessages.path("s@src.test"), MailParameters.NONE, rcpts, content.length,
                () -> new ByteArrayInputStream(content));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private long count(String command) {
        return server.commands().stream().filter(command::equals).count();
    }

    /** After a failure in a group, a clean transaction still gets its own replies: nothing was left unread. */
    private void nextTransactionStillMatchesItsReplies(Connection c) {
        server.heal();
        server.mailReply = "250 2.1.0 ok";
        server.dataCommandReply = null;
        assertThat(c.reset()).isTrue();
        TransactionResult r = c.send(tx(TestMessages.small("next"), "next@dst.test"));
        assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
        assertThat(r.recipients().get(0).reply().text()).contains("queued");
        assertThat(server.received()).last().extracting(FaultySmtpServer.Received::rcptTo)
                .isEqualTo(List.of("<next@dst.test>"));
    }

    @Test
    void theGroupGoesOutInOneWriteAndTheContentWithItsDotInAnother() throws Exception {
        byte[] msg = TestMessages.small("group");
        try (Connection c = connect()) {
            TransactionResult r = c.send(tx(msg, "a@dst.test", "b@dst.test", "c@dst.test"));
            assertThat(r.recipients()).allMatch(x -> x instanceof RecipientResult.Delivered);
        }
        assertThat(server.reads()).contains("MAIL FROM:<s@src.test>\r\nRCPT TO:<a@dst.test>\r\n"
                + "RCPT TO:<b@dst.test>\r\nRCPT TO:<c@dst.test>\r\nDATA\r\n");
        String stuffed = new String(msg, StandardCharsets.ISO_8859_1).replace("\r\n.", "\r\n..") + ".\r\n";
        assertThat(server.reads()).contains(stuffed);
        assertThat(server.received()).hasSize(1);
        assertThat(server.received().get(0).content()).isEqualTo(msg);
    }

    @Test
    void withoutPipeliningTheCommandsGoOneByOne() throws Exception {
        server.extensions = List.of("8BITMIME");
        try (Connection c = connect()) {
            TransactionResult r = c.send(tx(TestMessages.small("lockstep"), "a@dst.test", "b@dst.test"));
            assertThat(r.recipients()).allMatch(x -> x instanceof RecipientResult.Delivered);
        }
        assertThat(server.reads()).containsSubsequence("MAIL FROM:<s@src.test>\r\n", "RCPT TO:<a@dst.test>\r\n",
                "RCPT TO:<b@dst.test>\r\n", "DATA\r\n");
        assertThat(server.received()).hasSize(1);
    }

    @Test
    void mailRefusedInAGroupGivesEveryRecipientMailsReply() throws Exception {
        server.mailReply = "550 5.7.1 sender refused";
        try (Connection c = connect()) {
            TransactionResult r = c.send(tx(TestMessages.small("m"), "a@dst.test", "b@dst.test"));
            assertThat(r.recipients()).hasSize(2).allSatisfy(x -> {
                assertThat(x).isInstanceOf(RecipientResult.Failed.class);
                assertThat(x.reply().code()).isEqualTo(550);
                assertThat(x.reply().text()).contains("sender refused");
            });
            // The server answered the RCPTs (503) and DATA (554) too; all were read, then RSET.
            assertThat(server.commands()).containsSubsequence("MAIL FROM:<s@src.test>", "RCPT TO:<a@dst.test>",
                    "RCPT TO:<b@dst.test>", "DATA", "RSET");
            assertThat(c.isUsable()).isTrue();
            nextTransactionStillMatchesItsReplies(c);
        }
        assertThat(server.received()).hasSize(1);
    }

    @Test
    void someRecipientsRefusedGetTheirOwnReplies() throws Exception {
        server.rcptReply = a -> a.contains("busy") ? "452 4.2.2 over quota"
                : a.contains("gone") ? "550 5.1.1 no such user" : "250 2.1.5 ok";
        try (Connection c = connect()) {
            TransactionResult r = c.send(tx(TestMessages.small("some"), "busy@dst.test", "a@dst.test",
                    "gone@dst.test", "b@dst.test"));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Deferred.class);
            assertThat(r.recipients().get(0).reply().code()).isEqualTo(452);
            assertThat(r.recipients().get(1)).isInstanceOf(RecipientResult.Delivered.class);
            assertThat(r.recipients().get(2)).isInstanceOf(RecipientResult.Failed.class);
            assertThat(r.recipients().get(2).reply().code()).isEqualTo(550);
            assertThat(r.recipients().get(3)).isInstanceOf(RecipientResult.Delivered.class);
            assertThat(r.recipients().get(3).reply().text()).contains("queued");
            nextTransactionStillMatchesItsReplies(c);
        }
        assertThat(server.received().get(0).rcptTo()).containsExactly("<a@dst.test>", "<b@dst.test>");
        assertThat(count("RSET")).as("no RSET after a transaction that ended with the dot").isZero();
    }

    @Test
    void allRecipientsRefusedAndData354SendsALoneDotAndDeliversNothing() throws Exception {
        server.rcptReply = a -> "550 5.1.1 no such user";
        server.dataCommandReply = "354 go ahead anyway";
        try (Connection c = connect()) {
            TransactionResult r = c.send(tx(TestMessages.small("nobody"), "a@dst.test", "b@dst.test"));
            assertThat(r.recipients()).allSatisfy(x -> {
                assertThat(x).isInstanceOf(RecipientResult.Failed.class);
                assertThat(x.reply().code()).isEqualTo(550);
            });
            assertThat(c.isUsable()).isTrue();
            nextTransactionStillMatchesItsReplies(c);
        }
        assertThat(server.contentWithoutRecipients()).hasSize(1);
        assertThat(server.contentWithoutRecipients().get(0)).as("no content, just the dot").isEmpty();
        assertThat(server.received()).hasSize(1).allMatch(x -> x.rcptTo().equals(List.of("<next@dst.test>")));
    }

    @Test
    void mailRefusedAndData354AlsoSendsALoneDot() throws Exception {
        server.mailReply = "451 4.3.0 try later";
        server.dataCommandReply = "354 go ahead anyway";
        try (Connection c = connect()) {
            TransactionResult r = c.send(tx(TestMessages.small("nobody"), "a@dst.test"));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Deferred.class);
            assertThat(r.recipients().get(0).reply().code()).isEqualTo(451);
            nextTransactionStillMatchesItsReplies(c);
        }
        assertThat(server.contentWithoutRecipients()).hasSize(1);
        assertThat(server.contentWithoutRecipients().get(0)).isEmpty();
    }

    @Test
    void allRecipientsRefusedAndDataRefusedResets() throws Exception {
        server.rcptReply = a -> "550 5.1.1 no such user";
        server.dataCommandReply = "503 5.5.1 no valid recipients";
        try (Connection c = connect()) {
            TransactionResult r = c.send(tx(TestMessages.small("nobody"), "a@dst.test", "b@dst.test"));
            assertThat(r.recipients()).allSatisfy(x -> {
                assertThat(x).isInstanceOf(RecipientResult.Failed.class);
                assertThat(x.reply().code()).isEqualTo(550);
            });
            assertThat(server.commands()).containsSubsequence("DATA", "RSET");
            nextTransactionStillMatchesItsReplies(c);
        }
        assertThat(server.contentWithoutRecipients()).isEmpty();
        assertThat(server.received()).hasSize(1);
    }

    @Test
    void dataRefusedGivesTheAcceptedRecipientsDatasReply() throws Exception {
        server.rcptReply = a -> a.contains("gone") ? "550 5.1.1 no such user" : "250 2.1.5 ok";
        server.dataCommandReply = "451 4.3.0 queue full";
        try (Connection c = connect()) {
            TransactionResult r = c.send(tx(TestMessages.small("d"), "a@dst.test", "gone@dst.test", "b@dst.test"));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Deferred.class);
            assertThat(r.recipients().get(0).reply().text()).contains("queue full");
            assertThat(r.recipients().get(1)).isInstanceOf(RecipientResult.Failed.class);
            assertThat(r.recipients().get(1).reply().code()).isEqualTo(550);
            assertThat(r.recipients().get(2).reply().text()).contains("queue full");
            assertThat(server.commands()).containsSubsequence("DATA", "RSET");
            nextTransactionStillMatchesItsReplies(c);
        }
    }

    @Test
    void a421InTheMiddleOfTheGroupDefersOnlyTheOpenRecipients() throws Exception {
        server.rcptReply = a -> a.contains("gone") ? "550 5.1.1 no such user"
                : a.contains("b@") ? "421 4.3.2 shutting down" : "250 2.1.5 ok";
        try (Connection c = connect()) {
            TransactionResult r = c.send(tx(TestMessages.small("x"), "gone@dst.test", "a@dst.test", "b@dst.test",
                    "c@dst.test"));
            assertThat(r.recipients().get(0)).as("decided before the 421").isInstanceOf(RecipientResult.Failed.class);
            assertThat(r.recipients().subList(1, 4)).allSatisfy(x -> {
                assertThat(x).isInstanceOf(RecipientResult.Deferred.class);
                assertThat(x.reply().code()).isEqualTo(421);
                assertThat(x.reply().text()).contains("shutting down");
            });
            assertThat(c.isUsable()).isFalse();
            assertThat(c.reset()).isFalse();
        }
        assertThat(server.received()).isEmpty();
    }

    @Test
    void dotStuffingIsByteExactAtTheServer() throws Exception {
        byte[][] bodies = {
            bytes(".\r\n..\r\n.x\r\nend\r\n"),
            bytes("Subject: d\r\n\r\nline\r\n.\r\n..\r\n.x\r\nx.\r\n"),
            bytes("Subject: no final crlf\r\n\r\nlast line.x"),
            bytes("Subject: 8bit\r\n\r\n\u00e9t\u00e9 \u00ff\u0080\u0000\r\n.\u00e9\r\n"),
        };
        try (Connection c = connect()) {
            for (byte[] body : bodies) {
                assertThat(c.reset()).isTrue();
                TransactionResult r = c.send(tx(body, "u@dst.test"));
                assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
            }
        }
        List<FaultySmtpServer.Received> got = server.received();
        assertThat(got).hasSize(bodies.length);
        assertThat(got.get(0).content()).isEqualTo(bodies[0]);
        assertThat(got.get(1).content()).isEqualTo(bodies[1]);
        assertThat(got.get(2).content()).isEqualTo(bytes("Subject: no final crlf\r\n\r\nlast line.x\r\n"));
        assertThat(got.get(3).content()).isEqualTo(bodies[3]);
    }

    @Test
    void aMessageLargerThanTheBlockSizeIsByteExact() throws Exception {
        // Lines of varied length, many starting with a dot, some lone dots, 8-bit bytes: the
        // block boundaries fall everywhere, also between CR and LF and just before a dot.
        Random rnd = new Random(11);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(bytes("Subject: large\r\n\r\n"));
        while (b.size() < 3 * DotStuffer.BLOCK + 777) {
            int len = rnd.nextInt(120);
            for (int i = 0; i < len; i++) {
                int c = 32 + rnd.nextInt(224);
                b.write(i == 0 && rnd.nextInt(4) == 0 ? '.' : c);
            }
            b.writeBytes(bytes("\r\n"));
        }
        byte[] msg = b.toByteArray();
        try (Connection c = connect()) {
            TransactionResult r = c.send(tx(msg, "big@dst.test"));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
        }
        assertThat(server.received()).hasSize(1);
        assertThat(server.received().get(0).content()).isEqualTo(msg);
    }

    @Test
    void noRsetBetweenTwoCleanTransactionsOnOneConnection() throws Exception {
        try (Connection c = connect()) {
            for (int i = 0; i < 3; i++) {
                assertThat(c.reset()).isTrue();
                TransactionResult r = c.send(tx(TestMessages.small("m" + i), "u" + i + "@dst.test"));
                assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
            }
        }
        assertThat(server.connections()).isEqualTo(1);
        assertThat(server.received()).hasSize(3);
        assertThat(count("RSET")).isZero();
    }

    @Test
    void rsetAfterAFailedTransactionOnlyOnce() throws Exception {
        server.rcptReply = a -> "550 5.1.1 no such user";
        try (Connection c = connect()) {
            c.send(tx(TestMessages.small("f"), "a@dst.test"));
            assertThat(count("RSET")).isEqualTo(1);
            server.heal();
            assertThat(c.reset()).isTrue();
            assertThat(c.send(tx(TestMessages.small("ok"), "a@dst.test")).recipients().get(0))
                    .isInstanceOf(RecipientResult.Delivered.class);
        }
        assertThat(server.commands()).containsSubsequence("DATA", "RSET", "MAIL FROM:<s@src.test>");
        assertThat(count("RSET")).as("the failure's own RSET is enough").isEqualTo(1);
    }

    @Test
    void rsetChecksAConnectionThatSatIdle() throws Exception {
        transport.rsetAfterIdle(Duration.ofMillis(100));
        try (Connection c = connect()) {
            assertThat(c.send(tx(TestMessages.small("a"), "a@dst.test")).recipients().get(0))
                    .isInstanceOf(RecipientResult.Delivered.class);
            assertThat(c.reset()).isTrue();
            assertThat(count("RSET")).as("used just now").isZero();
            Thread.sleep(250);
            assertThat(c.reset()).isTrue();
            assertThat(count("RSET")).isEqualTo(1);
            assertThat(c.reset()).as("the RSET just now counts as use").isTrue();
            assertThat(count("RSET")).isEqualTo(1);
        }
    }

    @Test
    void aConnectionDroppedWhileIdleIsFoundByRsetNotByTheNextTransaction() throws Exception {
        transport.rsetAfterIdle(Duration.ofMillis(100));
        try (Connection c = connect()) {
            assertThat(c.send(tx(TestMessages.small("a"), "a@dst.test")).recipients().get(0))
                    .isInstanceOf(RecipientResult.Delivered.class);
            server.dropConnections();
            Thread.sleep(250);
            assertThat(c.reset()).isFalse();
            assertThat(c.isUsable()).isFalse();
        }
    }
}
