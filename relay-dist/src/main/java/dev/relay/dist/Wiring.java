package dev.relay.dist;

import dev.relay.client.delivery.DeliverySettings;
import dev.relay.client.retry.RetrySettings;
import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.RouteTableException;
import dev.relay.client.routing.RoutingSettings;
import dev.relay.client.tls.OutboundTlsSettings;
import dev.relay.client.tls.TlsPolicy;
import dev.relay.client.transport.TransportSettings;
import dev.relay.dist.config.ConfigKeys;
import dev.relay.dist.config.RelayConfig;
import dev.relay.server.BareLineEnds;
import dev.relay.server.ServerSettings;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.List;
import java.util.Set;

/**
 * From the one configuration to the settings records of the modules. Each module validates its
 * own record again; the configuration's checks come first, so that a bad value is reported with
 * its file, line and key before a module sees it.
 */
final class Wiring {

    private Wiring() {
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
        Optional<java.nio.file.Path> f = c.routesFile();
        return f.isPresent() ? RouteTable.load(f.get()) : RouteTable.EMPTY;
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
