package dev.relay.dist.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole configuration of a relay, validated and frozen. Built only by {@link ConfigLoader};
 * relay-dist turns it into the settings records of the modules. Paths are absolute.
 *
 * @param file      the file it was read from; empty for the embedded defaults
 * @param effective every key with its effective value as text (after defaults and $variables), for {@code relay --print-config}
 */
public record RelayConfig(
        Optional<Path> file,
        String hostname,
        List<String> hostAliases,
        Path dataDirectory,
        Path adminSocket,
        Optional<Path> routesFile,
        List<InetSocketAddress> listen,
        List<Cidr> trustedNetworks,
        List<String> localDomains,
        List<String> relayDomains,
        Path maildirDirectory,
        Optional<InetSocketAddress> metricsListen,
        Duration shutdownTimeout,
        Map<String, String> effective) {

    public RelayConfig {
        hostAliases = List.copyOf(hostAliases);
        listen = List.copyOf(listen);
        trustedNetworks = List.copyOf(trustedNetworks);
        localDomains = List.copyOf(localDomains);
        relayDomains = List.copyOf(relayDomains);
        effective = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(effective));
    }

    /** The name printed in messages: the file, or "embedded defaults". */
    public String sourceName() {
        return file.map(Path::toString).orElse("embedded defaults");
    }
}
