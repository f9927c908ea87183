package dev.relay.client.delivery;

import static dev.relay.client.delivery.EngineHarness.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.relay.client.testing.TestMessages;
import dev.relay.client.transport.TransportSettings;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.admin.Attempt;
import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientState;
import dev.relay.queue.admin.RecipientView;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mail for a next hop that refuses connections is recorded with the route's next hop, not
 * {@code none}: both the attempt that found it down and the one deferred later without a
 * connection (while it is marked down), so that relayctl can find and flush "the mail for that
 * site" (Postfix's {@code postqueue -s}).
 */
class DownNextHopRecordedIT {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    java.nio.file.Path dir;
    private EngineHarness h;
    private int port;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: connecting is refused
        }
        h = new EngineHarness(dir, "dead.test [127.0.0.1]:" + port + "\n", SourceRouteMode.RFC821,
                EngineHarness.fastSettings(), TransportSettings.allTimeouts(Duration.ofSeconds(2)),
                EngineHarness.retrySettings());
        h.engine.start();
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private RecipientView deferred(QueueId id) {
        await().atMost(WAIT).until(() -> h.show(id).map(d -> d.view().recipients().get(0).state())
                .orElse(null) == RecipientState.DEFERRED);
        return h.show(id).orElseThrow().view().recipients().get(0);
    }

    @Test
    void refusedAndSuspendedAttemptsRecordTheRoutesNextHop() throws Exception {
        String hop = "[127.0.0.1]:" + port;
        QueueId first = h.enqueue(path("s@src.test"), List.of(path("a@dead.test")), TestMessages.small("a"));
        RecipientView a = deferred(first);
        assertThat(a.lastReply().toString()).contains("Connection refused");
        assertThat(a.lastNextHop()).isEqualTo(hop);

        // Marked down now: the second message is deferred without a connection.
        QueueId second = h.enqueue(path("s@src.test"), List.of(path("b@dead.test")), TestMessages.small("b"));
        RecipientView b = deferred(second);
        assertThat(b.lastReply().text()).startsWith("delivery temporarily suspended");
        assertThat(b.lastNextHop()).isEqualTo(hop);

        MessageDetail d = h.show(second).orElseThrow();
        assertThat(d.history()).extracting(Attempt::nextHop).containsExactly(hop);
        assertThat(h.queue.admin().list(new QueueFilter(null, null, null, null, "127.0.0.1"), 0, 10))
                .extracting(m -> m.id()).containsExactly(first, second);
        assertThat(h.queue.admin().stats(List.of()).byNextHop()).containsEntry(hop, 2L).doesNotContainKey("none");
    }
}
