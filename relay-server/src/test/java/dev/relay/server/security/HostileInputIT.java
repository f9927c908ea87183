package dev.relay.server.security;

import dev.relay.queue.admin.MessageView;
import dev.relay.queue.QueueId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input over real sockets against one receiver with the real queue.
 * The loopback client is untrusted. Every test first has a message accepted, then attacks, then
 * checks that a fresh client is served normally and that the earlier message is still queued
 * with its content. The tests that need their own limits are in {@link HostileConnectionsIT}.
 */
class HostileInputIT {

    @TempDir
    static Path dir;

    private static RelayFixture relay;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start(dir, b -> b.relayDomains(Set.of(RELAY_DOMAIN)));
    }

    /** A relay domain (a backup MX's domain): accepted from anyone, but never a way out. */
    private static final String RELAY_DOMAIN = "partner.test";

    @AfterAll
    static void stop() {
        relay.close();
    }

    private static Set<QueueId> ids() {
        return relay.messages().stream().map(MessageView::id).collect(Collectors.toSet());
    }

    private static List<MessageView> newSince(Set<QueueId> before) {
        return relay.messages().stream().filter(m -> !before.contains(m.id())).toList();
    }

    private static RawSmtp greeted() throws Exception {
        RawSmtp c = relay.connect();
        assertThat(c.reply().code()).isEqualTo(220);
        assertThat(c.command("EHLO attacker.test").code()).isEqualTo(250);
        return c;
    }

    // --- SMTP smuggling -------------------------------------------------------------------------

    /**
     * A fake end of data followed by a whole second transaction, all inside DATA, ended by a real
     * CRLF.CRLF: exactly one message reaches the queue, for the first transaction's recipient,
     * and the smuggled commands are part of its content (CVE-2023-51764 and kin).
     */
    @ParameterizedTest(name = "fake end of data {0}")
    @ValueSource(strings = {"\\n.\\n", "\\r.\\r", "\\n.\\r\\n", "\\r\\n.\\n", "\\r\\n.\\r"})
    void smuggledTransactionNeverRuns(String fakeEnd) throws Exception {
        String marker = "smuggle-" + Integer.toHexString(fakeEnd.hashCode());
        QueueId earlier = relay.sendOrdinaryMessage("before-" + marker);
        Set<QueueId> before = ids();
        String fake = fakeEnd.replace("\\r", "\r").replace("\\n", "\n");
        try (RawSmtp c = greeted()) {
            assertThat(c.command("MAIL FROM:<sender@elsewhere.test>").code()).isEqualTo(250);
            assertThat(c.command("RCPT TO:<u@ourdomain.test>").code()).isEqualTo(250);
            assertThat(c.command("DATA").code()).isEqualTo(354);
            c.send("Subject: " + marker + "\r\n\r\nfirst message" + fake
                    + "MAIL FROM:<smuggler@elsewhere.test>\r\n"
                    + "RCPT TO:<bob@ourdomain.test>\r\n"
                    + "DATA\r\n"
                    + "Subject: smuggled\r\n\r\nsmuggled body\r\n"
                    + ".\r\n");
            RawSmtp.Reply end = c.reply();
            // the one reply to the one end of data; then nothing but the reply to QUIT
            assertThat(end.code()).as("reply to the real end of data: %s", end).isIn(250, 550);
            assertThat(c.command("QUIT").code()).isEqualTo(221);
            List<MessageView> queued = newSince(before);
            if (end.code() == 250) {
                assertThat(queued).hasSize(1);
                MessageView m = queued.get(0);
                assertThat(m.reversePath().toString()).isEqualTo("<sender@elsewhere.test>");
                assertThat(m.recipients()).hasSize(1);
                assertThat(m.recipients().get(0).forwardPath().toString()).isEqualTo("<u@ourdomain.test>");
                assertThat(relay.body(m.id())).contains("first message").contains("smuggled body");
            } else {
                assertThat(queued).isEmpty();
            }
        }
        assertThat(newSince(before).stream().filter(m -> m.reversePath().toString().contains("smuggler"))).isEmpty();
        relay.assertStillServesAndKept(earlier, "before-" + marker);
    }

    // --- open relay -----------------------------------------------------------------------------

    @ParameterizedTest(name = "RCPT TO:{0}")
    @ValueSource(strings = {
            "<u@outside.example>",
            "<u%outside.example@ourdomain.test>",
            "<\"u@outside.example\"@ourdomain.test>",
            "<u@outside.example@ourdomain.test>",
            "<outside.example!u@ourdomain.test>",
            "<@ourdomain.test:u@outside.example>",
            "<@relay.test:u@outside.example>",
            "<@RELAY.TEST.:u@outside.example>",
            "<@Relay.Test,@outside.example:u@ourdomain.test>",
            "<@OurDomain.Test.:u@outside.example>",
            "<u@[192.0.2.1]>",
            "<u@[IPv6:2001:db8::1]>",
            "<u@OUTSIDE.EXAMPLE>",
            "<u@outside.example.>",
            "<u@ourdomain.test.outside.example>",
            "<u@outside.example.ourdomain.test>",
            "<u%outside.example@RELAY.TEST>",
            "<u%outside.example@OURDOMAIN.TEST.>",
            // RFC 5321 section 3.6.1 and 7.9: every host of a route counts, and routing operators in a local part are relaying
            "<@partner.test:u@outside.example>",
            "<@PARTNER.TEST,@ourdomain.test:u@outside.example>",
            "<@partner.test,@outside.example:u@partner.test>",
            "<u%outside.example@partner.test>",
            "<outside.example!u@partner.test>",
            "<\"u@outside.example\"@partner.test>",
    })
    void openRelayTricksAreRefused(String recipient) throws Exception {
        QueueId earlier = relay.sendOrdinaryMessage("before-relay-trick");
        Set<QueueId> before = ids();
        try (RawSmtp c = greeted()) {
            assertThat(c.command("MAIL FROM:<spammer@elsewhere.test>").code()).isEqualTo(250);
            RawSmtp.Reply r = c.command("RCPT TO:" + recipient);
            assertThat(r.code()).as("RCPT TO:%s -> %s", recipient, r).isBetween(500, 599);
            RawSmtp.Reply data = c.command("DATA");
            assertThat(data.code()).as("DATA without a recipient: %s", data).isBetween(500, 599);
            assertThat(c.command("QUIT").code()).isEqualTo(221);
        }
        assertThat(newSince(before)).isEmpty();
        relay.assertStillServesAndKept(earlier, "before-relay-trick");
    }

    // --- bad bytes in commands ------------------------------------------------------------------

    @Test
    void nulAndEightBitBytesInCommandsAreRefused() throws Exception {
        QueueId earlier = relay.sendOrdinaryMessage("before-bad-bytes");
        Set<QueueId> before = ids();
        try (RawSmtp c = greeted()) {
            assertThat(c.command("NOOP\0").code()).isEqualTo(501);
            assertThat(c.command("MAIL FROM:<a\0b@elsewhere.test>").code()).isEqualTo(501);
            assertThat(c.command("EHLO \u00e9t\u00e9.test").code()).as("Latin-1 bytes, not UTF-8").isEqualTo(501);
            assertThat(c.command("MAIL FROM:<s@elsewhere.test>").code()).isEqualTo(250);
            // valid UTF-8 in a mailbox without SMTPUTF8 (RFC 6531 section 3.4)
            String utf8 = new String("RCPT TO:<j\u00f8rn@ourdomain.test>".getBytes(StandardCharsets.UTF_8),
                    StandardCharsets.ISO_8859_1);
            assertThat(c.command(utf8).code()).isBetween(500, 599);
            assertThat(c.command("RCPT TO:<\u00ff\u00fe@ourdomain.test>").code()).isBetween(500, 599);
            assertThat(c.command("DATA").code()).isBetween(500, 599);
            assertThat(c.command("NOOP").code()).isEqualTo(250);
        }
        assertThat(newSince(before)).isEmpty();
        relay.assertStillServesAndKept(earlier, "before-bad-bytes");
    }

    @Test
    void invalidUtf8WithSmtputf8IsRefused() throws Exception {
        QueueId earlier = relay.sendOrdinaryMessage("before-bad-utf8");
        Set<QueueId> before = ids();
        try (RawSmtp c = greeted()) {
            // 0xC3 0x28: a lead byte without its continuation; 0xED 0xA0 0x80: an encoded surrogate
            assertThat(c.command("MAIL FROM:<\u00c3(@elsewhere.test> SMTPUTF8").code()).isEqualTo(501);
            assertThat(c.command("MAIL FROM:<\u00ed\u00a0\u0080@elsewhere.test> SMTPUTF8").code()).isEqualTo(501);
            assertThat(c.command("MAIL FROM:<s@elsewhere.test> SMTPUTF8").code()).isEqualTo(250);
            assertThat(c.command("RCPT TO:<\u00c0\u00af@ourdomain.test>").code()).as("overlong encoding").isEqualTo(501);
            String good = new String("RCPT TO:<\u00e9t\u00e9@ourdomain.test>".getBytes(StandardCharsets.UTF_8),
                    StandardCharsets.ISO_8859_1);
            assertThat(c.command(good).code()).as("valid UTF-8, unknown local user").isEqualTo(550);
            assertThat(c.command("DATA").code()).isBetween(500, 599);
        }
        assertThat(newSince(before)).isEmpty();
        relay.assertStillServesAndKept(earlier, "before-bad-utf8");
    }

    // --- size of input --------------------------------------------------------------------------

    @Test
    void tenKilobyteCommandsAreRefusedAndTheSessionGoesOn() throws Exception {
        QueueId earlier = relay.sendOrdinaryMessage("before-10k");
        try (RawSmtp c = greeted()) {
            String a10k = "a".repeat(10 * 1024);
            assertThat(c.command("NOOP " + a10k).toString()).startsWith("500 5.5.2");
            assertThat(c.command("MAIL FROM:<" + a10k + "@elsewhere.test>").toString()).startsWith("500 5.5.2");
            assertThat(c.command("RCPT TO:<u@ourdomain.test> " + a10k).code()).isEqualTo(500);
            assertThat(c.command("NOOP").code()).isEqualTo(250);
            assertThat(c.command("MAIL FROM:<s@elsewhere.test>").code()).as("no transaction was started").isEqualTo(250);
        }
        relay.assertStillServesAndKept(earlier, "before-10k");
    }

    @Test
    void aMegabyteWithoutALineBreak() throws Exception {
        QueueId earlier = relay.sendOrdinaryMessage("before-1mb");
        try (RawSmtp c = greeted()) {
            byte[] chunk = "X".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 16; i++) {
                c.send(chunk);
            }
            c.send("\r\n");
            assertThat(c.reply().toString()).startsWith("500 5.5.2");
            assertThat(c.command("NOOP").code()).isEqualTo(250);
        }
        relay.assertStillServesAndKept(earlier, "before-1mb");
    }

    @Test
    void aMegabyteWithoutALineBreakInsideData() throws Exception {
        QueueId earlier = relay.sendOrdinaryMessage("before-1mb-data");
        Set<QueueId> before = ids();
        try (RawSmtp c = greeted()) {
            assertThat(c.command("MAIL FROM:<s@elsewhere.test>").code()).isEqualTo(250);
            assertThat(c.command("RCPT TO:<u@ourdomain.test>").code()).isEqualTo(250);
            assertThat(c.command("DATA").code()).isEqualTo(354);
            c.send("Subject: long line\r\n\r\n");
            byte[] chunk = "Y".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 16; i++) {
                c.send(chunk);
            }
            RawSmtp.Reply end = c.command("\r\n.");
            assertThat(end.code()).as("RFC 5321 4.5.3.1.6: a text line over 1000 octets: %s", end).isBetween(500, 599);
            assertThat(c.command("NOOP").code()).isEqualTo(250);
        }
        assertThat(newSince(before)).isEmpty();
        relay.assertStillServesAndKept(earlier, "before-1mb-data");
    }

    @Test
    void tenThousandRecipients() throws Exception {
        QueueId earlier = relay.sendOrdinaryMessage("before-10k-rcpt");
        Set<QueueId> before = ids();
        int n = 10_000;
        try (RawSmtp c = greeted()) {
            assertThat(c.command("MAIL FROM:<s@elsewhere.test>").code()).isEqualTo(250);
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < n; i++) {
                batch.append("RCPT TO:<u@ourdomain.test>\r\n");
                if (batch.length() > 32 * 1024) {
                    c.send(batch.toString());
                    batch.setLength(0);
                }
            }
            c.send(batch.toString());
            int ok = 0;
            int tooMany = 0;
            for (int i = 0; i < n; i++) {
                RawSmtp.Reply r = c.reply();
                if (r.code() == 250) {
                    ok++;
                } else {
                    assertThat(r.toString()).startsWith("452 4.5.3");
                    tooMany++;
                }
            }
            assertThat(ok).isEqualTo(1000);
            assertThat(tooMany).isEqualTo(n - 1000);
            assertThat(c.command("DATA").code()).isEqualTo(354);
            assertThat(c.command("Subject: many\r\n\r\nmany\r\n.").code()).isEqualTo(250);
        }
        List<MessageView> queued = newSince(before);
        assertThat(queued).hasSize(1);
        assertThat(queued.get(0).recipients()).hasSize(1000);
        relay.assertStillServesAndKept(earlier, "before-10k-rcpt");
    }

    // --- errors ---------------------------------------------------------------------------------

    @Test
    void repeatedBadCommandsEndTheSessionAtTheErrorLimit() throws Exception {
        QueueId earlier = relay.sendOrdinaryMessage("before-errors");
        try (RawSmtp c = greeted()) {
            for (int i = 0; i < 10; i++) {
                assertThat(c.command("BOGUS " + i).code()).isEqualTo(500);
            }
            assertThat(c.command("BOGUS 10").toString()).startsWith("421 4.7.0");
            assertThat(c.closedByServer()).isTrue();
        }
        relay.assertStillServesAndKept(earlier, "before-errors");
    }
}
