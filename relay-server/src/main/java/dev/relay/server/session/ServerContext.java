package dev.relay.server.session;

import dev.relay.queue.MessageQueue;
import dev.relay.queue.QueueId;
import dev.relay.server.LocalRecipients;
import dev.relay.server.ServerMetrics;
import dev.relay.server.ServerSettings;
import dev.relay.server.codec.CommandDecoder;
import dev.relay.server.codec.ContentDecoder;
import dev.relay.server.codec.LineFramer;
import dev.relay.server.command.CommandTable;
import dev.relay.server.policy.ConnectionLimiter;
import dev.relay.server.policy.RelayPolicy;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Everything the sessions of one server share: settings, queue, policies, limits, meters, the
 * clock, the spool executor, the command table and the stop flag. Thread-safe; created by
 * {@code SmtpServer} (or by a test, with an {@code EmbeddedChannel}).
 */
public final class ServerContext {
    private final ServerSettings settings;
    private final MessageQueue queue;
    private final LocalRecipients localRecipients;
    private final ServerMetrics metrics;
    private final Clock clock;
    private final Supplier<QueueId> queueIds;
    private final Executor spoolExecutor;
    private final CommandTable commands;
    private volatile RelayPolicy relayPolicy;
    private final ConnectionLimiter connections;
    private final AtomicInteger pendingEnqueues = new AtomicInteger();
    private volatile boolean stopping;

    public ServerContext(ServerSettings settings, MessageQueue queue, LocalRecipients localRecipients,
                         ServerMetrics metrics, Clock clock, Supplier<QueueId> queueIds, Executor spoolExecutor,
                         CommandTable commands) {
        this.settings = settings;
        this.queue = queue;
        this.localRecipients = localRecipients;
        this.metrics = metrics;
        this.clock = clock;
        this.queueIds = queueIds;
        this.spoolExecutor = spoolExecutor;
        this.commands = commands;
        this.relayPolicy = new RelayPolicy(settings);
        this.connections = new ConnectionLimiter(settings.maxConnections(), settings.maxConnectionsPerClient());
    }

    public ServerSettings settings() {
        return settings;
    }

    public MessageQueue queue() {
        return queue;
    }

    public LocalRecipients localRecipients() {
        return localRecipients;
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    public Clock clock() {
        return clock;
    }

    /** A new queue id (taken at the first MAIL of a transaction). */
    public QueueId newQueueId() {
        return queueIds.get();
    }

    public Executor spoolExecutor() {
        return spoolExecutor;
    }

    public CommandTable commands() {
        return commands;
    }

    /** A command-phase framer: long enough for MAIL/RCPT with extension parameters. */
    public LineFramer newFramer() {
        return new LineFramer(CommandDecoder.framerMaximum(settings.maxCommandLineLength()), settings.bareLineEnds());
    }

    /** A DATA-phase decoder with the message limits. */
    public ContentDecoder newContentDecoder() {
        return new ContentDecoder(settings.maxMessageSize(), settings.maxTextLineLength(), settings.bareLineEnds(),
                settings.maxReceivedHeaders());
    }

    public RelayPolicy relayPolicy() {
        return relayPolicy;
    }

    /** Replaces the relay policy; sessions use the new one from their next RCPT (configuration reload). */
    public void relayPolicy(RelayPolicy policy) {
        this.relayPolicy = java.util.Objects.requireNonNull(policy, "policy");
    }

    public ConnectionLimiter connections() {
        return connections;
    }

    /** Enqueues started and not yet answered. */
    public AtomicInteger pendingEnqueues() {
        return pendingEnqueues;
    }

    /** True once a graceful stop began: further commands get 421 4.3.2. */
    public boolean stopping() {
        return stopping;
    }

    public void stopping(boolean s) {
        this.stopping = s;
    }
}
