package dev.relay.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.queue.ClaimedMessage;
import dev.relay.server.testing.RawClient;
import dev.relay.server.testing.RunningServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw-socket tests for the bad input and limits of the receiver (RFC 5321 section 4.5.3: line lengths, recipients, size): each ends by checking
 * that the server still answers and what reached the queue.
 */
class BadInputOverSocketsIT {
    @TempDir
    Path dir;
    private RunningServer relay;

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    private RawClient ehlo() {
        RawClient c = new RawClient(relay.port());
        assertThat(c.reply()).startsWith("220 ");
        assertThat(c.send("EHLO raw.example")).startsWith("250-relay.example.org");
        return c;
    }

    @Test
    void aMegabyteWithoutLineBreakGets500AndTheSessionGoesOn() {
        relay = RunningServer.start(dir);
        try (RawClient c = ehlo()) {
            byte[] junk = new byte[1024 * 1024];
            Arrays.fill(junk, (byte) 'a');
            c.write("NOOP ").write(junk).write("\r\n");
            assertThat(c.reply()).isEqualTo("500 5.5.2 Error: line too long\r\n");
            assertThat(c.send("NOOP")).isEqualTo("250 2.0.0 Ok\r\n");
            char[] line = new char[600];
            Arrays.fill(line, 'b');
            assertThat(c.send("VRFY " + new String(line))).isEqualTo("500 5.5.2 Error: line too long\r\n");
            assertThat(c.send("QUIT")).startsWith("221");
        }
    }

    @Test
    void everyFakeEndOfDataStaysInsideOneMessage() {
        relay = RunningServer.start(dir);
        String[] fakes = {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r\n.\r"};
        try (RawClient c = ehlo()) {
            for (String fake : fakes) {
                c.write("MAIL FROM:<a@client.example>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n");
                assertThat(c.replies(3).get(2)).startsWith("354");
                c.write("Subject: s\r\n\r\nbefore" + fake
                        + "MAIL FROM:<evil@client.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nsmuggled\r\n.\r\n");
                assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
            }
            assertThat(c.send("NOOP")).isEqualTo("250 2.0.0 Ok\r\n"); // no extra replies were waiting
        }
        List<ClaimedMessage> stored = relay.messages();
        assertThat(stored).hasSize(fakes.length);
        for (ClaimedMessage m : stored) {
            assertThat(m.envelope().reversePath().toString()).isEqualTo("<a@client.example>");
            assertThat(m.envelope().recipients()).extracting(r -> r.forwardPath().toString()).containsExactly("<x@example.org>");
            assertThat(new String(relay.bodyWithoutReceived(m), StandardCharsets.ISO_8859_1))
                    .contains("MAIL FROM:<evil@client.example>\r\n").endsWith("smuggled\r\n");
        }
    }

    @Test
    void perClientConnectionLimitGives421AtConnect() {
        relay = RunningServer.start(RunningServer.settings(dir).trustedNetworks(List.of()).maxConnectionsPerClient(2).build(), dir);
        List<RawClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                RawClient c = new RawClient(relay.port());
                assertThat(c.reply()).startsWith("220 ");
                open.add(c);
            }
            try (RawClient third = new RawClient(relay.port())) {
                assertThat(third.reply()).isEqualTo("421 4.7.0 Error: too many connections from your address, try again later\r\n");
                assertThat(third.closedByServer()).isTrue();
            }
            open.remove(0).close();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> relay.server.openConnections() == 1);
            try (RawClient again = new RawClient(relay.port())) {
                assertThat(again.reply()).startsWith("220 ");
            }
        } finally {
            open.forEach(RawClient::close);
        }
    }

    @Test
    void totalConnectionLimitGives421AtConnect() {
        relay = RunningServer.start(RunningServer.settings(dir).maxConnections(1).build(), dir);
        try (RawClient first = new RawClient(relay.port())) {
            assertThat(first.reply()).startsWith("220 ");
            RawClient second = new RawClient(relay.port());
            assertThat(second.reply()).isEqualTo("421 4.7.0 Error: too many connections, try again later\r\n");
            assertThat(second.closedByServer()).isTrue();
            second.close();
        }
    }

    @Test
    void idleTimeoutGives421AndCloses() {
        relay = RunningServer.start(RunningServer.settings(dir).idleTimeout(Duration.ofMillis(300)).build(), dir);
        try (RawClient c = ehlo()) {
            assertThat(c.reply()).isEqualTo("421 4.4.2 Error: timeout exceeded, closing transmission channel\r\n");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void oneByteAtATimeIsEndedByTheLineDeadline() throws Exception {
        relay = RunningServer.start(RunningServer.settings(dir).commandTimeout(Duration.ofMillis(500)).build(), dir);
        try (RawClient c = ehlo()) {
            for (char ch : "NOOP".toCharArray()) {
                c.write(String.valueOf(ch)); // each byte resets the idle timer, never the line deadline
                Thread.sleep(100);
            }
            String reply = c.reply();
            assertThat(reply).isEqualTo("421 4.4.2 Error: timeout exceeded, closing transmission channel\r\n");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void tooManyErrorsGives421AndCloses() {
        relay = RunningServer.start(RunningServer.settings(dir).maxErrors(3).build(), dir);
        try (RawClient c = ehlo()) {
            c.write("BOGUS\r\nRCPT TO:<a@example.org>\r\nMAIL FROM:<bad\r\nXYZZY\r\nNOOP\r\n");
            List<String> r = c.replies(4);
            assertThat(r.get(0)).isEqualTo("500 5.5.1 Error: command not recognized\r\n");
            assertThat(r.get(1)).isEqualTo("503 5.5.1 Error: need MAIL command\r\n");
            assertThat(r.get(2)).startsWith("501 5.1.7 Bad sender address syntax: ");
            assertThat(r.get(3)).isEqualTo("421 4.7.0 Error: too many errors, closing transmission channel\r\n");
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawClient fresh = ehlo()) {
            assertThat(fresh.send("NOOP")).isEqualTo("250 2.0.0 Ok\r\n");
        }
    }

    @Test
    void messageLimitsOverASocketRefuseAndStoreNothingThenTheSessionGoesOn() {
        relay = RunningServer.start(RunningServer.settings(dir).maxMessageSize(64 * 1024).maxRecipients(100)
                .maxReceivedHeaders(3).build(), dir);
        try (RawClient c = ehlo()) {
            // RFC 1870: a declared size over the limit is refused at MAIL
            assertThat(c.send("MAIL FROM:<a@client.example> SIZE=70000")).isEqualTo("552 5.3.4 Error: message size exceeds fixed limit\r\n");
            // data over the limit: read to the end, then 552 5.3.4
            c.write("MAIL FROM:<a@client.example>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n");
            assertThat(c.replies(3).get(2)).startsWith("354");
            StringBuilder big = new StringBuilder();
            while (big.length() < 70 * 1024) {
                big.append("0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
            }
            c.write(big + ".\r\n");
            assertThat(c.reply()).isEqualTo("552 5.3.4 Error: message size exceeds fixed limit\r\n");
            // a text line over 1,000 octets
            c.write("MAIL FROM:<a@client.example>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n");
            c.replies(3);
            c.write("x".repeat(1200) + "\r\n.\r\n");
            assertThat(c.reply()).isEqualTo("500 5.5.2 Error: message refused, a text line is too long\r\n");
            // more Received fields than the loop limit
            c.write("MAIL FROM:<a@client.example>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n");
            c.replies(3);
            c.write("Received: a\r\nReceived: b\r\nReceived: c\r\nReceived: d\r\n\r\nbody\r\n.\r\n");
            assertThat(c.reply()).isEqualTo("554 5.4.6 Error: too many Received headers, mail forwarding loop\r\n");
            // the recipient limit: 452 4.5.3, the first 100 stay
            StringBuilder rcpts = new StringBuilder("MAIL FROM:<a@client.example>\r\n");
            for (int i = 0; i < 101; i++) {
                rcpts.append("RCPT TO:<u").append(i).append("@example.org>\r\n");
            }
            c.write(rcpts.toString());
            List<String> r = c.replies(102);
            assertThat(r.get(100)).isEqualTo("250 2.1.5 Ok\r\n");
            assertThat(r.get(101)).isEqualTo("452 4.5.3 Error: too many recipients\r\n");
            assertThat(c.send("DATA")).startsWith("354");
            c.write("Subject: ok\r\n\r\nfine\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
        }
        List<ClaimedMessage> stored = relay.messages();
        assertThat(stored).hasSize(1);
        assertThat(stored.get(0).envelope().recipients()).hasSize(100);
        assertThat(relay.bodyWithoutReceived(stored.get(0))).isEqualTo("Subject: ok\r\n\r\nfine\r\n".getBytes(StandardCharsets.US_ASCII));
    }
}
