package dev.relay.dist;

import dev.relay.client.bounce.DsnBounceSink;
import dev.relay.client.bounce.DsnService;
import dev.relay.client.bounce.DsnSettings;
import dev.relay.client.delivery.DeliveryEngine;
import dev.relay.client.delivery.DeliverySettings;
import dev.relay.client.delivery.LocalDelivery;
import dev.relay.client.local.LocalDeliverySettings;
import dev.relay.client.local.LocalUsers;
import dev.relay.client.local.MaildirDelivery;
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
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.jdbc.H2MessageQueue;
import dev.relay.server.ServerSettings;
import dev.relay.server.SmtpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * One whole relay in the test JVM, wired as relay-dist wires it: the H2 queue, the Netty receiver
 * (asking {@link LocalUsers} at RCPT), the delivery engine with the route table, Maildir local
 * delivery and DSNs. Its host name is its only local domain; {@code routes} is its route table.
 */
final class RelayNode implements AutoCloseable {

    final String name;
    final Path maildirRoot;
    final H2MessageQueue queue;
    final SmtpServer server;
    final DeliveryEngine engine;
    final LocalUsers users;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    RelayNode(Path dir, String name, SourceRouteMode mode, String routes, RetrySettings retry, Clock clock)
            throws Exception {
        this.name = name;
        Path home = dir.resolve(name);
        maildirRoot = home.resolve("maildir");
        Files.createDirectories(maildirRoot);
        queue = H2MessageQueue.open(QueueSettings.defaults(home.resolve("queue")), clock);
        MaildirDelivery maildir = new MaildirDelivery(new LocalDeliverySettings(maildirRoot, false), name, clock);
        users = new LocalUsers(maildir, Duration.ofMillis(200)).start();

        Router router = new Router(new RoutingSettings(name, Set.of(), Set.of(name), mode), RouteTable.parse(routes, name + "/routes"));
        TargetResolver resolver = new TargetResolver(null, router.settings().ourNames(), new Random(1), 5);
        SmtpTransport transport = new SmtpTransport(TransportSettings.allTimeouts(Duration.ofSeconds(20)), name,
                new OutboundTls(OutboundTlsSettings.defaults()), null);
        DsnService dsn = new DsnService(DsnSettings.defaults(name), queue, clock, meters);
        engine = new DeliveryEngine(DeliverySettings.DEFAULTS.withPollInterval(Duration.ofMillis(100))
                .withConnectionReuse(100, Duration.ofMillis(200)),
                queue, router, resolver, transport, new RetryPolicy(retry, clock, new Random(7)),
                new DsnBounceSink(dsn), LocalDelivery.maildir(maildir), clock, meters);
        engine.start();

        server = new SmtpServer(ServerSettings.builder()
                .listen(List.of(new InetSocketAddress("127.0.0.1", 0)))
                .hostName(name)
                .localDomains(Set.of(name))
                .sourceRouteMode(mode)
                .spoolDirectory(home.resolve("spool"))
                .stopTimeout(Duration.ofSeconds(5))
                .ioThreads(1)
                .build(), queue, users::exists, meters, clock);
        server.start();
    }

    int port() {
        return server.address().getPort();
    }

    /** Makes the Maildir of {@code user} (so that RCPT accepts it) and lists the root again. */
    Path mailbox(String user) throws Exception {
        Path box = maildirRoot.resolve(name).resolve(user);
        Files.createDirectories(box);
        users.refresh();
        return box;
    }

    @Override
    public void close() {
        server.stop(Duration.ofSeconds(5));
        engine.stop(Duration.ofSeconds(5));
        users.close();
        queue.close();
    }
}
