package dev.relay.client.delivery;

import static dev.relay.client.delivery.EngineHarness.path;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.client.testing.FaultySmtpServer;
import dev.relay.client.testing.TestMessages;
import dev.relay.client.transport.TransportSettings;
import dev.relay.mail.MailParameters;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.Origin;
import dev.relay.queue.QueueId;
import dev.relay.queue.Recipient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarder alone: N queued 1 KiB messages drained to a loopback sink; prints messages/s.
 * Run with {@code ./mvnw -B verify -Pbench -pl relay-client -am -Dtest=ForwarderThroughputBench}
 * ({@code -Dbench.messages=3000 -Dbench.concurrency=20}). Bounded: at most 5 minutes.
 */
@Tag("bench")
class ForwarderThroughputBench {

    private static final Logger LOG = LoggerFactory.getLogger(ForwarderThroughputBench.class);

    @TempDir
    java.nio.file.Path dir;

    @Test
    void drainRate() throws Exception {
        int n = Integer.getInteger("bench.messages", 3000);
        int conc = Integer.getInteger("bench.concurrency", 20);
        byte[] msg = TestMessages.large(1024, 1);
        try (FaultySmtpServer sink = new FaultySmtpServer();
             EngineHarness h = new EngineHarness(dir, "* [127.0.0.1]:" + sink.port() + "\n", SourceRouteMode.RFC821,
                     DeliverySettings.DEFAULTS.withConcurrency(100, conc), TransportSettings.DEFAULTS,
                     EngineHarness.retrySettings())) {
            List<CompletableFuture<Void>> stored = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Envelope env = new Envelope(path("s@src.test"), MailParameters.NONE,
                        List.of(new Recipient(path("u" + i + "@dst.test"), dev.relay.mail.RcptParameters.NONE)),
                        new Origin("127.0.0.1", "client.test", null, h.clock.instant(), "ESMTP"));
                stored.add(h.queue.enqueue(QueueId.generate(), env, MessageBody.of(msg)));
            }
            CompletableFuture.allOf(stored.toArray(new CompletableFuture[0])).get(2, TimeUnit.MINUTES);
            long c0 = System.nanoTime();
            List<dev.relay.queue.ClaimedMessage> probe = h.queue.claim("probe", 500, Duration.ofMinutes(1));
            long c1 = System.nanoTime();
            for (dev.relay.queue.ClaimedMessage m : probe) {
                h.queue.release(m.id(), m.recipients().stream().map(dev.relay.queue.ClaimedRecipient::id).toList());
            }
            long c2 = System.nanoTime();
            LOG.warn("BENCH probe: claim of {} recipients {} ms, release one by one {} ms", probe.size(),
                    (c1 - c0) / 1_000_000, (c2 - c1) / 1_000_000);
            long t0 = System.nanoTime();
            h.engine.start();
            long deadline = t0 + TimeUnit.MINUTES.toNanos(5);
            while (sink.received().size() < n && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            int got = sink.received().size();
            LOG.warn("BENCH forwarder: {} messages in {} s = {} msg/s, per-destination concurrency {}, {} connections",
                    got, String.format("%.2f", secs), String.format("%.0f", got / secs), conc, sink.connections());
            assertThat(got).isEqualTo(n);
        }
    }
}
