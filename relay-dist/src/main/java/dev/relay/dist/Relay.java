package dev.relay.dist;

import dev.relay.dist.cli.AdminSocketClient;
import dev.relay.dist.admin.AdminSocketServer;
import dev.relay.dist.cli.CliContext;
import dev.relay.dist.cli.CliException;
import dev.relay.dist.cli.CliRouting;
import dev.relay.dist.cli.Version;
import dev.relay.dist.config.ConfigException;
import dev.relay.dist.console.ConsoleSetup;
import dev.relay.files.PrivateFiles;
import dev.relay.dist.cli.Relayctl;
import dev.relay.dist.config.ConfigLoader;
import dev.relay.dist.config.RelayConfig;
import dev.relay.dist.ops.HealthCheck;
import dev.relay.dist.ops.OpsServer;
import dev.relay.dist.ops.QueueMetrics;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueException;
import dev.relay.queue.jdbc.H2MessageQueue;
import dev.relay.client.bounce.DsnBounceSink;
import dev.relay.client.bounce.DsnService;
import dev.relay.client.delivery.DeliveryEngine;
import dev.relay.client.delivery.LocalDelivery;
import dev.relay.client.retry.RetryPolicy;
import dev.relay.client.routing.NettyDns;
import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.RouteTableException;
import dev.relay.client.routing.Router;
import dev.relay.client.routing.TargetResolver;
import dev.relay.client.tls.CredentialsFile;
import dev.relay.client.tls.OutboundTls;
import dev.relay.client.tls.OutboundTlsSettings;
import dev.relay.client.transport.SmtpTransport;
import dev.relay.client.local.LocalUsers;
import dev.relay.client.local.MaildirDelivery;
import dev.relay.queue.QueueId;
import dev.relay.server.SmtpServer;
import dev.relay.server.auth.SmtpAuth;
import dev.relay.server.command.CommandTable;
import dev.relay.server.tls.SecurityCommands;
import dev.relay.server.tls.ServerTls;
import dev.relay.server.auth.AuthSettings;
import dev.relay.server.tls.TlsSettings;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running relay: the parts started in order (data folder, queue, forwarder, receiver, admin
 * socket, metrics) and stopped in reverse. {@link RelayMain} owns the process (signals, exit
 * codes); this class owns the parts, so that tests can run a relay in-process too.
 *
 * <p>Stopping: each part is closed in reverse order of start; the receiver first (no new mail),
 * then the forwarder (deliveries in flight finish or are released within the bound), then the
 * queue (pending enqueues are synced, the database closed).
 */
public final class Relay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final RelayConfig config;
    private final Clock clock;
    private final PrometheusMeterRegistry registry;
    private final Deque<Part> parts = new ArrayDeque<>();
    private final List<HealthCheck> checks = new ArrayList<>();
    private H2MessageQueue queue;
    private QueueMetrics queueMetrics;
    private SmtpServer server;
    private DeliveryEngine engine;
    private volatile Router router;
    private volatile RouteTable table;
    private TargetResolver resolver;
    private OpsServer ops;
    private AdminSocketServer admin;
    private volatile boolean stopped;
    private volatile long deadline;

    /** A started part and how to stop it. */
    private record Part(String name, AutoCloseable closer) {
    }

    private Relay(RelayConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(latencyHistograms());
    }

    /** Latencies as Prometheus histograms (buckets), so that quantiles can be computed over time and relays. */
    private static MeterFilter latencyHistograms() {
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getName().equals("relay.delivery.transaction")) {
                    return DistributionStatisticConfig.builder().percentilesHistogram(true).build().merge(config);
                }
                return config;
            }
        };
    }

    /** Starts every part; on failure stops what was started and throws. */
    public static Relay start(RelayConfig config, Clock clock) throws StartupException {
        Relay r = new Relay(config, clock);
        try {
            r.startParts();
            return r;
        } catch (StartupException e) {
            r.close();
            throw e;
        } catch (Exception e) { // also checked exceptions Netty rethrows unchecked, e.g. a BindException
            r.close();
            throw new StartupException("start-up failed: " + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
    }

    /** The parts in the order they start; {@link #close} stops them in reverse. */
    private void startParts() throws StartupException {
        refuseASecondRelay();
        StartChecks.warnings(config).forEach(w -> log.warn("{}", w));
        dataDirectory(config.dataDirectory());
        bindProcessMetrics();
        H2MessageQueue q = startQueue();
        MaildirDelivery maildir = new MaildirDelivery(Wiring.localDelivery(config), config.hostname(), clock);
        LocalUsers localUsers = startLocalUsers(maildir);
        startForwarder(q, maildir);
        startReceiver(q, localUsers); // last but the admin socket and metrics: mail is accepted only when everything behind it runs
        startAdminSocket();
        startMetrics();
    }

    private void refuseASecondRelay() throws StartupException {
        if (AdminSocketClient.answers(config.adminSocket())) {
            throw new StartupException("another relay is running on this data folder: its admin socket "
                    + config.adminSocket() + " answers (stop it, or give this one another data_directory)", null);
        }
    }

    private void bindProcessMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        checks.add(dataDirectoryCheck(config.dataDirectory()));
    }

    /** The queue: opening it migrates its schema (Flyway) and gives back leases of a previous run. */
    private H2MessageQueue startQueue() throws StartupException {
        try {
            queue = H2MessageQueue.open(Wiring.queueSettings(config), clock);
        } catch (QueueException e) {
            throw new StartupException(e.getMessage(), e);
        }
        H2MessageQueue q = queue;
        parts.push(new Part("queue", q::close));
        log.info("queue {} open", q.file());
        queueMetrics = new QueueMetrics(q.admin(), clock, Duration.ofSeconds(5), () -> {
            if (!Files.isWritable(q.file())) {
                throw new IllegalStateException(q.file() + " is not writable");
            }
        }).bindTo(registry);
        checks.add(queueMetrics);
        return q;
    }

    /** The local users, listed from the Maildirs in the background, answered from memory at RCPT. */
    private LocalUsers startLocalUsers(MaildirDelivery maildir) {
        LocalUsers localUsers = new LocalUsers(maildir, Wiring.localUsersRefresh(config)).start();
        parts.push(new Part("local users", localUsers));
        return localUsers;
    }

    /** The forwarder: routing, DNS, SMTP out, retries, bounces, local delivery. */
    private void startForwarder(H2MessageQueue q, MaildirDelivery maildir) throws StartupException {
        startRouting();
        SmtpTransport transport = transport();
        RetryPolicy retry = new RetryPolicy(Wiring.retrySettings(config), clock, RandomGenerator.getDefault());
        DsnService dsn = new DsnService(Wiring.dsnSettings(config), q, clock, registry);
        DeliveryEngine e = new DeliveryEngine(Wiring.deliverySettings(config), q, router, resolver, transport, retry,
                new DsnBounceSink(dsn), LocalDelivery.maildir(maildir), clock, registry);
        engine = e;
        e.start();
        parts.push(new Part("forwarder", () -> e.stop(remaining())));
    }

    /** The route table, the router over it, and DNS for the next hops the table does not name. */
    private void startRouting() throws StartupException {
        RouteTable table;
        try {
            table = Wiring.routeTable(config);
        } catch (RouteTableException e) {
            throw new StartupException(e.getMessage(), e);
        }
        this.table = table;
        router = new Router(Wiring.routingSettings(config), table);
        log.info("route table: {} ({} entries)", config.routesFile().map(Object::toString).orElse("none"), table.entries().size());
        NettyDns dns = Wiring.dns(config);
        parts.push(new Part("dns", dns::close));
        resolver = new TargetResolver(dns, router.settings().ourNames(), new Random(), Wiring.mxAddressLimit(config));
    }

    /** SMTP out, with the outbound TLS policy and the credentials for next hops that want AUTH. */
    private SmtpTransport transport() throws StartupException {
        CredentialsFile credentials = null;
        OutboundTls outboundTls;
        try {
            OutboundTlsSettings ots = Wiring.outboundTls(config);
            outboundTls = new OutboundTls(ots);
            if (ots.credentialsFile() != null) {
                credentials = CredentialsFile.load(ots.credentialsFile());
            }
        } catch (IOException | RuntimeException e) {
            throw new StartupException("outbound TLS: " + e.getMessage()
                    + " (check client_tls_ca_file and client_credentials_file)", e);
        }
        return new SmtpTransport(Wiring.transportSettings(config), config.hostname(), outboundTls, credentials);
    }

    /** The receiver: TLS and AUTH when configured, the listeners, and its health check. */
    private void startReceiver(H2MessageQueue q, LocalUsers localUsers) throws StartupException {
        ServerTls tls = serverTls();
        SmtpAuth auth = tls == null ? null : auth();
        CommandTable commands = SecurityCommands.install(CommandTable.standard(), tls, auth).build();
        try {
            DeliveryEngine e = engine;
            server = new SmtpServer(Wiring.serverSettings(config), new WakingQueue(q, e::wakeUp), localUsers::exists, registry, clock,
                    QueueId::generate, commands);
            Optional<List<InetSocketAddress>> implicit = Wiring.implicitTlsListen(config);
            if (implicit.isPresent()) { // only with TLS: ConfigLoader refuses tls_implicit_listen without it
                server.implicitTls(implicit.get(), tls::installImplicit);
            }
            server.start();
        } catch (Exception e) { // Netty rethrows a BindException unchecked
            throw new StartupException(e instanceof java.net.BindException
                    ? "cannot listen on " + config.listen().stream().map(ConfigLoader::format).toList() + ": " + e.getMessage()
                            + " (another program has the port: stop it, or change listen)"
                    : e.getMessage(), e);
        }
        SmtpServer srv = server;
        parts.push(new Part("receiver", () -> srv.stop(remaining())));
        checks.add(receiverCheck(srv));
    }

    /** The receiver's TLS, or null with tls_enabled = no. */
    private ServerTls serverTls() throws StartupException {
        Optional<TlsSettings> settings = Wiring.serverTls(config);
        if (settings.isEmpty()) {
            return null;
        }
        try {
            return ServerTls.create(settings.get(), clock);
        } catch (IOException | RuntimeException e) {
            throw new StartupException("cannot set up TLS: " + e.getMessage()
                    + " (check tls_certificate and tls_key, or set tls_enabled = no)", e);
        }
    }

    /** SMTP AUTH over TLS, or null when it is off; closed after the receiver stopped. */
    private SmtpAuth auth() {
        Optional<AuthSettings> settings = Wiring.auth(config);
        if (settings.isEmpty()) {
            return null;
        }
        SmtpAuth auth = SmtpAuth.withUsersFile(settings.get());
        parts.push(new Part("auth", auth));
        return auth;
    }

    private HealthCheck receiverCheck(SmtpServer srv) {
        return new HealthCheck() {
            @Override
            public String name() {
                return "smtp";
            }

            @Override
            public Result check() {
                if (stopped) {
                    return Result.down("stopping");
                }
                List<InetSocketAddress> bound = srv.boundAddresses();
                return bound.isEmpty() ? Result.down("not listening")
                        : Result.up("listening on " + bound.stream().map(ConfigLoader::format).toList()
                                + ", " + srv.openConnections() + " connections");
            }
        };
    }

    /** relayctl's way in: the admin socket runs its commands in this relay. */
    private void startAdminSocket() throws StartupException {
        try {
            admin = AdminSocketServer.start(config.adminSocket(),
                    (args, in, out, err) -> Relayctl.commandLine(cliContext(), in, out, err).execute(args.toArray(String[]::new)));
        } catch (IOException e) {
            throw new StartupException(e.getMessage(), e);
        }
        parts.push(new Part("relayctl socket", admin));
    }

    /** The metrics and health endpoint, when metrics_listen names an address. */
    private void startMetrics() throws StartupException {
        if (config.metricsListen().isEmpty()) {
            return;
        }
        try {
            ops = OpsServer.start(config.metricsListen().get(), registry, List.copyOf(checks));
        } catch (IOException e) {
            throw new StartupException("cannot serve metrics on " + ConfigLoader.format(config.metricsListen().get())
                    + ": " + e.getMessage() + " (change metrics_listen, or set it to none)", e);
        }
        parts.push(new Part("metrics", ops));
        parts.push(new Part("console", ConsoleSetup.install(ops, config, queue.admin(), registry, clock,
                List.of(queueMetrics::refreshNextHops))));
    }

    /** Creates the data folder readable only by the relay's user, or warns when an existing one is open to others. */
    static void dataDirectory(Path dir) throws StartupException {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PrivateFiles.DIRECTORY_MODE));
                log.info("created the data folder {} (mode 0700)", dir);
            } else if (PrivateFiles.isOpenToOthers(dir)) {
                log.warn("the data folder {} is open to other users ({}); chmod 700 it", dir, PrivateFiles.permissions(dir));
            }
            if (!Files.isWritable(dir)) {
                throw new StartupException("the data folder " + dir + " is not writable (give the relay's user write access)", null);
            }
        } catch (IOException e) {
            throw new StartupException("cannot create the data folder " + dir + ": " + e.getMessage()
                    + " (create it, or set data_directory)", e);
        } catch (UnsupportedOperationException e) {
            log.info("the file system of {} has no POSIX permissions; protect it by other means", dir);
        }
    }

    private static HealthCheck dataDirectoryCheck(Path dir) {
        return new HealthCheck() {
            @Override
            public String name() {
                return "data_directory";
            }

            @Override
            public Result check() {
                try {
                    FileStore store = Files.getFileStore(dir);
                    long free = store.getUsableSpace();
                    boolean writable = Files.isWritable(dir);
                    String detail = dir + ", " + (free >> 20) + " MiB free";
                    if (!writable) {
                        return Result.down(dir + " is not writable");
                    }
                    return free < (64L << 20) ? Result.down("disk almost full: " + detail) : Result.up(detail);
                } catch (IOException e) {
                    return Result.down(dir + ": " + e.getMessage());
                }
            }
        };
    }

    /** The context relayctl commands get when they run inside this relay. */
    public CliContext cliContext() {
        return new CliContext() {
            @Override
            public QueueAdmin queue() {
                return queue.admin();
            }

            @Override
            public String reload() {
                return Relay.this.reload();
            }

            @Override
            public Clock clock() {
                return clock;
            }

            @Override
            public CliRouting routing() {
                TargetResolver r = resolver;
                return new CliRouting(router, table, config.routesFile().map(Object::toString), r == null ? null : () -> r);
            }

            @Override
            public String where() {
                return "running relay " + Version.get() + " (pid " + ProcessHandle.current().pid() + ")";
            }
        };
    }

    /**
     * Re-reads the configuration file and applies its route table (to the forwarder's next claims)
     * and relay_domains (to the receiver's next RCPT); no connection is dropped. Other changed keys
     * take effect at the next start, and the summary says which. A bad file changes nothing.
     *
     * @return a one-line summary
     * @throws CliException naming every problem when the new configuration or route table is bad
     */
    public synchronized String reload() {
        if (stopped || engine == null || server == null) {
            throw new CliException("the relay is stopping: nothing to reload");
        }
        RelayConfig fresh;
        RouteTable newTable;
        try {
            fresh = config.reread();
            List<String> problems = StartChecks.problems(fresh);
            if (!problems.isEmpty()) {
                log.warn("reload refused, nothing changed: {}", String.join("; ", problems));
                throw new CliException("reload refused, nothing changed: " + String.join("; ", problems));
            }
            newTable = Wiring.routeTable(fresh);
        } catch (ConfigException e) {
            String problems = String.join("; ", e.problems().stream().map(Object::toString).toList());
            log.warn("reload refused, nothing changed: {}", problems);
            throw new CliException("reload refused, nothing changed: " + problems);
        } catch (RouteTableException e) {
            log.warn("reload refused, nothing changed: {}", e.getMessage());
            throw new CliException("reload refused, nothing changed: " + e.getMessage());
        }
        Router newRouter = new Router(Wiring.routingSettings(config), newTable);
        engine.router(newRouter);
        router = newRouter;
        table = newTable;
        server.updateRelayDomains(Wiring.set(fresh.relayDomains()));
        List<String> later = new ArrayList<>();
        fresh.effective().forEach((k, v) -> {
            if (!Wiring.RELOADED_KEYS.contains(k) && !v.equals(config.effective().get(k))) {
                later.add(k);
            }
        });
        String summary = "route table " + fresh.routesFile().map(Object::toString).orElse("none") + " (" + newTable.entries().size()
                + (newTable.entries().size() == 1 ? " route)" : " routes)") + ", relay_domains " + (fresh.relayDomains().isEmpty() ? "(none)"
                : String.join(", ", fresh.relayDomains()))
                + (later.isEmpty() ? "" : "; changed but applied only at the next start: " + String.join(", ", later));
        log.info("reloaded: {}", summary);
        return "reloaded " + summary;
    }

    /** The metrics registry the modules report to. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The addresses the SMTP receiver listens on (real ports when 0 was configured). */
    public List<InetSocketAddress> smtpAddresses() {
        return server == null ? List.of() : server.boundAddresses();
    }

    /** The metrics endpoint's address, when it runs. */
    public Optional<InetSocketAddress> metricsAddress() {
        return Optional.ofNullable(ops).map(OpsServer::address);
    }

    /** The configuration this relay runs with. */
    public RelayConfig config() {
        return config;
    }

    /** What is left of the shutdown bound (at least a second, so that each part gets a chance). */
    private Duration remaining() {
        return Duration.ofNanos(Math.max(1_000_000_000L, deadline - System.nanoTime()));
    }

    /** Stops every part in reverse order of start, within {@code shutdown_timeout} in total. */
    @Override
    public synchronized void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        while (!parts.isEmpty()) {
            Part p = parts.pop();
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            try {
                p.closer().close();
                log.debug("stopped {} ({} ms left of the shutdown bound)", p.name(), left.toMillis());
            } catch (Exception e) {
                log.warn("stopping {}: {}", p.name(), e.toString());
            }
        }
        registry.close();
    }
}
