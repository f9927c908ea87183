package dev.relay.dist.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every key of {@code relay.conf}, in documentation order. The README and the sample
 * {@code conf/relay.conf} document each one with its default; a test checks that they do.
 */
public final class ConfigKeys {

    private ConfigKeys() {
    }

    static final String FILES = "Identity and files";
    static final String RECEIVE = "Receiving (the SMTP listener)";
    static final String QUEUE = "The queue";
    static final String DELIVER = "Local delivery";
    static final String OPS = "Operations";

    /** The host name: greeting, Received headers, source routes, bounces. */
    public static final Key<String> HOSTNAME = new Key<>("hostname", null, "(the machine's host name)", FILES,
            "The relay's fully qualified host name: used in the greeting, in Received: headers, as its own name in "
                    + "source routes and as the sender domain of bounces.", Values.hostname());

    public static final Key<List<String>> HOST_ALIASES = Key.of(FILES, "host_aliases", "", Values.domains(),
            "Other names this relay is known by; like hostname, they are removed from the front of a source route.");

    public static final Key<Path> DATA_DIRECTORY = Key.of(FILES, "data_directory", "./data", Values.path(),
            "The data folder: the queue database, Maildirs (by default) and the relayctl socket. Created with mode 0700.");

    public static final Key<Path> ADMIN_SOCKET = Key.of(FILES, "admin_socket", "$data_directory/relayctl.sock", Values.path(),
            "The Unix domain socket on which the running relay serves relayctl (mode 0600, never a network port).");

    public static final Key<Optional<Path>> ROUTES_FILE = new Key<>("routes_file", null,
            "routes (next to relay.conf; none without a configuration file)", FILES,
            "The route table file, or none. Reloaded on SIGHUP and by relayctl reload.", Values.noneOr(Values.path()));

    public static final Key<List<InetSocketAddress>> LISTEN = Key.of(RECEIVE, "listen", "127.0.0.1:2525", Values.socketAddresses(),
            "The addresses the SMTP receiver listens on: address:port, [IPv6]:port, separated by commas; 0.0.0.0:25 for every IPv4 address.");

    public static final Key<List<Cidr>> TRUSTED_NETWORKS = Key.of(RECEIVE, "trusted_networks", "127.0.0.0/8, ::1/128", Values.networks(),
            "Clients in these networks may relay to any domain; everybody else only to local_domains and relay_domains.");

    public static final Key<List<String>> LOCAL_DOMAINS = Key.of(RECEIVE, "local_domains", "$hostname", Values.domains(),
            "Domains this relay is the final destination for: their mail goes to Maildirs under maildir_directory.");

    public static final Key<List<String>> RELAY_DOMAINS = Key.of(RECEIVE, "relay_domains", "", Values.domains(),
            "Domains accepted from any client and forwarded (by the route table, else DNS); .example.org stands for its subdomains. Reloaded on SIGHUP.");

    public static final Key<Path> MAILDIR_DIRECTORY = Key.of(DELIVER, "maildir_directory", "$data_directory/maildir", Values.path(),
            "The root of the Maildirs of local_domains: one Maildir per mailbox, DIR/domain/user/{tmp,new,cur}.");

    public static final Key<Path> QUEUE_DIRECTORY = Key.of(QUEUE, "queue_directory", "$data_directory/queue", Values.path(),
            "The folder of the queue database (queue.mv.db, H2). relayctl finds it here when the relay is stopped.");

    public static final Key<Duration> QUEUE_LEASE = Key.of(QUEUE, "queue_lease", "10m",
            Values.duration(Duration.ofSeconds(10), Duration.ofDays(1)),
            "How long a recipient taken for a delivery attempt stays reserved; after a crash it becomes due again when the relay restarts.");

    public static final Key<Duration> QUEUE_RETENTION = Key.of(QUEUE, "queue_retention", "0s",
            Values.duration(Duration.ZERO, Duration.ofDays(90)),
            "How long a message whose recipients are all delivered or bounced stays visible to relayctl; 0s removes it at once, like Postfix.");

    public static final Key<Integer> QUEUE_GROUP_COMMIT_MAX = Key.of(QUEUE, "queue_group_commit_max", "512", Values.integer(1, 100_000),
            "At most this many received messages share one commit and one disk sync (group commit) before their 250 replies.");

    public static final Key<Integer> QUEUE_MAX_PENDING = Key.of(QUEUE, "queue_max_pending", "10000", Values.integer(1, 1_000_000),
            "Messages waiting to be written beyond this are refused with 451 4.3.0 at once instead of piling up in memory.");

    public static final Key<Optional<InetSocketAddress>> METRICS_LISTEN = Key.of(OPS, "metrics_listen", "127.0.0.1:9025",
            Values.noneOr(loopback()),
            "Where /metrics (Prometheus) and /health are served over HTTP, or none; loopback addresses only.");

    public static final Key<Duration> SHUTDOWN_TIMEOUT = Key.of(OPS, "shutdown_timeout", "30s",
            Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "How long a stop (SIGTERM) waits for transactions and deliveries in flight before it closes the queue.");

    /** Every key, in documentation order. */
    public static final List<Key<?>> ALL = List.of(HOSTNAME, HOST_ALIASES, DATA_DIRECTORY, ADMIN_SOCKET, ROUTES_FILE,
            LISTEN, TRUSTED_NETWORKS, LOCAL_DOMAINS, RELAY_DOMAINS,
            QUEUE_DIRECTORY, QUEUE_LEASE, QUEUE_RETENTION, QUEUE_GROUP_COMMIT_MAX, QUEUE_MAX_PENDING,
            MAILDIR_DIRECTORY, METRICS_LISTEN, SHUTDOWN_TIMEOUT);

    /** The keys by name. */
    public static final Map<String, Key<?>> BY_NAME = ALL.stream()
            .collect(Collectors.toUnmodifiableMap(Key::name, Function.identity()));

    private static ValueType<InetSocketAddress> loopback() {
        return t -> {
            InetSocketAddress a = Values.socketAddress(t);
            if (!a.getAddress().isLoopbackAddress()) {
                throw new BadValueException(t + " is not a loopback address",
                        "the metrics endpoint is for this machine only: use 127.0.0.1:PORT or [::1]:PORT and scrape through a local agent or tunnel");
            }
            return a;
        };
    }
}
