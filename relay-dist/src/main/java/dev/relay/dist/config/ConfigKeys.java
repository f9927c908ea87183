package dev.relay.dist.config;

import dev.relay.server.policy.Cidr;
import dev.relay.mail.SourceRouteMode;
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
    static final String SECURITY = "TLS and AUTH";
    static final String QUEUE = "The queue";
    static final String FORWARD = "Delivery (the forwarder)";
    static final String DELIVER = "Local delivery";
    static final String OPS = "Operations";

    /** The host name: greeting, Received headers, source routes, bounces. */
    public static final Key<String> HOSTNAME = new Key<>("hostname", null, "(the machine's host name)", FILES,
            "The relay's fully qualified host name: used in the greeting, in Received: headers, as its own name in "
                    + "source routes and as the sender domain of bounces.", Values.hostname());

    public static final Key<List<String>> HOST_ALIASES = Key.of(FILES, "host_aliases", "", Values.domains(),
            "Other names this relay is known by; like hostname, they are removed from the front of a source route.");

    public static final Key<Path> DATA_DIRECTORY = new Key<>("data_directory", null,
            "data in the installation (RELAY_HOME/data)", FILES,
            "The data folder: the queue database, Maildirs (by default) and the relayctl socket. Created with mode 0700. "
                    + "The default does not depend on the directory the relay or relayctl is started in.", Values.path());

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

    public static final Key<Integer> DELIVERY_CONCURRENCY = Key.of(FORWARD, "delivery_concurrency", "100", Values.integer(1, 10_000),
            "Outbound SMTP sessions and local deliveries at once, all next hops together (Postfix default_process_limit).");

    public static final Key<Integer> DELIVERY_DESTINATION_CONCURRENCY = Key.of(FORWARD, "delivery_destination_concurrency", "10", Values.integer(1, 10_000),
            "Sessions at once to one next hop, unless its route sets concurrency= (Postfix default_destination_concurrency_limit).");

    public static final Key<Integer> DELIVERY_RECIPIENTS_PER_TRANSACTION = Key.of(FORWARD, "delivery_recipients_per_transaction", "50", Values.integer(1, 100_000),
            "Most RCPTs in one outbound transaction; more recipients for one next hop go in further transactions (Postfix smtp_destination_recipient_limit).");

    public static final Key<Integer> DELIVERY_CONNECTION_REUSE = Key.of(FORWARD, "delivery_connection_reuse", "100", Values.integer(1, 100_000),
            "Transactions sent over one connection before it is closed and a new one opened.");

    public static final Key<Duration> DELIVERY_CONNECTION_IDLE_TIME = Key.of(FORWARD, "delivery_connection_idle_time", "2s", Values.duration(Duration.ZERO, Duration.ofMinutes(10)),
            "How long an open connection waits for more mail to the same next hop before QUIT (Postfix smtp_connection_cache_time_limit).");

    public static final Key<Duration> RETRY_MIN_BACKOFF = Key.of(FORWARD, "retry_min_backoff", "300s", Values.duration(Duration.ofSeconds(1), Duration.ofDays(1)),
            "The shortest wait before a deferred recipient is tried again; the wait doubles with the age of the message (Postfix minimal_backoff_time).");

    public static final Key<Duration> RETRY_MAX_BACKOFF = Key.of(FORWARD, "retry_max_backoff", "4000s", Values.duration(Duration.ofSeconds(1), Duration.ofDays(7)),
            "The longest wait between two attempts (Postfix maximal_backoff_time).");

    public static final Key<Duration> MAX_QUEUE_LIFETIME = Key.of(FORWARD, "max_queue_lifetime", "5d", Values.duration(Duration.ofMinutes(1), Duration.ofDays(100)),
            "After this time in the queue a recipient still deferred is bounced with 4.4.7 (Postfix maximal_queue_lifetime; RFC 5321 4.5.4.1: at least 4-5 days).");

    public static final Key<Duration> BOUNCE_QUEUE_LIFETIME = Key.of(FORWARD, "bounce_queue_lifetime", "5d", Values.duration(Duration.ofMinutes(1), Duration.ofDays(100)),
            "The same for bounces (null sender), which are dropped instead (Postfix bounce_queue_lifetime).");

    public static final Key<Duration> HOST_DOWN_TIME = Key.of(FORWARD, "host_down_time", "60s", Values.duration(Duration.ZERO, Duration.ofDays(1)),
            "After a failed connection a next hop is not tried again for this long; its other mail is deferred without a connection.");

    public static final Key<Duration> DELAY_WARNING_TIME = Key.of(FORWARD, "delay_warning_time", "4h", Values.duration(Duration.ofMinutes(1), Duration.ofDays(100)),
            "After this time in the queue the sender of a still deferred recipient gets one delay notice, if its NOTIFY asks for it (Postfix delay_warning_time).");

    public static final Key<Duration> SMTP_CONNECT_TIMEOUT = Key.of(FORWARD, "smtp_connect_timeout", "30s", Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "TCP connection to a next hop (Postfix smtp_connect_timeout).");

    public static final Key<Duration> SMTP_HELO_TIMEOUT = Key.of(FORWARD, "smtp_helo_timeout", "5m", Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "The 220 greeting and the reply to EHLO/HELO (RFC 5321 4.5.3.2.1: 5 minutes).");

    public static final Key<Duration> SMTP_MAIL_TIMEOUT = Key.of(FORWARD, "smtp_mail_timeout", "5m", Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "The reply to MAIL (RFC 5321 4.5.3.2.2: 5 minutes).");

    public static final Key<Duration> SMTP_RCPT_TIMEOUT = Key.of(FORWARD, "smtp_rcpt_timeout", "5m", Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "Each reply to RCPT (RFC 5321 4.5.3.2.3: 5 minutes).");

    public static final Key<Duration> SMTP_DATA_INIT_TIMEOUT = Key.of(FORWARD, "smtp_data_init_timeout", "2m", Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "The 354 reply to DATA (RFC 5321 4.5.3.2.4: 2 minutes).");

    public static final Key<Duration> SMTP_DATA_XFER_TIMEOUT = Key.of(FORWARD, "smtp_data_xfer_timeout", "3m", Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "Each block of message content written (RFC 5321 4.5.3.2.5: 3 minutes).");

    public static final Key<Duration> SMTP_DATA_DONE_TIMEOUT = Key.of(FORWARD, "smtp_data_done_timeout", "10m", Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "The reply to the final dot (RFC 5321 4.5.3.2.6: 10 minutes).");

    public static final Key<Duration> SMTP_RSET_TIMEOUT = Key.of(FORWARD, "smtp_rset_timeout", "20s", Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "The reply to RSET (after a failed transaction, or to check a connection idle over 1 s before reuse), and to QUIT (Postfix smtp_rset_timeout).");

    public static final Key<Optional<InetSocketAddress>> DNS_SERVER = Key.of(FORWARD, "dns_server", "none", Values.noneOr(Values::socketAddress),
            "The DNS server asked for MX and A/AAAA records, as address:port, or none for those of /etc/resolv.conf.");

    public static final Key<Duration> DNS_TIMEOUT = Key.of(FORWARD, "dns_timeout", "10s", Values.duration(Duration.ofMillis(100), Duration.ofMinutes(5)),
            "How long one DNS query may take; a timeout defers the mail (4.4.3).");

    public static final Key<Integer> SMTP_MX_ADDRESS_LIMIT = Key.of(FORWARD, "smtp_mx_address_limit", "5", Values.integer(1, 100),
            "How many MX hosts are tried in one delivery attempt (Postfix smtp_mx_address_limit).");

    public static final Key<Path> MAILDIR_DIRECTORY = Key.of(DELIVER, "maildir_directory", "$data_directory/maildir", Values.path(),
            "The root of the Maildirs of local_domains: one Maildir per mailbox, DIR/domain/user/{tmp,new,cur}. "
                    + "A user exists when its Maildir does; postmaster always exists.");

    public static final Key<Boolean> LOCAL_ACCEPT_UNKNOWN_USERS = Key.of(DELIVER, "local_accept_unknown_users", "no", Values.bool(),
            "yes: accept mail for any user of local_domains and make the Maildir on first delivery; no: refuse users without a "
                    + "Maildir with 550 5.1.1 at RCPT (Postfix's local_recipient_maps).");

    public static final Key<Duration> LOCAL_USERS_REFRESH = Key.of(DELIVER, "local_users_refresh", "30s",
            Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "How often the list of Maildirs (the local users the receiver accepts) is read again.");

    public static final Key<SourceRouteMode> SOURCE_ROUTES = Key.of(RECEIVE, "source_routes", "rfc821", Values.oneOf(SourceRouteMode.class),
            "What a source-routed address such as <@a.example,@b.example:u@c.example> means: rfc821 (honour "
                    + "the route, add our name to the front of the reverse-path of mail that came with one, as "
                    + "RFC 821 says; plain mail keeps its reverse-path), honor (honour it, leave the reverse-path "
                    + "alone), strip (drop the route, deliver by the mailbox's domain, RFC 5321 3.6.1) or reject "
                    + "(refuse it with 550 5.7.1). From a client that may not relay, every host of a route must be "
                    + "ours to accept.");

    public static final Key<Long> MAX_MESSAGE_SIZE = Key.of(RECEIVE, "max_message_size", "50M",
            Values.size(64L << 10, 2L << 30),
            "The largest message accepted, announced in EHLO SIZE (RFC 1870); larger ones get 552 5.3.4 (Postfix message_size_limit).");

    public static final Key<Integer> MAX_RECIPIENTS = Key.of(RECEIVE, "max_recipients", "1000", Values.integer(100, 100_000),
            "RCPT commands accepted per message; more get 452 4.5.3 and the client sends them in another transaction (RFC 5321 4.5.3.1.8: at least 100).");

    public static final Key<Integer> MAX_CONNECTIONS = Key.of(RECEIVE, "max_connections", "1000", Values.integer(1, 1_000_000),
            "Simultaneous SMTP connections in total; more are answered 421 4.7.0 and closed.");

    public static final Key<Integer> MAX_CONNECTIONS_PER_CLIENT = Key.of(RECEIVE, "max_connections_per_client", "50",
            Values.integer(1, 1_000_000),
            "Simultaneous connections from one client address (trusted_networks are exempt); more get 421 4.7.0 (Postfix smtpd_client_connection_count_limit).");

    public static final Key<Duration> IDLE_TIMEOUT = Key.of(RECEIVE, "idle_timeout", "5m",
            Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "A client that sends nothing for this long gets 421 4.4.2 and is disconnected (RFC 5321 4.5.3.2.7 asks for at least 5 minutes).");

    public static final Key<Integer> MAX_ERRORS = Key.of(RECEIVE, "max_errors", "10", Values.integer(1, 1000),
            "Error replies allowed per connection; the next error is answered 421 4.7.0 and the connection closed (Postfix smtpd_hard_error_limit).");

    public static final Key<Integer> MAX_RECEIVED_HEADERS = Key.of(RECEIVE, "max_received_headers", "100", Values.integer(1, 1000),
            "A message with more Received: headers than this is a mail loop and is refused with 554 5.4.6 (RFC 5321 6.3).");

    public static final Key<BareLineEnd> BARE_LINE_ENDS = Key.of(RECEIVE, "bare_line_ends", "normalize", Values.oneOf(BareLineEnd.class),
            "A bare CR or LF in message content: normalize (store it as CRLF, Postfix 3.9's default) or reject (550 5.5.2). "
                    + "Either way only CRLF.CRLF ends the data, so SMTP smuggling is impossible.");

    public static final Key<Integer> MAX_COMMAND_LINE_LENGTH = Key.of(RECEIVE, "max_command_line_length", "512", Values.integer(512, 65536),
            "The longest command line in octets, CRLF included (RFC 5321 4.5.3.1.4); MAIL and RCPT may be longer by what their ESMTP parameters need.");

    public static final Key<Integer> MAX_TEXT_LINE_LENGTH = Key.of(RECEIVE, "max_text_line_length", "1000", Values.integer(1000, 1 << 20),
            "The longest line of message content in octets, CRLF included (RFC 5321 4.5.3.1.6); a longer one gets 500 5.5.2 / 552.");

    public static final Key<Path> SPOOL_DIRECTORY = Key.of(RECEIVE, "spool_directory", "$data_directory/spool", Values.path(),
            "Where a message larger than spool_threshold is written while it arrives, before it enters the queue.");

    public static final Key<Long> SPOOL_THRESHOLD = Key.of(RECEIVE, "spool_threshold", "64k", Values.size(1024, 16L << 20),
            "Message content kept in memory per message before it is spooled to spool_directory.");

    public static final Key<Integer> IO_THREADS = Key.of(RECEIVE, "io_threads", "0", Values.integer(0, 256),
            "Threads serving SMTP connections and the listeners (Netty event loops, never blocked); 0 means one per two CPU cores, at least one.");

    public static final Key<Boolean> NATIVE_TRANSPORT = Key.of(RECEIVE, "native_transport", "yes", Values.bool(),
            "Serve SMTP connections with Netty's native epoll transport where it loads (Linux x86_64); no, or elsewhere: Java NIO.");

    public static final Key<Boolean> TLS_ENABLED = Key.of(SECURITY, "tls_enabled", "yes", Values.bool(),
            "Offer STARTTLS (RFC 3207; TLS 1.2 and 1.3 only). Without tls_certificate a self-signed certificate is made at "
                    + "first start in $data_directory/tls (and a warning logged at every start).");

    public static final Key<Optional<Path>> TLS_CERTIFICATE = Key.of(SECURITY, "tls_certificate", "none", Values.noneOr(Values.path()),
            "The PEM certificate chain, leaf first, or none for the self-signed one. Set it together with tls_key.");

    public static final Key<Optional<Path>> TLS_KEY = Key.of(SECURITY, "tls_key", "none", Values.noneOr(Values.path()),
            "The PEM private key (PKCS#8 or PKCS#1) of tls_certificate, readable only by the relay's user.");

    public static final Key<Boolean> TLS_REQUIRED = Key.of(SECURITY, "tls_required", "no", Values.bool(),
            "Answer 530 5.7.0 to MAIL outside TLS. Only for private submission listeners: RFC 3207 forbids a publicly "
                    + "referenced MX to require TLS.");

    public static final Key<Duration> TLS_HANDSHAKE_TIMEOUT = Key.of(SECURITY, "tls_handshake_timeout", "30s",
            Values.duration(Duration.ofSeconds(1), Duration.ofMinutes(10)),
            "How long a TLS handshake may take.");

    public static final Key<Optional<List<InetSocketAddress>>> TLS_IMPLICIT_LISTEN = Key.of(SECURITY, "tls_implicit_listen", "none",
            Values.noneOr(Values.socketAddresses()),
            "Extra listen addresses with TLS from the first byte (RFC 8314), e.g. 0.0.0.0:465, or none.");

    public static final Key<Boolean> AUTH_ENABLED = Key.of(SECURITY, "auth_enabled", "yes", Values.bool(),
            "Offer AUTH PLAIN and LOGIN (RFC 4954), inside TLS only, against auth_users_file. An authenticated client may relay anywhere.");

    public static final Key<Path> AUTH_USERS_FILE = Key.of(SECURITY, "auth_users_file", "$data_directory/users", Values.path(),
            "The users and their salted PBKDF2 password hashes (mode 0600), managed with relayctl user add|remove|list; "
                    + "re-read when it changes. Missing: nobody can log in.");

    public static final Key<Duration> AUTH_FAILURE_DELAY = Key.of(SECURITY, "auth_failure_delay", "2s",
            Values.duration(Duration.ZERO, Duration.ofMinutes(1)),
            "How long a failed AUTH waits before its 535 5.7.8 reply.");

    public static final Key<Integer> AUTH_MAX_FAILURES = Key.of(SECURITY, "auth_max_failures", "3", Values.integer(1, 100),
            "Failed AUTH attempts per connection; the last one is answered 421 4.7.0 and the connection closed.");

    public static final Key<OutboundTls> CLIENT_TLS = Key.of(SECURITY, "client_tls", "opportunistic", Values.oneOf(OutboundTls.class),
            "TLS towards next hops unless a route says otherwise (tls=): none, opportunistic (STARTTLS when offered, not verified, "
                    + "like Postfix's may), required (STARTTLS with the certificate chain and host name verified) or implicit "
                    + "(TLS from the first byte, port 465, verified).");

    public static final Key<Optional<Path>> CLIENT_TLS_CA_FILE = Key.of(SECURITY, "client_tls_ca_file", "none", Values.noneOr(Values.path()),
            "PEM CA certificates that verified outbound sessions trust, or none for the JDK's trust store.");

    public static final Key<Optional<Path>> CLIENT_CREDENTIALS_FILE = Key.of(SECURITY, "client_credentials_file", "none",
            Values.noneOr(Values.path()),
            "Smarthost credentials, one line 'NAME user:password' per route option auth=NAME, or none. Must be mode 0600 "
                    + "(refused otherwise); the passwords never appear in logs or relayctl output.");

    public static final Key<Path> QUEUE_DIRECTORY = Key.of(QUEUE, "queue_directory", "$data_directory/queue", Values.path(),
            "The folder of the queue: its journal (spool/) and its H2 database (queue.mv.db). relayctl finds it here when the relay is stopped.");

    public static final Key<Duration> QUEUE_LEASE = Key.of(QUEUE, "queue_lease", "30m",
            Values.duration(Duration.ofSeconds(10), Duration.ofDays(1)),
            "How long a recipient taken for a delivery attempt stays reserved (longer than the longest SMTP transaction); after a crash it becomes due again when the relay restarts.");

    public static final Key<Duration> QUEUE_RETENTION = Key.of(QUEUE, "queue_retention", "0s",
            Values.duration(Duration.ZERO, Duration.ofDays(90)),
            "How long a message whose recipients are all delivered or bounced stays visible to relayctl; 0s removes it at once, like Postfix.");

    public static final Key<Integer> QUEUE_GROUP_COMMIT_MAX = Key.of(QUEUE, "queue_group_commit_max", "512", Values.integer(1, 100_000),
            "At most this many received messages share one commit and one disk sync (group commit) before their 250 replies.");

    public static final Key<Integer> QUEUE_MAX_PENDING = Key.of(QUEUE, "queue_max_pending", "10000", Values.integer(1, 1_000_000),
            "Messages waiting to be written beyond this are refused with 451 4.3.0 at once instead of piling up in memory.");

    public static final Key<Optional<InetSocketAddress>> METRICS_LISTEN = Key.of(OPS, "metrics_listen", "127.0.0.1:9025",
            Values.noneOr(Values::socketAddress),
            "Where /metrics (Prometheus) and /health are served over HTTP, or none; loopback addresses only, unless "
                    + "metrics_allow_remote = yes.");

    public static final Key<Boolean> METRICS_ALLOW_REMOTE = Key.of(OPS, "metrics_allow_remote", "no", Values.bool(),
            "yes: metrics_listen may be an address other hosts reach (0.0.0.0:9025 in a container, for a Prometheus "
                    + "outside it); the endpoint has no authentication, so firewall it. no: loopback only.");

    public static final Key<Boolean> CONSOLE_ENABLED = Key.of(OPS, "console_enabled", "yes", Values.bool(),
            "yes: the queue console (pages, charts and actions in a browser) is served at / of metrics_listen. On an "
                    + "address other than loopback it is refused unless console_users_file is set.");

    public static final Key<Optional<Path>> CONSOLE_USERS_FILE = Key.of(OPS, "console_users_file", "none",
            Values.noneOr(Values.path()),
            "The users who may open the console (HTTP Basic), in the format of auth_users_file (relayctl user "
                    + "--users-file FILE add NAME; it may be that same file), or none: no login, loopback only.");

    public static final Key<Duration> SHUTDOWN_TIMEOUT = Key.of(OPS, "shutdown_timeout", "30s",
            Values.duration(Duration.ofSeconds(1), Duration.ofHours(1)),
            "How long a stop (SIGTERM) waits for transactions and deliveries in flight before it closes the queue.");

    /** Values of client_tls (dev.relay.client.tls.TlsPolicy). */
    public enum OutboundTls { NONE, OPPORTUNISTIC, REQUIRED, IMPLICIT }

    /** Values of bare_line_ends. */
    public enum BareLineEnd { NORMALIZE, REJECT }

    /** Every key, in documentation order. */
    public static final List<Key<?>> ALL = List.of(HOSTNAME, HOST_ALIASES, DATA_DIRECTORY, ADMIN_SOCKET, ROUTES_FILE,
            LISTEN, TRUSTED_NETWORKS, LOCAL_DOMAINS, RELAY_DOMAINS, SOURCE_ROUTES, MAX_MESSAGE_SIZE, MAX_RECIPIENTS,
            MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CLIENT, IDLE_TIMEOUT, MAX_ERRORS, MAX_RECEIVED_HEADERS, BARE_LINE_ENDS,
            MAX_COMMAND_LINE_LENGTH, MAX_TEXT_LINE_LENGTH, SPOOL_DIRECTORY, SPOOL_THRESHOLD, IO_THREADS, NATIVE_TRANSPORT,
            TLS_ENABLED, TLS_CERTIFICATE, TLS_KEY, TLS_REQUIRED, TLS_HANDSHAKE_TIMEOUT, TLS_IMPLICIT_LISTEN,
            AUTH_ENABLED, AUTH_USERS_FILE, AUTH_FAILURE_DELAY, AUTH_MAX_FAILURES, CLIENT_TLS, CLIENT_TLS_CA_FILE, CLIENT_CREDENTIALS_FILE,
            QUEUE_DIRECTORY, QUEUE_LEASE, QUEUE_RETENTION, QUEUE_GROUP_COMMIT_MAX, QUEUE_MAX_PENDING,
            DELIVERY_CONCURRENCY, DELIVERY_DESTINATION_CONCURRENCY, DELIVERY_RECIPIENTS_PER_TRANSACTION, DELIVERY_CONNECTION_REUSE, DELIVERY_CONNECTION_IDLE_TIME, RETRY_MIN_BACKOFF,
            RETRY_MAX_BACKOFF, MAX_QUEUE_LIFETIME, BOUNCE_QUEUE_LIFETIME, HOST_DOWN_TIME, DELAY_WARNING_TIME, SMTP_CONNECT_TIMEOUT, SMTP_HELO_TIMEOUT,
            SMTP_MAIL_TIMEOUT, SMTP_RCPT_TIMEOUT, SMTP_DATA_INIT_TIMEOUT, SMTP_DATA_XFER_TIMEOUT, SMTP_DATA_DONE_TIMEOUT, SMTP_RSET_TIMEOUT, DNS_SERVER, DNS_TIMEOUT, SMTP_MX_ADDRESS_LIMIT,
            MAILDIR_DIRECTORY, LOCAL_ACCEPT_UNKNOWN_USERS, LOCAL_USERS_REFRESH, METRICS_LISTEN, METRICS_ALLOW_REMOTE,
            CONSOLE_ENABLED, CONSOLE_USERS_FILE, SHUTDOWN_TIMEOUT);

    /**
     * Names an administrator of Postfix (main.cf) or Exim may write, and old or dotted spellings,
     * with the key that does that here: an unknown key that is one of these gets this key as its
     * "did you mean", however far the names are apart.
     */
    public static final Map<String, String> SYNONYMS = Map.ofEntries(
            Map.entry("myhostname", "hostname"), Map.entry("primary_hostname", "hostname"),
            Map.entry("aliases", "host_aliases"), Map.entry("mydestination", "local_domains"),
            Map.entry("mynetworks", "trusted_networks"), Map.entry("relay_from_hosts", "trusted_networks"),
            Map.entry("inet_interfaces", "listen"), Map.entry("local_interfaces", "listen"),
            Map.entry("daemon_smtp_ports", "listen"), Map.entry("transport_maps", "routes_file"),
            Map.entry("relayhost", "routes_file"), Map.entry("message_size_limit", "max_message_size"),
            Map.entry("smtpd_recipient_limit", "max_recipients"), Map.entry("recipients_max", "max_recipients"),
            Map.entry("smtp_accept_max", "max_connections"),
            Map.entry("smtpd_client_connection_count_limit", "max_connections_per_client"),
            Map.entry("smtp_accept_max_per_host", "max_connections_per_client"),
            Map.entry("smtpd_hard_error_limit", "max_errors"), Map.entry("smtpd_timeout", "idle_timeout"),
            Map.entry("hopcount_limit", "max_received_headers"), Map.entry("received_headers_max", "max_received_headers"),
            Map.entry("smtpd_tls_cert_file", "tls_certificate"), Map.entry("smtpd_tls_key_file", "tls_key"),
            Map.entry("tls_privatekey", "tls_key"), Map.entry("smtpd_tls_security_level", "tls_enabled"),
            Map.entry("smtpd_use_tls", "tls_enabled"), Map.entry("smtpd_sasl_auth_enable", "auth_enabled"),
            Map.entry("smtp_tls_security_level", "client_tls"), Map.entry("smtp_tls_cafile", "client_tls_ca_file"),
            Map.entry("smtp_sasl_password_maps", "client_credentials_file"),
            Map.entry("default_process_limit", "delivery_concurrency"),
            Map.entry("default_destination_concurrency_limit", "delivery_destination_concurrency"),
            Map.entry("smtp_destination_recipient_limit", "delivery_recipients_per_transaction"),
            Map.entry("smtp_connection_cache_time_limit", "delivery_connection_idle_time"),
            Map.entry("minimal_backoff_time", "retry_min_backoff"), Map.entry("maximal_backoff_time", "retry_max_backoff"),
            Map.entry("maximal_queue_lifetime", "max_queue_lifetime"), Map.entry("retry_max_lifetime", "max_queue_lifetime"),
            Map.entry("timeout_frozen_after", "max_queue_lifetime"), Map.entry("queue_lifetime", "max_queue_lifetime"),
            Map.entry("retry_bounce_lifetime", "bounce_queue_lifetime"),
            Map.entry("ignore_bounce_errors_after", "bounce_queue_lifetime"),
            Map.entry("retry_host_down_time", "host_down_time"), Map.entry("delay_warning", "delay_warning_time"),
            Map.entry("local_recipient_maps", "local_accept_unknown_users"), Map.entry("home_mailbox", "maildir_directory"),
            Map.entry("queue_max_pending_enqueues", "queue_max_pending"),
            Map.entry("queue_group_commit_max_messages", "queue_group_commit_max"));

    /** The keys by name. */
    public static final Map<String, Key<?>> BY_NAME = ALL.stream()
            .collect(Collectors.toUnmodifiableMap(Key::name, Function.identity()));
}
