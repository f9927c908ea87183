package dev.relay.server;

import dev.relay.queue.MessageQueue;
import dev.relay.queue.QueueId;
import dev.relay.server.command.CommandTable;
import dev.relay.server.pipeline.SmtpChannelInitializer;
import dev.relay.server.session.HandlerNames;
import dev.relay.server.session.ServerContext;
import dev.relay.server.session.SmtpSession;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SMTP receiver: listens on the configured addresses and runs one {@link SmtpSession} per
 * connection on a few Netty event loops (no thread per connection).
 *
 * <pre>
 * SmtpServer server = new SmtpServer(settings, queue, localRecipients, meterRegistry, clock);
 * server.start();                 // binds every address or throws
 * ...
 * server.stop();                  // graceful, bounded by settings.stopTimeout()
 * </pre>
 *
 * <p>A graceful stop closes the listeners, answers 421 4.3.2 to idle sessions
 * and to any further command, lets transactions in DATA finish and pending enqueues complete
 * within the bound, then closes what is left with 421 4.3.2. The queue is not closed: it belongs
 * to the caller, who closes it after this server.
 */
public final class SmtpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SmtpServer.class);

    private final ServerSettings settings;
    private final ServerContext context;
    private final ExecutorService spoolExecutor;
    private final ChannelGroup channels = new DefaultChannelGroup("smtp", GlobalEventExecutor.INSTANCE);
    private final List<Channel> listeners = new ArrayList<>();
    private List<InetSocketAddress> implicitTlsListen = List.of();
    private java.util.function.Consumer<Channel> implicitTls;
    private EventLoopGroup workerGroup;
    private Transport transport;
    private boolean started;
    private boolean stopped;

    /** A server with the standard command table and {@link QueueId#generate()} ids. */
    public SmtpServer(ServerSettings settings, MessageQueue queue, LocalRecipients localRecipients,
                      MeterRegistry meterRegistry, Clock clock) {
        this(settings, queue, localRecipients, meterRegistry, clock, QueueId::generate, CommandTable.standard().build());
    }

    /**
     * A server with its own queue ids and command table (e.g. with STARTTLS and AUTH rows).
     */
    public SmtpServer(ServerSettings settings, MessageQueue queue, LocalRecipients localRecipients,
                      MeterRegistry meterRegistry, Clock clock, Supplier<QueueId> queueIds, CommandTable commands) {
        this.settings = settings;
        this.spoolExecutor = Executors.newFixedThreadPool(settings.spoolThreads(), new DefaultThreadFactory("relay-spool", true));
        this.context = new ServerContext(settings, queue, localRecipients, new ServerMetrics(meterRegistry), clock,
                queueIds, spoolExecutor, commands);
    }

    /**
     * Creates a server with the standard command table and starts it: the one call relay-dist needs.
     *
     * @param settings        validated receiver settings
     * @param queue           where accepted messages go; owned by the caller, closed after {@link #stop(Duration)}
     * @param localRecipients answers whether a mailbox of a local domain exists (550 5.1.1 otherwise);
     *                        {@link LocalRecipients#ACCEPT_ALL} accepts every one
     * @param meterRegistry   receives the {@code relay.server.*} meters
     * @param clock           arrival times and the Received header date
     * @throws IllegalStateException naming the address when one cannot be bound (nothing stays bound)
     */
    public static SmtpServer start(ServerSettings settings, MessageQueue queue, LocalRecipients localRecipients,
                                   MeterRegistry meterRegistry, Clock clock) {
        SmtpServer server = new SmtpServer(settings, queue, localRecipients, meterRegistry, clock);
        server.start();
        return server;
    }

    /**
     * Replaces the relay domains (configuration reload): every session uses them from its next RCPT;
     * no connection is dropped. Entries as in {@link ServerSettings#relayDomains()}.
     *
     * @throws IllegalArgumentException naming an entry that is not a domain
     */
    public void updateRelayDomains(java.util.Set<String> relayDomains) {
        ServerSettings updated = context.settings().toBuilder().relayDomains(relayDomains).build();
        context.relayPolicy(new dev.relay.server.policy.RelayPolicy(updated));
        log.info("relay domains now {}", updated.relayDomains());
    }

    /**
     * Adds listeners whose connections start with TLS (RFC 8314, port 465): {@code installTls}
     * puts the TLS handler in front of each new connection's pipeline (the TLS code
     * provides it). Same sessions, limits and queue as the other listeners. Call before {@link #start()}.
     */
    public synchronized SmtpServer implicitTls(List<InetSocketAddress> addresses, java.util.function.Consumer<Channel> installTls) {
        if (started) {
            throw new IllegalStateException("already started");
        }
        this.implicitTlsListen = List.copyOf(addresses);
        this.implicitTls = installTls;
        return this;
    }

    /** Binds every listen address; on any failure nothing stays bound and the error names the address. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        try {
            Files.createDirectories(settings.spoolDirectory());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the spool directory " + settings.spoolDirectory()
                    + ": " + e.getMessage() + " (set server spoolDirectory to a writable directory)", e);
        }
        StringBuilder whyNotNative = new StringBuilder();
        Transport transport = Transport.choose(settings.nativeTransport(), whyNotNative);
        if (whyNotNative.length() > 0) {
            log.info("{}; using Java NIO", whyNotNative);
        }
        int ioThreads = settings.ioThreads() > 0 ? settings.ioThreads() : defaultIoThreads();
        // The listeners run on the same event loops as the connections: no acceptor thread handing
        // each new connection over to another thread (a wake-up per connection).
        workerGroup = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("smtp-io"), transport.ioHandlers());
        this.transport = transport;
        SmtpChannelInitializer initializer = new SmtpChannelInitializer(context);
        ServerBootstrap b = new ServerBootstrap()
                .group(workerGroup, workerGroup)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new io.netty.channel.ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast(initializer);
                    }
                });
        ServerBootstrap tlsBootstrap = implicitTlsListen.isEmpty() ? null : b.clone()
                .childHandler(new io.netty.channel.ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        implicitTls.accept(ch);
                        ch.pipeline().addLast(initializer);
                    }
                });
        List<InetSocketAddress> all = new ArrayList<>(settings.listen());
        all.addAll(implicitTlsListen);
        for (int i = 0; i < all.size(); i++) {
            InetSocketAddress address = all.get(i);
            boolean tls = i >= settings.listen().size();
            try {
                Channel ch = (tls ? tlsBootstrap : b).bind(address).syncUninterruptibly().channel();
                listeners.add(ch);
                log.info("listening on {}{} ({})", format((InetSocketAddress) ch.localAddress()),
                        tls ? " (implicit TLS)" : "", transport.name());
            } catch (Exception e) { // Netty rethrows the checked BindException undeclared: catch it too
                for (Channel l : listeners) {
                    l.close().syncUninterruptibly();
                }
                listeners.clear();
                shutdownGroups();
                throw new IllegalStateException("cannot listen on " + format(address) + ": " + e.getMessage(), e);
            }
        }
    }

    /** The Netty transport in use once started: {@code epoll} or {@code nio}. */
    public synchronized String transportName() {
        return transport == null ? null : transport.name();
    }

    /** The addresses actually bound (with the real port when 0 was configured). */
    public synchronized List<InetSocketAddress> boundAddresses() {
        return listeners.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
    }

    /** The first bound address. */
    public InetSocketAddress address() {
        return boundAddresses().get(0);
    }

    /** Open client connections now. */
    public int openConnections() {
        return context.connections().total();
    }

    /** A graceful stop bounded by {@code settings.stopTimeout()}. */
    public void stop() {
        stop(settings.stopTimeout());
    }

    /**
     * A graceful stop within {@code bound}; returns true when every session and enqueue finished
     * in time (false when some were cut off with 421 4.3.2).
     */
    public synchronized boolean stop(Duration bound) {
        if (!started || stopped) {
            return true;
        }
        stopped = true;
        long deadline = System.nanoTime() + bound.toNanos();
        context.stopping(true);
        for (Channel l : listeners) {
            l.close().syncUninterruptibly();
        }
        log.info("stopping: listeners closed, {} connections open, {} enqueues pending",
                channels.size(), context.pendingEnqueues().get());
        forEachSession(SmtpSession::stopRequested);
        boolean clean = waitUntil(deadline, () -> channels.isEmpty() && context.pendingEnqueues().get() == 0);
        if (!clean) {
            log.warn("stop bound of {} reached: closing {} connections", bound, channels.size());
            forEachSession(SmtpSession::stopNow);
            // enqueues already handed to the queue are waited for once more: their 250 may still go out
            waitUntil(System.nanoTime() + bound.toNanos(), () -> context.pendingEnqueues().get() == 0);
            channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        shutdownGroups();
        spoolExecutor.shutdown();
        try {
            spoolExecutor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("stopped");
        return clean;
    }

    private void forEachSession(java.util.function.Consumer<SmtpSession> action) {
        for (Channel ch : channels) {
            ch.eventLoop().execute(() -> {
                if (ch.pipeline().get(HandlerNames.SESSION) instanceof SmtpSession s) {
                    action.accept(s);
                }
            });
        }
    }

    private static boolean waitUntil(long deadline, java.util.function.BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done.getAsBoolean();
            }
        }
        return true;
    }

    private void shutdownGroups() {
        if (workerGroup != null) {
            workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * io_threads 0: one event loop per two cores, at least one. An event loop only parses commands
     * and moves bytes; in a relay the cores are better spent on the queue writer and the delivery
     * sessions, and fewer loops mean more events handled per wake-up (Netty's own default, two
     * loops per core, suits servers whose work happens on the loops).
     */
    static int defaultIoThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * {@code 127.0.0.1:2525} or {@code [::1]:2525}, as the configuration writes it
     * ({@link InetSocketAddress#toString} gives {@code /127.0.0.1:2525}).
     */
    static String format(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
