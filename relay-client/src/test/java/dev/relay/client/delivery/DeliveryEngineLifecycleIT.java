package dev.relay.client.delivery;

import static dev.relay.client.delivery.EngineHarness.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.Router;
import dev.relay.client.testing.FaultySmtpServer;
import dev.relay.client.testing.TestMessages;
import dev.relay.client.transport.TransportSettings;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Concurrency limits, router swap and a bounded stop. */
class DeliveryEngineLifecycleIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    java.nio.file.Path dir;
    private final List<AutoCloseable> closeMe = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closeMe.size() - 1; i >= 0; i--) {
            closeMe.get(i).close();
        }
    }

    private FaultySmtpServer server() throws Exception {
        FaultySmtpServer s = new FaultySmtpServer();
        closeMe.add(s);
        return s;
    }

    private EngineHarness harness(String routes, DeliverySettings settings, Duration timeouts) throws Exception {
        EngineHarness h = new EngineHarness(dir.resolve("q" + closeMe.size()), routes, SourceRouteMode.RFC821, settings,
                TransportSettings.allTimeouts(timeouts), EngineHarness.retrySettings());
        closeMe.add(h);
        return h;
    }

    @Test
    void perDestinationConcurrencyIsALimitAndIsUsed() throws Exception {
        FaultySmtpServer server = server();
        server.dataDelayMillis = 150;
        EngineHarness h = harness("dst.test [127.0.0.1]:" + server.port() + "\n",
                EngineHarness.fastSettings().withConcurrency(100, 3), Duration.ofSeconds(10));
        List<QueueId> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ids.add(h.enqueue(path("s@src.test"), List.of(path("u" + i + "@dst.test")), TestMessages.small("c" + i)));
        }
        h.engine.start();
        await().atMost(WAIT).until(() -> ids.stream().allMatch(h::gone));
        assertThat(server.received()).hasSize(12);
        assertThat(server.peakConcurrency()).isEqualTo(3);
    }

    @Test
    void routeConcurrencyOptionOverridesTheDefault() throws Exception {
        FaultySmtpServer server = server();
        server.dataDelayMillis = 100;
        EngineHarness h = harness("dst.test [127.0.0.1]:" + server.port() + " concurrency=1\n",
                EngineHarness.fastSettings().withConcurrency(100, 5), Duration.ofSeconds(10));
        List<QueueId> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(h.enqueue(path("s@src.test"), List.of(path("u" + i + "@dst.test")), TestMessages.small("c" + i)));
        }
        h.engine.start();
        await().atMost(WAIT).until(() -> ids.stream().allMatch(h::gone));
        assertThat(server.peakConcurrency()).isEqualTo(1);
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void routerSwapAppliesToLaterClaims() throws Exception {
        FaultySmtpServer first = server();
        FaultySmtpServer second = server();
        EngineHarness h = harness("dst.test [127.0.0.1]:" + first.port() + "\n", EngineHarness.fastSettings(),
                Duration.ofSeconds(10));
        h.engine.start();
        QueueId a = h.enqueue(path("s@src.test"), List.of(path("a@dst.test")), TestMessages.small("a"));
        await().atMost(WAIT).until(() -> h.gone(a));
        h.engine.router(new Router(h.router.settings(), RouteTable.parse("dst.test [127.0.0.1]:" + second.port(), "routes")));
        QueueId b = h.enqueue(path("s@src.test"), List.of(path("b@dst.test")), TestMessages.small("b"));
        await().atMost(WAIT).until(() -> h.gone(b));
        assertThat(first.received()).hasSize(1);
        assertThat(second.received()).hasSize(1);
    }

    @Test
    void stopIsBoundedAndLosesNothing() throws Exception {
        FaultySmtpServer server = server();
        server.silent = true;
        // Timeouts far longer than the stop bound: the session must be cut, not waited for.
        EngineHarness h = harness("dst.test [127.0.0.1]:" + server.port() + "\n", EngineHarness.fastSettings(),
                Duration.ofMinutes(5));
        h.engine.start();
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("u@dst.test")), TestMessages.small("stop"));
        await().atMost(WAIT).until(() -> h.engine.activeSessionCount() == 1 && server.connections() == 1);
        long t0 = System.nanoTime();
        h.engine.stop(Duration.ofSeconds(1));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("stop bound 1 s + 5 s for cut sessions, timeouts 5 min").isLessThan(10_000);
        assertThat(h.engine.activeSessionCount()).isZero();
        // Still in the queue, claimable again (not leased, not final).
        assertThat(h.show(id)).hasValueSatisfying(d -> assertThat(d.view().recipients()).singleElement()
                .satisfies(r -> assertThat(r.state()).isIn(RecipientState.QUEUED, RecipientState.DEFERRED)));
        h.clock.advance(Duration.ofHours(2));
        assertThat(h.queue.claim("another", 10, Duration.ofMinutes(1))).isNotEmpty();
    }
}
