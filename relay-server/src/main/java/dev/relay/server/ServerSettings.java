package dev.relay.server;

import dev.relay.mail.SourceRouteMode;
import dev.relay.server.policy.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The receiver's settings: immutable, validated once when built, each with a named default.
 * relay-dist builds one from the configuration file with {@link #builder()}; a value out of range
 * fails fast with a message that names the setting and the allowed range.
 *
 * @param listen                   addresses to listen on (IPv4 and IPv6); {@link #DEFAULT_LISTEN}
 * @param hostName                 our host name: greeting, EHLO, {@code Received: by}; {@link #defaultHostName()}
 * @param hostAliases              other names of this host, recognised at the front of a source route; none by default
 * @param maxCommandLineLength     longest command line in octets including CRLF (RFC 5321 4.5.3.1.4);
 *                                 MAIL may be 126 and RCPT 500 octets longer for SIZE/DSN parameters (RFC 1870, RFC 3461)
 * @param maxTextLineLength        longest text line of a message in octets including CRLF, not counting a stuffed dot (RFC 5321 4.5.3.1.6)
 * @param maxRecipients            RCPT commands accepted per transaction, then 452 4.5.3 (RFC 5321 4.5.3.1.8: at least 100)
 * @param maxMessageSize           largest message in octets (RFC 1870 SIZE), then 552 5.3.4
 * @param maxConnections           simultaneous connections in total, then 421 4.7.0 at connect
 * @param maxConnectionsPerClient  simultaneous connections per client address (trusted networks are exempt), then 421 4.7.0
 * @param idleTimeout              time without input before 421 4.4.2 and close (RFC 5321 4.5.3.2.7: at least 5 minutes)
 * @param commandTimeout           time allowed to receive one whole line (command or DATA text line) once its first
 *                                 byte arrived, then 421 4.4.2 and close: ends "one byte a second" clients that the
 *                                 idle timeout never catches (Postfix smtpd_per_record_deadline); default 5 minutes
 * @param maxErrors                error replies allowed per session; the next error is answered 421 4.7.0 and the connection closed
 * @param trustedNetworks          clients allowed to relay anywhere (and to address literals)
 * @param localDomains             domains this relay is the final destination for (lower case)
 * @param relayDomains             domains accepted from anyone and relayed on (lower case; ".example.org" also matches subdomains)
 * @param sourceRouteMode          what the relay does with a source route; the receiver only refuses routes in REJECT mode
 * @param bareLineEnds             what a bare CR or LF in message content does
 * @param maxReceivedHeaders       more Received headers than this in a message is a loop: 554 5.4.6 (RFC 5321 6.3)
 * @param spoolDirectory           where message content larger than {@code memoryThreshold} is spooled while it arrives
 * @param memoryThreshold          content kept on the heap per message before it spills to the spool directory
 * @param stopTimeout              the bound of a graceful stop: time for transactions in DATA and pending enqueues to finish
 * @param ioThreads                Netty event loop threads (connections and listeners); 0 means one per two cores, at least one
 * @param spoolThreads             threads writing spool files (never the event loops)
 * @param nativeTransport          Netty's native epoll transport on Linux when it loads (else, and when false, Java NIO)
 */
public record ServerSettings(
        List<InetSocketAddress> listen,
        String hostName,
        List<String> hostAliases,
        int maxCommandLineLength,
        int maxTextLineLength,
        int maxRecipients,
        long maxMessageSize,
        int maxConnections,
        int maxConnectionsPerClient,
        Duration idleTimeout,
        Duration commandTimeout,
        int maxErrors,
        List<Cidr> trustedNetworks,
        Set<String> localDomains,
        Set<String> relayDomains,
        SourceRouteMode sourceRouteMode,
        BareLineEnds bareLineEnds,
        int maxReceivedHeaders,
        java.nio.file.Path spoolDirectory,
        int memoryThreshold,
        Duration stopTimeout,
        int ioThreads,
        int spoolThreads,
        boolean nativeTransport) {

    /** Listen on every IPv4 address, port 25. Add {@code [::]:25} for IPv6 (on Linux it also takes IPv4). */
    public static final List<InetSocketAddress> DEFAULT_LISTEN = List.of(new InetSocketAddress("0.0.0.0", 25));
    /** RFC 5321 section 4.5.3.1.4. */
    public static final int DEFAULT_MAX_COMMAND_LINE_LENGTH = 512;
    /** RFC 5321 section 4.5.3.1.6. */
    public static final int DEFAULT_MAX_TEXT_LINE_LENGTH = 1000;
    /** Ten times RFC 5321 section 4.5.3.1.8's minimum of 100. */
    public static final int DEFAULT_MAX_RECIPIENTS = 1000;
    /** The least a server may accept (RFC 5321 section 4.5.3.1.8). */
    public static final int MIN_MAX_RECIPIENTS = 100;
    /** 50 MiB, Exim's default. */
    public static final long DEFAULT_MAX_MESSAGE_SIZE = 50L * 1024 * 1024;
    /** RFC 5321 section 4.5.3.1.7: at least 64K octets. */
    public static final long MIN_MAX_MESSAGE_SIZE = 64L * 1024;
    public static final int DEFAULT_MAX_CONNECTIONS = 1000;
    /** Postfix's smtpd_client_connection_count_limit. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 50;
    /** RFC 5321 section 4.5.3.2.7. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** The same bound as the idle timeout, applied to one line instead of to silence. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMinutes(5);
    public static final int DEFAULT_MAX_ERRORS = 10;
    /** Loopback only. */
    public static final List<Cidr> DEFAULT_TRUSTED_NETWORKS = List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
    public static final SourceRouteMode DEFAULT_SOURCE_ROUTE_MODE = SourceRouteMode.RFC821;
    public static final BareLineEnds DEFAULT_BARE_LINE_ENDS = BareLineEnds.NORMALIZE;
    /** RFC 5321 section 6.3: "normally at least 100". */
    public static final int DEFAULT_MAX_RECEIVED_HEADERS = 100;
    public static final java.nio.file.Path DEFAULT_SPOOL_DIRECTORY =
            java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "relay-spool");
    public static final int DEFAULT_MEMORY_THRESHOLD = 64 * 1024;
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_IO_THREADS = 0;
    public static final int DEFAULT_SPOOL_THREADS = 2;

    public ServerSettings {
        listen = List.copyOf(Objects.requireNonNull(listen, "listen"));
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("server listen: at least one address is needed, e.g. 0.0.0.0:25");
        }
        Objects.requireNonNull(hostName, "hostName");
        if (hostName.isBlank() || !hostName.matches("[A-Za-z0-9.\\-\\[\\]:_]+")) {
            throw new IllegalArgumentException("server hostName \"" + hostName + "\" is not a host name; set a fully-qualified domain name");
        }
        hostAliases = hostAliases.stream().map(ServerSettings::lower).toList();
        atLeast("maxCommandLineLength", maxCommandLineLength, DEFAULT_MAX_COMMAND_LINE_LENGTH);
        atLeast("maxTextLineLength", maxTextLineLength, DEFAULT_MAX_TEXT_LINE_LENGTH);
        atLeast("maxRecipients", maxRecipients, MIN_MAX_RECIPIENTS);
        if (maxMessageSize < MIN_MAX_MESSAGE_SIZE) {
            throw new IllegalArgumentException("server maxMessageSize " + maxMessageSize + " is below RFC 5321's minimum of " + MIN_MAX_MESSAGE_SIZE + " octets");
        }
        atLeast("maxConnections", maxConnections, 1);
        atLeast("maxConnectionsPerClient", maxConnectionsPerClient, 1);
        positive("idleTimeout", idleTimeout);
        positive("commandTimeout", commandTimeout);
        atLeast("maxErrors", maxErrors, 1);
        trustedNetworks = List.copyOf(trustedNetworks);
        localDomains = domains(localDomains);
        relayDomains = domains(relayDomains);
        Objects.requireNonNull(sourceRouteMode, "sourceRouteMode");
        Objects.requireNonNull(bareLineEnds, "bareLineEnds");
        atLeast("maxReceivedHeaders", maxReceivedHeaders, 1);
        Objects.requireNonNull(spoolDirectory, "spoolDirectory");
        if (memoryThreshold < 1024 || memoryThreshold > 16 * 1024 * 1024) {
            throw new IllegalArgumentException("server memoryThreshold " + memoryThreshold + " must be between 1024 and 16777216 octets");
        }
        positive("stopTimeout", stopTimeout);
        atLeast("ioThreads", ioThreads, 0);
        atLeast("spoolThreads", spoolThreads, 1);
    }

    /** A builder holding every default. */
    public static Builder builder() {
        return new Builder();
    }

    /** The settings with every default. */
    public static ServerSettings defaults() {
        return builder().build();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.listen = listen;
        b.hostName = hostName;
        b.hostAliases = hostAliases;
        b.maxCommandLineLength = maxCommandLineLength;
        b.maxTextLineLength = maxTextLineLength;
        b.maxRecipients = maxRecipients;
        b.maxMessageSize = maxMessageSize;
        b.maxConnections = maxConnections;
        b.maxConnectionsPerClient = maxConnectionsPerClient;
        b.idleTimeout = idleTimeout;
        b.commandTimeout = commandTimeout;
        b.maxErrors = maxErrors;
        b.trustedNetworks = trustedNetworks;
        b.localDomains = localDomains;
        b.relayDomains = relayDomains;
        b.sourceRouteMode = sourceRouteMode;
        b.bareLineEnds = bareLineEnds;
        b.maxReceivedHeaders = maxReceivedHeaders;
        b.spoolDirectory = spoolDirectory;
        b.memoryThreshold = memoryThreshold;
        b.stopTimeout = stopTimeout;
        b.ioThreads = ioThreads;
        b.spoolThreads = spoolThreads;
        b.nativeTransport = nativeTransport;
        return b;
    }

    /** The host name plus aliases, lower case: the names a source route may start with to mean "this host". */
    public Set<String> ourNames() {
        Set<String> s = new LinkedHashSet<>();
        s.add(lower(hostName));
        s.addAll(hostAliases);
        return Set.copyOf(s);
    }

    /** The local name of this host, or "localhost" when the system cannot tell. */
    public static String defaultHostName() {
        try {
            String n = InetAddress.getLocalHost().getHostName();
            return n.matches("[A-Za-z0-9.\\-]+") ? n : "localhost";
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    private static String lower(String s) {
        String l = s.strip().toLowerCase(Locale.ROOT);
        return l.endsWith(".") ? l.substring(0, l.length() - 1) : l;
    }

    private static Set<String> domains(Set<String> in) {
        Set<String> out = new LinkedHashSet<>();
        for (String d : in) {
            String l = lower(d);
            if (l.isEmpty() || l.contains(" ")) {
                throw new IllegalArgumentException("not a domain: \"" + d + "\"");
            }
            out.add(l);
        }
        return Set.copyOf(out);
    }

    private static void atLeast(String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException("server " + name + " is " + value + "; it must be at least " + min);
        }
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("server " + name + " must be a positive duration, got " + d);
        }
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private List<InetSocketAddress> listen = DEFAULT_LISTEN;
        private String hostName;
        private List<String> hostAliases = List.of();
        private int maxCommandLineLength = DEFAULT_MAX_COMMAND_LINE_LENGTH;
        private int maxTextLineLength = DEFAULT_MAX_TEXT_LINE_LENGTH;
        private int maxRecipients = DEFAULT_MAX_RECIPIENTS;
        private long maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConnectionsPerClient = DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
        private int maxErrors = DEFAULT_MAX_ERRORS;
        private List<Cidr> trustedNetworks = DEFAULT_TRUSTED_NETWORKS;
        private Set<String> localDomains = Set.of();
        private Set<String> relayDomains = Set.of();
        private SourceRouteMode sourceRouteMode = DEFAULT_SOURCE_ROUTE_MODE;
        private BareLineEnds bareLineEnds = DEFAULT_BARE_LINE_ENDS;
        private int maxReceivedHeaders = DEFAULT_MAX_RECEIVED_HEADERS;
        private java.nio.file.Path spoolDirectory = DEFAULT_SPOOL_DIRECTORY;
        private int memoryThreshold = DEFAULT_MEMORY_THRESHOLD;
        private Duration stopTimeout = DEFAULT_STOP_TIMEOUT;
        private int ioThreads = DEFAULT_IO_THREADS;
        private int spoolThreads = DEFAULT_SPOOL_THREADS;
        private boolean nativeTransport = true;

        private Builder() {
        }

        public Builder listen(List<InetSocketAddress> v) { listen = v; return this; }
        public Builder hostName(String v) { hostName = v; return this; }
        public Builder hostAliases(List<String> v) { hostAliases = List.copyOf(v); return this; }
        public Builder maxCommandLineLength(int v) { maxCommandLineLength = v; return this; }
        public Builder maxTextLineLength(int v) { maxTextLineLength = v; return this; }
        public Builder maxRecipients(int v) { maxRecipients = v; return this; }
        public Builder maxMessageSize(long v) { maxMessageSize = v; return this; }
        public Builder maxConnections(int v) { maxConnections = v; return this; }
        public Builder maxConnectionsPerClient(int v) { maxConnectionsPerClient = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        public Builder commandTimeout(Duration v) { commandTimeout = v; return this; }
        public Builder maxErrors(int v) { maxErrors = v; return this; }
        public Builder trustedNetworks(List<Cidr> v) { trustedNetworks = List.copyOf(v); return this; }
        /** Parses each entry with {@link Cidr#parse(String)}. */
        public Builder trustedNetworkStrings(List<String> v) {
            List<Cidr> l = new ArrayList<>();
            v.forEach(s -> l.add(Cidr.parse(s)));
            trustedNetworks = l;
            return this;
        }
        public Builder localDomains(Set<String> v) { localDomains = Set.copyOf(v); return this; }
        public Builder relayDomains(Set<String> v) { relayDomains = Set.copyOf(v); return this; }
        public Builder sourceRouteMode(SourceRouteMode v) { sourceRouteMode = v; return this; }
        public Builder bareLineEnds(BareLineEnds v) { bareLineEnds = v; return this; }
        public Builder maxReceivedHeaders(int v) { maxReceivedHeaders = v; return this; }
        public Builder spoolDirectory(java.nio.file.Path v) { spoolDirectory = v; return this; }
        public Builder memoryThreshold(int v) { memoryThreshold = v; return this; }
        public Builder stopTimeout(Duration v) { stopTimeout = v; return this; }
        public Builder ioThreads(int v) { ioThreads = v; return this; }
        public Builder spoolThreads(int v) { spoolThreads = v; return this; }
        public Builder nativeTransport(boolean v) { nativeTransport = v; return this; }

        public ServerSettings build() {
            return new ServerSettings(listen, hostName == null ? defaultHostName() : hostName, hostAliases,
                    maxCommandLineLength, maxTextLineLength, maxRecipients, maxMessageSize, maxConnections,
                    maxConnectionsPerClient, idleTimeout, commandTimeout, maxErrors, trustedNetworks, localDomains, relayDomains,
                    sourceRouteMode, bareLineEnds, maxReceivedHeaders, spoolDirectory, memoryThreshold,
                    stopTimeout, ioThreads, spoolThreads, nativeTransport);
        }
    }
}
