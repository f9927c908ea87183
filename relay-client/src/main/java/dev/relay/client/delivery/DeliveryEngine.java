package dev.relay.client.delivery;

import dev.relay.client.retry.RetryPolicy;
import dev.relay.client.routing.Decision;
import dev.relay.client.routing.NextHop;
import dev.relay.client.routing.Resolution;
import dev.relay.client.routing.Router;
import dev.relay.client.routing.Target;
import dev.relay.client.routing.TargetResolver;
import dev.relay.client.transport.OutboundRecipient;
import dev.relay.client.transport.SmtpTransport;
import dev.relay.client.transport.Transaction;
import dev.relay.client.transport.TransactionResult;
import dev.relay.client.transport.TransportException;
import dev.relay.mail.EnhancedStatus;
import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.MessageQueue;
import dev.relay.queue.Outcome;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarder's delivery engine: takes due recipients from the queue and delivers them.
 *
 * <p>Threads. One scheduler thread claims due recipients in batches (at most
 * {@link DeliverySettings#maxPendingRecipients()} in memory), routes each one, groups the
 * recipients of one message for one next hop into jobs of at most
 * {@link DeliverySettings#recipientsPerTransaction()} (one SMTP transaction each: MAIL, several
 * RCPT, DATA; RFC 5321 section 4.5.4.1 encourages this), and queues the jobs per destination.
 * Session threads (at most {@link DeliverySettings#totalConcurrency()}, at most the destination's
 * limit per destination) each open one connection and run the destination's jobs on it one after
 * the other (RSET only after a failed transaction or to check an idle session, see
 * {@code SmtpTransport.Connection#reset()}), until the reuse limit, or until no job came for
 * {@link DeliverySettings#connectionIdleTime()}; then QUIT.
 *
 * <p>Outcomes. 2xx delivered; 5xx failed at once (RFC 5321 section 4.2.1); 4xx, I/O errors and
 * timeouts deferred with the {@link RetryPolicy}'s backoff, and failed with "expired" when the
 * queue lifetime is over. Every attempt is reported to the {@link BounceSink} before the queue
 * records it, so a bounce is never lost. A destination where no session could be opened is
 * marked down for {@code retry.host-down-time}: its waiting recipients are deferred without a
 * connection ("delivery temporarily suspended", as Postfix does).
 *
 * <p>Paths. The reverse-path is rewritten by the source-route mode ({@link Router#outgoingReversePath}):
 * in {@code rfc821} mode only for recipients that came with a source route, so the recipients of one
 * message for one next hop are grouped by next hop <em>and</em> reverse-path, one transaction per
 * reverse-path. The forward-path is rewritten by the router (our names taken off the front of the route). Log lines are
 * Postfix's: {@code QUEUEID: to=<...>, relay=host[addr]:port, delay=1.2, dsn=2.0.0, status=sent (250 ...)}.
 *
 * <p>Duplicates. A crash may repeat a delivery (at least once), never lose one. Within the process,
 * a recipient in our hands is never handed out twice, even if its lease ran out and a later claim
 * returned it again.
 */
public final class DeliveryEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryEngine.class);
    private static final String LOCAL = "local";

    private enum State { NEW, RUNNING, STOPPING, STOPPED }

    private final DeliverySettings settings;
    private final MessageQueue queue;
    private volatile Router router;
    private final TargetResolver resolver;
    private final SmtpTransport transport;
    private final RetryPolicy retry;
    private final BounceSink bounces;
    private final LocalDelivery local;
    private final Clock clock;
    private final String owner;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition schedulerWake = lock.newCondition();
    private final Map<String, Destination> destinations = new LinkedHashMap<>();
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private final Set<SmtpTransport.Connection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger pending = new AtomicInteger();
    private int activeSessions;
    private boolean kicked;
    private volatile State state = State.NEW;
    private Thread scheduler;
    private ThreadPoolExecutor sessions;

    private final Counter sent;
    private final Counter deferred;
    private final Counter bounced;
    private final Counter expired;
    private final Counter connectionsOpened;
    private final Counter connectionsFailed;
    private final Timer transactionTimer;

    /**
     * @param settings  limits
     * @param queue     the durable queue
     * @param router    the routing decisions
     * @param resolver  next hop to addresses (DNS)
     * @param transport the SMTP client
     * @param retry     backoff, lifetime, host-down time; its clock must be {@code clock}
     * @param bounces   gets every attempt's results, for DSNs
     * @param local     delivery to local mailboxes
     * @param clock     the time that decides (the queue's clock)
     * @param meters    where the counters go
     */
    public DeliveryEngine(DeliverySettings settings, MessageQueue queue, Router router, TargetResolver resolver,
                          SmtpTransport transport, RetryPolicy retry, BounceSink bounces, LocalDelivery local,
                          Clock clock, MeterRegistry meters) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.queue = Objects.requireNonNull(queue, "queue");
        this.router = Objects.requireNonNull(router, "router");
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.retry = Objects.requireNonNull(retry, "retry");
        this.bounces = bounces == null ? BounceSink.NONE : bounces;
        this.local = local == null ? LocalDelivery.NONE : local;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.owner = "forwarder-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
        String r = "relay.delivery.recipients";
        // One HELP text per metric name: Prometheus shows one for all the series of a name.
        String outcomes = "recipient delivery attempts by outcome: sent (delivered or relayed), deferred"
                + " (to be tried again), bounced (failed permanently), expired (given up after the queue lifetime)";
        this.sent = Counter.builder(r).tag("status", "sent").description(outcomes).register(meters);
        this.deferred = Counter.builder(r).tag("status", "deferred").description(outcomes).register(meters);
        this.bounced = Counter.builder(r).tag("status", "bounced").description(outcomes).register(meters);
        this.expired = Counter.builder(r).tag("status", "expired").description(outcomes).register(meters);
        String connections = "outbound SMTP connections: opened (greeting and EHLO done) or failed";
        this.connectionsOpened = Counter.builder("relay.delivery.connections").tag("result", "opened")
                .description(connections).register(meters);
        this.connectionsFailed = Counter.builder("relay.delivery.connections").tag("result", "failed")
                .description(connections).register(meters);
        this.transactionTimer = Timer.builder("relay.delivery.transaction").description("one SMTP transaction, MAIL to the reply to the final dot").register(meters);
        io.micrometer.core.instrument.Gauge.builder("relay.delivery.sessions.active", this, e -> e.activeSessionCount())
                .description("outbound SMTP sessions and local deliveries running now").register(meters);
        io.micrometer.core.instrument.Gauge.builder("relay.delivery.pending", pending, p -> p.get())
                .description("recipients claimed from the queue and not yet reported back").register(meters);
    }

    /** The router in use. */
    public Router router() {
        return router;
    }

    /**
     * Swaps the router (a reloaded route table or routing settings): recipients claimed from now on
     * are routed with it; sessions already open finish with the old one. Never drops a connection.
     */
    public void router(Router newRouter) {
        this.router = Objects.requireNonNull(newRouter, "router");
    }

    /** The claim owner name of this engine (in the queue's lease columns). */
    public String owner() {
        return owner;
    }

    /** Starts the scheduler and the session pool. */
    public void start() {
        lock.lock();
        try {
            if (state != State.NEW) {
                throw new IllegalStateException("delivery engine already started");
            }
            state = State.RUNNING;
            AtomicInteger n = new AtomicInteger();
            sessions = new ThreadPoolExecutor(settings.totalConcurrency(), settings.totalConcurrency(), 30,
                    TimeUnit.SECONDS, new LinkedBlockingQueue<>(), task -> {
                        Thread t = new Thread(task, "delivery-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            sessions.allowCoreThreadTimeOut(true);
            scheduler = new Thread(this::schedule, "delivery-scheduler");
            scheduler.setDaemon(true);
            scheduler.start();
        } finally {
            lock.unlock();
        }
        LOG.info("delivery engine started: {} sessions in total, {} per destination, owner {}",
                settings.totalConcurrency(), settings.destinationConcurrency(), owner);
    }

    /** Looks at the queue now (call after an enqueue, or after relayctl flush). */
    public void wakeUp() {
        lock.lock();
        try {
            kicked = true;
            schedulerWake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Forgets every host-down mark, so the next claim tries them again (relayctl flush). */
    public void clearHostsDown() {
        lock.lock();
        try {
            for (Destination d : destinations.values()) {
                d.downUntil = null;
                d.downReply = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sessions running now. */
    public int activeSessionCount() {
        lock.lock();
        try {
            return activeSessions;
        } finally {
            lock.unlock();
        }
    }

    /** Claimed recipients not yet reported. */
    public int pendingRecipients() {
        return pending.get();
    }

    /**
     * Stops: no more claims; recipients waiting for a session are given back to the queue at once;
     * sessions finish the transaction they are in and QUIT. Sessions still running after
     * {@code timeout} are cut (their open recipients are deferred, a delivery may then be repeated
     * later, never lost); whatever is still claimed after that is released. Returns within about
     * {@code timeout} plus the time to record the cut transactions.
     */
    public void stop(Duration timeout) {
        List<Job> waiting = new ArrayList<>();
        lock.lock();
        try {
            if (state != State.RUNNING) {
                state = State.STOPPED;
                return;
            }
            state = State.STOPPING;
            for (Destination d : destinations.values()) {
                waiting.addAll(d.jobs);
                d.jobs.clear();
            }
            schedulerWake.signalAll();
            destinations.values().forEach(d -> d.jobAdded.signalAll());
        } finally {
            lock.unlock();
        }
        for (Job job : waiting) {
            releaseJob(job);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            scheduler.join(Math.max(1, timeout.toMillis()));
            sessions.shutdown();
            if (!sessions.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                LOG.warn("delivery: {} sessions still busy after {}; closing their connections", activeSessionCount(), timeout);
                transport.abortAll();
                sessions.shutdownNow();
                sessions.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            int released = queue.releaseLeases(owner);
            if (released > 0) {
                LOG.info("delivery: released {} recipients still claimed at stop", released);
            }
        } catch (RuntimeException e) {
            LOG.warn("delivery: could not release leases at stop: {}", e.toString());
        }
        state = State.STOPPED;
        LOG.info("delivery engine stopped");
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }

    // ---------------------------------------------------------------- scheduler

    private void schedule() {
        while (state == State.RUNNING) {
            boolean more = false;
            try {
                int room = settings.maxPendingRecipients() - pending.get();
                if (room > 0) {
                    int ask = Math.min(room, settings.claimBatch());
                    List<ClaimedMessage> claimed = queue.claim(owner, ask, settings.lease());
                    int got = 0;
                    for (ClaimedMessage m : claimed) {
                        got += m.recipients().size();
                        plan(m);
                    }
                    more = got >= ask;
                }
                dispatch();
            } catch (RuntimeException e) {
                LOG.warn("delivery: scheduler: {}", e.toString());
                more = false;
            }
            if (!more) {
                awaitWork();
            }
        }
    }

    /** Waits until woken, until the next recipient is due, or for the poll interval. */
    private void awaitWork() {
        long waitMs = settings.pollInterval().toMillis();
        if (pending.get() < settings.maxPendingRecipients()) {
            try {
                Instant due = queue.nextDue().orElse(null);
                if (due != null) {
                    long untilDue = Duration.between(clock.instant(), due).toMillis();
                    waitMs = Math.max(10, Math.min(waitMs, untilDue));
                }
            } catch (RuntimeException e) {
                LOG.warn("delivery: queue: {}", e.toString());
            }
        }
        lock.lock();
        try {
            if (!kicked && state == State.RUNNING) {
                schedulerWake.await(waitMs, TimeUnit.MILLISECONDS);
            }
            kicked = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Routes the recipients of one claimed message and queues its jobs. */
    private void plan(ClaimedMessage m) {
        Instant now = clock.instant();
        Router router = this.router;
        Map<String, List<Item>> groups = new LinkedHashMap<>();
        Map<String, NextHop> hops = new HashMap<>();
        Map<String, Path> reversePaths = new HashMap<>();
        List<Done> immediate = new ArrayList<>();
        for (ClaimedRecipient cr : m.recipients()) {
            if (!inFlight.add(cr.id())) {
                continue; // still in our hands from an earlier claim whose lease ran out
            }
            pending.incrementAndGet();
            if (cr.adminBounceReason() != null) {
                immediate.add(Done.failed(cr, SmtpReply.of(550, "5.0.0", "bounced by the administrator: "
                        + oneLine(cr.adminBounceReason())), "none", null));
                continue;
            }
            Decision d;
            try {
                d = router.route(cr.recipient().forwardPath());
            } catch (RuntimeException e) {
                immediate.add(Done.deferred(cr, SmtpReply.of(451, "4.3.0", "routing failed: " + oneLine(e.toString())),
                        "none", null));
                continue;
            }
            if (d instanceof Decision.Local l) {
                groups.computeIfAbsent(LOCAL, k -> new ArrayList<>()).add(new Item(cr, cr.recipient().forwardPath(), l.mailbox()));
            } else if (d instanceof Decision.Relay r) {
                Path reversePath;
                try {
                    reversePath = router.outgoingReversePath(m.envelope().reversePath(), cr.recipient().forwardPath());
                } catch (IllegalArgumentException e) {
                    // Our name does not fit in front of it (RFC 5321 4.5.3.1.3: a path has 256 octets at
                    // most): send it as received rather than fail mail over an optional decoration.
                    LOG.warn("{}: reverse-path {} sent as received: {}", m.id(), m.envelope().reversePath(),
                            oneLine(e.getMessage()));
                    reversePath = m.envelope().reversePath();
                }
                String hop = r.nextHop().toString();
                String group = hop + " " + reversePath;
                hops.putIfAbsent(group, r.nextHop());
                reversePaths.putIfAbsent(group, reversePath);
                groups.computeIfAbsent(group, k -> new ArrayList<>()).add(new Item(cr, r.forwardPath(), null));
            }
        }
        if (!immediate.isEmpty()) {
            finish(m, immediate, now);
        }
        if (groups.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            for (Map.Entry<String, List<Item>> g : groups.entrySet()) {
                NextHop hop = hops.get(g.getKey());
                Path reversePath = hop == null ? m.envelope().reversePath() : reversePaths.get(g.getKey());
                String key = hop == null ? LOCAL : hop.toString();
                Destination dest = destinations.computeIfAbsent(key, k -> new Destination(k, hop,
                        hop != null && hop.concurrency() > 0 ? hop.concurrency() : settings.destinationConcurrency(),
                        lock.newCondition()));
                List<Item> items = g.getValue();
                for (int i = 0; i < items.size(); i += settings.recipientsPerTransaction()) {
                    dest.jobs.add(new Job(m, reversePath, List.copyOf(items.subList(i,
                            Math.min(items.size(), i + settings.recipientsPerTransaction())))));
                    // One idle session per job, of this destination only: waking every idle
                    // session of every destination for each job cost a context switch each.
                    dest.jobAdded.signal();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Starts sessions where jobs wait and limits allow; defers the jobs of destinations that are down. */
    private void dispatch() {
        List<Job> suspended = new ArrayList<>();
        List<SmtpReply> suspendedWhy = new ArrayList<>();
        List<String> suspendedHop = new ArrayList<>();
        lock.lock();
        try {
            if (state != State.RUNNING) {
                return;
            }
            Instant now = clock.instant();
            for (Iterator<Destination> it = destinations.values().iterator(); it.hasNext(); ) {
                Destination d = it.next();
                if (d.downUntil != null && !now.isBefore(d.downUntil)) {
                    d.downUntil = null;
                    d.downReply = null;
                }
                if (d.jobs.isEmpty()) {
                    if (d.active == 0 && d.downUntil == null) {
                        it.remove();
                    }
                    continue;
                }
                if (d.downUntil != null) {
                    SmtpReply why = suspended(d.downReply);
                    while (!d.jobs.isEmpty()) {
                        suspended.add(d.jobs.poll());
                        suspendedWhy.add(why);
                        suspendedHop.add(d.hop == null ? LOCAL : d.hop.destination());
                    }
                    continue;
                }
                while (!d.jobs.isEmpty() && d.active < d.limit && activeSessions < settings.totalConcurrency()
                        && d.jobs.size() > d.idle) {
                    d.active++;
                    activeSessions++;
                    sessions.execute(() -> runSession(d));
                }
            }
        } finally {
            lock.unlock();
        }
        for (int i = 0; i < suspended.size(); i++) {
            deferJob(suspended.get(i), suspendedWhy.get(i), "none", null, suspendedHop.get(i));
        }
    }

    private static SmtpReply suspended(SmtpReply why) {
        SmtpReply w = why == null ? SmtpReply.of(451, "4.4.1", "next hop unreachable") : why;
        return new SmtpReply(w.code(), w.status(), List.of("delivery temporarily suspended: " + w.text()));
    }

    /** The next job of a destination; waits up to {@code idle} for one; null when there is none or the engine stops. */
    private Job nextJob(Destination d, Duration idle) {
        lock.lock();
        try {
            long nanos = idle.toNanos();
            while (true) {
                if (state != State.RUNNING) {
                    return null;
                }
                Job job = d.jobs.poll();
                if (job != null) {
                    return job;
                }
                if (nanos <= 0 || d.downUntil != null) {
                    return null;
                }
                d.idle++;
                try {
                    nanos = d.jobAdded.awaitNanos(nanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                } finally {
                    d.idle--;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- sessions

    private void runSession(Destination d) {
        try {
            if (d.hop == null) {
                runLocal(d);
            } else {
                runRemote(d);
            }
        } catch (RuntimeException | Error e) {
            LOG.error("delivery: session to {} failed unexpectedly", d.key, e);
        } finally {
            lock.lock();
            try {
                d.active--;
                activeSessions--;
                schedulerWake.signalAll();
            } finally {
                lock.unlock();
            }
            dispatch();
        }
    }

    private void runLocal(Destination d) {
        for (Job job = nextJob(d, Duration.ZERO); job != null; job = nextJob(d, Duration.ZERO)) {
            ClaimedMessage m = job.message;
            List<Done> done = new ArrayList<>(job.items.size());
            Instant at = clock.instant();
            for (Item item : job.items) {
                SmtpReply reply;
                try {
                    reply = local.deliver(m.id(), item.mailbox, m.envelope().reversePath(), () -> queue.openBody(m.id()));
                } catch (RuntimeException e) {
                    reply = SmtpReply.of(451, "4.3.0", "local delivery failed: " + oneLine(e.toString()));
                }
                done.add(Done.of(item.recipient, reply, LOCAL, null, false, item.sentAs, true));
            }
            finish(m, done, at);
        }
    }

    private void runRemote(Destination d) {
        SmtpTransport.Connection conn = null;
        Resolution resolution = null;
        List<Target> targets = List.of();
        try {
            Job job = nextJob(d, Duration.ZERO);
            while (job != null) {
                // reset() costs no round trip after a clean, recent transaction (the final dot's reply
                // reset the server); it sends RSET only to check a session that sat idle, and a dead
                // one is replaced here by a new session instead of deferring the next message.
                if (conn != null && (conn.transactions() >= settings.transactionsPerConnection() || !conn.reset())) {
                    close(conn);
                    conn = null;
                }
                if (conn == null) {
                    Instant at = clock.instant();
                    if (resolution == null) {
                        resolution = resolver.resolve(d.hop);
                    }
                    if (resolution instanceof Resolution.Failure f) {
                        if (f.reply().isPermanent()) {
                            failJob(job, f.reply(), "none", null, d.hop.destination(), at);
                            job = nextJob(d, Duration.ZERO);
                            continue;
                        }
                        markDown(d, f.reply());
                        deferJob(job, f.reply(), "none", null, d.hop.destination());
                        return;
                    }
                    targets = ((Resolution.Targets) resolution).targets();
                    TransportException last = null;
                    for (Target t : targets) {
                        try {
                            conn = transport.connect(t, d.hop);
                            connectionsOpened.increment();
                            break;
                        } catch (TransportException e) {
                            connectionsFailed.increment();
                            last = e;
                            LOG.debug("delivery: {}: {}", d.key, e.reply());
                        }
                    }
                    if (conn == null) {
                        SmtpReply why = last.reply();
                        markDown(d, why);
                        Target lastTarget = targets.get(targets.size() - 1);
                        // No session: the log says relay=none as Postfix's does, but the queue
                        // records the route's next hop, so relayctl queue/retry --next-hop find it.
                        deferJob(job, why, last.connectFailed() ? "none" : lastTarget.toString(),
                                last.connectFailed() ? null : lastTarget.hostName(),
                                last.connectFailed() ? d.hop.destination() : lastTarget.toString());
                        return;
                    }
                    open.add(conn);
                }
                runTransaction(conn, job, d.hop, targets);
                if (state != State.RUNNING) {
                    break;
                }
                job = nextJob(d, settings.connectionIdleTime());
            }
        } finally {
            if (conn != null) {
                close(conn);
            }
        }
    }

    private void close(SmtpTransport.Connection conn) {
        open.remove(conn);
        conn.close();
    }

    /**
     * Sends one job over {@code conn} and records the outcome. A recipient that got a temporary
     * reply (4xx, or the connection lost) from a server that is not the last of {@code targets}
     * is tried once more on the next server that answers, as Postfix's smtp client does (a
     * backup MX takes what a greylisting or busy primary defers); that server's reply is final.
     */
    private void runTransaction(SmtpTransport.Connection conn, Job job, NextHop hop, List<Target> targets) {
        Instant at = clock.instant();
        int index = targets.indexOf(conn.target());
        Sent first = send(conn, job, index >= 0 && index < targets.size() - 1);
        List<Done> done = first.decided();
        if (!first.retry().isEmpty()) {
            SmtpTransport.Connection backup = connectAny(targets.subList(index + 1, targets.size()), hop);
            if (backup == null) {
                done.addAll(first.retryReplies()); // no other server answered: the first one's replies stand
            } else {
                open.add(backup);
                try {
                    done.addAll(send(backup, new Job(job.message, job.reversePath, first.retry()), false).decided());
                } finally {
                    close(backup);
                }
            }
        }
        finish(job.message, done, at);
    }

    /** A session with the first of {@code targets} that completes the greeting and EHLO, or null. */
    private SmtpTransport.Connection connectAny(List<Target> targets, NextHop hop) {
        for (Target t : targets) {
            try {
                SmtpTransport.Connection c = transport.connect(t, hop);
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
    private record Sent(List<Done> decided, List<Item> retry, List<Done> retryReplies) {
    }

    /**
     * One transaction. With {@code backupFollows}, a recipient with a temporary reply (4xx, or the
     * connection lost) is left for the next server, as Postfix's smtp client does: a backup MX
     * takes what a greylisting or busy primary defers. The backup's reply is final.
     */
    private Sent send(SmtpTransport.Connection conn, Job job, boolean backupFollows) {
        ClaimedMessage m = job.message;
        List<OutboundRecipient> rcpts = new ArrayList<>(job.items.size());
        for (Item item : job.items) {
            rcpts.add(new OutboundRecipient(item.sentAs, item.recipient.recipient().parameters()));
        }
        Transaction tx = new Transaction(job.reversePath, m.envelope().parameters(), rcpts, m.size(),
                () -> queue.openBody(m.id()));
        long t0 = System.nanoTime();
        TransactionResult result = conn.send(tx);
        transactionTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        Target target = conn.target();
        Sent sent = new Sent(new ArrayList<>(job.items.size()), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < job.items.size(); i++) {
            Item item = job.items.get(i);
            SmtpReply reply = result.recipients().get(i).reply();
            Done d = Done.of(item.recipient, reply, target.toString(), target.hostName(), result.dsnOffered(),
                    item.sentAs, false);
            if (backupFollows && reply.isTransient()) {
                LOG.info("{}: to={}: {} said: {}; trying the next server", m.id(), item.sentAs, target,
                        oneLine(reply.toString()));
                sent.retry().add(item);
                sent.retryReplies().add(d);
            } else {
                sent.decided().add(d);
            }
        }
        return sent;
    }

    private void markDown(Destination d, SmtpReply why) {
        Instant until = retry.hostDownUntil();
        List<Job> waiting = new ArrayList<>();
        lock.lock();
        try {
            d.downUntil = until;
            d.downReply = why;
            waiting.addAll(d.jobs);
            d.jobs.clear();
            d.jobAdded.signalAll(); // its idle sessions end: nothing goes there until it is up again
        } finally {
            lock.unlock();
        }
        LOG.info("delivery: {} marked down until {}: {}", d.key, until, why);
        SmtpReply s = suspended(why);
        for (Job job : waiting) {
            deferJob(job, s, "none", null, d.hop == null ? LOCAL : d.hop.destination());
        }
    }

    /**
     * Defers a job that got no transaction: {@code relay} is what the log says ({@code none} when no
     * session was opened, as in Postfix), {@code nextHop} what the queue records for relayctl.
     */
    private void deferJob(Job job, SmtpReply reply, String relay, String remoteMta, String nextHop) {
        SmtpReply r = reply.isTransient() ? reply : new SmtpReply(451, reply.status(), reply.lines());
        List<Done> done = new ArrayList<>();
        for (Item item : job.items) {
            done.add(Done.of(item.recipient, r, relay, remoteMta, false, item.sentAs, false).at(nextHop));
        }
        finish(job.message, done, clock.instant());
    }

    private void failJob(Job job, SmtpReply reply, String relay, String remoteMta, String nextHop, Instant at) {
        List<Done> done = new ArrayList<>();
        for (Item item : job.items) {
            done.add(Done.of(item.recipient, reply, relay, remoteMta, false, item.sentAs, false).at(nextHop));
        }
        finish(job.message, done, at);
    }

    private void releaseJob(Job job) {
        List<Long> ids = new ArrayList<>();
        for (Item item : job.items) {
            ids.add(item.recipient.id());
        }
        try {
            queue.release(job.message.id(), ids);
        } catch (RuntimeException e) {
            LOG.warn("{}: could not release {} recipients: {}", job.message.id(), ids.size(), e.toString());
        } finally {
            forget(ids);
        }
    }

    private void forget(Collection<Long> ids) {
        inFlight.removeAll(ids);
        pending.addAndGet(-ids.size());
        lock.lock();
        try {
            schedulerWake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- outcomes

    /**
     * Reports one attempt: to the bounce sink first (so a failure's DSN is durable before the
     * failure is), then to the queue; logs a line per recipient.
     */
    private void finish(ClaimedMessage m, List<Done> done, Instant at) {
        QueueId id = m.id();
        Instant arrival = m.envelope().origin().arrival();
        boolean isBounce = m.envelope().reversePath().isNull();
        Instant expiry = retry.expiry(arrival, isBounce);
        boolean over = retry.expired(arrival, isBounce);
        List<RecipientReport> reports = new ArrayList<>(done.size());
        RecipientReport.Kind[] kinds = new RecipientReport.Kind[done.size()];
        for (int i = 0; i < done.size(); i++) {
            Done d = done.get(i);
            RecipientReport.Kind k;
            if (d.reply.isPositive()) {
                k = d.local ? RecipientReport.Kind.DELIVERED_LOCALLY : RecipientReport.Kind.RELAYED;
            } else if (d.reply.isPermanent()) {
                k = RecipientReport.Kind.FAILED;
            } else {
                k = over ? RecipientReport.Kind.EXPIRED : RecipientReport.Kind.DEFERRED;
            }
            kinds[i] = k;
            reports.add(new RecipientReport(d.recipient, k, d.reply, d.remoteMta, d.dsnOffered, at,
                    k == RecipientReport.Kind.DEFERRED ? expiry : null));
        }
        Set<Long> delayNotices = Set.of();
        boolean notified = true;
        try {
            delayNotices = bounces.report(m, reports);
        } catch (RuntimeException e) {
            notified = false;
            LOG.warn("{}: could not store delivery status notifications, failures stay queued: {}", id, e.toString());
        }
        List<RecipientOutcome> outcomes = new ArrayList<>(done.size());
        List<Long> ids = new ArrayList<>(done.size());
        String[] status = new String[done.size()];
        for (int i = 0; i < done.size(); i++) {
            Done d = done.get(i);
            long rid = d.recipient.id();
            ids.add(rid);
            Outcome o;
            switch (kinds[i]) {
                case DELIVERED_LOCALLY, RELAYED -> {
                    o = new Outcome.Delivered(d.reply, d.nextHop);
                    status[i] = "sent";
                }
                case FAILED, EXPIRED -> {
                    if (notified) {
                        o = new Outcome.Failed(d.reply, d.nextHop);
                        status[i] = kinds[i] == RecipientReport.Kind.FAILED ? "bounced" : "expired";
                    } else {
                        // The bounce could not be stored: keep the recipient, try again soon.
                        o = new Outcome.Deferred(d.reply, d.nextHop, at.plus(retry.settings().minBackoff()), false);
                        status[i] = "deferred";
                    }
                }
                default -> {
                    o = new Outcome.Deferred(d.reply, d.nextHop, retry.nextAttempt(arrival, isBounce),
                            delayNotices.contains(rid));
                    status[i] = "deferred";
                }
            }
            outcomes.add(new RecipientOutcome(rid, o));
        }
        try {
            queue.complete(id, outcomes);
        } catch (RuntimeException e) {
            LOG.error("{}: could not record the outcome of {} recipients; they are tried again when their lease ends: {}",
                    id, outcomes.size(), e.toString());
        } finally {
            forget(ids);
        }
        String delay = seconds(Duration.between(arrival, clock.instant()).toMillis());
        for (int i = 0; i < done.size(); i++) {
            Done d = done.get(i);
            switch (status[i]) {
                case "sent" -> sent.increment();
                case "bounced" -> bounced.increment();
                case "expired" -> expired.increment();
                default -> deferred.increment();
            }
            Path asReceived = d.recipient.recipient().forwardPath();
            String to = d.sentAs == null || d.sentAs.equals(asReceived) ? "to=" + asReceived
                    : "to=" + d.sentAs + ", orig_to=" + asReceived;
            String text = "expired".equals(status[i]) ? "expired, returned to sender (" + d.reply + ")"
                    : status[i] + " (" + d.reply + ")";
            LOG.info("{}: {}, relay={}, delay={}, dsn={}, status={}", id, to, d.relay,
                    delay, dsnOf(d.reply, kinds[i]), text);
        }
    }

    /** Milliseconds as seconds with two decimals, as Postfix's delay=1.23 (String.format is costly per line). */
    static String seconds(long millis) {
        long hundredths = (Math.max(0, millis) + 5) / 10;
        long fraction = hundredths % 100;
        return (hundredths / 100) + (fraction < 10 ? ".0" : ".") + fraction;
    }

    private static String dsnOf(SmtpReply reply, RecipientReport.Kind kind) {
        if (kind == RecipientReport.Kind.EXPIRED) {
            return "4.4.7";
        }
        EnhancedStatus s = reply.status();
        return s != null ? s.toString() : (reply.code() / 100) + ".0.0";
    }

    private static String oneLine(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }

    // ---------------------------------------------------------------- values

    /** One next hop (or local delivery) with its waiting jobs and its sessions. Guarded by {@code lock}. */
    private static final class Destination {
        final String key;
        final NextHop hop;
        final int limit;
        final ArrayDeque<Job> jobs = new ArrayDeque<>();
        /** Signalled once per job added; idle sessions of this destination wait on it. */
        final Condition jobAdded;
        int active;
        int idle;
        Instant downUntil;
        SmtpReply downReply;

        Destination(String key, NextHop hop, int limit, Condition jobAdded) {
            this.key = key;
            this.hop = hop;
            this.limit = limit;
            this.jobAdded = jobAdded;
        }
    }

    /** Recipients of one message for one destination: one transaction. */
    private record Job(ClaimedMessage message, Path reversePath, List<Item> items) {
    }

    /** One recipient of a job: the forward-path to send ({@code sentAs}), or the local mailbox. */
    private record Item(ClaimedRecipient recipient, Path sentAs, Mailbox mailbox) {
    }

    /**
     * What an attempt did to one recipient, before retry policy and bounces are applied. {@code relay}
     * is the log's {@code relay=} field; {@code nextHop} what the queue records (the server that
     * answered, or the route's next hop when none did).
     */
    private record Done(ClaimedRecipient recipient, SmtpReply reply, String relay, String remoteMta,
                        boolean dsnOffered, Path sentAs, boolean local, String nextHop) {
        static Done of(ClaimedRecipient r, SmtpReply reply, String relay, String remoteMta, boolean dsnOffered,
                       Path sentAs, boolean local) {
            return new Done(r, reply, relay, remoteMta, dsnOffered, sentAs, local, relay);
        }

        static Done failed(ClaimedRecipient r, SmtpReply reply, String relay, String remoteMta) {
            return new Done(r, reply, relay, remoteMta, false, null, false, relay);
        }

        static Done deferred(ClaimedRecipient r, SmtpReply reply, String relay, String remoteMta) {
            return new Done(r, reply, relay, remoteMta, false, null, false, relay);
        }

        Done at(String hop) {
            return new Done(recipient, reply, relay, remoteMta, dsnOffered, sentAs, local, hop);
        }
    }
}
