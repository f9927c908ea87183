package dev.relay.dist;

import dev.relay.client.bounce.DsnSettings;
import dev.relay.client.delivery.DeliverySettings;
import dev.relay.client.local.LocalDeliverySettings;
import dev.relay.client.retry.RetrySettings;
import dev.relay.client.routing.NettyDns;
import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.RouteTableException;
import dev.relay.client.routing.RoutingSettings;
import dev.relay.client.tls.OutboundTlsSettings;
import dev.relay.client.tls.TlsPolicy;
import dev.relay.client.transport.TransportSettings;
import dev.relay.dist.config.ConfigKeys;
import dev.relay.dist.config.RelayConfig;
import dev.relay.queue.QueueSettings;
import dev.relay.server.BareLineEnds;
import dev.relay.server.ServerSettings;
import dev.relay.server.auth.AuthSettings;
import dev.relay.server.tls.TlsSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * From the one configuration to the settings records of the modules: the only class that reads
 * {@link ConfigKeys} for a part of the running relay, so that {@link Relay} only starts and stops
 * parts. Each module validates its own record again; the configuration's checks
 * ({@link dev.relay.dist.config.ConfigLoader} for keys and keys against each other,
 * {@link StartChecks} for the files they name) come first, so that a bad value is reported with
 * its file, line and key before a module sees it, and the same way by {@code relay --check-config}.
 */
final class Wiring {

    /** The keys {@link Relay#reload} applies to the running relay; every other key waits for the next start. */
    static final Set<String> RELOADED_KEYS = Set.of(ConfigKeys.RELAY_DOMAINS.name(), ConfigKeys.ROUTES_FILE.name());

    private Wiring() {
    }

    /** Where the queue lives and how it commits; the same for the relay and for relayctl on a stopped relay. */
    static QueueSettings queueSettings(RelayConfig c) {
        return c.queueSettings();
    }

    /** Local delivery into the Maildirs. */
    static LocalDeliverySettings localDelivery(RelayConfig c) {
        return new LocalDeliverySettings(c.maildirDirectory(), c.get(ConfigKeys.LOCAL_ACCEPT_UNKNOWN_USERS));
    }

    /** How often the list of local users is read again from the Maildirs. */
    static Duration localUsersRefresh(RelayConfig c) {
        return c.get(ConfigKeys.LOCAL_USERS_REFRESH);
    }

    /** The receiver's TLS, or empty with tls_enabled = no (a self-signed certificate in the data folder without a named one). */
    static Optional<TlsSettings> serverTls(RelayConfig c) {
        if (!c.get(ConfigKeys.TLS_ENABLED)) {
            return Optional.empty();
        }
        return Optional.of(new TlsSettings(true, c.get(ConfigKeys.TLS_CERTIFICATE).orElse(null),
                c.get(ConfigKeys.TLS_KEY).orElse(null), c.dataDirectory().resolve("tls"), c.hostname(),
                c.get(ConfigKeys.TLS_REQUIRED), c.get(ConfigKeys.TLS_HANDSHAKE_TIMEOUT)));
    }

    /** The addresses that speak TLS from the first byte (RFC 8314); the checker allows them only with TLS enabled. */
    static Optional<List<InetSocketAddress>> implicitTlsListen(RelayConfig c) {
        return c.get(ConfigKeys.TLS_IMPLICIT_LISTEN);
    }

    /** SMTP AUTH, or empty when it is off or cannot be offered (it needs TLS; {@link StartChecks#warnings} says so). */
    static Optional<AuthSettings> auth(RelayConfig c) {
        if (!c.get(ConfigKeys.AUTH_ENABLED) || !c.get(ConfigKeys.TLS_ENABLED)) {
            return Optional.empty();
        }
        return Optional.of(AuthSettings.defaults(c.get(ConfigKeys.AUTH_USERS_FILE))
                .withFailureDelay(c.get(ConfigKeys.AUTH_FAILURE_DELAY))
                .withMaxFailures(c.get(ConfigKeys.AUTH_MAX_FAILURES)));
    }

    /** The receiver's settings. */
    static ServerSettings serverSettings(RelayConfig c) {
        return ServerSettings.builder()
                .listen(c.listen())
                .hostName(c.hostname())
                .hostAliases(c.hostAliases())
                .maxCommandLineLength(c.get(ConfigKeys.MAX_COMMAND_LINE_LENGTH))
                .maxTextLineLength(c.get(ConfigKeys.MAX_TEXT_LINE_LENGTH))
                .maxRecipients(c.get(ConfigKeys.MAX_RECIPIENTS))
                .maxMessageSize(c.get(ConfigKeys.MAX_MESSAGE_SIZE))
                .maxConnections(c.get(ConfigKeys.MAX_CONNECTIONS))
                .maxConnectionsPerClient(c.get(ConfigKeys.MAX_CONNECTIONS_PER_CLIENT))
                .idleTimeout(c.get(ConfigKeys.IDLE_TIMEOUT))
                .maxErrors(c.get(ConfigKeys.MAX_ERRORS))
                .trustedNetworks(c.trustedNetworks())
                .localDomains(set(c.localDomains()))
                .relayDomains(set(c.relayDomains()))
                .sourceRouteMode(c.get(ConfigKeys.SOURCE_ROUTES))
                .bareLineEnds(BareLineEnds.valueOf(c.get(ConfigKeys.BARE_LINE_ENDS).name()))
                .maxReceivedHeaders(c.get(ConfigKeys.MAX_RECEIVED_HEADERS))
                .spoolDirectory(c.get(ConfigKeys.SPOOL_DIRECTORY))
                .memoryThreshold((int) (long) c.get(ConfigKeys.SPOOL_THRESHOLD))
                .stopTimeout(c.shutdownTimeout())
                .ioThreads(c.get(ConfigKeys.IO_THREADS))
                .nativeTransport(c.get(ConfigKeys.NATIVE_TRANSPORT))
                .build();
    }

    /** The forwarder's SMTP timeouts (RFC 5321 section 4.5.3.2). */
    static TransportSettings transportSettings(RelayConfig c) {
        Duration helo = c.get(ConfigKeys.SMTP_HELO_TIMEOUT);
        return new TransportSettings(c.get(ConfigKeys.SMTP_CONNECT_TIMEOUT), helo, helo,
                c.get(ConfigKeys.SMTP_MAIL_TIMEOUT), c.get(ConfigKeys.SMTP_RCPT_TIMEOUT),
                c.get(ConfigKeys.SMTP_DATA_INIT_TIMEOUT), c.get(ConfigKeys.SMTP_DATA_XFER_TIMEOUT),
                c.get(ConfigKeys.SMTP_DATA_DONE_TIMEOUT), c.get(ConfigKeys.SMTP_RSET_TIMEOUT),
                TransportSettings.DEFAULTS.maxReplyBytes());
    }

    /** The retry schedule. */
    static RetrySettings retrySettings(RelayConfig c) {
        return new RetrySettings(c.get(ConfigKeys.RETRY_MIN_BACKOFF), c.get(ConfigKeys.RETRY_MAX_BACKOFF),
                RetrySettings.DEFAULTS.jitter(), c.get(ConfigKeys.MAX_QUEUE_LIFETIME), c.get(ConfigKeys.BOUNCE_QUEUE_LIFETIME),
                c.get(ConfigKeys.HOST_DOWN_TIME));
    }

    /** The delivery engine's limits; its lease is queue_lease. */
    static DeliverySettings deliverySettings(RelayConfig c) {
        DeliverySettings d = DeliverySettings.DEFAULTS;
        return new DeliverySettings(c.get(ConfigKeys.DELIVERY_CONCURRENCY), c.get(ConfigKeys.DELIVERY_DESTINATION_CONCURRENCY),
                c.get(ConfigKeys.DELIVERY_RECIPIENTS_PER_TRANSACTION), c.get(ConfigKeys.DELIVERY_CONNECTION_REUSE),
                c.get(ConfigKeys.DELIVERY_CONNECTION_IDLE_TIME), d.claimBatch(), d.maxPendingRecipients(),
                c.get(ConfigKeys.QUEUE_LEASE), d.pollInterval());
    }

    /** Who we are for routing: our names, our local domains, the source-route mode. */
    static RoutingSettings routingSettings(RelayConfig c) {
        return new RoutingSettings(c.hostname(), set(c.hostAliases()), set(c.localDomains()), c.get(ConfigKeys.SOURCE_ROUTES));
    }

    /** The route table of routes_file (empty without one); errors name the file and line. */
    static RouteTable routeTable(RelayConfig c) throws RouteTableException {
        Optional<Path> f = c.routesFile();
        return f.isPresent() ? RouteTable.load(f.get()) : RouteTable.EMPTY;
    }

    /** The DNS resolver of dns_server (the system's when none) with dns_timeout; not started. */
    static NettyDns dns(RelayConfig c) {
        return new NettyDns(c.get(ConfigKeys.DNS_SERVER).orElse(null), c.get(ConfigKeys.DNS_TIMEOUT));
    }

    /** How many addresses of one MX host are tried. */
    static int mxAddressLimit(RelayConfig c) {
        return c.get(ConfigKeys.SMTP_MX_ADDRESS_LIMIT);
    }

    /** Bounces and delay warnings (RFC 3464). */
    static DsnSettings dsnSettings(RelayConfig c) {
        DsnSettings d = DsnSettings.defaults(c.hostname());
        return new DsnSettings(c.hostname(), c.get(ConfigKeys.DELAY_WARNING_TIME), d.delayWarningWithoutNotify(), d.returnSizeLimit());
    }

    /** The outbound TLS policy and trust. */
    static OutboundTlsSettings outboundTls(RelayConfig c) {
        return new OutboundTlsSettings(TlsPolicy.parse(c.get(ConfigKeys.CLIENT_TLS).name()),
                c.get(ConfigKeys.CLIENT_TLS_CA_FILE).orElse(null), c.get(ConfigKeys.CLIENT_CREDENTIALS_FILE).orElse(null));
    }

    static Set<String> set(List<String> domains) {
        return Set.copyOf(new LinkedHashSet<>(domains));
    }
}
