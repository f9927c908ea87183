package dev.relay.dist;

import dev.relay.dist.config.Cidr;
import dev.relay.dist.config.ConfigKeys;
import dev.relay.dist.config.RelayConfig;
import dev.relay.server.BareLineEnds;
import dev.relay.server.ServerSettings;
import java.util.LinkedHashSet;
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
                .trustedNetworkStrings(c.trustedNetworks().stream().map(Cidr::toString).toList())
                .localDomains(set(c.localDomains()))
                .relayDomains(set(c.relayDomains()))
                .sourceRouteMode(c.get(ConfigKeys.SOURCE_ROUTES))
                .bareLineEnds(BareLineEnds.valueOf(c.get(ConfigKeys.BARE_LINE_ENDS).name()))
                .maxReceivedHeaders(c.get(ConfigKeys.MAX_RECEIVED_HEADERS))
                .spoolDirectory(c.get(ConfigKeys.SPOOL_DIRECTORY))
                .memoryThreshold((int) (long) c.get(ConfigKeys.SPOOL_THRESHOLD))
                .stopTimeout(c.shutdownTimeout())
                .ioThreads(c.get(ConfigKeys.IO_THREADS))
                .build();
    }

    static Set<String> set(List<String> domains) {
        return Set.copyOf(new LinkedHashSet<>(domains));
    }
}
