package dev.relay.client.delivery;

import static dev.relay.client.delivery.EngineHarness.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.relay.client.testing.FaultySmtpServer;
import dev.relay.client.testing.TestMessages;
import dev.relay.client.transport.TransportSettings;
import dev.relay.mail.BodyType;
import dev.relay.mail.MailParameters;
import dev.relay.mail.Path;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientState;
import dev.relay.queue.admin.RecipientView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine against a server whose faults the test switches on and off: the right recipients
 * are deferred or failed, and the deferred ones are delivered, once, when the fault clears.
 */
class FaultInjectionIT {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    java.nio.file.Path dir;
    private FaultySmtpServer server;
    private EngineHarness h;

    @BeforeEach
    void start() throws Exception {
        server = new FaultySmtpServer();
        startEngine(SourceRouteMode.RFC821);
    }

    private void startEngine(SourceRouteMode mode) throws Exception {
        String routes = "dst.test [127.0.0.1]:" + server.port() + "\n"
                + "b.test [127.0.0.1]:" + server.port() + "\n";
        h = new EngineHarness(dir.resolve("queue-" + mode), routes, mode, EngineHarness.fastSettings(),
                TransportSettings.allTimeouts(Duration.ofSeconds(2)), EngineHarness.retrySettings());
        h.engine.start();
    }

    @AfterEach
    void stop() throws Exception {
        h.close();
        server.close();
    }

    private Map<String, RecipientState> states(QueueId id) {
        return h.show(id).map(d -> d.view().recipients().stream()
                        .collect(Collectors.toMap(r -> r.forwardPath().mailbox().localPart(), RecipientView::state)))
                .orElse(Map.of());
    }

    private boolean gone(QueueId id) {
        return h.gone(id);
    }

    private List<String> deliveredRecipients() {
        return server.received().stream().flatMap(r -> r.rcptTo().stream()).toList();
    }

    @Test
    void greeting421DefersMarksTheHostDownThenDeliversWhenItClears() throws Exception {
        server.greeting = "421 4.3.2 try later";
        QueueId a = h.enqueue(path("s@src.test"), List.of(path("a@dst.test")), TestMessages.small("a"));
        await().atMost(WAIT).until(() -> states(a).get("a") == RecipientState.DEFERRED);
        int connectionsAfterFirst = server.connections();
        // The next hop is down now: a second message waits without a connection.
        QueueId b = h.enqueue(path("s@src.test"), List.of(path("b@dst.test")), TestMessages.small("b"));
        await().atMost(WAIT).until(() -> states(b).get("b") == RecipientState.DEFERRED);
        assertThat(server.connections()).isEqualTo(connectionsAfterFirst);
        assertThat(h.reportsOf(RecipientReport.Kind.DEFERRED)).hasSize(2);
        assertThat(h.reportsOf(RecipientReport.Kind.DEFERRED).get(0).reply().toString()).contains("421");
        assertThat(h.reportsOf(RecipientReport.Kind.DEFERRED).get(1).reply().text())
                .startsWith("delivery temporarily suspended");

        server.heal();
        h.stepPastRetry();
        await().atMost(WAIT).until(() -> gone(a) && gone(b));
        assertThat(deliveredRecipients()).containsExactlyInAnyOrder("<a@dst.test>", "<b@dst.test>");
    }

    @Test
    void rcpt450DefersThenDelivers() throws Exception {
        server.rcptReply = a -> "450 4.2.0 mailbox busy";
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("u@dst.test")), TestMessages.small("m"));
        await().atMost(WAIT).until(() -> states(id).get("u") == RecipientState.DEFERRED);
        assertThat(server.received()).isEmpty();
        server.heal();
        h.stepPastRetry();
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(deliveredRecipients()).containsExactly("<u@dst.test>");
        await().atMost(WAIT).untilAsserted(() -> assertThat(h.counter("deferred")).isEqualTo(1));
        await().atMost(WAIT).untilAsserted(() -> assertThat(h.counter("sent")).isEqualTo(1));
    }

    @Test
    void mixed452And250InOneTransaction() throws Exception {
        Function<String, String> some = a -> a.contains("busy") ? "452 4.2.2 over quota" : "250 2.1.5 ok";
        server.rcptReply = some;
        QueueId id = h.enqueue(path("s@src.test"),
                List.of(path("x@dst.test"), path("busy1@dst.test"), path("y@dst.test"), path("busy2@dst.test")),
                TestMessages.small("mixed"));
        await().atMost(WAIT).until(() -> states(id).values().stream().filter(s -> s == RecipientState.DEFERRED).count() == 2);
        assertThat(states(id)).containsEntry("busy1", RecipientState.DEFERRED).containsEntry("busy2", RecipientState.DEFERRED)
                .containsEntry("x", RecipientState.DELIVERED).containsEntry("y", RecipientState.DELIVERED);
        assertThat(server.received()).hasSize(1);
        assertThat(server.received().get(0).rcptTo()).containsExactly("<x@dst.test>", "<y@dst.test>");
        server.heal();
        h.stepPastRetry();
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(server.received()).hasSize(2);
        assertThat(server.received().get(1).rcptTo()).containsExactly("<busy1@dst.test>", "<busy2@dst.test>");
        assertThat(deliveredRecipients()).doesNotHaveDuplicates().hasSize(4);
    }

    @Test
    void reply554AfterDataFailsEveryAcceptedRecipientAtOnce() throws Exception {
        server.dataReply = "554 5.7.1 content rejected";
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("a@dst.test"), path("b@dst.test")),
                TestMessages.small("spam"));
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(h.reportsOf(RecipientReport.Kind.FAILED)).hasSize(2)
                .allSatisfy(r -> {
                    assertThat(r.reply().code()).isEqualTo(554);
                    assertThat(r.reply().status().toString()).isEqualTo("5.7.1");
                    assertThat(r.remoteMta()).isEqualTo("127.0.0.1");
                });
        await().atMost(WAIT).untilAsserted(() -> assertThat(h.counter("bounced")).isEqualTo(2));
        assertThat(h.counter("deferred")).isZero();
    }

    @Test
    void rcpt550FailsThatRecipientOnlyAndTheOthersGo() throws Exception {
        server.rcptReply = a -> a.contains("nobody") ? "550 5.1.1 no such user" : "250 2.1.5 ok";
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("nobody@dst.test"), path("u@dst.test")),
                TestMessages.small("m"));
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(deliveredRecipients()).containsExactly("<u@dst.test>");
        assertThat(h.reportsOf(RecipientReport.Kind.FAILED)).singleElement()
                .satisfies(r -> assertThat(r.recipient().recipient().forwardPath().toString()).isEqualTo("<nobody@dst.test>"));
    }

    @Test
    void disconnectInTheMiddleOfDataDefersThenDelivers() throws Exception {
        server.disconnectAfterContentBytes = 40;
        byte[] msg = TestMessages.small("cut");
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("u@dst.test")), msg);
        await().atMost(WAIT).until(() -> states(id).get("u") == RecipientState.DEFERRED);
        assertThat(h.reportsOf(RecipientReport.Kind.DEFERRED)).singleElement()
                .satisfies(r -> assertThat(r.reply().code()).isBetween(400, 499));
        server.heal();
        h.stepPastRetry();
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(server.received()).singleElement().satisfies(r -> assertThat(r.content()).isEqualTo(msg));
    }

    @Test
    void silentServerTimesOutAndIsDeferred() throws Exception {
        server.silent = true;
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("u@dst.test")), TestMessages.small("quiet"));
        await().atMost(WAIT).until(() -> states(id).get("u") == RecipientState.DEFERRED);
        assertThat(h.reportsOf(RecipientReport.Kind.DEFERRED)).singleElement()
                .satisfies(r -> assertThat(r.reply().toString()).contains("4.4.2"));
        server.heal();
        h.stepPastRetry();
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(deliveredRecipients()).containsExactly("<u@dst.test>");
    }

    @Test
    void tooLargeForTheAdvertisedSizeFailsWith534WithoutSending() throws Exception {
        server.extensions = List.of("SIZE 100", "8BITMIME");
        byte[] msg = TestMessages.large(500, 3);
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("u@dst.test")), msg);
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(h.reportsOf(RecipientReport.Kind.FAILED)).singleElement()
                .satisfies(r -> assertThat(r.reply().status().toString()).isEqualTo("5.3.4"));
        assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
    }

    @Test
    void eightBitToAPeerWithout8BitMimeFailsWith563() throws Exception {
        server.extensions = List.of("PIPELINING");
        QueueId id = h.enqueue(path("s@src.test"), new MailParameters(null, BodyType.EIGHT_BIT_MIME, false, null, null),
                List.of(path("u@dst.test")), TestMessages.small("8bit"));
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(h.reportsOf(RecipientReport.Kind.FAILED)).singleElement()
                .satisfies(r -> assertThat(r.reply().status().toString()).isEqualTo("5.6.3"));
        assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
    }

    @Test
    void deferredPastTheLifetimeExpires() throws Exception {
        server.rcptReply = a -> "451 4.3.0 temporary trouble";
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("u@dst.test")), TestMessages.small("old"));
        await().atMost(WAIT).until(() -> states(id).get("u") == RecipientState.DEFERRED);
        h.clock.advance(Duration.ofDays(5).plusMinutes(1));
        h.engine.wakeUp();
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(h.reportsOf(RecipientReport.Kind.EXPIRED)).singleElement()
                .satisfies(r -> assertThat(r.reply().toString()).contains("451 4.3.0 temporary trouble"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(h.counter("expired")).isEqualTo(1));
    }

    @Test
    void sourceRouteRfc821RewritesBothPaths() throws Exception {
        Path routed = new Path(List.of("relay.test", "b.test"), new dev.relay.mail.Mailbox("u", "c.test"));
        QueueId id = h.enqueue(path("s@src.test"), List.of(routed), TestMessages.small("routed"));
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(server.received()).singleElement().satisfies(r -> {
            assertThat(r.mailFrom()).isEqualTo("<@relay.test:s@src.test>");
            assertThat(r.rcptTo()).containsExactly("<@b.test:u@c.test>");
        });
    }

    /**
     * RFC 821 section 3.6: in rfc821 mode only recipients that came with a route get our name in
     * front of the reverse-path. One message with both kinds for one next hop goes out in two
     * transactions, the plain one with the reverse-path exactly as received.
     */
    @Test
    void rfc821PlainAndRoutedRecipientsForOneNextHopGoInTwoTransactions() throws Exception {
        Path viaUs = new Path(List.of("relay.test"), new dev.relay.mail.Mailbox("w", "dst.test"));
        Path viaB = new Path(List.of("b.test"), new dev.relay.mail.Mailbox("x", "c.test"));
        QueueId id = h.enqueue(path("S.Mixed@Src.Test"), List.of(path("u@dst.test"), viaUs, path("v@dst.test"), viaB),
                TestMessages.small("mixed"));
        await().atMost(WAIT).until(() -> gone(id));
        Map<String, List<String>> byFrom = server.received().stream()
                .collect(Collectors.toMap(FaultySmtpServer.Received::mailFrom, FaultySmtpServer.Received::rcptTo));
        assertThat(server.received()).hasSize(2);
        assertThat(byFrom).containsOnlyKeys("<S.Mixed@Src.Test>", "<@relay.test:S.Mixed@Src.Test>");
        assertThat(byFrom.get("<S.Mixed@Src.Test>")).containsExactly("<u@dst.test>", "<v@dst.test>");
        assertThat(byFrom.get("<@relay.test:S.Mixed@Src.Test>")).containsExactly("<w@dst.test>", "<@b.test:x@c.test>");
        assertThat(server.commands()).filteredOn(c -> c.startsWith("MAIL FROM:"))
                .containsExactlyInAnyOrder("MAIL FROM:<S.Mixed@Src.Test>", "MAIL FROM:<@relay.test:S.Mixed@Src.Test>");
    }

    /**
     * A reverse-path with no room for our name (RFC 5321 4.5.3.1.3: 256 octets at most) is sent as
     * received; the message is delivered instead of stalling in the scheduler.
     */
    @Test
    void rfc821AReversePathWithNoRoomForOurNameIsSentAsReceived() throws Exception {
        String domain = "a".repeat(60) + "." + "b".repeat(60) + "." + "c".repeat(60) + ".test";
        Path longFrom = Path.of(new dev.relay.mail.Mailbox("s".repeat(64), domain));
        assertThat(longFrom.toString()).hasSize(254);
        Path viaUs = new Path(List.of("relay.test"), new dev.relay.mail.Mailbox("w", "dst.test"));
        QueueId id = h.enqueue(longFrom, List.of(viaUs), TestMessages.small("long"));
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(server.received()).singleElement().satisfies(r -> {
            assertThat(r.mailFrom()).isEqualTo(longFrom.toString());
            assertThat(r.rcptTo()).containsExactly("<w@dst.test>");
        });
    }

    @Test
    void sourceRouteHonorAndStrip() throws Exception {
        Path from = new Path(List.of("x.test"), new dev.relay.mail.Mailbox("s", "src.test"));
        h.close();
        startEngine(SourceRouteMode.HONOR);
        Path routed = new Path(List.of("alias.relay.test", "b.test"), new dev.relay.mail.Mailbox("u", "c.test"));
        QueueId id = h.enqueue(from, List.of(routed), TestMessages.small("honor"));
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(server.received()).singleElement().satisfies(r -> {
            assertThat(r.mailFrom()).isEqualTo("<@x.test:s@src.test>");
            assertThat(r.rcptTo()).containsExactly("<@b.test:u@c.test>");
        });
        h.close();
        startEngine(SourceRouteMode.STRIP);
        // strip: the route is ignored, the domain decides (dst.test is routed to the server)
        Path routed2 = new Path(List.of("b.test"), new dev.relay.mail.Mailbox("u", "dst.test"));
        QueueId id2 = h.enqueue(from, List.of(routed2), TestMessages.small("strip"));
        await().atMost(WAIT).until(() -> gone(id2));
        assertThat(server.received()).hasSize(2);
        assertThat(server.received().get(1).mailFrom()).isEqualTo("<s@src.test>");
        assertThat(server.received().get(1).rcptTo()).containsExactly("<u@dst.test>");
    }

    @Test
    void severalRecipientsGoInOneTransactionWithDsnParametersWhenOffered() throws Exception {
        server.extensions = List.of("8BITMIME", "DSN");
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("a@dst.test"), path("b@dst.test"), path("c@dst.test")),
                TestMessages.small("three"));
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(server.commands().stream().filter(c -> c.startsWith("MAIL"))).hasSize(1);
        assertThat(server.received()).singleElement()
                .satisfies(r -> assertThat(r.rcptTo()).containsExactly("<a@dst.test>", "<b@dst.test>", "<c@dst.test>"));
        assertThat(h.reportsOf(RecipientReport.Kind.RELAYED)).hasSize(3).allMatch(RecipientReport::nextHopOfferedDsn);
    }

    @Test
    void dsnParametersArePassedOnOnlyWhenTheNextHopOffersDsn() throws Exception {
        MailParameters mail = new MailParameters(null, null, false, dev.relay.mail.Ret.HDRS, "env+2B1");
        dev.relay.mail.RcptParameters rcpt = new dev.relay.mail.RcptParameters(
                java.util.Set.of(dev.relay.mail.Notify.FAILURE, dev.relay.mail.Notify.DELAY), "rfc822;u@dst.test");
        server.extensions = List.of("8BITMIME", "DSN");
        QueueId a = h.enqueue(path("s@src.test"), mail, List.of(path("u@dst.test")), rcpt, TestMessages.small("dsn"));
        await().atMost(WAIT).until(() -> gone(a));
        // a new session (the idle one QUITs), which sees the new EHLO answer
        await().atMost(WAIT).until(() -> server.commands().contains("QUIT"));
        server.extensions = List.of("8BITMIME");
        QueueId b = h.enqueue(path("s@src.test"), mail, List.of(path("v@dst.test")), rcpt, TestMessages.small("nodsn"));
        await().atMost(WAIT).until(() -> gone(b));
        List<String> mails = server.commands().stream().filter(c -> c.startsWith("MAIL")).toList();
        List<String> rcpts = server.commands().stream().filter(c -> c.startsWith("RCPT")).toList();
        assertThat(mails).hasSize(2);
        assertThat(mails.get(0)).contains("RET=HDRS").contains("ENVID=env+2B1");
        assertThat(rcpts.get(0)).contains("NOTIFY=").contains("FAILURE").contains("DELAY").contains("ORCPT=rfc822;u@dst.test");
        assertThat(mails.get(1)).doesNotContain("RET=").doesNotContain("ENVID=");
        assertThat(rcpts.get(1)).isEqualTo("RCPT TO:<v@dst.test>");
        assertThat(h.reportsOf(RecipientReport.Kind.RELAYED)).extracting(RecipientReport::nextHopOfferedDsn)
                .containsExactly(true, false);
    }

    @Test
    void aConnectionTheNextHopDroppedWhileIdleIsReplacedNotDeferred() throws Exception {
        h.close();
        h = new EngineHarness(dir.resolve("queue-idle"), "dst.test [127.0.0.1]:" + server.port() + "\n",
                SourceRouteMode.RFC821, EngineHarness.fastSettings().withConnectionReuse(100, Duration.ofSeconds(10)),
                TransportSettings.allTimeouts(Duration.ofSeconds(2)), EngineHarness.retrySettings());
        h.engine.start();
        QueueId a = h.enqueue(path("s@src.test"), List.of(path("a@dst.test")), TestMessages.small("a"));
        await().atMost(WAIT).until(() -> gone(a));
        // The engine keeps the session for the next message; the next hop times it out meanwhile.
        server.dropConnections();
        Thread.sleep(1_300);
        QueueId b = h.enqueue(path("s@src.test"), List.of(path("b@dst.test")), TestMessages.small("b"));
        await().atMost(WAIT).until(() -> gone(b));
        assertThat(h.reportsOf(RecipientReport.Kind.DEFERRED)).isEmpty();
        assertThat(deliveredRecipients()).containsExactly("<a@dst.test>", "<b@dst.test>");
        // The RSET that found the session dead went nowhere; the next message took a new session.
        assertThat(server.connections()).isEqualTo(2);
    }
}
