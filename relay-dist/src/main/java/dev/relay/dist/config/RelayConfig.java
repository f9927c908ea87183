package dev.relay.dist.config;

import dev.relay.server.policy.Cidr;
import dev.relay.queue.QueueSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole configuration of a relay, validated and frozen. Built only by {@link ConfigLoader};
 * relay-dist turns it into the settings records of the modules ({@link #queueSettings()} and the
 * wiring in {@code dev.relay.dist}). Every key of {@link ConfigKeys} has a typed value here
 * ({@link #get(Key)}); paths are absolute.
 */
public final class RelayConfig {

    private final Optional<Path> file;
    private final Map<String, Object> values;
    private final Map<String, String> effective;
    private final ConfigLoader loader;

    RelayConfig(Optional<Path> file, Map<String, Object> values, Map<String, String> effective, ConfigLoader loader) {
        this.file = Objects.requireNonNull(file);
        this.loader = Objects.requireNonNull(loader);
        for (Key<?> k : ConfigKeys.ALL) {
            if (!values.containsKey(k.name())) {
                throw new IllegalArgumentException("no value for " + k.name());
            }
        }
        this.values = Map.copyOf(values);
        this.effective = Collections.unmodifiableMap(new LinkedHashMap<>(effective));
    }

    /** The typed value of {@code key}. */
    @SuppressWarnings("unchecked")
    public <T> T get(Key<T> key) {
        return (T) values.get(key.name());
    }

    /** The file it was read from; empty for the embedded defaults. */
    public Optional<Path> file() {
        return file;
    }

    /**
     * The file read again by the loader that read it (same working directory, installation and
     * host name, so unchanged keys come out the same), or this configuration when it had no file.
     */
    public RelayConfig reread() throws ConfigException {
        return file.isPresent() ? loader.load(file) : this;
    }

    /** Every key with its effective value as text (after defaults and $variables), for {@code relay --print-config}. */
    public Map<String, String> effective() {
        return effective;
    }

    /** The name printed in messages: the file, or "embedded defaults". */
    public String sourceName() {
        return file.map(Path::toString).orElse("embedded defaults");
    }

    public String hostname() {
        return get(ConfigKeys.HOSTNAME);
    }

    public List<String> hostAliases() {
        return get(ConfigKeys.HOST_ALIASES);
    }

    public Path dataDirectory() {
        return get(ConfigKeys.DATA_DIRECTORY);
    }

    public Path adminSocket() {
        return get(ConfigKeys.ADMIN_SOCKET);
    }

    public Optional<Path> routesFile() {
        return get(ConfigKeys.ROUTES_FILE);
    }

    public List<InetSocketAddress> listen() {
        return get(ConfigKeys.LISTEN);
    }

    public List<Cidr> trustedNetworks() {
        return get(ConfigKeys.TRUSTED_NETWORKS);
    }

    public List<String> localDomains() {
        return get(ConfigKeys.LOCAL_DOMAINS);
    }

    public List<String> relayDomains() {
        return get(ConfigKeys.RELAY_DOMAINS);
    }

    public Path maildirDirectory() {
        return get(ConfigKeys.MAILDIR_DIRECTORY);
    }

    public Optional<InetSocketAddress> metricsListen() {
        return get(ConfigKeys.METRICS_LISTEN);
    }

    public Duration shutdownTimeout() {
        return get(ConfigKeys.SHUTDOWN_TIMEOUT);
    }

    /**
     * The queue's settings: the one place that says where the queue of a configuration lives, so
     * that the relay and relayctl (when the relay is stopped) always open the same files.
     */
    public QueueSettings queueSettings() {
        return QueueSettings.defaults(get(ConfigKeys.QUEUE_DIRECTORY))
                .withDefaultLease(get(ConfigKeys.QUEUE_LEASE))
                .withRetention(get(ConfigKeys.QUEUE_RETENTION))
                .withMaxGroupSize(get(ConfigKeys.QUEUE_GROUP_COMMIT_MAX))
                .withMaxPendingEnqueues(get(ConfigKeys.QUEUE_MAX_PENDING));
    }
}
