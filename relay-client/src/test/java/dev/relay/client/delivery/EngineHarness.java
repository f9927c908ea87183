package dev.relay.client.delivery;

import dev.relay.client.retry.RetryPolicy;
import dev.relay.client.retry.RetrySettings;
import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.Router;
import dev.relay.client.routing.RoutingSettings;
import dev.relay.client.routing.TargetResolver;
import dev.relay.client.tls.OutboundTls;
import dev.relay.client.tls.OutboundTlsSettings;
import dev.relay.client.transport.SmtpTransport;
import dev.relay.client.transport.TransportSettings;
import dev.relay.mail.MailParameters;
import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import dev.relay.mail.RcptParameters;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.MessageQueue;
import dev.relay.queue.Origin;
import dev.relay.queue.QueueId;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.Recipient;
import dev.relay.queue.jdbc.H2MessageQueue;
import dev.relay.queue.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A queue on disk, a router whose route table points at loopback ports, and the engine over them. */
final class EngineHarness implements AutoCloseable {

    /** What the engine told the bounce sink, in order. */
    final List<RecipientReport> reports = new CopyOnWriteArrayList<>();
    final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final MessageQueue queue;
    final DeliveryEngine engine;
    final Router router;

    EngineHarness(java.nio.file.Path dir, String routes, SourceRouteMode mode, DeliverySettings settings,
                  TransportSettings transportSettings, RetrySettings retrySettings) throws Exception {
        this(dir, routes, mode, settings, transportSettings, retrySettings, null);
    }

    /** The same with {@code dns} for MX and address lookups (null: route table literals only). */
    EngineHarness(java.nio.file.Path dir, String routes, SourceRouteMode mode, DeliverySettings settings,
                  TransportSettings transportSettings, RetrySettings retrySettings,
                  dev.relay.client.routing.Dns dns) throws Exception {
        queue = H2MessageQueue.open(QueueSettings.defaults(dir), clock);
        router = new Router(new RoutingSettings("relay.test", Set.of("alias.relay.test"), Set.of(), mode),
                RouteTable.parse(routes, "routes"));
        TargetResolver resolver = new TargetResolver(dns, router.settings().ourNames(), new Random(1), 5);
        SmtpTransport transport = new SmtpTransport(transportSettings, "relay.test",
                new OutboundTls(OutboundTlsSettings.defaults()), null);
        RetryPolicy retry = new RetryPolicy(retrySettings, clock, new Random(7));
        BounceSink sink = (ClaimedMessage m, List<RecipientReport> r) -> {
            reports.addAll(r);
            return Set.of();
        };
        engine = new DeliveryEngine(settings, queue, router, resolver, transport, retry, sink, null, clock, meters);
    }

    static DeliverySettings fastSettings() {
        return DeliverySettings.DEFAULTS.withPollInterval(Duration.ofMillis(50))
                .withConnectionReuse(100, Duration.ofMillis(300));
    }

    static RetrySettings retrySettings() {
        return new RetrySettings(Duration.ofMinutes(5), Duration.ofMinutes(60), 0.1, Duration.ofDays(5),
                Duration.ofDays(5), Duration.ofSeconds(60));
    }

    static Path path(String address) {
        int at = address.lastIndexOf('@');
        return Path.of(new Mailbox(address.substring(0, at), address.substring(at + 1)));
    }

    QueueId enqueue(Path from, List<Path> to, byte[] content) throws Exception {
        return enqueue(from, MailParameters.NONE, to, content);
    }

    QueueId enqueue(Path from, MailParameters params, List<Path> to, byte[] content) throws Exception {
        return enqueue(from, params, to, RcptParameters.NONE, content);
    }

    QueueId enqueue(Path from, MailParameters params, List<Path> to, RcptParameters rcptParams, byte[] content)
            throws Exception {
        List<Recipient> rcpts = new ArrayList<>();
        for (Path p : to) {
            rcpts.add(new Recipient(p, rcptParams));
        }
        Envelope env = new Envelope(from, params, rcpts,
                new Origin("127.0.0.1", "client.test", null, clock.instant(), "ESMTP"));
        QueueId id = QueueId.generate();
        queue.enqueue(id, env, MessageBody.of(content)).get(30, TimeUnit.SECONDS);
        engine.wakeUp();
        return id;
    }

    /** Steps the clock past any backoff and host-down time and wakes the engine. */
    void stepPastRetry() {
        clock.advance(Duration.ofHours(2));
        engine.wakeUp();
    }

    /**
     * relayctl show, retried: the queue's admin reads message and recipients in two steps, so a
     * message removed in between fails the read (reported to the queue developer).
     */
    java.util.Optional<dev.relay.queue.admin.MessageDetail> show(QueueId id) {
        for (int i = 0; ; i++) {
            try {
                return queue.admin().show(id);
            } catch (IllegalArgumentException e) {
                if (i > 5) {
                    throw e;
                }
            }
        }
    }

    /** All recipients final: the message has left the queue. */
    boolean gone(QueueId id) {
        return show(id).isEmpty();
    }

    List<RecipientReport> reportsOf(RecipientReport.Kind kind) {
        return reports.stream().filter(r -> r.kind() == kind).toList();
    }

    double counter(String status) {
        return meters.get("relay.delivery.recipients").tag("status", status).counter().count();
    }

    @Override
    public void close() {
        engine.stop(Duration.ofSeconds(10));
        queue.close();
    }
}
