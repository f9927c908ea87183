package dev.relay.client.delivery;

import static dev.relay.client.delivery.AttemptRecorder.oneLine;

import dev.relay.client.delivery.AttemptRecorder.Done;
import dev.relay.client.delivery.Destinations.Destination;
import dev.relay.client.retry.RetryPolicy;
import dev.relay.client.routing.NextHop;
import dev.relay.client.routing.Resolution;
import dev.relay.client.routing.Target;
import dev.relay.client.routing.TargetResolver;
import dev.relay.client.transport.Connection;
import dev.relay.client.transport.OutboundRecipient;
import dev.relay.client.transport.SmtpTransport;
import dev.relay.client.transport.Transaction;
import dev.relay.client.transport.TransactionResult;
import dev.relay.client.transport.TransportException;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.MessageQueue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions to remote next hops: one {@link #run} per session thread opens a connection to the
 * first of the destination's servers that answers (resolving the next hop once), runs the
 * destination's jobs on it one after the other (RSET only after a failed transaction or to check
 * an idle session, see {@link Connection#reset()}), until the reuse limit, or until no job came for
 * {@link DeliverySettings#connectionIdleTime()}; then QUIT. A recipient that got a temporary reply
 * from a server that is not the last is tried once more on the next server that answers (backup
 * MX). A destination where no session could be opened is marked down for
 * {@code retry.host-down-time}.
 */
final class RemoteSession {

    /** The engine's log: operators read these lines under its name. */
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryEngine.class);

    private final DeliverySettings settings;
    private final MessageQueue queue;
    private final TargetResolver resolver;
    private final SmtpTransport transport;
    private final RetryPolicy retry;
    private final Destinations destinations;
    private final AttemptRecorder recorder;
    private final Clock clock;
    private final BooleanSupplier running;
    private final Counter connectionsOpened;
    private final Counter connectionsFailed;
    private final Timer transactionTimer;

    RemoteSession(DeliverySettings settings, MessageQueue queue, TargetResolver resolver, SmtpTransport transport,
                  RetryPolicy retry, Destinations destinations, AttemptRecorder recorder, Clock clock,
                  BooleanSupplier running, MeterRegistry meters) {
        this.settings = settings;
        this.queue = queue;
        this.resolver = resolver;
        this.transport = transport;
        this.retry = retry;
        this.destinations = destinations;
        this.recorder = recorder;
        this.clock = clock;
        this.running = running;
        String connections = "outbound SMTP connections: opened (greeting and EHLO done) or failed";
        this.connectionsOpened = Counter.builder("relay.delivery.connections").tag("result", "opened")
                .description(connections).register(meters);
        this.connectionsFailed = Counter.builder("relay.delivery.connections").tag("result", "failed")
                .description(connections).register(meters);
        this.transactionTimer = Timer.builder("relay.delivery.transaction")
                .description("one SMTP transaction, MAIL to the reply to the final dot").register(meters);
    }

    /** Where this session is: the next hop's servers once resolved, and the open connection. */
    private static final class Where {
        Resolution resolution;
        List<Target> targets = List.of();
        Connection conn;
    }

    /** Runs the jobs of {@code d} on one connection (or several, when one wears out) until there are none. */
    void run(Destination d) {
        Where where = new Where();
        try {
            Job job = destinations.nextJob(d, Duration.ZERO, running);
            while (job != null) {
                retireWornConnection(where);
                if (where.conn == null) {
                    Instant at = clock.instant();
                    if (where.resolution == null) {
                        where.resolution = resolver.resolve(d.hop);
                    }
                    if (where.resolution instanceof Resolution.Failure f) {
                        if (!f.reply().isPermanent()) {
                            markDown(d, f.reply());
                            recorder.defer(job, f.reply(), "none", null, d.hop.destination());
                            return;
                        }
                        recorder.fail(job, f.reply(), "none", null, d.hop.destination(), at);
                        job = destinations.nextJob(d, Duration.ZERO, running);
                        continue;
                    }
                    where.targets = ((Resolution.Targets) where.resolution).targets();
                    if (!connectFirst(d, where, job)) {
                        return;
                    }
                }
                runTransaction(where.conn, job, d.hop, where.targets);
                if (!running.getAsBoolean()) {
                    break;
                }
                job = destinations.nextJob(d, settings.connectionIdleTime(), running);
            }
        } finally {
            if (where.conn != null) {
                where.conn.close();
            }
        }
    }

    /**
     * Closes the connection when it reached the reuse limit or fails its check. {@code reset()} costs
     * no round trip after a clean, recent transaction (the final dot's reply reset the server); it
     * sends RSET only to check a session that sat idle, and a dead one is replaced by a new session
     * instead of deferring the next message.
     */
    private void retireWornConnection(Where where) {
        if (where.conn != null && (where.conn.transactions() >= settings.transactionsPerConnection()
                || !where.conn.reset())) {
            where.conn.close();
            where.conn = null;
        }
    }

    /**
     * Connects to the first of the targets that completes greeting and EHLO. When none does, marks
     * the destination down, defers {@code job} and returns false.
     */
    private boolean connectFirst(Destination d, Where where, Job job) {
        TransportException last = null;
        for (Target t : where.targets) {
            try {
                where.conn = transport.connect(t, d.hop);
                connectionsOpened.increment();
                return true;
            } catch (TransportException e) {
                connectionsFailed.increment();
                last = e;
                LOG.debug("delivery: {}: {}", d.key, e.reply());
            }
        }
        SmtpReply why = last.reply();
        markDown(d, why);
        Target lastTarget = where.targets.get(where.targets.size() - 1);
        // No session: the log says relay=none as Postfix's does, but the queue
        // records the route's next hop, so relayctl queue/retry --next-hop find it.
        recorder.defer(job, why, last.connectFailed() ? "none" : lastTarget.toString(),
                last.connectFailed() ? null : lastTarget.hostName(),
                last.connectFailed() ? d.hop.destination() : lastTarget.toString());
        return false;
    }

    private void markDown(Destination d, SmtpReply why) {
        Instant until = retry.hostDownUntil();
        List<Job> waiting = destinations.markDown(d, until, why);
        LOG.info("delivery: {} marked down until {}: {}", d.key, until, why);
        SmtpReply s = Destinations.suspended(why);
        for (Job job : waiting) {
            recorder.defer(job, s, "none", null, d.nextHopName());
        }
    }

    /**
     * Sends one job over {@code conn} and records the outcome. A recipient that got a temporary
     * reply (4xx, or the connection lost) from a server that is not the last of {@code targets}
     * is tried once more on the next server that answers, as Postfix's smtp client does (a
     * backup MX takes what a greylisting or busy primary defers); that server's reply is final.
     */
    private void runTransaction(Connection conn, Job job, NextHop hop, List<Target> targets) {
        Instant at = clock.instant();
        int index = targets.indexOf(conn.target());
        Sent first = send(conn, job, index >= 0 && index < targets.size() - 1);
        List<Done> done = first.decided();
        if (!first.retry().isEmpty()) {
            Connection backup = connectAny(targets.subList(index + 1, targets.size()), hop);
            if (backup == null) {
                done.addAll(first.retryReplies()); // no other server answered: the first one's replies stand
            } else {
                try {
                    done.addAll(send(backup, new Job(job.message(), job.reversePath(), first.retry()), false).decided());
                } finally {
                    backup.close();
                }
            }
        }
        recorder.record(job.message(), done, at);
    }

    /** A session with the first of {@code targets} that completes the greeting and EHLO, or null. */
    private Connection connectAny(List<Target> targets, NextHop hop) {
        for (Target t : targets) {
            try {
                Connection c = transport.connect(t, hop);
                connectionsOpened.increment();
                return c;
            } catch (TransportException e) {
                connectionsFailed.increment();
                LOG.debug("delivery: backup server {}: {}", t, e.reply());
            }
        }
        return null;
    }

    /**
     * What one transaction did: the recipients it decided, and (when a backup server follows) those
     * it left for that server, with the replies that stand if no backup server answers.
     */
    private record Sent(List<Done> decided, List<Job.Item> retry, List<Done> retryReplies) {
    }

    /**
     * One transaction. With {@code backupFollows}, a recipient with a temporary reply (4xx, or the
     * connection lost) is left for the next server, as Postfix's smtp client does: a backup MX
     * takes what a greylisting or busy primary defers. The backup's reply is final.
     */
    private Sent send(Connection conn, Job job, boolean backupFollows) {
        ClaimedMessage m = job.message();
        List<OutboundRecipient> rcpts = new ArrayList<>(job.items().size());
        for (Job.Item item : job.items()) {
            rcpts.add(new OutboundRecipient(item.sentAs(), item.recipient().recipient().parameters()));
        }
        Transaction tx = new Transaction(job.reversePath(), m.envelope().parameters(), rcpts, m.size(),
                () -> queue.openBody(m.id()));
        long t0 = System.nanoTime();
        TransactionResult result = conn.send(tx);
        transactionTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        Target target = conn.target();
        Sent sent = new Sent(new ArrayList<>(job.items().size()), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < job.items().size(); i++) {
            Job.Item item = job.items().get(i);
            SmtpReply reply = result.recipients().get(i).reply();
            Done d = Done.of(item.recipient(), reply, target.toString(), target.hostName(), result.dsnOffered(),
                    item.sentAs(), false);
            if (backupFollows && reply.isTransient()) {
                LOG.info("{}: to={}: {} said: {}; trying the next server", m.id(), item.sentAs(), target,
                        oneLine(reply.toString()));
                sent.retry().add(item);
                sent.retryReplies().add(d);
            } else {
                sent.decided().add(d);
            }
        }
        return sent;
    }
}
