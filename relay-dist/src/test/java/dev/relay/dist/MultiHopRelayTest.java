package dev.relay.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.queue.admin.QueueFilter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.net.smtp.SMTPClient;
import org.apache.commons.net.smtp.SMTPReply;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole story (issue 4 section 5): three relays on loopback, {@code a.test}, {@code b.test} and
 * {@code c.test}, each routing the others' names to their ports. {@code MAIL FROM:<s@src.test>} and
 * {@code RCPT TO:<@a.test,@b.test:u@c.test>} sent to A end up in C's Maildir for {@code u}, body
 * byte for byte, one {@code Received:} per hop, and a {@code Return-Path:} that depends on the
 * source-route mode:
 *
 * <ul>
 * <li>{@code rfc821}: the route is followed (A, B, C) and each relay puts its name in front of the
 * reverse-path (RFC 821 section 3.6): {@code <@b.test,@a.test:s@src.test>}; plain mail through A
 * keeps its reverse-path as sent (issue 17).</li>
 * <li>{@code honor}: the route is followed but the reverse-path is left alone (RFC 5321 appendix C):
 * {@code <s@src.test>}, three hops.</li>
 * <li>{@code strip}: the route is dropped at A and the mailbox's domain decides (RFC 5321 section
 * 3.6.1): A sends straight to C, B never sees the message: two hops, {@code <s@src.test>}.</li>
 * </ul>
 */
@Timeout(120)
class MultiHopRelayTest {

    /** Dot-transparency and blank lines: what byte-exact relaying must survive. */
    private static final String MESSAGE = "From: <s@src.test>\r\nTo: <u@c.test>\r\nSubject: the whole story\r\n"
            + "Message-ID: <story@src.test>\r\n\r\nFirst line.\r\n.\r\n..two dots\r\n.one dot\r\n\r\n"
            + "  indented\ttab\r\nlast line\r\n";

    @TempDir
    Path dir;

    private final List<Relay> relays = new ArrayList<>();

    @AfterEach
    void stop() {
        for (int i = relays.size() - 1; i >= 0; i--) {
            relays.get(i).close();
        }
    }

    /**
     * Three relays started by relay-dist's {@link Relay} from relay.conf texts: C (with the Maildir of u),
     * then B routing c.test to C, then A routing b.test to B and c.test to C.
     */
    private Relay[] threeRelays(String mode) throws Exception {
        Relays.mailbox(dir, "c.test", "u");
        Relay c = relay("c.test", mode, "");
        Relay b = relay("b.test", mode, "c.test [127.0.0.1]:" + Relays.port(c) + "\n");
        Relay a = relay("a.test", mode, "b.test [127.0.0.1]:" + Relays.port(b) + "\nc.test [127.0.0.1]:" + Relays.port(c) + "\n");
        return new Relay[] {a, b, c};
    }

    private Relay relay(String name, String mode, String routes) throws Exception {
        Relay r = Relays.start(dir, name, mode, routes, "", Clock.systemUTC());
        relays.add(r);
        return r;
    }

    @Test
    void rfc821ModeFollowsTheRouteAndBuildsTheReversePathBackHopByHop() throws Exception {
        Relay[] r = threeRelays("rfc821");
        send(Relays.port(r[0]), "<s@src.test>", "<@a.test,@b.test:u@c.test>");

        String stored = delivered(dir, "c.test", "u", r);
        assertThat(stored).startsWith("Return-Path: <@b.test,@a.test:s@src.test>\r\nDelivered-To: u@c.test\r\n");
        assertThat(receivedBy(stored)).containsExactly("c.test", "b.test", "a.test");
        assertThat(stored).endsWith("\r\n" + MESSAGE); // the content after the trace fields, byte for byte
        assertThat(trace(stored)).hasSize(3);
    }

    /**
     * Issue 17 section 3: in rfc821 mode the reverse-path grows only where a relay acts on a route.
     * Plain mail through A to C arrives with the reverse-path it was sent with, {@code <s@src.test>},
     * not {@code <@a.test:s@src.test>}.
     */
    @Test
    void rfc821ModeLeavesThePlainReversePathAlone() throws Exception {
        Relay[] r = threeRelays("rfc821");
        send(Relays.port(r[0]), "<s@src.test>", "<u@c.test>");

        String stored = delivered(dir, "c.test", "u", r);
        assertThat(stored).startsWith("Return-Path: <s@src.test>\r\nDelivered-To: u@c.test\r\n");
        assertThat(receivedBy(stored)).containsExactly("c.test", "a.test");
        assertThat(stored).endsWith("\r\n" + MESSAGE);
    }

    @Test
    void honorModeFollowsTheRouteButLeavesTheReversePathAlone() throws Exception {
        Relay[] r = threeRelays("honor");
        send(Relays.port(r[0]), "<s@src.test>", "<@a.test,@b.test:u@c.test>");

        String stored = delivered(dir, "c.test", "u", r);
        assertThat(stored).startsWith("Return-Path: <s@src.test>\r\nDelivered-To: u@c.test\r\n");
        assertThat(receivedBy(stored)).containsExactly("c.test", "b.test", "a.test");
        assertThat(stored).endsWith("\r\n" + MESSAGE);
    }

    @Test
    void stripModeDropsTheRouteAtTheFirstRelaySoBIsSkipped() throws Exception {
        Relay[] r = threeRelays("strip");
        send(Relays.port(r[0]), "<s@src.test>", "<@a.test,@b.test:u@c.test>");

        String stored = delivered(dir, "c.test", "u", r);
        assertThat(stored).startsWith("Return-Path: <s@src.test>\r\nDelivered-To: u@c.test\r\n");
        assertThat(receivedBy(stored)).containsExactly("c.test", "a.test");
        assertThat(stored).endsWith("\r\n" + MESSAGE);
        // B never saw the message: A went straight to C
        assertThat(r[1].registry().counter("relay.server.connections").count()).isZero();
        assertThat(r[2].registry().counter("relay.server.messages.accepted").count()).isEqualTo(1.0);
    }

    // --- helpers

    /** Sends one message with Commons Net, exactly these MAIL and RCPT arguments (a source route included). */
    static void send(int port, String from, String rcpt) throws Exception {
        SMTPClient smtp = new SMTPClient(StandardCharsets.US_ASCII.name());
        smtp.setDefaultTimeout(20_000);
        smtp.connect("127.0.0.1", port);
        try {
            assertThat(SMTPReply.isPositiveCompletion(smtp.getReplyCode())).as(smtp.getReplyString()).isTrue();
            smtp.setSoTimeout(20_000);
            assertThat(smtp.sendCommand("EHLO", "client.src.test")).as(smtp.getReplyString()).isEqualTo(250);
            assertThat(smtp.sendCommand("MAIL", "FROM:" + from)).as(smtp.getReplyString()).isEqualTo(250);
            assertThat(smtp.sendCommand("RCPT", "TO:" + rcpt)).as(smtp.getReplyString()).isEqualTo(250);
            try (Writer w = smtp.sendMessageData()) {
                assertThat(w).as(smtp.getReplyString()).isNotNull();
                w.write(MESSAGE);
            }
            assertThat(smtp.completePendingCommand()).as(smtp.getReplyString()).isTrue();
            smtp.logout();
        } finally {
            smtp.disconnect();
        }
    }

    /**
     * Waits for the one message in the Maildir {@code new/} of {@code user}@{@code relay} and returns it.
     * A second (duplicate) copy could only come from a recipient still queued somewhere, so it first
     * waits until none of {@code relays} (every relay the message may pass) holds anything.
     */
    static String delivered(Path dir, String relay, String user, Relay... relays) throws Exception {
        if (relays.length == 0) {
            throw new IllegalArgumentException("name the relays the message passes");
        }
        Path neu = Relays.maildirRoot(dir, relay).resolve(relay).resolve(user).resolve("new");
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> Files.isDirectory(neu) && count(neu) > 0);
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> Arrays.stream(relays).allMatch(r -> r.cliContext().queue().list(QueueFilter.ALL, 0, 1).isEmpty()));
        assertThat(count(neu)).as("copies in " + neu).isEqualTo(1);
        try (Stream<Path> files = Files.list(neu)) {
            return new String(Files.readAllBytes(files.findFirst().orElseThrow()), StandardCharsets.ISO_8859_1);
        }
    }

    private static long count(Path d) throws Exception {
        try (Stream<Path> files = Files.list(d)) {
            return files.count();
        }
    }

    /** The header fields of the trace section (Received: with their folded lines). */
    static List<String> trace(String stored) {
        String header = stored.substring(0, stored.indexOf("\r\n\r\n") + 2);
        List<String> fields = new ArrayList<>();
        for (String line : header.split("\r\n")) {
            if (line.startsWith(" ") || line.startsWith("\t")) {
                fields.set(fields.size() - 1, fields.get(fields.size() - 1) + " " + line.strip());
            } else {
                fields.add(line);
            }
        }
        return fields.stream().filter(f -> f.regionMatches(true, 0, "Received:", 0, 9)).toList();
    }

    /** The "by" host of each Received field, top (last hop) first. */
    static List<String> receivedBy(String stored) {
        return trace(stored).stream().map(f -> Arrays.asList(f.split("\\s+"))).map(w -> w.get(w.indexOf("by") + 1)).toList();
    }
}
