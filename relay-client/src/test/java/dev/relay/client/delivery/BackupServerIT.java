package dev.relay.client.delivery;

import static dev.relay.client.delivery.EngineHarness.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.relay.client.routing.NettyDns;
import dev.relay.client.testing.FaultySmtpServer;
import dev.relay.client.testing.TestDnsServer;
import dev.relay.client.testing.TestMessages;
import dev.relay.client.transport.TransportSettings;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientState;
import dev.relay.queue.admin.RecipientView;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two MX hosts for one domain (127.0.0.2, preference 10, and 127.0.0.3, preference 20, on one
 * port): a temporary reply from the primary sends the recipient on to the backup in the same
 * attempt, as Postfix's smtp client does (smtp_rcpt_fail keeps a soft-failed recipient for the
 * next server unless this one is the last); a permanent reply does not.
 */
class BackupServerIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    java.nio.file.Path dir;
    private FaultySmtpServer primary;
    private FaultySmtpServer backup;
    private TestDnsServer dnsServer;
    private NettyDns dns;
    private EngineHarness h;

    @BeforeEach
    void start() throws Exception {
        primary = new FaultySmtpServer(InetAddress.getByName("127.0.0.2"), 0);
        backup = new FaultySmtpServer(InetAddress.getByName("127.0.0.3"), primary.port());
        dnsServer = new TestDnsServer()
                .mx("dst.test", 10, "mx1.dst.test").mx("dst.test", 20, "mx2.dst.test")
                .a("mx1.dst.test", "127.0.0.2").a("mx2.dst.test", "127.0.0.3");
        dns = new NettyDns(dnsServer.address(), Duration.ofSeconds(2));
        h = new EngineHarness(dir.resolve("queue"), "dst.test dst.test:" + primary.port() + "\n",
                SourceRouteMode.RFC821, EngineHarness.fastSettings(), TransportSettings.allTimeouts(Duration.ofSeconds(2)),
                EngineHarness.retrySettings(), dns);
        h.engine.start();
    }

    @AfterEach
    void stop() throws Exception {
        h.close();
        dns.close();
        dnsServer.close();
        primary.close();
        backup.close();
    }

    private Map<String, RecipientState> states(QueueId id) {
        return h.show(id).map(d -> d.view().recipients().stream()
                        .collect(Collectors.toMap(r -> r.forwardPath().mailbox().localPart(), RecipientView::state)))
                .orElse(Map.of());
    }

    private static List<String> rcpts(FaultySmtpServer s) {
        return s.received().stream().flatMap(r -> r.rcptTo().stream()).toList();
    }

    @Test
    void aRecipientThePrimaryDefersGoesToTheBackupInTheSameAttempt() throws Exception {
        primary.rcptReply = a -> a.contains("grey@") ? "450 4.2.0 greylisted, try again later" : "250 2.1.5 ok";
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("grey@dst.test"), path("ok@dst.test")),
                TestMessages.small("m"));

        await().atMost(WAIT).until(() -> h.gone(id));
        assertThat(rcpts(primary)).containsExactly("<ok@dst.test>");
        assertThat(rcpts(backup)).containsExactly("<grey@dst.test>");
        assertThat(h.reportsOf(RecipientReport.Kind.DEFERRED)).isEmpty();
    }

    @Test
    void whenTheBackupDefersAsWellTheRecipientIsDeferredWithTheBackupsReply() throws Exception {
        primary.rcptReply = a -> "450 4.2.0 primary busy";
        backup.rcptReply = a -> "451 4.3.0 backup busy";
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("u@dst.test")), TestMessages.small("m"));

        await().atMost(WAIT).until(() -> states(id).get("u") == RecipientState.DEFERRED);
        assertThat(backup.commands()).anyMatch(c -> c.startsWith("RCPT TO:<u@dst.test>"));
        assertThat(h.reportsOf(RecipientReport.Kind.DEFERRED)).singleElement()
                .satisfies(r -> assertThat(r.reply().toString()).contains("backup busy"));
    }

    @Test
    void whenNoBackupAnswersThePrimarysReplyStands() throws Exception {
        backup.close();
        primary.rcptReply = a -> "450 4.2.0 primary busy";
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("u@dst.test")), TestMessages.small("m"));

        await().atMost(WAIT).until(() -> states(id).get("u") == RecipientState.DEFERRED);
        assertThat(h.reportsOf(RecipientReport.Kind.DEFERRED)).singleElement()
                .satisfies(r -> assertThat(r.reply().toString()).contains("primary busy"));
    }

    @Test
    void aPermanentReplyFromThePrimaryIsFinalAndTheBackupIsNotAsked() throws Exception {
        primary.rcptReply = a -> "550 5.1.1 no such user";
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("u@dst.test")), TestMessages.small("m"));

        await().atMost(WAIT).until(() -> h.gone(id));
        assertThat(h.reportsOf(RecipientReport.Kind.FAILED)).hasSize(1);
        assertThat(backup.connections()).isZero();
    }
}
