package dev.relay.dist.cli;

import dev.relay.client.routing.Dns;
import dev.relay.client.routing.NettyDns;
import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.RouteTableException;
import dev.relay.client.routing.Router;
import dev.relay.client.routing.RoutingSettings;
import dev.relay.client.routing.TargetResolver;
import dev.relay.dist.config.ConfigKeys;
import dev.relay.dist.config.RelayConfig;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What {@code relayctl routes} and {@code relayctl route} work on: the router (our names, local
 * domains, source-route mode, route table), the table itself and where it came from, and the
 * resolver for the DNS part of an explanation (null when there is none).
 *
 * @param router      the routing decisions, exactly as the forwarder makes them
 * @param table       the effective route table (after the last reload, in a running relay)
 * @param tableSource the file the table was read from, or empty when there is none
 * @param resolver    gives the DNS answer for a next hop, on demand; null: no DNS
 */
public record CliRouting(Router router, RouteTable table, Optional<String> tableSource, Supplier<TargetResolver> resolver) {

    /** How long one DNS query of {@code relayctl route} may take when relayctl asks DNS itself. */
    static final Duration DNS_TIMEOUT = Duration.ofSeconds(5);

    /**
     * The routing of {@code config} as relayctl builds it when the relay is stopped: the same
     * settings the relay starts with, the route table read from {@code routes_file}.
     *
     * @param dns where relayctl's DNS lookups go (the caller closes it), or null for none
     */
    public static CliRouting fromConfig(RelayConfig config, Supplier<Dns> dns) {
        RoutingSettings settings = new RoutingSettings(config.hostname(), new LinkedHashSet<>(config.hostAliases()),
                new LinkedHashSet<>(config.localDomains()), config.get(ConfigKeys.SOURCE_ROUTES));
        RouteTable table = RouteTable.EMPTY;
        if (config.routesFile().isPresent()) {
            try {
                table = RouteTable.load(config.routesFile().get());
            } catch (RouteTableException e) {
                throw new CliException(e.getMessage() + " (fix the route table; relay --check-config checks it)", e);
            }
        }
        Set<String> ourNames = settings.ourNames();
        Supplier<TargetResolver> resolver = dns == null ? null
                : () -> new TargetResolver(dns.get(), ourNames, new SecureRandom(), 10);
        return new CliRouting(new Router(settings, table), table, config.routesFile().map(Object::toString), resolver);
    }

    /** relayctl's own DNS client: the servers of /etc/resolv.conf. */
    static Dns systemDns() {
        return new NettyDns(null, DNS_TIMEOUT);
    }
}
